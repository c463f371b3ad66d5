"""The demo city's indicators: correlated, spatially clustered deprivation (a deprived inner
east, an affluent west and north), the age bands, the labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from esda.moran import Moran
from libpysal.weights import Queen

from tests.demo.conftest import boundaries_in, read_history

YEARS = (2024, 2025, 2026)


def test_socioeconomic_columns_and_the_two_health_gaps(socio: pd.DataFrame) -> None:
    assert list(socio.columns) == [
        "area_code",
        "year",
        "unemployed_pct",
        "youth_unemployed_pct",
        "median_income",
        "no_qualifications_pct",
        "overcrowded_pct",
        "poor_health_pct",
        "service_access",
        "residential_turnover_pct",
    ]
    # 149 neighbourhoods until 2025 (N112 and N113 were one), 150 from 2026
    assert socio.groupby("year").size().to_dict() == {2024: 149, 2025: 149, 2026: 150}
    missing = socio[socio.isna().any(axis=1)]
    assert len(missing) == 2 and set(missing.year) == {2026}
    assert socio.drop(columns="poor_health_pct").notna().all().all()
    assert socio.service_access.between(0, 100).all()


def test_deprivation_indicators_move_together(socio: pd.DataFrame) -> None:
    corr = socio[socio.year == 2026].drop(columns=["area_code", "year"]).corr()
    for column in (
        "youth_unemployed_pct",
        "no_qualifications_pct",
        "overcrowded_pct",
        "poor_health_pct",
    ):
        assert corr.loc["unemployed_pct", column] > 0.6, column
    assert corr.loc["unemployed_pct", "median_income"] < -0.6
    # ... but not perfectly: every indicator keeps its own noise
    assert corr.loc["unemployed_pct", "no_qualifications_pct"] < 0.97


def test_year_on_year_change_is_moderate(socio: pd.DataFrame) -> None:
    wide = socio.pivot(index="area_code", columns="year", values="unemployed_pct")
    change = wide[2026] - wide[2024]
    assert change.abs().median() < 2.0  # points of unemployment over two years
    assert (change != 0).mean() > 0.9  # yet almost every neighbourhood moves
    assert wide[2024].corr(wide[2026]) > 0.8


@pytest.mark.parametrize("year", YEARS)
def test_unemployment_is_spatially_clustered(socio: pd.DataFrame, year: int) -> None:
    neighbourhoods = boundaries_in(year)  # each year on the boundaries it was published for
    weights = Queen.from_dataframe(neighbourhoods, use_index=False)
    weights.transform = "r"
    values = socio[socio.year == year].set_index("area_code").loc[neighbourhoods.code]
    moran = Moran(values.unemployed_pct.to_numpy(), weights, permutations=0)
    assert moran.I > 0.3


def test_deprived_inner_east_affluent_west_and_north(
    neighbourhoods: gpd.GeoDataFrame, socio: pd.DataFrame
) -> None:
    centroids = neighbourhoods.to_crs(32727).centroid
    values = socio[socio.year == 2026].set_index("area_code").loc[neighbourhoods.code]
    east = (centroids.x - centroids.x.mean()).to_numpy()
    north = (centroids.y - centroids.y.mean()).to_numpy()
    inner_east = (east > 1000) & (east < 5000) & (np.abs(north) < 2500)
    west_north = (east < -2000) | (north > 3000)
    assert values.unemployed_pct[inner_east].mean() > values.unemployed_pct[west_north].mean() + 4
    assert values.median_income[inner_east].mean() < values.median_income[west_north].mean()


def test_population_groups(socio: pd.DataFrame, data_dir: Path) -> None:
    groups = read_history("indicators/population_groups.csv")
    assert list(groups.columns) == ["area_code", "year", "age_band", "population", "unemployed_pct"]
    assert len(groups) == (149 + 149 + 150) * 4
    assert set(groups.age_band) == {"16-24", "25-44", "45-64", "65+"}
    rates = groups.pivot_table(
        index=["area_code", "year"], columns="age_band", values="unemployed_pct"
    )
    assert (rates["16-24"] > 1.5 * rates["25-44"]).mean() > 0.9  # youth markedly higher
    youth = socio.set_index(["area_code", "year"]).youth_unemployed_pct
    assert np.allclose(rates["16-24"], youth.loc[rates.index])  # same figure in both files


def test_labels_cover_every_indicator_column(
    socio: pd.DataFrame, committed_csv: Callable[[str], pd.DataFrame]
) -> None:
    labels = committed_csv("indicators/labels.csv")
    assert list(labels.columns) == ["indicator", "label", "unit"]
    assert set(socio.columns[2:]) | {"population"} == set(labels.indicator)
    assert (labels.label != "").all() and (labels.unit != "").all()
