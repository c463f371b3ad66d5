"""Server-side hexagon binning of points (pure, L1): no raw point ever reaches a browser.

A pointy-topped hexagonal grid is laid over lon/lat, with the
longitude axis scaled by ``cos(latitude)`` at the data's mean latitude so the cells are
(nearly) regular on the ground. Each point goes to the hexagon whose centre is nearest
(cube-coordinate rounding); the caller hides cells under the suppression threshold.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

METRES_PER_DEGREE = 111_320.0


def _cube_round(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = -q - r
    rq, rr, rs = np.round(q), np.round(r), np.round(s)
    dq, dr, ds = np.abs(rq - q), np.abs(rr - r), np.abs(rs - s)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    return rq.astype(np.int64), rr.astype(np.int64)


def hex_bins(lon: np.ndarray, lat: np.ndarray, size_m: float) -> pd.DataFrame:
    """Count points per hexagon of circumradius ``size_m`` metres.

    Returns
    -------
    DataFrame
        ``q, r, count, polygon`` — axial cell coordinates, the number of points and the
        hexagon's ring as ``[[lon, lat], …]`` (closed), rounded to 5 decimals.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    keep = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[keep], lat[keep]
    if lon.size == 0:
        return pd.DataFrame(columns=["q", "r", "count", "polygon"])
    lat0 = float(lat.mean())
    kx = METRES_PER_DEGREE * math.cos(math.radians(lat0))
    x, y = lon * kx / size_m, lat * METRES_PER_DEGREE / size_m
    q, r = _cube_round(math.sqrt(3) / 3 * x - y / 3, 2 / 3 * y)
    cells = pd.DataFrame({"q": q, "r": r}).value_counts().rename("count").reset_index()
    cells["polygon"] = [_ring(int(a), int(b), size_m, kx) for a, b in zip(cells["q"], cells["r"], strict=True)]
    return cells


def _ring(q: int, r: int, size_m: float, kx: float) -> list[list[float]]:
    cx = size_m * math.sqrt(3) * (q + r / 2)
    cy = size_m * 1.5 * r
    ring = []
    for k in range(7):
        angle = math.radians(60 * (k % 6) - 30)
        ring.append([round((cx + size_m * math.cos(angle)) / kx, 5),
                     round((cy + size_m * math.sin(angle)) / METRES_PER_DEGREE, 5)])
    return ring
