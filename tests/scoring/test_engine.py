"""The whole pipeline on the tiny city, against values worked out by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from citygeo.errors import ConfigError
from citygeo.schema import SCORE_COLUMNS
from citygeo.scoring import ScoringInputs, prepare, recompute, score_city
from citygeo.scoring.engine import deciles, imd_exponential

from .conftest import methodology_from


def by_nid(frame: pd.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(frame["nid"], frame[column].tolist()))


def test_minmax_arithmetic_by_hand(tiny_inputs: ScoringInputs) -> None:
    scores = score_city(tiny_inputs, methodology_from(), draws=0)
    assert list(scores.columns[: len(SCORE_COLUMNS)]) == list(SCORE_COLUMNS)
    # unemployed 10, 20, 30, 50 → 0, 25, 50, 100
    np.testing.assert_allclose(scores["measure__unemployed_pct"], [0, 25, 50, 100])
    # service access 100, 50, 0, 25 → 100, 50, 0, 25, inverted (protective in a risk domain)
    np.testing.assert_allclose(scores["measure__service_access"], [0, 50, 100, 75])
    np.testing.assert_allclose(scores["domain__hardship"], [0, 37.5, 75, 87.5])
    # hate events 2, 6, 0, 8 over 1000, 2000, 1000, 4000 people → 2, 3, 0, 2 per 1000
    np.testing.assert_allclose(scores["raw__hate_rate"], [2, 3, 0, 2])
    np.testing.assert_allclose(scores["n__hate_rate"], [2, 6, 0, 8])
    np.testing.assert_allclose(scores["domain__tensions"], [200 / 3, 100, 0, 200 / 3])
    np.testing.assert_allclose(scores["risk_score"], [100 / 3, 68.75, 37.5, (87.5 + 200 / 3) / 2])
    assert by_nid(scores, "risk_rank") == {"A": 4, "B": 2, "C": 3, "D": 1}
    # youth centres 1, 0, 3 (two rows for C), 0 (a library is not counted) per 1000
    np.testing.assert_allclose(scores["raw__youth_centres"], [1, 0, 3, 0])
    np.testing.assert_allclose(scores["protective_score"], [200 / 3, 100 / 3, 200 / 3, 0])
    assert by_nid(scores, "protective_rank") == {"A": 1, "B": 3, "C": 1, "D": 4}  # tie → min
    # medians: risk 53.125, protection 50
    assert by_nid(scores, "typology") == {
        "A": "resilient",
        "B": "priority",
        "C": "resilient",
        "D": "priority",
    }
    assert by_nid(scores, "flags") == {
        "A": ["suppressed:hate_rate"],
        "B": ["extreme:hate_rate"],
        "C": ["unreliable:trust_local_gov"],
        "D": ["extreme:unemployed_pct"],
    }
    assert set(scores["methodology_version"]) == {"test.1"}
    assert set(scores["grp"]) == {"all"} and set(scores["hotspot"]) == {"none"}


def test_typology_covers_watch_and_strengthen(tiny_inputs: ScoringInputs) -> None:
    # make protection the mirror of trust only: A 100, B 66.7, C 33.3, D 0
    m = methodology_from(
        domains=[
            {"id": "hardship", "index": "risk"},
            {"id": "tensions", "index": "risk", "weight": 0},
            {"id": "mechanisms", "index": "protective", "weight": 0},
            {"id": "trust", "index": "protective"},
        ]
    )
    scores = score_city(tiny_inputs, m, draws=0)
    # risk = hardship 0, 37.5, 75, 87.5 (median 56.25); protection median 50
    assert by_nid(scores, "typology") == {
        "A": "resilient",
        "B": "resilient",
        "C": "priority",
        "D": "priority",
    }
    # reversed trust direction: protection 0, 33.3, 66.7, 100
    reversed_trust = methodology_from(
        domains=m.model_dump()["domains"],
        measures=[
            *[x.model_dump(by_alias=True) for x in m.measures[:4]],
            {"id": "trust_local_gov", "domain": "trust", "direction": "risk", "from": "survey"},
        ],
    )
    scores = score_city(tiny_inputs, reversed_trust, draws=0)
    assert by_nid(scores, "typology") == {
        "A": "strengthen",
        "B": "strengthen",
        "C": "watch",
        "D": "watch",
    }


def test_missing_measure_reweights_and_flags(tiny_inputs: ScoringInputs) -> None:
    values = tiny_inputs.indicator_values
    dropped = values.loc[~((values["nid"] == "B") & (values["indicator"] == "unemployed_pct"))]
    scores = score_city(
        dataclasses.replace(tiny_inputs, indicator_values=dropped), methodology_from(), draws=0
    )
    # unemployed over A, C, D: 10, 30, 50 → 0, 50, 100; B's hardship = its service access alone (50)
    np.testing.assert_allclose(scores["domain__hardship"], [0, 50, 75, 87.5])
    assert "missing:unemployed_pct" in by_nid(scores, "flags")["B"]
    assert not np.isnan(by_nid(scores, "risk_score")["B"])


def test_missing_domain_gives_no_index(tiny_inputs: ScoringInputs) -> None:
    survey = tiny_inputs.survey_estimates
    assert survey is not None
    scores = score_city(
        dataclasses.replace(tiny_inputs, survey_estimates=survey.loc[survey["nid"] != "C"]),
        methodology_from(),
        draws=0,
    )
    c = scores.set_index("nid").loc["C"]
    assert (
        np.isnan(c["protective_score"]) and pd.isna(c["protective_rank"]) and pd.isna(c["typology"])
    )
    assert {"missing:trust_local_gov", "missing_domain:trust"} <= set(c["flags"])
    assert not np.isnan(c["risk_score"])
    # the other three are ranked among themselves: A 66.7, B 33.3, D 0
    ranks = scores.set_index("nid")["protective_rank"]
    assert ranks[["A", "B", "D"]].tolist() == [1, 2, 3] and pd.isna(ranks["C"])


def test_zscore_index_is_rescaled_to_0_100(tiny_inputs: ScoringInputs) -> None:
    scores = score_city(tiny_inputs, methodology_from(normalisation="zscore"), draws=0)
    assert scores["risk_score"].min() == 0 and scores["risk_score"].max() == 100
    # unemployed 10, 20, 30, 50: mean 27.5, population sd sqrt(218.75)
    np.testing.assert_allclose(
        scores["measure__unemployed_pct"], (np.array([10, 20, 30, 50]) - 27.5) / np.sqrt(218.75)
    )
    # inversion of z is −z: service access 100, 50, 0, 25 (mean 43.75, sd sqrt(1367.1875))
    np.testing.assert_allclose(
        scores["measure__service_access"],
        -(np.array([100, 50, 0, 25]) - 43.75) / np.sqrt(1367.1875),
    )


def test_geometric_domains(tiny_inputs: ScoringInputs) -> None:
    scores = score_city(tiny_inputs, methodology_from(aggregation="geometric"), draws=0)
    # hardship of B: sqrt((25 + 1)(50 + 1)) − 1
    assert by_nid(scores, "domain__hardship")["B"] == pytest.approx(np.sqrt(26 * 51) - 1)
    assert by_nid(scores, "domain__hardship")["A"] == pytest.approx(0.0)


def test_imd_exponential_known_points() -> None:
    c = 1 - np.exp(-100 / 23)
    np.testing.assert_allclose(
        imd_exponential(np.array([1.0, 0.5, 0.25])),
        [100.0, -23 * np.log(1 - 0.5 * c), -23 * np.log(1 - 0.25 * c)],
    )
    assert imd_exponential(np.array([0.5]))[0] == pytest.approx(15.6472, abs=1e-3)
    assert imd_exponential(np.array([0.9]))[0] == pytest.approx(
        -23 * np.log(0.1 + 0.9 * np.exp(-100 / 23)), rel=1e-12
    )


def test_exponential_index_uses_domain_ranks(tiny_inputs: ScoringInputs) -> None:
    scores = score_city(tiny_inputs, methodology_from(exponential=True), draws=0)
    # hardship ranks (1 = lowest) A1 B2 C3 D4; tensions C1, A/D 2.5, B4 (n = 4)
    r_hardship = np.array([1, 2, 3, 4]) / 4
    r_tensions = np.array([2.5, 4, 1, 2.5]) / 4
    expected = (imd_exponential(r_hardship) + imd_exponential(r_tensions)) / 2
    np.testing.assert_allclose(scores["risk_score"], expected)


def test_deciles_follow_imd_convention() -> None:
    rows = {2024: np.arange(20)}
    ranks = np.arange(1, 21, dtype=float)
    assert deciles(ranks, rows).tolist() == [float(d) for d in np.repeat(np.arange(1, 11), 2)]
    tied = np.array([1, 1, 3, 4, 5, 6, 7, 8, 9, 10], dtype=float)
    assert deciles(tied, {2024: np.arange(10)}).tolist()[:3] == [1, 1, 3]


def test_recompute_matches_full_scoring_after_weight_change(tiny_inputs: ScoringInputs) -> None:
    base = methodology_from()
    prepared = prepare(tiny_inputs, base)
    heavier = methodology_from(
        domains=[
            {"id": "hardship", "index": "risk", "weight": 3.0},
            {"id": "tensions", "index": "risk"},
            {"id": "mechanisms", "index": "protective"},
            {"id": "trust", "index": "protective"},
        ]
    )
    fast = recompute(prepared, heavier)
    full = score_city(tiny_inputs, heavier, draws=0)
    np.testing.assert_allclose(fast["risk_score"], full["risk_score"])
    # (3 · hardship + tensions) / 4 for D: (262.5 + 66.67) / 4
    assert by_nid(fast, "risk_score")["D"] == pytest.approx((3 * 87.5 + 200 / 3) / 4)
    with pytest.raises(ConfigError, match="prepare\\(\\) the data again"):
        recompute(prepared, methodology_from(normalisation="percentile"))


def test_group_uses_its_values_where_present(tiny_inputs: ScoringInputs) -> None:
    youth = pd.DataFrame(
        {
            "nid": ["A", "B", "C", "D"],
            "indicator": "unemployed_pct",
            "year": 2024,
            "grp": "16-24",
            "value": [40.0, 30.0, 20.0, 10.0],
        }
    )
    inputs = dataclasses.replace(
        tiny_inputs, indicator_values=pd.concat([tiny_inputs.indicator_values, youth])
    )
    scores = score_city(inputs, methodology_from(), group="16-24", draws=0)
    np.testing.assert_allclose(scores["raw__unemployed_pct"], [40, 30, 20, 10])
    np.testing.assert_allclose(
        scores["raw__service_access"], [100, 50, 0, 25]
    )  # no group rows → "all"
    assert set(scores["grp"]) == {"16-24"}


def test_default_years_are_those_every_source_has(tiny_inputs: ScoringInputs) -> None:
    extra = tiny_inputs.incident_counts.assign(year=2023)
    inputs = dataclasses.replace(
        tiny_inputs, incident_counts=pd.concat([tiny_inputs.incident_counts, extra])
    )
    assert set(score_city(inputs, methodology_from(), draws=0)["year"]) == {2024}
