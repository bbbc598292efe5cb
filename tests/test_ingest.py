"""Ingest (geo.ingest, python -m geo ingest): every format, the hostile corpus, rows in = rows out + rejected."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo import settings
from geo.cli import main
from geo.errors import InputError
from geo.events import load_events
from geo.ingest import IngestResult, ingest, write_result
from geo.schema import EVENT_COLUMNS

DATA = Path(__file__).parent / "data" / "ingest"
HOSTILE = DATA / "hostile"
TODAY = dt.date(2026, 1, 1)


def run(path: Path, **kw) -> IngestResult:
    result = ingest(path, today=TODAY, **kw)
    assert result.rows_in == len(result.events) + len(result.rejects)
    assert list(result.events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert {"needs_review", "review_note", "source_row", "reason"} <= set(result.events.columns) | set(
        result.rejects.columns
    )
    return result


@pytest.fixture(scope="module")
def bundled(bundled_events_csv) -> pd.DataFrame:
    return load_events(bundled_events_csv).set_index("event_id")


# --- each format ---------------------------------------------------------------------------


def test_acled_export(bundled):
    src = pd.read_csv(DATA / "acled_sample.csv", dtype=str, keep_default_na=False)
    r = run(DATA / "acled_sample.csv")
    assert r.fmt == "acled" and len(r.events) == len(src) and r.rejects.empty
    ev = r.events
    assert ev["event_id"].tolist() == src["event_id_cnty"].tolist()
    # Built from real rows (notes name them): same group, date, district and province as the bundled event.
    origin = src["notes"].str.extract(r"(DEV-\d+)")[0]
    expected = bundled.loc[origin]
    assert ev["group"].tolist() == expected["group"].tolist()  # incl. the Taliban-first row (DEV-005) -> NRF
    assert ev["event_date"].tolist() == expected["event_date"].tolist()
    assert ev["adm2_pcode"].tolist() == expected["adm2_pcode"].tolist()
    assert ev["geo_precision"].tolist() == src["geo_precision"].astype(int).tolist()
    assert ev["date_precision"].tolist() == src["time_precision"].map({"1": "day", "2": "week", "3": "month"}).tolist()
    assert ev.loc[0, "actor1"] == "Taliban" and ev.loc[0, "group"] == "NRF"


def test_ucdp_ged_export():
    src = pd.read_csv(DATA / "ucdp_ged_sample.csv", dtype=str, keep_default_na=False)
    r = run(DATA / "ucdp_ged_sample.csv")
    assert r.fmt == "ucdp" and len(r.events) == len(src) and r.rejects.empty
    ev = r.events
    assert ev["event_id"].tolist() == ("UCDP-" + src["id"]).tolist()
    assert ev["fatalities"].tolist() == src["best"].astype(int).tolist()
    assert ev["event_date"].dt.strftime("%Y-%m-%d").tolist() == src["date_start"].tolist()
    # where_prec 3 -> district (2), 4 -> province (3), 6 -> coordinates not used, reviewed.
    prec = dict(zip(src["where_prec"], ev["geo_precision"], strict=True))
    assert prec["3"] == 2 and prec["4"] == 3
    province_level = ev[src["where_prec"].eq("4").to_numpy()].iloc[0]
    assert (province_level["adm1_pcode"], province_level["adm2_pcode"]) == ("AF30", "")  # Hilmand, no district
    country_only = ev[src["where_prec"].eq("6").to_numpy()]
    assert country_only["needs_review"].all()
    assert country_only["review_note"].str.contains("where_prec: 6").all()
    # District-level rows keep UCDP's coordinates and land in the district containing them
    # (UCDP's "Yangi Qala district" point lies in the 2018 Khwaja Ghar district: the point wins).
    from geo.join import assign_points

    district = ev[src["where_prec"].eq("3").to_numpy()]
    pts = src[src["where_prec"] == "3"]
    assert district["latitude"].tolist() == pts["latitude"].astype(float).tolist()
    assert (
        district["adm2_pcode"].tolist()
        == assign_points(pts["longitude"].astype(float), pts["latitude"].astype(float))["adm2_pcode"].tolist()
    )


def test_geojson_fixture(bundled):
    doc = json.loads((DATA / "events.geojson").read_text(encoding="utf-8"))
    r = run(DATA / "events.geojson")
    assert r.fmt == "geojson" and len(r.events) == len(doc["features"]) and r.rejects.empty
    for feat, (_, row) in zip(doc["features"], r.events.iterrows(), strict=True):
        lon, lat = feat["geometry"]["coordinates"]
        assert (row["longitude"], row["latitude"]) == (lon, lat)
        assert row["adm2_pcode"] == bundled.loc[row["event_id"], "adm2_pcode"]


def test_export_then_ingest_gives_back_the_same_events(bundled_events_csv):
    from geo.export import events_to_geojson, geojson_bytes
    from geo.filters import Filters, apply_filters

    events = apply_filters(load_events(bundled_events_csv), Filters())
    r = ingest(geojson_bytes(events_to_geojson(events)), name="export.geojson", today=TODAY)
    assert r.rejects.empty
    pd.testing.assert_frame_equal(r.events[events.columns], events.reset_index(drop=True))


def test_bundled_csv_comes_back_unchanged(bundled_events_csv):
    events = load_events(bundled_events_csv)
    r = run(bundled_events_csv)
    assert r.rejects.empty
    pd.testing.assert_frame_equal(r.events[events.columns], events)
    # The aggregates stay aggregates (kept out of maps and counts downstream).
    assert r.events["is_aggregate"].sum() == 4


def test_province_level_rows_get_no_district(bundled_events_csv, bundled):
    """Rows placed only to a province (geo_precision 3) keep no district when placed again from their point."""
    raw = pd.read_csv(bundled_events_csv, dtype=str, keep_default_na=False)
    raw[["adm1_pcode", "adm2_pcode"]] = ""
    r = ingest(raw.to_csv(index=False).encode(), name="unplaced.csv", today=TODAY)
    level3 = r.events[r.events["geo_precision"] == 3]
    assert len(level3) == (bundled["geo_precision"] == 3).sum() > 0
    assert (level3["adm2_pcode"] == "").all()
    assert (level3["adm1_pcode"].to_numpy() == bundled.loc[level3["event_id"], "adm1_pcode"].to_numpy()).all()


def test_source_form_of_the_reported_events_is_geocoded(reported_events_csv, bundled):
    r = run(reported_events_csv)
    n_source = len(pd.read_csv(reported_events_csv, dtype=str))
    assert n_source == 198 and len(r.events) == n_source and r.rejects.empty
    got = r.events.set_index("event_id")["adm1_pcode"]
    assert (got == bundled.loc[got.index, "adm1_pcode"]).mean() > 0.95


@pytest.mark.parametrize("name", ["project_utf8.csv", "project_utf8_bom.csv", "project_cp1256.csv"])
def test_project_csv_encodings(name):
    utf8 = run(DATA / "project_utf8.csv").events
    r = run(DATA / name)
    assert r.fmt == "project" and r.rejects.empty
    assert r.events["event_id"].tolist() == utf8["event_id"].tolist()
    assert r.events["adm2_pcode"].tolist() == utf8["adm2_pcode"].tolist()
    # Same Dari text once the Arabic yeh of the Windows code page is folded.
    fold = {"\u064a": "\u06cc"}
    assert r.events["location"].str.translate(str.maketrans(fold)).tolist() == utf8["location"].tolist()
    assert r.events.columns[0] == "event_id"  # no BOM left in the header


def test_free_text_reports(bundled):
    r = run(DATA / "reports.txt", fmt="text")
    assert r.fmt == "text" and len(r.events) == 5 and len(r.rejects) == 1
    assert r.events["needs_review"].all()
    assert r.rejects.loc[0, "source_row"] == 6
    assert r.rejects.loc[0, "reason"].startswith("text: no date found")
    assert "Khwaja Abdullah Ansari" in r.rejects.loc[0, "text"]
    origin = bundled.loc[["DEV-106", "DEV-097", "DEV-085", "DEV-094", "DEV-083"]]
    assert r.events["group"].tolist() == origin["group"].tolist()
    assert r.events["event_date"].tolist() == origin["event_date"].tolist()
    assert r.events["fatalities"].tolist() == origin["fatalities"].tolist()
    assert r.events["adm2_pcode"].tolist() == origin["adm2_pcode"].tolist()


# --- the hostile corpus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile() -> IngestResult:
    return run(HOSTILE / "bad_rows.csv")


def test_hostile_rows_in_equals_out_plus_rejected(hostile):
    src = pd.read_csv(HOSTILE / "bad_rows.csv", dtype=str, keep_default_na=False)
    assert hostile.rows_in == len(src) == 18
    assert sorted(hostile.events["event_id"].tolist() + hostile.rejects["event_id"].tolist()) == sorted(src["event_id"])


def reason(result: IngestResult, event_id: str) -> str:
    rows = result.rejects[result.rejects["event_id"] == event_id]
    assert len(rows) >= 1, f"{event_id} was not rejected"
    return rows["reason"].iloc[-1]


def note(result: IngestResult, event_id: str) -> str:
    rows = result.events[result.events["event_id"] == event_id]
    assert len(rows) == 1, f"{event_id} is not among the events"
    return rows["review_note"].iloc[0]


def test_hostile_rejects_name_the_field(hostile):
    assert reason(hostile, "H-02") == "event_date: expected a date (YYYY-MM-DD or '10 December 2025'), got '2025-13-45'"
    assert reason(hostile, "H-03").startswith("event_date: expected a date")
    assert reason(hostile, "H-04") == "event_date: 2099-01-01 is in the future (today is 2026-01-01)"
    assert reason(hostile, "H-05") == "event_date: missing"
    assert reason(hostile, "H-08").startswith("latitude: expected a number in decimal degrees, got 'N/A'")
    assert reason(hostile, "H-08").endswith("there is no place text to use instead")
    assert reason(hostile, "H-09") == "fatalities: expected a non-negative integer, got '-3'"
    assert reason(hostile, "H-10") == "fatalities: expected a non-negative integer, got '2.5'"
    assert reason(hostile, "H-11") == "fatalities: expected a non-negative integer, got 'many'"
    assert reason(hostile, "H-01") == "event_id: 'H-01' repeats row 1"
    assert reason(hostile, "H-17").startswith("claim_status: expected one of")
    # Rejects keep the original values and the 1-based row.
    dup = hostile.rejects[hostile.rejects["event_id"] == "H-01"].iloc[0]
    assert (dup["event_date"], dup["source_row"]) == ("2025-11-30", 12)


def test_hostile_doubtful_rows_are_kept_for_review(hostile):
    assert note(hostile, "H-01").startswith("likely duplicate of 'H-12'")
    assert "latitude/longitude: swapped (got latitude 70.8776, longitude 37.0303), fixed" in note(hostile, "H-06")
    swapped = hostile.events.set_index("event_id").loc["H-06"]
    assert (round(swapped["latitude"], 4), round(swapped["longitude"], 4), swapped["adm1_pcode"]) == (
        37.0303,
        70.8776,
        "AF17",
    )
    assert "placed from the text instead" in note(hostile, "H-07")
    assert hostile.events.set_index("event_id").loc["H-07", "adm2_pcode"] == "AF1706"
    assert "(35.69, 51.39) is outside Afghanistan" in note(hostile, "H-15")
    assert "lies in Badakhshan (AF17), not in the stated province Takhar (AF18)" in note(hostile, "H-16")
    assert not hostile.events.set_index("event_id").loc[["H-16"], "needs_review"].eq(False).any()


def test_html_payload_is_kept_as_text(hostile):
    row = hostile.events.set_index("event_id").loc["H-13"]
    assert row["notes"] == "<script>alert('x')</script>"
    assert row["location"].startswith("<img src=x onerror=alert(1)>")
    assert row["adm2_pcode"] == "AF3201"  # the place text after the payload still geocodes


def test_formulas_are_neutralised_in_the_written_csv(hostile, tmp_path):
    write_result(hostile, tmp_path / "out.csv", tmp_path / "rejects.csv")
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False).set_index("event_id")
    row = out.loc["H-14"]
    assert row["actor2"].startswith("'=HYPERLINK(")
    assert row["notes"].startswith("'@SUM(")
    assert (row["source"], row["event_type"]) == ("'+cmd", "'-2+3")
    for col in out.columns:  # nothing left a spreadsheet would run
        assert not out[col].str.match(r"^[=+@\t\r]").any(), col
    assert float(out.loc["H-01", "longitude"]) > 0  # numbers stay numbers
    rejects = pd.read_csv(tmp_path / "rejects.csv", dtype=str, keep_default_na=False)
    assert len(rejects) == len(hostile.rejects)
    assert list(rejects.columns[-2:]) == ["source_row", "reason"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", "is empty"),
        ("blank.csv", "is empty"),
        ("binary.csv", "looks binary"),
        ("utf16.csv", "looks binary"),
        ("unknown_columns.csv", "unknown format"),
        ("not_json.geojson", "not valid JSON"),
        ("polygon.geojson", "expected a GeoJSON FeatureCollection, got 'Polygon'"),
    ],
)
def test_unreadable_inputs_raise_one_line(name, message):
    with pytest.raises(InputError, match=message) as info:
        ingest(HOSTILE / name)
    assert "\n" not in str(info.value)


def test_empty_collections_and_tables():
    with pytest.raises(InputError, match="has no features"):
        ingest(b'{"type": "FeatureCollection", "features": []}', name="none.geojson")
    r = ingest(b"event_id,event_date,group,location\n", name="header-only.csv")
    assert r.counts == {"rows_in": 0, "rows_out": 0, "rows_rejected": 0, "needs_review": 0}


def test_size_limit_is_checked_before_reading():
    size = (DATA / "acled_sample.csv").stat().st_size
    with pytest.raises(InputError, match=f"is {size:,} bytes, over the limit of 1,000 bytes"):
        ingest(DATA / "acled_sample.csv", max_bytes=1000)
    with pytest.raises(InputError, match="over the limit"):
        ingest((DATA / "acled_sample.csv").read_bytes(), max_bytes=1000)
    assert settings.MAX_INPUT_BYTES == 50 * 1024 * 1024


def test_wrong_format_option_is_an_error():
    with pytest.raises(InputError, match="--format ucdp given, but the columns are those of acled"):
        ingest(DATA / "acled_sample.csv", fmt="ucdp")


def test_known_ids_are_rejected(bundled):
    r = ingest(DATA / "project_utf8.csv", today=TODAY, known_ids=bundled.index)
    assert r.events.empty and len(r.rejects) == 5
    assert r.rejects["reason"].str.endswith("is already in the loaded events").all()


def test_non_point_geometry_is_rejected_with_reason():
    doc = json.loads((DATA / "events.geojson").read_text(encoding="utf-8"))
    doc["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[69, 35], [70, 36]]}
    r = ingest(json.dumps(doc).encode(), name="lines.geojson", today=TODAY)
    assert len(r.rejects) == 1 and r.rejects.loc[0, "reason"] == "geometry: expected a Point, got 'LineString'"
    assert json.loads(r.rejects.loc[0, "geometry"])["type"] == "LineString"


def test_semicolon_delimiter_and_input_not_modified(tmp_path):
    src = (DATA / "project_cp1256.csv").read_bytes()
    assert b";" in src.splitlines()[0]
    r = ingest(src, name="upload.csv", today=TODAY)
    assert len(r.events) == 5
    assert (DATA / "project_cp1256.csv").read_bytes() == src


# --- the command ----------------------------------------------------------------------------------


def test_cli_prints_the_three_counts(tmp_path, capsys):
    out, rej = tmp_path / "out.csv", tmp_path / "rejects.csv"
    code = main(
        ["ingest", str(HOSTILE / "bad_rows.csv"), "-o", str(out), "--rejects", str(rej), "--today", "2026-01-01"]
    )
    assert code == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"18 rows in, 8 rows out to {out}, 10 rows rejected to {rej}")
    events = load_events(out)  # the output is a valid event file
    assert len(events) == 8
    assert len(pd.read_csv(rej, dtype=str)) == 10


def test_cli_text_format(tmp_path, capsys):
    out, rej = tmp_path / "out.csv", tmp_path / "rejects.csv"
    assert main(["ingest", str(DATA / "reports.txt"), "--format", "text", "-o", str(out), "--rejects", str(rej)]) == 0
    assert capsys.readouterr().out.startswith("6 rows in, 5 rows out")
    assert next(csv.reader(io.StringIO(rej.read_text(encoding="utf-8")))) == ["text", "source_row", "reason"]


@pytest.mark.parametrize("name", ["empty.csv", "binary.csv", "unknown_columns.csv"])
def test_cli_unreadable_input_exits_non_zero_without_traceback(tmp_path, name):
    out = tmp_path / "out.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "ingest",
            str(HOSTILE / name),
            "-o",
            str(out),
            "--rejects",
            str(tmp_path / "r.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=settings.REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode != 0
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_size_limit(tmp_path, capsys):
    code = main(
        [
            "ingest",
            str(DATA / "acled_sample.csv"),
            "-o",
            str(tmp_path / "o.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "--max-mb",
            "0.001",
        ]
    )
    assert code != 0
    assert "over the limit" in capsys.readouterr().err


# --- the upload box (pages/upload_box.py) -----------------------------------------------------------


def test_reviewed_events_apply_edits_and_drops():
    from pages.upload_box import _reviewed

    result = run(HOSTILE / "bad_rows.csv")
    review = result.events[result.events["needs_review"]].assign(keep=True)
    edited = review[["keep", "event_id", "event_date", "group", "location", "adm1_pcode", "adm2_pcode"]].copy()
    for col in ("latitude", "longitude", "fatalities", "actor2", "review_note"):
        edited[col] = review[col]
    edited["event_date"] = edited["event_date"].dt.date
    edited.loc[edited["event_id"] == "H-15", "keep"] = False  # drop the Tehran point
    edited.loc[edited["event_id"] == "H-16", ["adm1_pcode", "adm2_pcode"]] = ["AF17", "AF1706"]  # accept the point
    kept = _reviewed(result, edited)
    assert "H-15" not in set(kept["event_id"])
    assert len(kept) == len(result.events) - 1
    row = kept.set_index("event_id").loc["H-16"]
    assert (row["adm1_pcode"], row["adm2_pcode"], row["needs_review"]) == ("AF17", "AF1706", False)
    assert row["review_note"].startswith("reviewed in the app: latitude/longitude:")
    # A correction that breaks the schema is refused, not kept.
    edited.loc[edited["event_id"] == "H-01", "group"] = "Martians"
    with pytest.raises(InputError, match="group"):
        _reviewed(result, edited)


def test_session_uploads_join_the_view(bundled_events_csv, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv(settings.EVENTS_ENV, raising=False)
    added = run(DATA / "acled_sample.csv").events
    at = AppTest.from_file(str(settings.REPO_ROOT / "app.py"), default_timeout=120)
    at.run()
    # The Map page's headline: markdown whose parts each sit in a span (they wrap between parts, not inside).
    headline = lambda: next(re.sub(r"<[^>]+>", "", m.value[4:]) for m in at.markdown if m.value.startswith("### "))  # noqa: E731
    before = headline()
    at.session_state["uploaded_events"] = added
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Bring in events" in [s.value for s in at.subheader]
    assert any("10 uploaded events are in this session's view" in i.value for i in at.info)
    shown = at.dataframe[0].value
    assert set(added["event_id"]) <= set(shown["event_id"])
    at.switch_page("pages/map.py").run()
    n_before = int(before.split(" events")[0].replace(",", ""))
    assert headline().startswith(f"{n_before + 10} events")
