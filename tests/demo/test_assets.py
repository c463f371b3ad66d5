"""The demo city's community mechanisms: kinds, formality, themes, all inside the city, with
gaps where risk is high."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from citygeo import demo


def test_assets(
    neighbourhoods: gpd.GeoDataFrame,
    socio: pd.DataFrame,
    committed_csv: Callable[[str], pd.DataFrame],
) -> None:
    assets = committed_csv("points/assets.csv")
    assert list(assets.columns) == ["asset_id", "kind", "name", "formal", "themes", "lon", "lat"]
    assert 280 <= len(assets) <= 320 and assets.asset_id.is_unique
    assert set(assets.kind) == set(demo.ASSET_KINDS)
    assert set(assets.formal) == {"true", "false"}
    informal = assets[assets.formal == "false"].kind.value_counts()
    assert informal.index[0] in demo.INFORMAL_KINDS
    assert all(set(t.split(";")) <= set(demo.THEMES) for t in assets.themes)
    points = gpd.GeoDataFrame(
        assets,
        geometry=gpd.points_from_xy(assets.lon.astype(float), assets.lat.astype(float)),
        crs=4326,
    ).sjoin(neighbourhoods[["code", "geometry"]], predicate="within", how="left")
    assert points.code.notna().all()  # all inside the city
    unemployed = socio[socio.year == 2026].set_index("area_code").unemployed_pct
    most_deprived = unemployed.nlargest(10).index
    assert (~most_deprived.isin(points.code)).sum() >= 2  # a gap where risk is high
