"""Settings: data paths, environment variables, tolerances and attribution.

Every path and tunable number the library uses is defined here, once, with
what it means. Environment variables are read when a function asks for a path,
not at import time, so tests and users can set them late.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder holding ``app.py``).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Where the bundled data lives inside the repository.
DATA_DIR = REPO_ROOT / "data"

#: ``data/boundaries/``: the bundled OCHA/AGCHO 2018 boundaries (GeoParquet), also where
#: ``python -m geo download-boundaries`` refreshes them.
LOCAL_BOUNDARIES_DIR = DATA_DIR / "boundaries"

#: ``data/gazetteer/``: the bundled gazetteer (place names the geocoder reads).
LOCAL_GAZETTEER_DIR = DATA_DIR / "gazetteer"

#: ``data/gazetteer/iec/``: the IEC 2019 settlements and district spellings, a separately
#: licensed component (GPL-3.0; see its NOTICE.md).
IEC_GAZETTEER_DIR = LOCAL_GAZETTEER_DIR / "iec"  # = LOCAL_GAZETTEER_DIR / IEC_DIR_NAME

#: ``data/events/``: the bundled default events.
LOCAL_EVENTS_DIR = DATA_DIR / "events"

#: The bundled default event file (the real reported events, geocoded).
DEFAULT_EVENTS_FILE = LOCAL_EVENTS_DIR / "reported_events.csv"

#: ``data/events/source/``: the compiled reports (``reported_events.csv``, 198 rows) the bundled
#: events are built from, and the UCDP GED subset.
SOURCE_EVENTS_DIR = LOCAL_EVENTS_DIR / "source"

#: Environment variable: a folder holding the boundary files (or their zips).
BOUNDARIES_ENV = "AFGMAP_BOUNDARIES"

#: Environment variable: a folder holding the gazetteer CSV files.
GAZETTEER_ENV = "AFGMAP_GAZETTEER"

#: Environment variable: an event file or a folder of event files.
EVENTS_ENV = "AFGMAP_EVENTS"

#: Environment variable: the event database, as a SQLAlchemy URL. ``postgresql+psycopg://user:pass@host/db``
#: for a team (PostGIS), ``sqlite:////path/events.sqlite`` for another file. Unset: :data:`DEFAULT_DATABASE_FILE`.
DATABASE_ENV = "AFGMAP_DATABASE_URL"

#: Environment variable: editors with a password, ``NAME:HASH`` entries separated by commas or spaces (make an
#: entry with ``python -m geo db hash-password NAME``). The ``[editors]`` table of Streamlit secrets does the same.
EDITORS_ENV = "AFGMAP_EDITORS"

#: Environment variable: e-mail addresses (comma-separated) that are editors when they log in through
#: ``st.login`` (OIDC, configured in the ``[auth]`` section of Streamlit secrets). Secrets: ``editor_emails``.
EDITOR_EMAILS_ENV = "AFGMAP_EDITOR_EMAILS"

#: The embedded event database (SQLite, WAL mode) used when :data:`DATABASE_ENV` is unset: created and seeded
#: from :data:`DEFAULT_EVENTS_FILE` on first use, no set-up step. Git-ignored; its folder must be writable.
DEFAULT_DATABASE_FILE = REPO_ROOT / "var" / "events.sqlite"

#: Environment variable: the folder holding the source event files
#: (``reported_events.csv``, the UCDP subset) used to rebuild the bundled data.
SOURCE_EVENTS_ENV = "AFGMAP_SOURCE_EVENTS"

#: Boundary file names (OCHA/AGCHO 2018, GeoParquet with brotli compression, EPSG:4326). GeoParquet
#: is what ships: 2.7 MB for all four files against 12.6 MB of GeoJSON or 5.1 MB of official zips
#: (without display copies), and it reads in 0.04 s against 0.2 s (measured; data/boundaries/README.md).
PROVINCES_FILE = "afg_adm1.parquet"
DISTRICTS_FILE = "afg_adm2.parquet"
PROVINCES_SIMPLIFIED_FILE = "afg_adm1_simplified.parquet"
DISTRICTS_SIMPLIFIED_FILE = "afg_adm2_simplified.parquet"

#: The same boundaries as GeoJSON (older copies, or a folder set in ``$AFGMAP_BOUNDARIES``): still read.
GEOJSON_BOUNDARY_FILES = {
    PROVINCES_FILE: "afg_adm1.geojson",
    DISTRICTS_FILE: "afg_adm2.geojson",
    PROVINCES_SIMPLIFIED_FILE: "afg_adm1_simplified.geojson",
    DISTRICTS_SIMPLIFIED_FILE: "afg_adm2_simplified.geojson",
}

#: The official shapefile zips, as published by OCHA on HDX.
PROVINCES_ZIP = "afg_admbnda_adm1_agcho_20180522.zip"
DISTRICTS_ZIP = "afg_admbnda_adm2_agcho_20180522.zip"

#: Where ``download-boundaries`` fetches the zips from by default: the unchanged
#: OCHA zips as committed (2020-08-26) in colincookman/afghanistan_presidential_election_2019,
#: pinned to a commit; their git blob ids (ff986e03..., 1c12ecd3...) and the SHA-256
#: sums below match our copies byte for byte. Override with ``--base-url`` or
#: ``AFGMAP_BOUNDARIES_URL`` (an HDX download, a mirror, a local server in tests).
BOUNDARIES_BASE_URL = (
    "https://raw.githubusercontent.com/colincookman/afghanistan_presidential_election_2019/"
    "56d325d3a87200475dc680ccc4654d8b13a3ac28/district_data/boundaries/"
)

#: Environment variable overriding :data:`BOUNDARIES_BASE_URL`.
BOUNDARIES_URL_ENV = "AFGMAP_BOUNDARIES_URL"

#: SHA-256 and feature count of each official zip, checked after download.
BOUNDARY_ZIPS: dict[str, dict[str, object]] = {
    PROVINCES_ZIP: {
        "sha256": "04a5c5e524f9b83b458007b73b4c3e13e64831ea5a7027ad0adae46e8502889b",
        "features": 34,
        "level": 1,
    },
    DISTRICTS_ZIP: {
        "sha256": "783feade31a8e8b450d7c439446a935b34eb4ee8fc24fd0e182dfc5943b3abd3",
        "features": 399,
        "level": 2,
    },
}

#: Expected feature counts of the 2018 edition.
N_PROVINCES = 34
N_DISTRICTS = 399

#: Gazetteer file names (in ``data/gazetteer/`` or ``$AFGMAP_GAZETTEER``).
ADMIN_UNITS_FILE = "afg_admin_units.csv"
PROVINCE_VARIANTS_FILE = "afg_province_name_variants.csv"
GEONAMES_FILE = "afg_geonames_cities500.csv"
#: Our own spelling table (name, level, parents, source, reason) and name rules (CC0).
NAME_VARIANTS_FILE = "afg_name_variants.csv"
NAME_RULES_FILE = "afg_name_rules.csv"
#: Words that make a bare capital name the city, and office phrases that name a province's capital (CC0).
PLACE_CONTEXT_FILE = "afg_place_context.csv"
#: The files every gazetteer folder must hold.
GAZETTEER_FILES = (
    ADMIN_UNITS_FILE,
    PROVINCE_VARIANTS_FILE,
    GEONAMES_FILE,
    NAME_VARIANTS_FILE,
    NAME_RULES_FILE,
    PLACE_CONTEXT_FILE,
)
#: The optional GPL-3.0 component inside a gazetteer folder (see :data:`IEC_GAZETTEER_DIR`):
#: without it the geocoder works, but does not know villages.
IEC_DIR_NAME = "iec"
IEC_SETTLEMENTS_FILE = "afg_settlements_iec2019.csv"
IEC_DISTRICT_VARIANTS_FILE = "afg_district_name_variants_iec.csv"

#: A point this close (metres) outside the national outline is snapped to the
#: nearest district (GPS noise, coordinates rounded to 0.01 degrees); farther
#: out it is left unassigned.
OUTSIDE_SNAP_M = 5_000.0

#: ``static/``: served by Streamlit at ``/app/static/`` (``server.enableStaticServing = true``).
STATIC_DIR = REPO_ROOT / "static"

#: ``static/vendor/``: the JS/CSS the maps load, fetched from the npm registry by
#: ``python -m geo fetch-assets`` (pinned in ``geo/assets_lock.json``; git-ignored).
VENDOR_DIR = STATIC_DIR / "vendor"

#: The URL path under which the browser finds :data:`VENDOR_DIR` in the Streamlit app.
VENDOR_URL = "/app/static/vendor"

#: ``static/generated/``: files the app writes for the browser (the map's own script, the display
#: boundaries), named by their content's hash (``geo.assets.publish_file``; git-ignored).
GENERATED_DIR = STATIC_DIR / "generated"

#: The URL path under which the browser finds :data:`GENERATED_DIR`.
GENERATED_URL = "/app/static/generated"

#: A file in :data:`GENERATED_DIR` that the running process did not publish is deleted once no
#: process has published it for this many hours (``geo.assets.clean_generated``): long enough for
#: another app process from the same checkout, or a page still open on an older version, to go on
#: loading it.
GENERATED_KEEP_HOURS = 48

#: Up to this many drawable events, the popup of each place on the map lists its events in
#: full (date, group, target, source...). Above it (the *light mode*) a popup gives the counts
#: per group and the page lists the events of a clicked place below the map, so the browser
#: receives no report text for large selections.
MAP_LIGHT_THRESHOLD = 2_000

#: Largest input file or upload, in megabytes (MiB). ``.streamlit/config.toml`` sets Streamlit's
#: ``server.maxUploadSize`` to the same number (tests/test_hostile_inputs.py checks they agree), so the
#: server's upload endpoint refuses a larger file before the app reads a byte of it.
MAX_INPUT_MB = 50

#: Default refusal size for input files (bytes): :data:`MAX_INPUT_MB` in bytes.
MAX_INPUT_BYTES = MAX_INPUT_MB * 1024 * 1024

#: Region used by the spread analytics for the "western region" share.
WESTERN_PROVINCES = ("AF32", "AF33", "AF31", "AF23", "AF34")  # Hirat, Farah, Badghis, Ghor, Nimroz

#: Attribution, shown in the README, the app and every export.
ATTRIBUTION = (
    "Boundaries: AGCHO / OCHA (HDX, COD-AB 2018), CC BY-IGO. "
    "Places: GeoNames (geonames.org), CC BY 4.0; "
    "villages: IEC Afghanistan 2019, compiled by Colin Cookman, GPL-3.0 (data/gazetteer/iec/). "
    "Events: compiled from public reporting (see each event's source_url); "
    "UCDP GED (Sundberg & Melander 2013), CC BY 4.0, where used."
)


def env_path(name: str) -> Path | None:
    """Return the path in environment variable ``name``, or None when unset or empty.

    Examples
    --------
    >>> env_path("AFGMAP_SURELY_UNSET") is None
    True
    """
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def gazetteer_dir() -> Path:
    """The folder holding the gazetteer CSVs: ``$AFGMAP_GAZETTEER``, else the bundled ``data/gazetteer/``."""
    return env_path(GAZETTEER_ENV) or LOCAL_GAZETTEER_DIR


def source_events_dir() -> Path:
    """The folder holding the source event files: ``$AFGMAP_SOURCE_EVENTS``, else ``data/events/source/``."""
    return env_path(SOURCE_EVENTS_ENV) or SOURCE_EVENTS_DIR


def database_url() -> str:
    """The event database: ``$AFGMAP_DATABASE_URL``, else the SQLite file :data:`DEFAULT_DATABASE_FILE`.

    Examples
    --------
    >>> database_url().startswith(("sqlite:///", "postgresql"))
    True
    """
    value = os.environ.get(DATABASE_ENV, "").strip()
    return value or f"sqlite:///{DEFAULT_DATABASE_FILE}"


def events_path() -> Path:
    """The events the app shows: ``$AFGMAP_EVENTS`` (file or folder), else ``data/events/``."""
    return env_path(EVENTS_ENV) or LOCAL_EVENTS_DIR
