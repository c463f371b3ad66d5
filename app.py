"""citygeo dashboard: `streamlit run app.py` (reads $CITYGEO_STORE, else the demo city)."""

import streamlit as st

st.set_page_config(page_title="citygeo", page_icon="🗺️", layout="wide")

pages = [
    st.Page("citygeo/ui/pages/map.py", title="Map", url_path="", default=True),
]
st.navigation(pages).run()
