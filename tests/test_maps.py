"""The event map on the real events and the real simplified boundaries: the two parts, then in Chromium."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo.assets import STABLE_MTIME
from geo.errors import InputError
from geo.events import load_events
from geo.filters import Filters, apply_filters, summarize
from geo.maps import (
    EMPTY_NOTICE,
    OFFLINE_NOTICE,
    POINT_DECIMALS,
    MapAssets,
    base_map,
    boundaries_payload,
    build_event_map,
    decode_varints,
    encode_varints,
    escape_text,
    event_layer,
    event_layer_data,
    event_popup_html,
    map_selection,
    new_map,
    point_rows,
    publish_map_assets,
    safe_url,
)
from geo.schema import aggregate_mask
from tests.mapcheck import DRAWN_JS, RING_PIXELS_JS, box_hits, ring_in_group_colours

EXTERNAL_LINK = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["\']?((?:https?:)?//[^"\' >]+)', re.I)
PAYLOAD_IMG = "<img src=x onerror=alert(1)>"
PAYLOAD_SCRIPT = '"><script>alert(2)</script>'

pytestmark = pytest.mark.usefixtures("vendored_assets")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return apply_filters(load_events(), Filters())


@pytest.fixture(scope="module")
def assets(display_boundaries) -> MapAssets:
    return publish_map_assets(*display_boundaries)


def _drawable(events: pd.DataFrame) -> pd.DataFrame:
    return events[events["latitude"].notna() & (events["adm2_pcode"] != "") & (events["geo_precision"].fillna(0) != 3)]


def _rows(data: dict) -> np.ndarray:
    """The points as the browser decodes them: lat, lon (accumulated deltas), group index, count."""
    flat = decode_varints(data["points"]).reshape(-1, 4)
    flat[:, :2] = np.cumsum(flat[:, :2], axis=0)
    return flat


def _places(frame: pd.DataFrame) -> pd.Series:
    lat = (frame["latitude"] * 10**POINT_DECIMALS).round().astype("int64")
    lon = (frame["longitude"] * 10**POINT_DECIMALS).round().astype("int64")
    return lat.astype(str) + "," + lon.astype(str)


# --------------------------------------------------------------------------- the base: boundaries and scripts


def test_boundaries_file_holds_every_unit_with_common_names_and_round_trips(display_boundaries):
    provinces, districts = display_boundaries
    data = boundaries_payload(provinces, districts)
    assert [p["p"] for p in data["provinces"]] == list(provinces["pcode"])
    assert [d["p"] for d in data["districts"]] == list(districts["pcode"])
    herat = next(p for p in data["provinces"] if p["p"] == "AF32")
    assert (herat["n"], herat["t"]) == ("Herat", "Herat (Hirat)")
    # Every ring decodes back to the display geometry's vertices (to 1e-4 degree).
    kabul = next(d for d in data["districts"] if d["p"] == "AF0101")
    ring = decode_varints(kabul["g"][0][0]).reshape(-1, 2).cumsum(axis=0) / data["scale"]
    geom = districts.loc[districts["pcode"] == "AF0101"].geometry.iloc[0]
    exterior = np.asarray((geom.geoms[0] if geom.geom_type == "MultiPolygon" else geom).exterior.coords)
    assert np.abs(ring[0] - exterior[0]).max() <= 1e-4 and len(ring) >= 0.9 * len(exterior)


def test_map_files_are_content_addressed_and_cacheable(display_boundaries, assets):
    for url in (assets.script_url, assets.boundaries_url):
        assert url.startswith(settings.GENERATED_URL + "/")
        path = settings.GENERATED_DIR / url.rsplit("/", 1)[1]
        assert path.is_file() and int(path.stat().st_mtime) == STABLE_MTIME
    text = (settings.GENERATED_DIR / assets.boundaries_url.rsplit("/", 1)[1]).read_text(encoding="utf-8")
    assert text.startswith("window.AFG_BOUNDARIES=") and '"AF3201"' in text
    # The same content gives the same URL (nothing written again); other content another URL.
    assert publish_map_assets(*display_boundaries) == assets
    provinces, districts = display_boundaries
    assert publish_map_assets(provinces, districts.head(10)).boundaries_url != assets.boundaries_url


def test_base_map_is_the_same_for_every_selection_and_loads_only_local_files(assets):
    html = base_map(assets, basemap="none").get_root().render()
    assert EXTERNAL_LINK.findall(html) == []
    assert "tile.openstreetmap.org" not in html  # no basemap: nothing to fetch
    assert assets.script_url in html and assets.boundaries_url in html and "AGCHO / OCHA" in html
    # Only Leaflet among folium's files: no jQuery, Bootstrap or Font Awesome to load.
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower() and "fontawesome" not in html.lower()
    # No event data in it: the same script, small, whatever is selected.
    assert "AfgMap.update" not in html and len(html) < 20_000
    osm = base_map(assets, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in osm and "openstreetmap.org/copyright" in osm
    assert "the OpenStreetMap tiles could not be loaded" in osm and "could not be loaded" in OFFLINE_NOTICE


def test_the_selection_travels_as_a_feature_group_for_st_folium(events):
    group = event_layer(event_layer_data(events))
    (child,) = group._children.values()
    assert child._template.module.script(child).strip().startswith("AfgMap.update({")


# --------------------------------------------------------------------------- the selection


def test_every_drawable_event_is_counted_once_at_its_own_place_and_group(events):
    data = event_layer_data(events)
    rows = _rows(data)
    drawable = _drawable(events)
    assert int(rows[:, 3].sum()) == len(drawable) == data["total"]
    key = _places(drawable) + "," + drawable["group"].map({g: str(i) for i, g in enumerate(data["groups"])})
    expected = key.value_counts()
    got = {f"{a},{b},{g}": n for a, b, g, n in rows.tolist()}
    assert got == expected.to_dict()
    # Rows of one place are consecutive (the browser finds a place's groups side by side).
    places = [f"{a},{b}" for a, b in rows[:, :2].tolist()]
    assert len(places) == len(set(places)) + sum(1 for a, b in zip(places, places[1:], strict=False) if a == b)


def test_each_place_has_one_popup_listing_all_its_events(events):
    data = event_layer_data(events)
    drawable = _drawable(events)
    place_key = _places(drawable)
    rows = _rows(data)
    order = list(dict.fromkeys(f"{a},{b}" for a, b in rows[:, :2].tolist()))
    assert len(data["popups"]) == len(order) == place_key.nunique()
    for key, popup in zip(order, data["popups"], strict=True):
        ids = re.findall(r'<span style="color:#777">([^<]+)</span></div>', popup)
        here = drawable.loc[place_key == key, "event_id"]
        assert sorted(ids) == sorted(here)
        if len(here) > 1:
            assert popup.startswith(f'<div class="afg-popup-list"><b>{len(here)} events at this place</b>')


def test_stacked_events_at_one_place_keep_their_count():
    # Seven NRF events at one place are one row with a count of seven, not one dot among seven hidden ones.
    frame = pd.DataFrame({"latitude": [34.52] * 7 + [34.6], "longitude": [69.18] * 7 + [69.2], "group": ["NRF"] * 8})
    rows, place = point_rows(frame)
    assert rows.tolist() == [[3452000, 6918000, 0, 7], [3460000, 6920000, 0, 1]]
    assert place.tolist() == [0] * 7 + [1]


def test_province_level_events_are_counted_by_province_never_drawn(events):
    data = event_layer_data(events)
    level = events[(events["adm1_pcode"] != "") & (events["adm2_pcode"] == "")]
    assert len(level) > 0
    assert data["provinceLevel"] == level["adm1_pcode"].value_counts().to_dict()
    drawn = {(int(a), int(b)) for a, b in _rows(data)[:, :2]}
    for lat, lon in level[["latitude", "longitude"]].dropna().itertuples(index=False):
        assert (round(lat * 1e5), round(lon * 1e5)) not in drawn
    assert f"{len(level)} events known only to province level" in data["legend"]


def test_districts_carry_events_and_fatalities_and_the_metric_picks_the_shading(events):
    by_events, by_fat = event_layer_data(events), event_layer_data(events, metric="fatalities")
    placed = events[events["adm2_pcode"] != ""]
    assert sum(e for e, _ in by_events["districts"].values()) == len(placed)
    assert sum(f for _, f in by_events["districts"].values()) == int(placed["fatalities"].fillna(0).sum())
    assert by_events["bins"] != by_fat["bins"]
    assert "Reported fatalities per district" in by_fat["legend"]


def test_light_mode_sends_counts_and_no_report_text(events):
    data = event_layer_data(events, max_popups=10)
    assert data["popups"] is None
    assert int(_rows(data)[:, 3].sum()) == len(_drawable(events))
    payload = json.dumps(data, ensure_ascii=False)
    for text in _drawable(events)["location"]:
        if len(text) > 12:
            assert escape_text(text) not in payload
    assert "click a place to list its events below the map" in data["legend"]


def test_empty_selection_says_so_and_still_sends_the_shading_scale(events):
    data = event_layer_data(events.iloc[0:0])
    assert data["points"] == "" and data["total"] == 0 and data["districts"] == {}
    assert data["emptyNotice"] == EMPTY_NOTICE and "Widen the filters" in EMPTY_NOTICE
    assert event_layer_data(events)["emptyNotice"] is None


def test_a_new_selection_gets_a_new_version(events):
    nrf = apply_filters(events, Filters(groups=("NRF",)))
    assert event_layer_data(events)["version"] == event_layer_data(events)["version"]
    assert event_layer_data(events)["version"] != event_layer_data(nrf)["version"]
    assert event_layer_data(nrf)["groups"][0] == "NRF" and set(_rows(event_layer_data(nrf))[:, 2]) == {0}


def test_map_selection_equals_the_cli_summary_without_copying_rows(events):
    all_events = load_events()
    for filters in (
        Filters(),
        Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31"),
        Filters(exact_only=True),
    ):
        selection = map_selection(all_events, filters)
        chosen = apply_filters(all_events, filters)
        assert selection.summary == summarize(chosen, filters=filters)
        assert int(selection.mask.sum()) == len(chosen)
        statements = apply_filters(all_events, filters, include_aggregates=True)
        assert selection.statements == int(aggregate_mask(statements).sum())
        assert json.loads(selection.layer) == event_layer_data(chosen)


def test_bad_options_are_named(events, display_boundaries):
    with pytest.raises(InputError, match="metric"):
        event_layer_data(events, metric="deaths")
    with pytest.raises(InputError, match="basemap"):
        new_map(basemap="satellite")
    provinces, districts = display_boundaries
    with pytest.raises(InputError, match="name_en"):
        boundaries_payload(provinces.drop(columns="name_en"), districts)


# --------------------------------------------------------------------------- popups and escaping


def test_popup_has_every_field_its_precision_and_a_safe_source_link(events):
    row = events.loc[events["source_url"].str.contains("&", regex=False)].iloc[0]
    popup = event_popup_html(row)
    fields = [row["group"], row["actor2"], row["location"], row["claim_status"]]
    fields += ["not reported" if pd.isna(row["fatalities"]) else str(row["fatalities"])]
    for text in fields:
        assert escape_text(text) in popup
    assert f'href="{escape_text(row["source_url"])}"' in popup and 'rel="noopener noreferrer"' in popup
    assert "&amp;" in popup.split('href="')[1].split('"')[0]  # the query string is escaped inside the attribute


def test_popup_says_how_precise_the_date_and_the_point_are():
    popup = event_popup_html(
        {"event_date": pd.Timestamp("2024-03-01"), "date_precision": "month", "group": "NRF", "geo_precision": 2,
         "adm1_pcode": "AF32", "admin1": "Hirat", "adm2_pcode": "AF3201", "admin2": "Hirat"}
    )  # fmt: skip
    assert "<b>Mar 2024 (month)</b>" in popup and "2024-03-01" not in popup
    assert "placed at district centre" in popup
    assert "District, province: Herat (Hirat), Herat (Hirat)" in popup
    day = event_popup_html({"event_date": "2025-12-10", "date_precision": "day", "geo_precision": 1})
    assert "10 Dec 2025" in day and "placed at the named place" in day


def test_report_text_is_escaped_and_never_markup(events, display_boundaries):
    hostile = events.copy()
    pos = hostile.index[hostile["event_id"] == "DEV-051"][0]
    hostile.loc[pos, "location"] = PAYLOAD_IMG
    hostile.loc[pos, "actor2"] = PAYLOAD_SCRIPT
    hostile.loc[pos, "actor1"] = "{{ 7*7 }} ${alert(3)} `x`"
    hostile.loc[pos, "source_url"] = "javascript:alert(4)"
    html = (
        build_event_map(hostile, provinces=display_boundaries[0], districts=display_boundaries[1]).get_root().render()
    )
    assert "<img src=x" not in html and "<script>alert(2)" not in html and "javascript:alert(4)" not in html
    assert "49" not in re.findall(r"\(([^)]*)\)</span>", html)  # no template was evaluated
    popups = event_layer_data(hostile)["popups"]
    popup = next(part for p in popups for part in p.split('<div class="afg-popup">') if "DEV-051" in part)
    assert "Place as reported: &lt;img src=x onerror=alert(1)&gt;" in popup
    assert "Target: &quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in popup
    assert "&#123;&#123; 7*7 &#125;&#125; &#36;&#123;alert(3)&#125; &#96;x&#96;" in popup
    assert "href=" not in popup.split("Source:")[1]


def test_safe_url_accepts_only_http_links():
    assert safe_url("https://example.org/x") == "https://example.org/x"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//example.org", "https://", "http://a b", None):
        assert safe_url(bad) is None


def test_varints_round_trip_small_and_large_signed_numbers():
    rng = np.random.default_rng(7)
    values = np.concatenate([[0, 1, -1, 15, -16, 16, 2**31, -(2**31)], rng.integers(-4_000_000, 4_000_000, 5_000)])
    text = encode_varints(values)
    assert set(text) <= {chr(c) for c in range(63, 127)}
    np.testing.assert_array_equal(decode_varints(text), values)
    assert len(encode_varints(np.arange(-15, 16))) == 31  # one character each


# --------------------------------------------------------------------------- in a real browser (file://)

CHROMIUM = "/usr/bin/chromium"
LOCAL_ONLY = ("file://", "data:", "about:")


@pytest.fixture
def chromium_page(tmp_path):
    """``open(html, size)``: a map page saved as a file (scripts from static/ via file://) in Chromium."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--allow-file-access-from-files"])
        state = {"outside": [], "errors": []}

        def route(r):
            if r.request.url.startswith(LOCAL_ONLY):
                r.continue_()
            else:
                state["outside"].append(r.request.url)
                r.abort()

        def open_page(html: str, width: int = 1200, height: int = 900):
            page_file = tmp_path / f"map-{len(list(tmp_path.iterdir()))}.html"
            page_file.write_text(html.replace('"/app/static/', '"' + settings.STATIC_DIR.as_uri() + "/"), "utf-8")
            page = browser.new_page(viewport={"width": width, "height": height})
            page.add_init_script("window.__alerts = []; window.alert = m => window.__alerts.push(String(m));")
            page.on("pageerror", lambda e: state["errors"].append(str(e)))
            page.route("**/*", route)
            page.goto(page_file.as_uri())
            page.wait_for_selector("body[data-afg-ready]", timeout=30_000)
            return page

        state["open"] = open_page
        yield state
        browser.close()


def test_in_chromium_stacked_places_show_their_count_and_clusters_their_groups(
    events, display_boundaries, chromium_page
):
    html = build_event_map(events, provinces=display_boundaries[0], districts=display_boundaries[1], basemap="none")
    page = chromium_page["open"](html.get_root().render())
    n_paths = page.locator("path.leaflet-interactive").count()
    assert n_paths >= settings.N_PROVINCES + settings.N_DISTRICTS
    drawn = page.evaluate(DRAWN_JS)
    data = event_layer_data(events)
    assert sum(c["total"] for c in drawn) == data["total"] == len(_drawable(events))  # every event, once
    stacked = [c for c in drawn if c["single"] and c["total"] > 1]
    clusters = [c for c in drawn if not c["single"]]
    assert stacked and clusters
    assert all(c["r"] > 6 for c in stacked + clusters)  # a disc with a number, never the 12 px dot
    # A cluster's colours are its groups, in proportion (e.g. {"NRF": 5, "ISKP": 3}): the ring's pixels are
    # drawn in those groups' colours (sampled on the three largest rings, which are drawn last, on top).
    for c in clusters:
        assert sum(c["groups"].values()) == c["total"]
    rings = page.evaluate(RING_PIXELS_JS)
    assert len(rings) >= 1
    for ring in rings:
        assert ring_in_group_colours(ring), ring
    # The counts under province names, and no label overlaps another.
    badges = page.evaluate(
        "() => [...document.querySelectorAll('.afg-label')].filter(e => !e.classList.contains('afg-hidden'))"
        ".map(e => { const r = e.firstElementChild.getBoundingClientRect(); const b = e.querySelector('.afg-badge');"
        " return [r.left, r.top, r.right, r.bottom, b.hidden ? '' : b.textContent]; })"
    )
    assert sum(int(b[4].split()[0]) for b in badges if b[4]) > 0
    for i, a in enumerate(badges):
        for b in badges[i + 1 :]:
            assert not box_hits(a, b), (a, b)
    assert chromium_page["errors"] == [] and chromium_page["outside"] == []


def test_in_chromium_a_click_opens_the_place_popup_and_a_cluster_zooms(events, display_boundaries, chromium_page):
    hostile = events.copy()
    place = _drawable(events).groupby(_places(_drawable(events))).size().idxmax()  # the busiest place
    rows = _drawable(events).index[_places(_drawable(events)) == place]
    hostile.loc[rows[0], "location"] = PAYLOAD_IMG
    hostile.loc[rows[0], "actor2"] = PAYLOAD_SCRIPT
    html = build_event_map(hostile, provinces=display_boundaries[0], districts=display_boundaries[1], basemap="none")
    page = chromium_page["open"](html.get_root().render())
    page.evaluate(
        "() => { window.__clicks = []; AfgMap.state.events.on('click', e => window.__clicks.push(e.latlng)); }"
    )
    lat, lng = (int(v) / 10**POINT_DECIMALS for v in place.split(","))
    page.evaluate(f"() => {{ AfgMap.state.map.setView([{lat}, {lng}], 16, {{animate: false}}); }}")
    page.wait_for_timeout(300)
    target = next(c for c in page.evaluate(DRAWN_JS) if c["single"] and abs(c["lat"] - lat) < 1e-6)
    assert target["total"] == len(rows)
    page.mouse.click(target["x"], target["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    text = popup.inner_text()
    assert f"{len(rows)} events at this place" in text
    assert "Place as reported: " + PAYLOAD_IMG in text and "Target: " + PAYLOAD_SCRIPT in text
    assert popup.locator("img, script, svg").count() == 0 and page.evaluate("window.__alerts") == []
    # The click reports the place's own coordinates (the page lists its events from them).
    assert page.evaluate("window.__clicks") == [{"lat": lat, "lng": lng}]
    out = settings.REPO_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    page.wait_for_timeout(300)  # the popup fades in
    page.screenshot(path=str(out / "maps-popup.png"))
    # Back to the country: a click on a cluster of several places zooms in, and reports nothing.
    page.evaluate("() => { AfgMap.state.map.closePopup(); AfgMap.state.map.setZoom(6, {animate: false}); }")
    page.wait_for_timeout(300)
    cluster = max((c for c in page.evaluate(DRAWN_JS) if not c["single"]), key=lambda c: c["total"])
    zoom = page.evaluate("() => AfgMap.state.map.getZoom()")
    page.mouse.click(cluster["x"], cluster["y"])
    page.wait_for_function(f"() => AfgMap.state.map.getZoom() > {zoom}", timeout=5_000)
    assert len(page.evaluate("window.__clicks")) == 1
    assert chromium_page["errors"] == [] and chromium_page["outside"] == []


def test_in_chromium_without_network_the_tiles_give_way_to_no_basemap_with_a_notice(
    events, display_boundaries, chromium_page
):
    html = build_event_map(events, provinces=display_boundaries[0], districts=display_boundaries[1], basemap="osm")
    page = chromium_page["open"](html.get_root().render())
    page.wait_for_function("() => AfgMap.state.basemapOffline === true", timeout=15_000)
    notice = page.locator(".afg-notice")
    assert notice.is_visible() and "could not be loaded" in notice.inner_text()
    assert (
        page.evaluate(
            "() => { let n = 0; AfgMap.state.map.eachLayer(l => { if (l instanceof L.TileLayer) n++; }); return n; }"
        )
        == 0
    )
    assert any("tile.openstreetmap.org" in url for url in chromium_page["outside"])  # it did try, and was refused
    assert chromium_page["errors"] == []


def test_in_chromium_an_empty_selection_says_widen_the_filters(events, display_boundaries, chromium_page):
    html = build_event_map(
        events.iloc[0:0], provinces=display_boundaries[0], districts=display_boundaries[1], basemap="none"
    )
    page = chromium_page["open"](html.get_root().render(), width=390, height=700)
    assert "Widen the filters" in page.locator(".afg-notice").inner_text()
    assert page.locator("path.leaflet-interactive").count() >= settings.N_PROVINCES + settings.N_DISTRICTS
    # A phone-sized map starts with the legend folded.
    assert page.evaluate("() => AfgMap.state.legend._folded") is True
    assert chromium_page["errors"] == [] and chromium_page["outside"] == []
