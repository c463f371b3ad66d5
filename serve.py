"""citygeo dashboard for many officials at once: ``streamlit run serve.py`` (same flags, same
store as ``streamlit run app.py``).

The same dashboard (``app.py``), with the map files gzipped once instead of once per request
(``citygeo.ui.precompressed``): Streamlit's own static route compresses a 7 MB map file again
for every official who opens the map of a 5,000-neighbourhood city. ``uvicorn serve:app`` runs
it too.

Text columns are kept as Python strings (pandas' ``mode.string_storage = "python"``), not in
pandas 3's default Arrow storage: the pages filter, merge and look up columns of small frames
thousands of times a minute, and each of those converted the Arrow-backed column names and
text to Python objects again (a quarter of the server's time with twenty officials at once,
benchmarks/README-load.md). Same values and dtype (``str``); only where they are held differs.
"""

import pandas as pd
import streamlit as st
from starlette.middleware import Middleware

from citygeo.settings import STATIC_DIR
from citygeo.ui.precompressed import PrecompressedMaps

pd.set_option("mode.string_storage", "python")

app = st.App("app.py", middleware=[Middleware(PrecompressedMaps, static_dir=STATIC_DIR)])
