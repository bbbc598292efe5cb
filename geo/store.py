"""The event store: one database for the events, their history, their imports and their sources.

Two back-ends, one behaviour (the same tests run against both):

- **SQLite** (default): one file, :data:`geo.settings.DEFAULT_DATABASE_FILE`, in WAL mode (readers never wait
  for a writer), created and seeded from the bundled events the first time anything opens it. Every write
  transaction starts with ``BEGIN IMMEDIATE``, so concurrent writers (processes or threads) queue on the
  file lock (``busy_timeout``) instead of failing half-way.
- **PostgreSQL + PostGIS** for a team: ``AFGMAP_DATABASE_URL=postgresql+psycopg://...``. The events table
  gains a generated ``geom geometry(Point, 4326)`` column with a GiST index, so QGIS or any PostGIS client
  reads the events as a layer; reads stream through ``COPY``.

Tables (:data:`SCHEMA_VERSION` 2; the README has the column list):

``events``
    The event schema (:data:`STORE_COLUMNS`: :data:`geo.schema.EVENT_COLUMNS` then
    :data:`geo.schema.OPTIONAL_COLUMNS`) plus ``version`` (1 at creation, +1 per change), ``deleted``,
    ``merged_into``, ``import_id``, ``created_*``/``updated_*`` and ``extra`` (other input columns, JSON).
``event_history``
    Append-only: one row per change (``create``, ``edit``, ``delete``, ``restore``, ``merge``, ``revert``,
    ``distinct``) with who, when, why, the version it made and ``changes``: ``{field: [previous, new]}`` as JSON.
``imports``
    One row per import: file name, SHA-256, format, rows in / out / rejected / dropped in review, who, when.
``sources``
    The reports an event rests on (several after a merge: a claim, a media report, an official
    confirmation), each with its URL, title, publisher, date and claim status.
``distinct_pairs``
    Pairs of likely duplicates an editor judged to be two different events (ids in Python's sort order, who,
    when, why): the Data page no longer offers them for merging (:meth:`Store.distinct_pairs`). Added in
    schema version 2; a version 1 database gains the empty table when it is opened.
``store_meta``
    One row: the store's id and its ``version``, +1 in every write transaction. ``(store_id, version)`` is
    the cheap token (:meth:`Store.token`) the app caches its one shared frame on.

Writes are transactions: an import is all or nothing; an edit names the version it was made on and is
refused with :class:`geo.errors.StaleEditError` when the stored event has moved on (optimistic concurrency).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo import settings
from geo.errors import EventNotFoundError, InputError, SchemaError, StaleEditError, StoreError
from geo.filters import Filters
from geo.schema import CLAIM_STATUSES, EVENT_COLUMNS, OPTIONAL_COLUMNS, coerce_types, validate_events
from geo.tables import json_value

#: Version of the table layout below; stored in ``store_meta.schema_version``.
SCHEMA_VERSION = 2

#: Older layouts :meth:`Store.init` brings up to :data:`SCHEMA_VERSION`, with what changed (tables it creates).
MIGRATIONS: dict[int, str] = {1: "adds the distinct_pairs table"}

#: The event columns the store keeps and :meth:`Store.read_events` returns, in this order.
STORE_COLUMNS: tuple[str, ...] = EVENT_COLUMNS + OPTIONAL_COLUMNS

#: Columns holding numbers or flags (every other store column is text, ``""`` when empty).
FLOAT_COLUMNS = ("latitude", "longitude")
INT_COLUMNS = ("geo_precision", "fatalities")
BOOL_COLUMNS = ("is_aggregate", "needs_review")
DATE_COLUMN = "event_date"
TEXT_COLUMNS: tuple[str, ...] = tuple(
    c for c in STORE_COLUMNS if c not in (*FLOAT_COLUMNS, *INT_COLUMNS, *BOOL_COLUMNS, DATE_COLUMN)
)

#: Fields an editor may change (everything but the identifier).
EDITABLE_COLUMNS: tuple[str, ...] = tuple(c for c in STORE_COLUMNS if c != "event_id")

#: What a history row's ``action`` can be.
ACTIONS = ("create", "edit", "delete", "restore", "merge", "revert", "distinct")

#: SQLite waits this long (ms) for another writer's lock before giving up.
SQLITE_BUSY_MS = 60_000

#: Ids asked for in one ``IN (...)`` query.
_CHUNK = 500

#: PostgreSQL advisory lock key taken while creating the tables (two first runs at once).
_PG_INIT_LOCK = 72_010_001

_META = sa.MetaData()
_TS = sa.DateTime(timezone=True).with_variant(sa.String(), "sqlite")


def _event_column(name: str) -> sa.Column:
    if name == DATE_COLUMN:
        return sa.Column(name, sa.Date, nullable=True, index=True)
    if name in FLOAT_COLUMNS:
        return sa.Column(name, sa.Float(precision=53), nullable=True)
    if name in INT_COLUMNS:
        return sa.Column(name, sa.Integer, nullable=True)
    if name in BOOL_COLUMNS:
        return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false())
    if name == "event_id":
        return sa.Column(name, sa.Text, primary_key=True)
    return sa.Column(name, sa.Text, nullable=False, server_default="")


EVENTS = sa.Table(
    "events",
    _META,
    *[_event_column(c) for c in STORE_COLUMNS],
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("merged_into", sa.Text, nullable=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.import_id"), nullable=True),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("extra", sa.Text, nullable=True),
    sa.Index("events_group_date", "group", DATE_COLUMN),
    sa.Index("events_adm1", "adm1_pcode"),
)

HISTORY = sa.Table(
    "event_history",
    _META,
    sa.Column("history_id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Text, sa.ForeignKey("events.event_id"), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("changes", sa.Text, nullable=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.import_id"), nullable=True),
    sa.UniqueConstraint("event_id", "version", name="event_history_event_version"),
)

IMPORTS = sa.Table(
    "imports",
    _META,
    sa.Column("import_id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("rows_in", sa.Integer, nullable=False),
    sa.Column("rows_out", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("rows_dropped", sa.Integer, nullable=False),
    sa.Column("needs_review", sa.Integer, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

SOURCES = sa.Table(
    "sources",
    _META,
    sa.Column("source_id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Text, sa.ForeignKey("events.event_id"), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False, server_default=""),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("publisher", sa.Text, nullable=False, server_default=""),
    sa.Column("published", sa.Text, nullable=False, server_default=""),
    sa.Column("claim_status", sa.Text, nullable=False, server_default=""),
    sa.Column("first_event_id", sa.Text, nullable=False),
    sa.Column("added_at", _TS, nullable=False),
    sa.Column("added_by", sa.Text, nullable=False),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.import_id"), nullable=True),
)

DISTINCT = sa.Table(
    "distinct_pairs",
    _META,
    sa.Column("first_id", sa.Text, sa.ForeignKey("events.event_id"), primary_key=True),
    sa.Column("second_id", sa.Text, sa.ForeignKey("events.event_id"), primary_key=True),
    sa.Column("at", _TS, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
)

META = sa.Table(
    "store_meta",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
)

#: Columns written for a new event, in order (the store columns, then the bookkeeping ones).
_INSERT_COLUMNS = (*STORE_COLUMNS, "version", "deleted", "import_id", "created_at", "created_by", "updated_at",
                   "updated_by", "extra")  # fmt: skip
_SOURCE_COLUMNS = ("event_id", "url", "title", "publisher", "published", "claim_status", "first_event_id",
                   "added_at", "added_by", "import_id")  # fmt: skip
_HISTORY_COLUMNS = ("event_id", "version", "action", "at", "user_name", "reason", "changes", "import_id")


@dataclasses.dataclass(frozen=True)
class ImportRecord:
    """What one import did (a row of the ``imports`` table)."""

    import_id: int
    file_name: str
    sha256: str
    fmt: str
    rows_in: int
    rows_out: int
    rows_rejected: int
    rows_dropped: int
    needs_review: int
    user: str
    at: dt.datetime
    version: int

    def describe(self) -> str:
        """One line: ``import #3 of acled.csv by alice: 10 rows in, 9 events added, 1 rejected, 0 dropped``."""
        return (
            f"import #{self.import_id} of {self.file_name} by {self.user}: {self.rows_in:,} rows in, "
            f"{self.rows_out:,} events added, {self.rows_rejected:,} rejected, {self.rows_dropped:,} dropped in "
            f"review ({self.needs_review:,} marked for review)"
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _quote(name: str) -> str:
    return f'"{name}"'


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (imports record it)."""
    return hashlib.sha256(data).hexdigest()


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs.

    Examples
    --------
    >>> redact_url("postgresql+psycopg://afgmap:s3cret@db:5432/afgmap")
    'postgresql+psycopg://afgmap:***@db:5432/afgmap'
    """
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unreadable database URL)"


class Store:
    """One event database (SQLite file or PostgreSQL + PostGIS), opened from a SQLAlchemy URL.

    Use :func:`open_store` to get the shared instance of a URL (its connection pool is reused).

    Parameters
    ----------
    url : str
        ``sqlite:////abs/path.sqlite`` or ``postgresql+psycopg://user:pass@host:port/db``.
    """

    def __init__(self, url: str):
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"{settings.DATABASE_ENV}: expected a SQLAlchemy URL, got {url!r} ({exc})") from None
        self.url = url
        self.backend = parsed.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise StoreError(
                f"{settings.DATABASE_ENV}: expected a sqlite:/// or postgresql+psycopg:// URL, got {redact_url(url)}"
            )
        if self.backend == "postgresql" and parsed.drivername != "postgresql+psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
        if self.backend == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise StoreError("the SQLite store needs a file path (sqlite:////path/events.sqlite), not memory")
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = sa.create_engine(parsed, pool_pre_ping=True)
        self._ready = False
        self._ready_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({redact_url(self.url)!r})"

    @property
    def label(self) -> str:
        """Where the events live, for people: the SQLite file, or the PostgreSQL URL without its password."""
        if self.backend == "sqlite":
            return f"SQLite file {sa.make_url(self.url).database}"
        return f"PostgreSQL {redact_url(self.url)}"

    # ------------------------------------------------------------------------------------------ transactions

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        self.ensure_ready()
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise StoreError(f"the event database ({self.label}) cannot be read: {exc.orig}") from exc

    @contextmanager
    def _write(self, *, ready: bool = True) -> Iterator[sa.Connection]:
        """A write transaction that bumps the store version; SQLite takes the write lock at BEGIN."""
        if ready:
            self.ensure_ready()
        try:
            with self.engine.connect() as conn:
                conn.execution_options(afgmap_write=True)
                with conn.begin():
                    yield conn
                    conn.execute(sa.text("UPDATE store_meta SET version = version + 1 WHERE id = 1"))
        except sa.exc.OperationalError as exc:
            raise StoreError(f"the event database ({self.label}) could not be written: {exc.orig}") from exc

    # ------------------------------------------------------------------------------------------ set-up

    def ensure_ready(self) -> None:
        """Create the tables and seed them from the bundled events when this database is new (once per process)."""
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.init()
                self._ready = True

    def init(self, *, seed: Path | None | bool = True) -> ImportRecord | None:
        """Create the tables if missing; on a new database seed them (``seed``: a file, True = bundled, False = none).

        Safe to call from several processes at once: the first creates and seeds, the others find it done.

        Returns
        -------
        ImportRecord or None
            The seeding import, when this call seeded the database.
        """
        try:
            with self.engine.connect() as conn:
                conn.execution_options(afgmap_write=True)
                with conn.begin():
                    if self.backend == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INIT_LOCK})
                        self._ensure_postgis(conn)
                    _META.create_all(conn, checkfirst=True)
                    if self.backend == "postgresql":
                        self._add_geometry(conn)
                    row = conn.execute(sa.text("SELECT schema_version FROM store_meta WHERE id = 1")).first()
                    if row is not None:
                        self._migrate(conn, int(row[0]))
                        return None
                    conn.execute(
                        META.insert().values(
                            id=1, store_id=uuid.uuid4().hex, version=0, schema_version=SCHEMA_VERSION,
                            created_at=self._ts(_now()),
                        )
                    )  # fmt: skip
                    if seed is False:
                        return None
                    path = settings.DEFAULT_EVENTS_FILE if seed is True or seed is None else Path(seed)
                    from geo.events import load_events

                    events = load_events(path)
                    data = path.read_bytes()
                    record = self._import(
                        conn,
                        events,
                        user="system",
                        file_name=path.name,
                        sha256=sha256_bytes(data),
                        fmt="project",
                        rows_in=len(events),
                        rows_rejected=0,
                        rows_dropped=0,
                        note="seeded on first run",
                    )
                    conn.execute(sa.text("UPDATE store_meta SET version = version + 1 WHERE id = 1"))
                    return dataclasses.replace(record, version=record.version + 1)
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot open the event database ({self.label}): {exc.orig}") from exc

    def _migrate(self, conn: sa.Connection, found: int) -> None:
        """Bring a database of an older layout (:data:`MIGRATIONS`) to :data:`SCHEMA_VERSION`, in this transaction.

        The new tables were just created by ``create_all``; the stored version says so from now on.
        """
        if found == SCHEMA_VERSION:
            return
        if found not in MIGRATIONS:
            raise StoreError(
                f"{self.label} has store schema version {found}, this code expects {SCHEMA_VERSION} "
                f"(and can bring up versions {sorted(MIGRATIONS)}): use the code that wrote it"
            )
        conn.execute(
            sa.text("UPDATE store_meta SET schema_version = :v, version = version + 1 WHERE id = 1"),
            {"v": SCHEMA_VERSION},
        )

    def _ensure_postgis(self, conn: sa.Connection) -> None:
        have = conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
        if have:
            return
        try:
            with conn.begin_nested():
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        except sa.exc.DBAPIError as exc:
            raise StoreError(
                f"PostGIS is not installed in {self.label} and this user cannot install it ({exc.orig}): "
                "run CREATE EXTENSION postgis; as a superuser (the postgis/postgis image has it)"
            ) from None

    def _add_geometry(self, conn: sa.Connection) -> None:
        conn.execute(
            sa.text(
                "ALTER TABLE events ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326) GENERATED ALWAYS AS "
                "(CASE WHEN longitude IS NULL OR latitude IS NULL THEN NULL "
                "ELSE ST_SetSRID(ST_MakePoint(longitude, latitude), 4326) END) STORED"
            )
        )
        conn.execute(sa.text("CREATE INDEX IF NOT EXISTS events_geom ON events USING gist (geom)"))

    def _ts(self, value: dt.datetime) -> Any:
        return value.isoformat(timespec="microseconds") if self.backend == "sqlite" else value

    # ------------------------------------------------------------------------------------------ reading

    def token(self) -> tuple[str, int]:
        """``(store_id, version)``: changes with every write, costs one tiny query. Cache on it."""
        with self._read() as conn:
            row = conn.execute(sa.text("SELECT store_id, version FROM store_meta WHERE id = 1")).one()
        return str(row[0]), int(row[1])

    def version(self) -> int:
        """The store version: +1 in every write transaction."""
        return self.token()[1]

    def count(self, *, include_deleted: bool = False) -> int:
        """How many events the database holds (deleted and merged-away ones only when asked)."""
        where = "" if include_deleted else f" WHERE NOT {self._false_check('deleted')}"
        with self._read() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM events{where}")).scalar_one())

    def _false_check(self, column: str) -> str:
        return f"({column} = 1)" if self.backend == "sqlite" else f"({column})"

    def event_ids(self, *, include_deleted: bool = True) -> list[str]:
        """Every ``event_id`` in the database (deleted ones too by default: their ids stay taken)."""
        where = "" if include_deleted else f" WHERE NOT {self._false_check('deleted')}"
        with self._read() as conn:
            return [r[0] for r in conn.execute(sa.text(f"SELECT event_id FROM events{where}"))]

    def read_events(
        self, filters: Filters | None = None, *, include_deleted: bool = False, with_meta: bool = False
    ) -> pd.DataFrame:
        """The stored events as :func:`geo.events.load_events` returns a file's: typed, columns :data:`STORE_COLUMNS`.

        Parameters
        ----------
        filters : Filters, optional
            Evaluated in the database (group, dates, type, province, claim status, exact places), so a
            selection of a million stored events reads only its rows. Aggregate statements are kept:
            :func:`geo.filters.apply_filters` drops them as it does for files.
        include_deleted : bool
            Also deleted and merged-away events.
        with_meta : bool
            Add ``version``, ``deleted``, ``merged_into``, ``import_id``, ``updated_at``, ``updated_by``
            (what the Data page needs to edit).

        Returns
        -------
        pandas.DataFrame
            Ordered by ``event_date`` then ``event_id``.
        """
        meta = ("version", "deleted", "merged_into", "import_id", "updated_at", "updated_by") if with_meta else ()
        columns = (*STORE_COLUMNS, *meta)
        conditions, params = self._where(filters, include_deleted=include_deleted)
        select = ", ".join(_quote(c) for c in columns)
        sql = f"SELECT {select} FROM events"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        with self._read() as conn:
            if self.backend == "postgresql":
                raw = self._copy_out(conn, sql + " ORDER BY event_date, event_id", params)
            else:
                # "+event_date": sort the selected rows instead of walking the date index and looking up
                # every row (1.2 s against 1.9 s for a million events); the order is the same.
                raw = _sqlite_frame(conn, sql + " ORDER BY +event_date, event_id", params, columns)
        return _typed(raw, meta)

    def _where(self, filters: Filters | None, *, include_deleted: bool) -> tuple[list[str], list[Any]]:
        """SQL conditions (``?`` placeholders) and their values for ``filters``."""
        conditions: list[str] = []
        params: list[Any] = []
        if not include_deleted:
            conditions.append(f"NOT {self._false_check('deleted')}")
        if filters is None:
            return conditions, params

        def among(column: str, values: tuple[str, ...] | None) -> None:
            if values:
                conditions.append(f"{_quote(column)} IN ({', '.join('?' * len(values))})")
                params.extend(values)

        among("group", filters.groups)
        among("event_type", filters.event_types)
        among("adm1_pcode", filters.provinces)
        among("claim_status", filters.claim_statuses)
        if filters.start:
            conditions.append("event_date >= ?")
            params.append(filters.start.isoformat())
        if filters.end:
            conditions.append("event_date <= ?")
            params.append(filters.end.isoformat())
        if filters.exact_only:
            conditions.append("geo_precision IS NOT NULL AND geo_precision <= 2")
        return conditions, params

    def _copy_out(self, conn: sa.Connection, sql: str, params: list[Any]) -> pd.DataFrame:
        """Run ``sql`` (``?`` placeholders) through ``COPY ... TO STDOUT`` and read the CSV with pyarrow."""
        from psycopg import sql as pgsql

        parts = sql.split("?")
        query = pgsql.SQL("").join(
            [pgsql.SQL(parts[0])]
            + [item for i, p in enumerate(parts[1:]) for item in (pgsql.Literal(params[i]), pgsql.SQL(p))]
        )
        copy_sql = pgsql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(query)
        buffer = io.BytesIO()
        driver = conn.connection.driver_connection
        with driver.cursor() as cur, cur.copy(copy_sql) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        # keep_default_na=False: "" stays "", only unquoted empty fields (NULL) become missing in numbers.
        return pd.read_csv(buffer, dtype="string", keep_default_na=False, engine="pyarrow")

    def get_event(self, event_id: str) -> dict[str, Any]:
        """One event (deleted ones too) with ``version``, ``deleted``, ``merged_into``: a dict of plain values.

        Raises
        ------
        EventNotFoundError
        """
        with self._read() as conn:
            return self._get(conn, event_id)

    def _get(self, conn: sa.Connection, event_id: str) -> dict[str, Any]:
        row = conn.execute(sa.select(EVENTS).where(EVENTS.c.event_id == event_id)).mappings().first()
        if row is None:
            raise EventNotFoundError(f"event_id: no event {event_id!r} in the database")
        # Timestamps keep their time (SQLite stores them as ISO text, PostgreSQL returns datetimes).
        out = {k: v.isoformat() if isinstance(v, dt.datetime) else json_value(v) for k, v in dict(row).items()}
        for col in TEXT_COLUMNS:
            out[col] = out[col] or ""
        return out

    def history(self, event_id: str) -> pd.DataFrame:
        """The event's history, oldest first: ``version, action, at, user, reason, changes`` (a dict), ``import_id``.

        Raises
        ------
        EventNotFoundError
        """
        with self._read() as conn:
            self._get(conn, event_id)
            frame = _query_frame(
                conn,
                "SELECT version, action, at, user_name, reason, changes, import_id FROM event_history "
                "WHERE event_id = :e ORDER BY version, history_id",
                ["version", "action", "at", "user", "reason", "changes", "import_id"],
                e=event_id,
            )
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
        frame["changes"] = [json.loads(c) if isinstance(c, str) and c else {} for c in frame["changes"]]
        frame["import_id"] = frame["import_id"].astype("Int64")
        return frame

    def sources(self, event_id: str) -> pd.DataFrame:
        """The source reports of one event, oldest first (after a merge, the absorbed event's too)."""
        with self._read() as conn:
            return _query_frame(
                conn,
                "SELECT source_id, url, title, publisher, published, claim_status, first_event_id, added_at, "
                "added_by, import_id FROM sources WHERE event_id = :e ORDER BY source_id",
                ["source_id", "url", "title", "publisher", "published", "claim_status", "first_event_id",
                 "added_at", "added_by", "import_id"],
                e=event_id,
            )  # fmt: skip

    def imports(self) -> pd.DataFrame:
        """Every import, newest first."""
        with self._read() as conn:
            return _query_frame(
                conn,
                "SELECT import_id, file_name, sha256, format, rows_in, rows_out, rows_rejected, rows_dropped, "
                "needs_review, user_name, at, note FROM imports ORDER BY import_id DESC",
                ["import_id", "file_name", "sha256", "format", "rows_in", "rows_out", "rows_rejected",
                 "rows_dropped", "needs_review", "user", "at", "note"],
            )  # fmt: skip

    def distinct_pairs(self) -> set[tuple[str, str]]:
        """Pairs of events an editor judged to be two different events, as ``(first_id, second_id)``, ids sorted.

        What :func:`geo.review.duplicate_pairs` takes as ``dismissed``. Who, when and why are in
        :meth:`distinct_log` and in both events' history.
        """
        with self._read() as conn:
            return {(str(a), str(b)) for a, b in conn.execute(sa.select(DISTINCT.c.first_id, DISTINCT.c.second_id))}

    def distinct_log(self) -> pd.DataFrame:
        """Every pair judged distinct, newest first: ``first_id, second_id, at, user, reason``."""
        with self._read() as conn:
            return _query_frame(
                conn,
                "SELECT first_id, second_id, at, user_name, reason FROM distinct_pairs "
                "ORDER BY at DESC, first_id, second_id",
                ["first_id", "second_id", "at", "user", "reason"],
            )

    # ------------------------------------------------------------------------------------------ writing

    def import_events(
        self,
        events: pd.DataFrame,
        *,
        user: str,
        file_name: str,
        sha256: str,
        fmt: str,
        rows_in: int | None = None,
        rows_rejected: int = 0,
        rows_dropped: int = 0,
        note: str = "",
    ) -> ImportRecord:
        """Add events in one transaction: all of them, or none.

        Parameters
        ----------
        events : pandas.DataFrame
            Events in the schema (:func:`geo.ingest.ingest`'s ``events``, or :func:`geo.events.load_events`'s);
            an empty ``event_id`` gets ``IMP<import>-<n>``.
        user : str
            Who imports (recorded in the import, the history and the sources).
        file_name, sha256, fmt : str
            The input file's name, SHA-256 and format.
        rows_in, rows_rejected, rows_dropped : int
            The input's row count, the rows ingest rejected and those dropped in review
            (``rows_in = len(events) + rows_rejected + rows_dropped``; ``rows_in`` defaults to that sum).

        Raises
        ------
        SchemaError
            The events do not follow the schema (row and field named).
        StoreError
            An ``event_id`` is already in the database (another import may have added it meanwhile):
            nothing was added.
        """
        rows_in = len(events) + rows_rejected + rows_dropped if rows_in is None else rows_in
        if rows_in != len(events) + rows_rejected + rows_dropped:
            raise InputError(
                f"rows_in: expected {len(events)} events + {rows_rejected} rejected + {rows_dropped} dropped "
                f"= {len(events) + rows_rejected + rows_dropped}, got {rows_in}"
            )
        if not str(user).strip():
            raise InputError("user: expected the name of the person importing, got ''")
        with self._write() as conn:
            return self._import(
                conn, events, user=user, file_name=file_name, sha256=sha256, fmt=fmt, rows_in=rows_in,
                rows_rejected=rows_rejected, rows_dropped=rows_dropped, note=note,
            )  # fmt: skip

    def _import(
        self,
        conn: sa.Connection,
        events: pd.DataFrame,
        *,
        user: str,
        file_name: str,
        sha256: str,
        fmt: str,
        rows_in: int,
        rows_rejected: int,
        rows_dropped: int,
        note: str,
    ) -> ImportRecord:
        typed = validate_events(events.drop(columns=[c for c in ("needs_review", "review_note") if c in events]))
        for col in ("needs_review", "review_note"):
            typed[col] = events[col].to_numpy() if col in events else (False if col == "needs_review" else "")
        for col in STORE_COLUMNS:
            if col not in typed:  # optional columns the input did not have
                typed[col] = pd.Series("", index=typed.index, dtype="string")
        at = _now()
        n_review = int(pd.Series(typed["needs_review"]).fillna(False).astype(bool).sum())
        import_id = conn.execute(
            IMPORTS.insert()
            .values(
                file_name=file_name, sha256=sha256, format=fmt, rows_in=rows_in, rows_out=len(typed),
                rows_rejected=rows_rejected, rows_dropped=rows_dropped, needs_review=n_review, user_name=user,
                at=self._ts(at), note=note,
            )
            .returning(IMPORTS.c.import_id)
        ).scalar_one()  # fmt: skip
        ids = typed["event_id"].astype("string").fillna("").str.strip()
        missing = ids == ""
        if missing.any():
            ids[missing] = [f"IMP{import_id}-{i + 1}" for i in range(int(missing.sum()))]
        typed["event_id"] = ids
        taken = self._existing(conn, ids.tolist())
        if taken:
            raise StoreError(
                f"event_id: {len(taken)} of the {len(typed)} events are already in the database "
                f"(first: {sorted(taken)[0]!r}; another import may have added them meanwhile): nothing was added"
            )
        records = _records(typed, STORE_COLUMNS)
        extra_cols = [c for c in events.columns if c not in STORE_COLUMNS]
        extras = (
            [json.dumps({c: json_value(v) for c, v in zip(extra_cols, row, strict=True)}, ensure_ascii=False)
             for row in events[extra_cols].itertuples(index=False, name=None)]
            if extra_cols else [None] * len(typed)
        )  # fmt: skip
        stamp = self._ts(at)
        event_rows = [
            (*r, 1, False, import_id, stamp, user, stamp, user, x) for r, x in zip(records, extras, strict=True)
        ]
        reason = f"import #{import_id} of {file_name}" + (f" ({note})" if note else "")
        history_rows = [(i, 1, "create", stamp, user, reason, None, import_id) for i in ids]
        src = typed[["event_id", "source_url", "source_title", "source", "source_date", "claim_status"]]
        source_rows = [
            (e, url, title, pub, date, claim, e, stamp, user, import_id)
            for e, url, title, pub, date, claim in src.itertuples(index=False, name=None)
        ]
        try:
            self._bulk_insert(conn, "events", _INSERT_COLUMNS, event_rows)
            self._bulk_insert(conn, "event_history", _HISTORY_COLUMNS, history_rows)
            self._bulk_insert(conn, "sources", _SOURCE_COLUMNS, source_rows)
        except sa.exc.IntegrityError as exc:
            raise StoreError(
                f"event_id: an event of this import was added by someone else meanwhile ({exc.orig}): "
                "nothing was added; import again"
            ) from None
        version = int(conn.execute(sa.text("SELECT version FROM store_meta WHERE id = 1")).scalar_one()) + 1
        return ImportRecord(
            import_id=int(import_id), file_name=file_name, sha256=sha256, fmt=fmt, rows_in=rows_in,
            rows_out=len(typed), rows_rejected=rows_rejected, rows_dropped=rows_dropped, needs_review=n_review,
            user=user, at=at, version=version,
        )  # fmt: skip

    def _existing(self, conn: sa.Connection, ids: list[str]) -> set[str]:
        if self.backend == "postgresql":  # one query with an array: an IN list per chunk plans slowly here
            rows = conn.execute(sa.text("SELECT event_id FROM events WHERE event_id = ANY(:ids)"), {"ids": ids})
            return {r[0] for r in rows}
        found: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            found.update(r[0] for r in conn.execute(sa.select(EVENTS.c.event_id).where(EVENTS.c.event_id.in_(chunk))))
        return found

    def _bulk_insert(self, conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(_quote(c) for c in columns)
        if self.backend == "postgresql":
            import psycopg

            driver = conn.connection.driver_connection
            data = _csv_for_copy(columns, rows)
            try:
                with driver.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(data)
            except psycopg.IntegrityError as exc:
                raise sa.exc.IntegrityError(f"COPY {table}", None, exc) from None
        else:
            marks = ", ".join("?" * len(columns))
            conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def update_event(
        self,
        event_id: str,
        changes: dict[str, Any],
        *,
        expected_version: int,
        user: str,
        reason: str = "",
        action: str = "edit",
    ) -> int:
        """Change fields of one event, if it is still at ``expected_version``; returns the new version.

        The new values are checked against the schema; ``changes`` holds only what differs from
        the stored values, with the previous values, in the history.

        Raises
        ------
        EventNotFoundError
        StaleEditError
            Someone changed the event after ``expected_version`` was read: nothing was written; the
            message says who and when.
        SchemaError
            A value does not fit the schema.
        """
        with self._write() as conn:
            return self._update(conn, event_id, changes, expected_version=expected_version, user=user,
                                reason=reason, action=action)  # fmt: skip

    def _update(
        self,
        conn: sa.Connection,
        event_id: str,
        changes: dict[str, Any],
        *,
        expected_version: int,
        user: str,
        reason: str,
        action: str,
    ) -> int:
        if not str(user).strip():
            raise InputError("user: expected the editor's name, got ''")
        unknown = [c for c in changes if c not in (*EDITABLE_COLUMNS, "deleted", "merged_into")]
        if unknown:
            raise InputError(f"expected fields among {list(EDITABLE_COLUMNS)}, got {unknown}", field=unknown[0])
        current = self._get(conn, event_id)
        if int(current["version"]) != int(expected_version):
            raise self._stale(conn, event_id, expected_version, int(current["version"]))
        new = {**{c: current[c] for c in STORE_COLUMNS}, **{k: v for k, v in changes.items() if k in STORE_COLUMNS}}
        checked = _check_row(new)
        diff = {}
        for col, value in changes.items():
            after = checked[col] if col in STORE_COLUMNS else (bool(value) if col == "deleted" else value)
            before = current[col]
            if col == "deleted":
                before = bool(before)
            if json_value(before) != json_value(after) and not (_blank(before) and _blank(after)):
                diff[col] = [json_value(before), json_value(after)]
        if not diff:
            return int(current["version"])
        version = int(current["version"]) + 1
        stamp = self._ts(_now())
        values = {col: _db_value(col, checked.get(col, after_v)) for col, (_, after_v) in diff.items()}
        values.update(version=version, updated_at=stamp, updated_by=user)
        done = conn.execute(
            EVENTS.update()
            .where(EVENTS.c.event_id == event_id, EVENTS.c.version == int(expected_version))
            .values(**values)
        )
        if done.rowcount != 1:  # PostgreSQL: a concurrent edit committed between our read and our update
            raise self._stale(conn, event_id, expected_version, None)
        conn.execute(
            HISTORY.insert().values(
                event_id=event_id, version=version, action=action, at=stamp, user_name=user, reason=reason,
                changes=json.dumps(diff, ensure_ascii=False),
            )
        )  # fmt: skip
        return version

    def _stale(self, conn: sa.Connection, event_id: str, expected: int, stored: int | None) -> StaleEditError:
        last = conn.execute(
            sa.text(
                "SELECT version, user_name, at, action FROM event_history WHERE event_id = :e "
                "ORDER BY version DESC LIMIT 1"
            ),
            {"e": event_id},
        ).first()
        who = (
            f" ({last[3]} by {last[1]} at {str(last[2])[:16].replace('T', ' ')} UTC, version {last[0]})" if last else ""
        )
        return StaleEditError(
            f"event {event_id!r} was changed by someone else after you opened it{who}; you edited version "
            f"{expected}: nothing was saved. Reload the event and make your change again."
        )

    def delete_event(self, event_id: str, *, expected_version: int, user: str, reason: str) -> int:
        """Mark an event deleted (it stays in the database with its history; :meth:`revert_event` brings it back)."""
        return self.update_event(event_id, {"deleted": True}, expected_version=expected_version, user=user,
                                 reason=reason, action="delete")  # fmt: skip

    def add_source(
        self, event_id: str, *, url: str, title: str = "", publisher: str = "", published: str = "",
        claim_status: str = "", user: str,
    ) -> int:  # fmt: skip
        """Attach another report to an event (e.g. an official confirmation of a claim); returns its ``source_id``."""
        if claim_status and claim_status not in CLAIM_STATUSES:
            raise InputError(f"expected one of {list(CLAIM_STATUSES)}, got {claim_status!r}", field="claim_status")
        with self._write() as conn:
            self._get(conn, event_id)
            return int(
                conn.execute(
                    SOURCES.insert()
                    .values(
                        event_id=event_id,
                        url=url,
                        title=title,
                        publisher=publisher,
                        published=published,
                        claim_status=claim_status,
                        first_event_id=event_id,
                        added_at=self._ts(_now()),
                        added_by=user,
                    )  # fmt: skip
                    .returning(SOURCES.c.source_id)
                ).scalar_one()
            )

    def merge_events(
        self,
        keep_id: str,
        absorb_id: str,
        *,
        expected_versions: tuple[int, int],
        user: str,
        reason: str = "",
    ) -> int:
        """Merge two reports of one event: ``absorb_id``'s sources move to ``keep_id``, ``absorb_id`` is retired.

        Like ACLED's merging of reports, nothing is thrown away: the kept event gains the other's source
        reports and the stronger claim status (self-claimed < media-reported < officially-confirmed <
        UN-verified); the absorbed event is marked deleted with ``merged_into`` = ``keep_id`` and stays
        readable with its history. Returns the kept event's new version.

        Raises
        ------
        StaleEditError
            Either event changed after the given versions were read.
        """
        if keep_id == absorb_id:
            raise InputError(f"cannot merge event {keep_id!r} into itself", field="event_id")
        with self._write() as conn:
            keep = self._get(conn, keep_id)
            absorb = self._get(conn, absorb_id)
            for ev, expected in ((keep, expected_versions[0]), (absorb, expected_versions[1])):
                if int(ev["version"]) != int(expected):
                    raise self._stale(conn, ev["event_id"], expected, int(ev["version"]))
                if ev["deleted"]:
                    raise StoreError(f"event {ev['event_id']!r} is deleted or already merged: nothing was merged")
            why = reason or f"merged {absorb_id} into {keep_id}"
            conn.execute(
                sa.text("UPDATE sources SET event_id = :k WHERE event_id = :a"), {"k": keep_id, "a": absorb_id}
            )
            rank = {c: i for i, c in enumerate(CLAIM_STATUSES)}
            claims = [c for c in (keep["claim_status"], absorb["claim_status"]) if c in rank]
            strongest = max(claims, key=rank.get) if claims else keep["claim_status"]
            self._update(conn, absorb_id, {"deleted": True, "merged_into": keep_id},
                         expected_version=expected_versions[1], user=user, reason=why, action="merge")  # fmt: skip
            changes = {"claim_status": strongest} if strongest != keep["claim_status"] else {}
            version = self._update(conn, keep_id, changes, expected_version=expected_versions[0], user=user,
                                   reason=why, action="merge")  # fmt: skip
            if version == int(keep["version"]):  # no field changed: the merge itself is still history
                version += 1
                stamp = self._ts(_now())
                conn.execute(
                    EVENTS.update().where(EVENTS.c.event_id == keep_id)
                    .values(version=version, updated_at=stamp, updated_by=user)
                )  # fmt: skip
                conn.execute(
                    HISTORY.insert().values(
                        event_id=keep_id, version=version, action="merge", at=stamp, user_name=user, reason=why,
                        changes=json.dumps({"sources": [None, f"+ sources of {absorb_id}"]}),
                    )
                )  # fmt: skip
            return version

    def mark_distinct(
        self,
        first_id: str,
        second_id: str,
        *,
        user: str,
        reason: str,
        expected_versions: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        """Record that two likely duplicates are two different events: the pair is no longer offered for merging.

        Both events stay as they are; each gains a ``distinct`` history entry (who, when, why, and
        ``changes`` ``{"distinct_from": [None, other_id]}``) as a new version. Returns the two new versions,
        in the order given.

        Parameters
        ----------
        first_id, second_id : str
            The two events, in any order.
        user, reason : str
            Who judged, and why (both required: the judgement hides the pair for good).
        expected_versions : (int, int), optional
            The versions the editor saw; refused when either event changed since.

        Raises
        ------
        InputError
            The same event twice, or no user or reason.
        EventNotFoundError
        StaleEditError
            Either event changed after ``expected_versions`` were read.
        StoreError
            Either event is deleted or merged away, or the pair is already marked: nothing was written.
        """
        if first_id == second_id:
            raise InputError(f"expected two different events, got {first_id!r} twice", field="event_id")
        if not str(user).strip():
            raise InputError("user: expected the editor's name, got ''")
        if not str(reason).strip():
            raise InputError("reason: expected why the two are different events, got ''")
        with self._write() as conn:
            events = [self._get(conn, first_id), self._get(conn, second_id)]
            for i, ev in enumerate(events):
                if expected_versions is not None and int(ev["version"]) != int(expected_versions[i]):
                    raise self._stale(conn, ev["event_id"], int(expected_versions[i]), int(ev["version"]))
                if ev["deleted"]:
                    raise StoreError(f"event {ev['event_id']!r} is deleted or merged away: nothing was marked")
            low, high = sorted((first_id, second_id))
            earlier = conn.execute(
                sa.select(DISTINCT.c.user_name, DISTINCT.c.at).where(
                    DISTINCT.c.first_id == low, DISTINCT.c.second_id == high
                )
            ).first()
            if earlier is not None:
                raise StoreError(
                    f"{low} and {high} were already marked as different events by {earlier[0]} at "
                    f"{str(earlier[1])[:16].replace('T', ' ')} UTC: nothing was written"
                )
            stamp = self._ts(_now())
            conn.execute(
                DISTINCT.insert().values(first_id=low, second_id=high, at=stamp, user_name=user, reason=reason)
            )
            versions = []
            for ev, other in ((events[0], second_id), (events[1], first_id)):
                version = int(ev["version"]) + 1
                done = conn.execute(
                    EVENTS.update()
                    .where(EVENTS.c.event_id == ev["event_id"], EVENTS.c.version == int(ev["version"]))
                    .values(version=version, updated_at=stamp, updated_by=user)
                )
                if done.rowcount != 1:  # PostgreSQL: a concurrent edit committed after our read
                    raise self._stale(conn, ev["event_id"], int(ev["version"]), None)
                conn.execute(
                    HISTORY.insert().values(
                        event_id=ev["event_id"], version=version, action="distinct", at=stamp, user_name=user,
                        reason=reason, changes=json.dumps({"distinct_from": [None, other]}),
                    )
                )  # fmt: skip
                versions.append(version)
            return versions[0], versions[1]

    def revert_event(self, event_id: str, *, to_version: int, user: str, reason: str = "") -> int:
        """Bring an event back to how it was at ``to_version``, as a new version (history is never rewritten).

        Raises
        ------
        InputError
            ``to_version`` is not an earlier version of the event.
        """
        with self._write() as conn:
            current = self._get(conn, event_id)
            now_version = int(current["version"])
            if not 1 <= int(to_version) < now_version:
                raise InputError(
                    f"expected an earlier version of {event_id!r} (1..{now_version - 1}), got {to_version}",
                    field="version",
                )
            later = conn.execute(
                sa.text(
                    "SELECT version, changes FROM event_history WHERE event_id = :e AND version > :v "
                    "ORDER BY version DESC"
                ),
                {"e": event_id, "v": int(to_version)},
            ).fetchall()
            state = {c: current[c] for c in (*STORE_COLUMNS, "deleted", "merged_into")}
            state["deleted"] = bool(state["deleted"])
            for _, changes in later:
                for col, (before, _after) in (json.loads(changes) if changes else {}).items():
                    if col in state:
                        state[col] = before
            target = {
                c: v for c, v in state.items()
                if json_value(v) != json_value(current[c] if c != "deleted" else bool(current[c]))
            }  # fmt: skip
            return self._update(conn, event_id, target, expected_version=now_version, user=user,
                                reason=reason or f"reverted to version {to_version}", action="revert")  # fmt: skip


def _sqlite_frame(conn: sa.Connection, sql: str, params: list[Any], columns: tuple[str, ...]) -> pd.DataFrame:
    """Run ``sql`` on the raw sqlite3 connection and build the frame through Arrow.

    The driver's row tuples go into one Arrow struct array in a single C pass (text as Arrow strings,
    which is what the frame's ``string`` columns hold), whose fields become the columns: 1M events in
    ~2.6 s, against ~4.7 s to ``zip`` the rows into columns and convert each. A text column holding
    something else (SQLite allows it) takes the slower column-by-column way, read as text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cursor = conn.connection.driver_connection.execute(sql, tuple(params))
    rows = cursor.fetchall()
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    types = [_arrow_type(pa, name) for name in columns]
    try:
        arrays = pa.array(rows, type=pa.struct([pa.field(n, t) for n, t in zip(columns, types, strict=True)])).flatten()
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        by_column = list(zip(*rows, strict=True))
        arrays = [
            pa.array(values if t != pa.large_string() else [None if v is None else str(v) for v in values], type=t)
            for values, t in zip(by_column, types, strict=True)
        ]
    del rows
    data = {}
    for name, column in zip(columns, arrays, strict=True):
        if name in FLOAT_COLUMNS:
            data[name] = column.to_numpy(zero_copy_only=False)  # None -> nan
        elif name in (*BOOL_COLUMNS, "deleted"):
            data[name] = pc.fill_null(column, 0).to_numpy() != 0
        elif name in INT_COLUMNS or name in ("version", "import_id"):
            data[name] = pd.arrays.IntegerArray(
                pc.fill_null(column, 0).to_numpy(), column.is_null().to_numpy(zero_copy_only=False)
            )
        else:
            data[name] = pd.arrays.ArrowStringArray(column)
    return pd.DataFrame(data)


def _arrow_type(pa, name: str):
    """The Arrow type a stored column is read as (flags as the 0/1 integers SQLite keeps)."""
    if name in FLOAT_COLUMNS:
        return pa.float64()
    if name in (*INT_COLUMNS, *BOOL_COLUMNS, "version", "import_id", "deleted"):
        return pa.int64()
    return pa.large_string()


def _query_frame(conn: sa.Connection, sql: str, columns: list[str], **params: Any) -> pd.DataFrame:
    """The rows of one SQL query as a frame with ``columns`` (the names the API gives, e.g. ``user``)."""
    return pd.DataFrame(conn.execute(sa.text(sql), params).fetchall(), columns=columns)


def _csv_for_copy(columns: tuple[str, ...], rows: list[tuple]) -> bytes:
    """Rows as CSV for PostgreSQL's ``COPY ... (FORMAT csv)``, written by Arrow's C++ writer.

    Arrow quotes every string (so ``""`` is an empty text) and writes a missing value as an empty,
    unquoted field, which is exactly what ``COPY`` reads as NULL.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrays = []
    for i, _ in enumerate(columns):
        values = [row[i] for row in rows]
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, bool):
            arrays.append(pa.array(values, type=pa.bool_()))
        elif isinstance(sample, int):
            arrays.append(pa.array(values, type=pa.int64()))
        elif isinstance(sample, float):
            arrays.append(pa.array(values, type=pa.float64()))
        else:
            arrays.append(pa.array([None if v is None else str(v) for v in values], type=pa.string()))
    table = pa.Table.from_arrays(arrays, names=list(columns))
    out = io.BytesIO()
    pacsv.write_csv(table, out, write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue()


def _blank(value: Any) -> bool:
    return json_value(value) in (None, "")


def _check_row(values: dict[str, Any]) -> dict[str, Any]:
    """One event's values checked against the schema (:func:`geo.schema.validate_events`), as plain values."""
    frame = pd.DataFrame([{c: ("" if _blank(values.get(c)) else str(json_value(values.get(c))))
                           for c in STORE_COLUMNS if c not in BOOL_COLUMNS}])  # fmt: skip
    try:
        typed = validate_events(frame)
    except SchemaError as exc:
        raise SchemaError(str(exc).removeprefix("row 1, ")) from None
    out = {c: json_value(typed[c].iloc[0]) for c in typed.columns if c in STORE_COLUMNS}
    out["is_aggregate"] = bool(typed["is_aggregate"].iloc[0]) or _truthy(values.get("is_aggregate"))
    out["needs_review"] = _truthy(values.get("needs_review"))
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(json_value(value) or False)


def _db_value(col: str, value: Any) -> Any:
    if col == DATE_COLUMN:
        return dt.date.fromisoformat(value) if value else None
    if col in TEXT_COLUMNS:
        return "" if value is None else str(value)
    return value


def _records(typed: pd.DataFrame, columns: tuple[str, ...]) -> list[tuple]:
    """Rows as tuples of plain Python values (None for missing; dates as ISO text) in ``columns`` order."""
    arrays = []
    for col in columns:
        s = typed[col]
        if col == DATE_COLUMN:
            arr = s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None).to_numpy(dtype=object)
        elif col in FLOAT_COLUMNS:
            arr = s.astype("float64").astype(object).where(s.notna(), None).to_numpy(dtype=object)
        elif col in INT_COLUMNS:
            arr = np.array([None if pd.isna(v) else int(v) for v in s], dtype=object)
        elif col in BOOL_COLUMNS:
            arr = s.fillna(False).astype(bool).to_numpy(dtype=object)
        else:
            arr = s.astype("string").fillna("").to_numpy(dtype=object)
        arrays.append(arr)
    return list(zip(*arrays, strict=True))


def _typed(raw: pd.DataFrame, meta: tuple[str, ...]) -> pd.DataFrame:
    """Rows read from either back-end → the frame :func:`geo.events.load_events` would return."""
    frame = raw.copy()
    for col in TEXT_COLUMNS:
        frame[col] = frame[col].astype("string").fillna("")
    if DATE_COLUMN in frame:
        frame[DATE_COLUMN] = frame[DATE_COLUMN].astype("string").fillna("").str.slice(0, 10)
    typed = coerce_types(frame.drop(columns=list(BOOL_COLUMNS)))
    for col in BOOL_COLUMNS:
        values = raw[col]
        if values.dtype == bool:
            typed[col] = values.to_numpy()
        else:
            typed[col] = values.astype("string").str.lower().isin(["1", "t", "true"]).to_numpy(dtype=bool)
    out = typed[list(STORE_COLUMNS)]
    if meta:
        extra = pd.DataFrame(index=out.index)
        extra["version"] = pd.to_numeric(raw["version"]).astype("int64").to_numpy()
        extra["deleted"] = raw["deleted"].astype("string").str.lower().isin(["1", "t", "true"]).to_numpy(dtype=bool)
        extra["merged_into"] = raw["merged_into"].astype("string").fillna("").to_numpy()
        extra["import_id"] = pd.to_numeric(raw["import_id"].replace("", None)).astype("Int64").to_numpy()
        extra["updated_at"] = pd.to_datetime(raw["updated_at"], utc=True, format="ISO8601").to_numpy()
        extra["updated_by"] = raw["updated_by"].astype("string").to_numpy()
        out = pd.concat([out, extra], axis=1)
    return out.reset_index(drop=True)


def _sqlite_connect(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue BEGIN ourselves (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # A writer takes the lock at BEGIN: waiting (busy_timeout) works then, whereas a reader upgrading to a
    # writer in WAL mode fails at once with "database is locked" when another writer got there first.
    immediate = conn.get_execution_options().get("afgmap_write")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str | None = None) -> Store:
    """The shared :class:`Store` of ``url`` (default :func:`geo.settings.database_url`), ready to use.

    The first call in a process creates the tables and seeds a new database from the bundled events.

    Examples
    --------
    >>> import tempfile, os
    >>> store = open_store(f"sqlite:///{tempfile.mkdtemp()}/events.sqlite")
    >>> store.count() == len(__import__("geo.events").events.load_events())
    True
    """
    url = url or settings.database_url()
    with _STORES_LOCK:
        store = _STORES.get(url)
        if store is None:
            store = _STORES[url] = Store(url)
    store.ensure_ready()
    return store


def dispose_stores() -> None:
    """Close every pooled connection (tests, and before forking worker processes)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.engine.dispose()
        _STORES.clear()


__all__ = [
    "STORE_COLUMNS",
    "ImportRecord",
    "Store",
    "dispose_stores",
    "open_store",
    "redact_url",
    "sha256_bytes",
]
