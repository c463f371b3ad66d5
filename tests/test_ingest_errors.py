"""Every problem a user can cause: a clear message, exit code 2, no traceback, store unchanged."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from tests.fixtures.city import SmallCity, file_digest, grid_city, run_cli


def _ingest_ok(city: SmallCity, capsys: pytest.CaptureFixture[str]) -> str | None:
    code, _, err = run_cli(["ingest", str(city.config), "--store", str(city.store)], capsys)
    assert code == 0, err
    return file_digest(city.store)


def _ingest_fails(city: SmallCity, capsys: pytest.CaptureFixture[str], *expected: str) -> str:
    before = file_digest(city.store)
    code, _, err = run_cli(["ingest", str(city.config), "--store", str(city.store)], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in message:\n{err}"
    assert file_digest(city.store) == before, "the store changed after a failed ingest"
    return err


def test_valid_city_ingests(small_city: SmallCity, capsys: pytest.CaptureFixture[str]) -> None:
    assert _ingest_ok(small_city, capsys) is not None


def test_missing_file(small_city, capsys):
    _ingest_ok(small_city, capsys)
    small_city.config.write_text(
        small_city.config.read_text().replace('path = "indicators.csv"', 'path = "census_2024.csv"')
    )
    _ingest_fails(small_city, capsys, "census_2024.csv", "not found")


def test_no_crs_and_no_source_crs(small_city, capsys):
    _ingest_ok(small_city, capsys)
    grid_city().to_file(small_city.folder / "bounds.shp")
    (small_city.folder / "bounds.prj").unlink()
    small_city.config.write_text(
        small_city.config.read_text().replace('path = "boundaries.geojson"', 'path = "bounds.shp"')
    )
    _ingest_fails(small_city, capsys, "bounds.shp", "no coordinate reference system", "source_crs")


def test_duplicate_codes(small_city, capsys):
    _ingest_ok(small_city, capsys)
    city = grid_city()
    city.loc[4, "code"] = "N2"
    city.to_file(small_city.folder / "boundaries.geojson", driver="GeoJSON")
    _ingest_fails(
        small_city, capsys, "boundaries.geojson", "'N2'", "several features (2, 5)", "unique"
    )


def test_empty_boundary_file(small_city, capsys):
    _ingest_ok(small_city, capsys)
    (small_city.folder / "boundaries.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": []})
    )
    _ingest_fails(small_city, capsys, "boundaries.geojson", "no features")


def test_non_polygon_boundaries(small_city, capsys):
    _ingest_ok(small_city, capsys)
    city = grid_city()
    city["geometry"] = shapely.centroid(city.geometry.to_numpy())
    city.to_file(small_city.folder / "boundaries.geojson", driver="GeoJSON")
    _ingest_fails(
        small_city, capsys, "boundaries.geojson", "feature 1 (N1)", "Point", "must be polygons"
    )


def test_non_numeric_indicator_value(small_city, capsys):
    _ingest_ok(small_city, capsys)
    path = small_city.folder / "indicators.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.loc[2, "unemployed_pct"] = "abc"
    frame.to_csv(path, index=False)
    _ingest_fails(
        small_city, capsys, "indicators.csv", "line 4", "'unemployed_pct'", "'abc'", "not a number"
    )


def test_no_indicator_code_matches(small_city, capsys):
    _ingest_ok(small_city, capsys)
    path = small_city.folder / "indicators.csv"
    frame = pd.read_csv(path, dtype=str)
    frame["area_code"] = [f"X{i}" for i in range(1, 10)]
    frame.to_csv(path, index=False)
    _ingest_fails(
        small_city, capsys, "indicators.csv", "no code in column 'area_code'", "'X1'", "'N1'"
    )


def test_unparseable_incident_dates(small_city, capsys):
    _ingest_ok(small_city, capsys)
    path = small_city.folder / "incidents.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.loc[6, "date"] = "sometime in May"
    frame.loc[7, "date"] = "2024-13-45"
    frame.to_csv(path, index=False)
    _ingest_fails(
        small_city,
        capsys,
        "incidents.csv",
        "line 8",
        "'sometime in May'",
        "line 9",
        "'2024-13-45'",
        "not a date",
    )


def test_a_row_with_more_fields_than_the_header_is_named(small_city, capsys):
    """DuckDB's sniffer would read such a file as one column; the message names the rows instead."""
    _ingest_ok(small_city, capsys)
    path = small_city.folder / "incidents.csv"
    lines = path.read_text().splitlines()
    lines[3] += ",EXTRA"  # line 4 of the file
    lines[7] += ",x,y"  # line 8
    path.write_text("\n".join(lines) + "\n")
    err = _ingest_fails(
        small_city,
        capsys,
        "incidents.csv",
        "the header has 5 fields",
        "line 4 has 6 fields",
        "line 8 has 7 fields",
        "needs quotes",
    )
    assert "columns found" not in err


def test_every_point_outside_swapped_lon_lat(small_city, capsys):
    _ingest_ok(small_city, capsys)
    path = small_city.folder / "incidents.csv"
    frame = pd.read_csv(path, dtype=str)
    frame[["lon", "lat"]] = frame[["lat", "lon"]].to_numpy()
    frame.to_csv(path, index=False)
    _ingest_fails(
        small_city,
        capsys,
        "incidents.csv",
        "all 45 incidents points fall outside",
        "wrong way round",
    )


def test_toml_syntax_error_names_line(small_city, capsys):
    _ingest_ok(small_city, capsys)
    text = small_city.config.read_text().replace('id = "code"', 'id = "code')
    small_city.config.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith('id = "code'))
    _ingest_fails(small_city, capsys, "city.toml", "TOML syntax error", f"line {line}")


def test_unknown_source(small_city, capsys):
    _ingest_ok(small_city, capsys)
    small_city.config.write_text(
        small_city.config.read_text().replace('source = "police"', 'source = "polis"')
    )
    _ingest_fails(small_city, capsys, "city.toml", "'polis'", "[sources.polis]", "census, police")


def test_failed_first_ingest_creates_no_store(small_city, capsys):
    small_city.config.write_text(
        small_city.config.read_text().replace('source = "police"', 'source = "polis"')
    )
    _ingest_fails(small_city, capsys, "polis")
    assert not small_city.store.exists()
    assert not list(small_city.store.parent.glob("store.duckdb.tmp-*"))


def test_config_path_cannot_escape_its_folder(small_city, capsys):
    _ingest_ok(small_city, capsys)
    small_city.config.write_text(
        small_city.config.read_text().replace(
            'path = "indicators.csv"', 'path = "../../../etc/passwd"'
        )
    )
    _ingest_fails(small_city, capsys, "outside the config's folder", "allow_outside_paths")


def test_self_intersecting_polygon_is_repaired_and_reported(small_city, capsys):
    city = grid_city()
    x0, y0, x1, y1 = city.geometry.iloc[0].bounds
    city.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    city.to_file(small_city.folder / "boundaries.geojson", driver="GeoJSON")
    code, out, err = run_cli(
        ["ingest", str(small_city.config), "--store", str(small_city.store)], capsys
    )
    assert code == 0, err
    assert "repaired invalid polygon of N1" in out
    hoods = gpd.read_file(small_city.folder / "boundaries.geojson")
    assert not hoods.geometry.iloc[0].is_valid  # the file itself is left as it was
