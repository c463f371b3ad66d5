"""Fixtures for the demo city's tests: the committed ``data/`` folder and tables read from it."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"


def read_history(relative: str, **read_csv: object) -> pd.DataFrame:
    """A table of the demo city over every year: its yearly deliveries' files
    (``data/points/incidents-2024.csv``, ``…-2025.csv``, …) one after the other."""
    stem, _, suffix = relative.rpartition(".")
    parts = sorted(DATA.glob(f"{stem}-[0-9][0-9][0-9][0-9].{suffix}"))
    assert parts, f"no delivery holds {relative}"
    return pd.concat([pd.read_csv(p, **read_csv) for p in parts], ignore_index=True)  # type: ignore[arg-type]


def boundaries_in(year: int) -> gpd.GeoDataFrame:
    """The boundaries a year's delivery was published on (its config's ``[boundaries]``)."""
    name = "city.toml" if (DATA / "city.toml").is_file() and year >= 2026 else f"city-{year}.toml"
    config = tomllib.loads((DATA / name).read_text(encoding="utf-8"))
    return gpd.read_file(DATA / config["boundaries"]["path"])


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The committed demo city: the repository's ``data/`` folder."""
    return DATA


@pytest.fixture(scope="session")
def committed_csv() -> Callable[[str], pd.DataFrame]:
    """A reader of committed CSVs as text, so empty cells stay empty strings."""

    def read(relative: str) -> pd.DataFrame:
        if (DATA / relative).is_file():
            return pd.read_csv(DATA / relative, dtype=str, keep_default_na=False)
        return read_history(relative, dtype=str, keep_default_na=False)

    return read


@pytest.fixture(scope="module")
def neighbourhoods() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "boundaries" / "neighbourhoods.geojson")


@pytest.fixture(scope="module")
def socio() -> pd.DataFrame:
    return read_history("indicators/socioeconomic.csv")


@pytest.fixture(scope="module")
def incidents(neighbourhoods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = read_history("points/incidents.csv")
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326)
    joined = points.sjoin(neighbourhoods[["code", "geometry"]], how="left", predicate="within")
    return joined
