"""``python -m geo geocode IN.csv -o OUT.csv``: add province and district columns to a CSV of place texts."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.errors import InputError
from geo.export import write_spreadsheet_safe
from geo.tables import check_cell_sizes, read_csv_table
from geo.validate import MAX_PLACE_CHARS


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "geocode",
        help="geocode the place texts of a CSV to district and province",
        description=(
            "Read IN.csv and write OUT.csv with every input row and column kept, in order, plus adm1_pcode, "
            "admin1, adm2_pcode, admin2, latitude, longitude, geo_precision, geocode_status, "
            "geocode_candidates and geocode_note. An input column whose name collides with one of these is "
            "kept as input_<name>."
        ),
    )
    p.add_argument(
        "input", metavar="IN.csv", help="CSV file (UTF-8, UTF-8 with BOM or Windows-1256; delimiter sniffed)"
    )
    p.add_argument("-o", "--output", metavar="OUT.csv", required=True, help="where to write the result (UTF-8)")
    p.add_argument("--text-column", default="location", help="column with the place text (default: location)")
    p.add_argument("--admin1-column", help="optional column with a province name, used as context")
    p.add_argument("--admin2-column", help="optional column with a district name, used as context")
    p.add_argument("--lat-column", help="optional latitude column (decimal degrees)")
    p.add_argument("--lon-column", help="optional longitude column (decimal degrees)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def run(args: argparse.Namespace) -> int:
    frame = read_csv_table(Path(args.input))
    check_cell_sizes(frame, name=args.input)
    from geo.geocode import geocode  # heavy import: only once the input is readable

    for opt in ("text_column", "admin1_column", "admin2_column", "lat_column", "lon_column"):
        col = getattr(args, opt)
        if col and col not in frame.columns:
            raise InputError(
                f"{args.input}: no column {col!r} (--{opt.replace('_', '-')}); columns are {list(frame.columns)}",
                field=col,
            )
    places = [c for c in (args.text_column, args.admin1_column, args.admin2_column) if c]
    check_cell_sizes(frame[places], name=args.input, limit=MAX_PLACE_CHARS, what="a place text")
    out = geocode(
        frame,
        text_column=args.text_column,
        admin1_column=args.admin1_column,
        admin2_column=args.admin2_column,
        lat_column=args.lat_column,
        lon_column=args.lon_column,
        progress=not args.no_progress,
    )
    numbers = tuple(c for c in (args.lat_column, args.lon_column) if c)
    write_spreadsheet_safe({args.output: out}, labels={args.output: "-o"}, numeric_columns=numbers)
    counts = out["geocode_status"].value_counts()
    print(
        f"{len(frame)} rows in, {len(out)} rows out to {args.output}: "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("matched", "ambiguous", "unresolved"))
    )
    return 0
