"""Shared fixtures: a small hand-built city written to files, and helpers to run the CLI."""

from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from citygeo.cli import main

# A 3 × 3 grid of 0.01° squares in the South Atlantic (no real place), codes N1..N9.
ORIGIN = (-30.0, -45.0)
STEP = 0.01


def grid_city(rows: int = 3, cols: int = 3) -> gpd.GeoDataFrame:
    x0, y0 = ORIGIN
    records = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c + 1
            box = shapely.box(x0 + c * STEP, y0 + r * STEP, x0 + (c + 1) * STEP, y0 + (r + 1) * STEP)
            records.append({"code": f"N{i}", "name": f"Cell {i}", "district": "West" if c == 0 else "East",
                            "pop": 1000 * i, "geometry": box})
    return gpd.GeoDataFrame(records, crs="EPSG:4326")


def cell_centre(i: int, cols: int = 3) -> tuple[float, float]:
    r, c = divmod(i - 1, cols)
    return ORIGIN[0] + (c + 0.5) * STEP, ORIGIN[1] + (r + 0.5) * STEP


@dataclass
class SmallCity:
    folder: Path
    config: Path
    store: Path

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def write_config(self, text: str) -> Path:
        self.config.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return self.config


BASE_CONFIG = """
[city]
name = "Test Town"
fictional = true

[boundaries]
path = "boundaries.geojson"
id = "code"
name = "name"
district = "district"
population = "pop"

[[indicators]]
path = "indicators.csv"
id = "area_code"
year = 2024
source = "census"

[[points]]
kind = "incidents"
path = "incidents.csv"
id = "incident_id"
lon = "lon"
lat = "lat"
date = "date"
category = "category"
source = "police"

[sources.census]
name = "Test census"
owner = "Statistics office"
collected = "2024-03"
refresh = "P1Y"

[sources.police]
name = "Test police records"
owner = "Police"
collected = "2024-12"
refresh = "P1Y"
"""


@pytest.fixture
def small_city(tmp_path: Path) -> SmallCity:
    """A valid 9-neighbourhood city with indicators and incidents, as files."""
    folder = tmp_path / "city"
    folder.mkdir()
    grid_city().to_file(folder / "boundaries.geojson", driver="GeoJSON")
    indicators = pd.DataFrame({"area_code": [f"N{i}" for i in range(1, 10)],
                               "unemployed_pct": [float(i) for i in range(1, 10)],
                               "income": [30000 - 1000 * i for i in range(1, 10)]})
    indicators.to_csv(folder / "indicators.csv", index=False)
    rows = []
    for i in range(1, 10):
        x, y = cell_centre(i)
        for k in range(i):
            rows.append({"incident_id": f"I{i}-{k}", "date": "2024-05-01",
                         "category": "hate_crime" if k % 2 == 0 else "hate_incident",
                         "lon": round(x + 0.001 * (k % 3), 6), "lat": round(y, 6)})
    pd.DataFrame(rows).to_csv(folder / "incidents.csv", index=False)
    config = folder / "city.toml"
    config.write_text(BASE_CONFIG.lstrip(), encoding="utf-8")
    return SmallCity(folder, config, tmp_path / "store.duckdb")


def file_digest(path: Path) -> str | None:
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the citygeo CLI in-process; returns (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fictional demo city built once per test session, as `citygeo demo` does."""
    from citygeo.service.demo import build_demo
    from citygeo.store import Store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(Store(path))
    return path
