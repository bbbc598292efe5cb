"""``python -m geo download-boundaries``: fetch and verify the official boundary files."""

from __future__ import annotations

import argparse
import sys

from geo import settings
from geo.commands.common import positive_number
from geo.download import download_boundaries


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "download-boundaries",
        help="refresh the bundled boundaries from the official OCHA/AGCHO 2018 zips (not a set-up step)",
        description=(
            "The repository already ships the boundaries (data/boundaries/*.parquet); this refreshes them. "
            f"Download {settings.PROVINCES_ZIP} and {settings.DISTRICTS_ZIP}, check their SHA-256 and feature "
            "counts (34 provinces, 399 districts), and write the GeoParquet files the app reads. "
            f"Offline? Copy the two zips into {settings.LOCAL_BOUNDARIES_DIR} and run with --verify-only."
        ),
    )
    p.add_argument("--dest", help=f"target folder (default: {settings.LOCAL_BOUNDARIES_DIR})")
    p.add_argument(
        "--base-url",
        help=f"where the zips are (default: ${settings.BOUNDARIES_URL_ENV}, else {settings.BOUNDARIES_BASE_URL})",
    )
    p.add_argument("--timeout", type=positive_number, default=60.0, help="seconds to wait for the server (default 60)")
    p.add_argument("--force", action="store_true", help="download again even when verified files are present")
    p.add_argument("--verify-only", action="store_true", help="only verify zips placed by hand and unpack them")
    return p


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(name: str, done: int, total: int | None) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(total=total, unit="B", unit_scale=True, desc=name, file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    try:
        paths = download_boundaries(
            dest=Path(args.dest) if args.dest else None,
            base_url=args.base_url,
            timeout=args.timeout,
            force=args.force,
            verify_only=args.verify_only,
            progress=progress,
        )
    finally:
        for bar in bars.values():
            bar.close()
    print(f"boundaries ready in {paths[0].parent}: " + ", ".join(p.name for p in paths))
    print(f"Attribution: {settings.ATTRIBUTION}")
    return 0
