"""Hostile input (issue 14) and safe CSV writers (issue 10): the corpus of the issues' exact cases.

Every case is answered, on every command it reaches, either by one line on stderr naming the
file, row and field (exit status 2), or by the row in the rejects with its reason, keeping
rows in = rows out + rows rejected. Never a traceback. The generated files (10 MB cells,
a million columns, GeoJSON nested 100,000 deep) are built in a temporary folder from the
real rows the repository ships; nothing large is committed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from geo import settings
from geo.cli import main
from geo.errors import InputError
from geo.events import load_events
from geo.ingest import ingest, write_result
from geo.tables import (
    MAX_CELL_CHARS,
    read_csv_table,
    remove_stale_temporaries,
    write_files_atomic,
    write_tables_atomic,
)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "ingest"
HEADER = "event_id,event_date,group,location,fatalities\n"
EVENT_COMMANDS = ("summary", "export", "spread")
DARI = "ولسوالی خنج"  # "Khinj district", with the Farsi yeh (U+06CC): not in Windows-1256
DARI_CP1256 = "ولسوالي خنج"  # the same with the Arabic yeh, as Windows Persian files write it


# --- helpers -------------------------------------------------------------------------------------


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``python -m geo ARGV`` in this process; (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_line_error(result: tuple[int, str, str], *fragments: str) -> str:
    code, _, err = result
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "unexpected" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return lines[0]


def event_command(command: str, events: Path, tmp_path: Path) -> list[str]:
    args = [command, "--events", str(events)]
    return args + (["-o", str(tmp_path / "out.geojson")] if command == "export" else [])


def bundled_rows(n: int = 3) -> tuple[list[dict[str, str]], list[str]]:
    """The first ``n`` rows of the bundled events file (real events in the full schema) and its header."""
    with open(settings.DEFAULT_EVENTS_FILE, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [row for _, row in zip(range(n), reader, strict=False)]
        return rows, list(reader.fieldnames or [])


def write_rows(path: Path, rows: list[dict[str, str]], fields: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def events_with(tmp_path: Path, name: str, row: int, **values: str) -> Path:
    """The first three bundled events with data row ``row`` (1-based) changed."""
    rows, fields = bundled_rows(3)
    rows[row - 1].update(values)
    return write_rows(tmp_path / name, rows, fields)


def counts_hold(result) -> None:
    assert result.rows_in == len(result.events) + len(result.rejects)


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


@pytest.fixture(scope="module")
def big_cell(tmp_path_factory) -> Path:
    """Our CSV with an 11 MB place text in data row 2 (over the csv module's 128 KB field limit)."""
    path = tmp_path_factory.mktemp("big") / "big_cell.csv"
    path.write_text(
        HEADER + "B-1,2024-06-01,NRF,Khinj district,2\n" + 'B-2,2024-06-02,NRF,"' + "x" * 11_000_000 + '",1\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Path:
    """A CSV of 10**6 columns (6.9 MB of header)."""
    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(10**6)) + "\n" + ",".join(["1"] * 10**6) + "\n")
    return path


@pytest.fixture(scope="module")
def deep(tmp_path_factory) -> Path:
    """GeoJSON nested 100,000 levels deep (Python's JSON reader raises RecursionError near 1,000)."""
    path = tmp_path_factory.mktemp("deep") / "deep.geojson"
    path.write_text('{"type":"FeatureCollection","features":' + "[" * 100_000 + "]" * 100_000 + "}")
    return path


# --- a text cell of 10 MB or more ------------------------------------------------------------------


def test_10mb_cell_goes_to_the_rejects_naming_its_field(big_cell, tmp_path, capsys):
    result = ingest(big_cell, geocode=False)
    counts_hold(result)
    assert result.events["event_id"].tolist() == ["B-1"]
    assert result.rejects["source_row"].tolist() == [2]
    assert result.rejects["reason"].tolist() == [
        f"location: 11,000,000 characters, more than the {MAX_CELL_CHARS:,} a cell may hold"
    ]
    out, rej = tmp_path / "events.csv", tmp_path / "rejects.csv"
    code, stdout, err = cli(capsys, "pipeline", big_cell, "-o", out, "--rejects", rej)
    assert code == 0 and "2 rows in: 1 events" in stdout and "1 rejected" in stdout, err
    assert read_csv_table(rej)["location"].str.len().tolist() == [11_000_000]  # kept whole, nothing lost


@pytest.mark.parametrize("command", EVENT_COMMANDS)
def test_10mb_cell_in_an_event_file_is_one_line(command, tmp_path, capsys):
    events = events_with(tmp_path, "big_notes.csv", 2, notes="x" * 11_000_000)
    assert_one_line_error(
        cli(capsys, *event_command(command, events, tmp_path)),
        "big_notes.csv: row 2, field 'notes': 11,000,000 characters",
    )


def test_10mb_cell_in_geocode_and_build_events_input_is_one_line(big_cell, tmp_path, capsys):
    assert_one_line_error(
        cli(capsys, "geocode", big_cell, "-o", tmp_path / "o.csv", "--no-progress"),
        "big_cell.csv: row 2, field 'location': 11,000,000 characters",
    )
    rows, fields = [], None
    with open(settings.SOURCE_EVENTS_DIR / "reported_events.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows, fields = [next(reader), next(reader)], list(reader.fieldnames or [])
    rows[1]["notes"] = "y" * 10_500_000
    source = write_rows(tmp_path / "reported_events.csv", rows, fields)
    assert_one_line_error(
        cli(capsys, "build-events", "--source", source, "-o", tmp_path / "built.csv"),
        "reported_events.csv: row 2, field 'notes': 10,500,000 characters",
    )
    assert not (tmp_path / "built.csv").exists()


def test_a_place_text_too_long_to_geocode_is_a_reject_or_one_line(tmp_path, capsys):
    """The geocoder's time grows with the square of a text's length: over 500 characters is not a place."""
    path = tmp_path / "long_place.csv"
    path.write_text(HEADER + "P-1,2024-06-01,NRF,Khinj district,1\n" + f"P-2,2024-06-02,NRF,{'Khinj ' * 100},1\n")
    result = ingest(path)  # geocoded: the long text never reaches the geocoder
    counts_hold(result)
    assert result.rejects["reason"].tolist() == ["location: 600 characters, more than the 500 a place text may hold"]
    assert result.events["adm2_pcode"].tolist() == ["AF0804"]
    assert_one_line_error(
        cli(capsys, "geocode", path, "-o", tmp_path / "o.csv", "--no-progress"),
        "long_place.csv: row 2, field 'location': 600 characters, more than the 500 a place text may hold",
    )


# --- GeoJSON nested 100k deep; malformed features ------------------------------------------------


@pytest.mark.parametrize("command", ["ingest", "pipeline", *EVENT_COMMANDS])
def test_deep_geojson_is_one_line_on_every_command(command, deep, tmp_path, capsys):
    if command in EVENT_COMMANDS:
        argv = event_command(command, deep, tmp_path)
    else:
        argv = [command, deep, "-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.csv"]
    assert_one_line_error(cli(capsys, *argv), "deep.geojson: JSON nested 100,001 levels deep, more than the 64")
    assert not (tmp_path / "o.csv").exists()


def _feature(event: dict[str, object]) -> dict[str, object]:
    return {"type": "Feature", "geometry": None, "properties": event}


@pytest.mark.parametrize(
    ("bad", "field", "what"),
    [
        (1, "feature", "expected a GeoJSON Feature object, got int"),
        ("x", "feature", "expected a GeoJSON Feature object, got str"),
        (None, "feature", "expected a GeoJSON Feature object, got NoneType"),
        ({"type": "Feature", "properties": [1, 2]}, "properties", "expected an object, got list"),
    ],
)
@pytest.mark.parametrize("command", EVENT_COMMANDS)
def test_malformed_features_in_events_name_row_and_field(command, bad, field, what, tmp_path, capsys):
    rows, _ = bundled_rows(1)
    path = tmp_path / "malformed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature(rows[0]), bad]}))
    assert_one_line_error(
        cli(capsys, *event_command(command, path, tmp_path)), f"malformed.geojson: row 2, field '{field}': {what}"
    )


def test_malformed_features_in_ingest_are_rejects(tmp_path):
    good = {"event_id": "G-1", "event_date": "2024-06-01", "group": "NRF", "location": "Khinj district"}
    features = [
        _feature(good),
        7,
        {"type": "Feature", "properties": ["a"], "geometry": None},
        {**_feature({**good, "event_id": "G-4"}), "geometry": {"type": "Polygon", "coordinates": []}},
        _feature({**good, "event_id": "G-5", "notes": "a\u0000b"}),
        _feature({**good, "event_id": "G-6", "notes": "\ud800"}),
    ]
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = ingest(path, geocode=False)
    counts_hold(result)
    assert result.rows_in == 6 and result.events["event_id"].tolist() == ["G-1"]
    reasons = dict(zip(result.rejects["source_row"], result.rejects["reason"], strict=True))
    assert reasons[2].startswith("feature: expected a GeoJSON Feature object, got a number")
    assert reasons[3].startswith("properties: expected an object, got an array")
    assert reasons[4].startswith("geometry: expected a Point, got 'Polygon'")
    assert reasons[5].startswith("notes: holds a NUL character or an unpaired surrogate")
    assert reasons[6].startswith("notes: holds a NUL character or an unpaired surrogate")
    write_result(result, tmp_path / "o.csv", tmp_path / "r.csv")  # the rejects stay writable text
    assert len(read_csv_table(tmp_path / "r.csv")) == 5


def test_geojson_of_only_malformed_features_is_one_line(tmp_path, capsys):
    path = tmp_path / "junk.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [1, "x", None]}))
    assert_one_line_error(
        cli(capsys, "ingest", path, "-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.csv"),
        "junk.geojson: row 1, field 'feature': no usable feature (expected a GeoJSON Feature object",
    )


# --- --max-mb nan; a million columns -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "fifty"])
def test_max_mb_must_be_a_positive_number(value, tmp_path, capsys):
    argv = ["ingest", DATA / "acled_sample.csv", "-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.csv"]
    assert_one_line_error(
        cli(capsys, *argv, f"--max-mb={value}"), f"argument --max-mb: expected a positive number, got '{value}'"
    )


def test_a_million_columns_is_one_line_on_every_command(wide, tmp_path, capsys):
    message = "wide.csv: the header (row 0) has 1,000,000 columns, more than the 1,000"
    for argv in (
        ["ingest", wide, "-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.csv"],
        ["pipeline", wide, "-o", tmp_path / "o.csv"],
        ["geocode", wide, "-o", tmp_path / "o.csv", "--no-progress"],
        ["build-events", "--source", wide, "-o", tmp_path / "o.csv"],
        *(event_command(c, wide, tmp_path) for c in EVENT_COMMANDS),
    ):
        assert_one_line_error(cli(capsys, *argv), message)
    assert not (tmp_path / "o.csv").exists()


# --- fatalities 1e308 or 30 nines ----------------------------------------------------------------------


def test_huge_fatalities_go_to_the_rejects_with_their_row(tmp_path, capsys):
    path = tmp_path / "fatal.csv"
    path.write_text(
        HEADER
        + "F-1,2024-06-01,NRF,Khinj district,2\n"
        + "F-2,2024-06-02,NRF,Khinj district,1e308\n"
        + f"F-3,2024-06-03,NRF,Khinj district,{'9' * 30}\n"
        + "F-4,2024-06-04,NRF,Khinj district,3\n"
    )
    result = ingest(path, geocode=False)
    counts_hold(result)
    assert result.events["event_id"].tolist() == ["F-1", "F-4"]
    assert result.events["fatalities"].tolist() == [2, 3]
    assert result.rejects["source_row"].tolist() == [2, 3]
    assert result.rejects["reason"].tolist() == [
        "fatalities: expected at most 100,000, got '1e308'",
        f"fatalities: expected at most 100,000, got '{'9' * 30}'",
    ]
    code, out, err = cli(capsys, "ingest", path, "-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.csv")
    assert code == 0 and "4 rows in, 2 rows out" in out and "2 rows rejected" in out, err


def test_huge_ucdp_deaths_go_to_the_rejects(tmp_path):
    table = pd.read_csv(DATA / "ucdp_ged_sample.csv", dtype=str, keep_default_na=False).head(3)
    table.loc[1, "best"] = "1e308"
    table.loc[2, ["best", "deaths_a", "deaths_b"]] = ["", "1e308", "1e308"]  # their sum is inf
    path = tmp_path / "ucdp.csv"
    table.to_csv(path, index=False)
    result = ingest(path, geocode=False)
    counts_hold(result)
    assert result.rejects["source_row"].tolist() == [2, 3]
    assert all(r.startswith("fatalities: expected") for r in result.rejects["reason"])


@pytest.mark.parametrize("value", ["1e308", "9" * 30])
@pytest.mark.parametrize("command", EVENT_COMMANDS)
def test_huge_fatalities_in_an_event_file_name_row_and_field(command, value, tmp_path, capsys):
    events = events_with(tmp_path, "fatal_events.csv", 3, fatalities=value)
    assert_one_line_error(
        cli(capsys, *event_command(command, events, tmp_path)),
        f"fatal_events.csv: row 3, field 'fatalities': expected a whole number, got '{value}'",
    )


# --- UTF-8 and Windows-1256 lines in one file ---------------------------------------------------------


def test_mixed_utf8_and_cp1256_lines_keep_the_dari(tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        HEADER.encode()
        + f"M-1,2024-06-01,NRF,{DARI},2\n".encode()
        + f"M-2,2024-06-02,NRF,{DARI_CP1256},1\n".encode("cp1256")
        + f"M-3,2024-06-03,NRF,{DARI},1\n".encode()
    )
    result = ingest(path, geocode=False)
    assert result.events["location"].tolist() == [DARI, DARI_CP1256, DARI]
    # The app's own event files and the geocoder's input too.
    rows, fields = bundled_rows(2)
    rows[0]["location"], rows[1]["location"] = DARI, DARI_CP1256
    events = tmp_path / "mixed_events.csv"
    events.write_bytes(
        (",".join(fields) + "\n").encode()
        + _csv_line(rows[0], fields).encode("utf-8")
        + _csv_line(rows[1], fields).encode("cp1256", errors="strict")
    )
    assert load_events(events)["location"].tolist() == [DARI, DARI_CP1256]
    code, _, err = cli(capsys, "geocode", path, "-o", tmp_path / "g.csv", "--no-progress")
    assert code == 0, err
    coded = read_csv_table(tmp_path / "g.csv")
    assert coded["location"].tolist() == [DARI, DARI_CP1256, DARI]
    assert set(coded["adm2_pcode"]) == {"AF0804"}  # Khinj, Panjshir: read, not garbled


def _csv_line(row: dict[str, str], fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row[f] for f in fields])
    return buf.getvalue()


# --- 2024-01-01T25:00 ------------------------------------------------------------------------------


def test_hour_25_is_not_a_date(tmp_path, capsys):
    path = tmp_path / "hours.csv"
    path.write_text(
        HEADER
        + "T-1,2024-01-01T25:00,NRF,Khinj district,1\n"
        + "T-2,2024-01-01T23:59,NRF,Khinj district,1\n"
        + "T-3,2024-01-01T10:60,NRF,Khinj district,1\n"
    )
    result = ingest(path, geocode=False)
    counts_hold(result)
    assert result.events["event_id"].tolist() == ["T-2"]
    assert result.rejects["reason"].tolist() == [
        "event_date: expected a date with a valid time (00:00 to 23:59:59), got '2024-01-01T25:00'",
        "event_date: expected a date with a valid time (00:00 to 23:59:59), got '2024-01-01T10:60'",
    ]
    events = events_with(tmp_path, "hour25.csv", 2, event_date="2024-01-01T25:00")
    assert_one_line_error(
        cli(capsys, "summary", "--events", events), "hour25.csv: row 2, field 'event_date': expected a date"
    )


# --- formulas: fullwidth ＝ and the others; geocode and pipeline outputs --------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "＝1+1", "﹦1+1", " @SUM(A1)", "＋1", "－1+cmd", "\t=1"]


def _formula_cells(path: Path) -> list[str]:
    return [cell for row in csv.reader(open(path, encoding="utf-8-sig", newline="")) for cell in row]


def _assert_neutralised(path: Path) -> None:
    cells = _formula_cells(path)
    for formula in FORMULAS:
        assert formula not in cells, (formula, path.name)
        assert "'" + formula in cells, (formula, path.name)


def test_formula_starters_are_neutralised_in_every_output(tmp_path, capsys):
    path = tmp_path / "formulas.csv"
    rows = [
        {"event_id": f"X-{i}", "event_date": "2024-06-01", "group": "NRF", "location": f, "fatalities": "1"}
        for i, f in enumerate(FORMULAS)
    ]
    rows.append({"event_id": "X-bad", "event_date": "soon", "group": "NRF", "location": FORMULAS[0], "fatalities": ""})
    write_rows(path, rows, list(rows[0]))
    out, rej = tmp_path / "o.csv", tmp_path / "r.csv"
    assert cli(capsys, "ingest", path, "-o", out, "--rejects", rej, "--no-geocode")[0] == 0
    _assert_neutralised(out)
    assert "'" + FORMULAS[0] in _formula_cells(rej)
    assert cli(capsys, "pipeline", path, "-o", tmp_path / "p.csv", "--rejects", tmp_path / "pr.csv")[0] == 0
    _assert_neutralised(tmp_path / "p.csv")
    assert "'" + FORMULAS[0] in _formula_cells(tmp_path / "pr.csv")
    assert cli(capsys, "geocode", path, "-o", tmp_path / "g.csv", "--no-progress")[0] == 0
    _assert_neutralised(tmp_path / "g.csv")
    # The export of events whose notes hold them.
    base, fields = bundled_rows(1)
    events = write_rows(
        tmp_path / "ev.csv", [{**base[0], "event_id": f"E-{i}", "notes": f} for i, f in enumerate(FORMULAS)], fields
    )
    assert cli(capsys, "export", "--events", events, "--format", "csv", "-o", tmp_path / "e.csv")[0] == 0
    _assert_neutralised(tmp_path / "e.csv")


# --- the CSV writers (issue 10): quoting, one file named twice, all or nothing, temporaries, modes --------


def test_carriage_return_in_a_cell_is_quoted_and_reads_back(tmp_path):
    rows, fields = bundled_rows(3)
    rows[1]["notes"] = "first line\rsecond line"
    rows[2]["notes"] = "a\u2028b"
    events = load_events(write_rows(tmp_path / "in.csv", rows, fields))
    saved = tmp_path / "saved.csv"
    write_tables_atomic({saved: events})
    raw = saved.read_bytes()
    assert b'"first line\rsecond line"' in raw and '"a\u2028b"'.encode() in raw
    again = load_events(saved)  # the app's next session reads the saved file: same rows, same text
    assert again["notes"].tolist() == events["notes"].tolist()
    assert len(pd.read_csv(saved, dtype=str, keep_default_na=False, engine="python")) == 3  # any reader agrees


def test_ingest_output_with_carriage_returns_reads_back(tmp_path):
    path = tmp_path / "cr.csv"
    path.write_text(HEADER + 'C-1,2024-06-01,NRF,"Khinj\rdistrict",1\nC-2,soon,NRF,"x\ry",1\n', newline="")
    result = ingest(path, geocode=False)
    write_result(result, tmp_path / "o.csv", tmp_path / "r.csv")
    assert read_csv_table(tmp_path / "o.csv")["location"].tolist() == ["Khinj\rdistrict"]
    assert read_csv_table(tmp_path / "r.csv")["location"].tolist() == ["x\ry"]


@pytest.mark.parametrize("how", ["same", "other path", "symlink", "hard link"])
def test_output_and_rejects_naming_one_file_are_refused(how, tmp_path, capsys):
    out = tmp_path / "events.csv"
    out.write_text("old events\n")
    other = {
        "same": out,
        "other path": tmp_path / "sub" / ".." / "events.csv",
        "symlink": tmp_path / "link.csv",
        "hard link": tmp_path / "hard.csv",
    }[how]
    (tmp_path / "sub").mkdir()
    if how == "symlink":
        other.symlink_to(out)
    if how == "hard link":
        os.link(out, other)
    argv = ["ingest", DATA / "acled_sample.csv", "-o", out, "--rejects", other, "--no-geocode"]
    assert_one_line_error(cli(capsys, *argv), "-o and --rejects name the same file", "expected two different files")
    assert out.read_text() == "old events\n"
    assert temporaries(tmp_path) == []
    with pytest.raises(InputError, match="name the same file"):
        write_result(ingest(DATA / "acled_sample.csv", geocode=False), out, other)
    pipeline = [
        "pipeline",
        DATA / "acled_sample.csv",
        "-o",
        tmp_path / "p.csv",
        "--aggregates",
        out,
        "--rejects",
        other,
    ]
    assert_one_line_error(cli(capsys, *pipeline), "--aggregates and --rejects name the same file")
    assert not (tmp_path / "p.csv").exists()


def test_writes_are_all_or_nothing(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("old a\n")
    b.write_text("old b\n")

    def fails(fh):
        fh.write(b"half of b")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_files_atomic({a: lambda fh: fh.write(b"new a\n"), b: fails})
    assert (a.read_text(), b.read_text()) == ("old a\n", "old b\n")
    assert temporaries(tmp_path) == []
    # Through the command: the rejects target is a folder, so the events file is not written either.
    (tmp_path / "folder").mkdir()
    argv = ["ingest", DATA / "acled_sample.csv", "-o", a, "--rejects", tmp_path / "folder", "--no-geocode"]
    assert_one_line_error(cli(capsys, *argv), "is a folder, expected a file name")
    assert a.read_text() == "old a\n" and temporaries(tmp_path) == []


_CHILD = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path
    from geo.cli import _terminate
    from geo.tables import write_files_atomic

    signal.signal(signal.SIGTERM, _terminate)  # as python -m geo does
    a, b, ready = map(Path, sys.argv[1:4])

    def slow(fh):
        fh.write(b"new b, first half\\n")
        ready.write_text("writing b")
        time.sleep(60)

    write_files_atomic({a: lambda fh: fh.write(b"new a\\n"), b: slow})
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_write_changes_nothing_and_leaves_no_temporary(sig, tmp_path):
    a, b, ready = tmp_path / "events.csv", tmp_path / "rejects.csv", tmp_path / "ready"
    a.write_text("old events\n")
    b.write_text("old rejects\n")
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(a), str(b), str(ready)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the writer never started"
        assert len(temporaries(tmp_path)) == 2  # both files staged, neither replaced
        child.send_signal(sig)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert (a.read_text(), b.read_text()) == ("old events\n", "old rejects\n")
    if sig == signal.SIGTERM:
        assert temporaries(tmp_path) == []  # removed on the way out
    else:
        # A hard kill cannot clean up: the next write to those files removes what the dead writer left.
        assert len(temporaries(tmp_path)) == 2
        assert len(remove_stale_temporaries(a)) == 1
        write_files_atomic({b: lambda fh: fh.write(b"newer rejects\n")})
        assert temporaries(tmp_path) == [] and b.read_text() == "newer rejects\n"


def test_a_replaced_file_keeps_its_mode(tmp_path, capsys):
    out, rej = tmp_path / "events.csv", tmp_path / "rejects.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    code, _, err = cli(capsys, "ingest", DATA / "acled_sample.csv", "-o", out, "--rejects", rej, "--no-geocode")
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(rej.stat().st_mode) == 0o666 & ~umask  # a new file: as open() would make it


def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    target, link = tmp_path / "real.csv", tmp_path / "link.csv"
    target.write_text("old\n")
    link.symlink_to(target)
    write_tables_atomic({link: pd.DataFrame({"a": ["new"]})})
    assert link.is_symlink() and target.read_text() == "a\nnew\n"


# --- every command: unexpected failures and argument errors are one line too ----------------------------


def test_argument_errors_are_one_line(capsys):
    assert_one_line_error(cli(capsys, "spread", "--freq", "X"), "argument --freq: invalid choice: 'X'")
    assert_one_line_error(cli(capsys, "summary", "--start", "2024-99-01"), "start: expected a date YYYY-MM-DD")


def test_an_unexpected_error_is_one_line_and_the_traceback_is_on_request(monkeypatch, capsys):
    import geo.commands.summary

    def boom(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(geo.commands.summary, "selected_events", boom)
    code, _, err = cli(capsys, "summary")
    assert code == 2 and err.strip().splitlines() == [
        "error: unexpected KeyError: 'a bug' (a bug: please report it; AFGMAP_DEBUG=1 shows the traceback)"
    ]
    monkeypatch.setenv("AFGMAP_DEBUG", "1")
    code, _, err = cli(capsys, "summary")
    assert code == 2 and "Traceback" in err and err.strip().splitlines()[-1].startswith("error: unexpected KeyError")


# --- uploads: the server's limit, and one line in the upload box ------------------------------------------


def test_the_servers_upload_limit_is_the_apps():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == settings.MAX_INPUT_MB
    assert settings.MAX_INPUT_BYTES == settings.MAX_INPUT_MB * 1024 * 1024
    assert config["client"]["showErrorDetails"] == "none"  # a missed exception shows no traceback either


def _data_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params["basemap"] = "none"
    at.run()
    return at.switch_page("pages/data.py").run()


def _upload(at, name: str, data: bytes):
    at.get("file_uploader")[0].upload(name, data, "application/octet-stream")
    return at.run()


HOSTILE_UPLOADS = {
    "deep.geojson": ('{"type":"FeatureCollection","features":' + "[" * 100_000 + "]" * 100_000 + "}").encode(),
    "junk.geojson": json.dumps({"type": "FeatureCollection", "features": [1, "x", None]}).encode(),
    "wide.csv": (",".join(f"c{i}" for i in range(10**6)) + "\n").encode(),
    "binary.csv": (DATA / "hostile" / "binary.csv").read_bytes(),
    "ragged.csv": (HEADER + "R-1,2024-06-01,NRF,Khinj,1,extra\n").encode(),
}


@pytest.fixture(scope="module")
def data_page():
    at = _data_page()
    assert not at.exception and not at.error
    return at


@pytest.mark.parametrize("name", list(HOSTILE_UPLOADS))
def test_a_hostile_upload_shows_one_line_and_no_traceback(name, data_page, caplog, monkeypatch):
    monkeypatch.delenv(settings.EVENTS_ENV, raising=False)
    at = _upload(data_page, name, HOSTILE_UPLOADS[name])
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    message = error.value
    assert message.startswith(f"This file cannot be read: {name}")
    assert "\n" not in message and "Traceback" not in message and 'File "' not in message
    assert str(REPO) not in message and "/tmp" not in message and "site-packages" not in message
    assert any(name in r.getMessage() for r in caplog.records if r.name.startswith("geo"))  # logged server-side


def test_a_10mb_cell_upload_lists_the_row_in_the_rejects(data_page, big_cell):
    at = _upload(data_page, "big_cell.csv", big_cell.read_bytes())
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("2 rows in · 1 events · 1 rejected" in m.value for m in at.markdown)


def test_an_unexpected_page_failure_shows_a_reference_and_logs_the_traceback(monkeypatch, caplog):
    import geo.filters

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail in /srv/afgmap/private.csv")

    at = _data_page()
    monkeypatch.setattr(geo.filters, "headline", boom)
    caplog.set_level(logging.ERROR, logger="geo")
    at.run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Unexpected error \\(reference ") and "secret" not in error.value
    logged = [r for r in caplog.records if r.name == "geo.app" and r.exc_info]
    assert logged and "secret detail" in str(logged[0].exc_info[1])


def test_carriage_returns_survive_the_dask_engines_pieces(tmp_path):
    """The dask engine cuts the file into CSV pieces: a cell's carriage return must stay inside its row."""
    from geo.engine import run_pipeline

    path = tmp_path / "cr.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["event_id", "event_date", "group", "location", "fatalities", "notes"])
        for i in range(9):
            writer.writerow([f"C-{i}", f"2024-06-0{i + 1}", "NRF", "Khinj district", i, "a\rb" if i % 2 else "x\ny"])
    memory, agg_m, rej_m = run_pipeline(path, with_rejects=True)
    dask, agg_d, rej_d = run_pipeline(path, engine="dask", workers=1, npartitions=3, processes=False, with_rejects=True)
    assert len(memory) == len(dask) == 9 and rej_m.empty and rej_d.empty
    assert dask["notes"].tolist() == memory["notes"].tolist() == ["x\ny", "a\rb"] * 4 + ["x\ny"]
    assert agg_d.equals(agg_m)


def test_timeouts_must_be_positive_numbers(capsys):
    assert_one_line_error(cli(capsys, "fetch-assets", "--timeout", "nan"), "argument --timeout: expected a positive")
    assert_one_line_error(
        cli(capsys, "download-boundaries", "--timeout", "-1"), "argument --timeout: expected a positive"
    )


def test_a_bad_events_file_is_named_in_the_page_without_the_servers_folders(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    bad = tmp_path / "private_folder" / "events.csv"
    bad.parent.mkdir()
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    monkeypatch.setenv(settings.EVENTS_ENV, str(bad))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180).run()
    assert not at.exception
    (error,) = at.error
    assert (
        "events.csv looks binary" in error.value and "private" not in error.value and str(tmp_path) not in error.value
    )


def test_db_import_answers_the_same_way(big_cell, deep, wide, tmp_path, capsys):
    """``python -m geo db import`` reads with the ingest rules: the same one line, or the same rejects."""
    database = ["db", "--database", f"sqlite:///{tmp_path / 'events.sqlite'}"]
    assert cli(capsys, *database, "init", "--empty")[0] == 0
    for path, message in ((deep, "deep.geojson: JSON nested 100,001 levels deep"), (wide, "(row 0) has 1,000,000")):
        assert_one_line_error(cli(capsys, *database, "import", path, "--user", "fuzz"), message)
    fatal = tmp_path / "fatal.csv"
    fatal.write_text(HEADER + "D-1,2024-06-01,NRF,Khinj district,2\nD-2,2024-06-02,NRF,Khinj district,1e308\n")
    for path in (fatal, big_cell):
        rejects = tmp_path / f"{path.stem}_rejects.csv"
        code, out, err = cli(capsys, *database, "import", path, "--user", "fuzz", "--rejects", rejects)
        assert code == 0 and "2 rows in, 1 events added, 1 rejected" in out, (out, err)
        assert read_csv_table(rejects)["source_row"].tolist() == ["2"]
