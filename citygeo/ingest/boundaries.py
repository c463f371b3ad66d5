"""Neighbourhood boundaries: every way of loading them ends in ``load_boundaries``."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from citygeo.config import BoundariesSpec, projected_crs_problem
from citygeo.errors import CRSError, InputError, format_problems
from citygeo.ingest.columns import (
    as_codes,
    parse_numbers,
    raise_problems,
    require_columns,
    text_series,
)
from citygeo.ingest.readers import read_vector

log = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
_POLYGONAL = {"Polygon", "MultiPolygon"}


def read_boundaries(
    spec: BoundariesSpec, projected_crs: str | None = None, warnings: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Read the boundary file of a city config and validate it with ``load_boundaries``."""
    warnings = warnings if warnings is not None else []
    frame = read_vector(spec.path, "boundary", layer=spec.layer, warnings=warnings)
    return load_boundaries(frame, spec, projected_crs=projected_crs, warnings=warnings)


def load_boundaries(
    frame: gpd.GeoDataFrame,
    spec: BoundariesSpec,
    *,
    projected_crs: str | None = None,
    warnings: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Validate raw boundaries into ``nid, name, district, population, area_km2, geometry``.

    Codes are kept as text; polygons are repaired with ``make_valid`` (and reported);
    geometry is reprojected to WGS 84 and areas are computed in a projected CRS.
    """
    warnings = warnings if warnings is not None else []
    path = spec.path
    if frame.empty:
        raise InputError(f"{path}: the boundary file holds no features.")
    require_columns(frame, [spec.id, spec.name, spec.district, spec.population], path, "boundary")
    frame = _with_crs(frame, spec)
    problems: list[str] = []
    codes = as_codes(frame[spec.id].astype(object).where(frame[spec.id].notna(), None))
    _check_codes(codes, frame, spec, problems)
    geoms = _check_geometry(frame, codes, spec, problems, warnings)
    population = None
    if spec.population:
        text = frame[[spec.population]].astype(object).where(frame[[spec.population]].notna(), None)
        population = parse_numbers(text, spec.population, path, problems, warnings)
        for idx in np.flatnonzero((population < 0).to_numpy()):
            problems.append(
                f"feature {idx + 1} ({codes.iloc[idx]}), column {spec.population!r}: "
                f"negative population {population.iloc[idx]:g}"
            )
    raise_problems(path, "boundary", problems)
    result = gpd.GeoDataFrame(
        {
            "nid": codes.astype(str).to_numpy(),
            "name": _text_column(frame, spec.name, codes),
            "district": _text_column(frame, spec.district, None),
            "population": population.to_numpy() if population is not None else np.nan,
        },
        geometry=geoms,
        crs=frame.crs,
    )
    result = result.to_crs(WGS84)
    _check_lonlat(result, path)
    crs = _projected_crs(projected_crs) if projected_crs else result.estimate_utm_crs().to_string()
    projected = result.geometry.to_crs(crs).to_numpy()
    result["area_km2"] = shapely.area(projected) / 1e6
    zero = result["area_km2"] <= 1e-9
    if zero.any():
        raise InputError(
            format_problems(
                f"{path}: neighbourhoods with zero area:", [f"{n}" for n in result.loc[zero, "nid"]]
            )
        )
    _warn_overlaps(result, projected, path, warnings)
    log.info("read %d neighbourhoods from %s", len(result), path)
    return result[["nid", "name", "district", "population", "area_km2", "geometry"]]


def _with_crs(frame: gpd.GeoDataFrame, spec: BoundariesSpec) -> gpd.GeoDataFrame:
    if frame.crs is not None:
        return frame
    if not spec.source_crs:
        raise CRSError(
            f"{spec.path}: the boundary file carries no coordinate reference system. "
            'Add `source_crs = "EPSG:…"` to [boundaries] in the city config '
            '(the CRS the coordinates are in, e.g. "EPSG:27700").'
        )
    try:
        return frame.set_crs(pyproj.CRS.from_user_input(spec.source_crs))
    except pyproj.exceptions.CRSError as err:
        raise CRSError(
            f"[boundaries] source_crs {spec.source_crs!r} is not a known CRS: {err}"
        ) from err


def _projected_crs(name: str) -> str:
    """Check the ``[city] projected_crs`` of the config (see ``config.projected_crs_problem``)."""
    problem = projected_crs_problem(name)
    if problem:
        raise CRSError(problem)
    return name


def _check_codes(
    codes: pd.Series, frame: gpd.GeoDataFrame, spec: BoundariesSpec, problems: list[str]
) -> None:
    for idx in np.flatnonzero(codes.isna().to_numpy())[:20]:
        problems.append(f"feature {idx + 1}: empty neighbourhood code in column {spec.id!r}")
    dup = codes[codes.notna() & codes.duplicated(keep=False)]
    for code, rows in dup.groupby(dup).groups.items():
        features = ", ".join(str(i + 1) for i in list(rows)[:10])
        problems.append(
            f"column {spec.id!r}: code {code!r} is used by several features "
            f"({features}); each neighbourhood needs a unique code"
        )


def _check_geometry(
    frame: gpd.GeoDataFrame,
    codes: pd.Series,
    spec: BoundariesSpec,
    problems: list[str],
    warnings: list[str],
) -> np.ndarray:
    geoms = frame.geometry.to_numpy().copy()
    for idx, geom in enumerate(geoms):
        label = f"feature {idx + 1} ({codes.iloc[idx]})"
        if geom is None or geom.is_empty:
            problems.append(f"{label}: no geometry")
            continue
        if geom.geom_type not in _POLYGONAL and geom.geom_type != "GeometryCollection":
            problems.append(f"{label}: is a {geom.geom_type}; neighbourhoods must be polygons")
            continue
        if not geom.is_valid or geom.geom_type == "GeometryCollection":
            reason = shapely.is_valid_reason(geom)
            repaired = _polygonal_part(shapely.make_valid(geom))
            if repaired is None:
                problems.append(f"{label}: invalid polygon ({reason}) with no area after repair")
                continue
            geoms[idx] = repaired
            warnings.append(f"repaired invalid polygon of {codes.iloc[idx]} ({reason})")
    return geoms


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom.geom_type in _POLYGONAL:
        return geom if not geom.is_empty else None
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in _POLYGONAL and not g.is_empty]
    if not parts:
        return None
    return shapely.union_all(parts)


def _text_column(
    frame: gpd.GeoDataFrame, column: str | None, default: pd.Series | None
) -> np.ndarray:
    if column is None:
        return (
            default.to_numpy() if default is not None else np.full(len(frame), None, dtype=object)
        )
    values = frame[column].astype(object).where(frame[column].notna(), None)
    return text_series(values).to_numpy(dtype=object)


def _check_lonlat(frame: gpd.GeoDataFrame, path: Path) -> None:
    minx, miny, maxx, maxy = frame.total_bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise CRSError(
            f"{path}: after reprojection to WGS 84 the coordinates fall outside "
            f"lon/lat range (bounds {minx:.1f}, {miny:.1f}, {maxx:.1f}, {maxy:.1f}); "
            "the file's CRS (or source_crs) is probably wrong."
        )


def _warn_overlaps(
    frame: gpd.GeoDataFrame, geoms: np.ndarray, path: Path, warnings: list[str]
) -> None:
    """Warn about pairs of neighbourhoods that overlap by more than 1 m² (``geoms``: projected).

    A valid polygonal coverage (``shapely.coverage_is_valid``: no two interiors intersect,
    shared edges match) has no overlaps at all, so the two pairwise queries run only when the
    coverage check fails; it takes a fraction of their time (benchmarks/README.md)."""
    if shapely.coverage_is_valid(geoms):
        return
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="overlaps")
    within_l, within_r = tree.query(geoms, predicate="contains")
    pairs = {(a, b) for a, b in zip(left, right, strict=True) if a < b}
    pairs |= {(a, b) for a, b in zip(within_l, within_r, strict=True) if a != b}
    if not pairs:
        return
    reported = []
    for a, b in sorted(pairs):
        overlap = shapely.area(shapely.intersection(geoms[a], geoms[b]))
        if overlap > 1.0:  # m²: ignore slivers from rounding
            reported.append(
                f"{frame['nid'].iloc[a]} and {frame['nid'].iloc[b]} "
                f"overlap by {overlap / 1e6:.3f} km²"
            )
    if reported:
        shown = "; ".join(reported[:10]) + (" …" if len(reported) > 10 else "")
        warnings.append(
            f"{path.name}: {len(reported)} pairs of neighbourhoods overlap ({shown}); "
            "a point in an overlap is assigned to the neighbourhood whose code sorts first"
        )
