"""Every boundary and table format round-trips; codes are text; Columbus (no CRS) ingests."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import libpysal.examples
import numpy as np
import pandas as pd
import pytest

from citygeo.ingest import ingest_city
from citygeo.store import Store
from tests.fixtures.city import SmallCity, grid_city


def _swap(city: SmallCity, old: str, new: str) -> None:
    city.config.write_text(city.config.read_text().replace(old, new))


@pytest.mark.parametrize(
    "suffix,driver",
    [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".shp", "ESRI Shapefile"), (".parquet", None)],
)
def test_boundary_formats_round_trip(
    small_city: SmallCity, suffix: str, driver: str | None
) -> None:
    source = grid_city().to_crs("EPSG:32726")  # a projected CRS: ingest must reproject to WGS 84
    path = small_city.folder / f"bounds{suffix}"
    if driver:
        source.to_file(path, driver=driver)
    else:
        source.to_parquet(path)
    _swap(small_city, 'path = "boundaries.geojson"', f'path = "bounds{suffix}"')
    store = Store(small_city.store)
    ingest_city(small_city.config, store)
    hoods = store.neighbourhoods()
    expected = grid_city().set_index("code")
    assert list(hoods["nid"]) == [f"N{i}" for i in range(1, 10)]
    assert hoods.crs.to_epsg() == 4326
    for _, row in hoods.iterrows():
        original = expected.loc[row["nid"], "geometry"]
        assert row.geometry.symmetric_difference(original).area < 1e-10
        assert row["population"] == expected.loc[row["nid"], "pop"]
    # 0.01° × 0.01° at 45°S ≈ 1.113 km × 0.787 km
    assert hoods["area_km2"].between(0.85, 0.90).all()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_indicator_formats_round_trip(small_city: SmallCity, suffix: str) -> None:
    frame = pd.read_csv(small_city.folder / "indicators.csv", dtype={"area_code": str})
    path = small_city.folder / f"table{suffix}"
    {
        ".csv": lambda: frame.to_csv(path, index=False),
        ".xlsx": lambda: frame.to_excel(path, index=False),
        ".parquet": lambda: frame.to_parquet(path),
    }[suffix]()
    _swap(small_city, 'path = "indicators.csv"', f'path = "table{suffix}"')
    store = Store(small_city.store)
    ingest_city(small_city.config, store)
    values = store.query(
        "SELECT nid, indicator, year, grp, value FROM indicator_values ORDER BY indicator, nid"
    )
    assert set(values["indicator"]) == {"unemployed_pct", "income"}
    unemployed = values[values["indicator"] == "unemployed_pct"].set_index("nid")["value"]
    assert unemployed.to_dict() == {f"N{i}": float(i) for i in range(1, 10)}
    assert (values["year"] == 2024).all() and (values["grp"] == "all").all()


def test_codes_are_text_and_never_matched_loosely(small_city: SmallCity) -> None:
    city = grid_city()
    city["code"] = [f"{i:03d}" for i in range(1, 10)]  # "001" … "009"
    city.loc[8, "code"] = "7"  # one plain numeric code
    city.loc[6, "code"] = "070"
    city.to_file(small_city.folder / "boundaries.geojson", driver="GeoJSON")
    table = pd.DataFrame(
        {
            "area_code": ["001", "002", "003", "4", "005", "006", "070", "008"],
            "unemployed_pct": range(8),
        }
    )
    table.to_csv(small_city.folder / "indicators.csv", index=False)
    typed = pd.DataFrame({"code": [7], "income": [123.0]})  # 7 stored as a number in a typed file
    typed.to_parquet(small_city.folder / "typed.parquet")
    small_city.config.write_text(
        small_city.config.read_text()
        + ('\n[[indicators]]\npath = "typed.parquet"\nid = "code"\nyear = 2024\n')
    )
    (small_city.folder / "incidents.csv").write_text(
        "incident_id,date,category,lon,lat\nI1,2024-01-01,hate_crime,-29.995,-44.995\n"
    )
    store = Store(small_city.store)
    report = ingest_city(small_city.config, store)
    values = store.query("SELECT nid, value FROM indicator_values").set_index("nid")["value"]
    assert values["001"] == 0 and values["070"] == 6 and values["7"] == 123.0
    assert "4" not in values.index and "004" not in values.index
    assert any("'4' (did you mean '004'?)" in w for w in report.warnings), report.warnings


def test_columbus_without_crs(tmp_path: Path) -> None:
    source = Path(libpysal.examples.get_path("columbus.shp"))
    folder = tmp_path / "columbus"
    folder.mkdir()
    for part in source.parent.glob("columbus.*"):
        (folder / part.name).write_bytes(part.read_bytes())
    raw = gpd.read_file(folder / "columbus.shp")
    assert raw.crs is None
    raw[["POLYID", "CRIME", "INC", "HOVAL"]].to_csv(folder / "columbus.csv", index=False)
    (folder / "city.toml").write_text(
        '[city]\nname = "Columbus, Ohio (1980 sample shipped with libpysal)"\n'
        'projected_crs = "EPSG:3857"\n'
        '[boundaries]\npath = "columbus.shp"\nid = "POLYID"\nsource_crs = "EPSG:4326"\n'
        '[[indicators]]\npath = "columbus.csv"\nid = "POLYID"\nyear = 1980\n'
    )
    store = Store(tmp_path / "columbus.duckdb")
    report = ingest_city(folder / "city.toml", store)
    assert report.counts["neighbourhoods"] == 49
    assert report.counts["indicator_values"] == 49 * 3
    crime = store.query("SELECT nid, value FROM indicator_values WHERE indicator = 'CRIME'")
    expected = raw.set_index(raw["POLYID"].astype(str))["CRIME"]
    merged = crime.set_index("nid")["value"].sort_index()
    np.testing.assert_allclose(merged.to_numpy(), expected.loc[merged.index].to_numpy())


def test_reingest_is_idempotent(small_city: SmallCity) -> None:
    store = Store(small_city.store)
    first = ingest_city(small_city.config, store)
    snapshot = store.query("SELECT incident_id, nid FROM incidents ORDER BY incident_id")
    second = ingest_city(small_city.config, store)
    assert first.counts == second.counts
    pd.testing.assert_frame_equal(
        snapshot, store.query("SELECT incident_id, nid FROM incidents ORDER BY incident_id")
    )


def test_points_assigned_and_outside_reported(small_city: SmallCity) -> None:
    path = small_city.folder / "incidents.csv"
    with path.open("a") as fh:
        fh.write("OUT1,2024-06-01,hate_crime,-31.0,-45.0\n")
    store = Store(small_city.store)
    report = ingest_city(small_city.config, store)
    counts = store.query("SELECT nid, count(*) AS n FROM incidents GROUP BY nid")
    by_nid = dict(zip(counts["nid"].fillna("outside"), counts["n"], strict=True))
    assert by_nid == {**{f"N{i}": i for i in range(1, 10)}, "outside": 1}
    assert report.points[0]["outside"] == 1
    assert any("1 of 46 points fall in no neighbourhood" in w for w in report.warnings)


def test_point_on_shared_border_goes_to_first_code(small_city: SmallCity) -> None:
    # x = -29.99 is the border between N1 and N2; the point belongs to exactly one of them.
    (small_city.folder / "incidents.csv").write_text(
        "incident_id,date,category,lon,lat\nB1,2024-01-01,hate_crime,-29.99,-44.995\n"
    )
    store = Store(small_city.store)
    ingest_city(small_city.config, store)
    assert store.query("SELECT nid FROM incidents")["nid"].tolist() == ["N1"]


def test_projected_xy_points(small_city: SmallCity) -> None:
    frame = pd.read_csv(small_city.folder / "incidents.csv")
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326).to_crs(32726)
    frame["x"], frame["y"] = points.x, points.y
    frame.drop(columns=["lon", "lat"]).to_csv(small_city.folder / "incidents.csv", index=False)
    _swap(small_city, 'lon = "lon"\nlat = "lat"', 'x = "x"\ny = "y"\ncrs = "EPSG:32726"')
    store = Store(small_city.store)
    ingest_city(small_city.config, store)
    counts = store.query("SELECT nid, count(*) AS n FROM incidents GROUP BY nid")
    assert dict(zip(counts["nid"], counts["n"], strict=True)) == {f"N{i}": i for i in range(1, 10)}
