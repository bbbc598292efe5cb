"""Options shared by several commands: the event source (database or files) and the filters."""

from __future__ import annotations

import argparse
import json
import math
import sys

import pandas as pd

from geo import settings
from geo.filters import Filters, apply_filters
from geo.groups import GROUPS
from geo.source import EventSource, event_source


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """``--events PATH | --database URL`` and the filters of :func:`add_filter_options`."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--events",
        metavar="PATH",
        help="read this event file or folder instead of the database (a one-off analysis; default: $AFGMAP_EVENTS)",
    )
    where.add_argument(
        "--database",
        metavar="URL",
        help=f"event database URL (default: ${settings.DATABASE_ENV}, else the SQLite file var/events.sqlite)",
    )
    add_filter_options(parser)


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """``--group G... --start --end --type T... --province P... --claim C... --exact-only``."""
    parser.add_argument("--group", action="append", metavar="G", help=f"group to keep, repeatable: {', '.join(GROUPS)}")
    parser.add_argument("--start", metavar="YYYY-MM-DD", help="first day, inclusive")
    parser.add_argument("--end", metavar="YYYY-MM-DD", help="last day, inclusive")
    parser.add_argument("--type", action="append", dest="event_type", metavar="T", help="ACLED event type, repeatable")
    parser.add_argument(
        "--province",
        action="append",
        metavar="P",
        help="province P-code (AF08) or name in any common spelling (Herat, Panjshir, Helmand), repeatable",
    )
    parser.add_argument("--claim", action="append", metavar="C", help="claim status, repeatable")
    parser.add_argument("--exact-only", action="store_true", help="only events placed to a named place or district")


def filters_from_args(args: argparse.Namespace) -> Filters:
    """Build :class:`Filters` from the options of :func:`add_selection_options` (validates them)."""
    return Filters(
        groups=tuple(args.group) if args.group else None,
        start=args.start,
        end=args.end,
        event_types=tuple(args.event_type) if args.event_type else None,
        provinces=tuple(args.province) if args.province else None,
        claim_statuses=tuple(args.claim) if args.claim else None,
        exact_only=bool(args.exact_only),
    )


def source_from_args(args: argparse.Namespace) -> EventSource:
    """The event source named by ``--events`` / ``--database`` (else the environment; see :mod:`geo.source`)."""
    return event_source(events=getattr(args, "events", None), database=getattr(args, "database", None))


def selected_events(args: argparse.Namespace) -> tuple[pd.DataFrame, Filters]:
    """Load the events of :func:`source_from_args` and apply the filters; returns (events, filters).

    A database evaluates the filters itself and returns only the selected rows.
    """
    filters = filters_from_args(args)
    events = source_from_args(args).load(filters)
    return apply_filters(events, filters), filters


def positive_number(text: str) -> float:
    """``argparse`` type: a finite number above zero (``nan``, ``inf``, ``0`` and ``-1`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def print_json(data: object) -> None:
    """Print ``data`` as indented UTF-8 JSON on stdout."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
