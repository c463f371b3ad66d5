"""Display outlines and district outlines (citygeo.geo.display), on hand-made shapes."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from citygeo.geo.display import display_outlines, district_outlines, without_small_holes


def test_slivers_between_neighbourhoods_are_closed_but_enclaves_kept() -> None:
    outer = [(0, 0), (10, 0), (10, 10), (0, 10)]
    sliver = [
        (1, 1),
        (1.01, 1),
        (1.01, 1.5),
        (1, 1.5),
    ]  # 0.005 units² left by borders that do not meet
    enclave = [(5, 5), (7, 5), (7, 7), (5, 7)]  # 4 units²: another district inside this one
    district = shapely.MultiPolygon(
        [
            shapely.Polygon(outer, [sliver, enclave]),
            shapely.Polygon([(20, 0), (21, 0), (21, 1)], []),
        ]
    )
    cleaned = without_small_holes(district, min_area=0.1)
    parts = shapely.get_parts(cleaned)
    assert len(parts) == 2
    assert [len(p.interiors) for p in parts] == [1, 0]
    assert cleaned.area == pytest.approx(district.area + 0.005)  # only the sliver was filled
    single = without_small_holes(shapely.Polygon(outer, [sliver]), min_area=0.1)
    assert single.geom_type == "Polygon" and single.area == 100


def test_district_outlines_merge_the_neighbourhoods_of_each_district() -> None:
    squares = [shapely.box(x, 0, x + 0.01, 0.01) for x in (0.0, 0.01, 0.02)]
    frame = gpd.GeoDataFrame(
        {"nid": ["A", "B", "C"], "district": ["East", "East", None]},
        geometry=squares,
        crs="EPSG:4326",
    )
    outlines = display_outlines(frame)
    assert outlines.nids == ["A", "B", "C"] and len(outlines.geometries) == 3
    assert outlines.bounds == pytest.approx((0.0, 0.0, 0.03, 0.01))
    names, geometries = district_outlines(outlines)
    assert names == ["East"]
    merged = shapely.geometry.shape(geometries[0])
    assert merged.geom_type == "Polygon" and merged.area == pytest.approx(0.0002, rel=1e-3)


def test_the_stored_outlines_are_those_the_page_computed(demo_store) -> None:  # type: ignore[no-untyped-def]
    """The ingest stores the display outlines once; read back, they are the same vertices as
    computing them from the neighbourhoods (what the first map request did before)."""
    import orjson

    from citygeo.store import Store, reads

    with Store(demo_store).reader() as con:
        stored = reads.display_outlines(con)
        districts = reads.district_outlines(con)
        frame = reads.neighbourhoods(con, geometry=True)
    shapes = gpd.GeoDataFrame(
        frame, geometry=shapely.from_wkb(frame.pop("geom_wkb").to_numpy()), crs="EPSG:4326"
    )
    computed = display_outlines(shapes)
    assert stored["nid"].tolist() == computed.nids == sorted(computed.nids)
    assert [orjson.loads(g) for g in stored["geometry"]] == computed.geometries
    assert stored[["xmin", "ymin", "xmax", "ymax"]].to_numpy().tolist() == computed.boxes
    names, geometries = district_outlines(computed)
    assert districts["district"].tolist() == names and len(names) == 8
    assert [orjson.loads(g) for g in districts["geometry"]] == geometries
