"""Spread page: how far west the selected groups have been reported, and when.

UI only: every number and sentence comes from :mod:`geo.spread`. The page opens on
the NRF when no group is selected (``geo.spread.groups_to_preset``); the sidebar
filters are the Map page's; the period (month, quarter, year) is mirrored to the URL
as ``freq=``. Top to bottom: the answer in one line, the claim-worded summary, the
west caveat, one small map per year, the provinces reached in order beside the
westward reach (farthest so far and per period), then the details.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.display import date_label, unit_label
from geo.errors import AfgMapError
from geo.filters import apply_filters
from geo.groups import GROUP_COLORS, GROUPS
from geo.settings import ATTRIBUTION
from geo.spread import (
    DEFAULT_FREQ,
    DEFAULT_ORIGIN,
    FREQS,
    METRIC_LABELS,
    REACH_TO_DATE,
    events_per_period,
    farthest_west,
    first_activity,
    first_activity_map,
    first_reports,
    first_reports_records,
    groups_to_preset,
    history_filters,
    metrics_records,
    ocha_name,
    origin_from_pcode,
    period_label,
    period_sentence,
    reach_headline,
    reach_note,
    reach_series,
    selection_groups,
    spread_metrics,
    timeline_map,
    west_caveat,
    western_share,
    year_panels,
    year_panels_html,
)
from pages import common

#: Map height in pixels.
MAP_HEIGHT = 560

#: Session-state keys of this page's widgets and state.
K_FREQ, K_ORIGIN, K_CUMULATIVE, K_MAP = "spread_freq", "spread_origin", "spread_cumulative", "spread_map"
K_PRESET_DONE, K_PRESET = "spread_preset_done", "spread_preset"

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


def _district_name(pcode: str) -> str:
    return unit_label(pcode, ocha_name(pcode, pcode)) if pcode else ""


def _province_list(codes: object) -> str:
    return ", ".join(_district_name(c) for c in codes) if isinstance(codes, list) else ""


view = common.page_view()
filters = view.filters
everything = common.all_events()

# Opened with no group selected (and no group in the link): follow the NRF, once per session.
if not st.session_state.get(K_PRESET_DONE):
    st.session_state[K_PRESET_DONE] = True
    preset = groups_to_preset(filters, set(everything["group"].astype(str)))
    if preset:
        st.session_state[K_PRESET] = preset
        common.preset_groups(preset)  # reruns

events = common.filtered_events()
# "First activity ever" is judged against the same selection without its date range.
history = apply_filters(everything, history_filters(filters))
provinces, districts = common.boundaries(simplified=True)
province_names = {c: unit_label(c, n) for c, n in zip(provinces["pcode"], provinces["name_en"], strict=True)}
groups = selection_groups(events, filters=filters)

if K_FREQ not in st.session_state:
    st.session_state[K_FREQ] = _initial_freq()
st.session_state.setdefault(K_MAP, "first")
st.session_state.setdefault(K_ORIGIN, "default")
freq = st.session_state.get(K_FREQ) or DEFAULT_FREQ
origin_choice = st.session_state.get(K_ORIGIN, "default")

try:
    origin = DEFAULT_ORIGIN if origin_choice == "default" else origin_from_pcode(origin_choice)
    metrics = spread_metrics(events, freq=freq, origin=origin, history=history, start=filters.start, end=filters.end)
    reach = farthest_west(events, history=history, origin=origin, end=filters.end)
    reports = first_reports(events, history=history, freq=freq, filters=filters)
except AfgMapError as exc:
    common.stop_with_error(f"The spread metrics could not be computed: {common.md_text(exc)}")
    raise

st.title("Spread", anchor=False)
with st.container(key="spread-headline"):
    st.subheader(common.md_text(reach_headline(reach, groups=groups, origin=origin)), anchor=False)
    st.caption(common.md_text(reach_note(reach)))
with st.container(key="spread-sentence"):
    preset_note = ""
    if st.session_state.get(K_PRESET) and tuple(filters.groups or ()) == tuple(st.session_state[K_PRESET]):
        preset_note = " *Opened on the NRF, whose westward spread this page follows: choose groups in the sidebar.*"
    st.markdown(
        common.md_text(period_sentence(events, filters=filters) + ".")
        + " Group statements that bundle many attacks are not counted."
        + preset_note
    )
with st.container(key="spread-caveat"):
    st.warning(common.md_text(west_caveat(events)), icon=":material/visibility_off:")

if metrics.empty or int(metrics["events"].sum()) == 0:
    st.info("No events in this selection: widen the filters in the sidebar.", icon=":material/filter_alt_off:")
    st.stop()

# ------------------------------------------------------------------ one small map per year
panels = year_panels(events, history=history, origin=origin, start=filters.start, end=filters.end)
with st.container(key="spread-years"):
    st.markdown(year_panels_html(panels, provinces=provinces, origin=origin), unsafe_allow_html=True)

# ------------------------------------------------------------------ provinces in order, westward reach
left, right = st.columns([3, 2], gap="large")
with left, st.container(key="spread-first-reports"):
    st.markdown("**Provinces reached, in order**")
    if reports.empty:
        st.markdown("No province was reached for the first time in the selected dates.")
    else:
        st.markdown(
            "\n".join(
                "- " + common.md_text(line).replace(common.md_text(name), f"**{common.md_text(name)}**", 1)
                for line, name in zip(reports["line"], reports["province"], strict=True)
            )
        )
    if filters.start:
        reached = set(history.loc[history["event_date"] < pd.Timestamp(filters.start), "adm1_pcode"].astype(str))
        before = [province_names.get(c, c) for c in sorted(reached - {""}, key=lambda c: province_names.get(c, c))]
        if before:
            st.caption(common.md_text(f"Already reached before {date_label(filters.start)}: {', '.join(before)}."))
    st.caption(
        "A province counts from its first report for the selected groups, in the loaded data; a report naming only "
        "the province counts."
    )

per_period = FREQS[freq]
reach_long = reach_series(metrics, freq=freq)
order = metrics["period"].map(lambda p: period_label(p, freq)).tolist()
x_period = alt.X("label:O", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelOverlap=True))
colour = alt.Color(
    "measure:N",
    scale=alt.Scale(domain=[REACH_TO_DATE, f"this {per_period}"], range=["#b2182b", "#7f7f7f"]),
    title=None,
    legend=alt.Legend(orient="top"),
)
tooltip = [
    alt.Tooltip("label:N", title=per_period.capitalize()),
    alt.Tooltip("measure:N", title="Measure"),
    alt.Tooltip("km:Q", title="km west", format=",.0f"),
    alt.Tooltip("district:N", title="District"),
]
base = alt.Chart(reach_long, title=f"Westward reach (km west of {origin.name})")
chart_reach = alt.layer(
    base.transform_filter(alt.datum.measure == REACH_TO_DATE)
    .mark_line(interpolate="step-after", strokeWidth=3)
    .encode(x=x_period, y=alt.Y("km:Q", title="km west"), color=colour, tooltip=tooltip),
    base.transform_filter(alt.datum.measure != REACH_TO_DATE)
    .mark_point(filled=True, size=45)
    .encode(x=x_period, y="km:Q", color=colour, tooltip=tooltip),
).properties(height=320)
with right:
    with st.container(key="spread-controls"):
        st.segmented_control(
            "Period", list(FREQS), key=K_FREQ, format_func=lambda f: FREQS[f].capitalize(), required=True
        )
        if st.query_params.get(FREQ_PARAM) != freq:
            st.query_params[FREQ_PARAM] = freq
    with st.container(key="spread-reach-chart"):
        st.altair_chart(chart_reach, width="stretch")
    st.caption(
        f"Red: the farthest west reached so far (it never goes back); grey: the westmost event of each {per_period}. "
        "Measured to events placed to a district or place; a point placed at district centre is measured from the "
        "district's centre."
    )

# ------------------------------------------------------------------ details
st.divider()
st.subheader("Details", anchor=False)
st.selectbox(
    "Measure westward reach from",
    ["default"] + list(province_names),
    key=K_ORIGIN,
    format_func=lambda c: DEFAULT_ORIGIN.name + " (default)" if c == "default" else province_names[c],
    help="Geodesic distance (WGS84 ellipsoid) from this point to the point on its parallel at the westmost "
    "event's longitude, for events placed to a district or place; negative when all of them lie east of it. "
    "A province is measured from its label point.",
)
active = metrics.loc[metrics["events"] > 0]
new_p = sorted({p for lst in metrics["new_provinces"] for p in lst})
share_west = western_share(events)
k1, k2, k3, k4 = st.columns(4)
k1.metric(f"Active {per_period}s", f"{len(active):,} of {len(metrics):,}")
k2.metric(
    "Provinces reached for the first time",
    f"{len(new_p):,}",
    help="First report ever (for the selected groups) falls in the selected dates: "
    + (", ".join(province_names.get(p, p) for p in new_p) or "none"),
)
k3.metric(
    "Farthest west so far",
    f"{reach.west_km:,.0f} km" if reach else "–",
    help=(
        f"{reach.district}, {reach.province}, {reach.when} ({reach.placement}), measured from {origin.name}."
        if reach
        else "No event placed to a district or place."
    ),
)
k4.metric(
    "Share in the west",
    f"{share_west:.0%}" if pd.notna(share_west) else "–",
    help="Herat, Farah, Badghis, Ghor, Nimruz; share of the events placed at least to a province.",
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

# One map at a time: Leaflet cannot size a map drawn in a hidden tab, and each map is one more iframe.
map_view = st.segmented_control(
    "Map",
    ["first", "animation"],
    key=K_MAP,
    required=True,
    format_func={"first": "First report by district, per year", "animation": "Animation"}.get,
)
if map_view == "animation":
    cumulative = st.toggle(
        "Keep past events on the map", value=True, key=K_CUMULATIVE, help="Off: each event shows on its day only."
    )
    n_exact = int(metrics["exact_events"].sum())
    st.caption(
        f"Press play: the {n_exact:,} events placed to a district or place appear in date order, coloured by group. "
        "Events known only to province level cannot be placed and are not animated."
    )
    try:
        tmap = timeline_map(events, provinces=provinces, cumulative=cumulative, basemap=view.basemap)
        st.html(common.map_frame_css("spread-timeline-frame", MAP_HEIGHT))
        with st.container(key="spread-timeline-frame"):
            st_folium(tmap, key="spread-timeline", returned_objects=[], use_container_width=True, height=MAP_HEIGHT)
    except AfgMapError as exc:
        st.error(common.md_text(exc), icon=":material/error:")
else:
    st.caption(
        "Districts (and, in the layer control, provinces) reported in the selection, shaded by the year of their "
        "first report for the selected groups; the red line joins each year's mean centre of the events placed to "
        f"a district or place; the white circle is {origin.name}."
    )
    try:
        fmap = first_activity_map(
            events,
            provinces=provinces,
            districts=districts,
            history=history,
            freq="Y",
            origin=origin,
            basemap=view.basemap,
        )
        st.html(common.map_frame_css("spread-first-activity-frame", MAP_HEIGHT))
        with st.container(key="spread-first-activity-frame"):
            st_folium(
                fmap, key="spread-first-activity", returned_objects=[], use_container_width=True, height=MAP_HEIGHT
            )
    except AfgMapError as exc:
        st.error(common.md_text(exc), icon=":material/error:")

# ------------------------------------------------------------------ charts
st.subheader(f"Per {per_period}", anchor=False)
per_group = events_per_period(events, freq=freq, start=filters.start, end=filters.end)
per_group["label"] = per_group["period"].map(lambda p: period_label(p, freq))
groups_present = [g for g in GROUPS if g in set(per_group["group"])]
chart_events = (
    alt.Chart(per_group, title="Events by group")
    .mark_bar()
    .encode(
        x=x_period,
        y=alt.Y("events:Q", title="Events"),
        color=alt.Color(
            "group:N",
            scale=alt.Scale(domain=groups_present, range=[GROUP_COLORS[g] for g in groups_present]),
            title="Group",
        ),
        tooltip=[alt.Tooltip("label:N", title=per_period.capitalize()), "group", "events"],
    )
)
spread_long = metrics.melt(
    id_vars=["period"], value_vars=["provinces", "cumulative_provinces"], var_name="measure", value_name="count"
)
spread_long["label"] = spread_long["period"].map(lambda p: period_label(p, freq))
spread_long["measure"] = spread_long["measure"].map(
    {"provinces": f"active this {per_period}", "cumulative_provinces": "reached so far"}
)
chart_provinces = (
    alt.Chart(spread_long, title="Provinces")
    .mark_line(point=True)
    .encode(
        x=x_period,
        y=alt.Y("count:Q", title="Provinces"),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title=per_period.capitalize()), "measure", "count"],
    )
)
c1, c2 = st.columns(2)
c1.altair_chart(chart_events, width="stretch")
c2.altair_chart(chart_provinces, width="stretch")

# ------------------------------------------------------------------ tables and downloads
st.subheader("Metrics", anchor=False)
table = metrics.copy()
table["period"] = table["period"].map(lambda p: period_label(p, freq))
table["start"] = table["start"].dt.date
table["end"] = table["end"].dt.date
table["new_provinces"] = table["new_provinces"].map(_province_list)
table["new_districts"] = table["new_districts"].map(_province_list)
for col in ("westmost_district", "westmost_district_to_date"):
    table[col] = table[col].map(_district_name)
table["west_share"] = table["west_share"] * 100
number_formats = {
    "west_km": "%.0f",
    "west_km_to_date": "%.0f",
    "standard_distance_km": "%.0f",
    "mean_lon": "%.3f",
    "mean_lat": "%.3f",
    "westmost_lon": "%.3f",
    "westmost_lat": "%.3f",
    "west_share": "%.0f",
}
config = {
    col: st.column_config.NumberColumn(label, format=number_formats[col])
    if col in number_formats
    else st.column_config.Column(label)
    for col, label in METRIC_LABELS.items()
}
with st.container(key="spread-metrics"):
    st.dataframe(table, hide_index=True, column_config=config, column_order=list(METRIC_LABELS))
with st.expander("First report in each province"):
    fa = first_activity(events, level="province", freq=freq, history=history)
    shown = pd.DataFrame(
        {
            "Province": fa["pcode"].map(lambda c: province_names.get(c, c)),
            "First report": [date_label(d, p) for d, p in zip(fa["first_date"], fa["date_precision"], strict=True)],
            per_period.capitalize(): fa["first_period"].map(lambda p: period_label(p, freq) if p else ""),
            "Reported for": fa["group"],
            "Events in selection": fa["events"],
        }
    )
    st.dataframe(shown, hide_index=True)

payload = {
    "periods": metrics_records(metrics),
    "first_activity": first_reports_records(reports),
    "reach": reach.as_dict() if reach else None,
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
