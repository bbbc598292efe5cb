"""Property-based fuzzing of the readers (issue 14): generated hostile files, the same invariants every time.

For CSV in our schema, ACLED and UCDP GED exports, GeoJSON, free text and raw bytes, Hypothesis
builds files from cells that hold delimiters, quotes, every kind of line break, formula starters
(also fullwidth ``＝``), Dari, NUL and unpaired surrogates (as JSON escapes), numbers like ``1e308``,
impossible dates and times, in UTF-8, UTF-8 with BOM, Windows-1256 or a line-by-line mix of the two.
Whatever arrives, :func:`geo.ingest.ingest` and :func:`geo.events.load_events` must either

- raise :class:`geo.errors.InputError` whose one-line message names the file, or
- return, with rows in = rows out + rows rejected (for a well-formed file, rows in = the rows
  written), each reject naming its own source row once, and outputs that the writers turn into
  CSV files our reader (and the app's loader) reads back row for row.

Each property runs a bounded number of examples (:data:`EXAMPLES`) without deadlines, so the module
takes tens of seconds; Hypothesis' example database is off (nothing is written into the checkout).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from geo.errors import InputError, one_line
from geo.events import load_events
from geo.ingest import ingest, write_result
from geo.schema import EVENT_COLUMNS
from geo.tables import read_csv_table

#: Examples per property; raise it for a longer campaign (``AFGMAP_FUZZ_EXAMPLES=2000``).
EXAMPLES = int(os.environ.get("AFGMAP_FUZZ_EXAMPLES", "30"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Cells a hostile or careless file holds.
SPECIAL = [
    ",", ";", "\t", "|", '"', "'", "\r", "\n", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1e",
    "=", "＝", "﹦", "+", "＋", "-", "－", "@", "＠", '=HYPERLINK("http://evil.example","x")', "=1+1", " @SUM(A1)",
    "\ufeff", "\u200c", "ولسوالی خنج", "پنجشیر", "خنج", "Khinj district", "Herat", "Panjshir", "NRF", "AFF", "ISKP",
    "1e308", "9" * 30, "-3", "2.5", "NaN", "inf", "-inf", "0", "7", "",  " ", "null", "None", "True",
    "2024-06-01", "2024-01-01T25:00", "2024-01-01T23:59", "2024-02-30", "10 December 2025", "1 May 2024",
    "10 Qaws 1404", "2099-01-01", "0001-01-01", "35.4", "69.7", "200", "-91", "AF08", "AF0804", "day", "month",
    "<script>alert(1)</script>", "{{7*7}}", "\\u0000", "\x7f", "\u202e",
]  # fmt: skip

PROJECT = ["event_id", "event_date", "group", "location", "fatalities"]
PROJECT_MORE = ["date_precision", "latitude", "longitude", "admin1", "adm1_pcode", "claim_status", "notes"]
ACLED = ["event_id_cnty", "event_date", "actor1", "actor2", "time_precision", "location", "admin1", "admin2",
         "latitude", "longitude", "geo_precision", "fatalities", "notes"]  # fmt: skip
UCDP = ["id", "date_start", "date_end", "side_a", "side_b", "where_prec", "adm_1", "adm_2", "latitude",
        "longitude", "best", "deaths_a", "deaths_b", "date_prec"]  # fmt: skip

cells = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=12),
    st.lists(st.sampled_from(SPECIAL), min_size=2, max_size=4).map("".join),
)
column_names = st.one_of(st.sampled_from(SPECIAL), st.text(min_size=1, max_size=8))


def _encode_lines(text: str, encoding: str, data) -> bytes:
    """``text`` in one encoding, or line by line in UTF-8 and Windows-1256 (``mixed``)."""
    if encoding in ("utf-8", "utf-8-sig"):
        return text.encode(encoding)
    out = []
    for line in text.splitlines(keepends=True):
        use = "cp1256" if encoding == "cp1256" or data.draw(st.booleans(), label="cp1256 line") else "utf-8"
        try:
            out.append(line.encode(use))
        except UnicodeEncodeError:
            out.append(line.encode("utf-8"))
    return b"".join(out)


@st.composite
def csv_files(draw, base_columns: list[str]) -> tuple[bytes, int]:
    """(file bytes, data rows written) for a well-formed CSV whose header includes ``base_columns``."""
    extra = draw(st.lists(column_names, max_size=3))
    columns = list(dict.fromkeys(base_columns + [c for c in extra if c.strip() and "\x00" not in c]))
    n = draw(st.integers(min_value=0, max_value=6))
    rows = [[draw(cells) for _ in columns] for _ in range(n)]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    buf = io.StringIO()
    # Every field quoted and CRLF between rows: a well-formed file any reader splits the same way.
    writer = csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1256", "mixed"]))
    data = draw(st.data())
    return _encode_lines(buf.getvalue(), encoding, data), n


@st.composite
def rough_csv_files(draw) -> bytes:
    """CSV-like bytes joined naively: unbalanced quotes, ragged rows, bare carriage returns."""
    columns = PROJECT + draw(st.lists(column_names, max_size=2))
    lines = [",".join(columns)]
    for _ in range(draw(st.integers(0, 5))):
        lines.append(",".join(draw(st.lists(cells, min_size=1, max_size=len(columns) + 2))))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return _encode_lines(sep.join(lines) + sep, draw(st.sampled_from(["utf-8", "mixed"])), draw(st.data()))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), cells, st.sampled_from(["\x00", "\ud800"])),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
properties = st.fixed_dictionaries(
    {"event_id": cells, "event_date": cells, "group": cells, "location": cells},
    optional={"fatalities": json_values, "latitude": json_values, "notes": json_values, "x": json_values},
)
geometries = st.one_of(
    st.none(),
    st.fixed_dictionaries({"type": st.just("Point"), "coordinates": st.lists(json_values, max_size=3)}),
    st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "Line", "", "point"]), "coordinates": json_values}),
    json_values,
)
features = st.one_of(
    st.fixed_dictionaries({"type": st.just("Feature"), "properties": properties, "geometry": geometries}),
    st.fixed_dictionaries({"type": st.just("Feature"), "properties": json_values, "geometry": geometries}),
    json_values,
)


@st.composite
def geojson_files(draw) -> tuple[bytes, int]:
    feats = draw(st.lists(features, min_size=1, max_size=6))
    text = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=draw(st.booleans()))
    try:
        return text.encode("utf-8"), len(feats)
    except UnicodeEncodeError:  # a lone surrogate: written as a \u escape, as JSON writers do
        return json.dumps({"type": "FeatureCollection", "features": feats}).encode(), len(feats)


words = st.sampled_from(
    ["NRF", "National Resistance Front", "AFF", "killed", "two", "Taliban", "fighters", "in", "Khinj", "district,",
     "Panjshir", "—", "December 10, 2025", "10 Qaws 1404", "جبهه مقاومت", "کشته", "در ولسوالی خنج", "=1+1", "＝",
     "2024-01-01T25:00", "1e308", "999999999999999999999999999999", "\u2028", "\t", '"', "'"]
)  # fmt: skip


@st.composite
def text_files(draw) -> tuple[bytes, int]:
    paragraphs = draw(st.lists(st.lists(words, min_size=1, max_size=12).map(" ".join), min_size=1, max_size=5))
    paragraphs = [p for p in paragraphs if p.strip()]
    text = "\n\n".join(paragraphs) or "x"
    return text.encode("utf-8"), len(paragraphs) or 1


# --- the invariants ---------------------------------------------------------------------------------------


def check(data: bytes, *, fmt: str, name: str, expected_rows: int | None = None, geocode: bool = False) -> None:
    try:
        result = ingest(data, fmt=fmt, name=name, geocode=geocode)
    except InputError as exc:
        message = one_line(exc)
        assert name in message, message  # names the file, in one line
        event("refused in one line")
        return
    event("read: " + ("some rows rejected" if len(result.rejects) else "no reject"))
    assert result.rows_in == len(result.events) + len(result.rejects)
    if expected_rows is not None:
        assert result.rows_in == expected_rows
    rows = result.rejects["source_row"].tolist()
    assert len(set(rows)) == len(rows) and all(1 <= r <= result.rows_in for r in rows)
    assert (result.rejects["reason"] != "").all()
    with tempfile.TemporaryDirectory() as tmp:
        out, rej = Path(tmp) / "events.csv", Path(tmp) / "rejects.csv"
        write_result(result, out, rej)
        assert len(read_csv_table(out)) == len(result.events)
        assert len(read_csv_table(rej)) == len(result.rejects)
        if len(result.events):
            assert len(load_events(out)) == len(result.events)  # the app reads what ingest wrote


@FUZZ
@given(csv_files(PROJECT + PROJECT_MORE[:3]) | csv_files([" Event_ID ", "EVENT_DATE", "group", "location", "reason"]))
def test_fuzz_project_csv(case):
    data, n = case
    check(data, fmt="auto", name="fuzz.csv", expected_rows=n if n else None)


@FUZZ
@given(csv_files(ACLED))
def test_fuzz_acled_csv(case):
    data, n = case
    check(data, fmt="acled", name="acled.csv", expected_rows=n if n else None)


@FUZZ
@given(csv_files(UCDP))
def test_fuzz_ucdp_csv(case):
    data, n = case
    check(data, fmt="ucdp", name="ucdp.csv", expected_rows=n if n else None)


@FUZZ
@given(geojson_files())
def test_fuzz_geojson(case):
    data, n = case
    check(data, fmt="auto", name="fuzz.geojson", expected_rows=n)


@FUZZ
@given(text_files())
def test_fuzz_free_text(case):
    data, n = case
    check(data, fmt="text", name="reports.txt", expected_rows=n)


@FUZZ
@given(rough_csv_files())
def test_fuzz_rough_csv(data):
    check(data, fmt="auto", name="rough.csv")


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["auto", "project", "geojson", "text"]))
def test_fuzz_raw_bytes(data, fmt):
    check(data, fmt=fmt, name="bytes.csv")


@settings(max_examples=max(5, EXAMPLES // 2), deadline=None, database=None)
@given(csv_files(PROJECT))
def test_fuzz_with_the_geocoder(case):
    """The upload box geocodes: hostile place texts go through the geocoder too."""
    data, n = case
    check(data, fmt="auto", name="placed.csv", expected_rows=n if n else None, geocode=True)


@FUZZ
@given(st.one_of(json_values, st.lists(features, max_size=3)).map(lambda doc: json.dumps(doc).encode()))
def test_fuzz_any_json_document(data):
    check(data, fmt="auto", name="doc.geojson")


@FUZZ
@given(
    st.one_of(
        csv_files(list(EVENT_COLUMNS)).map(lambda c: (c[0], ".csv")),
        csv_files(PROJECT + ["_problem", "source_row", "reason", "needs_review", "is_aggregate"]).map(
            lambda c: (c[0], ".csv")
        ),
        geojson_files().map(lambda c: (c[0], ".geojson")),
    )
)
def test_fuzz_event_files(case):
    """``--events FILE`` and the app's loader: a table of events, or one line naming file, row and field."""
    data, suffix = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"events{suffix}"
        path.write_bytes(data)
        try:
            events = load_events(path)
        except InputError as exc:
            assert "events" in one_line(exc)
            return
        assert "event_id" in events.columns


@pytest.mark.parametrize("fmt", ["project", "acled", "ucdp"])
def test_well_formed_fuzz_files_are_what_they_claim(fmt):
    """The generators are not vacuous: a plain file of each kind is read with every row in."""
    columns = {"project": PROJECT, "acled": ACLED, "ucdp": UCDP}[fmt]
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([columns, ["2024-06-01"] * len(columns)])
    result = ingest(buf.getvalue().encode(), fmt=fmt, name="plain.csv", geocode=False)
    assert result.rows_in == 1 and result.fmt == fmt
