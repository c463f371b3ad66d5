"""Cached access to the store for the dashboard; errors become st.error, never tracebacks."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import orjson
import pandas as pd
import shapely
import streamlit as st

from citygeo.errors import CitygeoError
from citygeo.service import build_demo, city_settings
from citygeo.settings import dashboard_store_path
from citygeo.store import Store

DISPLAY_TOLERANCE_DEG = 0.0002  # ~20 m: below what a city-wide map can show


@st.cache_resource(show_spinner=False)
def _demo_lock() -> object:
    import threading
    return threading.Lock()


def current_store() -> Store:
    """The store the dashboard shows; builds the fictional demo city on first start."""
    path, is_demo = dashboard_store_path()
    store = Store(path)
    if is_demo and not store.exists():
        with _demo_lock():
            if not store.exists():
                bar = st.progress(0.0, text="Building the fictional demo city (first start only)…")

                def progress(done: int, total: int, label: str) -> None:
                    bar.progress(min(done / max(total, 1), 1.0), text=f"Demo city: {label}")
                build_demo(store, progress=progress)
                bar.empty()
    if not store.exists():
        raise CitygeoError(f"There is no store at {Path(path).resolve()}. Build one with "
                           "`citygeo ingest CITY.toml` or unset CITYGEO_STORE to see the demo city.")
    return store


@st.cache_data(show_spinner=False, max_entries=8)
def city(path: str, version: tuple[int, int]) -> dict[str, str]:
    return city_settings(Store(path))


@st.cache_data(show_spinner=False, max_entries=8)
def neighbourhoods(path: str, version: tuple[int, int]) -> pd.DataFrame:
    """Neighbourhood attributes (no geometry)."""
    return Store(path).neighbourhoods(geometry=False)


@st.cache_data(show_spinner=False, max_entries=8)
def display_geometry(path: str, version: tuple[int, int]) -> dict[str, object]:
    """Neighbourhood outlines simplified for display, once per store.

    ``shapely.coverage_simplify`` simplifies each shared border once, so neighbours keep
    identical edges (no gaps or slivers); coordinates are rounded to 5 decimals (~1 m).
    """
    hoods: gpd.GeoDataFrame = Store(path).neighbourhoods(geometry=True)
    geoms = hoods.geometry.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, DISPLAY_TOLERANCE_DEG)
    except shapely.errors.GEOSException:
        simplified = shapely.simplify(geoms, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    simplified = shapely.set_precision(simplified, 1e-5)
    features = orjson.loads(gpd.GeoSeries(simplified, crs=hoods.crs).to_json(drop_id=True))
    bounds = hoods.total_bounds
    return {"features": features["features"], "nids": hoods["nid"].tolist(),
            "bounds": [float(b) for b in bounds]}


@st.cache_data(show_spinner=False, max_entries=16)
def indicator_values(path: str, version: tuple[int, int]) -> pd.DataFrame:
    return Store(path).query(
        "SELECT v.nid, v.indicator, v.year, v.grp, v.value, coalesce(i.label, v.indicator) AS label, "
        "i.unit FROM indicator_values v LEFT JOIN indicators i USING (indicator)")


def show_error(err: CitygeoError) -> None:
    """Show a user error inline and stop the page."""
    st.error(str(err))
    st.stop()


def fictional_notice(settings: dict[str, str]) -> None:
    """The banner that says the demo city is fictional, wherever it is shown."""
    if settings.get("fictional") == "True":
        st.warning(f"**{settings.get('name', 'This city')} is a fictional city.** Every neighbourhood, "
                   "figure and incident shown here is synthetic, generated for demonstration; "
                   "none describes a real place or real people.", icon="⚠️")
