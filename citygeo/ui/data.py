"""Cached access to the store for the dashboard; errors become st.error, never tracebacks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
import streamlit as st

from citygeo.errors import CitygeoError
from citygeo.service.scoring import build_demo, city_settings
from citygeo.settings import REPO_ROOT, dashboard_store_path
from citygeo.store import Store
from citygeo.ui.components import md
from citygeo.geo.classify import HOTSPOT_COLOURS
from citygeo.service.views import (CityData, current_methodology, district_scores, in_district, load, map_fields,
                           map_tooltips, scores)

STATIC_DIR = REPO_ROOT / "static"  # served by Streamlit at /app/static/ (server.enableStaticServing)
STATIC_KEEP = 200  # newest map files kept; older ones are removed

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


@st.cache_resource(show_spinner=False, max_entries=4)
def display_geometry(path: str, version: tuple[int, int]) -> dict[str, object]:
    """Neighbourhood outlines simplified for display, once per store (shared and read-only:
    ``cache_data`` would unpickle a copy on every rerun, seconds for 35,000 neighbourhoods).

    ``shapely.coverage_simplify`` simplifies each shared border once, so neighbours keep
    identical edges (no gaps or slivers); coordinates are rounded to 5 decimals (~1 m).
    """
    hoods: gpd.GeoDataFrame = Store(path).neighbourhoods(geometry=True)
    geoms = hoods.geometry.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, DISPLAY_TOLERANCE_DEG)
    except shapely.errors.GEOSException:
        simplified = shapely.simplify(geoms, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    rounded = shapely.set_precision(simplified, 1e-5)
    features = orjson.loads(gpd.GeoSeries(rounded, crs=hoods.crs).to_json(drop_id=True))
    bounds = hoods.total_bounds
    return {"features": features["features"], "nids": hoods["nid"].tolist(), "districts": hoods["district"].tolist(),
            "bounds": [float(b) for b in bounds], "boxes": shapely.bounds(rounded).tolist(), "shapes": simplified}


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
        st.warning(f"**{md(settings.get('name', 'This city'))} is a fictional city.** Every neighbourhood, "
                   "figure and incident shown here is synthetic, generated for demonstration; "
                   "none describes a real place or real people.", icon="⚠️")


def is_public(settings: dict[str, str]) -> bool:
    """Public mode unless the city config switches the analyst mode on (DESIGN.md §6)."""
    return settings.get("analyst_mode") != "True"


@st.cache_resource(show_spinner="Reading the city…", max_entries=4)
def city_data(path: str, version: tuple[int, int], public: bool) -> CityData:
    """Everything the pages read, once per store version (shared by sessions; read-only)."""
    return load(Store(path), public=public)


def open_city() -> tuple[Store, CityData]:
    """The store and its data for this rerun; a user error stops the page with st.error."""
    try:
        store = current_store()
        key = (str(store.path), store.version())
        settings = city(*key)
        return store, city_data(*key, is_public(settings))
    except CitygeoError as err:
        show_error(err)
        raise  # st.stop() raised already; keeps type checkers content


def page_header(city_: CityData, title: str) -> None:
    """Title, fictional notice and the public/analyst mode in one line."""
    st.title(f"{md(city_.settings.get('name', 'City'))}: {title}")
    fictional_notice(city_.settings)


def static_map_url(path: str, version: tuple[int, int], properties: list[dict[str, object] | None]) -> str:
    """Write the neighbourhood outlines with ``properties`` as a static GeoJSON; return its URL.

    ``properties`` follow ``display_geometry``'s order; a neighbourhood whose entry is None is
    left out of the file (a large city draws one district at a time).
    """
    geometry = display_geometry(path, version)
    return static_geojson([{"type": "Feature", "geometry": f["geometry"], "properties": p}
                           for f, p in zip(geometry["features"], properties, strict=True) if p is not None])


def static_geojson(features: list[dict[str, object]]) -> str:
    """Write ``features`` as a static GeoJSON file; return its URL.

    The browser fetches it gzipped over HTTP (``server.enableStaticServing``) instead of the
    uncompressed websocket. The file name is the hash of its content: an unchanged layer keeps
    its URL, so deck.gl neither fetches nor rebuilds it when the page reruns, and the chart
    message stays small.
    """
    body = orjson.dumps({"type": "FeatureCollection", "features": features})
    name = hashlib.sha1(body).hexdigest()[:20] + ".geojson"
    target = STATIC_DIR / name
    if not target.exists():
        STATIC_DIR.mkdir(exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(body)
        os.replace(tmp, target)
        _prune_static()
    return f"app/static/{name}"


@st.cache_data(show_spinner=False, max_entries=32)
def map_file(path: str, version: tuple[int, int], public: bool, year: int | None, grp: str,
              district: str | None) -> str:
    """The outlines of the drawn neighbourhoods with the tooltip words of every field, as a static file.

    One file per year, group and district: changing the field shown reuses it (only colours and
    the tooltip template change), so the browser keeps the polygons it has built.
    """
    city = city_data(path, version, public)
    methodology = current_methodology(city, year)
    frame = in_district(city, scores(city, year, grp), district)
    tips = map_tooltips(frame, list(map_fields(methodology)), methodology)
    names = dict(zip(frame["nid"], frame["name"], strict=True))
    by_nid = {r["nid"]: {**r, "name": names.get(r["nid"]) or r["nid"]} for r in tips.to_dict("records")}
    return static_map_url(path, version, [by_nid.get(n) for n in display_geometry(path, version)["nids"]])


@st.cache_data(show_spinner=False, max_entries=32)
def hotspot_file(path: str, version: tuple[int, int], public: bool, year: int | None, grp: str,
                  district: str | None) -> str | None:
    """Hot-spot outlines (coloured by their Local Moran class) as a static file; None when there are none."""
    city = city_data(path, version, public)
    frame = in_district(city, scores(city, year, grp), district)
    classes = dict(zip(frame["nid"], frame["hotspot"], strict=True))
    geometry = display_geometry(path, version)
    features = [{"type": "Feature", "geometry": feature["geometry"],
                 "properties": {"line": [*HOTSPOT_COLOURS[classes[nid]], 255]}}
                for nid, feature in zip(geometry["nids"], geometry["features"], strict=True)  # type: ignore[call-overload]
                if classes.get(nid) in HOTSPOT_COLOURS]
    return static_geojson(features) if features else None


@st.cache_data(show_spinner=False, max_entries=8)
def district_geometry(path: str, version: tuple[int, int]) -> dict[str, object]:
    """District outlines: the display outlines of each district's neighbourhoods merged.

    ``shapely.coverage_union_all`` merges a coverage (neighbours sharing their borders exactly,
    as ``coverage_simplify`` leaves them) without the cost of a general union; the merge uses
    the outlines before their coordinates are rounded, which would leave specks between them.
    """
    geometry = display_geometry(path, version)
    shapes: np.ndarray = geometry["shapes"]  # type: ignore[assignment]
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(geometry["districts"]):  # type: ignore[arg-type]
        if isinstance(name, str) and name:
            groups.setdefault(name, []).append(i)
    names, merged = [], []
    for name, members in sorted(groups.items()):
        try:
            merged.append(shapely.coverage_union_all(shapes[members]))
        except shapely.errors.GEOSException:
            merged.append(shapely.union_all(shapes[members]))
        names.append(name)
    if not merged:
        return {"names": [], "features": []}
    # Slivers between neighbourhoods whose borders do not quite meet come out of the union as
    # tiny holes; a real hole (another district's enclave) is at least a neighbourhood's size.
    min_hole = 0.1 * float(np.median(shapely.area(shapes)))
    merged = [_without_small_holes(g, min_hole) for g in merged]
    # The districts map is always the whole city: simplify to half a pixel of an ~1,000 px view
    # (the merged outlines of 35,000 wiggly neighbourhoods are ~3.5× lighter for the browser).
    bounds = geometry["bounds"]  # type: ignore[index]
    tolerance = max(DISPLAY_TOLERANCE_DEG, max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / 2000)
    districts = np.array(merged, dtype=object)
    try:
        districts = shapely.coverage_simplify(districts, tolerance)
    except shapely.errors.GEOSException:
        districts = shapely.simplify(districts, tolerance, preserve_topology=True)
    rounded = shapely.set_precision(districts, 1e-5)
    features = orjson.loads(gpd.GeoSeries(rounded).to_json(drop_id=True))["features"]
    return {"names": names, "features": features}


def _without_small_holes(geom: shapely.Geometry, min_area: float) -> shapely.Geometry:
    """``geom`` (Polygon or MultiPolygon) without the holes smaller than ``min_area``."""
    polygons = []
    for part in shapely.get_parts(geom):
        if not isinstance(part, shapely.Polygon):
            continue
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= min_area]
        polygons.append(shapely.Polygon(part.exterior, holes))
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


@st.cache_data(show_spinner=False, max_entries=32)
def district_map_file(path: str, version: tuple[int, int], public: bool, year: int | None, grp: str) -> str | None:
    """District outlines with the tooltip words of every field (district scores), as a static file."""
    city = city_data(path, version, public)
    methodology = current_methodology(city, year)
    frame = district_scores(city, year, grp)
    geometry = district_geometry(path, version)
    if frame.empty or not geometry["names"]:
        return None
    tips = map_tooltips(frame, list(map_fields(methodology)), methodology)
    by_name = {r["nid"]: {**r, "name": r["nid"]} for r in tips.to_dict("records")}
    features = [{"type": "Feature", "geometry": f["geometry"], "properties": by_name[name]}
                for name, f in zip(geometry["names"], geometry["features"], strict=True) if name in by_name]  # type: ignore[call-overload]
    return static_geojson(features) if features else None


def _prune_static() -> None:
    files = sorted(STATIC_DIR.glob("*.geojson"), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in files[STATIC_KEEP:]:
        old.unlink(missing_ok=True)


def empty_state(city_: CityData) -> bool:
    """Show the empty state when the store holds no city or no scores; True when shown."""
    if city_.hoods.empty:
        st.info("This store holds no neighbourhoods yet. Load a city with `citygeo ingest CITY.toml`, "
                "or open the dashboard without CITYGEO_STORE to see the fictional demo city.")
        return True
    if city_.scores.empty:
        st.info("This city has not been scored yet. Run `citygeo score` to compute the risk and "
                "protective indices.")
        return True
    return False


@st.cache_data(show_spinner="Preparing the file…", max_entries=16)
def export_file(path: str, version: tuple[int, int], fmt: str, year: int | None,
                mode: str) -> tuple[bytes, str, str]:
    """One export (the same writer as `citygeo export`), built once per store version."""
    from citygeo.outputs.export import export_bytes

    return export_bytes(Store(path), fmt, year=year, mode=mode, with_sidecar=True)


@st.cache_data(show_spinner="Preparing the printable profile…", max_entries=32)
def profile_report(path: str, version: tuple[int, int], nid: str, year: int | None,
                   mode: str) -> str:
    """The self-contained, A4-printable HTML profile (the same as `citygeo report`)."""
    from citygeo.outputs.report import render_profile_html

    return render_profile_html(Store(path), nid, year=year, mode=mode)
