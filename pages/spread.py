"""Spread page: where the selected groups are active per period, what is new, and how far west they reach.

UI only: every number comes from :mod:`geo.spread`. The sidebar filters are the
Map page's; the period (month, quarter, year) is mirrored to the URL as ``freq=``.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import AfgMapError
from geo.filters import apply_filters
from geo.groups import GROUP_COLORS, GROUPS
from geo.settings import ATTRIBUTION
from geo.spread import (
    DEFAULT_FREQ,
    DEFAULT_ORIGIN,
    FREQS,
    events_per_period,
    first_activity,
    first_activity_map,
    history_filters,
    metrics_records,
    origin_from_pcode,
    period_sentence,
    spread_metrics,
    timeline_map,
    western_share,
)
from pages import common

#: Map height in pixels.
MAP_HEIGHT = 560

#: Session-state keys of this page's widgets.
K_FREQ, K_ORIGIN, K_CUMULATIVE, K_MAP = "spread_freq", "spread_origin", "spread_cumulative", "spread_map"

#: The URL parameter holding the period.
FREQ_PARAM = "freq"


def _initial_freq() -> str:
    """The period from the link (``freq=M|Q|Y``), else the default; warns about a bad value."""
    value = str(st.query_params.get(FREQ_PARAM, DEFAULT_FREQ) or DEFAULT_FREQ).strip().upper()
    if value not in FREQS:
        st.warning(
            f"Ignored {FREQ_PARAM}={common.md_text(value)}: expected one of {', '.join(FREQS)}; showing quarters.",
            icon=":material/link_off:",
        )
        return DEFAULT_FREQ
    return value


def _list_text(values: object) -> str:
    return ", ".join(values) if isinstance(values, list) else ""


view = common.page_view()
filters = view.filters
everything = common.all_events()
events = common.filtered_events()
# "First activity ever" is judged against the same selection without its date range.
history = apply_filters(everything, history_filters(filters))
provinces, districts = common.boundaries(simplified=True)
province_names = dict(zip(provinces["pcode"], provinces["name_en"], strict=True))
district_names = dict(zip(districts["pcode"], districts["name_en"], strict=True))

st.title("Spread")
if K_FREQ not in st.session_state:
    st.session_state[K_FREQ] = _initial_freq()
st.session_state.setdefault(K_MAP, "first")

with st.container(key="spread-sentence"):
    st.subheader(common.md_text(period_sentence(events, filters=filters)), anchor=False)
st.caption(
    f"Counted in the loaded data · filters: {common.md_text(filters.describe())}. "
    "Group statements that bundle many attacks are not counted."
)

controls = st.columns([2, 3, 2], vertical_alignment="bottom")
freq = controls[0].segmented_control(
    "Period", list(FREQS), key=K_FREQ, format_func=lambda f: FREQS[f].capitalize(), required=True
)
freq = freq or DEFAULT_FREQ
if st.query_params.get(FREQ_PARAM) != freq:
    st.query_params[FREQ_PARAM] = freq
origin_choice = controls[1].selectbox(
    "Measure westward reach from",
    ["default"] + list(province_names),
    key=K_ORIGIN,
    format_func=lambda c: DEFAULT_ORIGIN.name + " (default)" if c == "default" else f"{province_names[c]} ({c})",
    help="west_km: geodesic distance (WGS84 ellipsoid) from this point to the point on its parallel at the "
    "westmost event's longitude; negative when all events lie east of it. A province is measured from its "
    "label point.",
)

try:
    origin = DEFAULT_ORIGIN if origin_choice == "default" else origin_from_pcode(origin_choice)
    metrics = spread_metrics(events, freq=freq, origin=origin, history=history, start=filters.start, end=filters.end)
except AfgMapError as exc:
    common.stop_with_error(f"The spread metrics could not be computed: {common.md_text(exc)}")
    raise

if metrics.empty or int(metrics["events"].sum()) == 0:
    st.info("No events in this selection: widen the filters in the sidebar.", icon=":material/filter_alt_off:")
    st.stop()

# ------------------------------------------------------------------ headline numbers
active = metrics.loc[metrics["events"] > 0]
new_p = sorted({p for lst in metrics["new_provinces"] for p in lst})
reach = metrics["west_km"].max()
reach_row = metrics.loc[metrics["west_km"].idxmax()] if metrics["west_km"].notna().any() else None
share_west = western_share(events)
k1, k2, k3, k4 = st.columns(4)
k1.metric(f"Active {FREQS[freq]}s", f"{len(active):,} of {len(metrics):,}")
k2.metric(
    "New provinces",
    f"{len(new_p):,}",
    help="First activity ever (for the selected groups) falls in the selected dates: "
    + (", ".join(f"{province_names.get(p, p)} ({p})" for p in new_p) or "none"),
)
k3.metric(
    "Westmost reach",
    f"{reach:,.0f} km" if pd.notna(reach) else "–",
    help=(
        f"In {reach_row['period']}: district {district_names.get(reach_row['westmost_district'], '')} "
        f"({reach_row['westmost_district']}), {reach_row['westmost_lon']:.3f}°E, measured from {origin.name}."
        if reach_row is not None
        else "No event with district coordinates."
    ),
)
k4.metric(
    "Share in the west",
    f"{share_west:.0%}" if pd.notna(share_west) else "–",
    help="Herat, Farah, Badghis, Ghor, Nimroz; share of the events placed at least to a province.",
)
excluded_p = int(metrics["excluded_province_level"].sum())
excluded_u = int(metrics["excluded_unplaced"].sum())
excluded_c = int(metrics["excluded_no_coordinates"].sum())
undated = int(metrics.attrs.get("undated_events", 0))
n_statements = len(common.aggregate_statements())
notes = [
    f"{excluded_p:,} event{'s' if excluded_p != 1 else ''} known only to province level count toward provinces "
    "and the western share, not toward districts, distances or the mean centre",
    f"{excluded_u:,} without a place (counted as events only)",
]
if excluded_c:
    notes.append(f"{excluded_c:,} with a district but no usable coordinates (left out of distances)")
if undated:
    notes.append(f"{undated:,} without a date (in no period)")
notes.append(f"{n_statements:,} group statement{'s' if n_statements != 1 else ''} bundling many attacks (not counted)")
st.caption(" · ".join(notes))

# ------------------------------------------------------------------ maps
# One map at a time: Leaflet cannot size a map drawn in a hidden tab, and each map is one more iframe.
map_view = st.segmented_control(
    "Map",
    ["first", "animation"],
    key=K_MAP,
    required=True,
    format_func={"first": "First activity and mean centre", "animation": "Animation"}.get,
)
if map_view == "animation":
    cumulative = st.toggle(
        "Keep past events on the map", value=True, key=K_CUMULATIVE, help="Off: each event shows on its day only."
    )
    n_exact = int(metrics["exact_events"].sum())
    st.caption(
        f"Press play: the {n_exact:,} events with district coordinates appear in date order, coloured by group. "
        "Events known only to province level cannot be placed and are not animated."
    )
    try:
        tmap = timeline_map(events, provinces=provinces, cumulative=cumulative, basemap=view.basemap)
        st_folium(tmap, key="spread-timeline", returned_objects=[], use_container_width=True, height=MAP_HEIGHT)
    except AfgMapError as exc:
        st.error(common.md_text(exc), icon=":material/error:")
else:
    st.caption(
        f"Districts (and, in the layer control, provinces) active in the selection, shaded by the {FREQS[freq]} "
        "of their first activity ever for the selected groups; the red line joins the mean centre of each "
        f"{FREQS[freq]}'s exact events; the white circle is {origin.name}."
    )
    try:
        fmap = first_activity_map(
            events,
            provinces=provinces,
            districts=districts,
            history=history,
            freq=freq,
            metrics=metrics,
            origin=origin,
            basemap=view.basemap,
        )
        st_folium(fmap, key="spread-first-activity", returned_objects=[], use_container_width=True, height=MAP_HEIGHT)
    except AfgMapError as exc:
        st.error(common.md_text(exc), icon=":material/error:")

# ------------------------------------------------------------------ charts
st.subheader(f"Per {FREQS[freq]}", anchor=False)
per_group = events_per_period(events, freq=freq, start=filters.start, end=filters.end)
groups_present = [g for g in GROUPS if g in set(per_group["group"])]
order = metrics["period"].tolist()
x = alt.X("period:O", sort=order, title=FREQS[freq].capitalize())
chart_events = (
    alt.Chart(per_group, title="Events by group")
    .mark_bar()
    .encode(
        x=x,
        y=alt.Y("events:Q", title="Events"),
        color=alt.Color(
            "group:N",
            scale=alt.Scale(domain=groups_present, range=[GROUP_COLORS[g] for g in groups_present]),
            title="Group",
        ),
        tooltip=["period", "group", "events"],
    )
)
spread_long = metrics.melt(
    id_vars=["period"], value_vars=["provinces", "cumulative_provinces"], var_name="measure", value_name="count"
)
spread_long["measure"] = spread_long["measure"].map(
    {"provinces": "this period", "cumulative_provinces": "ever, to date"}
)
chart_provinces = (
    alt.Chart(spread_long, title="Provinces")
    .mark_line(point=True)
    .encode(
        x=x,
        y=alt.Y("count:Q", title="Provinces"),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["period", "measure", "count"],
    )
)
reach_frame = metrics[["period", "west_km", "westmost_district", "exact_events"]].dropna(subset=["west_km"])
chart_reach = (
    alt.Chart(reach_frame, title="Westward reach (km)")
    .mark_line(point=True, color="#d62728")
    .encode(
        x=x,
        y=alt.Y("west_km:Q", title=f"km west of {origin.name}"),
        tooltip=["period", alt.Tooltip("west_km:Q", format=",.0f"), "westmost_district", "exact_events"],
    )
)
c1, c2, c3 = st.columns(3)
c1.altair_chart(chart_events, width="stretch")
c2.altair_chart(chart_provinces, width="stretch")
c3.altair_chart(chart_reach, width="stretch")

# ------------------------------------------------------------------ tables and downloads
st.subheader("Metrics", anchor=False)
table = metrics.copy()
table["start"] = table["start"].dt.date
table["end"] = table["end"].dt.date
table["new_provinces"] = table["new_provinces"].map(
    lambda codes: ", ".join(f"{province_names.get(c, c)} ({c})" for c in codes)
)
table["new_districts"] = table["new_districts"].map(_list_text)
table["west_share"] = table["west_share"] * 100
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "west_km": st.column_config.NumberColumn("west_km", format="%.0f"),
        "standard_distance_km": st.column_config.NumberColumn("standard distance (km)", format="%.0f"),
        "mean_lon": st.column_config.NumberColumn("mean lon", format="%.3f"),
        "mean_lat": st.column_config.NumberColumn("mean lat", format="%.3f"),
        "westmost_lon": st.column_config.NumberColumn("westmost lon", format="%.3f"),
        "westmost_lat": st.column_config.NumberColumn("westmost lat", format="%.3f"),
        "west_share": st.column_config.NumberColumn("west share (%)", format="%.0f"),
    },
)
with st.expander("First activity of each province"):
    fa = first_activity(events, level="province", freq=freq, history=history)
    fa.insert(1, "province", fa["pcode"].map(province_names))
    fa["first_date"] = fa["first_date"].dt.date
    st.dataframe(fa, hide_index=True)

payload = {
    "periods": metrics_records(metrics),
    "sentence": period_sentence(events, filters=filters),
    "freq": freq,
    "origin": origin.as_dict(),
    "filters": filters.as_dict(),
    "attribution": ATTRIBUTION,
}
st.download_button(
    "Spread metrics (JSON)",
    data=json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"),
    file_name=f"spread_{freq}.json",
    mime="application/json",
    icon=":material/download:",
)
st.caption(
    "Definitions: docs/spread.md. Same numbers as `python -m geo spread` with the same filters. "
    + common.md_text(ATTRIBUTION)
)
