"""The Data page with the event database, in a real browser at 1440x900 and 390x844 (screenshots in test-output/).

The app runs on its own SQLite database with one editor (alice). A visitor sees the events with their date
precision and placement and is told how editing works; the editor logs in, uploads a file with an
out-of-country row, sees "Why" first and that row unticked, adds the rest, and the box clears.
"""

from __future__ import annotations

import functools
import time

import pytest
from playwright.sync_api import expect

from geo import settings
from geo.auth import hash_password
from geo.events import load_events
from geo.store import Store

from .conftest import OfflinePage

PASSWORD = "correct horse battery"
TIMEOUT_MS = 60_000
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "mobile": {"width": 390, "height": 844}}
UPLOAD = (
    "event_id,event_date,group,location,latitude,longitude,fatalities\n"
    "UP-OUT,2024-06-01,NRF,Mashhad,36.29,59.6,2\n"
    "UP-GOOD,2024-06-03,NRF,Khinj district,,,1\n"
    "UP-SWAP,2024-06-04,NRF,Khinj,69.4,35.4,1\n"
)


@functools.cache
def _editors() -> str:
    return f"alice:{hash_password(PASSWORD)}"


@pytest.fixture(scope="module")
def db_server(start_server, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'events.sqlite'}"
    server = start_server(None, env={settings.DATABASE_ENV: url, settings.EDITORS_ENV: _editors()})
    server.db_url = url
    return server


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser):
    holder = OfflinePage(browser, viewport=VIEWPORTS[request.param])
    holder.size = request.param
    yield holder
    holder.close()
    assert holder.blocked == [], f"the page requested external hosts: {holder.blocked}"


def open_data(page, url: str) -> None:
    page.goto(f"{url}/data?basemap=none", wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Bring in events").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")


def open_sidebar(page) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "true":
        page.locator('[data-testid="stExpandSidebarButton"]').first.click()
        page.wait_for_timeout(600)


def close_sidebar(page) -> None:
    """On a phone the sidebar lies over the page: fold it before using the page."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "false" and page.viewport_size["width"] < 800:
        sidebar.hover()
        page.locator(
            '[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]'
        ).first.click()
        page.wait_for_timeout(600)


def grid_text(page, index: int) -> str:
    """The text of the index-th st.dataframe / st.data_editor (glide grid renders an accessible table)."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(index)
    grid.scroll_into_view_if_needed()
    return grid.locator("table").first.inner_text()


def test_a_visitor_sees_precision_placement_and_the_read_only_hint(db_server, sized_page, output_dir):
    page = sized_page.page
    open_data(page, db_server.url)
    close_sidebar(page)  # on a phone the sidebar opens over the page
    assert "20 Aug 2021" in grid_text(page, 0)  # dates as a reader writes them, not 2021-08-20
    # A month-level event placed at its district's centre, picked in "One event": both said in words.
    events = load_events().set_index("event_id")
    month = events.index[(events["date_precision"] == "month") & (events["geo_precision"] == 2)][0]
    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Event").first
    picker.scroll_into_view_if_needed()
    picker.click()
    page.keyboard.type(month)
    page.get_by_role("option").filter(has_text=month).first.click()
    details = page.locator('[data-testid="stDataFrame"]').nth(2)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    text = ""
    while time.monotonic() < deadline and month not in text:  # the page reruns with the picked event
        page.wait_for_timeout(500)
        details.scroll_into_view_if_needed()
        text = details.locator("table").first.inner_text()
    page.screenshot(path=str(output_dir / f"data-detail-{sized_page.size}.png"), full_page=False)
    assert month in text and "(month)" in text and "placed at district centre" in text, text
    open_sidebar(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Editors log in to add, edit, merge or delete events" in sidebar.inner_text()
    page.screenshot(path=str(output_dir / f"data-visitor-{sized_page.size}.png"), full_page=False)
    close_sidebar(page)
    add = page.get_by_role("button", name="Add to the database")
    assert add.count() == 0  # no upload yet: no button
    assert page.locator('[data-testid="stException"]').count() == 0
    assert sized_page.errors == []


def test_an_editor_uploads_reviews_adds_and_the_box_clears(db_server, sized_page, output_dir, tmp_path):
    page = sized_page.page
    store = Store(db_server.db_url)
    open_data(page, db_server.url)
    open_sidebar(page)
    page.get_by_text("Editor login").click()
    page.get_by_role("textbox", name="Name").fill("alice")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Editing as").wait_for(timeout=TIMEOUT_MS)
    close_sidebar(page)

    prefix = f"{sized_page.size.upper()}-"
    src = tmp_path / "mixed.csv"
    src.write_text(UPLOAD.replace("UP-", prefix), encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(src))
    page.get_by_text("To review").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    review = page.locator(".st-key-upload-review-0")  # the review editor (its widget key)
    review.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    headers = [h.strip() for h in review.locator("th").all_inner_texts() if h.strip()]
    assert headers and headers[0].startswith("Why"), headers
    rows = review.locator("table").first.inner_text()
    assert "outside Afghanistan" in rows
    page.screenshot(path=str(output_dir / f"data-review-{sized_page.size}.png"), full_page=False)

    before = store.count()
    page.get_by_role("button", name="Add to the database").click()
    page.get_by_text("Added to the database").wait_for(timeout=TIMEOUT_MS)
    assert store.count() == before + 2
    ids = set(store.event_ids())
    assert f"{prefix}GOOD" in ids and f"{prefix}SWAP" in ids and f"{prefix}OUT" not in ids
    # The box is empty: no file listed, no review table, no second reading contradicting the message
    # (waited for: elements of the previous run stay on screen until this run replaces them).
    expect(page.get_by_text("mixed.csv", exact=True)).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.get_by_text("To review")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator('[data-testid="stFileUploaderDropzoneInput"]')).to_have_count(1)
    page.wait_for_timeout(1000)  # a second reading of the file would have shown by now
    assert page.get_by_text("mixed.csv", exact=True).count() == 0
    assert page.get_by_text("This file cannot be read").count() == 0
    page.screenshot(path=str(output_dir / f"data-added-{sized_page.size}.png"), full_page=False)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert sized_page.errors == []
