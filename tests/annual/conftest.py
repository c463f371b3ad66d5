"""Two annual deliveries of the small city (2024, then 2025), as a city would receive them."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from citygeo.store import Store
from tests.fixtures.city import BASE_CONFIG, SmallCity, cell_centre, grid_city
from tests.fixtures.methodologies import small_methodology

# One incident category only, so every year holds every category the methodology names.
ANNUAL_METHODOLOGY = small_methodology("t.1", "test", categories=("hate_crime",))


def deliver(city: SmallCity, year: int, *, boundaries: str = "boundaries.geojson",
            crosswalk: str | None = None, scale: float = 1.0, split: bool = False) -> Path:
    """Write ``year``'s files (indicators, incidents) and point the config at them."""
    codes = [f"N{i}" for i in range(1, 10) if not (split and i == 5)]
    codes += ["N5a", "N5b"] if split else []
    pd.DataFrame({"area_code": codes,
                  "unemployed_pct": [scale * (k + 1) for k in range(len(codes))],
                  "income": [30000 - 900 * k for k in range(len(codes))]}
                 ).to_csv(city.folder / f"indicators_{year}.csv", index=False)
    rows = []
    for i in range(1, 10):
        x, y = cell_centre(i)
        for k in range(i + (year - 2024)):
            rows.append({"incident_id": f"{year}-{i}-{k}", "date": f"{year}-05-01",
                         "category": "hate_crime", "lon": round(x + 0.0004 * (k % 3 - 1) + 0.0001, 6),
                         "lat": round(y + 0.0021 * (k % 2 * 2 - 1), 6)})
    pd.DataFrame(rows).to_csv(city.folder / f"incidents_{year}.csv", index=False)
    text = (BASE_CONFIG.replace('path = "indicators.csv"', f'path = "indicators_{year}.csv"')
            .replace("year = 2024", f"year = {year}")
            .replace('path = "incidents.csv"', f'path = "incidents_{year}.csv"')
            .replace('path = "boundaries.geojson"', f'path = "{boundaries}"' +
                     (f'\ncrosswalk = "{crosswalk}"' if crosswalk else ""))
            .replace('[sources.census]', '[methodology]\npath = "methodology.toml"\n\n'
                     '[sources.census]'))
    city.write_config(text)
    city.write("methodology.toml", ANNUAL_METHODOLOGY)
    return city.config


def split_boundaries(city: SmallCity) -> str:
    """The 3 × 3 grid with N5 split in two halves (N5a west, N5b east)."""
    grid = grid_city()
    centre = grid[grid["code"] == "N5"].iloc[0]
    x0, y0, x1, y1 = centre.geometry.bounds
    halves = gpd.GeoDataFrame([
        {**centre.drop("geometry").to_dict(), "code": "N5a", "name": "Cell 5 west", "pop": 2000,
         "geometry": shapely.box(x0, y0, (x0 + x1) / 2, y1)},
        {**centre.drop("geometry").to_dict(), "code": "N5b", "name": "Cell 5 east", "pop": 3000,
         "geometry": shapely.box((x0 + x1) / 2, y0, x1, y1)}], crs="EPSG:4326")
    frame = pd.concat([grid[grid["code"] != "N5"], halves], ignore_index=True)
    gpd.GeoDataFrame(frame, crs="EPSG:4326").to_file(city.folder / "boundaries_2025.geojson",
                                                     driver="GeoJSON")
    city.write("crosswalk.csv", "from,to,weight\nN5,N5a,0.4\nN5,N5b,0.6\n")
    return "boundaries_2025.geojson"


def contents(store: Store) -> dict[str, list[str]]:
    """Every table's rows, order-free (the store's bytes may differ; its contents must not)."""
    out = {}
    for table in sorted(store.tables()):
        if table == "ingest_reports":
            continue
        frame = store.read_table(table)
        frame = frame.drop(columns=[c for c in ("created_at",) if c in frame.columns])
        out[table] = sorted(repr(tuple(_plain(v) for v in row)) for row in frame.itertuples(index=False))
    return out


def _plain(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


@pytest.fixture
def annual_city(small_city: SmallCity) -> SmallCity:
    return small_city
