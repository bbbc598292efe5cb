"""``python -m geo db init|import|export|history|revert|imports|hash-password``: the event database.

The database is ``--database URL``, else ``$AFGMAP_DATABASE_URL``, else the embedded SQLite file
(:data:`geo.settings.DEFAULT_DATABASE_FILE`). Whoever runs these commands has the database in hand, so
they need no login; ``--user`` names who did it in the history.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from geo import settings
from geo.commands.common import add_filter_options, filters_from_args, print_json
from geo.errors import InputError
from geo.filters import apply_filters
from geo.ingest import FORMATS


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "db",
        help="the event database: init, import FILE, export, history ID, revert ID, imports, hash-password",
        description=(
            "Manage the event database (default: the SQLite file var/events.sqlite, created and seeded from the "
            f"bundled events on first use; ${settings.DATABASE_ENV} or --database for PostgreSQL + PostGIS)."
        ),
    )
    p.add_argument("--database", metavar="URL", help=f"database URL (default: ${settings.DATABASE_ENV}, else SQLite)")
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    init = dbsub.add_parser("init", help="create the tables; seed a new database from the bundled events")
    init.add_argument("--seed", metavar="FILE", help="seed from this event file instead of the bundled events")
    init.add_argument("--empty", action="store_true", help="create the tables without seeding any event")

    imp = dbsub.add_parser(
        "import",
        help="read FILE (ACLED, UCDP, GeoJSON, our CSV, free text), check and geocode it, add it in one transaction",
        description=(
            "Read FILE with the ingest rules (python -m geo ingest), then add every usable event in one transaction: "
            "all of them or none. Rejected rows, and events that could not be placed in Afghanistan, are counted "
            "and listed (--rejects FILE writes them with their reason); events to review are stored marked "
            "needs_review. Example: python -m geo db import acled.csv --user alice"
        ),
    )
    imp.add_argument("input", metavar="FILE")
    imp.add_argument("--format", dest="fmt", default="auto", choices=FORMATS, help="input format (default: auto)")
    imp.add_argument("--user", required=True, help="who imports (recorded with every event)")
    imp.add_argument("--rejects", metavar="REJECTS.csv", help="also write the rows that were not added, with why")
    imp.add_argument("--today", metavar="YYYY-MM-DD", help="reject dates after this day (default: today, UTC)")

    exp = dbsub.add_parser(
        "export",
        help="write the stored events (group statements and review columns included) as CSV or GeoJSON",
        description=(
            "Write the stored events that pass the filters, group statements included, in the event schema "
            "(CSV: UTF-8 with BOM, spreadsheet formulas neutralised; GeoJSON: RFC 7946). A CSV export reads back "
            "with `db import`. Example: python -m geo db export -o backup.csv"
        ),
    )
    exp.add_argument("-o", "--output", metavar="OUT", required=True, help="file to write (.csv or .geojson)")
    exp.add_argument("--format", choices=("csv", "geojson"), help="default: from the file ending, else csv")
    add_filter_options(exp)

    hist = dbsub.add_parser("history", help="every change of one event: version, who, when, why, what changed")
    hist.add_argument("event_id", metavar="EVENT_ID")
    hist.add_argument("--json", action="store_true", help="print JSON instead of a table")

    rev = dbsub.add_parser("revert", help="bring an event back to an earlier version (as a new version)")
    rev.add_argument("event_id", metavar="EVENT_ID")
    rev.add_argument("--to", dest="to_version", type=int, required=True, metavar="VERSION")
    rev.add_argument("--user", required=True, help="who reverts (recorded in the history)")
    rev.add_argument("--reason", default="", help="why (recorded in the history)")

    dbsub.add_parser("imports", help="list the imports: file, SHA-256, rows in/out/rejected, who, when")

    pw = dbsub.add_parser(
        "hash-password",
        help="print an editor entry (NAME:scrypt hash) for $AFGMAP_EDITORS or the [editors] secrets section",
    )
    pw.add_argument("name", metavar="NAME")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    return p


def _store(args: argparse.Namespace):
    from geo.store import open_store

    return open_store(args.database or settings.database_url())


def run(args: argparse.Namespace) -> int:
    return {
        "init": _init,
        "import": _import,
        "export": _export,
        "history": _history,
        "revert": _revert,
        "imports": _imports,
        "hash-password": _hash_password,
    }[args.db_command](args)


def _init(args: argparse.Namespace) -> int:
    from geo.store import Store

    store = Store(args.database or settings.database_url())
    record = store.init(seed=False if args.empty else (Path(args.seed) if args.seed else True))
    what = record.describe() if record else "already set up (nothing seeded)"
    print(f"{store.label}: {store.count():,} events; {what}")
    return 0


def _import(args: argparse.Namespace) -> int:
    import pandas as pd

    from geo.export import write_spreadsheet_safe
    from geo.filters import parse_date
    from geo.ingest import ingest
    from geo.review import split_unplaced
    from geo.store import sha256_bytes
    from geo.tables import check_distinct_outputs

    path = Path(args.input)
    if args.rejects:
        check_distinct_outputs({"FILE": path, "--rejects": args.rejects})
    store = _store(args)
    data = path.read_bytes() if path.is_file() else b""
    result = ingest(
        path,
        fmt=args.fmt,
        known_ids=store.event_ids(),
        today=parse_date(args.today, field="--today") if args.today else None,
    )
    events, unplaced = split_unplaced(result.events)
    rejects = pd.concat(
        [result.rejects.astype("string"), unplaced.astype("string").assign(source_row="")], ignore_index=True
    )
    record = store.import_events(
        events,
        user=args.user,
        file_name=path.name,
        sha256=sha256_bytes(data),
        fmt=result.fmt,
        rows_in=result.rows_in,
        rows_rejected=len(rejects),
    )
    print(record.describe() + f"; {store.label} now holds {store.count():,} events")
    rejects = rejects.fillna("")
    if args.rejects:
        write_spreadsheet_safe({args.rejects: rejects}, labels={args.rejects: "--rejects"})
    for _, row in rejects.head(10).iterrows():
        ident = next((row[c] for c in ("event_id", "event_id_cnty", "id") if c in row and row[c]), "")
        print(f"  not added: {ident or 'row ' + str(row['source_row'])}: {row['reason']}")
    if len(rejects) > 10:
        print(f"  ... and {len(rejects) - 10} more" + ("" if args.rejects else " (--rejects FILE lists them all)"))
    return 0


def _export(args: argparse.Namespace) -> int:
    from geo.export import events_to_csv, events_to_geojson, geojson_bytes
    from geo.tables import write_bytes_atomic

    out = Path(args.output)
    fmt = args.format or ("geojson" if out.suffix.lower() in (".geojson", ".json") else "csv")
    filters = filters_from_args(args)
    store = _store(args)
    events = apply_filters(store.read_events(filters), filters, include_aggregates=True)
    if fmt == "csv":
        data = events_to_csv(events)
    else:
        data = geojson_bytes(events_to_geojson(events, filters=filters))
    write_bytes_atomic(data, out)
    print(f"wrote {len(events):,} events from {store.label} to {out} ({fmt}); filters: {filters.describe()}")
    return 0


def _history(args: argparse.Namespace) -> int:
    store = _store(args)
    history = store.history(args.event_id)
    if args.json:
        records = history.assign(at=history["at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_dict("records")
        print_json([{k: (None if v is None or v != v else v) for k, v in r.items()} for r in records])
        return 0
    event = store.get_event(args.event_id)
    state = "deleted" if event["deleted"] else "current"
    if event["merged_into"]:
        state = f"merged into {event['merged_into']}"
    print(f"{args.event_id}: version {event['version']} ({state}) in {store.label}")
    for row in history.itertuples(index=False):
        print(f"v{row.version} {row.action:<7} {row.at:%Y-%m-%d %H:%M} UTC by {row.user}" + (
            f" ({row.reason})" if row.reason else ""))  # fmt: skip
        for field, (before, after) in row.changes.items():
            print(f"    {field}: {json.dumps(before, ensure_ascii=False)} -> {json.dumps(after, ensure_ascii=False)}")
    return 0


def _revert(args: argparse.Namespace) -> int:
    store = _store(args)
    version = store.revert_event(args.event_id, to_version=args.to_version, user=args.user, reason=args.reason)
    print(f"{args.event_id}: reverted to version {args.to_version}, saved as version {version}")
    return 0


def _imports(args: argparse.Namespace) -> int:
    table = _store(args).imports()
    print(table.to_string(index=False) if len(table) else "no imports")
    return 0


def _hash_password(args: argparse.Namespace) -> int:
    from geo.auth import hash_password, validate_editor_name

    validate_editor_name(args.name)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise InputError("the two passwords differ", field="password")
    print(f"{args.name}:{hash_password(password)}")
    return 0
