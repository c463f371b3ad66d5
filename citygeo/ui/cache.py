"""Cached access to the store for the dashboard; errors become st.error, never tracebacks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
import shapely
import streamlit as st

from citygeo.config import CitySettings
from citygeo.errors import CitygeoError
from citygeo.geo.classify import HOTSPOT_COLOURS
from citygeo.geo.display import Outlines, display_outlines, district_outlines
from citygeo.i18n import _, language, using
from citygeo.schema import DEFAULT_GROUP
from citygeo.service.city import (
    CityData,
    current_methodology,
    district_scores,
    in_district,
    load,
    scores,
)
from citygeo.service.city import settings as read_settings
from citygeo.service.demo import build_demo
from citygeo.service.map import (
    incident_hexes,
    map_fields,
    map_table,
    map_tooltips,
    year_vintage,
)
from citygeo.settings import Mode, dashboard_store_path
from citygeo.store import Store, reads
from citygeo.store import years as store_years
from citygeo.ui.components import LegendWords, colours_for, md
from citygeo.ui.static_files import static_file, static_geojson


@st.cache_resource(show_spinner=False)
def _demo_lock() -> threading.Lock:
    return threading.Lock()


def current_store() -> Store:
    """The store the dashboard shows; builds the fictional demo city on first start."""
    path, is_demo = dashboard_store_path()
    store = Store(path)
    if is_demo and not store.exists():
        with _demo_lock():
            if not store.exists():
                bar = st.progress(
                    0.0, text=_("Building the fictional demo city (first start only)…")
                )

                def progress(done: int, total: int, label: str) -> None:
                    bar.progress(
                        min(done / max(total, 1), 1.0),
                        text=_("Demo city: {step}").format(step=label),
                    )

                build_demo(store, progress=progress)
                bar.empty()
    if not store.exists():
        raise CitygeoError(
            _(
                "There is no store at {path}. Build one with `citygeo ingest "
                "CITY.toml` or unset CITYGEO_STORE to see the demo city."
            ).format(path=Path(path).resolve())
        )
    return store


@st.cache_data(show_spinner=False, max_entries=8)
def city_settings(path: str, version: tuple[int, int]) -> CitySettings:
    return read_settings(Store(path))


def default_language() -> str:
    """The city's ``[city] language`` (English when there is no city to read it from yet: the
    page then shows why, in English)."""
    try:
        store = current_store()
        return city_settings(str(store.path), store.version()).language
    except CitygeoError:
        return "en"


@st.cache_resource(show_spinner=False, max_entries=4)
def display_geometry(path: str, version: tuple[int, int], vintage: str | None = None) -> Outlines:
    """Neighbourhood outlines simplified for display, as the ingest stored them (shared and
    read-only: ``cache_data`` would unpickle a copy on every rerun). A store written before the
    outlines were stored gets them computed here once. ``vintage``: an earlier boundary set
    (a year drawn on the boundaries it was scored on), simplified here."""
    if vintage is not None:
        with Store(path).reader() as con:
            old = store_years.vintage_neighbourhoods(con, vintage)
        return display_outlines(
            gpd.GeoDataFrame(
                old, geometry=shapely.from_wkb(old.pop("geom_wkb").to_numpy()), crs="EPSG:4326"
            )
        )
    with Store(path).reader() as con:
        stored = reads.display_outlines(con)
        bounds = reads.city_bounds(con)
        if stored.empty:
            frame = reads.neighbourhoods(con, geometry=True)
    if not stored.empty and bounds is not None:
        return Outlines(
            stored["nid"].tolist(),
            stored["district"].tolist(),
            stored["geometry"].tolist(),
            None,
            bounds,
            stored[["xmin", "ymin", "xmax", "ymax"]].to_numpy().tolist(),
        )
    shapes = gpd.GeoDataFrame(
        frame, geometry=shapely.from_wkb(frame.pop("geom_wkb").to_numpy()), crs="EPSG:4326"
    )
    return display_outlines(shapes)


@st.cache_data(show_spinner=False, max_entries=8)
def city_extent(path: str, version: tuple[int, int]) -> tuple[float, float, float, float] | None:
    """The city's extent, from the store (the districts map needs no neighbourhood outline:
    reading and parsing 35,000 of them for their bounds took ~2.7 s of a cold first map)."""
    with Store(path).reader() as con:
        return reads.city_bounds(con)


@st.cache_data(show_spinner=False, max_entries=8)
def district_geometry(path: str, version: tuple[int, int]) -> dict[str, list[object]]:
    """District outlines (stored by the ingest): ``{"names": […], "features": […]}``."""
    with Store(path).reader() as con:
        stored = reads.district_outlines(con)
    if not stored.empty:
        names, geometries = (
            stored["district"].tolist(),
            [orjson.loads(g) for g in stored["geometry"]],
        )
    else:
        outlines = display_geometry(path, version)
        names, geometries = district_outlines(
            outlines if outlines.shapes is not None else _recomputed(path)
        )
    return {
        "names": list(names),
        "features": [{"type": "Feature", "geometry": g} for g in geometries],
    }


def _recomputed(path: str) -> Outlines:
    with Store(path).reader() as con:
        frame = reads.neighbourhoods(con, geometry=True)
    return display_outlines(
        gpd.GeoDataFrame(
            frame, geometry=shapely.from_wkb(frame.pop("geom_wkb").to_numpy()), crs="EPSG:4326"
        )
    )


@st.cache_data(show_spinner=False, max_entries=32)
def hexagons(
    path: str,
    version: tuple[int, int],
    min_count: int,
    year: int | None,
    categories: tuple[str, ...] | None,
) -> pd.DataFrame:
    """Incidents of the year (and categories) shown, counted per hexagon in the store."""
    return incident_hexes(
        Store(path),
        min_count,
        year=year,
        categories=list(categories) if categories is not None else None,
    )


def show_error(err: CitygeoError) -> None:
    """Show a user error inline and stop the page."""
    st.error(str(err))
    st.stop()


def fictional_notice(settings: CitySettings) -> None:
    """The banner that says the demo city is fictional, wherever it is shown."""
    if settings.fictional:
        text = _(
            "**{city} is a fictional city.** Every neighbourhood, figure and incident shown "
            "here is synthetic, generated for demonstration; none describes a real place or "
            "real people."
        )
        st.warning(text.format(city=md(settings.name or _("This city"))), icon="⚠️")


@st.cache_resource(show_spinner=False, max_entries=4)
def city_data(path: str, version: tuple[int, int], mode: Mode) -> CityData:
    """Everything the pages read, once per store version (shared by sessions; read-only)."""
    return load(Store(path), mode=mode)


def open_city() -> tuple[Store, CityData]:
    """The store and its data for this rerun; a user error stops the page with st.error."""
    try:
        store = current_store()
        key = (str(store.path), store.version())
        return store, city_data(*key, city_settings(*key).mode)
    except CitygeoError as err:
        show_error(err)
        raise  # st.stop() raised already; keeps type checkers content


def page_header(city_: CityData, title: str) -> None:
    """Title, fictional notice and the public/analyst mode in one line."""
    st.title(_("{city}: {page}").format(city=md(city_.settings.name or _("City")), page=title))
    fictional_notice(city_.settings)


def static_map_url(
    path: str,
    version: tuple[int, int],
    properties: Sequence[Mapping[str, Any] | None],
    vintage: str | None = None,
) -> str:
    """Write the neighbourhood outlines with ``properties`` as a static GeoJSON; return its URL.

    ``properties`` follow ``display_geometry``'s order; a neighbourhood whose entry is None is
    left out of the file (a large city draws one district at a time).
    """
    outlines = display_geometry(path, version, vintage)
    features = b",".join(  # the same bytes as orjson.dumps of the features, without parsing
        b'{"type":"Feature","geometry":' + g.encode() + b',"properties":' + orjson.dumps(p) + b"}"
        for g, p in zip(outlines.texts, properties, strict=True)
        if p is not None
    )
    return static_file(b'{"type":"FeatureCollection","features":[' + features + b"]}")


def map_file(
    path: str,
    version: tuple[int, int],
    mode: Mode,
    year: int | None,
    grp: str,
    district: str | None,
) -> str:
    """The outlines with the tooltip words of every field, in the current language (see
    :func:`_map_file`)."""
    return _map_file(path, version, mode, year, grp, district, language())


@st.cache_data(show_spinner=False, max_entries=32)
def _map_file(
    path: str,
    version: tuple[int, int],
    mode: Mode,
    year: int | None,
    grp: str,
    district: str | None,
    lang: str,
) -> str:
    """The outlines of the drawn neighbourhoods with the tooltip words of every field, as a static
    file.

    One file per year, group, district and language: changing the field shown reuses it (only
    colours and the tooltip template change), so the browser keeps the polygons it has built.
    """
    city = city_data(path, version, mode)
    with using(lang):
        return _map_file_words(path, version, city, year, grp, district)


def _map_file_words(
    path: str,
    version: tuple[int, int],
    city: CityData,
    year: int | None,
    grp: str,
    district: str | None,
) -> str:
    methodology = current_methodology(city, year)
    frame = in_district(city, scores(city, year, grp), district)
    tips = map_tooltips(frame, list(map_fields(methodology)), methodology)
    names = dict(zip(frame["nid"], frame["name"], strict=True))
    by_nid = {
        r["nid"]: {**r, "name": names.get(r["nid"]) or r["nid"]} for r in tips.to_dict("records")
    }
    vintage = year_vintage(city.scores, year)
    nids = display_geometry(path, version, vintage).nids
    return static_map_url(path, version, [by_nid.get(n) for n in nids], vintage)


def map_classes(
    path: str,
    version: tuple[int, int],
    mode: Mode,
    year: int | None,
    grp: str,
    column: str,
    scheme: str,
    *,
    named: bool = True,
) -> tuple[pd.DataFrame, list[list[int]], list[tuple[str, str]], LegendWords]:
    """``map_table`` of one field and its ``colours_for`` (fills, legend rows and words), in
    the current language, for the whole city (``named``: with the neighbourhoods' names).

    The same for every official who opens that map: kept instead of formatting 5,000 values in
    words and classifying them on every visit (the largest part of a warm map page's server time
    with twenty officials at once, issue 16). Shared, not copied (``cache_resource``: a copy of
    5,000 rows unpickled on every visit cost as much again): read it, never change it."""
    return _map_classes(path, version, mode, year, grp, column, scheme, named, language())


@st.cache_resource(show_spinner=False, max_entries=64)
def _map_classes(
    path: str,
    version: tuple[int, int],
    mode: Mode,
    year: int | None,
    grp: str,
    column: str,
    scheme: str,
    named: bool,
    lang: str,
) -> tuple[pd.DataFrame, list[list[int]], list[tuple[str, str]], LegendWords]:
    city = city_data(path, version, mode)
    methodology = current_methodology(city, year)
    with using(lang):
        table = map_table(
            scores(city, year, grp), column, city.neighbourhoods if named else None, methodology
        )
        fills, rows, words = colours_for(table["value"], column, scheme, methodology)
    return table, fills, rows, words


@st.cache_data(show_spinner=False, max_entries=64)
def risk_overview_file(
    path: str, version: tuple[int, int], mode: Mode, year: int | None, district: str | None
) -> str:
    """The neighbourhoods of the city, or of one ``district``, filled by the city-wide quintiles
    of the risk index, as a static file (compare's small maps; written once per year and
    district, not on every visit: a 35,000-neighbourhood city's file is ~35 MB)."""
    city = city_data(path, version, mode)
    values, fills, _rows, _words = map_classes(
        path, version, mode, year, DEFAULT_GROUP, "risk_score", "quantiles", named=False
    )
    by_nid = {
        nid: {"nid": nid, "name": name, "fill": fill, "line": [120, 120, 120, 120]}
        for nid, name, fill in zip(values["nid"], values["name"], fills, strict=True)
    }
    hoods = city.neighbourhoods
    members = None if district is None else set(hoods.loc[hoods["district"] == district, "nid"])
    blank = {"name": "", "fill": [0, 0, 0, 0], "line": [0, 0, 0, 0]}
    return static_map_url(
        path,
        version,
        [
            by_nid.get(n, {"nid": n, **blank}) if members is None or n in members else None
            for n in display_geometry(path, version).nids
        ],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def hotspot_file(
    path: str,
    version: tuple[int, int],
    mode: Mode,
    year: int | None,
    grp: str,
    district: str | None,
) -> str | None:
    """Hot-spot outlines (coloured by their Local Moran class) as a static file; None when there
    are none."""
    city = city_data(path, version, mode)
    frame = in_district(city, scores(city, year, grp), district)
    classes = dict(zip(frame["nid"], frame["hotspot"], strict=True))
    vintage = year_vintage(city.scores, year)
    lines = [
        {"line": [*HOTSPOT_COLOURS[classes[nid]], 255]}
        if classes.get(nid) in HOTSPOT_COLOURS
        else None
        for nid in display_geometry(path, version, vintage).nids
    ]
    if not any(lines):
        return None
    return static_map_url(path, version, lines, vintage)


def district_map_file(
    path: str, version: tuple[int, int], mode: Mode, year: int | None, grp: str
) -> str | None:
    """District outlines with the tooltip words of every field (district scores), as a static
    file, in the current language."""
    return _district_map_file(path, version, mode, year, grp, language())


@st.cache_data(show_spinner=False, max_entries=32)
def _district_map_file(
    path: str, version: tuple[int, int], mode: Mode, year: int | None, grp: str, lang: str
) -> str | None:
    city = city_data(path, version, mode)
    with using(lang):
        return _district_words(path, version, city, year, grp)


def _district_words(
    path: str, version: tuple[int, int], city: CityData, year: int | None, grp: str
) -> str | None:
    methodology = current_methodology(city, year)
    frame = district_scores(city, year, grp)
    geometry: dict[str, list[Any]] = district_geometry(path, version)
    if frame.empty or not geometry["names"]:
        return None
    tips = map_tooltips(frame, list(map_fields(methodology)), methodology)
    by_name = {r["nid"]: {**r, "name": r["nid"]} for r in tips.to_dict("records")}
    features = [
        {"type": "Feature", "geometry": f["geometry"], "properties": by_name[name]}
        for name, f in zip(geometry["names"], geometry["features"], strict=True)
        if name in by_name
    ]
    return static_geojson(features) if features else None


def empty_state(city_: CityData) -> bool:
    """Show the empty state when the store holds no city or no scores; True when shown."""
    if city_.neighbourhoods.empty:
        st.info(
            _(
                "This store holds no neighbourhoods yet. Load a city with `citygeo ingest "
                "CITY.toml`, or open the dashboard without CITYGEO_STORE to see the fictional "
                "demo city."
            )
        )
        return True
    if city_.scores.empty:
        st.info(
            _(
                "This city has not been scored yet. Run `citygeo score` to compute the risk "
                "and protective indices."
            )
        )
        return True
    return False


@st.cache_data(show_spinner=False, max_entries=16)
def export_file(
    path: str, version: tuple[int, int], fmt: str, year: int | None, mode: Mode
) -> tuple[bytes, str, str]:
    """One export (the same writer as `citygeo export`), built once per store version."""
    from citygeo.outputs.export import export_bytes

    return export_bytes(Store(path), fmt, year=year, mode=mode, with_sidecar=True)


def profile_report(
    path: str, version: tuple[int, int], nid: str, year: int | None, mode: Mode
) -> Callable[[], bytes]:
    """The self-contained, A4-printable HTML profile (the same as `citygeo report`): the
    profile the page shows, rendered for A4 in the page's language — as a function that renders
    it, for a download button to call when clicked (Streamlit calls it on another thread, where
    the session's language is not set: it is taken now)."""
    lang = language()
    return lambda: _profile_report(path, version, nid, year, mode, lang).encode("utf-8")


@st.cache_data(show_spinner=False, max_entries=32)
def _profile_report(
    path: str, version: tuple[int, int], nid: str, year: int | None, mode: Mode, lang: str
) -> str:
    from citygeo.outputs.report import render_profile, shapes_of
    from citygeo.service.profile import profile

    city = city_data(path, version, mode)
    with using(lang):
        return render_profile(
            profile(city, nid, year, require_scores=True), city, shapes_of(Store(path))
        )
