"""citygeo dashboard for many officials at once: ``streamlit run serve.py`` (same flags, same
store as ``streamlit run app.py``).

The same dashboard (``app.py``), with the map files gzipped once instead of once per request
(``citygeo.ui.precompressed``): Streamlit's own static route compresses a 7 MB map file again
for every official who opens the map of a 5,000-neighbourhood city. ``uvicorn serve:app`` runs
it too.
"""

import streamlit as st
from starlette.middleware import Middleware

from citygeo.settings import STATIC_DIR
from citygeo.ui.precompressed import PrecompressedMaps

app = st.App("app.py", middleware=[Middleware(PrecompressedMaps, static_dir=STATIC_DIR)])
