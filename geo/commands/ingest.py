"""``python -m geo ingest INPUT -o OUT.csv --rejects REJECTS.csv``: bring events in from other formats."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo import settings
from geo.commands.common import positive_number
from geo.ingest import FORMATS
from geo.tables import check_distinct_outputs


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "ingest",
        help="read ACLED/UCDP/GeoJSON/project CSV/free-text events, validate, geocode; write events and rejects",
        description=(
            "Read INPUT, write the usable events in the project schema (geocoded, with needs_review and "
            "review_note) to OUT.csv and every row that cannot be used to REJECTS.csv with its original values, "
            "source_row and a reason naming the field. Rows in = rows out + rows rejected. "
            "Free text (--format text): one report per paragraph, English or Dari."
        ),
    )
    p.add_argument("input", metavar="INPUT", help="CSV (UTF-8, UTF-8 with BOM or Windows-1256), GeoJSON or text file")
    p.add_argument("-o", "--output", metavar="OUT.csv", required=True, help="where to write the events (UTF-8 CSV)")
    p.add_argument("--rejects", metavar="REJECTS.csv", required=True, help="where to write the rejected rows")
    p.add_argument(
        "--format",
        dest="fmt",
        default="auto",
        choices=FORMATS,
        help="input format (default: auto-detect; free text needs --format text unless the file ends in .txt)",
    )
    p.add_argument(
        "--max-mb",
        type=positive_number,
        default=settings.MAX_INPUT_BYTES / 1024 / 1024,
        help=f"refuse larger inputs (default {settings.MAX_INPUT_BYTES // 1024 // 1024} MB)",
    )
    p.add_argument("--today", metavar="YYYY-MM-DD", help="reject dates after this day (default: today, UTC)")
    p.add_argument("--no-geocode", action="store_true", help="do not geocode rows that lack P-codes")
    return p


def run(args: argparse.Namespace) -> int:
    from geo.filters import parse_date
    from geo.ingest import ingest, write_result

    check_distinct_outputs({"-o": args.output, "--rejects": args.rejects})  # before the work, not after
    result = ingest(
        Path(args.input),
        fmt=args.fmt,
        max_bytes=int(args.max_mb * 1024 * 1024),
        today=parse_date(args.today, field="--today") if args.today else None,
        geocode=not args.no_geocode,
    )
    write_result(result, Path(args.output), Path(args.rejects))
    c = result.counts
    print(
        f"{c['rows_in']} rows in, {c['rows_out']} rows out to {args.output}, "
        f"{c['rows_rejected']} rows rejected to {args.rejects} ({result.fmt}; {c['needs_review']} need review)"
    )
    return 0
