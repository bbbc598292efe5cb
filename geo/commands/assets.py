"""``python -m geo fetch-assets``: download, verify and unpack the JS/CSS the maps load (no Node needed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo import settings
from geo.commands.common import positive_number


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "fetch-assets",
        help="fetch the pinned Leaflet/jQuery/Bootstrap/plugin files from the npm registry into static/vendor/",
        description=(
            "Download each npm package pinned in geo/assets_lock.json from the registry named by your npm "
            "configuration (NPM_CONFIG_REGISTRY, registry= in .npmrc, or `npm config get registry`), check its "
            f"sha512 integrity, and unpack the files the maps use into {settings.VENDOR_DIR}. Idempotent: "
            "files already in place are verified, not downloaded again."
        ),
    )
    p.add_argument("--dest", metavar="DIR", help=f"vendor folder (default: {settings.VENDOR_DIR})")
    p.add_argument("--registry", metavar="URL", help="npm registry base URL (default: from your npm configuration)")
    p.add_argument("--force", action="store_true", help="download and unpack again even when the files verify")
    p.add_argument("--verify-only", action="store_true", help="only check what is there; download nothing")
    p.add_argument(
        "--timeout", type=positive_number, default=60.0, help="seconds to wait for the registry (default 60)"
    )
    return p


def run(args: argparse.Namespace) -> int:
    from geo.assets import FETCH_COMMAND, fetch_assets, verify_assets

    dest = Path(args.dest) if args.dest else settings.VENDOR_DIR
    if args.verify_only:
        problems = verify_assets(dest=dest)
        for line in problems:
            print(f"problem: {line}")
        if problems:
            print(f"{len(problems)} problem(s) in {dest}; run `{FETCH_COMMAND}` to repair")
            return 1
        print(f"assets verified in {dest}")
        return 0
    files = fetch_assets(dest=dest, registry=args.registry, force=args.force, timeout=args.timeout)
    problems = verify_assets(dest=dest)
    if problems:
        for line in problems:
            print(f"problem: {line}")
        return 1
    print(f"{len(files)} asset files ready and verified in {dest}")
    return 0
