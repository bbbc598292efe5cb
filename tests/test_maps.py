"""The event map on the real events and the real simplified boundaries."""

from __future__ import annotations

import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo.errors import InputError
from geo.events import load_events
from geo.filters import Filters, apply_filters
from geo.maps import (
    LAYER_DISTRICTS,
    LAYER_EVENTS,
    LAYER_PROVINCE_LEVEL,
    LAYER_PROVINCES,
    CompactPolygons,
    EventPoints,
    build_event_map,
    decode_varints,
    encode_varints,
    escape_text,
    event_popup_html,
    finalize,
    new_map,
    safe_url,
)

EXTERNAL_LINK = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["\']?((?:https?:)?//[^"\' >]+)', re.I)
PAYLOAD_IMG = "<img src=x onerror=alert(1)>"
PAYLOAD_SCRIPT = '"><script>alert(2)</script>'


pytestmark = pytest.mark.usefixtures("vendored_assets")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return apply_filters(load_events(), Filters())


def _build(events, display_boundaries, **kwargs) -> folium.Map:
    provinces, districts = display_boundaries
    return finalize(build_event_map(events, provinces=provinces, districts=districts, **kwargs))


def _layers(m: folium.Map, cls) -> dict[str, object]:
    return {c.layer_name: c for c in m._children.values() if isinstance(c, cls)}


def _points(layer: EventPoints) -> np.ndarray:
    """The points as sent to the browser, decoded (and checked against what the layer was given)."""
    flat = decode_varints(json.loads(layer.points_json)).reshape(-1, 4)
    flat[:, :2] = np.cumsum(flat[:, :2], axis=0)
    np.testing.assert_array_equal(flat, layer.points)
    return flat


def _drawable(events: pd.DataFrame) -> pd.DataFrame:
    return events[events["latitude"].notna() & (events["adm2_pcode"] != "") & (events["geo_precision"].fillna(0) != 3)]


def test_map_draws_all_provinces_and_districts_and_loads_nothing_from_outside(events, display_boundaries):
    m = _build(events, display_boundaries, basemap="none")
    polys = _layers(m, CompactPolygons)
    assert len(json.loads(polys[LAYER_PROVINCES].data_json)) == settings.N_PROVINCES
    assert len(json.loads(polys[LAYER_DISTRICTS].data_json)) == settings.N_DISTRICTS
    html = m.get_root().render()
    assert EXTERNAL_LINK.findall(html) == []
    assert "tile.openstreetmap.org" not in html  # no basemap: nothing to fetch
    assert "L.control.layers" in html and "AGCHO / OCHA" in html


def test_osm_basemap_carries_its_attribution(events, display_boundaries):
    html = _build(events.head(5), display_boundaries, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in html and "openstreetmap.org/copyright" in html
    assert EXTERNAL_LINK.findall(html) == []


def test_every_drawable_event_has_its_popup_on_the_marker_of_its_place(events, display_boundaries):
    m = _build(events, display_boundaries)
    layer = _layers(m, EventPoints)[LAYER_EVENTS]
    drawable = _drawable(events)
    pts = _points(layer)
    popups = json.loads(layer.popups_json)
    places = drawable.groupby([(drawable["latitude"] * 1e5).round(), (drawable["longitude"] * 1e5).round()])
    assert len(pts) == len(popups) == places.ngroups  # one marker per place: none hides another
    assert int(pts[:, 3].sum()) == len(drawable)
    for (lat, lon, _, count), popup in zip(pts, popups, strict=True):
        here = places.get_group((lat, lon))
        assert count == len(here)
        ids = re.findall(r'<span style="color:#777">([^<]+)</span></div>', popup)
        assert sorted(ids) == sorted(here["event_id"])
        if count > 1:
            assert popup.startswith(f'<div class="afg-popup-list"><b>{count} events at this place</b>')


def test_province_level_events_are_not_drawn_as_points(events, display_boundaries):
    m = _build(events, display_boundaries)
    level = events[(events["adm1_pcode"] != "") & (events["adm2_pcode"] == "")]
    assert len(level) > 0
    pts = _points(_layers(m, EventPoints)[LAYER_EVENTS])
    drawn = {(int(a), int(b)) for a, b in pts[:, :2]}
    for lat, lon in level[["latitude", "longitude"]].dropna().itertuples(index=False):
        assert (round(lat * 1e5), round(lon * 1e5)) not in drawn
    marked = json.loads(_layers(m, CompactPolygons)[LAYER_PROVINCE_LEVEL].data_json)
    assert len(marked) == level["adm1_pcode"].nunique()
    html = m.get_root().render()
    assert f"{len(level)} events known only to province level" in html


def test_popup_has_every_field_and_a_safe_source_link(events):
    row = events.loc[events["source_url"].str.contains("&", regex=False)].iloc[0]
    popup = event_popup_html(row)
    fields = [row["event_date"].date().isoformat(), row["group"], row["actor2"], row["location"], row["admin1"]]
    fields += [row["claim_status"], "not reported" if pd.isna(row["fatalities"]) else str(row["fatalities"])]
    for text in fields:
        assert escape_text(text) in popup
    assert f'href="{escape_text(row["source_url"])}"' in popup and 'rel="noopener noreferrer"' in popup
    assert "&amp;" in popup.split('href="')[1].split('"')[0]  # the query string is escaped inside the attribute


def test_report_text_is_escaped_and_never_markup(events, display_boundaries):
    hostile = events.copy()
    pos = hostile.index[hostile["event_id"] == "DEV-051"][0]
    hostile.loc[pos, "location"] = PAYLOAD_IMG
    hostile.loc[pos, "actor2"] = PAYLOAD_SCRIPT
    hostile.loc[pos, "actor1"] = "{{ 7*7 }} ${alert(3)} `x`"
    hostile.loc[pos, "source_url"] = "javascript:alert(4)"
    m = _build(hostile, display_boundaries)
    html = m.get_root().render()
    assert "<img src=x" not in html and "<script>alert(2)" not in html and "javascript:alert(4)" not in html
    assert "49" not in re.findall(r"\(([^)]*)\)</span>", html)  # no template was evaluated
    popups = json.loads(_layers(m, EventPoints)[LAYER_EVENTS].popups_json)
    # The event's own part of its place's popup.
    popup = next(part for p in popups for part in p.split('<div class="afg-popup">') if "DEV-051" in part)
    assert "Place as reported: &lt;img src=x onerror=alert(1)&gt;" in popup
    assert "Target: &quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in popup
    assert "&#123;&#123; 7*7 &#125;&#125; &#36;&#123;alert(3)&#125; &#96;x&#96;" in popup
    assert "href=" not in popup.split("Source:")[1]


def test_light_mode_merges_places_and_sends_no_report_text(events, display_boundaries):
    m = _build(events, display_boundaries, max_points=10)
    layer = _layers(m, EventPoints)[LAYER_EVENTS]
    assert layer.popups_json == "null"
    pts = _points(layer)
    drawable = _drawable(events)
    assert int(pts[:, 3].sum()) == len(drawable)
    places = drawable.assign(lat=(drawable["latitude"] * 1e5).round(), lon=(drawable["longitude"] * 1e5).round())
    assert len(pts) == len(places.drop_duplicates(["lat", "lon", "group"]))
    html = m.get_root().render()
    for text in drawable["location"]:
        if len(text) > 12:
            assert escape_text(text) not in html
    assert "click a point to list its events below the map" in html


def test_fatalities_metric_shades_by_fatalities(events, display_boundaries):
    by_events = json.loads(_layers(_build(events, display_boundaries), CompactPolygons)[LAYER_DISTRICTS].styles_json)
    by_fat = json.loads(
        _layers(_build(events, display_boundaries, metric="fatalities"), CompactPolygons)[LAYER_DISTRICTS].styles_json
    )
    assert by_events != by_fat
    html = _build(events, display_boundaries, metric="fatalities").get_root().render()
    assert "Reported fatalities per district" in html


def test_filters_change_the_map(events, display_boundaries):
    nrf = apply_filters(events, Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31"))
    pts = _points(_layers(_build(nrf, display_boundaries), EventPoints)[LAYER_EVENTS])
    assert int(pts[:, 3].sum()) == len(_drawable(nrf)) < len(_drawable(events))
    assert set(pts[:, 2]) == {0}  # NRF is group 0


def test_empty_selection_still_draws_the_boundaries(events, display_boundaries):
    m = _build(events.iloc[0:0], display_boundaries, basemap="none")
    assert LAYER_EVENTS not in _layers(m, EventPoints)
    assert len(_layers(m, CompactPolygons)) == 2
    m.get_root().render()


def test_bad_options_are_named(events, display_boundaries):
    with pytest.raises(InputError, match="metric"):
        _build(events, display_boundaries, metric="deaths")
    with pytest.raises(InputError, match="basemap"):
        new_map(basemap="satellite")


def test_safe_url_accepts_only_http_links():
    assert safe_url("https://example.org/x") == "https://example.org/x"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//example.org", "https://", "http://a b", None):
        assert safe_url(bad) is None


# --------------------------------------------------------------------------- in a real browser

CHROMIUM = "/usr/bin/chromium"


def _open_in_chromium(html: str, tmp_path):
    """Playwright and the rendered map written as a file whose scripts load from static/vendor via file://."""
    playwright = pytest.importorskip("playwright.sync_api")
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    page_file = tmp_path / "map.html"
    page_file.write_text(
        html.replace('"/app/static/vendor/', '"' + settings.VENDOR_DIR.as_uri() + "/"), encoding="utf-8"
    )
    return playwright, page_file


def test_map_page_in_chromium_draws_everything_offline_and_runs_no_payload(events, display_boundaries, tmp_path):
    hostile = events[events["adm2_pcode"] != ""].head(20).copy()
    pos = hostile.index[0]
    hostile.loc[pos, "location"] = PAYLOAD_IMG
    hostile.loc[pos, "actor2"] = PAYLOAD_SCRIPT
    hostile.loc[pos, "notes"] = "<svg onload=alert(5)>"
    level = events[(events["adm2_pcode"] == "") & (events["adm1_pcode"] != "")].head(2)
    html = _build(pd.concat([hostile, level]), display_boundaries, basemap="none").get_root().render()
    playwright, page_file = _open_in_chromium(html, tmp_path)
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--allow-file-access-from-files"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.add_init_script(
                "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"
            )
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r):
                if r.request.url.startswith(("file://", "data:", "about:")):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(page_file.as_uri())
            page.wait_for_selector(".leaflet-marker-icon .afg-point, .afg-point", timeout=15_000)
            n_paths = page.locator("path.leaflet-interactive").count()
            assert n_paths >= settings.N_PROVINCES + settings.N_DISTRICTS + level["adm1_pcode"].nunique()
            markers = page.locator(".leaflet-marker-icon.afg-point")
            assert markers.count() == len(hostile[["latitude", "longitude"]].round(5).drop_duplicates())
            # Open the hostile event's popup (markers at one place overlap, so find it through Leaflet).
            opened = page.evaluate(
                """() => {
                    const map = window[Object.keys(window).find(k => k.startsWith("map_"))];
                    let done = false;
                    map.eachLayer(l => {
                        if (!done && l.getPopup && l.getPopup() && l.getLatLng
                            && String(l.getPopup().getContent()).includes("onerror")) { l.openPopup(); done = true; }
                    });
                    return done;
                }"""
            )
            assert opened
            found = page.locator(".leaflet-popup-content")
            found.wait_for(timeout=5_000)
            text = found.inner_text()
            assert "Place as reported: " + PAYLOAD_IMG in text
            assert "Target: " + PAYLOAD_SCRIPT in text
            assert found.locator("img, script, svg").count() == 0
            out = settings.REPO_ROOT / "test-output"
            out.mkdir(exist_ok=True)
            page.wait_for_timeout(400)  # the popup fades in
            page.screenshot(path=str(out / "maps-offline.png"))
            assert page.evaluate("window.__alerts") == []
            assert errors == []
        finally:
            browser.close()
    assert outside == []


def test_varints_round_trip_small_and_large_signed_numbers():
    rng = np.random.default_rng(7)
    values = np.concatenate([[0, 1, -1, 15, -16, 16, 2**31, -(2**31)], rng.integers(-4_000_000, 4_000_000, 5_000)])
    text = encode_varints(values)
    assert set(text) <= {chr(c) for c in range(63, 127)}
    np.testing.assert_array_equal(decode_varints(text), values)
    assert len(encode_varints(np.arange(-15, 16))) == 31  # one character each


def test_light_mode_in_chromium_clusters_points_at_their_events_own_coordinates(events, display_boundaries, tmp_path):
    html = _build(events, display_boundaries, basemap="none", max_points=5).get_root().render()
    playwright, page_file = _open_in_chromium(html, tmp_path)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--allow-file-access-from-files"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            page.wait_for_selector(".marker-cluster, .afg-point", timeout=15_000)
            # Every marker sits exactly where its events are (so a click finds them) and says how many.
            markers = page.evaluate(
                """() => {
                    const map = window[Object.keys(window).find(k => k.startsWith("map_"))];
                    const out = [];
                    map.eachLayer(l => {
                        if (!(l instanceof L.MarkerClusterGroup)) return;
                        l.getLayers().forEach(m => {
                            out.push([m.getLatLng().lat, m.getLatLng().lng, String(m.getPopup().getContent())]);
                        });
                    });
                    return out;
                }"""
            )
            assert errors == []
        finally:
            browser.close()
    drawable = _drawable(events)
    places = drawable.groupby([drawable["latitude"].round(5), drawable["longitude"].round(5), "group"]).size()
    assert len(markers) == len(places)
    for lat, lon, popup in markers:
        here = drawable[((drawable["latitude"] - lat).abs() < 1e-5) & ((drawable["longitude"] - lon).abs() < 1e-5)]
        assert len(here) >= 1
        n = int(re.search(r"<b>(\d+) events? here</b>", popup).group(1))
        group = re.search(r"<br>([^:<]+): ", popup).group(1)
        assert n == int((here["group"] == group).sum())
