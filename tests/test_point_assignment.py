"""Point assignment with the grid pre-filter: hand-built cases and a random comparison with sjoin.

The grid (citygeo.ingest.cells) decides points in cells wholly inside one neighbourhood (or in
none) without a point-in-polygon test; every other point goes through DuckDB's spatial join.
These tests would catch a pre-filter that shortcuts a border point, a hole or an overlap.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citygeo.errors import InputError
from citygeo.ingest import ingest_city
from citygeo.ingest.cells import EMPTY, cell_grid
from citygeo.store import Store

# Unit U = 0.25° (a power of two) from (-20, -50): every coordinate below is exact in binary
# and in the CSV text, so "on the border" really is on the border.
OX, OY, U = -20.0, -50.0, 0.25
NUDGE = 2.0**-12  # in units: 6e-5° off a border, inside a border cell


def at(x: float, y: float) -> tuple[float, float]:
    return OX + U * x, OY + U * y


def ubox(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(*at(x0, y0), *at(x1, y1))


def tiny_city() -> gpd.GeoDataFrame:
    """A 3 x 3-unit city; codes chosen so the smallest code is not the first drawn.

    ::

        y 3 +-----------------------+
            |  N5 (hole at 1.25-1.75 |
            |      x 2.25-2.75)      |
        y 2 +-------+---------------+
            |  N2   |   N4 (an L)   |
        y 1 +-------+-------+       |
            |  N3   |  N1   |       |
        y 0 +-------+-------+-------+
           x0      x1      x2      x3
    """
    hole = shapely.Polygon([at(1.25, 2.25), at(1.75, 2.25), at(1.75, 2.75), at(1.25, 2.75)])
    outer = ubox(0, 2, 3, 3)
    shapes = {
        "N3": ubox(0, 0, 1, 1),
        "N1": ubox(1, 0, 2, 1),
        "N2": ubox(0, 1, 1, 2),
        "N4": shapely.Polygon([at(2, 0), at(3, 0), at(3, 2), at(1, 2), at(1, 1), at(2, 1)]),
        "N5": shapely.Polygon(outer.exterior.coords, [hole.exterior.coords]),
    }
    return gpd.GeoDataFrame(
        {"code": list(shapes), "name": list(shapes)},
        geometry=list(shapes.values()),
        crs="EPSG:4326",
    )


# (label, x, y in units, expected nid or None, decided by the grid?)
CASES: list[tuple[str, float, float, str | None, bool | None]] = [
    ("interior N3", 0.5, 0.5, "N3", True),
    ("interior N1", 1.5, 0.5, "N1", True),
    ("interior N2", 0.5, 1.5, "N2", True),
    ("interior of the L, lower arm", 2.5, 0.5, "N4", True),
    ("interior of the L, upper arm", 1.5, 1.5, "N4", True),
    ("interior N5", 0.5, 2.5, "N5", True),
    ("just left of the N3|N1 edge", 1 - NUDGE, 0.5, "N3", False),
    ("just right of the N3|N1 edge", 1 + NUDGE, 0.5, "N1", False),
    ("just inside the L's inner corner", 2 + NUDGE, 1 + NUDGE, "N4", False),
    ("just below the L's inner corner", 2 - NUDGE, 1 - NUDGE, "N1", False),
    ("on the N3|N1 edge", 1, 0.5, "N1", False),
    ("on the N3|N2 edge", 0.5, 1, "N2", False),
    ("on the N1|N4 edge (N1 below)", 1.5, 1, "N1", False),
    ("on the N4|N5 edge", 2.5, 2, "N4", False),
    ("on the corner of N1, N2, N3, N4", 1, 1, "N1", False),
    ("on the L's inner corner (N1, N4)", 2, 1, "N1", False),
    ("in the hole of N5", 1.5, 2.5, None, None),
    ("on the hole's rim", 1.25, 2.5, "N5", False),
    ("just inside the hole", 1.5, 2.25 + NUDGE, None, False),
    ("just outside the hole", 1.5, 2.25 - NUDGE, "N5", False),
    ("on the city's outer edge", 3, 0.5, "N4", False),
    ("west of the city", -1, 0.5, None, True),
    ("north-east, beyond the grid", 3.5, 3.5, None, True),
]


def write_city(folder: Path, hoods: gpd.GeoDataFrame, points: pd.DataFrame) -> Path:
    """A minimal city config with boundaries (GeoPackage: exact coordinates) and incidents."""
    folder.mkdir(parents=True, exist_ok=True)
    hoods.to_file(folder / "boundaries.gpkg", driver="GPKG")
    points.to_csv(folder / "incidents.csv", index=False)
    config = folder / "city.toml"
    config.write_text(
        textwrap.dedent("""
        [city]
        name = "Assignment Test Town"
        fictional = true

        [boundaries]
        path = "boundaries.gpkg"
        id = "code"
        name = "name"

        [[points]]
        kind = "incidents"
        path = "incidents.csv"
        id = "incident_id"
        lon = "lon"
        lat = "lat"
        date = "date"
        category = "category"
        source = "police"

        [sources.police]
        name = "Test police records"
        """).lstrip(),
        encoding="utf-8",
    )
    return config


def incidents(xy: np.ndarray, prefix: str = "P") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": [f"{prefix}{i}" for i in range(len(xy))],
            "date": "2024-05-01",
            "category": "hate_crime",
            "lon": xy[:, 0],
            "lat": xy[:, 1],
        }
    )


def assigned(store: Store) -> pd.Series:
    frame = store.query("SELECT incident_id, nid FROM incidents")
    return frame.set_index("incident_id")["nid"]


def test_hand_built_cases(tmp_path: Path) -> None:
    hoods = tiny_city()
    xy = np.array([at(x, y) for _, x, y, _, _ in CASES])
    store = Store(tmp_path / "store.duckdb")
    report = ingest_city(write_city(tmp_path / "city", hoods, incidents(xy)), store)
    got = assigned(store)
    for k, (label, _, _, expected, _) in enumerate(CASES):
        value = got[f"P{k}"]
        assert (None if pd.isna(value) else value) == expected, label
    outside = sum(expected is None for _, _, _, expected, _ in CASES)
    assert report.points[0]["outside"] == outside == 4
    assert report.points[0]["assigned"] == len(CASES) - 4


def test_hand_built_cases_hit_the_grid_as_intended() -> None:
    """The cases above exercise both paths: interior points decided, border points not."""
    hoods = tiny_city().sort_values("code")
    grid = cell_grid(hoods.geometry.to_numpy())
    codes = dict(zip(grid.cells.tolist(), grid.codes.tolist(), strict=True))
    codes[-1] = EMPTY
    names = hoods["code"].tolist()
    for label, x, y, expected, decided in CASES:
        cell = int(grid.cell_ids(*(np.array([v]) for v in at(x, y)))[0])
        if decided is None:
            continue
        assert (cell in codes) == decided, label
        if decided:
            assert (None if codes[cell] == EMPTY else names[codes[cell]]) == expected, label


def voronoi_city(rng: np.random.Generator, count: int) -> gpd.GeoDataFrame:
    """Benchmark-style neighbourhoods: Voronoi cells clipped to a disc, edges densified."""
    centre = np.array([-25.0, -40.0])
    limits = shapely.Point(*centre).buffer(0.3, quad_segs=32)
    seeds = centre + rng.uniform(-0.3, 0.3, (count * 2, 2))
    seeds = seeds[shapely.contains_xy(limits, seeds[:, 0], seeds[:, 1])][:count]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=limits)
    )
    cells = shapely.segmentize(shapely.intersection(cells, limits), 0.004)
    cells = cells[~shapely.is_empty(cells)]
    codes = [f"V{i:04d}" for i in rng.permutation(len(cells))]  # code order unrelated to place
    return gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=cells, crs="EPSG:4326")


def expected_by_sjoin(hoods: gpd.GeoDataFrame, points: pd.DataFrame) -> pd.Series:
    """geopandas.sjoin(intersects), then the smallest nid where a point touches several."""
    frame = gpd.GeoDataFrame(
        points[["incident_id"]], geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs=4326
    )
    joined = gpd.sjoin(frame, hoods[["nid", "geometry"]], predicate="intersects", how="left")
    return joined.groupby("incident_id")["nid"].min().reindex(points["incident_id"])


@pytest.mark.parametrize("seed", [7, 2026])
def test_random_points_agree_with_sjoin(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    hoods = voronoi_city(rng, 300)
    spread = rng.uniform([-25.35, -40.35], [-24.65, -39.65], (30_000, 2))  # some outside
    vertices = shapely.get_coordinates(hoods.geometry.to_numpy())
    on_borders = vertices[rng.choice(len(vertices), 2_000, replace=False)]
    grid = cell_grid(hoods.geometry.to_numpy())
    lines = np.column_stack(
        [grid.x0 + grid.size * rng.integers(0, grid.nx, 1_000), rng.uniform(-40.3, -39.7, 1_000)]
    )  # exactly on grid lines
    points = incidents(np.concatenate([spread, on_borders, lines]))
    store = Store(tmp_path / "store.duckdb")
    ingest_city(write_city(tmp_path / "city", hoods, points), store)
    stored = store.neighbourhoods()[["nid", "geometry"]]
    expected = expected_by_sjoin(stored, points)
    got = assigned(store).reindex(expected.index)
    agree = (got == expected) | (got.isna() & expected.isna())
    assert agree.all(), f"{(~agree).sum()} points differ, e.g. {got[~agree].head()}"
    assert expected.notna().sum() > 15_000 and expected.isna().sum() > 10_000  # both kinds
    shared = expected_by_sjoin(stored, points.iloc[30_000:32_000])
    assert shared.notna().all()  # the vertices are on borders, and matched by the join


def test_every_decided_cell_is_exact() -> None:
    """Each decided cell lies in the interior of its one neighbourhood and meets no other."""
    hoods = voronoi_city(np.random.default_rng(11), 300)
    polygons = hoods.geometry.to_numpy()
    grid = cell_grid(polygons)
    j, i = np.divmod(grid.cells, grid.nx)
    tiny = grid.size * 1e-6  # widen each cell a little: rounding may push a point across
    boxes = shapely.box(
        grid.x0 + i * grid.size - tiny,
        grid.y0 + j * grid.size - tiny,
        grid.x0 + (i + 1) * grid.size + tiny,
        grid.y0 + (j + 1) * grid.size + tiny,
    )
    cell, _polygon = shapely.STRtree(polygons).query(boxes, predicate="intersects")
    touching = np.bincount(cell, minlength=len(boxes))
    inside = grid.codes >= 0
    assert (touching[~inside] == 0).all()  # empty cells meet no neighbourhood
    assert (touching[inside] == 1).all()  # interior cells meet only their own
    assert shapely.contains_properly(polygons[grid.codes[inside]], boxes[inside]).all()
    assert inside.sum() > 0.5 * grid.nx * grid.ny  # and the grid decides most of the city
    assert (grid.codes == EMPTY).sum() > 0


def test_overlapping_neighbourhoods_are_left_to_the_join(tmp_path: Path) -> None:
    hoods = gpd.GeoDataFrame(
        {"code": ["B", "A"], "name": ["B", "A"]},
        geometry=[ubox(0, 0, 2, 2), ubox(1, 0, 3, 2)],
        crs="EPSG:4326",
    )
    grid = cell_grid(hoods.sort_values("code").geometry.to_numpy())
    middle = grid.cell_ids(*(np.array([v]) for v in at(1.5, 1)))[0]
    assert middle not in set(grid.cells.tolist())  # covered twice: not decided
    xy = np.array([at(0.5, 1), at(1.5, 1), at(2.5, 1)])
    store = Store(tmp_path / "store.duckdb")
    ingest_city(write_city(tmp_path / "city", hoods, incidents(xy)), store)
    assert assigned(store).sort_index().tolist() == ["B", "A", "A"]  # the overlap → A


def test_line_numbers_and_default_ids_over_several_row_groups(tmp_path: Path) -> None:
    """The file is read without line numbers (in parallel); lines come from row order.

    150,000 rows fill two DuckDB row groups (122,880 rows each), so a line number that is
    off by a group, or rows read out of order, would show. A quoted field with a line break
    is one record: lines count records, as the messages always have (header = line 1).
    """
    hoods = tiny_city()
    n = 150_000
    xy = np.tile(np.array([at(0.5, 0.5)]), (n, 1))
    points = incidents(xy).astype({"lon": object})
    points.loc[7, "category"] = "two\nlines"  # record 9 of the file spans two text lines
    points.loc[130_000, "lon"] = "east"  # record 130,002: line 130,002 in messages
    points.loc[140_000, "date"] = "someday"
    points.loc[149_999, "incident_id"] = "P5"  # duplicate of record 7
    store = Store(tmp_path / "store.duckdb")
    with pytest.raises(InputError) as caught:
        ingest_city(write_city(tmp_path / "bad", hoods, points), store)
    message = str(caught.value)
    assert "line 130002, column \"lon\": 'east' is not a coordinate" in message
    assert "line 140002, column 'date': 'someday' is not a date" in message
    assert "id 'P5' appears more than once (lines 7, 150001)" in message
    assert not store.exists()  # nothing written

    good = incidents(xy).drop(columns="incident_id")
    good.loc[7, "category"] = "two\nlines"
    good.loc[130_000, ["lon", "lat"]] = at(1.5, 0.5)  # in N1, not N3
    config = write_city(tmp_path / "good", hoods, good)
    config.write_text(config.read_text().replace('id = "incident_id"\n', ""))
    report = ingest_city(config, store)
    assert report.points[0] == {
        "kind": "incidents",
        "file": "incidents.csv",
        "rows": n,
        "assigned": n,
        "outside": 0,
    }
    rows = store.query(
        "SELECT incident_id, nid, category FROM incidents WHERE incident_id IN "
        "('incidents:2', 'incidents:9', 'incidents:130002', 'incidents:150001') "
        "ORDER BY incident_id"
    )
    assert rows.values.tolist() == [
        ["incidents:130002", "N1", "hate_crime"],
        ["incidents:150001", "N3", "hate_crime"],
        ["incidents:2", "N3", "hate_crime"],
        ["incidents:9", "N3", "two\nlines"],
    ]
