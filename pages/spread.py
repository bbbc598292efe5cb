"""Spread page (placeholder): the spread analytics view is being built."""

import streamlit as st

st.title("Spread")
st.write("The spread view (where the resistance is active now that it was not a year ago) is being built.")
