"""``python -m geo pipeline INPUT -o OUT.csv``: ingest, geocode, assign and aggregate a batch, in memory or on dask."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from geo.engine import ENGINES
from geo.errors import InputError
from geo.export import write_spreadsheet_safe
from geo.ingest import FORMATS
from geo.tables import check_distinct_outputs


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "pipeline",
        help="batch: ingest -> geocode -> assign -> aggregate a large event file (memory or dask)",
        description=(
            "Read INPUT (ACLED, UCDP GED, the project's CSV, GeoJSON or free text), validate, geocode and place every "
            "row, write the events to OUT.csv and, with --aggregates, the per-district counts. --engine dask runs it on "
            "a dask.distributed cluster: a LocalCluster on this machine, or your cluster with --scheduler "
            "tcp://HOST:8786 (workers need this package and the boundary and gazetteer files). Both engines give the "
            "same result. Example: python -m geo pipeline acled.csv -o events.csv --aggregates districts.csv "
            "--engine dask --workers 4"
        ),
    )
    p.add_argument("input", metavar="INPUT", help="event file")
    p.add_argument("-o", "--output", metavar="OUT.csv", required=True, help="where to write the events (UTF-8 CSV)")
    p.add_argument("--aggregates", metavar="AGG.csv", help="also write the per-district aggregates here")
    p.add_argument("--rejects", metavar="REJ.csv", help="also write the rejected rows and their reasons here")
    p.add_argument("--engine", choices=ENGINES, default="memory", help="memory (default) or dask")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster)",
    )
    p.add_argument("--workers", type=int, metavar="N", help="LocalCluster workers (default: one per core)")
    p.add_argument("--partitions", type=int, metavar="N", help="pieces the input is split into (dask engine)")
    p.add_argument("--format", dest="fmt", default="auto", choices=FORMATS, help="input format (default: auto-detect)")
    p.add_argument("--progress", action="store_true", help="show progress")
    return p


def run(args: argparse.Namespace) -> int:
    if args.engine == "memory" and (args.scheduler or args.partitions or args.workers):
        raise InputError("--scheduler, --workers and --partitions need --engine dask")
    for opt in ("workers", "partitions"):
        value = getattr(args, opt)
        if value is not None and value < 1:
            raise InputError(f"--{opt}: expected a positive number, got {value}")
    named = {"-o": args.output, "--aggregates": args.aggregates, "--rejects": args.rejects}
    check_distinct_outputs(named)  # before the work, not after
    labels = {path: label for label, path in named.items() if path}
    path = Path(args.input)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    from geo.engine import run_pipeline  # heavy imports only once the input exists

    started = time.perf_counter()
    events, aggregates, rejects = run_pipeline(
        path,
        engine=args.engine,
        scheduler=args.scheduler,
        npartitions=args.partitions,
        workers=args.workers,
        fmt=args.fmt,
        with_rejects=True,
        progress=args.progress,
    )
    outputs = {args.output: events}
    if args.aggregates:
        outputs[args.aggregates] = aggregates
    if args.rejects:
        outputs[args.rejects] = rejects
    write_spreadsheet_safe(outputs, labels=labels)
    review = int(events["needs_review"].sum()) if "needs_review" in events.columns else 0
    print(
        f"{len(events) + len(rejects)} rows in: {len(events)} events to {args.output} ({review} need review), "
        f"{len(rejects)} rejected, {len(aggregates)} districts with events; "
        f"{args.engine} engine, {time.perf_counter() - started:.1f} s"
    )
    return 0
