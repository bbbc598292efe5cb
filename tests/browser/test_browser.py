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

import pytest

from geo import settings
from geo.events import load_events
from geo.filters import Filters, apply_filters, headline

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


def map_frame(page):
    """The streamlit-folium iframe, once its Leaflet map exists and holds layers."""
    deadline = time.monotonic() + MAP_TIMEOUT_S
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "st_folium" not in frame.url:
                continue
            try:
                ready = frame.evaluate("() => !!(window.L && window.map && Object.keys(window.map._layers).length > 5)")
            except Exception:  # the frame is being replaced by a rerun
                ready = False
            if ready:
                return frame
        page.wait_for_timeout(250)
    raise AssertionError("the streamlit-folium map did not appear within the time limit")


# Count what Leaflet drew: polygons (provinces, districts) by pane, and SVG/canvas elements.
COUNT_LAYERS_JS = """
() => {
  const out = {polygons: 0, markers: 0, clusters: 0, svgPaths: 0, canvases: 0, tiles: 0};
  window.map.eachLayer(layer => {
    if (layer instanceof L.Polygon) out.polygons += 1;
    else if (layer instanceof L.CircleMarker || layer instanceof L.Marker) out.markers += 1;
    if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) out.clusters += 1;
  });
  out.svgPaths = document.querySelectorAll('.leaflet-overlay-pane svg path').length;
  out.canvases = document.querySelectorAll('.leaflet-overlay-pane canvas').length;
  out.tiles = document.querySelectorAll('.leaflet-tile-pane img').length;
  return out;
}
"""

# Open every popup whose content mentions `needle` (inside marker clusters too); return the rendered text.
OPEN_POPUP_JS = """
async (needle) => {
  const popups = [];
  const layers = [];
  window.map.eachLayer(layer => {
    layers.push(layer);
    if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) layers.push(...layer.getLayers());
  });
  for (const layer of layers) {
    const popup = layer.getPopup && layer.getPopup();
    if (!popup) continue;
    let content = popup.getContent();
    if (typeof content === 'function') content = content(layer);
    const text = content instanceof HTMLElement ? content.outerHTML : String(content);
    if (!text.includes(needle)) continue;
    await new Promise(resolve => {
      const group = Object.values(window.map._layers).find(g => L.MarkerClusterGroup && g instanceof L.MarkerClusterGroup && g.hasLayer(layer));
      if (group) group.zoomToShowLayer(layer, resolve); else resolve();
    });
    layer.openPopup();
    await new Promise(r => setTimeout(r, 300));
    const shown = document.querySelector('.leaflet-popup-content');
    popups.push({
      text: shown ? shown.innerText : null,
      images: shown ? shown.querySelectorAll('img').length : -1,
      scriptLinks: shown ? shown.querySelectorAll('a[href^="javascript" i]').length : -1,
    });
  }
  return popups;
}
"""


def test_map_draws_provinces_and_districts_offline(bundled_server, offline_page, output_dir):
    page = offline_page.page
    open_app(page, bundled_server.url, {"basemap": "none"})
    wait_for_headline(page)
    frame = map_frame(page)
    frame.wait_for_function(
        f"() => document.querySelectorAll('.leaflet-overlay-pane path').length >= {settings.N_DISTRICTS}",
        timeout=MAP_TIMEOUT_S * 1000,
    )
    counts = frame.evaluate(COUNT_LAYERS_JS)
    # Every district is shaded and every province outlined (unless drawn on a canvas).
    assert counts["polygons"] >= settings.N_PROVINCES + settings.N_DISTRICTS, counts
    assert counts["svgPaths"] >= settings.N_PROVINCES + settings.N_DISTRICTS or counts["canvases"] >= 1, counts
    assert counts["tiles"] == 0, counts  # no basemap: nothing to fetch
    assert frame.evaluate("() => typeof window.L.version") == "string"
    page.wait_for_timeout(500)  # let the last paint land before the screenshot
    page.screenshot(path=str(output_dir / "map.png"), full_page=True)
    assert offline_page.blocked == []
    assert offline_page.errors == []


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

    # A click on the payload's point (the westmost one) lists its events under the map, as text.
    points = frame.locator(".afg-point")
    boxes = [points.nth(i).bounding_box() for i in range(points.count())]
    west = min((b["x"], i) for i, b in enumerate(boxes) if b)[1]
    points.nth(west).click(force=True)
    clicked = page.locator(".st-key-clicked-events [data-testid=stDataFrame]")
    clicked.wait_for(timeout=MAP_TIMEOUT_S * 1000)
    page.wait_for_timeout(500)
    cells = page.evaluate(
        "(needle) => Array.from(document.querySelectorAll('.st-key-clicked-events td'))"
        ".map(td => td.innerText).filter(text => text.includes(needle))",
        PAYLOAD,
    )
    assert cells, "the clicked point's events do not show the payload as text"
    assert page.evaluate("() => typeof window.__xss") == "undefined"

    frame.evaluate("() => window.map.closePopup()")
    popups = frame.evaluate(OPEN_POPUP_JS, "window.__xss")
    assert popups, "no popup carries the payload event"
    for popup in popups:
        assert popup["text"] is not None and PAYLOAD in popup["text"], popup  # shown literally, as text
        assert popup["images"] == 0, popup  # and no <img> element was created from it
        assert popup["scriptLinks"] == 0, popup  # the javascript: source is not a link
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
