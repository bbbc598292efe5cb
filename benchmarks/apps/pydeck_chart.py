"""Benchmark comparator (b): the stock Streamlit alternative, ``st.pydeck_chart`` with the same events.

A deck.gl ``ScatterplotLayer`` of every event with coordinates, coloured by group, with a tooltip;
``map_style=None`` as Streamlit's documentation suggests (deck.gl ships inside Streamlit; the
basemap style it then asks Carto for is refused offline and the points still draw). Every rerun
(a filter change) sends the whole layer again. Run by ``benchmarks/bench.py``; not part of the app.
"""

from __future__ import annotations

import os

import pydeck as pdk
import streamlit as st

from geo.events import load_events
from geo.filters import Filters, apply_filters
from geo.groups import GROUP_COLORS


@st.cache_resource
def _events(path: str):
    return load_events(path)


def _rgb(hex_color: str) -> list[int]:
    return [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)] + [200]


events = apply_filters(_events(os.environ["AFGMAP_EVENTS"]), Filters(exact_only=st.toggle("Exact places only")))
st.subheader(f"{len(events):,} events")
points = events.loc[events["latitude"].notna(), ["longitude", "latitude", "group"]].copy()
points["color"] = points["group"].map({g: _rgb(c) for g, c in GROUP_COLORS.items()})
layer = pdk.Layer(
    "ScatterplotLayer",
    data=points,
    get_position=["longitude", "latitude"],
    get_fill_color="color",
    get_radius=400,
    radius_min_pixels=2,
    pickable=True,
)
view = pdk.ViewState(latitude=34.0, longitude=66.0, zoom=5)
st.pydeck_chart(
    pdk.Deck(layers=[layer], initial_view_state=view, map_style=None, tooltip={"text": "{group}"}), height=600
)
