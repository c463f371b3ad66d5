"""Registers: coverage per 1,000, the gap list and consultation coverage on a small city."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from citygeo.errors import InputError
from citygeo.rules.registers import (
    COVERAGE_COLUMNS,
    gap_list,
    last_heard,
    not_heard,
    partners_serving,
    register_coverage,
)


def _city() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nid": ["N1", "N2", "N3", "N4", "N5", "N6", "N7"],
            "name": ["One", "Two", "Three", "Four", "Five", "Six", "Seven"],
            "population": [1000.0, 2000.0, 1000.0, 500.0, 1000.0, 1000.0, None],
        }
    )


def _assets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "asset_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
            "kind": ["youth_centre", "youth_centre", "peace_committee", "library", "club", "x"],
            "name": ["Y1", "Y2", "P1", "L1", "C1", "outside"],
            "formal": [True, True, False, True, False, True],
            "themes": [["youth"], ["youth"], ["youth", "women", "youth"], [], None, ["youth"]],
            "nid": ["N1", "N1", "N1", "N2", "N4", None],
        }
    )


def _stakeholders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stakeholder_id": ["s1", "s2", "s3"],
            "name": ["City youth service", "Women's network", "Elsewhere"],
            "sector": ["public", "civil society", "civil society"],
            "themes": [["youth"], np.array(["women"]), []],
            "serves": [["all"], np.array(["N1", "N2"]), ["N99"]],
            "contact": ["a@x", "b@y", "c@z"],
        }
    )


def test_register_coverage_counts_and_rates() -> None:
    cov = register_coverage(_assets(), _stakeholders(), _city())
    assert list(cov.columns) == list(COVERAGE_COLUMNS)
    overall = cov[cov["theme"] == "all"].set_index("nid")
    # N1: 3 mechanisms (2 formal, 1 informal), partners s1 (all) + s2 -> 5 per 1,000.
    counts = overall.loc["N1", ["mechanisms", "formal", "informal", "partners"]].tolist()
    assert counts == [3, 2, 1, 2]
    assert overall.loc["N1", "total_per_1000"] == pytest.approx(5.0)
    # N2: 1 mechanism + s1 + s2 = 3 over 2,000 residents -> 1.5.
    assert overall.loc["N2", "total_per_1000"] == pytest.approx(1.5)
    # N3: nothing but the city-wide partner: 1 per 1,000. N4: 1 + 1 over 500 -> 4.
    assert overall.loc["N3", ["mechanisms", "partners"]].tolist() == [0, 1]
    assert overall.loc["N3", "total_per_1000"] == pytest.approx(1.0)
    assert overall.loc["N4", "total_per_1000"] == pytest.approx(4.0)
    assert overall.loc["N4", "informal"] == 1
    # N7 has no population: counts but no rate. The asset outside the city counts nowhere.
    assert pd.isna(overall.loc["N7", "total_per_1000"])
    assert overall["mechanisms"].sum() == 5
    youth = cov[cov["theme"] == "youth"].set_index("nid")
    # N1 youth: a1, a2, a3 (a3 lists youth twice: counted once) + s1 -> 4.
    assert youth.loc["N1", ["mechanisms", "partners"]].tolist() == [3, 1]
    women = cov[cov["theme"] == "women"].set_index("nid")
    assert women.loc["N2", ["mechanisms", "partners"]].tolist() == [0, 1]
    assert set(cov["theme"]) == {"all", "youth", "women"}


def _risk() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nid": ["N1", "N2", "N3", "N4", "N5", "N6", "N7"],
            "risk_score": [90.0, 80.0, 85.0, 10.0, 20.0, 95.0, 99.0],
        }
    )


def test_gap_list_top_quintile_below_median() -> None:
    cov = register_coverage(_assets(), _stakeholders(), _city())
    # Totals per 1,000 (N7 has no population): N1 5, N2 1.5, N3 1, N4 4, N5 1, N6 1;
    # sorted 1, 1, 1, 1.5, 4, 5 -> median (1 + 1.5) / 2 = 1.25.
    # Risk sorted 10, 20, 80, 85, 90, 95, 99: the 80th percentile sits at position
    # 0.8 · 6 = 4.8 -> 90 + 0.8 · (95 − 90) = 94, so N6 (95) and N7 (99) are top quintile;
    # N7 cannot be judged (no population); N6 has 1.0 < 1.25: a gap.
    gaps = gap_list(cov, _risk())
    assert gaps["nid"].tolist() == ["N6"]
    assert gaps.loc[0, "city_median"] == pytest.approx(1.25)
    assert gaps.loc[0, "total_per_1000"] == pytest.approx(1.0)
    # Top half: cut at position 3 -> 85: N3, N1, N6, N7. Below 1.25: N6 (95) and N3 (85),
    # equal at 1.0, so the higher risk comes first.
    wider = gap_list(cov, _risk(), top_share=0.5)
    assert wider["nid"].tolist() == ["N6", "N3"]
    with pytest.raises(InputError, match="top_share"):
        gap_list(cov, _risk(), top_share=0)


def test_partners_serving_leaves_out_contacts() -> None:
    partners = partners_serving(_stakeholders(), ["N2", "N3"])
    assert "contact" not in partners.columns
    assert partners[partners["nid"] == "N2"]["stakeholder_id"].tolist() == ["s1", "s2"]
    assert partners[partners["nid"] == "N3"]["stakeholder_id"].tolist() == ["s1"]


def _consultations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": [
                dt.date(2024, 6, 15),  # exactly 12 months before as_of: still heard
                dt.date(2024, 6, 14),  # one day too early
                dt.date(2025, 1, 10),  # city-wide, women
                dt.date(2025, 7, 1),  # after as_of: ignored
                dt.date(2023, 3, 20),
            ],
            "nid": [np.array(["N1"]), ["N2"], None, ["N3"], ["N3"]],
            "format": ["workshop", "survey", "town hall", "workshop", "workshop"],
            "groups": [["youth"], [], ["women"], ["all"], ["all"]],
            "participants": [20, 300, 80, 15, 12],
            "themes": [[], [], [], [], []],
            "summary": ["", "", "", "", ""],
        }
    )


AS_OF = dt.date(2025, 6, 15)


def test_last_heard_counts_city_wide_consultations_everywhere() -> None:
    heard = last_heard(_consultations(), _city(), ["youth", "women"], as_of=AS_OF)
    assert list(heard.columns) == ["nid", "name", "grp", "last_heard", "consultations"]
    cell = heard.set_index(["nid", "grp"])
    # The city-wide consultation of 2025-01-10 hears every neighbourhood, and women in each.
    assert (heard.loc[heard["grp"] == "women", "last_heard"] == pd.Timestamp("2025-01-10")).all()
    assert cell.loc[("N7", "all"), "last_heard"] == pd.Timestamp("2025-01-10")
    # N3: the "all groups" consultation of 2023 hears its youth; the 2025-07 one is after as_of.
    assert cell.loc[("N3", "youth"), "last_heard"] == pd.Timestamp("2023-03-20")
    assert cell.loc[("N3", "all"), "consultations"] == 2
    assert pd.isna(cell.loc[("N2", "youth"), "last_heard"])
    # Without as_of every consultation counts.
    later = last_heard(_consultations(), _city(), ["youth"]).set_index(["nid", "grp"])
    assert later.loc[("N3", "youth"), "last_heard"] == pd.Timestamp("2025-07-01")


def test_not_heard_in_twelve_months() -> None:
    stale = not_heard(_consultations(), _city(), ["youth", "women"], as_of=AS_OF)
    # Everyone was heard at city level and as women on 2025-01-10. Youth: N1 heard on the
    # cut-off day (2024-06-15) counts; N3's youth last heard 2023-03-20; the rest never.
    assert list(zip(stale["nid"], stale["grp"], strict=True)) == [
        ("N2", "youth"),
        ("N4", "youth"),
        ("N5", "youth"),
        ("N6", "youth"),
        ("N7", "youth"),
        ("N3", "youth"),
    ]
    n3 = stale.iloc[-1]
    # 2023-03-20 -> 2025-06-15: 27 calendar months, minus 1 because day 20 > 15 -> 26.
    assert n3["months_since"] == 26
    assert stale["months_since"].iloc[:5].isna().all()
    assert stale.loc[0, "name"] == "Two"


def test_not_heard_uses_the_last_heard_it_is_given() -> None:
    groups = ["youth", "women"]
    heard = last_heard(_consultations(), _city(), groups, as_of=AS_OF)
    given = not_heard(_consultations(), _city(), groups, as_of=AS_OF, heard=heard)
    pd.testing.assert_frame_equal(given, not_heard(_consultations(), _city(), groups, as_of=AS_OF))
    assert len(heard) == 7 * 3  # the frame it was given is left whole
    # what it was given is what it reads: with nobody heard, everyone is stale
    never = heard.assign(last_heard=pd.NaT)
    assert len(not_heard(_consultations(), _city(), groups, as_of=AS_OF, heard=never)) == 21


def test_not_heard_neighbourhood_level_and_window_edge() -> None:
    # Only N2's consultation of 2024-06-14, asked on 2025-06-15: one day outside the window.
    only = _consultations().iloc[[1]]
    city = _city().iloc[:2]
    stale = not_heard(only, city, [], as_of=AS_OF)
    assert list(zip(stale["nid"], stale["grp"], strict=True)) == [("N1", "all"), ("N2", "all")]
    assert stale.loc[1, "months_since"] == 12  # 2024-06-14 -> 2025-06-15
    # One day earlier the same consultation is exactly 12 months old: heard.
    assert not_heard(only, city, [], as_of=dt.date(2025, 6, 14))["nid"].tolist() == ["N1"]
