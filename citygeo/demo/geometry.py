"""The neighbourhoods' shapes and identities.

Poisson-disk seeds (denser in the centre) → Voronoi cells clipped to an irregular island
outline with a harbour bay on the east → the shared edges are noded once, densified and bent
by one smooth displacement field → polygonised, so that neighbours share identical vertices
(a gap-free tessellation with curved borders). Then codes, names, districts and population,
and the boundaries as GeoJSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from citygeo.demo.common import (
    CITY_NAME,
    DISTRICTS,
    N_NEIGHBOURHOODS,
    SYNTHETIC_NOTE,
    Neighbourhoods,
    km_to_lonlat,
    lonlat_to_km,
)
from citygeo.demo.indicators import latent_deprivation

_ROOTS: tuple[str, ...] = (
    "Averly",
    "Brennock",
    "Caddow",
    "Dorrin",
    "Elsmark",
    "Fennick",
    "Garrow",
    "Halvern",
    "Istley",
    "Jessamy",
    "Kestrow",
    "Lanmore",
    "Mardle",
    "Norrow",
    "Orlick",
    "Pellard",
    "Quenby",
    "Rusholt",
    "Sallowmede",
    "Tamber",
    "Ulvercote",
    "Vessey",
    "Wrenlow",
    "Yarrowby",
    "Corvel",
    "Tidewell",
    "Ropewalk",
    "Lantern",
    "Cindergate",
    "Merrow",
    "Thistlebrook",
    "Oakenfold",
    "Gullstone",
    "Brackwater",
    "Saltreach",
    "Hollin",
)
_SUFFIXES: tuple[str, ...] = (
    " Hill",
    " Green",
    " Park",
    " Fields",
    " Rise",
    " End",
    " Cross",
    " Heights",
    " Vale",
    " Quay",
    " Common",
    " Gardens",
    " Row",
    " Court",
    " Wharf",
    " Lanes",
    " Moor",
    " Side",
)
_SPECIAL_NAMES: tuple[str, ...] = ("St Ann's & Mill Row", "Cooper's Wharf", "Ship & Anchor")


def island_outline(rng: np.random.Generator) -> Polygon:
    """An irregular island outline in km around the centre, with a harbour bay to the east."""
    theta = np.linspace(0.0, 2 * np.pi, 361)[:-1]
    radius = np.full_like(theta, 7.0)
    for k, amp in ((2, 0.09), (3, 0.07), (5, 0.04), (7, 0.02)):
        radius *= 1.0 + amp * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    ring = np.column_stack((radius * np.cos(theta), radius * np.sin(theta)))
    island = Polygon(ring)
    bay = shapely.affinity.scale(Point(7.4, -0.6).buffer(1.0, quad_segs=16), 2.0, 1.3)
    outline = island.difference(bay)
    assert isinstance(outline, Polygon) and outline.is_valid
    return outline


def disk_seeds(rng: np.random.Generator, outline: Polygon, n: int) -> np.ndarray:
    """Place ``n`` seeds by dart throwing, with a spacing that grows from the centre outwards."""
    minx, miny, maxx, maxy = outline.bounds
    seeds: list[np.ndarray] = []
    for _ in range(200_000):
        p = rng.uniform((minx, miny), (maxx, maxy))
        if not shapely.contains_xy(outline, p[0], p[1]):
            continue
        spacing = 0.62 * (0.55 + 0.75 * min(np.hypot(*p) / 7.0, 1.0))
        if seeds and np.min(np.hypot(*(np.array(seeds) - p).T)) < spacing:
            continue
        seeds.append(p)
        if len(seeds) == n:
            return np.array(seeds)
    raise RuntimeError(f"could place only {len(seeds)} of {n} neighbourhood seeds")


def voronoi_cells(seeds: np.ndarray, outline: Polygon) -> list[Polygon]:
    """Voronoi cells of the seeds clipped to the outline, one polygon per seed, in seed order.

    A cell cut in two by the bay keeps its part holding the seed; the stray part joins
    the neighbouring cell it shares the longest border with.
    """
    diagram = shapely.voronoi_polygons(
        MultiPoint(seeds), extend_to=outline.buffer(5.0), ordered=True
    )
    clipped = shapely.intersection(shapely.get_parts(diagram), outline)
    cells: list[Polygon] = []
    strays: list[Polygon] = []
    for seed, cell in zip(seeds, clipped, strict=True):
        parts = list(shapely.get_parts(cell))
        home = next(p for p in parts if p.contains(Point(seed)))
        cells.append(home)
        strays += [p for p in parts if p is not home]
    for stray in strays:
        shared = [stray.boundary.intersection(c.boundary).length for c in cells]
        best = int(np.argmax(shared))
        merged = shapely.union(cells[best], stray)
        assert isinstance(merged, Polygon)
        cells[best] = merged
    return cells


def displacement(rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth, small displacement of the plane (km → km) that bends straight borders."""
    waves = [(1.6, 0.060), (0.7, 0.030), (0.28, 0.008)]  # (wavelength km, amplitude km)
    terms = []
    for wavelength, amp in waves:
        for _ in range(3):
            direction = rng.uniform(0, 2 * np.pi)
            k = 2 * np.pi / wavelength * np.array([np.cos(direction), np.sin(direction)])
            terms.append((k, amp * rng.normal(size=2), rng.uniform(0, 2 * np.pi)))

    def move(xy: np.ndarray) -> np.ndarray:
        out = np.array(xy, dtype=float)
        for k, amp, phase in terms:
            out += np.outer(np.sin(xy @ k + phase), amp)
        return out

    return move


def bent_tessellation(
    cells: list[Polygon], seeds: np.ndarray, move: Callable[[np.ndarray], np.ndarray]
) -> list[Polygon]:
    """Node the cells' borders once, densify and bend them, round to 6 decimals, re-polygonise.

    Each shared border exists once as a line, so both neighbours get the very same
    vertices: the result has no gaps or overlaps. Returns lon/lat polygons in seed order.
    """
    edges = shapely.get_parts(shapely.line_merge(shapely.unary_union(shapely.boundary(cells))))
    edges = shapely.segmentize(edges, 0.05)

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        return np.round(km_to_lonlat(move(xy)), 6)

    edges = shapely.transform(edges, to_lonlat)
    faces = [shapely.orient_polygons(f) for f in shapely.get_parts(shapely.polygonize(edges))]
    if len(faces) != len(seeds):
        raise RuntimeError(f"polygonised {len(faces)} faces for {len(seeds)} seeds")
    anchors = to_lonlat(seeds)
    ordered: list[Polygon] = []
    for lon, lat in anchors:
        hits = [f for f in faces if shapely.contains_xy(f, lon, lat)]
        assert len(hits) == 1, "every seed lies in exactly one face"
        ordered.append(hits[0])
    return ordered


def _district_of(x: float, y: float) -> str:
    if np.hypot(x, y) < 2.1:
        return DISTRICTS["centre"]
    sectors = ("E", "NE", "N", "NW", "W", "SW", "S")
    angle = (np.degrees(np.arctan2(y, x)) + 360.0 + 25.0) % 360.0
    return DISTRICTS[sectors[min(int(angle / (360.0 / 7)), 6)]]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    combos = [r + s for r in _ROOTS for s in _SUFFIXES]
    pick = rng.choice(len(combos), size=n - len(_SPECIAL_NAMES), replace=False)
    picked = [combos[i] for i in pick]
    names = picked + list(_SPECIAL_NAMES)
    order = rng.permutation(n)
    return [names[i] for i in order]


def make_neighbourhoods(rng: np.random.Generator) -> Neighbourhoods:
    """Build the 150 neighbourhoods with codes, names, districts, population and deprivation."""
    outline = island_outline(rng)
    seeds = disk_seeds(rng, outline, N_NEIGHBOURHOODS)
    cells = voronoi_cells(seeds, outline)
    polygons = bent_tessellation(cells, seeds, displacement(rng))
    centroids = lonlat_to_km(np.array([p.centroid.coords[0] for p in polygons]))
    km_polys = [shapely.transform(p, lonlat_to_km) for p in polygons]
    area = np.array([p.area for p in km_polys])
    x, y = centroids[:, 0], centroids[:, 1]
    districts = [_district_of(a, b) for a, b in zip(x, y, strict=True)]
    # codes in reading order: district by district, north to south, west to east
    district_rank = {name: i for i, name in enumerate(DISTRICTS.values())}
    order = sorted(
        range(len(polygons)),
        key=lambda i: (district_rank[districts[i]], -np.round(y[i], 3), np.round(x[i], 3)),
    )
    x, y, area = x[order], y[order], area[order]
    polygons = [polygons[i] for i in order]
    districts = [districts[i] for i in order]
    r = np.hypot(x, y)
    density = 12000.0 * np.exp(-r / 3.0) + 1500.0  # residents per km²
    pop = np.clip(np.round(density * area * rng.lognormal(0.0, 0.35, size=r.size)), 800, 12000)
    deprivation, trend = latent_deprivation(rng, x, y)
    return Neighbourhoods(
        codes=[f"N{i + 1:03d}" for i in range(len(polygons))],
        names=_names(rng, len(polygons)),
        districts=districts,
        polygons=polygons,
        x=x,
        y=y,
        area_km2=area,
        pop=pop.astype(int),
        deprivation=deprivation,
        trend=trend,
    )


def neighbourhoods_geojson(nb: Neighbourhoods) -> str:
    """RFC 7946 GeoJSON text: one feature per line, 6-decimal coordinates, no ``crs`` member."""

    def ring(coords: Sequence[tuple[float, float]]) -> str:
        return "[" + ",".join(f"[{lon:.6f},{lat:.6f}]" for lon, lat in coords) + "]"

    lines = [
        "{",
        '"type": "FeatureCollection",',
        f'"name": {json.dumps(CITY_NAME + " neighbourhoods (fictional, synthetic demo data)")},',
        f'"description": {json.dumps(SYNTHETIC_NOTE)},',
        '"features": [',
    ]
    features = []
    for code, name, district, pop, poly in zip(
        nb.codes, nb.names, nb.districts, nb.pop, nb.polygons, strict=True
    ):
        props = json.dumps(
            {"code": code, "name": name, "district": district, "pop": int(pop)}, ensure_ascii=False
        )
        rings = [ring(poly.exterior.coords)] + [ring(h.coords) for h in poly.interiors]
        geometry = '{"type": "Polygon", "coordinates": [' + ",".join(rings) + "]}"
        features.append(f'{{"type": "Feature", "properties": {props}, "geometry": {geometry}}}')
    lines.append(",\n".join(features))
    lines += ["]", "}", ""]
    return "\n".join(lines)
