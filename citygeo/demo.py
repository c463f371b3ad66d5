"""The fictional demo city "Port Averlane": a deterministic generator of every input file.

Port Averlane is invented (DESIGN.md §8). It sits on an imaginary island in the South
Atlantic near lon -25, lat -40, where there is no land, so no invented figure can attach
to a real place. Every file that can carry a note says it is synthetic.

Run ``python -m citygeo.demo [--out DIR]`` (default: the repository's ``data/`` folder).
The same seed always gives byte-identical files: rows are sorted, floats have a fixed
number of decimals and nothing records the time of generation.

How the patterns are built
--------------------------
* Geometry: Poisson-disk seeds (denser in the centre) → Voronoi cells clipped to an
  irregular island outline with a harbour bay on the east → the shared edges are noded
  once, densified and bent by one smooth displacement field → polygonised, so that
  neighbours share identical vertices (a gap-free tessellation with curved borders).
* A latent deprivation score per neighbourhood: a bump over the inner east (the old
  docks), a south-east/north-west gradient, a peripheral estate in the south-west, a
  smooth random field and a little independent noise. Every deprivation indicator is a
  linear function of it plus noise, so they move together and are spatially clustered.
* Incidents: a background process proportional to population × exp(deprivation), three
  persistent hot spots (one in the deprived inner east, one in the city centre, one that
  emerges in 2025 in the affluent north-west) and a one-month cluster in June 2025 in one
  neighbourhood, which the online spike of July 2025 follows.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

log = logging.getLogger(__name__)

SEED = 20261128
CITY_NAME = "Port Averlane"
CENTRE_LON = -25.0
CENTRE_LAT = -40.0
N_NEIGHBOURHOODS = 150
YEARS: tuple[int, ...] = (2024, 2025, 2026)
SURVEY_YEARS: tuple[int, ...] = (2025, 2026)
AGE_BANDS: tuple[str, ...] = ("16-24", "25-44", "45-64", "65+")
FIRST_MONTH = "2024-01"
LAST_MONTH = "2026-10"
SPIKE_MONTH = "2025-07"
EVENT_MONTH = "2025-06"

# Degrees per km at the city's latitude (a local equirectangular frame: exact enough
# for a 15 km city, and pure arithmetic, so identical on every machine).
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * float(np.cos(np.radians(CENTRE_LAT)))

SYNTHETIC_NOTE = (
    "FICTIONAL, SYNTHETIC DEMO DATA. Port Averlane is an invented city placed in the "
    "open South Atlantic; every neighbourhood, figure, name and address here is made up "
    "by `python -m citygeo.demo` and describes no real place or person."
)

INCIDENT_CATEGORIES: tuple[str, ...] = (
    "hate_crime",
    "hate_incident",
    "extremist_propaganda",
    "intercommunal_violence",
    "targeted_vandalism",
)
ASSET_KINDS: dict[str, int] = {  # kind -> how many
    "place_of_worship": 58,
    "sports_club": 44,
    "community_centre": 34,
    "residents_association": 34,
    "youth_centre": 28,
    "mentoring_scheme": 24,
    "library": 20,
    "parenting_network": 20,
    "peace_committee": 20,
    "interfaith_forum": 18,
}
INFORMAL_KINDS = frozenset({"peace_committee", "parenting_network", "residents_association"})
THEMES: tuple[str, ...] = (
    "youth", "women", "interfaith", "education", "sport",
    "mental_health", "employment", "safety", "culture",
)
GROUPS: tuple[str, ...] = (
    "youth", "women", "older_people", "faith_communities",
    "recent_arrivals", "lgbtq", "disabled_people", "parents",
)
DISTRICTS: dict[str, str] = {  # compass sector -> district name
    "centre": "Old Harbour",
    "E": "Eastquay",
    "NE": "Saltmarsh",
    "N": "Northgate",
    "NW": "Westmere Heights",
    "W": "Lantern Hill",
    "SW": "Corvel",
    "S": "Southreach",
}
_ROOTS: tuple[str, ...] = (
    "Averly", "Brennock", "Caddow", "Dorrin", "Elsmark", "Fennick", "Garrow", "Halvern",
    "Istley", "Jessamy", "Kestrow", "Lanmore", "Mardle", "Norrow", "Orlick", "Pellard",
    "Quenby", "Rusholt", "Sallowmede", "Tamber", "Ulvercote", "Vessey", "Wrenlow",
    "Yarrowby", "Corvel", "Tidewell", "Ropewalk", "Lantern", "Cindergate", "Merrow",
    "Thistlebrook", "Oakenfold", "Gullstone", "Brackwater", "Saltreach", "Hollin",
)
_SUFFIXES: tuple[str, ...] = (
    " Hill", " Green", " Park", " Fields", " Rise", " End", " Cross", " Heights", " Vale",
    " Quay", " Common", " Gardens", " Row", " Court", " Wharf", " Lanes", " Moor", " Side",
)
_SPECIAL_NAMES: tuple[str, ...] = ("St Ann's & Mill Row", "Cooper's Wharf", "Ship & Anchor")


@dataclass(frozen=True)
class Neighbourhoods:
    """The generated neighbourhoods, one entry per neighbourhood in code order."""

    codes: list[str]
    names: list[str]
    districts: list[str]
    polygons: list[Polygon]  # lon/lat, 6 decimals, exterior counter-clockwise
    x: np.ndarray  # centroid, km east of the centre
    y: np.ndarray  # centroid, km north of the centre
    area_km2: np.ndarray
    pop: np.ndarray  # integer residents
    deprivation: np.ndarray  # latent score, mean 0, sd 1
    trend: np.ndarray  # change of the latent score per year


# --------------------------------------------------------------------------- helpers


def km_to_lonlat(xy: np.ndarray) -> np.ndarray:
    """Convert km offsets from the centre to lon/lat degrees (N×2 array)."""
    xy = np.asarray(xy, dtype=float)
    return np.column_stack(
        (CENTRE_LON + xy[:, 0] / KM_PER_DEG_LON, CENTRE_LAT + xy[:, 1] / KM_PER_DEG_LAT)
    )


def lonlat_to_km(lonlat: np.ndarray) -> np.ndarray:
    """Convert lon/lat degrees to km offsets from the centre (N×2 array)."""
    lonlat = np.asarray(lonlat, dtype=float)
    return np.column_stack(
        ((lonlat[:, 0] - CENTRE_LON) * KM_PER_DEG_LON, (lonlat[:, 1] - CENTRE_LAT) * KM_PER_DEG_LAT)
    )


def smooth_field(
    rng: np.random.Generator, length_km: float, n_waves: int = 40
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A smooth random field with unit variance (random Fourier features of an RBF kernel)."""
    freq = rng.normal(0.0, 1.0 / length_km, size=(n_waves, 2))
    phase = rng.uniform(0.0, 2 * np.pi, size=n_waves)
    scale = np.sqrt(2.0 / n_waves)

    def field(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        arg = np.multiply.outer(x, freq[:, 0]) + np.multiply.outer(y, freq[:, 1]) + phase
        return scale * np.cos(arg).sum(axis=-1)

    return field


def _bump(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sd: float) -> np.ndarray:
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sd**2))


def _fmt(values: Sequence[float] | np.ndarray | pd.Series, decimals: int) -> list[str]:
    """Format floats with a fixed number of decimals; NaN becomes an empty cell."""
    out = []
    for v in np.asarray(values, dtype=float):
        out.append("" if np.isnan(v) else f"{v:.{decimals}f}")
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def _months() -> pd.PeriodIndex:
    return pd.period_range(FIRST_MONTH, LAST_MONTH, freq="M")


# --------------------------------------------------------------------------- geometry


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


# --------------------------------------------------------------------------- neighbourhoods


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


def latent_deprivation(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (deprivation, yearly trend): a deprived inner east, an affluent west and north."""
    field = smooth_field(rng, length_km=1.8)
    raw = (
        2.0 * _bump(x, y, 2.6, -0.4, 1.7)  # old docks, inner east
        + 0.9 * _bump(x, y, -2.8, -4.3, 1.2)  # peripheral estate, south-west
        + 0.11 * x
        - 0.12 * y  # affluent west and north
        + 0.35 * field(x, y)
        + rng.normal(0.0, 0.22, size=x.size)
    )
    deprivation = (raw - raw.mean()) / raw.std()
    trend_field = smooth_field(rng, length_km=3.0)
    trend = 0.06 * trend_field(x, y) - 0.12 * _bump(x, y, 4.6, -0.2, 0.9)  # waterfront renewal
    return deprivation, trend


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
        key=lambda i: (district_rank[districts[i]], -round(y[i], 3), round(x[i], 3)),
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


# --------------------------------------------------------------------------- point sampling


class Locator:
    """Finds the neighbourhood a lon/lat point lies strictly inside (-1: none or several)."""

    def __init__(self, polygons: list[Polygon]) -> None:
        self.polygons = polygons
        self._tree = shapely.STRtree(polygons)

    def locate(self, lonlat: np.ndarray) -> np.ndarray:
        points = shapely.points(lonlat)
        found = np.full(len(points), -1)
        hits = np.zeros(len(points), dtype=int)
        src, poly = self._tree.query(points, predicate="within")
        found[src] = poly
        np.add.at(hits, src, 1)
        found[hits != 1] = -1
        return found


def sample_in_polygon(rng: np.random.Generator, loc: Locator, home: int, k: int) -> np.ndarray:
    """``k`` uniform points strictly inside neighbourhood ``home``, rounded to 6 decimals."""
    minx, miny, maxx, maxy = loc.polygons[home].bounds
    out = np.empty((0, 2))
    while len(out) < k:
        cand = np.round(rng.uniform((minx, miny), (maxx, maxy), size=(2 * k + 8, 2)), 6)
        out = np.vstack((out, cand[loc.locate(cand) == home]))
    return out[:k]


def sample_gaussian(
    rng: np.random.Generator,
    centre_km: tuple[float, float],
    sd_km: float,
    k: int,
    loc: Locator,
    within: int | None = None,
) -> np.ndarray:
    """``k`` points from a Gaussian around a centre (km), kept if strictly inside the city,
    or inside neighbourhood ``within`` when given."""
    out = np.empty((0, 2))
    while len(out) < k:
        km = rng.normal(centre_km, sd_km, size=(2 * k + 8, 2))
        cand = np.round(km_to_lonlat(km), 6)
        where = loc.locate(cand)
        keep = where >= 0 if within is None else where == within
        out = np.vstack((out, cand[keep]))
    return out[:k]


def _month_starts() -> np.ndarray:
    months = np.arange(np.datetime64(FIRST_MONTH, "M"), np.datetime64(LAST_MONTH, "M") + 1)
    return months


def sample_dates(rng: np.random.Generator, month_weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` ISO dates: a month drawn by weight, then a uniform day of that month."""
    months = _month_starts()
    pick = rng.choice(len(months), size=k, p=month_weights / month_weights.sum())
    start = months[pick].astype("datetime64[D]")
    length = ((months[pick] + 1).astype("datetime64[D]") - start).astype(int)
    day = np.floor(rng.uniform(0, 1, size=k) * length).astype(int)
    return (start + day).astype(str)


def _month_weights(active_from: str | None = None) -> np.ndarray:
    months = _month_starts()
    index = np.arange(len(months))
    month_of_year = months.astype(int) % 12  # 0 = January
    weights = (1 + 0.18 * np.sin(2 * np.pi * (month_of_year - 3) / 12)) * (1 + 0.05 * index / 12)
    if active_from is not None:
        weights = weights * (months >= np.datetime64(active_from, "M"))
    return weights


# --------------------------------------------------------------------------- indicators


def socioeconomic_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """Correlated deprivation indicators per neighbourhood and year (two 2026 health gaps)."""
    n = len(nb.codes)
    r = np.hypot(nb.x, nb.y)
    keys = ("u", "yu", "inc", "nq", "oc", "ph", "sa", "rt")
    persistent = {key: rng.normal(size=n) for key in keys}
    access_field = smooth_field(rng, length_km=2.5)(nb.x, nb.y)
    frames = []
    for t, year in enumerate(YEARS):
        d = nb.deprivation + nb.trend * t + rng.normal(0.0, 0.08, n)

        def noise(key: str, sd_persistent: float, sd_year: float) -> np.ndarray:
            return sd_persistent * persistent[key] + rng.normal(0.0, sd_year, n)

        unemployed = np.clip(7.6 + 3.0 * d - 0.25 * t + noise("u", 1.1, 0.45), 1.5, 30.0)
        youth = np.clip(2.1 * unemployed + noise("yu", 2.4, 1.2), 4.0, 60.0)
        income = np.exp(np.log(33500) - 0.23 * d + noise("inc", 0.07, 0.02)) * 1.025**t
        frames.append(
            pd.DataFrame(
                {
                    "area_code": nb.codes,
                    "year": year,
                    "unemployed_pct": unemployed,
                    "youth_unemployed_pct": youth,
                    "median_income": np.round(income, -1),
                    "no_qualifications_pct": np.clip(
                        16.0 + 5.8 * d - 0.4 * t + noise("nq", 2.8, 0.8), 2.0, 50.0
                    ),
                    "overcrowded_pct": np.clip(
                        7.0 + 3.0 * d + 3.0 * np.exp(-r / 2.5) + noise("oc", 1.6, 0.5), 0.5, 35.0
                    ),
                    "poor_health_pct": np.clip(
                        8.0 + 2.0 * d + 0.15 * r + noise("ph", 1.1, 0.4), 2.0, 25.0
                    ),
                    "service_access": np.clip(
                        88.0 - 6.5 * r - 2.5 * d + 5.0 * access_field + 0.6 * t
                        + noise("sa", 4.0, 1.0),
                        5.0,
                        100.0,
                    ),
                    "residential_turnover_pct": np.clip(
                        10.0 + 1.8 * d + 7.0 * np.exp(-r / 2.5) + noise("rt", 1.8, 0.8), 3.0, 40.0
                    ),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    last = table["year"] == YEARS[-1]
    gaps = rng.choice(np.flatnonzero(last.to_numpy()), size=2, replace=False)
    table.loc[gaps, "poor_health_pct"] = np.nan
    return table.sort_values(["area_code", "year"], ignore_index=True)


def format_socioeconomic(table: pd.DataFrame) -> pd.DataFrame:
    out = table[["area_code", "year"]].copy()
    for col in table.columns[2:]:
        out[col] = _fmt(table[col], 0 if col == "median_income" else 1)
    return out


def population_groups_table(
    rng: np.random.Generator, nb: Neighbourhoods, socio: pd.DataFrame
) -> pd.DataFrame:
    """Residents aged 16+ and unemployment by age band (youth unemployment markedly higher)."""
    n = len(nb.codes)
    r = np.hypot(nb.x, nb.y)
    shares = np.column_stack(
        (
            0.15 + 0.025 * nb.deprivation + 0.05 * np.exp(-r / 2.0),
            np.full(n, 0.35) + 0.01 * nb.deprivation,
            np.full(n, 0.30),
            np.clip(0.20 - 0.03 * nb.deprivation + 0.012 * r, 0.08, None),
        )
    ) * rng.lognormal(0.0, 0.06, size=(n, 4))
    shares /= shares.sum(axis=1, keepdims=True)
    growth = rng.normal(0.006, 0.01, size=n)
    ratio = np.array([0.0, 0.95, 0.75, 0.25])  # band unemployment relative to the all-ages rate
    rows = []
    for year in YEARS:
        current = socio[socio["year"] == year].set_index("area_code").loc[nb.codes]
        adults = nb.pop * (1 + growth) ** (year - 2025) * 0.81
        for b, band in enumerate(AGE_BANDS):
            if b == 0:
                rate = current["youth_unemployed_pct"].to_numpy()
            else:
                rate = current["unemployed_pct"].to_numpy() * ratio[b] + rng.normal(0, 0.4, n)
            rows.append(
                pd.DataFrame(
                    {
                        "area_code": nb.codes,
                        "year": year,
                        "age_band": band,
                        "population": np.round(adults * shares[:, b]).astype(int),
                        "unemployed_pct": _fmt(np.clip(rate, 0.2, 60.0), 1),
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    return table.sort_values(["area_code", "year", "age_band"], ignore_index=True)


# --------------------------------------------------------------------------- incidents

_BACKGROUND_MIX = {
    "hate_incident": 0.44,
    "hate_crime": 0.30,
    "targeted_vandalism": 0.14,
    "extremist_propaganda": 0.08,
    "intercommunal_violence": 0.04,
}
_HOTSPOTS = (  # centre km, sd km, events, active from, category mix
    ((2.6, -0.3), 0.45, 2000, None, _BACKGROUND_MIX),  # inner east, deprived
    ((-0.3, 0.5), 0.35, 1600, None, _BACKGROUND_MIX),  # city centre, mixed
    (
        (-3.2, 3.4),
        0.50,
        1100,
        "2025-03",  # emerging, affluent north-west (stickers and leaflets)
        {"extremist_propaganda": 0.35, "hate_incident": 0.30, "targeted_vandalism": 0.20,
         "hate_crime": 0.13, "intercommunal_violence": 0.02},
    ),
)
_EVENT_MIX = {
    "hate_crime": 0.35,
    "intercommunal_violence": 0.30,
    "hate_incident": 0.25,
    "targeted_vandalism": 0.10,
}
N_BACKGROUND = 14_900
N_EVENT = 320
N_OUTSIDE_NEAR = 22
N_NULL_ISLAND = 3


def event_neighbourhood(nb: Neighbourhoods, n_online: int = 30) -> int:
    """The neighbourhood of the June 2025 cluster: the most deprived of the most populous,
    away from the inner-east hot spot centre."""
    populous = np.argsort(-nb.pop, kind="stable")[:n_online]
    far = [i for i in populous if np.hypot(nb.x[i] - 2.6, nb.y[i] + 0.3) > 1.5]
    return int(max(far, key=lambda i: nb.deprivation[i]))


def _categories(rng: np.random.Generator, mix: dict[str, float], k: int) -> np.ndarray:
    names = list(mix)
    p = np.array([mix[c] for c in names])
    return np.array(names)[rng.choice(len(names), size=k, p=p / p.sum())]


def _outside_points(rng: np.random.Generator, loc: Locator, k: int) -> np.ndarray:
    """Mis-geocoded points: in the sea up to 6 km off the coast."""
    city = shapely.union_all(loc.polygons)
    minx, miny, maxx, maxy = city.buffer(0.06).bounds
    out = np.empty((0, 2))
    while len(out) < k:
        cand = np.round(rng.uniform((minx, miny), (maxx, maxy), size=(4 * k, 2)), 6)
        pts = shapely.points(cand)
        keep = ~shapely.intersects(city, pts) & (shapely.distance(city, pts) < 0.06)
        out = np.vstack((out, cand[keep]))
    return out[:k]


def incidents_table(rng: np.random.Generator, nb: Neighbourhoods, loc: Locator) -> pd.DataFrame:
    """About 20,000 incidents: background, three hot spots, a June 2025 cluster, 25 mis-geocoded."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    intensity = nb.pop * np.exp(0.55 * nb.deprivation)
    per_nb = rng.multinomial(N_BACKGROUND, intensity / intensity.sum())
    xy = np.vstack([sample_in_polygon(rng, loc, i, int(k)) for i, k in enumerate(per_nb) if k])
    parts.append((xy, sample_dates(rng, _month_weights(), len(xy)),
                  _categories(rng, _BACKGROUND_MIX, len(xy))))
    for centre, sd, k, active_from, mix in _HOTSPOTS:
        xy = sample_gaussian(rng, centre, sd, k, loc)
        dates = sample_dates(rng, _month_weights(active_from), k)
        parts.append((xy, dates, _categories(rng, mix, k)))
    event = event_neighbourhood(nb)
    centre = (float(nb.x[event]), float(nb.y[event]))
    near = sample_gaussian(rng, centre, 0.25, N_EVENT * 7 // 10, loc, within=event)
    spread = sample_in_polygon(rng, loc, event, N_EVENT - len(near))
    xy = np.vstack((near, spread))
    days = np.clip(np.round(rng.triangular(1, 15, 30, size=N_EVENT)), 1, 30).astype(int)
    dates = np.array([f"{EVENT_MONTH}-{d:02d}" for d in days])
    parts.append((xy, dates, _categories(rng, _EVENT_MIX, N_EVENT)))
    outside = np.vstack((_outside_points(rng, loc, N_OUTSIDE_NEAR), np.zeros((N_NULL_ISLAND, 2))))
    k = len(outside)
    dates = sample_dates(rng, _month_weights(), k)
    parts.append((outside, dates, _categories(rng, _BACKGROUND_MIX, k)))
    table = pd.DataFrame(
        {
            "date": np.concatenate([p[1] for p in parts]),
            "category": np.concatenate([p[2] for p in parts]),
            "lon": np.concatenate([p[0][:, 0] for p in parts]),
            "lat": np.concatenate([p[0][:, 1] for p in parts]),
        }
    )
    table = table.sort_values(["date", "category", "lon", "lat"], ignore_index=True)
    table.insert(0, "incident_id", [f"I{i + 1:06d}" for i in range(len(table))])
    return table


def format_points(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out["lon"] = _fmt(out["lon"], 6)
    out["lat"] = _fmt(out["lat"], 6)
    return out


# --------------------------------------------------------------------------- assets

_ASSET_LABELS: dict[str, tuple[str, ...]] = {
    "youth_centre": ("Youth Centre", "Youth Club", "Young People's Hub"),
    "community_centre": ("Community Centre", "Neighbourhood Hall", "Community Hub"),
    "library": ("Library",),
    "place_of_worship": (
        "Parish Church", "Mosque", "Gurdwara", "Synagogue", "Methodist Chapel",
        "Hindu Temple", "Buddhist Centre", "Pentecostal Church", "Catholic Church",
    ),
    "sports_club": ("Football Club", "Boxing Club", "Rowing Club", "Cricket Club",
                    "Netball Club", "Athletic Club", "Basketball Club"),
    "peace_committee": ("Peace Committee",),
    "residents_association": ("Residents' Association", "Tenants & Residents Group"),
    "parenting_network": ("Parents' Network", "Mums & Dads Circle"),
    "interfaith_forum": ("Interfaith Forum", "Faiths Together"),
    "mentoring_scheme": ("Mentoring Scheme", "Youth Mentors", "Step Up Mentoring"),
}
_ASSET_THEMES: dict[str, tuple[str, ...]] = {
    "youth_centre": ("youth",),
    "community_centre": ("culture",),
    "library": ("education", "culture"),
    "place_of_worship": ("interfaith", "culture"),
    "sports_club": ("sport", "youth"),
    "peace_committee": ("safety", "interfaith"),
    "residents_association": ("safety",),
    "parenting_network": ("women", "youth"),
    "interfaith_forum": ("interfaith",),
    "mentoring_scheme": ("youth", "employment", "education"),
}


def asset_gap_neighbourhoods(nb: Neighbourhoods) -> list[int]:
    """High-risk neighbourhoods left with no mechanism at all: the June 2025 cluster's
    neighbourhood and the three most deprived others."""
    event = event_neighbourhood(nb)
    deprived = [int(i) for i in np.argsort(-nb.deprivation, kind="stable") if i != event][:3]
    return sorted([event, *deprived])


def _themes(rng: np.random.Generator, base: Sequence[str], extra_max: int = 2) -> str:
    chosen = set(base)
    chosen.update(rng.choice(THEMES, size=int(rng.integers(0, extra_max + 1)), replace=False))
    return ";".join(t for t in THEMES if t in chosen)


def _centres(nb: Neighbourhoods) -> list[tuple[float, float]]:
    """The city centre and each district's most populous neighbourhood (its high street)."""
    centres = [(0.0, 0.0)]
    for district in DISTRICTS.values():
        members = [i for i, d in enumerate(nb.districts) if d == district]
        top = max(members, key=lambda i: nb.pop[i])
        centres.append((float(nb.x[top]), float(nb.y[top])))
    return centres


def assets_table(rng: np.random.Generator, nb: Neighbourhoods, loc: Locator) -> pd.DataFrame:
    """About 300 mechanisms, clustered around centres, thin in the deprived inner east."""
    gaps = set(asset_gap_neighbourhoods(nb))
    centres = _centres(nb)
    weights = nb.pop / nb.pop.sum()
    rows: list[dict[str, object]] = []
    used: set[str] = set()
    for kind, count in ASSET_KINDS.items():
        placed = 0
        while placed < count:
            if rng.uniform() < 0.6:
                centre = centres[int(rng.integers(len(centres)))]
                xy = sample_gaussian(rng, centre, 0.7, 1, loc)[0]
            else:
                xy = sample_in_polygon(rng, loc, int(rng.choice(len(weights), p=weights)), 1)[0]
            home = int(loc.locate(xy[None, :])[0])
            if home in gaps or (nb.deprivation[home] > 0.9 and rng.uniform() < 0.6):
                continue
            label = _ASSET_LABELS[kind][int(rng.integers(len(_ASSET_LABELS[kind])))]
            name = f"{nb.names[home]} {label}"
            suffix = 2
            while name in used:
                name, suffix = f"{nb.names[home]} {label} ({suffix})", suffix + 1
            used.add(name)
            formal = rng.uniform() < (0.3 if kind in INFORMAL_KINDS else 0.95)
            rows.append({"kind": kind, "name": name, "formal": "true" if formal else "false",
                         "themes": _themes(rng, _ASSET_THEMES[kind]),
                         "lon": xy[0], "lat": xy[1], "_code": nb.codes[home]})
            placed += 1
    table = pd.DataFrame(rows).sort_values(["_code", "kind", "name"], ignore_index=True)
    table.insert(0, "asset_id", [f"A{i + 1:04d}" for i in range(len(table))])
    return table.drop(columns="_code")


# --------------------------------------------------------------------------- survey


def incident_pressure(nb: Neighbourhoods, loc: Locator, incidents: pd.DataFrame) -> np.ndarray:
    """Standardised log incident rate per 1,000 residents, per neighbourhood."""
    where = loc.locate(incidents[["lon", "lat"]].to_numpy())
    counts = np.bincount(where[where >= 0], minlength=len(nb.codes))
    rate = np.log1p(counts / nb.pop * 1000)
    return (rate - rate.mean()) / rate.std()


def _likert(latent: np.ndarray) -> np.ndarray:
    return np.digitize(latent, [-1.3, -0.4, 0.5, 1.4]) + 1


def survey_table(
    rng: np.random.Generator, nb: Neighbourhoods, groups: pd.DataFrame, pressure: np.ndarray
) -> pd.DataFrame:
    """Weighted survey microdata: about 40–65 respondents per neighbourhood and year, ten
    neighbourhoods a year under 30, the 16–24 band under-represented in fifteen."""
    n = len(nb.codes)
    youth_shy = set(rng.choice(n, size=15, replace=False).tolist())
    event = event_neighbourhood(nb)
    frames = []
    for year in SURVEY_YEARS:
        size = np.round(38 + 22 * (nb.pop / nb.pop.max()) ** 0.6 + rng.normal(0, 4, n)).astype(int)
        small = rng.choice(n, size=10, replace=False)
        size[small] = rng.integers(12, 29, size=10)
        size = np.where(np.isin(np.arange(n), small), size, np.maximum(size, 36))
        band_pop = groups[groups["year"] == year].pivot(
            index="area_code", columns="age_band", values="population"
        ).loc[nb.codes, list(AGE_BANDS)].to_numpy(dtype=float)
        for i in range(n):
            frames.append(_respondents(rng, i, year, int(size[i]), band_pop[i], i in youth_shy,
                                       i == event, nb, pressure))
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["year", "nid", "age_band", "gender", "_order"], ignore_index=True)
    table.insert(0, "response_id", [f"R{i + 1:06d}" for i in range(len(table))])
    return table.drop(columns="_order")


def _respondents(
    rng: np.random.Generator, i: int, year: int, k: int, band_pop: np.ndarray,
    youth_shy: bool, hit_by_event: bool, nb: Neighbourhoods, pressure: np.ndarray,
) -> pd.DataFrame:
    """``k`` respondents of neighbourhood ``i``: age band by population share × response
    propensity, weights that re-balance the age bands (clipped to 0.4-3.0), answers from
    latent scores lowered by deprivation and incident pressure."""
    propensity = np.array([0.15 if youth_shy else 0.7, 1.0, 1.1, 1.3])
    p = band_pop * propensity
    band = rng.choice(4, size=k, p=p / p.sum())
    gender = rng.choice(3, size=k, p=[0.53, 0.45, 0.02])
    sample_share = np.bincount(band, minlength=4) / k
    pop_share = band_pop / band_pop.sum()
    cell_weight = np.divide(pop_share, sample_share, out=np.ones(4), where=sample_share > 0)
    weight = cell_weight[band] * np.array([0.95, 1.06, 1.0])[gender]
    weight = np.clip(weight * rng.lognormal(0, 0.08, size=k), 0.4, 3.0)
    d = nb.deprivation[i]
    # the June 2025 cluster dents trust and safety in its neighbourhood (less so a year on)
    after_event = hit_by_event * (1.0 if year == 2025 else 0.5)
    young = band == 0
    base = -0.45 * d - 0.40 * pressure[i] - 0.5 * after_event
    trust_gov = _likert(0.25 + base - 0.15 * young + rng.normal(0, 1, k))
    trust_nb = _likert(0.45 + base * 0.7 + 0.2 * (band == 3) + rng.normal(0, 1, k))
    safe_logit = 1.1 - 0.45 * d - 0.45 * pressure[i] + 0.35 * (gender == 1) - 0.4 * after_event
    hate_logit = -2.1 + 0.5 * pressure[i] + 0.2 * d + 0.8 * (gender == 2) + 0.3 * young
    return pd.DataFrame(
        {
            "nid": nb.codes[i],
            "year": year,
            "weight": _fmt(weight, 3),
            "age_band": np.array(AGE_BANDS)[band],
            "gender": np.array(["female", "male", "other"])[gender],
            "trust_local_gov": trust_gov,
            "feel_safe": (rng.uniform(size=k) < 1 / (1 + np.exp(-safe_logit))).astype(int),
            "experienced_hate": (rng.uniform(size=k) < 1 / (1 + np.exp(-hate_logit))).astype(int),
            "trust_neighbours": trust_nb,
            "_order": np.arange(k),
        }
    )


# --------------------------------------------------------------------------- online signals

_PLATFORMS = {"forum": 0.8, "video": 1.2, "messaging": 0.6}
_ONLINE_CATEGORIES = {"hate_speech": 1.0, "extremist_content": 0.35, "disinformation": 0.7}
N_ONLINE_NEIGHBOURHOODS = 30


def online_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """Monthly counts for the 30 most populous neighbourhoods plus city-wide rows (nid empty),
    with a spike in July 2025, the month after the June 2025 incident cluster."""
    months = _month_starts()
    trend = (1 + 0.15 * np.arange(len(months)) / len(months)) * (
        1 + 0.1 * np.sin(2 * np.pi * (months.astype(int) % 12) / 12)
    )
    event = event_neighbourhood(nb)
    spike = {str(np.datetime64(EVENT_MONTH, "M")): 1.3, SPIKE_MONTH: 6.0, "2025-08": 2.0}
    populous = sorted(np.argsort(-nb.pop, kind="stable")[:N_ONLINE_NEIGHBOURHOODS].tolist())
    city_wide = {SPIKE_MONTH: 3.0, "2025-08": 1.4}
    series: list[tuple[str, float, dict[str, float]]] = [("", 45.0, city_wide)]
    for i in populous:
        base = 5.0 * nb.pop[i] / 5000 * np.exp(0.3 * nb.deprivation[i])
        series.append((nb.codes[i], float(base), spike if i == event else {}))
    rows = []
    for nid, base, boosts in series:
        boost = np.array([boosts.get(str(m), 1.0) for m in months])
        for platform, pf in _PLATFORMS.items():
            for category, cf in _ONLINE_CATEGORIES.items():
                lam = base * pf * cf * trend * boost
                counts = rng.poisson(lam)
                rows.append(pd.DataFrame({"period": months.astype(str), "nid": nid,
                                          "platform": platform, "category": category,
                                          "count": counts}))
    table = pd.concat(rows, ignore_index=True)
    return table.sort_values(["period", "nid", "platform", "category"], ignore_index=True)


# --------------------------------------------------------------------------- registers

_STAKEHOLDERS: tuple[tuple[str, str, str, str], ...] = (
    # (name, sector, base themes, reach: "all", "district" or "local")
    ("Port Averlane City Council - Community Safety Team", "municipality", "safety", "all"),
    ("Port Averlane City Council - Youth Services", "municipality", "youth;education", "all"),
    ("Port Averlane City Council - Housing Department", "municipality", "safety", "all"),
    ("Port Averlane City Council - Public Health", "municipality", "mental_health", "all"),
    ("Port Averlane City Council - Cohesion & Equalities Unit", "municipality",
     "interfaith;culture", "all"),
    ("Port Averlane City Council - Employment & Skills", "municipality", "employment", "all"),
    ("{district} District Office", "municipality", "safety", "district"),
    ("{district} District Office", "municipality", "safety", "district"),
    ("{district} District Office", "municipality", "safety", "district"),
    ("Averlane Police - Hate Crime Unit", "police", "safety", "all"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Victim Support Line", "civil_society", "safety;mental_health", "all"),
    ("Harbour Lights Refugee Welcome", "civil_society", "employment;education", "all"),
    ("Averlane Women's Network", "civil_society", "women", "all"),
    ("Rainbow Averlane", "civil_society", "safety;mental_health", "all"),
    ("{place} Neighbourhood Trust", "civil_society", "culture", "local"),
    ("{place} Good Neighbours", "civil_society", "safety", "local"),
    ("{place} Community Kitchen", "civil_society", "culture;employment", "local"),
    ("Averlane Disability Forum", "civil_society", "mental_health", "all"),
    ("Tideline Mediation Service", "civil_society", "safety;interfaith", "all"),
    ("{district} Community Partnership", "civil_society", "culture", "district"),
    ("{district} Community Partnership", "civil_society", "culture", "district"),
    ("Averlane College", "education", "education;employment", "all"),
    ("{place} Academy", "education", "education;youth", "local"),
    ("{place} Academy", "education", "education;youth", "local"),
    ("{place} Primary School", "education", "education", "local"),
    ("{place} Primary School", "education", "education", "local"),
    ("Averlane Adult Learning Service", "education", "education;employment", "all"),
    ("Port Averlane General Hospital - Community Liaison", "health", "mental_health", "all"),
    ("{place} Health Centre", "health", "mental_health", "local"),
    ("{place} Health Centre", "health", "mental_health", "local"),
    ("Averlane Young Minds", "health", "mental_health;youth", "all"),
    ("Averlane Council of Faiths", "faith", "interfaith", "all"),
    ("{place} Churches Together", "faith", "interfaith;culture", "local"),
    ("{place} Mosque Committee", "faith", "interfaith;youth", "local"),
    ("{district} Faith Leaders Group", "faith", "interfaith", "district"),
    ("Averlane Hebrew Congregation", "faith", "interfaith;culture", "all"),
    ("{place} Gurdwara Sewa Group", "faith", "interfaith", "local"),
    ("Averlane Youth Parliament", "youth", "youth", "all"),
    ("{place} Youth Collective", "youth", "youth;sport", "local"),
    ("{place} Youth Collective", "youth", "youth;culture", "local"),
    ("Harbourside Boxing Academy", "youth", "sport;youth", "district"),
    ("Averlane Scouts & Guides", "youth", "youth", "all"),
    ("{district} Street Sport", "youth", "sport;youth", "district"),
    ("{place} Detached Youth Work", "youth", "youth;safety", "local"),
    ("Port Averlane Chamber of Commerce", "business", "employment", "all"),
    ("{district} Traders' Association", "business", "employment;safety", "district"),
    ("Averlane Harbour Employers' Group", "business", "employment", "district"),
    ("{place} Market Traders", "business", "employment", "local"),
    ("Averlane Evening Post", "media", "culture", "all"),
    ("Harbour FM Community Radio", "media", "culture;youth", "all"),
    ("Averlane Local TV", "media", "culture", "all"),
    ("{district} Residents' Newsletter", "media", "culture", "district"),
    ("{place} Sports & Social Club", "youth", "sport", "local"),
    ("Averlane Mentoring Network", "civil_society", "youth;employment", "all"),
    ("{district} Parents' Forum", "civil_society", "youth;women", "district"),
    ("Averlane Interfaith Women's Circle", "faith", "interfaith;women", "all"),
)


def _slug(text: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else " " for c in text)
    return ".".join(keep.split())


def _nearby(nb: Neighbourhoods, home: int, radius_km: float, exclude: set[int]) -> list[str]:
    """Codes within ``radius_km`` of a neighbourhood's centroid, nearest first."""
    dist = np.hypot(nb.x - nb.x[home], nb.y - nb.y[home])
    order = np.argsort(dist, kind="stable")
    return [nb.codes[i] for i in order if dist[i] <= radius_km and i not in exclude]


def stakeholders_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """About 60 partners; local ones serve nearby neighbourhoods, rarely the gap neighbourhoods."""
    gaps = set(asset_gap_neighbourhoods(nb))
    districts = list(DISTRICTS.values())
    rows = []
    used: set[str] = set()
    for template, sector, base, reach in _STAKEHOLDERS:
        while True:
            home = int(rng.choice(len(nb.codes), p=nb.pop / nb.pop.sum()))
            district = districts[int(rng.integers(len(districts)))] if reach == "district" else ""
            name = template.format(district=district, place=nb.names[home])
            if name not in used:
                break
        used.add(name)
        if reach == "all":
            serves = "all"
        elif reach == "district":
            members = zip(nb.codes, nb.districts, strict=True)
            serves = ";".join(c for c, d in members if d == district)
        else:
            near = _nearby(nb, home, float(rng.uniform(0.8, 1.6)), gaps) or [nb.codes[home]]
            serves = ";".join(sorted(near))
        rows.append({"name": name, "sector": sector, "themes": _themes(rng, base.split(";"), 1),
                     "serves": serves, "contact": f"{_slug(name)}@example.org"})
    table = pd.DataFrame(rows).sort_values(["sector", "name"], ignore_index=True)
    table.insert(0, "stakeholder_id", [f"S{i + 1:03d}" for i in range(len(table))])
    return table


_FORMAT_SIZE = {
    "survey": (150, 900),
    "focus_group": (6, 14),
    "roundtable": (8, 25),
    "workshop": (12, 40),
    "public_meeting": (25, 160),
}
_SUMMARIES = (
    "Residents raised concerns about {a} and asked for more joint work on {b}.",
    "Participants described {a} as the main worry; several praised local work on {b}.",
    "Discussion focused on {a}; people asked the council to report back on {b}.",
    "Mixed views on {a}, broad support for investing in {b}.",
    "Young people and parents linked {a} to {b} and asked for safe spaces.",
)
_THEME_WORDS = {
    "youth": "youth provision", "women": "women's safety", "interfaith": "relations between faiths",
    "education": "schools", "sport": "sport and leisure", "mental_health": "mental health",
    "employment": "jobs and training", "safety": "feeling safe in public spaces",
    "culture": "local events and culture",
}
N_CONSULTATIONS = 90
HARD_TO_HEAR = ("recent_arrivals", "lgbtq")
HARD_TO_HEAR_UNTIL = "2025-10-01"


def consultations_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """About 90 listening events 2024-02..2026-11; 20 neighbourhoods never consulted and
    recent arrivals and LGBTQ residents not heard since before October 2025."""
    n = len(nb.codes)
    never = set(rng.choice(n, size=20, replace=False).tolist())
    never.add(asset_gap_neighbourhoods(nb)[0])  # a high-risk neighbourhood never heard
    start, end = np.datetime64("2024-02-01"), np.datetime64("2026-11-20")
    days = np.sort(rng.integers(0, int((end - start).astype(int)) + 1, size=N_CONSULTATIONS))
    rows = []
    for day in days:
        date = start + int(day)
        fmt = list(_FORMAT_SIZE)[int(rng.choice(5, p=[0.15, 0.3, 0.2, 0.2, 0.15]))]
        if fmt == "survey" or rng.uniform() < 0.1:
            nid = ""
        else:
            home = int(rng.choice([i for i in range(n) if i not in never]))
            codes = _nearby(nb, home, float(rng.uniform(0.5, 2.0)), never)[:6]
            nid = ";".join(sorted(codes))
        allowed = [g for g in GROUPS if g not in HARD_TO_HEAR or str(date) < HARD_TO_HEAR_UNTIL]
        groups = sorted(rng.choice(allowed, size=int(rng.integers(1, 4)), replace=False),
                        key=GROUPS.index)
        themes = _themes(rng, [], 2) or str(rng.choice(THEMES))
        words = [_THEME_WORDS[t] for t in themes.split(";")]
        summary = _SUMMARIES[int(rng.integers(len(_SUMMARIES)))].format(
            a=words[0], b=words[-1] if len(words) > 1 else "local services"
        )
        low, high = _FORMAT_SIZE[fmt]
        rows.append({"date": str(date), "nid": nid, "format": fmt, "groups": ";".join(groups),
                     "participants": int(rng.integers(low, high + 1)), "themes": themes,
                     "summary": summary})
    table = pd.DataFrame(rows)
    return table.sort_values(["date", "nid", "format"], ignore_index=True, kind="stable")


# --------------------------------------------------------------------------- labels, config, readme

LABELS: tuple[tuple[str, str, str], ...] = (
    ("unemployed_pct", "Unemployment", "%"),
    ("youth_unemployed_pct", "Youth unemployment (16–24)", "%"),
    ("median_income", "Median household income", "currency/year"),
    ("no_qualifications_pct", "Adults with no qualifications", "%"),
    ("overcrowded_pct", "Overcrowded households", "%"),
    ("poor_health_pct", "Residents in bad or very bad health", "%"),
    ("service_access", "Access to services within 15 minutes (health, education, transport)",
     "index 0–100"),
    ("residential_turnover_pct", "Residents who moved in during the last year", "%"),
    ("population", "Residents aged 16+ (by age band)", "people"),
)

_SOURCES: tuple[dict[str, str], ...] = (
    {"id": "census", "name": "Annual population and housing estimates (fictional)",
     "owner": "Port Averlane Statistics Office (fictional)", "licence": "Open data (fictional)",
     "collected": "2026-03", "refresh": "P1Y", "method": "census-based small-area estimates",
     "known_biases": "undercounts recent arrivals and people in temporary housing",
     "coverage": "all 150 neighbourhoods, 2024-2026"},
    {"id": "labour-survey", "name": "Small-area labour market estimates (fictional)",
     "owner": "Port Averlane Statistics Office (fictional)", "licence": "Open data (fictional)",
     "collected": "2026-06", "refresh": "P1Y", "method": "survey-based model estimates by age band",
     "known_biases": "wide margins for small neighbourhoods; 65+ rates unstable",
     "coverage": "all 150 neighbourhoods, 2024-2026, four age bands"},
    {"id": "police", "name": "Recorded hate crimes and incidents (fictional)",
     "owner": "Averlane Police (fictional)", "licence": "Restricted: analyst use only",
     "collected": "2026-10", "refresh": "P3M",
     "method": "recorded crime and incident reports, geocoded",
     "known_biases": "under-reporting, especially by recent arrivals; a few records mis-geocoded",
     "coverage": "2024-01-01 to 2026-10-31, whole city"},
    {"id": "asset-register", "name": "Register of community mechanisms and facilities (fictional)",
     "owner": "City Council Cohesion & Equalities Unit (fictional)",
     "licence": "Open data (fictional)",
     "collected": "2024-09", "refresh": "P1Y", "method": "partner returns and desk research",
     "known_biases": "informal groups under-recorded; not updated since September 2024",
     "coverage": "whole city"},
    {"id": "resilience-survey", "name": "Community resilience survey (fictional)",
     "owner": "City Council Public Health (fictional)", "licence": "Restricted: aggregate use only",
     "collected": "2026-05", "refresh": "P1Y",
     "method": "address-based sample, weighted by age band",
     "known_biases": "16-24 under-represented in several neighbourhoods; "
                     "small samples in ten a year",
     "coverage": "all 150 neighbourhoods, 2025 and 2026"},
    {"id": "online-monitoring", "name": "Online harms monitoring (fictional)",
     "owner": "Averlane Online Safety Partnership (fictional)", "licence": "Restricted",
     "collected": "2026-11", "refresh": "P1M",
     "method": "automated classifier on public posts, geolocated where possible",
     "known_biases": "classifier errors; only the 30 most populous neighbourhoods geolocated",
     "coverage": "2024-01 to 2026-10, monthly"},
    {"id": "partner-register", "name": "Partner and stakeholder register (fictional)",
     "owner": "City Council Community Safety Team (fictional)",
     "licence": "Internal: contacts must not be published", "collected": "2026-06",
     "refresh": "P1Y", "method": "maintained by the prevention coordinator",
     "known_biases": "partners the council already works with are over-represented",
     "coverage": "whole city"},
    {"id": "listening-log", "name": "Consultation and listening log (fictional)",
     "owner": "City Council Community Engagement (fictional)", "licence": "Internal",
     "collected": "2026-11", "refresh": "P3M", "method": "log of consultation events",
     "known_biases": "records events, not the views of people who did not attend",
     "coverage": "2024-02 to 2026-11"},
)


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def city_toml() -> str:
    """The city configuration (DESIGN.md §3), every path relative to this file."""
    description = (
        "A FICTIONAL, SYNTHETIC demo city generated by `python -m citygeo.demo`. "
        "It is placed in the open South Atlantic, where there is no land; every "
        "neighbourhood, figure, name and address is invented and describes no real place or person."
    )
    socio_cols = ", ".join(_toml_str(c) for c, _, _ in LABELS[:8])
    items = '["trust_local_gov", "feel_safe", "experienced_hate", "trust_neighbours"]'
    text = f"""# Port Averlane: a FICTIONAL, SYNTHETIC demo city (`python -m citygeo.demo`).

indicator_labels = "indicators/labels.csv"

[city]
name = "{CITY_NAME}"
fictional = true
description = {_toml_str(description)}
projected_crs = "EPSG:32727"

[boundaries]
path = "boundaries/neighbourhoods.geojson"
id = "code"
name = "name"
district = "district"
population = "pop"

[[indicators]]
path = "indicators/socioeconomic.csv"
id = "area_code"
year = "year"
columns = [{socio_cols}]
source = "census"

[[indicators]]
path = "indicators/population_groups.csv"
id = "area_code"
year = "year"
group = "age_band"
columns = ["population", "unemployed_pct"]
source = "labour-survey"

[[points]]
kind = "incidents"
path = "points/incidents.csv"
id = "incident_id"
lon = "lon"
lat = "lat"
date = "date"
category = "category"
source = "police"

[[points]]
kind = "assets"
path = "points/assets.csv"
id = "asset_id"
lon = "lon"
lat = "lat"
category = "kind"
name = "name"
formal = "formal"
themes = "themes"
source = "asset-register"

[survey]
path = "survey/responses.csv"
id = "nid"
year = "year"
weight = "weight"
groups = ["age_band", "gender"]
items = {items}
source = "resilience-survey"

[online]
path = "online/signals.csv"
source = "online-monitoring"

[registers]
stakeholders = "registers/stakeholders.csv"
consultations = "registers/consultations.csv"
source = "partner-register"
consultations_source = "listening-log"
"""
    for src in _SOURCES:
        text += f"\n[sources.{src['id']}]\n"
        for key in ("name", "owner", "licence", "collected", "refresh", "method",
                    "known_biases", "coverage"):
            text += f"{key} = {_toml_str(src[key])}\n"
    text += '\n[methodology]\npath = "methodology.toml"\n'
    return text


def readme_text(counts: dict[str, int], seed: int) -> str:
    return f"""# Port Averlane — a fictional, synthetic demo city

**Everything in this `data/` folder is FICTIONAL and SYNTHETIC.** Port Averlane is an
invented city; it matches no real place. Its coordinates put it on an imaginary island in
the open South Atlantic (around lon -25.0, lat -40.0) where there is no land, so no
invented figure can attach to a real place. All neighbourhood names, districts,
population figures, indicators, incidents, survey answers, online counts, organisations,
addresses (at example.org) and consultation notes are made up; any resemblance to real
places, organisations or people is coincidental.

The files are generated by `python -m citygeo.demo` (seed {seed}); running it again
gives byte-identical files, and `tests/test_demo.py` checks that the committed files
match their generator. Do not edit them by hand: change `citygeo/demo.py` and regenerate.

Files (paths relative to this folder):

- `city.toml`: the city configuration (DESIGN.md §3).
- `boundaries/neighbourhoods.geojson`: {counts['neighbourhoods']} neighbourhoods in 8
  districts (`code`, `name`, `district`, `pop`).
- `indicators/socioeconomic.csv`: indicators per neighbourhood and year, 2024-2026; two
  2026 `poor_health_pct` values are missing on purpose.
- `indicators/population_groups.csv`: residents aged 16+ and unemployment by age band.
- `indicators/labels.csv`: plain-English label and unit of each indicator column.
- `points/incidents.csv`: {counts['incidents']:,} incidents, 2024-01-01 to 2026-10-31;
  about 25 fall outside the city (mis-geocoded) on purpose.
- `points/assets.csv`: {counts['assets']} community mechanisms and facilities.
- `survey/responses.csv`: {counts['responses']:,} weighted survey responses, 2025 and 2026.
- `online/signals.csv`: monthly online-signal counts; rows with an empty `nid` are
  signals placed only at city level (not a total of the neighbourhood rows).
- `registers/stakeholders.csv`: {counts['stakeholders']} partners; the `contact` column
  is sensitive and must not be published.
- `registers/consultations.csv`: {counts['consultations']} consultation events; an empty
  `nid` means city-wide.
- `methodology.toml` is written by hand, not by the generator.

Patterns built in: a deprived inner east (the old docks) and an affluent west and
north; deprivation indicators that move together; three incident hot spots (one in
the deprived inner east, one in the city centre, one emerging in 2025 in the affluent
north-west) and a one-month cluster in June 2025 in one neighbourhood, followed by an
online spike in July 2025; mechanisms clustered around district centres with gaps in
some high-risk neighbourhoods; some neighbourhoods never consulted, and recent arrivals
and LGBTQ residents not heard since before October 2025; the asset register is overdue
for review.
"""


# --------------------------------------------------------------------------- entry points

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data"


def generate(out_dir: Path, seed: int = SEED) -> dict[str, Path]:
    """Write every file of the demo city under ``out_dir`` and return their paths by name.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing); files already there are overwritten.
        ``data/methodology.toml`` is not written: it is maintained separately.
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives byte-identical files.

    Returns
    -------
    dict[str, Path]
        ``{"city": …/city.toml, "boundaries": …, "socioeconomic": …, …}``.
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    nb = make_neighbourhoods(rng)
    loc = Locator(nb.polygons)
    socio = socioeconomic_table(rng, nb)
    groups = population_groups_table(rng, nb, socio)
    incidents = incidents_table(rng, nb, loc)
    assets = assets_table(rng, nb, loc)
    responses = survey_table(rng, nb, groups, incident_pressure(nb, loc, incidents))
    online = online_table(rng, nb)
    stakeholders = stakeholders_table(rng, nb)
    consultations = consultations_table(rng, nb)
    paths = {
        "boundaries": out_dir / "boundaries" / "neighbourhoods.geojson",
        "socioeconomic": out_dir / "indicators" / "socioeconomic.csv",
        "population_groups": out_dir / "indicators" / "population_groups.csv",
        "labels": out_dir / "indicators" / "labels.csv",
        "incidents": out_dir / "points" / "incidents.csv",
        "assets": out_dir / "points" / "assets.csv",
        "survey": out_dir / "survey" / "responses.csv",
        "online": out_dir / "online" / "signals.csv",
        "stakeholders": out_dir / "registers" / "stakeholders.csv",
        "consultations": out_dir / "registers" / "consultations.csv",
        "city": out_dir / "city.toml",
        "readme": out_dir / "README.md",
    }
    paths["boundaries"].parent.mkdir(parents=True, exist_ok=True)
    _write_text(paths["boundaries"], neighbourhoods_geojson(nb))
    _write_csv(format_socioeconomic(socio), paths["socioeconomic"])
    _write_csv(groups, paths["population_groups"])
    _write_csv(pd.DataFrame(list(LABELS), columns=["indicator", "label", "unit"]), paths["labels"])
    _write_csv(format_points(incidents), paths["incidents"])
    _write_csv(format_points(assets), paths["assets"])
    _write_csv(responses, paths["survey"])
    _write_csv(online, paths["online"])
    _write_csv(stakeholders, paths["stakeholders"])
    _write_csv(consultations, paths["consultations"])
    _write_text(paths["city"], city_toml())
    counts = {"neighbourhoods": len(nb.codes), "incidents": len(incidents), "assets": len(assets),
              "responses": len(responses), "stakeholders": len(stakeholders),
              "consultations": len(consultations)}
    _write_text(paths["readme"], readme_text(counts, seed))
    log.info("wrote the fictional demo city %s to %s (%s)", CITY_NAME, out_dir,
             ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return paths


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m citygeo.demo [--out DIR] [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m citygeo.demo",
        description=f"Generate the fictional demo city {CITY_NAME} (synthetic data).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder to write into (default: the repository's data/ folder)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate(args.out, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
