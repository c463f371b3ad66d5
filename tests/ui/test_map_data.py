"""Map geometry helpers of citygeo.ui.data, on hand-made shapes."""

from __future__ import annotations

import pytest
import shapely

from citygeo.ui.data import _without_small_holes


def test_slivers_between_neighbourhoods_are_closed_but_enclaves_kept() -> None:
    outer = [(0, 0), (10, 0), (10, 10), (0, 10)]
    sliver = [(1, 1), (1.01, 1), (1.01, 1.5), (1, 1.5)]  # 0.005 units² left by borders that do not meet
    enclave = [(5, 5), (7, 5), (7, 7), (5, 7)]  # 4 units²: another district inside this one
    district = shapely.MultiPolygon([shapely.Polygon(outer, [sliver, enclave]),
                                     shapely.Polygon([(20, 0), (21, 0), (21, 1)], [])])
    cleaned = _without_small_holes(district, min_area=0.1)
    parts = shapely.get_parts(cleaned)
    assert len(parts) == 2
    assert [len(p.interiors) for p in parts] == [1, 0]
    assert cleaned.area == pytest.approx(district.area + 0.005)  # only the sliver was filled
    single = _without_small_holes(shapely.Polygon(outer, [sliver]), min_area=0.1)
    assert single.geom_type == "Polygon" and single.area == 100
