"""Map page: the headline, the event map, what is not drawn, what was clicked, and the downloads.

The map travels in two parts (``geo.maps``): the base (basemap, boundaries, our
browser code; the same for every filter, its files cached by the browser) and
the selection (shading, counts, points), which ``st_folium`` applies to the map
in place when the filters change. Everything here runs inside :func:`main`, so
nothing a run builds outlives it: a session keeps only its widget state.
"""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st
from streamlit_folium import st_folium

from geo.display import unit_label
from geo.errors import AfgMapError
from geo.export import aggregates_to_geojson, events_to_csv, events_to_geojson, geojson_bytes
from geo.filters import HEADLINE_SEPARATOR, headline_parts
from geo.join import assign_points
from geo.maps import POINT_DECIMALS, MapAssets, MapSelection, base_map, event_layer, map_selection, publish_map_assets
from geo.viewstate import BASEMAPS, METRICS
from pages import common

#: Height of the map in pixels on a wide screen (its most).
MAP_HEIGHT = 600


#: Keeps each part of the headline on one line, so it wraps between parts, never inside a date.
HEADLINE_CSS = "<style>.st-key-headline .afg-part{white-space:nowrap}</style>"


@st.cache_resource(show_spinner=False, max_entries=2)
def _map_assets(boundaries_key: tuple, _provinces, _districts) -> MapAssets:
    """The browser code and boundaries, written once per boundary set (content-addressed files)."""
    return publish_map_assets(_provinces, _districts)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=8)
def _selection(data_key: tuple, filters_key: str, metric: str, _events, _filters) -> MapSelection:
    """Headline, map layer and counts of one view, shared read-only by the sessions that look at it.

    A click or another session on the same view reruns the page without selecting again
    (about 1 s for 1M events); the map's JSON is kept once, not once per session.
    """
    return map_selection(_events, _filters, metric=metric)


def _headline(summary: dict) -> None:
    with st.container(key="headline"):
        if summary["events"] == 0:
            st.subheader("No events match these filters", anchor=False)
            st.info(
                "Widen the filters in the sidebar: more groups, a longer date range, fewer event types, "
                "provinces or claim statuses, or press **Reset filters**.",
                icon=":material/filter_alt_off:",
            )
            return
        parts = [f'<span class="afg-part">{html.escape(part)}</span>' for part in headline_parts(summary)]
        st.html(HEADLINE_CSS)
        st.markdown("### " + HEADLINE_SEPARATOR.join(parts), unsafe_allow_html=True)


def _clicked_events(all_events, mask, clicked, districts) -> None:
    """List the selected events at a clicked place (its exact coordinates), else those of the clicked district."""
    if not (clicked and clicked.get("lat") is not None and clicked.get("lng") is not None):
        return
    lat, lng = float(clicked["lat"]), float(clicked["lng"])
    # The map sends places rounded to POINT_DECIMALS; a click on one returns those coordinates.
    here = (
        mask
        & (all_events["latitude"].round(POINT_DECIMALS) == round(lat, POINT_DECIMALS)).to_numpy(bool, na_value=False)
        & (all_events["longitude"].round(POINT_DECIMALS) == round(lng, POINT_DECIMALS)).to_numpy(bool, na_value=False)
    )
    at_point = all_events.loc[here]
    if len(at_point):
        st.subheader(f"{len(at_point):,} event{'s' if len(at_point) != 1 else ''} at the clicked place", anchor=False)
        common.event_table(at_point, key="clicked-table")
        return
    place = assign_points([lng], [lat]).iloc[0]
    adm2, adm1 = str(place["adm2_pcode"] or ""), str(place["adm1_pcode"] or "")
    adm1_codes = all_events["adm1_pcode"].fillna("")
    adm2_codes = all_events["adm2_pcode"].fillna("")
    if not adm2:
        st.caption("The clicked point is outside Afghanistan's districts.")
        return
    name = districts.loc[districts["pcode"] == adm2, "name_en"]
    label = unit_label(adm2, name.iloc[0]) if len(name) else adm2
    in_district = all_events.loc[mask & (adm2_codes == adm2).to_numpy(bool)]
    province_only = all_events.loc[mask & ((adm1_codes == adm1) & (adm2_codes == "")).to_numpy(bool)]
    st.subheader(
        f"{len(in_district):,} event{'s' if len(in_district) != 1 else ''} in district {common.md_text(label)}",
        anchor=False,
    )
    if len(in_district):
        common.event_table(in_district, key="clicked-table")
    if len(province_only):
        st.caption(
            f"{len(province_only):,} more event{'s' if len(province_only) != 1 else ''} in this province "
            "known only to province level:"
        )
        common.event_table(province_only, key="clicked-province-table")


def _geojson(build, frame, **kwargs) -> bytes:
    return geojson_bytes(build(frame, **kwargs))


def _downloads(events, filters) -> None:
    """Download buttons; ``events`` is a callable returning the selected events (called only on a click)."""
    st.subheader("Download", anchor=False)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    col1, col2, col3 = st.columns(3)
    # Callables: the files are built only when a button is clicked, not on every rerun.
    col1.download_button(
        "Events (GeoJSON)",
        data=lambda: _geojson(events_to_geojson, events(), filters=filters),
        file_name=f"afghanistan-events-{stamp}.geojson",
        mime="application/geo+json",
        on_click="ignore",
        icon=":material/download:",
        key="download-events-geojson",
    )
    col2.download_button(
        "Events (CSV)",
        data=lambda: events_to_csv(events()),
        file_name=f"afghanistan-events-{stamp}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="download-events-csv",
    )
    col3.download_button(
        "District totals (GeoJSON)",
        data=lambda: _geojson(aggregates_to_geojson, events(), level="district", filters=filters),
        file_name=f"afghanistan-districts-{stamp}.geojson",
        mime="application/geo+json",
        on_click="ignore",
        icon=":material/download:",
        key="download-districts-geojson",
    )
    st.caption(
        "GeoJSON follows RFC 7946 (WGS84 longitude/latitude) and carries the filters, the export time and the "
        "attribution; CSV cells that a spreadsheet would run as a formula are neutralised."
    )


def main() -> None:
    view = common.page_view()
    filters = view.filters
    all_events = common.all_events()
    provinces, districts = common.boundaries(simplified=True)
    selection = _selection(common.data_key(), repr(filters), view.metric, all_events, filters)
    summary = selection.summary

    _headline(summary)
    st.caption(
        f"Filters: {common.md_text(filters.describe(names=common.province_labels()))} · districts shaded by "
        f"{METRICS[view.metric].lower()} · basemap: {BASEMAPS[view.basemap]}"
    )

    clicked = None
    try:
        assets = _map_assets((id(provinces), id(districts)), provinces, districts)
        fmap = base_map(assets, basemap=view.basemap)
    except AfgMapError as exc:
        # e.g. AssetsMissingError: the vendored Leaflet files are not installed (python -m geo fetch-assets).
        st.error(common.md_text(exc), icon=":material/error:")
    else:
        # The base map stays in the browser; a filter change sends only the selection (applied in place).
        # Only clicks come back: panning and zooming do not rerun this script.
        st.html(common.map_frame_css("event-map-frame", MAP_HEIGHT))
        with st.container(key="event-map-frame"):
            state = st_folium(
                fmap,
                key="event-map",
                feature_group_to_add=event_layer(selection.layer),
                returned_objects=["last_object_clicked"],
                use_container_width=True,
                height=MAP_HEIGHT,
            )
        clicked = (state or {}).get("last_object_clicked")

    # What the map does not draw as points, so nothing disappears silently.
    n_statements = selection.statements
    province_level = summary["province_level_events"]
    unplaced = summary["unplaced_events"]
    st.caption(
        " · ".join(
            [
                f"{province_level:,} event{'s' if province_level != 1 else ''} known only to province level "
                "(counted under the province's name, not drawn as points)",
                f"{unplaced:,} event{'s' if unplaced != 1 else ''} without a place (counted, not drawn)",
                f"{n_statements:,} group statement{'s' if n_statements != 1 else ''} bundling many attacks "
                "(not counted or drawn; listed on the Data page)",
            ]
        )
    )
    with st.container(key="clicked-events"):
        _clicked_events(all_events, selection.mask, clicked, districts)
    _downloads(lambda: all_events.loc[selection.mask], filters)


main()
