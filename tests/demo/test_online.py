"""The demo city's online signals: the city-wide and local spike of July 2025, the month
after the June 2025 incident cluster."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd


def test_online_signals_spike_in_july_2025(
    incidents: gpd.GeoDataFrame, committed_csv: Callable[[str], pd.DataFrame]
) -> None:
    online = committed_csv("online/signals.csv")
    assert list(online.columns) == ["period", "nid", "platform", "category", "count"]
    assert online.period.min() == "2024-01" and online.period.max() == "2026-10"
    assert online.nid.nunique() == 31  # 30 neighbourhoods + city-wide ("")
    online["count"] = online["count"].astype(int)
    city = online[online.nid == ""].groupby("period")["count"].sum()
    assert city["2025-07"] > 2 * city.drop("2025-07").median()
    assert city.idxmax() == "2025-07"
    cluster = incidents[incidents.date.str.startswith("2025-06")].code.value_counts().index[0]
    local = online[online.nid == cluster].groupby("period")["count"].sum()
    assert local["2025-07"] > 3 * local.drop("2025-07").median()
    assert local["2025-06"] < 2 * local.drop("2025-07").median()  # the spike follows, a month on
