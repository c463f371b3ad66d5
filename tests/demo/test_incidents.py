"""The demo city's incidents: counts, categories, small and empty cells, hot spots that
partly follow deprivation, the June 2025 cluster and the mis-geocoded points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from citygeo import demo


def test_incidents(incidents: gpd.GeoDataFrame) -> None:
    assert 19_000 <= len(incidents) <= 21_000
    assert incidents.incident_id.is_unique
    assert incidents.date.between("2024-01-01", "2026-10-31").all()
    shares = incidents.category.value_counts(normalize=True)
    assert set(shares.index) == set(demo.INCIDENT_CATEGORIES)
    assert shares["hate_incident"] > shares["hate_crime"] > shares["intercommunal_violence"]
    outside = incidents.code.isna().sum()
    assert 20 <= outside <= 30  # mis-geocoded, for the ingest report


def test_incident_cells_include_small_and_empty_ones(incidents: gpd.GeoDataFrame) -> None:
    inside = incidents.dropna(subset=["code"])
    counts = inside.groupby([inside.code, inside.date.str[:4], inside.category]).size()
    full = counts.reindex(
        pd.MultiIndex.from_product(
            [sorted(inside.code.unique()), ["2024", "2025", "2026"], demo.INCIDENT_CATEGORIES]
        ),
        fill_value=0,
    )
    assert ((full >= 1) & (full <= 4)).sum() > 50  # for small-cell suppression
    assert (full == 0).sum() > 20


def test_incidents_cluster_and_follow_deprivation(
    incidents: gpd.GeoDataFrame, neighbourhoods: gpd.GeoDataFrame, socio: pd.DataFrame
) -> None:
    per_nb = incidents.groupby("code").size().reindex(neighbourhoods.code, fill_value=0)
    rate = per_nb.to_numpy() / neighbourhoods["pop"].to_numpy() * 1000
    unemployed = socio[socio.year == 2026].set_index("area_code").loc[neighbourhoods.code]
    r = np.corrcoef(rate, unemployed.unemployed_pct)[0, 1]
    assert 0.2 < r < 0.9  # partly, not entirely, aligned with deprivation
    june = incidents[incidents.date.str.startswith("2025-06")].groupby("code").size()
    assert june.max() > 250 and june.max() > 5 * june.drop(june.idxmax()).max()
