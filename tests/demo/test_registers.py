"""The demo city's registers: the stakeholders, and the consultation log with its intended
gaps."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from citygeo import demo


def test_stakeholders(committed_csv: Callable[[str], pd.DataFrame]) -> None:
    stakeholders = committed_csv("registers/stakeholders.csv")
    assert list(stakeholders.columns) == [
        "stakeholder_id",
        "name",
        "sector",
        "themes",
        "serves",
        "contact",
    ]
    assert 50 <= len(stakeholders) <= 70 and stakeholders.name.is_unique
    assert set(stakeholders.sector) == {
        "municipality",
        "civil_society",
        "education",
        "health",
        "police",
        "faith",
        "youth",
        "business",
        "media",
    }
    assert stakeholders.contact.str.fullmatch(r"[a-z0-9.]+@example\.org").all()
    assert (stakeholders.serves == "all").sum() >= 10


def test_consultations_have_the_intended_gaps(
    neighbourhoods: gpd.GeoDataFrame, committed_csv: Callable[[str], pd.DataFrame]
) -> None:
    log = committed_csv("registers/consultations.csv")
    assert list(log.columns) == [
        "date",
        "nid",
        "format",
        "groups",
        "participants",
        "themes",
        "summary",
    ]
    assert 80 <= len(log) <= 100
    assert log.date.min() >= "2024-02-01" and log.date.max() <= "2026-11-28"
    assert set(log.format) == {"survey", "focus_group", "roundtable", "workshop", "public_meeting"}
    assert set(";".join(log.groups).split(";")) <= set(demo.GROUPS)
    for group in ("recent_arrivals", "lgbtq"):
        heard = log[log.groups.str.split(";").apply(lambda g, grp=group: grp in g)]
        assert len(heard) > 0 and heard.date.max() < "2025-10-01"
    consulted = set(";".join(log.nid).split(";")) - {""}
    assert 10 <= 150 - len(consulted) <= 50  # some neighbourhoods never consulted
    assert (log.nid == "").any()
