"""``python -m geo build-events``: rebuild the bundled default events from the compiled reports."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo import settings
from geo.errors import InputError
from geo.events import build_default_events, load_events
from geo.schema import validate_events
from geo.tables import check_cell_sizes, read_csv_table, write_csv_atomic
from geo.validate import MAX_PLACE_CHARS

SOURCE_NAME = "reported_events.csv"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "build-events",
        help="rebuild data/events/reported_events.csv from the compiled reports, geocoded",
        description=(
            f"Read {SOURCE_NAME} (default: ${settings.SOURCE_EVENTS_ENV}, else the bundled data/events/source/), map it to "
            "the event schema, geocode every place text with the curated province/district as context, and "
            f"write {settings.DEFAULT_EVENTS_FILE.relative_to(settings.REPO_ROOT)} atomically."
        ),
    )
    p.add_argument("--source", help=f"the compiled {SOURCE_NAME}")
    p.add_argument("-o", "--output", default=str(settings.DEFAULT_EVENTS_FILE), help="where to write")
    return p


def run(args: argparse.Namespace) -> int:
    source = Path(args.source) if args.source else settings.source_events_dir() / SOURCE_NAME
    reported = read_csv_table(source)
    check_cell_sizes(reported, name=str(source))
    places = [c for c in ("location_text", "province", "district") if c in reported.columns]
    check_cell_sizes(reported[places], name=str(source), limit=MAX_PLACE_CHARS, what="a place text")
    try:
        events = build_default_events(reported)
        validate_events(events)  # refuse to write what would not read back
    except InputError as exc:
        raise exc.in_file(str(source)) from exc
    out = Path(args.output)
    write_csv_atomic(events, out)
    checked = load_events(out)  # what we wrote must read back under the schema
    counts = checked["geocode_status"].value_counts()
    print(
        f"{len(reported)} rows in, {len(checked)} events written to {out} "
        f"({int(checked['is_aggregate'].sum())} aggregate statements, not mapped); "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("matched", "ambiguous", "unresolved"))
    )
    return 0
