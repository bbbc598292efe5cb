"""Afghanistan Resistance Map: the Streamlit entry point and router.

Run with ``streamlit run app.py``. This file sets the page configuration,
draws the shared sidebar (filters and map options, mirrored to the URL so a
view can be shared as a link) and runs the selected page from ``pages/``.
"""

from __future__ import annotations

import streamlit as st

from pages import common

st.set_page_config(
    page_title="Afghanistan Resistance Map",
    page_icon=":material/map:",
    layout="wide",
    initial_sidebar_state="expanded",
    menu_items={"About": "Afghanistan Resistance Map: reported attacks on the Taliban, geocoded and mapped."},
)

page = st.navigation(
    [
        st.Page("pages/map.py", title="Map", icon=":material/map:", default=True),
        st.Page("pages/spread.py", title="Spread", icon=":material/timeline:"),
        st.Page("pages/data.py", title="Data", icon=":material/table:"),
        st.Page("pages/about.py", title="About", icon=":material/info:"),
    ]
)

common.render_sidebar()
common.show_link_warnings()
page.run()
