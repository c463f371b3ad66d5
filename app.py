"""citygeo dashboard: `streamlit run app.py` (reads $CITYGEO_STORE, else the demo city)."""

import streamlit as st

from citygeo.i18n import _
from citygeo.ui import cache, language

st.set_page_config(page_title="citygeo", page_icon="🗺️", layout="wide")

lang = language.current(cache.default_language())
language.apply_to_page(lang)

PAGES = "citygeo/ui/pages/"
pages = [
    st.Page(PAGES + "map.py", title=_("Map"), url_path="", default=True),
    st.Page(PAGES + "profile.py", title=_("Neighbourhood profile"), url_path="profile"),
    st.Page(PAGES + "compare.py", title=_("Compare"), url_path="compare"),
    st.Page(PAGES + "methodology.py", title=_("Methodology"), url_path="methodology"),
    st.Page(PAGES + "data_quality.py", title=_("Data & quality"), url_path="data"),
    st.Page(PAGES + "registers.py", title=_("Mechanisms & partners"), url_path="registers"),
    st.Page(PAGES + "export.py", title=_("Export"), url_path="export"),
]
page = st.navigation(pages)
language.picker(lang)
page.run()
