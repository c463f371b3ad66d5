"""What every part of the demo city shares: its fixed facts (seed, name, place, years,
districts, themes), the ``Neighbourhoods`` record, the local km frame, and small helpers for
months, themes and fixed-decimal numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from shapely.geometry import Polygon

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
THEMES: tuple[str, ...] = (
    "youth",
    "women",
    "interfaith",
    "education",
    "sport",
    "mental_health",
    "employment",
    "safety",
    "culture",
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


def format_floats(values: Sequence[float] | np.ndarray | pd.Series, decimals: int) -> list[str]:
    """Format floats with a fixed number of decimals; NaN becomes an empty cell."""
    out = []
    for v in np.asarray(values, dtype=float):
        out.append("" if np.isnan(v) else f"{v:.{decimals}f}")
    return out


def month_starts() -> np.ndarray:
    """Every month of the demo's period, ``FIRST_MONTH`` to ``LAST_MONTH`` (datetime64[M])."""
    months = np.arange(np.datetime64(FIRST_MONTH, "M"), np.datetime64(LAST_MONTH, "M") + 1)
    return months


def pick_themes(rng: np.random.Generator, base: Sequence[str], extra_max: int = 2) -> str:
    """The ``base`` themes plus up to ``extra_max`` random others, ``;``-joined in THEMES order."""
    chosen = set(base)
    chosen.update(rng.choice(THEMES, size=int(rng.integers(0, extra_max + 1)), replace=False))
    return ";".join(t for t in THEMES if t in chosen)
