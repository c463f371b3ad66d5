"""citygeo dashboard: `streamlit run app.py` (reads $CITYGEO_STORE, else the demo city)."""

import streamlit as st

st.set_page_config(page_title="citygeo", page_icon="🗺️", layout="wide")

PAGES = "citygeo/ui/pages/"
pages = [
    st.Page(PAGES + "map.py", title="Map", url_path="", default=True),
    st.Page(PAGES + "profile.py", title="Neighbourhood profile", url_path="profile"),
    st.Page(PAGES + "compare.py", title="Compare", url_path="compare"),
    st.Page(PAGES + "methodology.py", title="Methodology", url_path="methodology"),
    st.Page(PAGES + "data_quality.py", title="Data & quality", url_path="data"),
    st.Page(PAGES + "registers.py", title="Mechanisms & partners", url_path="registers"),
    st.Page(PAGES + "export.py", title="Export", url_path="export"),
]
st.navigation(pages).run()
