"""Afghanistan Resistance Map: the Streamlit entry point and router.

Run with ``streamlit run app.py``. This file sets the page configuration,
registers the pages (``st.navigation`` over the files of ``pages/``, listed in
``pages.common.app_pages``), draws the shared sidebar (filters and map options,
mirrored to the URL so a view can be shared as a link) and runs the selected page. Whatever a page
raises is shown as one short line (:func:`geo.errors.report_failure`) and logged server-side, never as a
traceback.
"""

from __future__ import annotations

import logging

import streamlit as st

from geo.errors import report_failure
from pages import common

LOG = logging.getLogger("geo.app")

st.set_page_config(
    page_title="Afghanistan Resistance Map",
    page_icon="🗺️",
    layout="wide",
    initial_sidebar_state="auto",  # open on wide screens, closed on phones
    menu_items={"About": "Afghanistan Resistance Map: reported attacks on the Taliban, geocoded and mapped."},
)

# Map (default), Spread, Data, About: the files of pages/, registered in pages.common.app_pages().
page = st.navigation(common.app_pages())

# One guard for every page: a failure shows one short line; its details go to the server log only.
try:
    common.render_sidebar()
    common.show_link_warnings()
    page.run()
except Exception as exc:  # noqa: BLE001 - st.stop()/st.rerun() are BaseExceptions and pass through
    st.error(common.md_text(report_failure(exc, what=f"page {page.title!r}", logger=LOG)))
