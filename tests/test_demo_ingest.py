"""The fictional demo city through the real ingest: counts, labels, and point assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from citygeo.service.city import settings as city_settings
from citygeo.service.demo import demo_config_path
from citygeo.store import Store
from tests.fixtures.city import file_digest, run_cli


def test_demo_store_contents(demo_store: Path) -> None:
    store = Store(demo_store)
    assert store.count("neighbourhoods") == 150
    assert store.count("incidents") == 19_945
    assert store.count("assets") == 300
    assert store.count("stakeholders") == 60
    assert store.count("consultations") == 90
    assert store.count("sources") == 8
    settings = city_settings(store)
    assert settings.name == "Port Averlane"
    assert settings.fictional is True and settings.mode == "public"
    stored = dict(store.query("SELECT key, value FROM city").itertuples(index=False))
    assert stored["fictional"] == "true" and stored["name"] == '"Port Averlane"'  # typed, as JSON
    years = store.query("SELECT DISTINCT year FROM indicator_values ORDER BY year")["year"].tolist()
    assert years == [2024, 2025, 2026]
    groups = set(store.query("SELECT DISTINCT grp FROM indicator_values")["grp"])
    assert groups == {"all", "16-24", "25-44", "45-64", "65+"}
    labels = store.query("SELECT label FROM indicators WHERE indicator = 'youth_unemployed_pct'")
    assert labels["label"].iloc[0] != "youth_unemployed_pct"


def test_assignment_agrees_with_geopandas_sjoin(demo_store: Path) -> None:
    folder = demo_config_path().parent
    hoods = gpd.read_file(folder / "boundaries" / "neighbourhoods.geojson")
    # Every year's delivery; points of 2024 and 2025 were first assigned on the boundaries of
    # their time and assigned again when the 2026 boundaries split N112 in two.
    raw = pd.concat(
        [pd.read_csv(p) for p in sorted(folder.glob("points/incidents-20[0-9][0-9].csv"))],
        ignore_index=True,
    )
    points = gpd.GeoDataFrame(raw, geometry=gpd.points_from_xy(raw["lon"], raw["lat"]), crs=4326)
    joined = gpd.sjoin(points, hoods[["code", "geometry"]], predicate="within", how="left")
    assert not joined.index.duplicated().any()
    expected = joined.set_index("incident_id")["code"]
    ours = (
        Store(demo_store)
        .query("SELECT incident_id, nid FROM incidents")
        .set_index("incident_id")["nid"]
    )
    assert len(ours) == len(expected) == 19_945
    ours = ours.loc[expected.index]
    both_outside = ours.isna() & expected.isna()
    agree = (ours == expected) | both_outside
    assert agree.all(), f"{(~agree).sum()} incidents assigned differently"
    assert both_outside.sum() == 25


def test_cli_demo_builds_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "d.duckdb"
    code, out, err = run_cli(["demo", "--store", str(store)], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "Port Averlane" in text
    # One delivery a year, in turn; 2026 brings the split of N112 and its crosswalk.
    for delivery, year, assigned in (
        ("city-2024.toml", 2024, 6344),
        ("city-2025.toml", 2025, 7338),
        ("city.toml", 2026, 6238),
    ):
        assert f"delivery {delivery}" in text
        assert f"incidents in incidents-{year}.csv: {assigned:,} assigned" in text
    assigned = Store(store).query("SELECT count(nid) AS n FROM incidents")["n"].iloc[0]
    assert assigned == 19_920  # every delivery's points, all on the current boundaries
    assert "1 added (N113); 1 redrawn (N112: outline changed by 47.8% of its area)" in text
    assert "The crosswalk links the codes (2 rows)" in text
    digest = file_digest(store)
    code, _, _ = run_cli(["demo", "--store", str(store)], capsys)
    assert code == 0
    assert Store(store).count("incidents") == 19_945  # idempotent: replaced, not appended
    assert digest is not None
