"""Shared fixtures: paths to real data (never copies of it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo import settings

REPO = settings.REPO_ROOT


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the real boundaries, gazetteer and source events."""
    if not settings.SHARED_DATA_DIR.is_dir():
        pytest.fail(f"{settings.SHARED_DATA_DIR} is missing: the tests read the real data there")
    return settings.SHARED_DATA_DIR


@pytest.fixture(scope="session")
def boundary_zips(shared_data: Path) -> Path:
    """Folder with the two official OCHA/AGCHO shapefile zips."""
    return shared_data / "boundaries" / "source"


@pytest.fixture(scope="session")
def reported_events_csv(shared_data: Path) -> Path:
    """The real reported events as compiled (``reported_events.csv``, source form)."""
    return shared_data / "events" / "reported_events.csv"


@pytest.fixture(scope="session")
def ucdp_csv(shared_data: Path) -> Path:
    """310 real UCDP GED events (2001-2018) with coordinates."""
    return shared_data / "events" / "ucdp_ged_afg_2001_2018_subset.csv"


@pytest.fixture(scope="session")
def vendored_assets() -> None:
    """The map's JS/CSS in static/vendor/: fetched when missing; without them no offline map can work."""
    from geo import assets
    from geo.errors import DownloadError

    if not assets.assets_ready():
        try:
            assets.fetch_assets()
        except DownloadError as exc:
            pytest.fail(
                f"the vendored map assets are missing and cannot be fetched ({exc}): run `python -m geo fetch-assets`"
            )


@pytest.fixture(scope="session")
def display_boundaries():
    """(provinces, districts): the simplified display geometry the pages draw."""
    from geo.boundaries import load_districts, load_provinces

    return load_provinces(simplified=True), load_districts(simplified=True)


@pytest.fixture(scope="session")
def bundled_events_csv() -> Path:
    """The bundled default events in our schema (``data/events/reported_events.csv``)."""
    return settings.DEFAULT_EVENTS_FILE


#: Set by ``.ci/run``: there a browser test that skips (no chromium, no vendored assets) is a failure.
REQUIRE_BROWSER_ENV = "AFGMAP_REQUIRE_BROWSER"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, turn a skip for a missing browser or missing map assets into a failure."""
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get(REQUIRE_BROWSER_ENV) or not report.skipped or call.excinfo is None:
        return
    reason = str(call.excinfo.value)
    if any(word in reason.lower() for word in ("chromium", "assets", "playwright")):
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_BROWSER_ENV} is set, so this browser test may not skip: {reason}"
