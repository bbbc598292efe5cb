"""Where the events come from: the event database (default), or event files for a one-off analysis.

The app and the commands ``summary``, ``export``, ``spread`` read the event database (:mod:`geo.store`).
A file or folder given with ``--events`` (or ``$AFGMAP_EVENTS``) is read as it is, without a database,
and nothing can be written to it. The order, first match wins:

1. ``--events PATH`` → those files;
2. ``--database URL`` → that database;
3. ``$AFGMAP_EVENTS`` → those files (a one-off analysis: it wins over a configured database);
4. ``$AFGMAP_DATABASE_URL`` → that database;
5. the embedded SQLite database :data:`geo.settings.DEFAULT_DATABASE_FILE` (created and seeded on first use).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from geo import settings
from geo.events import event_files, load_events
from geo.filters import Filters

FILES, DATABASE = "files", "database"


@dataclasses.dataclass(frozen=True)
class EventSource:
    """Events in files (read-only) or in a database.

    Attributes
    ----------
    kind : {"files", "database"}
    location : str
        The file or folder, or the database URL.
    """

    kind: str
    location: str

    @property
    def writable(self) -> bool:
        """Only a database takes new events, edits, merges and deletions."""
        return self.kind == DATABASE

    def store(self):
        """The :class:`geo.store.Store` (databases only), created and seeded on first use."""
        if self.kind != DATABASE:
            raise TypeError(f"{self.describe()} is not a database")
        from geo.store import open_store

        return open_store(self.location)

    def describe(self) -> str:
        """For people: ``SQLite file /…/events.sqlite``, ``PostgreSQL postgresql+psycopg://u:***@h/db``, ``files …``."""
        if self.kind == DATABASE:
            return self.store().label
        return f"event files at {self.location} (read-only)"

    def public_label(self) -> str:
        """For any visitor: the kind of store, never a server path or a database host.

        Examples
        --------
        >>> EventSource(FILES, "/srv/afgmap/data/events").public_label()
        'event files (read-only)'
        """
        if self.kind == DATABASE:
            backend = "PostgreSQL + PostGIS" if self.location.startswith("postgresql") else "SQLite"
            return f"event database ({backend})"
        return "event files (read-only)"

    def token(self) -> tuple:
        """Changes whenever the events change: the store's ``(store_id, version)``, or each file's mtime and size."""
        if self.kind == DATABASE:
            return (DATABASE, self.location, *self.store().token())
        files = event_files(Path(self.location))
        return (FILES, self.location, tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))

    def load(self, filters: Filters | None = None) -> pd.DataFrame:
        """The events (aggregate statements included), typed as :func:`geo.events.load_events` returns them.

        A database evaluates ``filters`` itself and returns only those rows; files are read whole. Either way,
        pass the result through :func:`geo.filters.apply_filters` with the same filters.
        """
        if self.kind == DATABASE:
            return self.store().read_events(filters)
        return load_events(Path(self.location))


def event_source(*, events: str | Path | None = None, database: str | None = None) -> EventSource:
    """The event source chosen by command-line options and the environment (see the module's order).

    Examples
    --------
    >>> event_source(events="data/events").kind
    'files'
    >>> event_source(database="sqlite:////tmp/x.sqlite").location
    'sqlite:////tmp/x.sqlite'
    """
    if events:
        return EventSource(FILES, str(events))
    if database:
        return EventSource(DATABASE, str(database))
    path = settings.env_path(settings.EVENTS_ENV)
    if path is not None:
        return EventSource(FILES, str(path))
    return EventSource(DATABASE, settings.database_url())
