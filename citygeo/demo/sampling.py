"""Where and when points fall: locating points in neighbourhoods, sampling points in a
neighbourhood or around a centre, sampling dates by month weight, formatting coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from citygeo.demo.common import format_floats, km_to_lonlat, month_starts


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


def sample_dates(rng: np.random.Generator, month_weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` ISO dates: a month drawn by weight, then a uniform day of that month."""
    months = month_starts()
    pick = rng.choice(len(months), size=k, p=month_weights / month_weights.sum())
    start = months[pick].astype("datetime64[D]")
    length = ((months[pick] + 1).astype("datetime64[D]") - start).astype(int)
    day = np.floor(rng.uniform(0, 1, size=k) * length).astype(int)
    return (start + day).astype(str)


def format_points(table: pd.DataFrame) -> pd.DataFrame:
    """The points table with ``lon`` and ``lat`` as 6-decimal text, ready for a CSV."""
    out = table.copy()
    out["lon"] = format_floats(out["lon"], 6)
    out["lat"] = format_floats(out["lat"], 6)
    return out
