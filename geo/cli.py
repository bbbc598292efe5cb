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
import os
import signal
import sys
import threading
import traceback

from geo.errors import AfgMapError, one_line

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
    "geo.commands.db",
)

#: Exit code for bad input or a failed operation.
EXIT_ERROR = 2

#: Set to 1 to see the traceback of an unexpected error (a bug) on stderr.
DEBUG_ENV = "AFGMAP_DEBUG"


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit code 2), like every other error."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(EXIT_ERROR, f"error: {self.prog}: {one_line(message)} (see {self.prog} --help)\n")


class Terminated(BaseException):  # noqa: N818 - a signal, not an error
    """SIGTERM arrived: unwinds like Ctrl-C, so writers remove their temporary files."""


def _terminate(signum, frame):
    raise Terminated()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
    parser = OneLineParser(
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
    """Run one command; return its exit code.

    Every failure is one line on stderr, never a traceback: bad input and failed
    operations (exit code 2) name the file, row and field; an unexpected error (a
    bug) says so and prints its traceback only with ``AFGMAP_DEBUG=1``. Ctrl-C
    (130) and SIGTERM (143) unwind, so no temporary file is left behind.
    """
    args = build_parser().parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args._run(args) or 0)
    except (AfgMapError, OSError, UnicodeError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 143
    except (RecursionError, MemoryError) as exc:
        print(f"error: the input is too large or too deeply nested to process ({type(exc).__name__})", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last guard: one line, the traceback on request
        if os.environ.get(DEBUG_ENV) == "1":
            traceback.print_exc()
        print(
            f"error: unexpected {type(exc).__name__}: {one_line(exc, limit=200)} (a bug: please report it; "
            f"{DEBUG_ENV}=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
