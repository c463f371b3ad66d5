"""The demo city's boundaries: a gap-free tessellation of 150 valid polygons in open ocean,
written as RFC 7946 GeoJSON that says it is synthetic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely


def test_boundaries_are_a_tessellation_of_150_valid_polygons(
    neighbourhoods: gpd.GeoDataFrame,
) -> None:
    assert len(neighbourhoods) == 150
    assert neighbourhoods.crs.to_epsg() == 4326
    geoms = neighbourhoods.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == 3).all()  # Polygon
    city = shapely.union_all(geoms)
    assert city.geom_type == "Polygon" and len(city.interiors) == 0  # one island, no holes
    assert shapely.area(geoms).sum() == pytest.approx(city.area, rel=1e-9)  # no overlaps
    assert shapely.coverage_is_valid(geoms)  # neighbours share their edges exactly
    assert all(shapely.is_ccw(g.exterior) for g in geoms)  # RFC 7946 winding


def test_boundaries_properties(neighbourhoods: gpd.GeoDataFrame) -> None:
    assert list(neighbourhoods.columns) == ["code", "name", "district", "pop", "geometry"]
    assert list(neighbourhoods.code) == [f"N{i:03d}" for i in range(1, 151)]
    assert neighbourhoods.name.is_unique
    assert neighbourhoods.name.str.contains("[&']").any()
    assert neighbourhoods.district.nunique() == 8
    assert neighbourhoods["pop"].between(800, 12_000).all()
    # the city sits in open ocean around lon -25, lat -40
    centre = shapely.union_all(neighbourhoods.geometry.to_numpy()).centroid
    assert abs(centre.x + 25.0) < 0.1 and abs(centre.y + 40.0) < 0.1


def test_geojson_is_rfc7946_and_says_it_is_synthetic(data_dir: Path) -> None:
    text = (data_dir / "boundaries" / "neighbourhoods.geojson").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert "crs" not in doc
    assert "synthetic" in doc["name"].lower() and "fictional" in doc["description"].lower()
    numbers = re.findall(r"\[(-?\d+\.\d+),(-?\d+\.\d+)\]", text)
    assert numbers and all(len(n.split(".")[1]) == 6 for pair in numbers[:500] for n in pair)
