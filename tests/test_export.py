"""GeoJSON and CSV export of the real events, in Python and from the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pandas as pd
import pytest

from geo import settings
from geo.cli import main
from geo.events import load_events
from geo.export import aggregates_to_geojson, events_to_csv, events_to_geojson, geojson_bytes, neutralize_cell
from geo.filters import Filters, apply_filters, summarize
from geo.schema import EVENT_COLUMNS

AFG_BBOX = (60.4, 29.3, 75.0, 38.5)  # lon/lat
NRF_2024 = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return load_events()


def _positions(geometry):
    """Every [lon, lat] position of a geometry."""
    coords = geometry["coordinates"]
    stack = [coords]
    while stack:
        item = stack.pop()
        if item and isinstance(item[0], (int, float)):
            yield item
        else:
            stack.extend(item)


def _decimals(x: float) -> int:
    return max(0, -Decimal(repr(x)).as_tuple().exponent)


def _check_rfc7946(fc: dict) -> None:
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    for feature in fc["features"]:
        assert feature["type"] == "Feature" and set(feature) == {"type", "geometry", "properties"}
        if feature["geometry"] is None:
            continue
        for lon, lat in _positions(feature["geometry"]):
            assert AFG_BBOX[0] <= lon <= AFG_BBOX[2] and AFG_BBOX[1] <= lat <= AFG_BBOX[3], (lon, lat)
            assert _decimals(lon) <= 6 and _decimals(lat) <= 6


@pytest.mark.parametrize("filters", [Filters(), NRF_2024, Filters(groups=("AFF", "ISKP"))], ids=str)
def test_event_geojson_round_trips_and_counts_match_summarize(events, filters):
    selected = apply_filters(events, filters)
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    fc = json.loads(geojson_bytes(events_to_geojson(selected, filters=filters, exported_at=when)))
    _check_rfc7946(fc)
    summary = summarize(selected, filters=filters)
    assert len(fc["features"]) == summary["events"]
    for key in ("events", "provinces", "districts", "fatalities", "province_level_events"):
        assert fc["counts"][key] == summary[key]
    assert fc["filters"] == filters.as_dict()
    assert fc["exported_at"] == "2026-01-02T03:04:05Z"
    assert fc["attribution"] == settings.ATTRIBUTION and fc["source"]
    props = fc["features"][0]["properties"]
    assert list(props)[: len(EVENT_COLUMNS)] == list(EVENT_COLUMNS)
    assert all(len(f["properties"]["event_date"]) == 10 for f in fc["features"])


def test_points_are_lon_lat_and_province_level_events_have_no_point(events):
    selected = apply_filters(events, Filters())
    fc = events_to_geojson(selected)
    by_id = {f["properties"]["event_id"]: f for f in fc["features"]}
    placed = selected[(selected["adm2_pcode"] != "") & selected["latitude"].notna()].iloc[0]
    point = by_id[placed["event_id"]]["geometry"]
    assert point == {"type": "Point", "coordinates": [round(placed["longitude"], 6), round(placed["latitude"], 6)]}
    assert 60 < point["coordinates"][0] < 75 and 29 < point["coordinates"][1] < 39  # lon first
    row = selected[(selected["adm2_pcode"] == "") & (selected["adm1_pcode"] != "")].iloc[0]
    level = by_id[row["event_id"]]  # known only to its province, though the file has coordinates for it
    assert level["geometry"] is None
    assert level["properties"]["adm1_pcode"] == row["adm1_pcode"] and level["properties"]["geo_precision"] == 3
    assert level["properties"]["adm2_pcode"] is None  # empty values travel as null
    n_null = sum(f["geometry"] is None for f in fc["features"])
    assert n_null == fc["counts"]["features_without_geometry"] == summarize(selected)["province_level_events"]


def test_district_aggregates_are_polygons_with_totals(events):
    selected = apply_filters(events, NRF_2024)
    fc = json.loads(geojson_bytes(aggregates_to_geojson(selected, level="district", filters=NRF_2024)))
    _check_rfc7946(fc)
    summary = summarize(selected, filters=NRF_2024)
    assert len(fc["features"]) == summary["districts"]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])
    assert (
        sum(f["properties"]["events"] for f in fc["features"]) == summary["events"] - summary["province_level_events"]
    )
    kabul = next(f for f in fc["features"] if f["properties"]["pcode"] == "AF0101")
    assert kabul["properties"]["name_en"] == "Kabul" and kabul["properties"]["groups"] == "NRF"
    assert fc["filters"] == NRF_2024.as_dict() and fc["level"] == "district"


def test_province_aggregates_include_province_level_events(events):
    selected = apply_filters(events, Filters())
    fc = aggregates_to_geojson(selected, level="province")
    _check_rfc7946(fc)
    summary = summarize(selected)
    assert len(fc["features"]) == summary["provinces"]
    assert sum(f["properties"]["events"] for f in fc["features"]) == summary["events"] - summary["unplaced_events"]
    assert sum(f["properties"]["province_level_events"] for f in fc["features"]) == summary["province_level_events"]


def test_csv_neutralises_formulas_but_keeps_numbers(events):
    selected = apply_filters(events, Filters()).head(3).copy()
    pos = selected.index
    selected.loc[pos[0], "location"] = '=HYPERLINK("http://evil.example","click")'
    selected.loc[pos[1], "actor2"] = "+cmd|' /C calc'!A0"
    selected.loc[pos[2], "notes"] = "@SUM(1+1)"
    selected.loc[pos[0], "source_title"] = "-2+3"
    selected.loc[pos[1], "notes"] = "\tTab first"
    selected.loc[pos[0], "longitude"] = -1.5  # a negative number stays a number
    data = events_to_csv(selected)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0])[: len(EVENT_COLUMNS)] == list(EVENT_COLUMNS)
    assert rows[0]["location"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[1]["actor2"].startswith("'+cmd")
    assert rows[2]["notes"] == "'@SUM(1+1)"
    assert rows[0]["source_title"] == "'-2+3"
    assert rows[1]["notes"] == "'\tTab first"
    assert rows[0]["longitude"] == "-1.5"
    assert rows[0]["event_date"] == selected.iloc[0]["event_date"].date().isoformat()
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")) and not (value.startswith("-") and value != "-1.5")


def test_csv_keeps_dari_text_readable(events):
    data = events_to_csv(events)
    frame = pd.read_csv(io.BytesIO(data), dtype="string", keep_default_na=False, encoding="utf-8-sig")
    assert len(frame) == len(events)
    assert list(frame["event_id"]) == list(events["event_id"])


def test_neutralize_cell_leaves_other_values_alone():
    assert neutralize_cell("Kabul") == "Kabul" and neutralize_cell(5) == 5 and neutralize_cell("") == ""


def test_export_command_writes_what_summary_counts(tmp_path, capsys):
    out = tmp_path / "nrf.geojson"
    args = ["--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31"]
    assert main(["export", *args, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["summary", *args]) == 0
    summary = json.loads(capsys.readouterr().out)
    fc = json.loads(out.read_text(encoding="utf-8"))
    _check_rfc7946(fc)
    assert len(fc["features"]) == summary["events"] == fc["counts"]["events"]
    assert fc["filters"] == {"groups": ["NRF"], "start": "2024-03-01", "end": "2025-03-31"}


def test_export_command_aggregates_and_csv(tmp_path):
    agg = tmp_path / "provinces.geojson"
    assert main(["export", "--aggregate", "province", "-o", str(agg)]) == 0
    assert json.loads(agg.read_text())["level"] == "province"
    table = tmp_path / "events.csv"
    assert main(["export", "--group", "AFF", "-o", str(table)]) == 0
    frame = pd.read_csv(table, dtype="string", encoding="utf-8-sig")
    assert set(frame["group"]) == {"AFF"}


def test_export_command_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "--aggregate", "district", "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    assert main(["export", "--group", "NOPE", "-o", str(tmp_path / "y.geojson")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "y.geojson").exists()


def test_csv_export_carries_the_attribution_on_every_row():
    import io

    import pandas as pd

    from geo import settings
    from geo.events import load_events
    from geo.export import events_to_csv
    from geo.filters import Filters, apply_filters

    events = apply_filters(load_events(), Filters(groups=("NRF",)))
    back = pd.read_csv(io.BytesIO(events_to_csv(events)), dtype=str, encoding="utf-8-sig")
    assert len(back) == len(events)
    assert back.columns[-1] == "attribution"
    assert (back["attribution"] == settings.ATTRIBUTION).all()
    # Exporting an export does not stack a second attribution column.
    again = pd.read_csv(io.BytesIO(events_to_csv(back)), dtype=str, encoding="utf-8-sig")
    assert list(again.columns).count("attribution") == 1
