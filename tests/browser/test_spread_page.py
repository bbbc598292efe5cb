"""The Spread page in a real browser (Playwright + Debian's chromium), at a laptop's and a phone's size.

Each test opens the page on the bundled events with ``basemap=none`` and no network
beyond 127.0.0.1, checks one point of the westward story against numbers computed
here from the data with :mod:`geo.spread` (or the CLI), and keeps a screenshot in
``test-output/`` (a CI artefact).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from geo import settings
from geo.events import load_events
from geo.filters import Filters, apply_filters
from geo.spread import (
    METRIC_LABELS,
    PANEL_STATES,
    farthest_west,
    first_reports,
    history_filters,
    reach_headline,
    spread_metrics,
    year_panels,
)
from tests.browser.conftest import OfflinePage

VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGE_TIMEOUT_MS = 90_000
#: Below this width Streamlit stacks columns (and lays the sidebar over the page).
STACKED_BELOW_PX = 640


class ViewportPage(OfflinePage):
    """:class:`OfflinePage` (127.0.0.1 only, other hosts recorded) at a given viewport size."""

    def __init__(self, browser, viewport: dict[str, int]):
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.viewport = viewport
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser):
    holder = ViewportPage(browser, VIEWPORTS[request.param])
    holder.name = request.param
    yield holder
    holder.close()
    assert holder.blocked == [], f"the Spread page requested external hosts: {holder.blocked}"
    assert holder.errors == [], f"script errors on the Spread page: {holder.errors}"


@pytest.fixture(scope="module")
def events():
    return load_events(settings.DEFAULT_EVENTS_FILE)


def selection(events, f: Filters):
    return apply_filters(events, f), apply_filters(events, history_filters(f))


def open_spread(holder: ViewportPage, base_url: str, params: dict[str, str]) -> None:
    """Open the Spread page and wait until its headline and year maps are drawn; close a sidebar laid over it."""
    page = holder.page
    page.goto(f"{base_url}/spread?{urlencode(params)}", wait_until="domcontentloaded")
    page.locator(".st-key-spread-headline h3").wait_for(timeout=PAGE_TIMEOUT_MS)
    page.locator(".st-key-spread-years svg").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(500)
    collapse = page.get_by_role("button", name="Collapse sidebar")
    if holder.viewport["width"] < STACKED_BELOW_PX and collapse.count() and collapse.is_visible():
        collapse.click()  # on a phone the sidebar covers the page
        page.wait_for_timeout(600)


def shot(holder: ViewportPage, output_dir, name: str) -> None:
    size = holder.viewport
    holder.page.screenshot(path=str(output_dir / f"spread-{name}-{size['width']}x{size['height']}.png"))


def box(page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not displayed"
    return found


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_opens_on_the_nrf_and_answers_above_the_fold(bundled_server, sized_page, events, output_dir):
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none"})
    shot(sized_page, output_dir, "opens")
    # No group in the link: the NRF, in the headline and in the link.
    assert parse_qs(urlsplit(page.url).query).get("group") == ["NRF"]
    nrf, history = selection(events, Filters(groups=("NRF",)))
    expected = reach_headline(farthest_west(nrf, history=history), groups=["NRF"])
    assert page.locator(".st-key-spread-headline h3").inner_text().strip() == expected
    assert "Opened on the NRF" in page.locator(".st-key-spread-sentence").inner_text()
    height = sized_page.viewport["height"]
    # The answer and the caveat are on the first screen, at both sizes.
    assert box(page, ".st-key-spread-headline h3")["y"] + box(page, ".st-key-spread-headline h3")["height"] <= height
    caveat = box(page, ".st-key-spread-caveat")
    assert caveat["y"] + caveat["height"] <= height
    assert "under-reported" in page.locator(".st-key-spread-caveat").inner_text()
    # One small map per year; on a laptop screen all of them are above the fold, on a phone the first starts there.
    maps = page.locator(".st-key-spread-years svg[role=img]")
    assert maps.count() == len(year_panels(nrf, history=history)) == 5
    first_map, last_map = maps.first.bounding_box(), maps.last.bounding_box()
    assert first_map["y"] < height
    if sized_page.viewport["width"] >= STACKED_BELOW_PX:
        assert last_map["y"] + last_map["height"] <= height
        assert abs(first_map["y"] - last_map["y"]) < 1  # one row
    assert page.evaluate("() => document.querySelectorAll('.st-key-spread-years svg text').length") == 0


def test_year_maps_colour_what_each_year_adds(bundled_server, sized_page, events, output_dir):
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none", "group": "NRF"})
    page.locator(".st-key-spread-years").scroll_into_view_if_needed()
    shot(sized_page, output_dir, "years")
    nrf, history = selection(events, Filters(groups=("NRF",)))
    panels = year_panels(nrf, history=history)
    drawn = page.evaluate(
        """(fills) => Array.from(document.querySelectorAll('.st-key-spread-years svg[role=img]')).map(svg => {
             const out = {};
             for (const [state, fill] of Object.entries(fills))
               out[state] = svg.querySelectorAll(`path[fill="${fill}"]`).length;
             out.dots = svg.querySelectorAll('circle').length - 1;  // minus the origin
             out.label = svg.getAttribute('aria-label');
             return out; })""",
        {state: fill for state, (fill, _) in PANEL_STATES.items()},
    )
    assert len(drawn) == len(panels)
    for panel, shown in zip(panels, drawn, strict=True):
        states = list(panel["states"].values())
        for state in ("new", "active", "earlier"):
            assert shown[state] == states.count(state), (panel["year"], state)
        assert shown["dots"] == len(panel["points"])
        assert shown["label"] == panel["caption"]
    assert "new: Herat (Hirat), Faryab" in drawn[3]["label"]


def test_keeps_the_groups_of_a_preset_link(bundled_server, sized_page, events, output_dir):
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none", "group": "AFF", "freq": "Y"})
    shot(sized_page, output_dir, "aff-link")
    assert parse_qs(urlsplit(page.url).query).get("group") == ["AFF"]
    aff, history = selection(events, Filters(groups=("AFF",)))
    expected = reach_headline(farthest_west(aff, history=history), groups=["AFF"])
    assert page.locator(".st-key-spread-headline h3").inner_text().strip() == expected
    assert "Opened on the NRF" not in main_text(page)


def test_provinces_reached_in_order_with_names_claims_and_precision(bundled_server, sized_page, events, output_dir):
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none", "group": "NRF", "freq": "Q"})
    reached = page.locator(".st-key-spread-first-reports")
    reached.scroll_into_view_if_needed()
    shot(sized_page, output_dir, "provinces")
    cli = subprocess.run(
        [sys.executable, "-m", "geo", "spread", "--group", "NRF", "--freq", "Q"],
        cwd=settings.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [row["line"] for row in json.loads(cli.stdout)["first_activity"]]
    assert reached.locator("li").all_inner_texts() == lines
    assert lines[0].startswith("First NRF attack reported in Panjshir (Panjsher): ")
    # Baghlan's first report is known to the week: the line says so.
    assert any("Baghlan: week of 12 Sep 2021 (week)" in line for line in lines)
    text = main_text(page)
    assert "claimed or reported" in text and "carried out" not in text
    assert not re.search(r"\bAF\d{2,4}\b", text), "a P-code is shown where a name belongs"
    assert "Herat (Hirat)" in text


def test_reach_to_date_beside_the_reach_per_period(bundled_server, sized_page, events, output_dir):
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none", "group": "NRF", "freq": "Q"})
    chart = page.locator(".st-key-spread-reach-chart")
    chart.scroll_into_view_if_needed()
    page.locator(".st-key-spread-reach-chart svg .mark-line path").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    shot(sized_page, output_dir, "reach")
    nrf, history = selection(events, Filters(groups=("NRF",)))
    metrics = spread_metrics(nrf, freq="Q", history=history)
    drawn = page.evaluate(
        """() => { const svg = document.querySelector('.st-key-spread-reach-chart svg.marks');
                   return {lines: svg.querySelectorAll('.mark-line.role-mark path').length,
                           points: svg.querySelectorAll('.mark-symbol.role-mark path').length,
                           text: svg.textContent}; }"""
    )
    assert drawn["lines"] == 1  # the farthest-so-far step line
    assert drawn["points"] == int(metrics["west_km"].notna().sum())  # one point per period with a reach
    assert "farthest so far" in drawn["text"] and "this quarter" in drawn["text"]
    reached, chart_box = box(page, ".st-key-spread-first-reports"), box(page, ".st-key-spread-reach-chart")
    if sized_page.viewport["width"] >= STACKED_BELOW_PX:
        assert chart_box["x"] > reached["x"] + reached["width"] - 1  # side by side
    else:
        assert chart_box["y"] >= reached["y"] + reached["height"] - 1  # stacked


def test_metrics_table_has_readable_column_names(bundled_server, sized_page, output_dir):
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none", "group": "NRF", "freq": "Y"})
    table = page.locator(".st-key-spread-metrics [data-testid=stDataFrame]")
    table.scroll_into_view_if_needed()
    page.locator(".st-key-spread-metrics th").first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
    shot(sized_page, output_dir, "metrics")
    headers = page.evaluate(
        "() => Array.from(document.querySelectorAll('.st-key-spread-metrics th')).map(e => e.innerText)"
    )
    # The grid draws the columns that fit: the first ones, which carry the story.
    assert headers[:3] == ["Period", "Events", "Provinces reached for the first time"], headers
    if sized_page.viewport["width"] >= STACKED_BELOW_PX:
        assert {"Farthest so far (km west)", "Reach this period (km west)"} <= set(headers), headers
    assert set(headers) <= set(METRIC_LABELS.values()), headers  # never a raw column name


def test_animation_popups_give_date_and_placement_precision(bundled_server, sized_page, output_dir):
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none", "group": "NRF"})
    page.get_by_role("radio", name="Animation").click()
    frame = None
    for _ in range(240):
        for candidate in page.frames[1:]:
            try:
                if candidate.evaluate("() => !!document.querySelector('.leaflet-timeline-control')"):
                    frame = candidate
            except Exception:  # a frame replaced by the rerun the click started
                continue
        if frame:
            break
        page.wait_for_timeout(250)
    assert frame is not None, "the animation map did not appear"
    popups = frame.evaluate(
        """async () => {
             const s = document.querySelector('.leaflet-timeline-control input[type=range]');
             s.value = s.max; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'));
             await new Promise(r => setTimeout(r, 300));
             const out = [];
             window.map.eachLayer(layer => {
               const popup = layer.getPopup && layer.getPopup();
               if (!popup || !String(popup.getContent()).includes('(month)')) return;
               layer.openPopup();
               const shown = popup.getElement() && popup.getElement().querySelector('.leaflet-popup-content');
               out.push(shown ? shown.innerText : null);
               layer.closePopup();
             });
             return out; }"""
    )
    page.locator("iframe").last.scroll_into_view_if_needed()
    shot(sized_page, output_dir, "animation")
    # NRF, Mar 2024 at a named place in Kabul (DEV-051) and Dec 2025 at a district centre in Baghlan (DEV-097).
    assert any(p and p.startswith("Mar 2024 (month) · NRF") and "placed at the named place" in p for p in popups), (
        popups
    )
    assert any(p and p.startswith("Dec 2025 (month) · NRF") and "placed at district centre" in p for p in popups), (
        popups
    )
    assert not any(p and re.search(r"\d{4}-\d\d-\d\d", p) for p in popups)


def test_first_reports_follow_the_date_filter(bundled_server, sized_page, events, output_dir):
    page = sized_page.page
    params = {"basemap": "none", "group": "NRF", "start": "2024-03-01", "end": "2025-03-31", "freq": "M"}
    open_spread(sized_page, bundled_server.url, params)
    f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    nrf, history = selection(events, f)
    expected = first_reports(nrf, history=history, freq="M", filters=f)["line"].tolist()
    reached = page.locator(".st-key-spread-first-reports")
    reached.scroll_into_view_if_needed()
    shot(sized_page, output_dir, "window")
    assert (
        reached.locator("li").all_inner_texts()
        == expected
        == [
            "First NRF attack reported in Herat (Hirat): Sep 2024 (3 events that month)",
            "First NRF attack reported in Faryab: Dec 2024 (1 event that month)",
        ]
    )
    assert "Already reached before 1 Mar 2024: " in reached.inner_text()


def test_first_report_map_fits_the_screen_with_the_country_filling_it(bundled_server, sized_page, output_dir):
    """The detail map's frame fits the screen and Afghanistan fills it (a phone's map is not mostly empty);
    on a phone its legend starts folded and the attribution is one line, so neither covers the country."""
    page = sized_page.page
    open_spread(sized_page, bundled_server.url, {"basemap": "none", "group": "NRF"})
    holder = page.locator(".st-key-spread-first-activity-frame iframe").first
    holder.wait_for(timeout=PAGE_TIMEOUT_MS)
    holder.scroll_into_view_if_needed()
    frame = None
    for _ in range(240):
        frame = holder.element_handle().content_frame()
        try:
            if frame and frame.evaluate("() => !!document.querySelector('.leaflet-overlay-pane path')"):
                break
        except Exception:  # replaced by a rerun
            pass
        page.wait_for_timeout(250)
    page.wait_for_timeout(500)
    layout = frame.evaluate(
        """() => {
             const map = document.querySelector('.leaflet-container').getBoundingClientRect();
             let l = 1e9, t = 1e9, r = -1e9, b = -1e9;
             document.querySelectorAll('.leaflet-overlay-pane path').forEach(p => {
               const q = p.getBoundingClientRect();
               if (!q.width) return;
               l = Math.min(l, q.left); t = Math.min(t, q.top); r = Math.max(r, q.right); b = Math.max(b, q.bottom);
             });
             const legend = document.querySelector('.afgmap-legend details');
             const attribution = document.querySelector('.leaflet-control-attribution').getBoundingClientRect();
             return {map: [map.width, map.height], country: [l, t, r, b], legendOpen: legend.open,
                     attributionHeight: attribution.height};
           }"""
    )
    frame_box = holder.bounding_box()
    shot(sized_page, output_dir, "first-report-map")
    width, height = layout["map"]
    left, top, right, bottom = layout["country"]
    assert frame_box["height"] < sized_page.viewport["height"] - 100  # room to scroll past it
    assert height >= frame_box["height"] - 12  # the map fills its frame
    assert left >= -1 and top >= -1 and right <= width + 1 and bottom <= height + 1  # the country whole
    assert (right - left) / width >= 0.75 or (bottom - top) / height >= 0.75, layout
    assert (bottom - top) / height >= 0.6, layout
    phone = sized_page.viewport["width"] < STACKED_BELOW_PX
    assert layout["legendOpen"] is (not phone)
    if phone:
        assert layout["attributionHeight"] < 20  # one line
