"""Data page: the filtered events as a table (sources as links), and the group statements listed apart."""

from __future__ import annotations

import streamlit as st

from geo.filters import headline, summarize
from pages import common

filters = common.page_view().filters
events = common.filtered_events()

st.title("Data")
st.markdown(f"**{common.md_text(headline(summarize(events, filters=filters)))}**")
st.caption(f"Filters: {common.md_text(filters.describe())}. Every row links to the public report it rests on.")

common.event_table(events, key="events-table", height=min(38 + 35 * max(len(events), 1), 640))

statements = common.aggregate_statements()
st.subheader("Group statements (not counted)")
st.caption(
    "These rows are statements that bundle many attacks (for example a yearly tally). They are not single "
    "events, so they are left out of every count, map and export; they are listed here for reference."
)
if len(statements):
    common.event_table(statements, key="statements-table")
else:
    st.caption("None for these filters.")

# Upload box (issue 5): pages/upload_box.py
from pages.upload_box import render_upload_box  # noqa: E402

render_upload_box()
