"""Neighbourhood and district outlines simplified for display (pure geometry, no I/O).

``shapely.coverage_simplify`` simplifies each shared border once, so neighbours keep identical
edges (no gaps or slivers); coordinates are rounded to 5 decimals (~1 m).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely

DISPLAY_TOLERANCE_DEG = 0.0002  # ~20 m: below what a city-wide map can show


@dataclass(frozen=True)
class Outlines:
    """Display outlines in the neighbourhoods' order: GeoJSON geometries (rounded) as compact
    JSON text, and the simplified shapes before rounding (for merging districts).

    The map files are written from ``texts`` as they are (a big city's outlines are never parsed
    and serialised again); ``geometries`` parses them when a page needs the objects."""

    nids: list[str]
    districts: list[str | None]
    texts: list[str]
    shapes: np.ndarray | None
    bounds: tuple[float, float, float, float]
    boxes: list[list[float]]

    @cached_property
    def geometries(self) -> list[dict[str, Any]]:
        return [orjson.loads(t) for t in self.texts]

    def extent(self, nids: Collection[str] | None = None) -> list[float]:
        """``[minx, miny, maxx, maxy]`` of the neighbourhoods ``nids`` (the city's when None,
        or when none of them is here)."""
        if nids is None:
            return list(self.bounds)
        boxes = np.array([b for n, b in zip(self.nids, self.boxes, strict=True) if n in nids])
        if not len(boxes):
            return list(self.bounds)
        return [boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()]


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    try:
        return shapely.coverage_simplify(geoms, tolerance)
    except shapely.errors.GEOSException:  # not a clean coverage: simplify each polygon
        return shapely.simplify(geoms, tolerance, preserve_topology=True)


def _geojson(geoms: np.ndarray) -> list[dict[str, Any] | None]:
    """GeoJSON geometries of ``geoms``, as geopandas' ``to_json`` gives them (None for a
    missing or empty one). GEOS writes the text (a third of the time of building it from
    ``__geo_interface__``); parsing it back gives the same floats, which ``orjson.dumps`` then
    writes in their shortest form, as before."""
    present = np.array(geoms, dtype=object)
    present[shapely.is_empty(present)] = None
    texts = shapely.to_geojson(present)
    return [None if t is None else orjson.loads(t) for t in texts]


def display_outlines(neighbourhoods: gpd.GeoDataFrame) -> Outlines:
    """The outlines a city-wide map draws, from ``nid, district, geometry`` (EPSG:4326)."""
    geoms = neighbourhoods.geometry.to_numpy()
    simplified = _simplify(geoms, DISPLAY_TOLERANCE_DEG)
    rounded = shapely.set_precision(simplified, 1e-5)
    x0, y0, x1, y1 = (float(b) for b in neighbourhoods.total_bounds)
    return Outlines(
        neighbourhoods["nid"].tolist(),
        neighbourhoods["district"].tolist(),
        [orjson.dumps(g).decode() for g in _geojson(rounded)],
        simplified,
        (x0, y0, x1, y1),
        shapely.bounds(rounded).tolist(),
    )


def district_outlines(outlines: Outlines) -> tuple[list[str], list[dict[str, Any] | None]]:
    """District outlines: each district's display outlines merged, as ``(names, geometries)``.

    ``shapely.coverage_union_all`` merges a coverage (neighbours sharing their borders exactly,
    as ``coverage_simplify`` leaves them) without the cost of a general union; the merge uses
    the outlines before their coordinates are rounded, which would leave specks between them.
    Slivers between neighbourhoods whose borders do not quite meet come out of the union as tiny
    holes and are closed; a real hole (another district's enclave) is at least a tenth of a
    median neighbourhood and is kept.
    """
    shapes = outlines.shapes
    if shapes is None:
        raise ValueError(
            "district outlines are merged from the simplified shapes; these outlines "
            "were read back without them (read the stored district outlines instead)"
        )
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(outlines.districts):
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
        return [], []
    min_hole = 0.1 * float(np.median(shapely.area(shapes)))
    districts = np.array([without_small_holes(g, min_hole) for g in merged], dtype=object)
    # The districts map is always the whole city: simplify to half a pixel of an ~1,000 px view.
    minx, miny, maxx, maxy = outlines.bounds
    tolerance = max(DISPLAY_TOLERANCE_DEG, max(maxx - minx, maxy - miny) / 2000)
    rounded = shapely.set_precision(_simplify(districts, tolerance), 1e-5)
    return names, _geojson(rounded)


def without_small_holes(geom: shapely.Geometry, min_area: float) -> shapely.Geometry:
    """``geom`` (Polygon or MultiPolygon) without the holes smaller than ``min_area``."""
    polygons = []
    for part in shapely.get_parts(geom):
        if not isinstance(part, shapely.Polygon):
            continue
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= min_area]
        polygons.append(shapely.Polygon(part.exterior, holes))
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
