"""``python -m geo export -o OUT``: the selected events (or their district/province totals) as GeoJSON or CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.commands.common import add_selection_options, selected_events
from geo.errors import InputError
from geo.tables import write_bytes_atomic


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "export",
        help="write the selected events (or district/province totals) as RFC 7946 GeoJSON or CSV",
        description=(
            "Write the selected events as a GeoJSON FeatureCollection (WGS84 lon/lat, 6 decimals, the filters, "
            "export time and attribution in the collection; events known only to province level have a null "
            "geometry), or as CSV (UTF-8 with BOM, spreadsheet formulas neutralised). With --aggregate, write "
            "district or province polygons with event and fatality totals. Example: "
            "python -m geo export --group NRF --start 2024-03-01 --end 2025-03-31 -o nrf.geojson"
        ),
    )
    add_selection_options(p)
    p.add_argument(
        "--aggregate", choices=("district", "province"), help="totals per district or province (GeoJSON only)"
    )
    p.add_argument(
        "--format", choices=("geojson", "csv"), help="output format (default: from the file ending, else geojson)"
    )
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="file to write (written atomically)")
    return p


def run(args: argparse.Namespace) -> int:
    from geo.export import aggregates_to_geojson, events_to_csv, events_to_geojson, geojson_bytes

    out = Path(args.output)
    fmt = args.format or ("csv" if out.suffix.lower() == ".csv" else "geojson")
    if args.aggregate and fmt == "csv":
        raise InputError("--aggregate writes polygons: expected --format geojson, got csv", field="format")
    events, filters = selected_events(args)
    if args.aggregate:
        collection = aggregates_to_geojson(events, level=args.aggregate, filters=filters)
        data = geojson_bytes(collection)
        what = f"{len(collection['features'])} {args.aggregate}s"
    elif fmt == "csv":
        data = events_to_csv(events)
        what = f"{len(events)} events"
    else:
        collection = events_to_geojson(events, filters=filters)
        data = geojson_bytes(collection)
        n_null = collection["counts"]["features_without_geometry"]
        what = f"{len(events)} events ({n_null} without a point: province-level or unplaced)"
    write_bytes_atomic(data, out)
    print(f"wrote {what} to {out} ({fmt}, {len(data):,} bytes); filters: {filters.describe()}")
    return 0
