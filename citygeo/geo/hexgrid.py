"""A hexagonal grid for counting incidents server-side (pure, L1): no raw point reaches a browser.

A pointy-topped grid of hexagons of circumradius ``size_m`` metres is laid over lon/lat with a
local equirectangular frame (the longitude axis scaled by ``cos(latitude)`` at the city's centre),
so cells are (nearly) regular on the ground. The store counts points per cell
(``store.reads.incident_hex_counts``, cube rounding in SQL); this module gives the frame and
draws a cell's outline. The caller hides cells under the suppression threshold.
"""

from __future__ import annotations

import math

METRES_PER_DEGREE = 111_320.0


def frame_scale(latitude: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at ``latitude``."""
    return METRES_PER_DEGREE * math.cos(math.radians(latitude)), METRES_PER_DEGREE


def hex_centre(q: int, r: int, size_m: float, latitude: float) -> tuple[float, float]:
    """The lon/lat of the centre of axial cell ``(q, r)``."""
    kx, ky = frame_scale(latitude)
    return size_m * math.sqrt(3) * (q + r / 2) / kx, size_m * 1.5 * r / ky


def hex_ring(q: int, r: int, size_m: float, latitude: float) -> list[list[float]]:
    """The closed ring ``[[lon, lat], …]`` of axial cell ``(q, r)``, rounded to 5 decimals."""
    kx, ky = frame_scale(latitude)
    cx, cy = size_m * math.sqrt(3) * (q + r / 2), size_m * 1.5 * r
    ring = []
    for k in range(7):
        angle = math.radians(60 * (k % 6) - 30)
        ring.append(
            [
                round((cx + size_m * math.cos(angle)) / kx, 5),
                round((cy + size_m * math.sin(angle)) / ky, 5),
            ]
        )
    return ring
