"""The app in a real browser (Playwright + Debian's chromium) against ``streamlit run app.py`` on 127.0.0.1.

Every page is opened with ``basemap=none`` and every request to a host other
than 127.0.0.1 is aborted and recorded: the tests prove the map works with no
network at all and that the app asks no third party for anything.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest

from geo import settings
from geo.events import load_events
from geo.filters import Filters, apply_filters, headline
from tests.mapcheck import DRAWN_JS, RING_PIXELS_JS, box_hits, ring_in_group_colours

from .conftest import VIEWPORTS, OfflinePage

REPO = settings.REPO_ROOT
PAYLOAD = "<img src=x onerror=window.__xss=1>"
SCRIPT_URL = "javascript:window.__xss=2//https://example.org/report"
NRF_LINK = {"group": "NRF", "start": "2024-03-01", "end": "2025-03-31", "basemap": "none"}
MAP_TIMEOUT_S = 60


def cli_summary(*args: str, events: Path | None = None) -> dict:
    cmd = [sys.executable, "-m", "geo", "summary", *args]
    if events is not None:
        cmd += ["--events", str(events)]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def open_app(page, base_url: str, params: dict, path: str = "") -> None:
    page.goto(f"{base_url}/{path}?{urlencode(params, doseq=True)}", wait_until="domcontentloaded")


def wait_for_headline(page) -> str:
    headline_el = page.locator(".st-key-headline h3")
    headline_el.wait_for(state="visible", timeout=MAP_TIMEOUT_S * 1000)
    return headline_el.inner_text().strip()


def map_frame(page, *, not_version: str | None = None):
    """The streamlit-folium iframe once its map has drawn a selection (``body[data-afg-ready]``, set by
    geo/web/afgmap.js after the first paint); with ``not_version``, once it drew another selection."""
    deadline = time.monotonic() + MAP_TIMEOUT_S
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "st_folium" not in frame.url:
                continue
            try:
                version = frame.evaluate("() => document.body && document.body.getAttribute('data-afg-ready')")
            except Exception:  # the frame is being replaced by a rerun
                version = None
            if version is not None and version != not_version:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError("the map did not draw within the time limit")


def ready_version(frame) -> str:
    return frame.evaluate("() => document.body.getAttribute('data-afg-ready')")


# Count what Leaflet drew: polygons (provinces, districts), the event canvas, tiles.
COUNT_LAYERS_JS = """
() => {
  const out = {polygons: 0, svgPaths: 0, canvases: 0, tiles: 0, tileLayers: 0};
  AfgMap.state.map.eachLayer(layer => {
    if (layer instanceof L.Polygon) out.polygons += 1;
    if (layer instanceof L.TileLayer) out.tileLayers += 1;
  });
  out.svgPaths = document.querySelectorAll('.leaflet-overlay-pane svg path').length;
  out.canvases = document.querySelectorAll('canvas.afg-events-canvas').length;
  out.tiles = document.querySelectorAll('.leaflet-tile-pane img').length;
  out.drawnEvents = AfgMap.state.events._drawn.c.reduce((n, s) => n + AfgMap.state.events.level(AfgMap.state.map.getZoom()).total[s], 0);
  out.total = AfgMap.state.total;
  return out;
}
"""


def open_sidebar(page) -> None:
    """Open the sidebar if it is closed (it starts closed on a phone)."""
    box = page.locator('[data-testid="stSidebar"]').bounding_box()
    if box["x"] + box["width"] <= 0:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right > 200"
        )


# The boxes of the province labels on screen.
LABELS_JS = """() => [...document.querySelectorAll('.afg-label:not(.afg-hidden)')].map(e => {
  const r = e.firstElementChild.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""

# Every province's count of province-level events, as its label holds it (shown or hidden by the declutter).
BADGES_JS = """() => AfgMap.state.labels.filter(l => l.badge).map(l => [
  l.marker.getElement().querySelector('.afg-name').textContent,
  l.marker.getElement().querySelector('.afg-badge').textContent, l.badge])"""


# Where the visible labels, the drawn events (the box of each disc or ring) and the country (its province
# outlines) are, in the map frame's viewport pixels, measured in the page: [left, top, right, bottom].
LAYOUT_JS = """() => {
  const st = AfgMap.state, map = st.map, ev = st.events, d = ev._drawn, pane = map._getMapPanePos();
  const frame = map.getContainer().getBoundingClientRect();
  const box = r => [r.left, r.top, r.right, r.bottom];
  const labels = [...document.querySelectorAll('.afg-label:not(.afg-hidden)')].map(e => ({
    box: box(e.firstElementChild.getBoundingClientRect()), text: e.textContent}));
  const markers = d.c.map((_, j) => {
    const x = frame.left + d.x[j] + ev._topLeft.x + pane.x, y = frame.top + d.y[j] + ev._topLeft.y + pane.y, r = d.r[j];
    return [x - r, y - r, x + r, y + r];
  }).filter(m => m[0] < frame.right && m[2] > frame.left && m[1] < frame.bottom && m[3] > frame.top);
  const outlines = Object.values(st.provinces).map(p => box(p.layer._path.getBoundingClientRect()));
  const country = [0, 1, 2, 3].map(k => (k < 2 ? Math.min : Math.max)(...outlines.map(o => o[k])));
  return {labels: labels, markers: markers, frame: box(frame), country: country};
}"""


def settled_layout(frame) -> dict:
    """:data:`LAYOUT_JS` once two measures 300 ms apart agree (the frame fitted, the labels placed)."""
    last = None
    for _ in range(40):
        now = frame.evaluate(LAYOUT_JS)
        if now == last:
            return now
        last = now
        frame.page.wait_for_timeout(300)
    raise AssertionError(f"the map's layout did not settle: {last}")


def click_in_map(page, frame, x: float, y: float) -> None:
    """Click at (x, y) of the map frame's viewport (the map scrolled into view first)."""
    element = page.locator("iframe[title*='st_folium']").first
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def shot(holder, name: str, output_dir: Path) -> None:
    """A full-page screenshot in test-output/, named for the test and the screen size."""
    holder.page.wait_for_timeout(400)  # the last paint, popups fading in
    holder.page.screenshot(path=str(output_dir / f"{name}-{holder.size}.png"), full_page=True)


def boxes_overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_map_draws_provinces_and_districts_offline(bundled_server, sized_page, output_dir):
    page = sized_page.page
    open_app(page, bundled_server.url, {"basemap": "none"})
    shown = wait_for_headline(page)
    assert shown == headline(cli_summary())
    frame = map_frame(page)
    counts = frame.evaluate(COUNT_LAYERS_JS)
    # Every district is shaded and every province outlined; the events on one canvas, every one counted.
    assert counts["polygons"] >= settings.N_PROVINCES + settings.N_DISTRICTS, counts
    assert counts["svgPaths"] >= settings.N_PROVINCES + settings.N_DISTRICTS, counts
    assert counts["canvases"] == 1 and counts["drawnEvents"] == counts["total"] > 0, counts
    assert counts["tiles"] == 0 and counts["tileLayers"] == 0, counts  # no basemap: nothing to fetch
    # Controls: the layer list folded into its button; the legend foldable (folded on a phone).
    assert frame.locator(".leaflet-control-layers-expanded").count() == 0
    legend = frame.locator(".afg-legend")
    folded = frame.evaluate("() => AfgMap.state.legend._folded")
    assert folded is (sized_page.size == "mobile")
    controls = {
        name: frame.locator(sel).bounding_box()
        for name, sel in (
            ("zoom", ".leaflet-control-zoom"),
            ("layers", ".leaflet-control-layers"),
            ("legend", ".afg-legend"),
        )
    }
    size = frame.evaluate("() => AfgMap.state.map.getSize()")
    for a, b in (("zoom", "layers"), ("zoom", "legend"), ("layers", "legend")):
        assert not boxes_overlap(controls[a], controls[b]), (a, b, controls)
    legend_share = controls["legend"]["width"] * controls["legend"]["height"] / (size["x"] * size["y"])
    assert legend_share < (0.03 if sized_page.size == "mobile" else 0.15), legend_share
    # Rings are drawn in their groups' colours; the counts of province-level events sit in the province
    # labels, and no visible label overlaps another.
    rings = frame.evaluate(RING_PIXELS_JS)
    assert rings
    for ring in rings:
        assert ring_in_group_colours(ring), json.dumps(ring)
    labels = frame.evaluate(LABELS_JS)
    level = apply_filters(load_events(), Filters())
    level = level[(level["adm1_pcode"] != "") & (level["adm2_pcode"] == "")]
    assert sorted(n for _, _, n in frame.evaluate(BADGES_JS)) == sorted(level["adm1_pcode"].value_counts().tolist())
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not box_hits(a, b), (a, b)
    layout = settled_layout(frame)
    assert not [(lab, m) for lab in layout["labels"] for m in layout["markers"] if box_hits(lab["box"], m)]
    shot(sized_page, "map", output_dir)
    legend.locator("button").click()  # folds and unfolds
    assert frame.evaluate("() => AfgMap.state.legend._folded") is (not folded)
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
    if sized_page.size == "mobile":  # closed on a phone (moved off the screen), so the map is what one sees
        assert sidebar["x"] + sidebar["width"] <= 0, sidebar
    else:
        assert sidebar["x"] >= 0 and sidebar["width"] >= 250, sidebar
    assert sized_page.errors == []


@pytest.mark.parametrize("screen", ["desktop-1280x800", "mobile"])
def test_labels_keep_clear_of_the_events_and_the_country_fills_the_map(bundled_server, browser, screen, output_dir):
    if screen == "mobile":
        holder = OfflinePage(browser, size="mobile")
    else:
        holder = OfflinePage(browser, viewport={"width": 1280, "height": 800})
    holder.size = screen
    try:
        page = holder.page
        open_app(page, bundled_server.url, {"basemap": "none"})
        wait_for_headline(page)
        frame = map_frame(page)
        page.locator("iframe[title*='st_folium']").first.scroll_into_view_if_needed()
        layout = settled_layout(frame)
        # No visible province name or count of province-level events covers a drawn disc or ring.
        labels, markers = layout["labels"], layout["markers"]
        assert len(labels) >= 10 and len(markers) >= 8, layout
        hits = [(lab["text"], m) for lab in labels for m in markers if box_hits(lab["box"], m)]
        assert hits == [], hits
        # Labels stay whole in the frame.
        left, top, right, bottom = layout["frame"]
        assert all(
            b[0] >= left and b[1] >= top and b[2] <= right and b[3] <= bottom for b in (x["box"] for x in labels)
        )
        # The country is drawn whole and fills most of the frame, on a phone too (not a third of a tall frame).
        c = layout["country"]
        assert c[0] >= left - 1 and c[1] >= top - 1 and c[2] <= right + 1 and c[3] <= bottom + 1, layout
        width_share, height_share = (c[2] - c[0]) / (right - left), (c[3] - c[1]) / (bottom - top)
        assert width_share >= 0.75 and height_share >= 0.75, (width_share, height_share)
        # The frame fits on the screen, with room to scroll past it.
        screen_height = page.viewport_size["height"]
        assert page.locator("iframe[title*='st_folium']").first.bounding_box()["height"] < screen_height - 100
        shot(holder, "map-labels", output_dir)
        assert holder.errors == [] and holder.blocked == []
    finally:
        holder.close()


def test_headline_wraps_between_parts_never_inside_a_date(bundled_server, sized_page, output_dir):
    page = sized_page.page
    open_app(page, bundled_server.url, NRF_LINK)
    assert wait_for_headline(page) == headline(
        cli_summary("--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31")
    )
    lines = page.evaluate(
        "() => [...document.querySelectorAll('.st-key-headline .afg-part')].map(e => [e.innerText, e.getClientRects().length])"
    )
    assert len(lines) == 5 and all(n == 1 for _, n in lines), lines  # each part on one line
    if sized_page.size == "mobile":  # a phone cannot hold it on one line: it wraps, between parts
        assert page.locator(".st-key-headline h3").bounding_box()["height"] > 60
    shot(sized_page, "headline", output_dir)


@pytest.mark.parametrize("path", ["spread", "data", "about"])
def test_other_pages_load_offline_without_error(bundled_server, offline_page, path):
    page = offline_page.page
    open_app(page, bundled_server.url, {"basemap": "none"}, path=path)
    page.locator("h1").first.wait_for(timeout=MAP_TIMEOUT_S * 1000)
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').count() >= 1  # the shared filters
    assert page.locator('[data-testid="stException"]').count() == 0
    assert offline_page.blocked == []
    assert offline_page.errors == []


def test_shared_link_headline_equals_cli_summary(bundled_server, offline_page):
    page = offline_page.page
    open_app(page, bundled_server.url, NRF_LINK)
    shown = wait_for_headline(page)
    expected = headline(cli_summary("--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31"))
    assert shown == expected
    # The sidebar shows the link's selection, and no warning was raised.
    assert page.locator('[data-testid="stSidebar"]').get_by_text("NRF", exact=True).count() >= 1
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0
    assert offline_page.blocked == []


def test_bad_link_warns_in_the_page(bundled_server, offline_page):
    page = offline_page.page
    open_app(page, bundled_server.url, {"group": "XYZ", "start": "2024-13-40", "basemap": "none"})
    shown = wait_for_headline(page)
    assert shown == headline(cli_summary())
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    warnings.first.wait_for()
    text = " ".join(warnings.all_inner_texts())
    assert "group='XYZ'" in text and "start='2024-13-40'" in text
    assert offline_page.blocked == []


def test_geojson_download_is_valid(bundled_server, offline_page, output_dir):
    page = offline_page.page
    open_app(page, bundled_server.url, NRF_LINK)
    wait_for_headline(page)
    button = page.locator(".st-key-download-events-geojson button")
    button.wait_for()
    with page.expect_download(timeout=MAP_TIMEOUT_S * 1000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".geojson")
    target = output_dir / "download-events.geojson"
    download.save_as(target)
    data = json.loads(target.read_text(encoding="utf-8"))

    expected = apply_filters(load_events(), Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31"))
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data  # RFC 7946: WGS84 longitude/latitude only
    assert data["filters"]["groups"] == ["NRF"] and data["filters"]["start"] == "2024-03-01"
    assert data["attribution"] == settings.ATTRIBUTION and data["exported_at"]
    assert len(data["features"]) == len(expected)
    assert {f["properties"]["event_id"] for f in data["features"]} == set(expected["event_id"])
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        props = feature["properties"]
        assert {"event_id", "event_date", "group", "adm1_pcode", "adm2_pcode", "geo_precision", "source_url"} <= set(
            props
        )
        assert props["group"] == "NRF"
        geom = feature["geometry"]
        if geom is not None:
            lon, lat = geom["coordinates"]
            assert 60 < lon < 75.5 and 29 < lat < 39  # longitude first, inside Afghanistan
            assert all(len(repr(c).partition(".")[2]) <= 6 for c in (lon, lat))
        else:  # only events not placed to a point: never drawn at a made-up place
            assert props["geo_precision"] in (3, None) or not props["adm2_pcode"]
    assert offline_page.blocked == []


@pytest.fixture(scope="module")
def payload_events(tmp_path_factory) -> Path:
    """Three real bundled events plus a copy of a real one whose report text carries an HTML/JS payload
    (in the place, the target and the notes) and whose source is a ``javascript:`` URL."""
    with open(settings.DEFAULT_EVENTS_FILE, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames
        rows = [r for r in reader if r["notes"] and not r["notes"].startswith("AGGREGATE")]
    placed = [r for r in rows if r["latitude"] and r["longitude"] and r["geo_precision"].startswith(("1", "2"))]
    # A point event far from the others keeps its marker out of clusters.
    source = max(placed, key=lambda r: -float(r["longitude"]))
    evil = dict(source)
    evil.update(
        event_id="XSS-001",
        location=f"{source['location']} {PAYLOAD}",
        actor2=f"{PAYLOAD} checkpoint",
        notes=f"{PAYLOAD} {source['notes']}",
        source_url=SCRIPT_URL,
    )
    others = [r for r in placed if r["event_id"] != source["event_id"]][:3]
    path = tmp_path_factory.mktemp("payload") / "payload_events.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows([*others, evil])
    return path


@pytest.fixture(scope="module")
def payload_server(start_server, payload_events):
    return start_server(payload_events)


def test_payload_in_a_report_renders_as_text(payload_server, payload_events, offline_page):
    page = offline_page.page
    open_app(page, payload_server.url, {"basemap": "none"})
    assert wait_for_headline(page) == headline(cli_summary(events=payload_events))
    frame = map_frame(page)

    # A click on the payload's place (the westmost one) opens its popup and lists its events under the map.
    west = min(frame.evaluate(DRAWN_JS), key=lambda c: c["lng"])
    click_in_map(page, frame, west["x"], west["y"])
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert PAYLOAD in popup.inner_text()  # shown literally, as text
    assert popup.locator("img").count() == 0  # and no <img> element was created from it
    assert popup.locator('a[href^="javascript" i]').count() == 0  # the javascript: source is not a link
    clicked = page.locator(".st-key-clicked-events [data-testid=stDataFrame]")
    clicked.wait_for(timeout=MAP_TIMEOUT_S * 1000)
    page.wait_for_timeout(500)
    cells = page.evaluate(
        "(needle) => Array.from(document.querySelectorAll('.st-key-clicked-events td'))"
        ".map(td => td.innerText).filter(text => text.includes(needle))",
        PAYLOAD,
    )
    assert cells, "the clicked place's events do not show the payload as text"
    page.wait_for_timeout(500)
    assert frame.evaluate("() => typeof window.__xss") == "undefined"
    assert page.evaluate("() => typeof window.__xss") == "undefined"

    # The Data page shows the same text in its table, and nothing runs either.
    open_app(page, payload_server.url, {"basemap": "none"}, path="data")
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=MAP_TIMEOUT_S * 1000)
    page.wait_for_timeout(1000)
    # The grid's accessible table holds the cell text: the payload is there, literally, as text.
    cells = page.evaluate(
        "(needle) => Array.from(document.querySelectorAll('[data-testid=stDataFrame] td'))"
        ".map(td => td.innerText).filter(text => text.includes(needle))",
        PAYLOAD,
    )
    assert cells, "the payload event's text is not shown in the Data table"
    # A javascript: source never becomes a link (tests/test_app.py checks the table's data itself).
    assert page.locator('a[href^="javascript" i]').count() == 0
    assert page.locator('[data-testid="stDataFrame"] img[src="x"]').count() == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    for frame in page.frames:
        assert frame.evaluate("() => typeof window.__xss") == "undefined"
    assert offline_page.blocked == []
    assert offline_page.errors == []


# --------------------------------------------------------------------------- the map's details (issue 12)


def grid_texts(table) -> tuple[list[str], list[str]]:
    """Header and cell texts of a st.dataframe, scrolled across (the grid renders the visible columns only)."""
    header: list[str] = []
    cells: list[str] = []
    scroller = table.locator(".dvn-scroller").first
    width = scroller.evaluate("e => e.scrollWidth")
    for left in range(0, width + 1, 300):
        scroller.evaluate(f"e => {{ e.scrollLeft = {left}; e.dispatchEvent(new Event('scroll')); }}")
        table.page.wait_for_timeout(300)
        header += [t for t in table.locator("th").all_inner_texts() if t not in header]
        cells += table.locator("td").all_inner_texts()
    return header, cells


def stacked_place(frame) -> dict:
    """The busiest place whose events stack at one point (drawn as a disc with its count)."""
    frame.evaluate("() => AfgMap.state.map.setZoom(AfgMap.state.map.getMaxZoom() - 6, {animate: false})")
    frame.evaluate("() => AfgMap.state.map.fitBounds(AfgMap.state.bounds, {animate: false})")
    drawn = frame.evaluate(DRAWN_JS)
    return max((c for c in drawn if c["single"] and c["total"] > 1), key=lambda c: c["total"])


def test_stacked_events_show_their_count_and_a_click_lists_them_with_their_precision(
    bundled_server, sized_page, output_dir
):
    page = sized_page.page
    open_app(page, bundled_server.url, {"basemap": "none"})
    wait_for_headline(page)
    frame = map_frame(page)
    place = stacked_place(frame)
    events = apply_filters(load_events(), Filters())
    here = events[
        (events["latitude"].round(5) == round(place["lat"], 5))
        & (events["longitude"].round(5) == round(place["lng"], 5))
    ]
    assert place["total"] == len(here) > 1  # one disc, its number the events stacked there
    click_in_map(page, frame, place["x"], place["y"])
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert f"{len(here)} events at this place" in popup.inner_text()
    assert ("placed at district centre" in popup.inner_text()) or ("placed at the named place" in popup.inner_text())
    title = page.locator(".st-key-clicked-events h3")
    title.wait_for(timeout=MAP_TIMEOUT_S * 1000)
    assert title.inner_text() == f"{len(here)} events at the clicked place"
    page.wait_for_timeout(800)
    header, cells = grid_texts(page.locator(".st-key-clicked-events [data-testid=stDataFrame]"))
    assert "Placement" in header and "Date" in header
    assert any("placed at" in c for c in cells), cells  # what each point stands for
    months = here[here["date_precision"] == "month"]
    if len(months):  # a month-precision date never reads as the first of the month
        assert any("(month)" in c for c in cells), cells
    shot(sized_page, "clicked-place", output_dir)
    assert sized_page.errors == []


def test_empty_selection_asks_to_widen_the_filters(bundled_server, sized_page, output_dir):
    page = sized_page.page
    # A day in the data's span with no event of the chosen group (found in the data, not hard-coded).
    events = load_events()
    days = pd.date_range(events["event_date"].min(), events["event_date"].max(), freq="D")
    nrf_days = set(events.loc[events["group"] == "NRF", "event_date"].dt.normalize())
    quiet = next(d for d in days if d not in nrf_days).date().isoformat()
    open_app(page, bundled_server.url, {"group": "NRF", "start": quiet, "end": quiet, "basemap": "none"})
    title = page.locator(".st-key-headline h3")
    title.wait_for(timeout=MAP_TIMEOUT_S * 1000)
    assert title.inner_text() == "No events match these filters"
    assert "Widen the filters" in page.locator(".st-key-headline [data-testid=stAlertContentInfo]").inner_text()
    assert page.get_by_text("0 events ·").count() == 0
    frame = map_frame(page)
    assert "Widen the filters" in frame.locator(".afg-notice").inner_text()
    assert frame.evaluate("() => AfgMap.state.total") == 0
    shot(sized_page, "empty-selection", output_dir)


def test_filter_caption_names_provinces(bundled_server, sized_page, output_dir):
    page = sized_page.page
    open_app(page, bundled_server.url, {"province": "AF32", "basemap": "none"})
    wait_for_headline(page)
    caption = page.get_by_text("Filters:").first.inner_text()
    assert "Herat (Hirat)" in caption and "AF32" not in caption
    shot(sized_page, "caption-names", output_dir)


def test_a_filter_change_updates_the_map_in_place_and_back_restores_it(bundled_server, sized_page, output_dir):
    offline_page = sized_page
    page = offline_page.page
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    open_app(page, bundled_server.url, {"basemap": "none"})
    first = wait_for_headline(page)
    frame = map_frame(page)
    version = ready_version(frame)
    boundaries = [u for u in offline_page.requests if "/generated/afg-boundaries-" in u]
    assert len(boundaries) == 1
    open_sidebar(page)
    before = sum(received)
    page.get_by_text("Exact places only").click()
    page.wait_for_function("() => location.search.includes('exact=1')", timeout=MAP_TIMEOUT_S * 1000)
    changed = map_frame(page, not_version=version)
    exact = headline(cli_summary("--exact-only"))
    page.wait_for_function(f"() => document.querySelector('.st-key-headline h3').innerText === {json.dumps(exact)}")
    # The same map, updated in place: no new frame, no boundaries fetched again, only the selection sent.
    versions = [str(v) for v in frame.evaluate("() => AfgMap.state.versions")]
    assert changed == frame and versions[0] == version and versions[-1] == ready_version(changed) != version
    assert [u for u in offline_page.requests if "/generated/afg-boundaries-" in u] == boundaries
    sent = sum(received) - before
    assert sent < 400_000, sent  # the selection (about 180 kB of popups here), not the 370 kB of boundaries
    # Back: the previous filters, headline and map come back.
    page.go_back()
    page.wait_for_function("() => !location.search.includes('exact=1')", timeout=MAP_TIMEOUT_S * 1000)
    page.wait_for_function(f"() => document.querySelector('.st-key-headline h3').innerText === {json.dumps(first)}")
    assert not page.get_by_role("switch", name="Exact places only").is_checked()
    frame.wait_for_function(f"() => AfgMap.state.versions.slice(-1)[0] === {version}", timeout=MAP_TIMEOUT_S * 1000)
    shot(offline_page, "after-back", output_dir)
    assert offline_page.errors == []


def test_without_network_the_map_drops_the_tiles_and_says_so(bundled_server, browser, output_dir):
    for size in VIEWPORTS:
        holder = OfflinePage(browser, size=size)
        try:
            page = holder.page
            open_app(page, bundled_server.url, {})  # OpenStreetMap, the default basemap
            wait_for_headline(page)
            frame = map_frame(page)
            frame.wait_for_function("() => AfgMap.state.basemapOffline === true", timeout=30_000)
            notice = frame.locator(".afg-notice")
            assert notice.is_visible() and "No basemap" in notice.inner_text()
            assert frame.evaluate(COUNT_LAYERS_JS)["tileLayers"] == 0
            # The notice leaves the zoom buttons and the layer list free.
            box = notice.bounding_box()
            for sel in (".leaflet-control-zoom", ".leaflet-control-layers"):
                assert not boxes_overlap(box, frame.locator(sel).bounding_box()), sel
            shot(holder, "offline-basemap", output_dir)
            assert holder.blocked and all("tile.openstreetmap.org" in u for u in holder.blocked)
            assert holder.errors == []
        finally:
            holder.close()
