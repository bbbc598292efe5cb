"""What every page shares: cached loaders, the sidebar view (filters + map options) mirrored to the URL.

``app.py`` calls :func:`render_sidebar` on every run, before the page runs; each
page starts with :func:`page_view` (the view of this run) and then reads
:func:`filtered_events`, :func:`all_events` (the loaded files plus this session's
uploads) and :func:`boundaries`. The parsing of links lives in :mod:`geo.viewstate`;
this module only holds widget state, caches, and talks to ``st.query_params``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo import settings
from geo.boundaries import find_boundaries_dir, load_districts, load_provinces
from geo.display import unit_label
from geo.errors import AfgMapError, BoundariesNotFoundError, FilterError, report_failure
from geo.filters import Filters, apply_filters
from geo.groups import GROUP_LABELS
from geo.review import labelled
from geo.schema import GEO_PRECISION
from geo.source import EventSource
from geo.source import event_source as _event_source
from geo.viewstate import (
    BASEMAPS,
    METRICS,
    QUERY_KEYS,
    FilterOptions,
    ViewState,
    filter_options,
    normalize_filters,
    parse_query_params,
    to_query_params,
)
from pages import editor

# Widget keys in st.session_state (the sidebar widgets are rendered on every page, so Streamlit keeps them).
K_GROUP, K_DATES, K_TYPE, K_PROVINCE, K_CLAIM, K_EXACT = (
    "f_group",
    "f_dates",
    "f_type",
    "f_province",
    "f_claim",
    "f_exact",
)
K_METRIC, K_BASEMAP = "v_metric", "v_basemap"
# Non-widget state.
_K_REROUTED = "_view_rerouted"
_K_PENDING_GROUPS = "_view_pending_groups"
_K_READY, _K_WARNINGS, _K_LINK_VIEW, _K_VIEW, _K_OPTIONS, _K_WRITTEN = (
    "_view_ready",
    "_view_warnings",
    "_view_from_link",
    "_view",
    "_view_options",
    "_view_written",
)

#: Query parameters a page keeps in the link itself (Spread: ``freq``); the sidebar leaves them alone.
PAGE_QUERY_KEYS: tuple[str, ...] = ("freq",)

#: Session-state key of the events added from the Data page's upload box (pages/upload_box.py).
UPLOADED_EVENTS_KEY = "uploaded_events"

#: Command that fetches the boundary files, shown when they are missing.
BOUNDARIES_COMMAND = "python -m geo download-boundaries"

# Set by render_sidebar, consumed by page_view: tells a page whether app.py drew the sidebar in this run.
_RUN = threading.local()

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~$:])")


def md_text(value: object) -> str:
    """Escape ``value`` for Streamlit markdown so it shows as typed (no links, HTML, emphasis or maths).

    Examples
    --------
    >>> md_text("<img src=x onerror=alert(1)> *bold*")
    '\\\\<img src=x onerror=alert\\\\(1\\\\)\\\\> \\\\*bold\\\\*'
    """
    return _MD_SPECIAL.sub(r"\\\1", str(value))


def stop_with_error(message: str, detail: str | None = None) -> None:
    """Show one error sentence (plus an optional detail line) and stop the page instead of a traceback."""
    st.error(message)
    if detail:
        st.caption(md_text(detail))
    st.stop()


# ---------------------------------------------------------------------------------------------- pages


def app_pages() -> list[st.Page]:
    """The app's pages, for ``st.navigation`` in app.py: every file of ``pages/`` that is a page.

    No page icons: Streamlit turns a page's ``:material/...:`` icon into a favicon
    fetched from Google's font server, and the app must make no outside request
    (the favicon comes from ``page_icon`` in app.py, an emoji drawn as a data: URL).
    """
    root = settings.REPO_ROOT / "pages"
    return [
        st.Page(root / "map.py", title="Map", default=True),
        st.Page(root / "spread.py", title="Spread"),
        st.Page(root / "data.py", title="Data"),
        st.Page(root / "about.py", title="About"),
    ]


# ---------------------------------------------------------------------------------------------- loaders


def event_source() -> EventSource:
    """Where the app's events come from: the event database, or ``$AFGMAP_EVENTS`` files (see :mod:`geo.source`)."""
    return _event_source()


def events_stamp() -> tuple:
    """The cache key of the events: the database's ``(store_id, version)`` (+1 on every write), or the files'
    names, mtimes and sizes. One cheap query per run; a write anywhere makes every session reload once."""
    return event_source().token()


@st.cache_resource(show_spinner="Loading events…", max_entries=2)
def _load_events(stamp: tuple) -> pd.DataFrame:
    # cache_resource: one frame shared read-only by every session (the library never mutates its inputs);
    # a new stamp (a write, an edited file) loads the new events once for all sessions.
    kind, location = stamp[0], stamp[1]
    return EventSource(kind, location).load()


@st.cache_data(show_spinner=False, max_entries=4)
def _load_options(stamp: tuple) -> FilterOptions:
    return filter_options(_load_events(stamp))


def _session_uploads() -> pd.DataFrame | None:
    extra = st.session_state.get(UPLOADED_EVENTS_KEY)
    return extra if extra is not None and len(extra) else None


def data_key() -> tuple:
    """What the events of this session depend on: the files' stamp, plus a fingerprint of this session's uploads.

    Use it to key anything cached across sessions that is built from :func:`all_events`.
    """
    extra = _session_uploads()
    uploads = (
        None
        if extra is None
        else (len(extra), int(pd.util.hash_pandas_object(extra.astype("string"), index=False).sum()))
    )
    return events_stamp(), uploads


def all_events() -> pd.DataFrame:
    """Every event of the event database (or ``$AFGMAP_EVENTS`` files), aggregates included; cached on
    :func:`events_stamp`, one frame shared by all sessions.

    A bad file stops the page with the library's one-line message (file, row, field).
    """
    try:
        events = _load_events(events_stamp()).copy(deep=False)  # copy-on-write: the shared frame never changes
    except (AfgMapError, OSError, UnicodeDecodeError) as exc:
        stop_with_error(f"The events could not be loaded: {md_text(report_failure(exc, what='loading the events'))}")
        raise  # unreachable: st.stop() raises
    # Events added from the Data page's upload box, for this session only (pages/upload_box.py).
    extra = _session_uploads()
    if extra is not None:
        extra = extra.reindex(columns=events.columns)
        for col in events.columns:
            if pd.api.types.is_string_dtype(events[col]):
                extra[col] = extra[col].astype("string").fillna("")
        events = pd.concat([events, extra], ignore_index=True)
    return events


@st.cache_resource(show_spinner="Loading boundaries…", max_entries=4)
def _load_boundaries(folder: str, simplified: bool) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # cache_resource: one read-only copy shared by all sessions (the library never mutates its inputs).
    return load_provinces(simplified=simplified), load_districts(simplified=simplified)


def boundaries(simplified: bool = True) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(provinces, districts), simplified for display by default; cached, and shared read-only.

    Missing boundary files stop the page with one sentence naming the command that fetches them.
    """
    try:
        return _load_boundaries(str(find_boundaries_dir()), simplified)
    except BoundariesNotFoundError as exc:
        stop_with_error(
            f"The Afghanistan boundary files were not found: run `{BOUNDARIES_COMMAND}`, then reload this page.",
            str(exc),
        )
        raise
    except (AfgMapError, OSError) as exc:
        stop_with_error(f"The boundary files could not be read: {md_text(report_failure(exc, what='boundaries'))}")
        raise


# ---------------------------------------------------------------------------------------------- the view


def _options() -> FilterOptions:
    """What the loaded events offer to filter on (cached with the events)."""
    events = all_events()  # stops the page with a message when the events cannot be loaded
    if _session_uploads() is not None:
        return filter_options(events)  # this session's own events: not shared
    return _load_options(events_stamp())


def _set_widgets(view: ViewState, options: FilterOptions) -> None:
    """Write a view into the widgets' session state (before the widgets are drawn)."""
    f = view.filters
    ss = st.session_state
    ss[K_GROUP] = list(f.groups or options.groups)
    first = options.first or dt.date.today()
    last = options.last or first
    ss[K_DATES] = (f.start or first, f.end or last)
    ss[K_TYPE] = list(f.event_types or ())
    ss[K_PROVINCE] = list(f.provinces or ())
    ss[K_CLAIM] = list(f.claim_statuses or ())
    ss[K_EXACT] = bool(f.exact_only)
    ss[K_METRIC] = view.metric
    ss[K_BASEMAP] = view.basemap


def _read_query_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def _view_from_widgets(options: FilterOptions) -> ViewState:
    ss = st.session_state
    dates = tuple(ss.get(K_DATES) or ())
    start = dates[0] if len(dates) > 0 else None
    end = dates[1] if len(dates) > 1 else None
    try:
        filters = Filters(
            groups=tuple(ss.get(K_GROUP) or ()) or None,
            start=start,
            end=end,
            event_types=tuple(ss.get(K_TYPE) or ()) or None,
            provinces=tuple(ss.get(K_PROVINCE) or ()) or None,
            claim_statuses=tuple(ss.get(K_CLAIM) or ()) or None,
            exact_only=bool(ss.get(K_EXACT)),
        )
    except FilterError as exc:
        st.warning(f"{md_text(exc)}; showing the whole span of the data.")
        filters = Filters(groups=tuple(ss.get(K_GROUP) or ()) or None)
    return ViewState(
        filters=normalize_filters(filters, options),
        metric=ss.get(K_METRIC, "events"),
        basemap=ss.get(K_BASEMAP, "osm"),
    )


def _own_params(params: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: values for key, values in params.items() if key in QUERY_KEYS}


def _write_query_params(view: ViewState) -> None:
    """Mirror the view to the URL in one update (one browser history entry, so Back undoes one change).

    Only our own keys change: a page may keep its own parameters (PAGE_QUERY_KEYS) in the link too.
    """
    target = to_query_params(view)
    current = _read_query_params()
    if _own_params(current) != target:
        others = {key: values for key, values in current.items() if key not in QUERY_KEYS}
        st.query_params.from_dict({**others, **target})
    st.session_state[_K_WRITTEN] = target


def _back_or_forward() -> bool:
    """True when this run comes from the browser's Back or Forward button to a view this session did not
    write last (Streamlit reruns with that history entry's URL). Only such runs let the URL override the
    widgets: an ordinary rerun may carry a URL a moment older than the filters just changed."""
    ctx = get_script_run_ctx()
    written = st.session_state.get(_K_WRITTEN)
    return (
        bool(getattr(ctx, "is_history_navigation", False))
        and written is not None
        and _own_params(_read_query_params()) != written
    )


def _reset_view() -> None:
    """Back to the default filters; the map options (metric, basemap) stay as they are."""
    ss = st.session_state
    _set_widgets(ViewState(metric=ss.get(K_METRIC, "events"), basemap=ss.get(K_BASEMAP, "osm")), _options())


def render_sidebar() -> ViewState:
    """Draw the shared sidebar (filters and map options) and return the current view.

    On a session's first run the view comes from the URL (a shared link); warnings
    about values that could not be used are kept for :func:`show_link_warnings`.
    Every run writes the view back to the URL.
    """
    options = _options()
    ss = st.session_state
    if not ss.get(_K_READY):
        view, warnings = parse_query_params(_read_query_params(), options, extra_keys=PAGE_QUERY_KEYS)
        _set_widgets(view, options)
        ss[_K_WARNINGS], ss[_K_LINK_VIEW], ss[_K_READY] = warnings, view, True
    elif _back_or_forward():
        # Back/Forward: the URL wins over the widgets, so the previous filters come back.
        view, warnings = parse_query_params(_read_query_params(), options, extra_keys=PAGE_QUERY_KEYS)
        _set_widgets(view, options)
        ss[_K_WARNINGS], ss[_K_LINK_VIEW] = warnings, view
    elif K_GROUP not in ss:
        # The last run drew no sidebar (a page ran on its own) and Streamlit dropped the widget state: restore it.
        _set_widgets(ss.get(_K_VIEW, ViewState()), options)
    elif ss.get(_K_OPTIONS) != options:
        # The event file changed under a running session: keep what still exists.
        view, _ = parse_query_params(to_query_params(ss.get(_K_VIEW, ViewState())), options)
        _set_widgets(view, options)
    ss[_K_OPTIONS] = options
    pending = ss.pop(_K_PENDING_GROUPS, None)
    if pending is not None:  # a page's default selection (preset_groups), applied before the widget is drawn
        ss[K_GROUP] = [g for g in pending if g in options.groups]

    first = options.first or dt.date.today()
    last = options.last or first
    chosen = tuple(ss.get(K_DATES) or ())
    low = min([first, *chosen]) if chosen else first
    high = max([last, *chosen]) if chosen else last

    with st.sidebar:
        st.header("Filters")
        st.multiselect(
            "Group",
            options.groups,
            key=K_GROUP,
            placeholder="All groups",
            help="; ".join(f"{g}: {GROUP_LABELS.get(g, g)}" for g in options.groups),
        )
        if not ss.get(K_GROUP):
            st.caption("No group selected: showing every group.")
        st.date_input("Date range", key=K_DATES, min_value=low, max_value=high, format="YYYY-MM-DD")
        st.multiselect("Event type", options.event_types, key=K_TYPE, placeholder="All event types")
        st.multiselect(
            "Province",
            list(options.provinces),
            key=K_PROVINCE,
            format_func=lambda code: f"{unit_label(code, options.provinces.get(code, code))} ({code})",
            placeholder="All provinces",
        )
        st.multiselect("Claim status", options.claim_statuses, key=K_CLAIM, placeholder="All claim statuses")
        st.toggle(
            "Exact places only",
            key=K_EXACT,
            help=f"Only events placed to a {GEO_PRECISION[1]} or a {GEO_PRECISION[2]} (geo_precision 1 and 2).",
        )
        st.button("Reset filters", on_click=_reset_view, icon=":material/restart_alt:")
        st.header("Map")
        st.radio("Shade districts by", list(METRICS), key=K_METRIC, format_func=METRICS.get, horizontal=True)
        st.radio(
            "Basemap",
            list(BASEMAPS),
            key=K_BASEMAP,
            format_func=BASEMAPS.get,
            help="OpenStreetMap tiles need the internet; without a basemap the map works offline.",
        )
        st.caption("The address bar holds this view: copy the link to share it.")
        editor.sidebar_login()

    view = _view_from_widgets(options)
    ss[_K_VIEW] = view
    _write_query_params(view)
    _RUN.sidebar_drawn = True
    ss[_K_REROUTED] = False
    return view


def page_view() -> ViewState:
    """Call first in every page: the view of this run (drawing the sidebar if app.py did not).

    ``app.py`` draws the sidebar, then runs the page. Because our pages live in
    ``pages/``, Streamlit starts in its older multipage mode, which runs a page
    file on its own, until the first ``st.navigation`` call: a server's very first
    request for ``/data`` (a shared link), and every ``AppTest`` run. The page then
    switches Streamlit to ``st.navigation`` and reruns once, so ``app.py`` routes it.
    """
    drawn = getattr(_RUN, "sidebar_drawn", False)
    _RUN.sidebar_drawn = False
    if drawn:
        return current_view()
    ss = st.session_state
    if not ss.get(_K_REROUTED):  # reset by render_sidebar: never loop if a rerun does not go through app.py
        ss[_K_REROUTED] = True
        # Any st.navigation call ends the older mode for the whole server; the rerun then goes through app.py.
        st.navigation(app_pages(), position="hidden")
        st.rerun()
    view = render_sidebar()
    _RUN.sidebar_drawn = False
    ss[_K_REROUTED] = True
    show_link_warnings()
    return view


def preset_groups(groups: tuple[str, ...]) -> None:
    """Select ``groups`` in the sidebar's Group filter and rerun (a page's default, e.g. the Spread page's NRF).

    The sidebar is drawn before the page runs, so its widget cannot change in this
    run: the choice is kept for the next run's :func:`render_sidebar`, which applies
    it (and mirrors it to the URL) before drawing the filters.
    """
    st.session_state[_K_PENDING_GROUPS] = list(groups)
    st.rerun()


def show_link_warnings() -> None:
    """Show what a shared link asked for that could not be used, until the user changes the view."""
    ss = st.session_state
    warnings = ss.get(_K_WARNINGS) or []
    if warnings and ss.get(_K_VIEW) != ss.get(_K_LINK_VIEW):
        ss[_K_WARNINGS] = warnings = []
    for message in warnings:
        st.warning(md_text(message), icon=":material/link_off:")


def current_view() -> ViewState:
    """The view of this run (filters + map options); from the URL when the sidebar has not run."""
    view = st.session_state.get(_K_VIEW)
    if view is None:
        view, _ = parse_query_params(_read_query_params(), _options(), extra_keys=PAGE_QUERY_KEYS)
    return view


def province_labels() -> dict[str, str]:
    """Province P-code -> the name the app shows ("Herat (Hirat)"), for the provinces with events."""
    return {code: unit_label(code, name) for code, name in _options().provinces.items()}


def current_filters() -> Filters:
    """The sidebar's filters (mirrored to the URL)."""
    return current_view().filters


def filtered_events(*, include_aggregates: bool = False) -> pd.DataFrame:
    """``apply_filters(all_events(), current_filters())``: what every page counts and shows."""
    return apply_filters(all_events(), current_filters(), include_aggregates=include_aggregates)


def aggregate_statements() -> pd.DataFrame:
    """The group statements bundling many attacks that pass the filters (never counted or mapped)."""
    both = filtered_events(include_aggregates=True)
    return both.loc[both["is_aggregate"].astype(bool).to_numpy()]


# ---------------------------------------------------------------------------------------------- tables

#: Columns of the event tables, in order, with their labels.
TABLE_COLUMNS: dict[str, str] = {
    "event_id": "ID",
    "event_date": "Date",
    "group": "Group",
    "actor1": "Actor",
    "actor2": "Target",
    "event_type": "Event type",
    "sub_event_type": "Sub-type",
    "location": "Place as reported",
    "admin2": "District",
    "admin1": "Province",
    "geo_precision": "Placement",
    "fatalities": "Reported fatalities",
    "claim_status": "Claim status",
    "source_url": "Source",
    "notes": "Notes",
}


def event_table(events: pd.DataFrame, **kwargs) -> None:
    """Show events as a table in the reader's wording: text as text (st.dataframe never renders HTML),
    sources as links, dates with their precision ("Mar 2024 (month)"), what each point stands for
    ("placed at district centre") and unit names ("Herat (Hirat)"), all from :mod:`geo.display`.

    Only ``http(s)`` sources become links; anything else (``javascript:``...) is blanked.
    """
    cols = [c for c in TABLE_COLUMNS if c in events.columns]
    table = labelled(events)
    table["event_date"], table["geo_precision"] = table["when"], table["placed"]
    table["admin1"], table["admin2"] = table["province"], table["district"]
    table = table[cols]
    url = table["source_url"].astype("string").fillna("")
    table["source_url"] = url.where(url.str.match(r"(?i)^https?://"), None)
    config = {c: st.column_config.Column(label) for c, label in TABLE_COLUMNS.items() if c in cols}
    config["source_url"] = st.column_config.LinkColumn(
        "Source", display_text=r"^https?://(?:www\.)?([^/]+)", help="The report this event rests on"
    )
    config["event_date"] = st.column_config.TextColumn("Date", help="With its precision when coarser than a day")
    config["geo_precision"] = st.column_config.TextColumn("Placement", help="What the point on the map stands for")
    config["fatalities"] = st.column_config.NumberColumn("Reported fatalities", format="%d")
    st.dataframe(table, column_config=config, hide_index=True, **kwargs)


__all__ = [
    "QUERY_KEYS",
    "aggregate_statements",
    "all_events",
    "boundaries",
    "current_filters",
    "current_view",
    "data_key",
    "event_source",
    "events_stamp",
    "event_table",
    "filtered_events",
    "md_text",
    "page_view",
    "preset_groups",
    "province_labels",
    "render_sidebar",
    "show_link_warnings",
    "stop_with_error",
]


def map_frame_css(key: str, max_height: int) -> str:
    """CSS fitting the map frame in ``st.container(key=key)`` to the screen.

    About as tall as the country is at the frame's width (85 % of the width: a phone's map is not mostly empty
    above and below the country), never taller than ``max_height`` nor than the screen less room to scroll past
    it. ``cqw``: the frame's width. streamlit-folium's frame is 10 px taller than its map; the map fills the frame
    (geo/web/afgmap.js on the Map page, :func:`geo.maps.fit_to_frame` on the Spread page).
    """
    return (
        f"<style>.st-key-{key}{{container-type:inline-size}}"
        f".st-key-{key} iframe{{height:clamp(260px,min(85cqw + 10px,100svh - 140px),{max_height + 10}px)!important}}"
        "</style>"
    )
