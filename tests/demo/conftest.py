"""Fixtures for the demo city's tests: the committed ``data/`` folder and tables read from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The committed demo city: the repository's ``data/`` folder."""
    return DATA


@pytest.fixture(scope="session")
def committed_csv() -> Callable[[str], pd.DataFrame]:
    """A reader of committed CSVs as text, so empty cells stay empty strings."""

    def read(relative: str) -> pd.DataFrame:
        return pd.read_csv(DATA / relative, dtype=str, keep_default_na=False)

    return read


@pytest.fixture(scope="module")
def neighbourhoods() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "boundaries" / "neighbourhoods.geojson")


@pytest.fixture(scope="module")
def socio() -> pd.DataFrame:
    return pd.read_csv(DATA / "indicators" / "socioeconomic.csv")


@pytest.fixture(scope="module")
def incidents(neighbourhoods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = pd.read_csv(DATA / "points" / "incidents.csv")
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326)
    joined = points.sjoin(neighbourhoods[["code", "geometry"]], how="left", predicate="within")
    return joined
