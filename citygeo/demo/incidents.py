"""The incidents: a background process proportional to population × exp(deprivation),
three persistent hot spots (one in the deprived inner east, one in the city centre, one that
emerges in 2025 in the affluent north-west), a one-month cluster in June 2025 in one
neighbourhood (which the online spike of July 2025 follows), and a few mis-geocoded points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from citygeo.demo.common import EVENT_MONTH, Neighbourhoods, month_starts
from citygeo.demo.sampling import Locator, sample_dates, sample_gaussian, sample_in_polygon

INCIDENT_CATEGORIES: tuple[str, ...] = (
    "hate_crime",
    "hate_incident",
    "extremist_propaganda",
    "intercommunal_violence",
    "targeted_vandalism",
)


def _month_weights(active_from: str | None = None) -> np.ndarray:
    """A weight per month: a spring/summer peak, a slow rise, zero before ``active_from``."""
    months = month_starts()
    index = np.arange(len(months))
    month_of_year = months.astype(int) % 12  # 0 = January
    weights = (1 + 0.18 * np.sin(2 * np.pi * (month_of_year - 3) / 12)) * (1 + 0.05 * index / 12)
    if active_from is not None:
        weights = weights * (months >= np.datetime64(active_from, "M"))
    return weights


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
        {
            "extremist_propaganda": 0.35,
            "hate_incident": 0.30,
            "targeted_vandalism": 0.20,
            "hate_crime": 0.13,
            "intercommunal_violence": 0.02,
        },
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
    parts.append(
        (
            xy,
            sample_dates(rng, _month_weights(), len(xy)),
            _categories(rng, _BACKGROUND_MIX, len(xy)),
        )
    )
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
