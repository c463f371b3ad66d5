"""Export (``/export``): download the current scores (public view unless the analyst mode is on)."""

from __future__ import annotations

import streamlit as st

from citygeo.schema import SCORE_COLUMNS
from citygeo.ui import components, data
from citygeo.views import score_years, scores


def render() -> None:
    store, city = data.open_city()
    data.page_header(city, "export")
    if data.empty_state(city):
        return
    years = score_years(city)
    year = components.year_picker(years, st.columns(4)[0])
    frame = scores(city, year)
    mode = "public" if city.public else "analyst"
    st.write(f"{len(frame)} neighbourhoods, {year}, {mode} view: values built on too few events or too small a "
             "survey sample are empty, with the reason in `flags`. Columns follow DESIGN.md §5.")
    ordered = [c for c in SCORE_COLUMNS if c in frame] + [c for c in frame.columns if c not in SCORE_COLUMNS]
    out = frame[ordered].assign(flags=frame["flags"].map(";".join))
    st.download_button(f"Download scores {year} (CSV, {mode})", out.to_csv(index=False).encode(),
                       file_name=f"{city.settings.get('name', 'city').replace(' ', '_')}-scores-{year}-{mode}.csv",
                       mime="text/csv", key="csv")
    st.caption("GeoJSON, GeoPackage and GeoParquet exports: `citygeo export --format gpkg --out FILE`.")


render()
