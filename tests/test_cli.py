"""The command line: --help everywhere, one-line errors for bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from geo import settings
from geo.cli import COMMAND_MODULES, build_parser, main


def test_every_command_has_help(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # the registered sub-commands
    assert len(commands) == len(COMMAND_MODULES)
    for name in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert "usage: python -m geo " + name in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02PK\x03\x04binary", "looks binary"),
        (b"place,date\nKabul,2024-01-01\n", "no column 'location' (--text-column); columns are ['place', 'date']"),
    ],
)
def test_geocode_bad_input_is_one_line(tmp_path, capsys, content, message):
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    code = main(["geocode", str(src), "-o", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()


def test_geocode_missing_file(tmp_path, capsys):
    assert main(["geocode", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_module_entry_point_runs_without_traceback(tmp_path):
    """``python -m geo`` as users call it, in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "geo", "summary", "--events", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        cwd=settings.REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: event path") and "Traceback" not in proc.stderr


def test_ragged_csv_names_the_row(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("location,date\nKabul,2024-01-01\nHerat,2024-01-02,extra\n", encoding="utf-8")
    assert main(["geocode", str(src), "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("is not a readable CSV: row 2 has 3 fields, the header has 2")
