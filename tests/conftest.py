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


#: Environment variable: the folder with extra evaluation data (the project's shared data folder: the
#: official OCHA zips, the compiler's notes). Default: ``../shared/data`` beside the checkout when it exists.
#: Only tests read it; the library never does.
EVAL_DATA_ENV = "AFGMAP_EVAL_DATA"

#: Set by ``.ci/run``: there no test may skip for a missing part (browser, assets, evaluation data, database).
CI_ENV = "AFGMAP_CI"


def eval_data_dir() -> Path | None:
    """The extra evaluation data folder, or None when this checkout has none beside it."""
    configured = os.environ.get(EVAL_DATA_ENV, "").strip()
    folder = Path(configured) if configured else REPO.parent / "shared" / "data"
    return folder if folder.is_dir() else None


@pytest.fixture(scope="session")
def eval_data() -> Path:
    """The extra evaluation data folder; tests that need it skip without it (never in CI)."""
    folder = eval_data_dir()
    if folder is None:
        pytest.skip(
            f"extra evaluation data not found (../shared/data beside the checkout, or ${EVAL_DATA_ENV}): "
            "this test evaluates on it"
        )
    return folder


def _zips_from_bundled_boundaries(folder: Path) -> dict[str, dict[str, object]]:
    """Write shapefile zips in the official layout from the bundled GeoParquet; return their specs."""
    import zipfile

    import geopandas as gpd

    from geo.download import sha256_file

    specs = {}
    for zname, pq, level in (
        (settings.PROVINCES_ZIP, settings.PROVINCES_FILE, 1),
        (settings.DISTRICTS_ZIP, settings.DISTRICTS_FILE, 2),
    ):
        frame = gpd.read_parquet(settings.LOCAL_BOUNDARIES_DIR / pq)
        columns = (
            ["ADM1_PCODE", "ADM1_EN", "ADM1_DA"]
            if level == 1
            else ["ADM2_PCODE", "ADM2_EN", "ADM2_DA", "ADM1_PCODE", "ADM1_EN"]
        )
        if level == 2:
            frame = frame.assign(ADM2ALT1EN=frame["alt_name_en_1"], ADM2ALT2EN=frame["alt_name_en_2"])
            columns += ["ADM2ALT1EN", "ADM2ALT2EN"]
        stem = zname.removesuffix(".zip")
        shp_dir = folder / f"{stem}_shp"
        shp_dir.mkdir()
        frame[[*columns, "geometry"]].to_file(shp_dir / f"{stem}.shp", driver="ESRI Shapefile", encoding="utf-8")
        with zipfile.ZipFile(folder / zname, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(shp_dir.iterdir()):
                zf.write(part, part.name)
        specs[zname] = {**settings.BOUNDARY_ZIPS[zname], "sha256": sha256_file(folder / zname)}
    return specs


@pytest.fixture(scope="session")
def _boundary_zip_source(tmp_path_factory) -> tuple[Path, dict[str, dict[str, object]] | None]:
    folder = eval_data_dir()
    if folder is not None and all((folder / "boundaries" / "source" / z).is_file() for z in settings.BOUNDARY_ZIPS):
        return folder / "boundaries" / "source", None
    made = tmp_path_factory.mktemp("zips")
    return made, _zips_from_bundled_boundaries(made)


@pytest.fixture()
def boundary_zips(_boundary_zip_source) -> Path:
    """Folder with the two OCHA/AGCHO shapefile zips.

    The unchanged official zips when the evaluation data holds them (their SHA-256 is the one pinned in
    :data:`geo.settings.BOUNDARY_ZIPS`); otherwise zips in the same layout written from the bundled
    boundaries, with the pinned checksums replaced by theirs for the duration of the test.
    """
    folder, specs = _boundary_zip_source
    if specs is None:
        yield folder
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(settings, "BOUNDARY_ZIPS", specs)
        yield folder


@pytest.fixture(scope="session")
def reported_events_csv() -> Path:
    """The real reported events as compiled (``data/events/source/reported_events.csv``, source form)."""
    return settings.SOURCE_EVENTS_DIR / "reported_events.csv"


@pytest.fixture(scope="session")
def ucdp_csv() -> Path:
    """310 real UCDP GED events (2001-2018) with coordinates (``data/events/source/``)."""
    return settings.SOURCE_EVENTS_DIR / "ucdp_ged_afg_2001_2018_subset.csv"


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


#: Older name of :data:`CI_ENV`, still honoured.
REQUIRE_BROWSER_ENV = "AFGMAP_REQUIRE_BROWSER"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, turn a skip for a missing part (browser, assets, evaluation data, database) into a failure.

    Doctest examples marked ``+SKIP`` are not a missing part and still skip.
    """
    outcome = yield
    report = outcome.get_result()
    in_ci = os.environ.get(CI_ENV) or os.environ.get(REQUIRE_BROWSER_ENV)
    if not in_ci or not report.skipped or call.excinfo is None:
        return
    reason = str(call.excinfo.value)
    if "+SKIP" in reason or "all tests skipped by +SKIP option" in reason:
        return
    report.outcome = "failed"
    report.longrepr = f"${CI_ENV} is set, so this test may not skip: {reason}"


# --------------------------------------------------------------------------------------- event database


@pytest.fixture(scope="session", autouse=True)
def _test_database(tmp_path_factory):
    """The whole test session (and the CLI and app processes it starts) uses its own SQLite event database,
    seeded from the bundled events on first use: never the developer's ``var/events.sqlite``."""
    folder = tmp_path_factory.mktemp("store")
    url = f"sqlite:///{folder / 'events.sqlite'}"
    old = os.environ.get(settings.DATABASE_ENV)
    os.environ[settings.DATABASE_ENV] = url
    yield url
    if old is None:
        os.environ.pop(settings.DATABASE_ENV, None)
    else:
        os.environ[settings.DATABASE_ENV] = old


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL + PostGIS server of this test session (Debian's packages), in a temporary folder."""
    from tests.pgserver import TempPostgres

    try:
        server = TempPostgres().start()
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.skip(f"no PostgreSQL + PostGIS server could be started: {exc}")
    yield server
    from geo.store import dispose_stores

    dispose_stores()
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A new, empty event database URL: a SQLite file, and a PostgreSQL + PostGIS database (both back-ends)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.sqlite'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def store(store_url):
    """A store on :func:`store_url`, seeded from the bundled events (198 rows)."""
    from geo.store import open_store

    return open_store(store_url)
