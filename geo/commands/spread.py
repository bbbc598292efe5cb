"""``python -m geo spread``: spread metrics per month, quarter or year (JSON or CSV)."""

from __future__ import annotations

import argparse
import csv
import sys

from geo.commands.common import add_selection_options, filters_from_args, print_json, source_from_args
from geo.filters import apply_filters
from geo.settings import ATTRIBUTION
from geo.spread import (
    DEFAULT_FREQ,
    DEFAULT_ORIGIN,
    FREQS,
    METRIC_COLUMNS,
    farthest_west,
    first_reports,
    first_reports_records,
    history_filters,
    metrics_records,
    origin_from_pcode,
    period_sentence,
    spread_metrics,
)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "spread",
        help="where the selected groups are active per period, what is new, how far west (JSON/CSV)",
        description=(
            "Per period: events, provinces and districts active, new ones (first activity ever for the selected "
            "groups), westmost longitude and km west of the origin, mean centre, standard distance, share in the "
            "western provinces; in JSON also each province reached for the first time in the selected dates "
            "(first_activity) and the farthest west reached to date (reach). The periods' events add up to "
            "`python -m geo summary` for the same selection. "
            "Example: python -m geo spread --group NRF --start 2024-03-01 --end 2025-03-31 --freq Q"
        ),
    )
    add_selection_options(p)
    p.add_argument(
        "--freq",
        default=DEFAULT_FREQ,
        type=str.upper,
        choices=list(FREQS),
        help="period: M (month), Q (quarter, default) or Y (year)",
    )
    p.add_argument(
        "--origin",
        metavar="PCODE",
        help=f"district or province P-code whose label point west_km is measured from (default: {DEFAULT_ORIGIN.name})",
    )
    p.add_argument("--format", choices=("json", "csv"), default="json", help="output format (default json)")
    return p


def run(args: argparse.Namespace) -> int:
    filters = filters_from_args(args)
    origin = origin_from_pcode(args.origin) if args.origin else DEFAULT_ORIGIN
    everything = source_from_args(args).load()
    events = apply_filters(everything, filters)
    history = apply_filters(everything, history_filters(filters))
    metrics = spread_metrics(
        events, freq=args.freq, origin=origin, history=history, start=filters.start, end=filters.end
    )
    records = metrics_records(metrics)
    if args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(METRIC_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for rec in records:
            writer.writerow(
                {k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in rec.items()}
            )
        # The table stays machine-readable; the attribution goes to stderr.
        print(f"# {ATTRIBUTION}", file=sys.stderr)
        return 0
    reports = first_reports(events, history=history, freq=args.freq, filters=filters)
    reach = farthest_west(events, history=history, origin=origin, end=filters.end)
    print_json(
        {
            "periods": records,
            "first_activity": first_reports_records(reports),
            "reach": reach.as_dict() if reach else None,
            "sentence": period_sentence(events, filters=filters),
            "freq": metrics.attrs["freq"],
            "origin": metrics.attrs["origin"],
            "undated_events": metrics.attrs["undated_events"],
            "filters": filters.as_dict(),
            "attribution": ATTRIBUTION,
        }
    )
    return 0
