"""Spread analytics: synthetic events moving west by a known distance, and the real bundled events.

Expected values are computed here independently with pyproj's Geod and numpy,
never by calling the function under test.
"""

from __future__ import annotations

import html
import json
import math
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from geo import cli, settings
from geo.boundaries import load_districts, load_provinces
from geo.errors import InputError
from geo.events import load_events
from geo.filters import Filters, apply_filters, summarize
from geo.settings import WESTERN_PROVINCES
from geo.spread import (
    BAZARAK,
    PANEL_STATES,
    farthest_west,
    first_activity,
    first_activity_map,
    first_reports,
    first_reports_records,
    groups_to_preset,
    history_filters,
    mean_centre,
    metrics_records,
    origin_from_pcode,
    period_label,
    period_sentence,
    reach_headline,
    reach_series,
    spread_metrics,
    timeline_features,
    timeline_map,
    west_caveat,
    western_share,
    year_panels,
    year_panels_html,
)
from pages.common import md_text

WGS84_GEOD = Geod(ellps="WGS84")
STEP_KM = 150.0
QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
QUARTER_DAYS = ["2024-02-10", "2024-05-10", "2024-08-10", "2024-11-10", "2025-02-10"]


def lon_west_of(origin_lon: float, lat: float, km: float) -> float:
    """The longitude on parallel ``lat`` whose geodesic distance from (origin_lon, lat) is ``km``, by bisection."""
    lo, hi = origin_lon - 20.0, origin_lon
    for _ in range(80):
        mid = (lo + hi) / 2
        dist = WGS84_GEOD.inv(origin_lon, lat, mid, lat)[2] / 1000.0
        lo, hi = (mid, hi) if dist > km else (lo, mid)
    return (lo + hi) / 2


def sphere_mean(lons, lats) -> tuple[float, float]:
    """Mean centre on the unit sphere, written out independently of geo.spread."""
    lam, phi = np.radians(lons), np.radians(lats)
    x, y, z = (np.cos(phi) * np.cos(lam)).sum(), (np.cos(phi) * np.sin(lam)).sum(), np.sin(phi).sum()
    return math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return load_districts()


def locate(districts: gpd.GeoDataFrame, lon: float, lat: float) -> tuple[str, str]:
    """(province, district) P-codes of the real district covering the point."""
    hit = districts.loc[districts.geometry.covers(Point(lon, lat))]
    assert len(hit) == 1, f"point {lon}, {lat} is not inside exactly one district"
    return hit["adm1_pcode"].iloc[0], hit["pcode"].iloc[0]


def event(event_id, date, adm1, adm2, lon, lat, precision, group="NRF"):
    return {
        "event_id": event_id,
        "event_date": pd.Timestamp(date),
        "group": group,
        "adm1_pcode": adm1,
        "adm2_pcode": adm2,
        "longitude": lon,
        "latitude": lat,
        "geo_precision": precision,
        "is_aggregate": False,
    }


@pytest.fixture(scope="module")
def westward(districts):
    """Per quarter k: one event 150*k km west of Bazarak on its parallel (in the real district there),
    one in Bazarak district itself, and one placed only to Hirat province (coordinates at its far west,
    which must not count); one unplaced event in the third quarter."""
    rows, points = [], []
    for k, day in enumerate(QUARTER_DAYS):
        lon = lon_west_of(BAZARAK.lon, BAZARAK.lat, STEP_KM * k)
        adm1, adm2 = locate(districts, lon, BAZARAK.lat)
        points.append((lon, BAZARAK.lat, adm1, adm2))
        rows.append(event(f"W{k}", day, adm1, adm2, lon, BAZARAK.lat, 1))
        rows.append(event(f"B{k}", day, "AF08", "AF0801", 69.52, 35.35, 2))
        rows.append(event(f"P{k}", day, "AF32", "", 61.0, 34.3, 3))
    rows.append(event("U0", QUARTER_DAYS[2], "", "", math.nan, math.nan, None))
    return pd.DataFrame(rows), points


def test_west_km_grows_by_the_known_step(westward):
    frame, points = westward
    m = spread_metrics(frame, freq="Q")
    assert m["period"].tolist() == QUARTERS
    np.testing.assert_allclose(m["west_km"], [STEP_KM * k for k in range(5)], atol=1e-3)
    np.testing.assert_allclose(np.diff(m["west_km"]), STEP_KM, atol=1e-3)
    np.testing.assert_allclose(m["westmost_lon"], [p[0] for p in points], atol=1e-9)
    assert m["westmost_district"].tolist() == [p[3] for p in points]
    # The province-level event's coordinates (61.0 E, far west) never set the reach.
    assert (m["westmost_lon"] > 61.5).all()


def test_mean_centre_and_standard_distance_use_exact_events_only(westward):
    frame, points = westward
    m = spread_metrics(frame, freq="Q")
    for k, (lon, lat, _, _) in enumerate(points):
        lons, lats = np.array([lon, 69.52]), np.array([lat, 35.35])
        exp_lon, exp_lat = sphere_mean(lons, lats)
        assert m["mean_lon"].iloc[k] == pytest.approx(exp_lon, abs=1e-9)
        assert m["mean_lat"].iloc[k] == pytest.approx(exp_lat, abs=1e-9)
        d = np.array(WGS84_GEOD.inv([exp_lon] * 2, [exp_lat] * 2, lons, lats)[2]) / 1000.0
        assert m["standard_distance_km"].iloc[k] == pytest.approx(math.sqrt((d**2).mean()), abs=1e-6)
    assert m["exact_events"].tolist() == [2] * 5


def test_exclusions_are_counted(westward):
    frame, _ = westward
    m = spread_metrics(frame, freq="Q")
    assert m["events"].tolist() == [3, 3, 4, 3, 3]
    assert m["excluded_province_level"].tolist() == [1] * 5
    assert m["excluded_unplaced"].tolist() == [0, 0, 1, 0, 0]
    assert m["excluded_no_coordinates"].tolist() == [0] * 5
    parts = m["exact_events"] + m["excluded_province_level"] + m["excluded_unplaced"] + m["excluded_no_coordinates"]
    assert parts.tolist() == m["events"].tolist()


def test_new_provinces_and_districts(westward):
    frame, points = westward
    m = spread_metrics(frame, freq="Q")
    seen_p, seen_d = set(), set()
    for k, (_, _, adm1, adm2) in enumerate(points):
        active_p = {adm1, "AF08", "AF32"}
        active_d = {adm2, "AF0801"}
        assert m["provinces"].iloc[k] == len(active_p)
        assert m["districts"].iloc[k] == len(active_d)
        assert m["new_provinces"].iloc[k] == sorted(active_p - seen_p)
        assert m["new_districts"].iloc[k] == sorted(active_d - seen_d)
        seen_p |= active_p
        seen_d |= active_d
        assert m["cumulative_provinces"].iloc[k] == len(seen_p)
        assert m["cumulative_districts"].iloc[k] == len(seen_d)
        west = sum(p in WESTERN_PROVINCES for p in (adm1, "AF08", "AF32"))
        assert m["west_share"].iloc[k] == pytest.approx(west / 3)


def test_history_defines_first_activity(westward):
    frame, points = westward
    later = frame.loc[frame["event_date"] >= pd.Timestamp("2024-07-01")]
    alone = spread_metrics(later, freq="Q")
    with_history = spread_metrics(later, freq="Q", history=frame)
    # Without history, the first quarter shown looks all new; with it, Bazarak and Hirat are not.
    assert {"AF08", "AF32"} <= set(alone["new_provinces"].iloc[0])
    assert not {"AF08", "AF32"} & set(with_history["new_provinces"].iloc[0])
    assert "AF0801" not in with_history["new_districts"].iloc[0]
    assert with_history["new_districts"].iloc[0] == sorted({points[2][3]} - {p[3] for p in points[:2]} - {"AF0801"})


def test_periods_are_filled_and_partial_flagged(westward):
    frame, _ = westward
    m = spread_metrics(frame, freq="M", start="2024-02-05", end="2024-05-20")
    assert m["period"].tolist() == ["2024-02", "2024-03", "2024-04", "2024-05"]
    assert m["events"].tolist() == [3, 0, 0, 3]
    assert m["partial"].tolist() == [True, False, False, True]
    assert m["west_km"].isna().tolist() == [False, True, True, False]
    y = spread_metrics(frame, freq="Y")
    assert y["period"].tolist() == ["2024", "2025"]
    assert y["events"].sum() == len(frame)


def test_aggregate_rows_are_left_out(westward):
    frame, _ = westward
    agg = frame.iloc[[0]].assign(event_id="AGG", is_aggregate=True, adm1_pcode="AF33", adm2_pcode="")
    m = spread_metrics(pd.concat([frame, agg], ignore_index=True), freq="Q")
    assert m["events"].sum() == len(frame)
    assert "AF33" not in sum(m["new_provinces"], [])
    assert m.attrs["aggregate_rows_dropped"] == 1


def test_bad_freq_and_origin_raise():
    with pytest.raises(InputError, match="freq.*expected one of"):
        spread_metrics(load_events(), freq="W")
    with pytest.raises(InputError, match="origin.*AF9999"):
        origin_from_pcode("AF9999")


def test_origin_from_pcode_is_inside_the_unit(districts):
    o = origin_from_pcode("AF0801")
    assert locate(districts, o.lon, o.lat) == ("AF08", "AF0801")
    # Measured from Hirat's label point, Kabul lies east: negative reach.
    nrf = apply_filters(load_events(), Filters(groups=("NRF",), start="2025-01-01", end="2025-03-31"))
    m = spread_metrics(nrf, origin=origin_from_pcode("AF32"))
    assert (m["west_km"].dropna() < 0).all()


def test_mean_centre_is_not_a_naive_degree_average():
    lon, lat = mean_centre([62.0, 70.0], [35.0, 35.0])
    assert lon == pytest.approx(66.0)
    assert lat > 35.0  # the great-circle midpoint bulges poleward


# ------------------------------------------------------------------ real bundled data


@pytest.fixture(scope="module")
def real_events() -> pd.DataFrame:
    return load_events()


def test_real_nrf_first_active_in_panjshir_baghlan_before_hirat(real_events):
    nrf = apply_filters(real_events, Filters(groups=("NRF",)))
    fa = first_activity(nrf, level="province").set_index("pcode")
    assert fa.loc["AF08", "first_date"] < fa.loc["AF32", "first_date"]
    assert fa.loc["AF09", "first_date"] < fa.loc["AF32", "first_date"]
    assert {fa.loc["AF08", "first_date"].year, fa.loc["AF09", "first_date"].year} == {2021}
    # Farah and Badghis appear only in the NRF's aggregate statements, which stay out of the metrics.
    assert "AF33" not in fa.index and "AF31" not in fa.index
    statements = real_events.loc[real_events["is_aggregate"] & (real_events["group"] == "NRF"), "notes"]
    assert statements.str.contains("Farah").any() and statements.str.contains("Badghis").any()


def test_real_nrf_reach_in_the_quarter_hirat_first_appears(real_events):
    nrf = apply_filters(real_events, Filters(groups=("NRF",)))
    m = spread_metrics(nrf, freq="Q").set_index("period")
    first_hirat = nrf.loc[nrf["adm1_pcode"] == "AF32", "event_date"].min().to_period("Q")
    row = m.loc[str(first_hirat)]
    assert "AF32" in row["new_provinces"]
    # Independent expectation: the westmost district-or-better event of that quarter.
    q = nrf.loc[(nrf["event_date"].dt.to_period("Q") == first_hirat) & (nrf["adm2_pcode"] != "")]
    q = q.loc[q["geo_precision"] <= 2]
    west_lon = q["longitude"].min()
    expected = WGS84_GEOD.inv(BAZARAK.lon, BAZARAK.lat, west_lon, BAZARAK.lat)[2] / 1000.0
    assert row["westmost_lon"] == pytest.approx(west_lon)
    assert row["west_km"] == pytest.approx(expected, rel=1e-12)
    assert row["west_km"] > 600
    earlier = m.loc[m.index < str(first_hirat), "west_km"].dropna()
    assert (earlier < 100).all()


def test_real_first_activity_districts_are_consistent_with_metrics(real_events):
    nrf = apply_filters(real_events, Filters(groups=("NRF",)))
    fa = first_activity(nrf, level="district", freq="Y")
    m = spread_metrics(nrf, freq="Y")
    by_period = fa.groupby("first_period")["pcode"].apply(sorted).to_dict()
    for _, row in m.iterrows():
        assert row["new_districts"] == by_period.get(row["period"], [])
    assert fa["events"].sum() == (nrf["adm2_pcode"] != "").sum()


def test_real_period_sentence_matches_summary_and_words_claims_as_claims(real_events):
    f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    sel = apply_filters(real_events, f)
    s = summarize(sel, filters=f)
    claims = sel["claim_status"].value_counts()
    assert period_sentence(sel, filters=f) == (
        f"Between 1 Mar 2024 and 31 Mar 2025, {s['events']} attacks by the NRF were claimed or reported across "
        f"{s['provinces']} provinces ({claims['self-claimed']} self-claimed, {claims['media-reported']} "
        f"media-reported, {claims['officially-confirmed']} officially confirmed)"
    )
    two = Filters(groups=("NRF", "AFF"), start="2024-03-01", end="2025-03-31")
    assert " attacks by the NRF and the AFF were claimed or reported " in period_sentence(
        apply_filters(real_events, two), filters=two
    )
    one = Filters(groups=("NRF",), start="2024-04-20", end="2024-04-20")
    assert "1 attack by the NRF was claimed or reported in 1 province (1 " in period_sentence(
        apply_filters(real_events, one), filters=one
    )
    none = Filters(groups=("ALM",), start="2024-01-01", end="2024-01-02")
    assert "no attacks by the ALM" in period_sentence(apply_filters(real_events, none), filters=none)
    for groups in (("NRF",), ("AFF", "ISKP"), None):
        everything = Filters(groups=groups)
        assert "carried out" not in period_sentence(apply_filters(real_events, everything), filters=everything)


def test_history_filters_drop_only_the_dates():
    f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31", provinces=("AF32",))
    h = history_filters(f)
    assert (h.start, h.end, h.groups, h.provinces) == (None, None, ("NRF",), ("AF32",))


# ------------------------------------------------------------------ CLI


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "selection",
    [
        ["--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31"],
        ["--group", "AFF", "--group", "ISKP"],
        [],
    ],
)
@pytest.mark.parametrize("freq", ["M", "Q", "Y"])
def test_cli_periods_add_up_to_summary(capsys, selection, freq):
    code, out, _ = run_cli(capsys, "summary", *selection)
    assert code == 0
    summary = json.loads(out)
    code, out, _ = run_cli(capsys, "spread", *selection, "--freq", freq)
    assert code == 0
    result = json.loads(out)
    assert sum(p["events"] for p in result["periods"]) + result["undated_events"] == summary["events"]
    assert result["attribution"] and result["sentence"].startswith("Between ")
    assert f" {summary['events']} attack" in result["sentence"] and "claimed or reported" in result["sentence"]
    first = result["periods"][0]
    assert {"period", "events", "provinces", "new_provinces", "westmost_lon", "west_km", "west_km_to_date"} <= set(
        first
    )
    for row in result["first_activity"]:
        assert {"adm1_pcode", "province", "first_date", "period", "events"} <= set(row)


def test_cli_csv_and_origin(capsys, bundled_events_csv):
    code, out, err = run_cli(
        capsys,
        "spread",
        "--events",
        str(bundled_events_csv),
        "--group",
        "NRF",
        "--freq",
        "Y",
        "--origin",
        "AF32",
        "--format",
        "csv",
    )
    assert code == 0
    table = pd.read_csv(pd.io.common.StringIO(out), dtype={"period": str})
    assert table["period"].tolist() == ["2021", "2022", "2023", "2024", "2025"]
    assert table["events"].sum() == len(apply_filters(load_events(bundled_events_csv), Filters(groups=("NRF",))))
    assert "AF32" in table.loc[table["period"] == "2024", "new_provinces"].iloc[0].split(";")
    # From Hirat, the 2021 activity in Panjshir/Baghlan lies far east.
    assert table.loc[table["period"] == "2021", "west_km"].iloc[0] < -600
    assert "AGCHO" in err


def test_cli_bad_origin_is_one_line(capsys):
    code, out, err = run_cli(capsys, "spread", "--origin", "AF99")
    assert code == cli.EXIT_ERROR and out == ""
    assert err.count("\n") == 1 and "AF99" in err and "Traceback" not in err


def test_metrics_records_are_json_ready(real_events):
    records = metrics_records(spread_metrics(apply_filters(real_events, Filters(groups=("NRF",))), freq="Q"))
    text = json.dumps(records, allow_nan=False)
    assert json.loads(text)[0]["period"] == "2021Q3"


# ------------------------------------------------------------------ maps (real events, real simplified boundaries)

EXTERNAL_LINK = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["\']?((?:https?:)?//[^"\' >]+)', re.I)
PAYLOAD = "<img src=x onerror=alert(1)>"


def _children(element, cls):
    found = []
    for child in element._children.values():
        if isinstance(child, cls):
            found.append(child)
        found.extend(_children(child, cls))
    return found


def _group(m: folium.Map, name: str) -> folium.FeatureGroup:
    return next(c for c in m._children.values() if isinstance(c, folium.FeatureGroup) and c.layer_name == name)


def test_first_activity_map_shades_each_active_district_by_its_first_period(
    vendored_assets, display_boundaries, real_events
):
    provinces, districts = display_boundaries
    nrf = apply_filters(real_events, Filters(groups=("NRF",)))
    m = first_activity_map(nrf, provinces=provinces, districts=districts, freq="Q", basemap="none")
    rendered = m.get_root().render()
    assert EXTERNAL_LINK.findall(rendered) == []
    # Independent expectation, straight from the data: each district's earliest event, as a quarter.
    placed = nrf.loc[nrf["adm2_pcode"] != ""]
    expected = placed.groupby("adm2_pcode")["event_date"].min().dt.to_period("Q").astype(str).to_dict()
    layer = _children(_group(m, "Districts by first activity"), folium.GeoJson)[0]
    shown = {f["properties"]["pcode"]: f["properties"]["first_period"] for f in layer.data["features"]}
    assert shown == expected
    fills = {f["properties"]["first_period"]: f["properties"]["fill"] for f in layer.data["features"]}
    assert len(set(fills.values())) == len(fills)  # one colour per period
    # The legend lists the periods, the trajectory has a point per quarter with exact events.
    legend = next(c for c in m._children.values() if getattr(c, "_name", "") == "Legend")
    assert all(period_label(p, "Q") in legend.legend_html for p in expected.values())
    # Tooltips name units and dates with their precision, never a bare P-code.
    tooltip = _children(layer, folium.GeoJsonTooltip)[0]
    assert "pcode" not in tooltip.fields and {"name", "first_report"} <= set(tooltip.fields)
    by_code = {f["properties"]["pcode"]: f["properties"] for f in layer.data["features"]}
    assert by_code["AF0912"]["first_report"] == "week of 12 Sep 2021 (week)"  # Baghlan's first: a week-level report
    exact = placed.loc[placed["geo_precision"] <= 2]
    line = _children(_group(m, "Mean centre trajectory"), folium.PolyLine)[0]
    assert len(line.locations) == exact["event_date"].dt.to_period("Q").nunique()


def test_timeline_plays_only_exact_events_in_date_order_escaped(vendored_assets, display_boundaries, real_events):
    provinces, _ = display_boundaries
    sel = apply_filters(real_events, Filters(groups=("NRF", "AFF"))).copy()
    sel.loc[sel.index[0], "location"] = PAYLOAD
    data = timeline_features(sel)
    exact = sel.loc[(sel["adm2_pcode"] != "") & sel["latitude"].notna() & (sel["geo_precision"] <= 2)]
    assert len(data["features"]) == len(exact)
    starts = [f["properties"]["start"] for f in data["features"]]
    assert starts == sorted(starts)
    assert {f["properties"]["end"] for f in data["features"]} == {max(starts) + 86_400_000}
    m = timeline_map(sel, provinces=provinces, basemap="none")
    rendered = m.get_root().render()
    assert PAYLOAD not in rendered and "onerror=alert(1)>" not in rendered
    assert EXTERNAL_LINK.findall(rendered) == []
    assert "L.timelineSliderControl" in rendered
    if sel.index[0] in exact.index:
        assert any(html.escape(PAYLOAD) in f["properties"]["popup"] for f in data["features"])


# ------------------------------------------------------------------ the Spread page (AppTest)


def _spread_page() -> AppTest:
    at = AppTest.from_file(str(settings.REPO_ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/spread.py").run()
    return at


def test_spread_page_opens_on_the_nrf_and_shows_what_the_cli_says(capsys, monkeypatch):
    monkeypatch.delenv(settings.EVENTS_ENV, raising=False)
    at = _spread_page()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Spread"]
    # No group in the link: the page follows the NRF, and says so; the link now names it.
    assert at.multiselect(key="f_group").value == ["NRF"]
    assert at.query_params["group"] in ("NRF", ["NRF"])
    code, out, _ = run_cli(capsys, "spread", "--group", "NRF")
    assert code == 0
    cli_result = json.loads(out)
    nrf = Filters(groups=("NRF",))
    events = apply_filters(load_events(), nrf)
    assert at.subheader[0].value == md_text(reach_headline(farthest_west(events), groups=["NRF"]))
    sentence = at.get("markdown")[0].value
    assert sentence.startswith(md_text(cli_result["sentence"] + "."))
    assert "Opened on the NRF" in sentence
    lines = next(m.value for m in at.markdown if m.value.startswith("- First NRF attack"))
    shown = [re.sub(r"\\(.)", r"\1", line[2:]).replace("**", "") for line in lines.splitlines()]
    assert shown == [row["line"] for row in cli_result["first_activity"]]
    assert "under-reported" in at.warning[0].value
    at.button_group(key="spread_freq").set_value("Y").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert table["period"].astype(str).tolist() == ["2021", "2022", "2023", "2024", "2025"]
    assert at.query_params["freq"] in ("Y", ["Y"])
    at.button_group(key="spread_map").set_value("animation").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # Clearing the group keeps every group: the NRF is a default, not a lock.
    at.multiselect(key="f_group").set_value([]).run()
    assert not at.exception and at.multiselect(key="f_group").value == []
    assert at.get("markdown")[0].value.startswith("Between 20 Aug 2021 and 13 Dec 2025, 194 attacks by all recorded")


def test_spread_page_keeps_the_groups_of_a_link(monkeypatch):
    monkeypatch.delenv(settings.EVENTS_ENV, raising=False)
    at = AppTest.from_file(str(settings.REPO_ROOT / "app.py"), default_timeout=180)
    at.query_params["group"] = "AFF"
    at.run()
    at.switch_page("pages/spread.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="f_group").value == ["AFF"]
    assert at.subheader[0].value.startswith("AFF attacks reported as far west as")


def test_timeline_merges_events_per_district_and_period_beyond_the_cap(real_events):
    sel = apply_filters(real_events, Filters())
    exact = sel.loc[(sel["adm2_pcode"] != "") & sel["latitude"].notna() & (sel["geo_precision"] <= 2)]
    full = timeline_features(sel)
    assert full["merged"] is None and len(full["features"]) == len(exact)
    for cap, expected in ((len(exact) - 1, "M"), (exact["adm2_pcode"].nunique(), "all")):
        merged = timeline_features(sel, max_features=cap)
        assert merged["merged"] == expected and len(merged["features"]) <= cap
        assert sum(f["properties"]["count"] for f in merged["features"]) == len(exact)
    by_month = exact.groupby([exact["adm2_pcode"], exact["event_date"].dt.to_period("M")]).ngroups
    assert len(timeline_features(sel, max_features=len(exact) - 1)["features"]) == by_month


def test_western_share_counts_province_level_events(real_events):
    nrf_2025 = apply_filters(real_events, Filters(groups=("NRF",), start="2025-01-01", end="2025-12-31"))
    placed = nrf_2025.loc[nrf_2025["adm1_pcode"] != ""]
    expected = placed["adm1_pcode"].isin(["AF32", "AF33", "AF31", "AF23", "AF34"]).sum() / len(placed)
    assert western_share(nrf_2025) == pytest.approx(expected)
    # The Hirat event of 2025-09-01 is known only to province level, and counts.
    hirat = placed.loc[placed["adm1_pcode"] == "AF32"]
    assert (hirat["adm2_pcode"] == "").any()
    assert spread_metrics(nrf_2025, freq="Y")["west_share"].iloc[0] == pytest.approx(expected)


def test_report_text_is_never_evaluated_as_a_template_in_spread_maps():
    """folium renders element scripts through Jinja: a report's ``{{ 7*7 }}`` must stay text, not become 49."""
    from geo.boundaries import load_districts
    from geo.events import load_events
    from geo.filters import Filters, apply_filters
    from geo.spread import first_activity_map, timeline_map

    events = apply_filters(load_events(), Filters())
    for col in ("location", "actor1", "actor2", "notes"):
        events[col] = events[col].astype(str) + " ZZ{{ 7*7 }}ZZ {% if true %}YY{% endif %} <img src=x onerror=alert(1)>"
    provinces = load_provinces(simplified=True)
    maps = (
        timeline_map(events, provinces=provinces, basemap="none"),
        first_activity_map(events, provinces=provinces, districts=load_districts(simplified=True), basemap="none"),
    )
    for m in maps:
        page = m.get_root().render()
        assert "ZZ49ZZ" not in page
        assert "<img src=x" not in page and "{% if" not in page
    assert "ZZ&#123;&#123; 7*7" in maps[0].get_root().render().replace("\\u0026", "&")


# ------------------------------------------------------------------ the corrections of issue 12 in the bundled data


def test_dev075_is_dated_from_its_weekday_and_dev028_keeps_its_attribution(real_events):
    from geo.textreport import solar_hijri_to_gregorian

    rows = real_events.set_index("event_id")
    # "Saturday 21 Tula (Mizan)": a Saturday in 1403 only, among the years 2021-2025.
    saturdays = [y for y in range(1400, 1405) if solar_hijri_to_gregorian(y, 7, 21).weekday() == 5]
    assert saturdays == [1403]
    assert rows.loc["DEV-075", "event_date"] == pd.Timestamp(solar_hijri_to_gregorian(1403, 7, 21))
    assert rows.loc["DEV-075", "date_precision"] == "day" and "CORRECTED" in rows.loc["DEV-075", "notes"]
    # No cited report attributes DEV-028 to IS: it stays unattributed, the doubt is in its notes.
    assert rows.loc["DEV-028", "group"] == "Unknown" and "IS attribution disputed" in rows.loc["DEV-028", "notes"]


# ------------------------------------------------------------------ the westward story (issue 12)


def _history_of(real_events, f: Filters):
    return apply_filters(real_events, f), apply_filters(real_events, history_filters(f))


def test_first_reports_list_each_newly_reached_province_in_order(real_events):
    f = Filters(groups=("NRF",))
    sel, hist = _history_of(real_events, f)
    reports = first_reports(sel, history=hist, freq="Q", filters=f)
    # Independent expectation: each province's earliest NRF event, and the events there in that quarter.
    placed = sel.loc[sel["adm1_pcode"] != ""]
    first = placed.groupby("adm1_pcode")["event_date"].min().sort_values(kind="stable")
    assert reports["adm1_pcode"].tolist() == first.index.tolist()
    assert reports["first_date"].tolist() == first.tolist()
    quarter = placed["event_date"].dt.to_period("Q")
    for row in reports.itertuples(index=False):
        expected = ((placed["adm1_pcode"] == row.adm1_pcode) & (quarter == row.first_date.to_period("Q"))).sum()
        assert row.events == expected and row.period == str(row.first_date.to_period("Q"))
    lines = dict(zip(reports["adm1_pcode"], reports["line"], strict=True))
    assert lines["AF32"] == "First NRF attack reported in Herat (Hirat): Sep 2024 (3 events in Jul–Sep 2024)"
    # Baghlan's first NRF report is known to the week only, and says so.
    assert lines["AF09"] == "First NRF attack reported in Baghlan: week of 12 Sep 2021 (week) (1 event in Jul–Sep 2021)"
    assert not any(re.search(r"\bAF\d", line) for line in lines.values())


def test_first_reports_within_dates_are_judged_against_the_history(real_events):
    f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    sel, hist = _history_of(real_events, f)
    reports = first_reports(sel, history=hist, freq="M", filters=f)
    ever = hist.loc[hist["adm1_pcode"] != ""].groupby("adm1_pcode")["event_date"].min()
    expected = ever.loc[(ever >= "2024-03-01") & (ever <= "2025-03-31")].sort_values().index.tolist()
    assert reports["adm1_pcode"].tolist() == expected == ["AF32", "AF29"]
    assert reports["line"].iloc[0] == "First NRF attack reported in Herat (Hirat): Sep 2024 (3 events that month)"
    # Without the history, every province of the window would look new.
    assert len(first_reports(sel, freq="M", filters=f)) == sel.loc[sel["adm1_pcode"] != "", "adm1_pcode"].nunique()


def test_cli_first_activity_is_the_pages_list(capsys, real_events):
    code, out, _ = run_cli(capsys, "spread", "--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31")
    assert code == 0
    result = json.loads(out)
    f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    sel, hist = _history_of(real_events, f)
    assert result["first_activity"] == first_reports_records(first_reports(sel, history=hist, freq="Q", filters=f))
    assert [r["province"] for r in result["first_activity"]] == ["Herat (Hirat)", "Faryab"]
    assert result["first_activity"][0] | {"line": None} == {
        "adm1_pcode": "AF32",
        "province": "Herat (Hirat)",
        "first_date": "2024-09-01",
        "date_precision": "day",
        "period": "2024Q3",
        "events": 3,
        "line": None,
    }
    assert result["reach"]["event_id"] == "DEV-068" and result["reach"]["placement"] == "placed at district centre"


def test_reach_to_date_is_the_running_maximum_of_the_history(real_events):
    f = Filters(groups=("NRF",), start="2024-10-01")
    sel, hist = _history_of(real_events, f)
    m = spread_metrics(sel, freq="Q", history=hist, start=f.start)
    # Independent: every exact NRF event's westward distance on Bazarak's parallel, then the running maximum.
    exact = hist.loc[(hist["adm2_pcode"] != "") & hist["latitude"].notna() & (hist["geo_precision"] <= 2)]
    km = pd.Series(
        [
            WGS84_GEOD.inv(BAZARAK.lon, BAZARAK.lat, lon, BAZARAK.lat)[2] / 1000.0 * (1 if lon <= BAZARAK.lon else -1)
            for lon in exact["longitude"]
        ],
        index=exact["event_date"],
    ).sort_index()
    for row in m.itertuples(index=False):
        assert row.west_km_to_date == pytest.approx(km.loc[: row.end].max(), rel=1e-9)
    assert (m["west_km_to_date"].diff().dropna() >= 0).all()
    # The window starts after Herat was reached: the per-quarter reach drops, the reach to date does not.
    assert m["west_km"].iloc[0] < 500 < m["west_km_to_date"].iloc[0]
    assert m["westmost_district_to_date"].iloc[0] == "AF3202"


def test_westward_fixture_reach_to_date_grows_by_the_known_step(westward):
    frame, points = westward
    m = spread_metrics(frame.iloc[::-1], freq="Q")  # row order must not matter
    expected = np.maximum.accumulate([STEP_KM * k for k in range(len(QUARTERS))])
    assert m["west_km_to_date"].to_numpy() == pytest.approx(expected, abs=0.01)
    assert m["westmost_district_to_date"].tolist()[-1] == points[-1][3]


def test_farthest_west_and_its_headline(real_events):
    nrf = apply_filters(real_events, Filters(groups=("NRF",)))
    reach = farthest_west(nrf)
    exact = nrf.loc[(nrf["adm2_pcode"] != "") & nrf["latitude"].notna() & (nrf["geo_precision"] <= 2)]
    west = exact.sort_values(["longitude", "event_date"]).iloc[0]
    assert (reach.event_id, reach.adm2_pcode, reach.lon) == (west["event_id"], west["adm2_pcode"], west["longitude"])
    assert reach_headline(reach, groups=["NRF"]) == (
        "NRF attacks reported as far west as Injil, Herat (Hirat): 670 km west of Bazarak, Panjshir, on 3 Sep 2024"
    )
    # Before Herat, the reach stayed in the north-east.
    early = farthest_west(nrf, end="2024-08-31")
    assert early.adm1_pcode != "AF32" and early.west_km < 100
    assert farthest_west(nrf.iloc[0:0]) is None


def test_year_panels_states_and_html(real_events, display_boundaries):
    provinces, _ = display_boundaries
    f = Filters(groups=("NRF",))
    sel, hist = _history_of(real_events, f)
    panels = year_panels(sel, history=hist)
    assert [p["year"] for p in panels] == [2021, 2022, 2023, 2024, 2025]
    placed = sel.loc[sel["adm1_pcode"] != ""]
    first_year = placed.groupby("adm1_pcode")["event_date"].min().dt.year
    for panel in panels:
        year = panel["year"]
        active = set(placed.loc[placed["event_date"].dt.year == year, "adm1_pcode"])
        expected = {
            code: "new" if y == year else ("active" if code in active else "earlier")
            for code, y in first_year.items()
            if y <= year
        }
        assert panel["states"] == expected
        assert panel["events"] == int((sel["event_date"].dt.year == year).sum())
    assert {n["adm1_pcode"] for n in panels[3]["new"]} == {"AF32", "AF29"}
    html_block = year_panels_html(panels, provinces=provinces)
    svgs = re.findall(r"<svg.*?</svg>", html_block, flags=re.S)
    assert len(svgs) == 5 and "<text" not in html_block  # no labels piled on the maps
    new_fill = PANEL_STATES["new"][0]
    for panel, svg in zip(panels, svgs, strict=True):
        assert svg.count(f'fill="{new_fill}"') == len(panel["new"])
        assert svg.count("<path") == len(provinces)


def test_year_panels_escape_names_from_the_events(display_boundaries):
    provinces, _ = display_boundaries
    evil = "<img src=x onerror=alert(1)>"
    frame = pd.DataFrame(
        {
            "event_date": pd.to_datetime(["2024-09-01"]),
            "group": ["NRF"],
            "adm1_pcode": ["AF99"],
            "admin1": [evil],
            "adm2_pcode": [""],
        }
    )
    html_block = year_panels_html(year_panels(frame), provinces=provinces)
    assert "<img" not in html_block and html.escape(evil) in html_block


def test_reach_series_puts_the_running_maximum_beside_the_period(real_events):
    m = spread_metrics(apply_filters(real_events, Filters(groups=("NRF",))), freq="Q")
    series = reach_series(m, freq="Q")
    to_date = series.loc[series["measure"] == "farthest so far", "km"]
    per_quarter = series.loc[series["measure"] == "this quarter", "km"]
    assert (to_date.diff().dropna() >= 0).all()
    assert (per_quarter.diff().dropna() < -100).any()  # the per-quarter jump back east the chart used to show
    assert set(series["label"]) <= {period_label(p, "Q") for p in m["period"]}


def test_west_caveat_counts_the_western_provinces(real_events):
    nrf = apply_filters(real_events, Filters(groups=("NRF",)))
    text = west_caveat(nrf)
    n_west = nrf["adm1_pcode"].isin(WESTERN_PROVINCES).sum()
    assert text.startswith("The west is under-reported")
    assert f"This selection: {n_west} of {len(nrf)} events there" in text and "none in Farah, Badghis" in text


def test_groups_to_preset():
    assert groups_to_preset(Filters(), ["NRF", "AFF"]) == ("NRF",)
    assert groups_to_preset(Filters(groups=("AFF",)), ["NRF", "AFF"]) == ()
    assert groups_to_preset(Filters(), ["ISKP"]) == ()


def test_every_metric_column_has_a_readable_label():
    from geo.spread import METRIC_COLUMNS, METRIC_LABELS

    assert list(METRIC_LABELS)[0] == "period" and set(METRIC_LABELS) == set(METRIC_COLUMNS)
    assert not [label for label in METRIC_LABELS.values() if "_" in label]


def test_year_panels_stop_at_the_selections_end(real_events):
    f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    sel, hist = _history_of(real_events, f)
    panels = year_panels(sel, history=hist, start=f.start, end=f.end)
    assert [p["year"] for p in panels] == [2024, 2025]
    assert panels[0]["caption"].startswith("2024 (from 1 Mar 2024) · ")
    assert panels[1]["caption"].startswith("2025 (to 31 Mar 2025) · ")
    # Kunduz is first reported in Oct 2025, after the selection: not part of its map.
    assert "AF19" not in panels[1]["states"] and panels[1]["new"] == []
    # Provinces reached before the window show as reached earlier (or active again).
    assert panels[0]["states"]["AF08"] in ("earlier", "active") and panels[0]["states"]["AF32"] == "new"
