"""``python -m geo summary``: counts for a selection of events, as JSON."""

from __future__ import annotations

import argparse

from geo.commands.common import add_selection_options, print_json, selected_events
from geo.filters import summarize
from geo.settings import ATTRIBUTION


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "summary",
        help="count events, provinces, districts and fatalities for a selection (JSON)",
        description=(
            "Print JSON with events, provinces, districts, fatalities, start and end for the selected events. "
            "Example: python -m geo summary --group NRF --start 2024-03-01 --end 2025-03-31"
        ),
    )
    add_selection_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    events, filters = selected_events(args)
    result = summarize(events, filters=filters)
    result["attribution"] = ATTRIBUTION
    print_json(result)
    return 0
