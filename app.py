"""Afghanistan Resistance Map: the Streamlit entry point and router.

Run with ``streamlit run app.py``. This file sets the page configuration,
registers the pages (``st.navigation`` over the files of ``pages/``, listed in
``pages.common.app_pages``), draws the shared sidebar (filters and map options,
mirrored to the URL so a view can be shared as a link) and runs the selected page.
"""

from __future__ import annotations

import streamlit as st

from pages import common

st.set_page_config(
    page_title="Afghanistan Resistance Map",
    page_icon="🗺️",
    layout="wide",
    initial_sidebar_state="expanded",
    menu_items={"About": "Afghanistan Resistance Map: reported attacks on the Taliban, geocoded and mapped."},
)

# Map (default), Spread, Data, About: the files of pages/, registered in pages.common.app_pages().
page = st.navigation(common.app_pages())

common.render_sidebar()
common.show_link_warnings()
page.run()
