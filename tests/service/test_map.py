"""The map's incident hexagons: counted in the store, for the year and categories shown."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from citygeo.geo.hexgrid import frame_scale, hex_centre, hex_ring
from citygeo.scoring import load_methodology
from citygeo.service.map import incident_categories, incident_hexes
from citygeo.settings import demo_data_dir
from citygeo.store import Store


def _points(store: Store, where: str = "TRUE") -> np.ndarray:
    frame = store.query(
        f"SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM incidents WHERE geom IS NOT NULL "
        f"AND {where}"
    )
    return frame[["lon", "lat"]].to_numpy()


def _nearest_centre_counts(
    points: np.ndarray, size_m: float, latitude: float
) -> Counter[tuple[int, int]]:
    """An independent oracle: each point to the nearest cell centre, searched among the cells
    around its floating axial coordinates (no cube rounding)."""
    kx, ky = frame_scale(latitude)
    counts: Counter[tuple[int, int]] = Counter()
    for lon, lat in points:
        x, y = lon * kx, lat * ky
        r0 = y / (1.5 * size_m)
        q0 = x / (math.sqrt(3) * size_m) - r0 / 2

        def distance(cell: tuple[int, int], x: float = x, y: float = y) -> float:
            cx, cy = hex_centre(cell[0], cell[1], size_m, latitude)
            return (cx * kx - x) ** 2 + (cy * ky - y) ** 2

        candidates = [
            (q, r)
            for q in range(math.floor(q0) - 1, math.floor(q0) + 3)
            for r in range(math.floor(r0) - 1, math.floor(r0) + 3)
        ]
        best = min(candidates, key=distance)
        counts[best] += 1
    return counts


def test_hexagons_are_the_nearest_cell_centre(demo_store: Path) -> None:
    store = Store(demo_store)
    cells = incident_hexes(store, 1, year=2025, size_m=400.0)
    latitude = float(
        store.query(
            "SELECT (ST_YMin(ST_Extent_Agg(geom)) + ST_YMax(ST_Extent_Agg(geom))) / 2 "
            "AS lat FROM neighbourhoods"
        )["lat"].iloc[0]
    )
    expected = _nearest_centre_counts(_points(store, "year(occurred_on) = 2025"), 400.0, latitude)
    assert (
        dict(zip(zip(cells["q"], cells["r"], strict=True), cells["count"], strict=True)) == expected
    )
    ring = np.array(cells["polygon"].iloc[0])
    assert ring.shape == (7, 2) and (ring[0] == ring[-1]).all()
    assert ring.tolist() == hex_ring(
        int(cells["q"].iloc[0]), int(cells["r"].iloc[0]), 400.0, latitude
    )


def test_hexagons_follow_the_year_and_the_category_shown(demo_store: Path) -> None:
    """The bug the old overlay had: it pooled every year and category under a one-year map."""
    store = Store(demo_store)
    by_year = {y: incident_hexes(store, 1, year=y) for y in (2024, 2025, 2026)}
    pooled = incident_hexes(store, 1)
    for y, cells in by_year.items():
        assert cells["count"].sum() == len(_points(store, f"year(occurred_on) = {y}"))
    assert sum(c["count"].sum() for c in by_year.values()) == pooled["count"].sum()
    assert not by_year[2024].equals(by_year[2025])
    hate = incident_hexes(store, 1, year=2025, categories=["hate_crime"])
    assert hate["count"].sum() == len(
        _points(store, "year(occurred_on) = 2025 AND category = 'hate_crime'")
    )
    assert 0 < hate["count"].sum() < by_year[2025]["count"].sum()


def test_small_cells_are_hidden(demo_store: Path) -> None:
    store = Store(demo_store)
    shown = incident_hexes(store, 5, year=2025)
    every = incident_hexes(store, 1, year=2025)
    assert (shown["count"] >= 5).all()
    assert (
        shown["count"].sum() == every.loc[every["count"] >= 5, "count"].sum() < every["count"].sum()
    )


def test_the_overlay_counts_the_categories_of_the_measure_shown() -> None:
    m = load_methodology(demo_data_dir() / "methodology.toml")
    incident_measure = next(x for x in m.measures if x.source == "incidents" and x.categories)
    assert incident_categories(m, f"raw__{incident_measure.id}") == tuple(
        sorted(incident_measure.categories)
    )
    assert incident_categories(m, "risk_score") is None
    other = next(x for x in m.measures if x.source != "incidents")
    assert incident_categories(m, f"measure__{other.id}") is None
    with pytest.raises(StopIteration):
        next(x for x in m.measures if x.id == "no such measure")
