"""Map page: the headline, the event map, what is not drawn, what was clicked, and the downloads."""

from __future__ import annotations

import copy
import datetime as dt
from functools import partial

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import AfgMapError
from geo.export import aggregates_to_geojson, events_to_csv, events_to_geojson, geojson_bytes
from geo.filters import headline, summarize
from geo.join import assign_points
from geo.maps import POINT_DECIMALS, build_event_map, finalize
from geo.viewstate import BASEMAPS, METRICS
from pages import common

#: Height of the map in pixels.
MAP_HEIGHT = 620


def _geojson(build, frame, **kwargs) -> bytes:
    return geojson_bytes(build(frame, **kwargs))


@st.cache_resource(max_entries=8, show_spinner="Drawing the map…")
def _event_map(
    data_key: tuple, view_key: str, _events, _provinces, _districts, *, metric: str, basemap: str
) -> folium.Map:
    """The finalized map for one data file and one view, shared read-only: callers render a deep copy.

    Building takes seconds for 100,000 events; a copy takes milliseconds, so a click
    (which reruns the page) does not rebuild it. Rendering changes a folium map, hence the copy.
    """
    return finalize(
        build_event_map(_events, provinces=_provinces, districts=_districts, metric=metric, basemap=basemap)
    )


view = common.page_view()
filters = view.filters
events = common.filtered_events()
provinces, districts = common.boundaries(simplified=True)
summary = summarize(events, filters=filters)

with st.container(key="headline"):
    st.subheader(common.md_text(headline(summary)), anchor=False)
st.caption(
    f"Filters: {common.md_text(filters.describe())} · districts shaded by {METRICS[view.metric].lower()} · "
    f"basemap: {BASEMAPS[view.basemap]}"
)

try:
    data_key = (common.data_key(), id(provinces), id(districts))
    fmap = copy.deepcopy(
        _event_map(data_key, repr(view), events, provinces, districts, metric=view.metric, basemap=view.basemap)
    )
except AfgMapError as exc:
    # e.g. AssetsMissingError: the vendored Leaflet files are not installed (python -m geo fetch-assets).
    fmap = None
    st.error(common.md_text(exc), icon=":material/error:")

clicked = None
if fmap is not None:
    # Only clicks come back: panning and zooming do not rerun this script.
    state = st_folium(
        fmap,
        key="event-map",
        returned_objects=["last_object_clicked"],
        use_container_width=True,
        height=MAP_HEIGHT,
    )
    clicked = (state or {}).get("last_object_clicked")

# What the map does not draw as points, so nothing disappears silently.
n_statements = len(common.aggregate_statements())
province_level = summary["province_level_events"]
unplaced = summary["unplaced_events"]
st.caption(
    " · ".join(
        [
            f"{province_level:,} event{'s' if province_level != 1 else ''} known only to province level "
            "(shaded by province, not drawn as points)",
            f"{unplaced:,} event{'s' if unplaced != 1 else ''} without a place (counted, not drawn)",
            f"{n_statements:,} group statement{'s' if n_statements != 1 else ''} bundling many attacks "
            "(not counted or drawn; listed on the Data page)",
        ]
    )
)

clicked_box = st.container(key="clicked-events")
with clicked_box:
    if clicked and clicked.get("lat") is not None and clicked.get("lng") is not None:
        lat, lng = float(clicked["lat"]), float(clicked["lng"])
        # The map sends points rounded to POINT_DECIMALS; a click on one returns those coordinates.
        at_point = events.loc[
            (events["latitude"].round(POINT_DECIMALS) == round(lat, POINT_DECIMALS))
            & (events["longitude"].round(POINT_DECIMALS) == round(lng, POINT_DECIMALS))
        ]
        if len(at_point):
            st.subheader(
                f"{len(at_point):,} event{'s' if len(at_point) != 1 else ''} at the clicked point", anchor=False
            )
            common.event_table(at_point, key="clicked-table")
        else:
            place = assign_points([lng], [lat]).iloc[0]
            adm2, adm1 = str(place["adm2_pcode"] or ""), str(place["adm1_pcode"] or "")
            if adm2:
                name = districts.loc[districts["pcode"] == adm2, "name_en"]
                label = f"{name.iloc[0]} ({adm2})" if len(name) else adm2
                in_district = events.loc[events["adm2_pcode"] == adm2]
                province_only = events.loc[(events["adm1_pcode"] == adm1) & (events["adm2_pcode"].fillna("") == "")]
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
            else:
                st.caption("The clicked point is outside Afghanistan's districts.")

st.subheader("Download", anchor=False)
stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
col1, col2, col3 = st.columns(3)
# Callables: the files are built only when a button is clicked, not on every rerun.
col1.download_button(
    "Events (GeoJSON)",
    data=partial(_geojson, events_to_geojson, events, filters=filters),
    file_name=f"afghanistan-events-{stamp}.geojson",
    mime="application/geo+json",
    on_click="ignore",
    icon=":material/download:",
    key="download-events-geojson",
)
col2.download_button(
    "Events (CSV)",
    data=partial(events_to_csv, events),
    file_name=f"afghanistan-events-{stamp}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    key="download-events-csv",
)
col3.download_button(
    "District totals (GeoJSON)",
    data=partial(_geojson, aggregates_to_geojson, events, level="district", filters=filters),
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
