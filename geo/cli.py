"""``python -m geo COMMAND ...``: the command-line interface.

Each command lives in its own module under :mod:`geo.commands` with two
functions, ``add_parser(subparsers)`` and ``run(args) -> int``; register a new
one by adding its module name to :data:`COMMAND_MODULES`. Errors this library
raises on purpose (:class:`geo.errors.AfgMapError`) and unreadable files are
reported in one line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from geo.errors import AfgMapError

#: Command modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "geo.commands.summary",
    "geo.commands.geocode",
    "geo.commands.download",
    "geo.commands.export",
    "geo.commands.assets",
    "geo.commands.spread",
    "geo.commands.build_events",
    "geo.commands.ingest",
    "geo.commands.pipeline",
)

#: Exit code for bad input or a failed operation.
EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="Afghanistan Resistance Map: geocode, summarise and export conflict events.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (AfgMapError, OSError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
