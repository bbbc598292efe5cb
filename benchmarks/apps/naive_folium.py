"""Benchmark comparator (a): the naive folium map a user would write first.

One ``folium.Marker`` with an HTML ``Popup`` per event in a ``MarkerCluster``, rendered with
``st_folium``; every rerun (a filter change) sends the whole map again. Scripts come from the
vendored copies (``geo.assets.localize``), as in the app, so the page needs no network. Run by
``benchmarks/bench.py`` with ``AFGMAP_EVENTS`` pointing at the events; not part of the app.
"""

from __future__ import annotations

import os

import folium
import streamlit as st
from folium.plugins import MarkerCluster
from streamlit_folium import st_folium

from geo.assets import localize
from geo.events import load_events
from geo.filters import Filters, apply_filters
from geo.maps import event_popup_html


@st.cache_resource
def _events(path: str):
    return load_events(path)


events = apply_filters(_events(os.environ["AFGMAP_EVENTS"]), Filters(exact_only=st.toggle("Exact places only")))
st.subheader(f"{len(events):,} events")
m = folium.Map(location=[34.0, 66.0], zoom_start=6, tiles=None)
cluster = MarkerCluster().add_to(m)
for row in events.loc[events["latitude"].notna()].to_dict(orient="records"):
    folium.Marker([row["latitude"], row["longitude"]], popup=folium.Popup(event_popup_html(row), max_width=300)).add_to(
        cluster
    )
st_folium(localize(m), key="naive-map", returned_objects=[], height=600, use_container_width=True)
