"""Exports (issue 5): every format read back, RFC 7946 checked by hand, privacy modes with
known incident counts, the --force rule, no partial files, the sidecar."""

from __future__ import annotations

import io
import itertools
import json
import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from citygeo import __version__
from citygeo.errors import InputError, StoreError
from citygeo.outputs.export import export_bytes, scores_frame, write_export
from citygeo.outputs.formats import (
    FLAG_SEPARATOR,
    FORMATS,
    GeoJSONWriter,
    default_export_name,
    get_writer,
    rfc7946_geometries,
    sidecar_path,
)
from citygeo.schema import SCORE_COLUMNS
from citygeo.service.city import read_scores
from citygeo.store import Store
from tests.fixtures.city import run_cli
from tests.fixtures.town import (  # noqa: F401
    COUNTS,
    HOSTILE,
    POPULATION,
    STEP,
    X0,
    Y0,
    build_city,
    cell,
    incident_point,
)


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_city(tmp_path_factory.mktemp("town"))


# -- reading back ------------------------------------------------------------------------
def read_back(path: Path, fmt: str) -> pd.DataFrame:
    """Read an export with pyogrio (GDAL), the way a GIS team would."""
    if fmt == "csv":
        return pyogrio.read_dataframe(
            path,
            X_POSSIBLE_NAMES="label_lon",
            Y_POSSIBLE_NAMES="label_lat",
            KEEP_GEOM_COLUMNS="YES",
            AUTODETECT_TYPE="YES",
        )
    if fmt == "parquet":
        return gpd.read_parquet(path)
    return pyogrio.read_dataframe(path)


def flags_of(value: object, fmt: str) -> list[str]:
    if fmt in ("gpkg", "csv"):
        text = (
            "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        )
        return text.split(FLAG_SEPARATOR) if text else []
    return [] if value is None else [str(v) for v in value]


def same_value(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA
    missing_b = b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    if missing_a or missing_b:
        return missing_a and missing_b
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return str(a) == str(b)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_reads_back_with_the_same_rows_columns_values_and_geometry(
    town: Store, tmp_path: Path, fmt: str
) -> None:
    expected = scores_frame(town)
    out = write_export(town, fmt, tmp_path / f"town{get_writer(fmt).extension}")
    got = read_back(out, fmt)

    columns = [c for c in expected.columns if c != "geometry"]
    assert list(columns[: len(SCORE_COLUMNS)]) == list(SCORE_COLUMNS)
    extra = {"csv": ["label_lon", "label_lat"], "geojson": ["id"]}.get(fmt, [])
    assert [c for c in got.columns if c != "geometry"] == (
        columns + extra if fmt != "geojson" else ["id"] + columns
    )
    assert len(got) == len(expected) == 5
    got = got.sort_values(["nid", "year"]).reset_index(drop=True)
    for column in columns:
        for i in range(len(expected)):
            want, have = expected[column].iloc[i], got[column].iloc[i]
            if column == "flags":
                assert flags_of(have, fmt) == list(want), (fmt, i)
            else:
                assert same_value(want, have), (fmt, column, i, want, have)
    if fmt == "geojson":
        assert list(got["id"]) == list(got["nid"])
    if fmt == "csv":  # a point inside each polygon, to 6 decimals
        for i, polygon in enumerate(expected.geometry):
            point = shapely.Point(got["label_lon"].iloc[i], got["label_lat"].iloc[i])
            assert polygon.buffer(1e-6).contains(point)
            assert point.distance(polygon.representative_point()) < 1e-6
    else:
        for want, have in zip(expected.geometry, got.geometry, strict=True):
            tolerance = 1e-6 if fmt == "geojson" else 1e-12
            assert shapely.hausdorff_distance(want, have) <= tolerance
            assert abs(want.area - have.area) <= 1e-9


def test_geojson_is_rfc7946(town: Store, tmp_path: Path) -> None:
    out = write_export(town, "geojson", tmp_path / "town.geojson")
    text = out.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert [f["id"] for f in doc["features"]] == [f["properties"]["nid"] for f in doc["features"]]

    def signed_area(ring: list[list[float]]) -> float:  # shoelace: > 0 counter-clockwise
        return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2

    holes = 0
    for feature in doc["features"]:
        geometry = feature["geometry"]
        assert geometry["type"] == "Polygon"
        exterior, *interiors = geometry["coordinates"]
        assert signed_area(exterior) > 0
        for hole in interiors:
            assert signed_area(hole) < 0
            holes += 1
        assert shapely.geometry.shape(geometry).is_valid
        for lon, lat in exterior:
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    assert holes == 1  # N5's hole survived
    # Precision by inspecting the text: every number inside "coordinates" has ≤ 6 decimals.
    numbers = [
        n
        for block in re.findall(r'"coordinates":(\[[^A-Za-z]*?\]\]\])', text)
        for n in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", block)
    ]
    assert len(numbers) == 2 * sum(
        len(r) for f in doc["features"] for r in f["geometry"]["coordinates"]
    )
    assert all(-Decimal(n).as_tuple().exponent <= 6 for n in numbers)
    # and the input really had more: rounding happened
    assert any(-Decimal(repr(x)).as_tuple().exponent > 6 for x in cell(1).exterior.coords[0])


def test_rounding_that_breaks_a_polygon_is_repaired() -> None:
    # Two lobes joined by a neck 4e-7 wide: rounding to 6 decimals puts the neck's vertex
    # (0.5, 0.0000004) on the bottom edge, which makes the ring self-touching (invalid).
    polygon = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0.5, 0.0000004), (0, 1), (0, 0)])
    assert polygon.is_valid
    naive = shapely.transform(polygon, lambda xy: np.round(xy, 6))
    assert not naive.is_valid
    fixed = rfc7946_geometries(np.array([polygon], dtype=object))[0]
    assert fixed.is_valid
    assert abs(fixed.area - polygon.area) < 1e-6
    coords = shapely.get_coordinates(fixed)
    assert np.allclose(coords, np.round(coords, 6), rtol=0, atol=1e-12)
    for part in getattr(fixed, "geoms", [fixed]):
        assert part.exterior.is_ccw


# -- privacy -----------------------------------------------------------------------------
def by_nid(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("nid")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_public_mode_withholds_exactly_the_1_and_the_4(
    town: Store, tmp_path: Path, fmt: str
) -> None:
    out = write_export(town, fmt, tmp_path / f"public{get_writer(fmt).extension}")
    got = by_nid(read_back(out, fmt))
    for nid in ("N2", "N3"):  # 1 and 4 events: null and flagged
        assert math.isnan(float(got.loc[nid, "raw__hate_rate"]))
        assert math.isnan(float(got.loc[nid, "measure__hate_rate"]))
        assert math.isnan(float(got.loc[nid, "n__hate_rate"]))
        assert "suppressed:hate_rate" in flags_of(got.loc[nid, "flags"], fmt)
    # 0, 5 and 12 events: exact rates, count / population × 1,000, computed by hand
    for nid, rate in (("N1", 0.0), ("N4", 5 / 4000 * 1000), ("N5", 12 / 5000 * 1000)):
        assert float(got.loc[nid, "raw__hate_rate"]) == pytest.approx(rate, abs=1e-12)
        assert float(got.loc[nid, "n__hate_rate"]) == COUNTS[nid]
        assert "suppressed:hate_rate" not in flags_of(got.loc[nid, "flags"], fmt)
    assert got.loc["N4", "raw__hate_rate"] == pytest.approx(1.25)
    assert got.loc["N5", "raw__hate_rate"] == pytest.approx(2.4)
    meta = json.loads(sidecar_path(out).read_text())
    assert meta["mode"] == "public" and meta["sensitive"] is False
    assert meta["suppression"]["withheld_values"] == 2
    assert meta["contains"] == {"incident_points": False, "stakeholder_contacts": False}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_analyst_mode_writes_the_small_counts_and_is_marked_sensitive(
    town: Store, tmp_path: Path, fmt: str
) -> None:
    out = write_export(
        town, fmt, tmp_path / f"town.analyst{get_writer(fmt).extension}", mode="analyst"
    )
    got = by_nid(read_back(out, fmt))
    assert got.loc["N2", "raw__hate_rate"] == pytest.approx(1 / 2000 * 1000)
    assert got.loc["N3", "raw__hate_rate"] == pytest.approx(4 / 3000 * 1000)
    assert got.loc["N3", "n__hate_rate"] == 4
    assert "suppressed:hate_rate" in flags_of(got.loc["N3", "flags"], fmt)  # the flag stays
    meta = json.loads(sidecar_path(out).read_text())
    assert meta["mode"] == "analyst" and meta["sensitive"] is True
    assert meta["suppression"]["applied"] is False
    if fmt == "geojson":
        assert json.loads(out.read_text())["citygeo"]["sensitive"] is True
    else:
        assert pyogrio.read_info(out)["layer_metadata"]["citygeo_sensitive"] == "True"


def test_the_export_writes_what_the_one_reader_of_scores_returns(
    town: Store, tmp_path: Path
) -> None:
    """The export reads the current scores through the service's reader (privacy applied
    there): the file holds exactly those values, in public and in analyst mode."""
    for mode in ("public", "analyst"):
        out = write_export(town, "parquet", tmp_path / f"{mode}.parquet", mode=mode)
        written = gpd.read_parquet(out).set_index(["nid", "year"]).sort_index()
        expected = read_scores(town, mode=mode).set_index(["nid", "year"]).sort_index()
        for column in [c for c in expected.columns if c.startswith(("raw__", "measure__", "n__"))]:
            pd.testing.assert_series_equal(written[column], expected[column], check_names=False)
        assert [list(f) for f in written["flags"]] == [list(f) for f in expected["flags"]]
    public = read_scores(town)
    assert (
        public.filter(like="raw__").isna().to_numpy().sum()
        > read_scores(town, mode="analyst").filter(like="raw__").isna().to_numpy().sum()
    )  # something is withheld


def test_incident_points_only_in_analyst_mode(
    town: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "incidents.gpkg"
    with pytest.raises(InputError, match="never exported in public mode"):
        write_export(town, "gpkg", out, layer="incidents")
    code, _, err = run_cli(
        [
            "export",
            "--format",
            "gpkg",
            "--out",
            str(out),
            "--store",
            str(town.path),
            "--layer",
            "incidents",
        ],
        capsys,
    )
    assert code == 2 and "never exported in public mode" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    code, _, err = run_cli(
        [
            "export",
            "--format",
            "gpkg",
            "--out",
            str(out),
            "--store",
            str(town.path),
            "--layer",
            "incidents",
            "--analyst",
        ],
        capsys,
    )
    assert code == 0 and "sensitive" in err
    points = pyogrio.read_dataframe(out)
    assert len(points) == sum(COUNTS.values()) == 22
    assert points.groupby("nid").size().to_dict() == {k: v for k, v in COUNTS.items() if v}
    meta = json.loads(sidecar_path(out).read_text())
    assert meta["sensitive"] is True and meta["contains"]["incident_points"] is True


# -- files -------------------------------------------------------------------------------
def test_existing_file_needs_force(
    town: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "town.csv"
    out.write_text("keep me")
    with pytest.raises(InputError, match="already exists; pass --force"):
        write_export(town, "csv", out)
    code, _, err = run_cli(
        ["export", "--format", "csv", "--out", str(out), "--store", str(town.path)], capsys
    )
    assert code == 2 and "--force" in err
    assert out.read_text() == "keep me"
    code, _, _ = run_cli(
        ["export", "--format", "csv", "--out", str(out), "--store", str(town.path), "--force"],
        capsys,
    )
    assert code == 0 and out.read_text().startswith("nid,name,year,")
    # the sidecar counts too
    out2 = tmp_path / "other.csv"
    sidecar_path(out2).write_text("{}")
    with pytest.raises(InputError, match="already exists"):
        write_export(town, "csv", out2)


def test_failed_export_leaves_no_partial_file(
    town: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("citygeo.outputs.formats.CHUNK_ROWS", 2)  # several chunks for 5 rows
    calls = {"n": 0}
    original = GeoJSONWriter._features

    def failing(*args: object) -> bytes:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(GeoJSONWriter, "_features", staticmethod(failing))
    out = tmp_path / "town.geojson"
    with pytest.raises(OSError, match="disk full"):
        write_export(town, "geojson", out)
    assert calls["n"] == 2 and list(tmp_path.iterdir()) == []
    # an existing file survives a failed --force export unchanged
    out.write_text("old")
    calls["n"] = 0
    with pytest.raises(OSError, match="disk full"):
        write_export(town, "geojson", out, force=True)
    assert out.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "town.geojson"
    ]


def test_progress_is_reported_per_chunk(
    town: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("citygeo.outputs.formats.CHUNK_ROWS", 2)
    seen: list[tuple[int, int]] = []
    write_export(town, "gpkg", tmp_path / "t.gpkg", progress=lambda d, t, _: seen.append((d, t)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert len(pyogrio.read_dataframe(tmp_path / "t.gpkg")) == 5


def test_sidecar_describes_methodology_sources_and_rule(town: Store, tmp_path: Path) -> None:
    out = write_export(town, "parquet", tmp_path / "town.parquet", year=2024)
    meta = json.loads(sidecar_path(out).read_text())
    stored = town.query("SELECT version, sha256, CAST(spec AS VARCHAR) AS spec FROM methodologies")
    (methodology,) = meta["methodologies"]
    assert methodology["version"] == "test.1" == stored["version"].iloc[0]
    assert methodology["sha256"] == stored["sha256"].iloc[0]
    assert methodology["spec"] == json.loads(stored["spec"].iloc[0])
    assert methodology["years"] == [2024] and meta["years"] == [2024]
    assert {
        s["source_id"]: (s["owner"], s["licence"], s["known_biases"]) for s in meta["sources"]
    } == {
        "census": ("Statistics office", "OGL", "undercounts recent arrivals"),
        "police": ("Police", "Restricted", "under-reporting"),
    }
    assert meta["suppression"]["min_count"] == 5 and meta["suppression"]["min_sample"] == 30
    assert "min_count" in meta["suppression"]["public_withholds"]
    assert meta["city"]["fictional"] is True and meta["city"]["name"] == "Test Town"
    assert meta["citygeo_version"] == __version__
    assert pd.Timestamp(meta["generated_at"]).tzinfo is not None
    assert meta["file"] == "town.parquet" and meta["rows"] == 5
    assert meta["flags_encoding"].startswith("list<string>")
    assert meta["columns"][: len(SCORE_COLUMNS)] == list(SCORE_COLUMNS)
    import pyarrow.parquet as pq

    assert b"geo" in pq.read_schema(out).metadata  # GeoParquet metadata


def test_year_without_scores_is_a_clear_error(
    town: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StoreError, match="no scores for 1999; scored years: 2024"):
        write_export(town, "csv", tmp_path / "x.csv", year=1999)
    code, _, err = run_cli(
        [
            "export",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "x.csv"),
            "--store",
            str(town.path),
            "--year",
            "1999",
        ],
        capsys,
    )
    assert code == 2 and "scored years: 2024" in err and "Traceback" not in err


def test_unknown_format_lists_the_valid_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="valid formats: geojson, gpkg, parquet, csv"):
        get_writer("shp")
    code, _, err = run_cli(["export", "--format", "shp", "--out", str(tmp_path / "x.shp")], capsys)
    assert code == 2 and "valid formats" in err


def test_default_name_marks_analyst_files(
    town: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert default_export_name("Port Averlane", "gpkg", year=2026) == "port-averlane-2026.gpkg"
    assert (
        default_export_name("Port Averlane", "gpkg", mode="analyst")
        == "port-averlane-all-years.analyst.gpkg"
    )
    assert (
        default_export_name("X", "csv", year=2024, mode="analyst", layer="incidents")
        == "x-2024-incidents.analyst.csv"
    )
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_cli(
        ["export", "--format", "geojson", "--store", str(town.path), "--analyst"], capsys
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "test-town-all-years.analyst.geojson",
        "test-town-all-years.analyst.geojson.meta.json",
    ]
    code, _, _ = run_cli(
        [
            "export",
            "--format",
            "geojson",
            "--store",
            str(town.path),
            "--analyst",
            "--out",
            "mine.geojson",
        ],
        capsys,
    )
    assert code == 0 and (tmp_path / "mine.geojson").exists()  # an explicit --out is used as given


def test_export_bytes_for_a_download_button(town: Store) -> None:
    data, name, mime = export_bytes(town, "geojson", year=2024)
    assert (name, mime) == ("test-town-2024.geojson", "application/geo+json")
    doc = json.loads(data)
    assert [f["id"] for f in doc["features"]] == ["N1", "N2", "N3", "N4", "N5"]
    assert doc["features"][1]["properties"]["raw__hate_rate"] is None
    data, name, mime = export_bytes(town, "csv", mode="analyst", with_sidecar=True)
    assert (name, mime) == ("test-town-all-years.analyst.csv.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "test-town-all-years.analyst.csv",
            "test-town-all-years.analyst.csv.meta.json",
        ]
        assert (
            json.loads(archive.read("test-town-all-years.analyst.csv.meta.json"))["sensitive"]
            is True
        )
