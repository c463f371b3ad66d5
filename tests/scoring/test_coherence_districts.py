"""Coherence report and district scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citygeo.scoring import ScoringInputs, score_city
from citygeo.scoring.coherence import coherence_report, cronbach_alpha
from citygeo.scoring.districts import district_inputs, score_districts

from .conftest import methodology_from


def test_cronbach_alpha_known_cases() -> None:
    # items (1, 2, 3) and (2, 3, 3): variances 1 and 1/3, total (3, 5, 6) variance 7/3
    assert cronbach_alpha(np.array([[1.0, 2], [2, 3], [3, 3]])) == pytest.approx(6 / 7)
    identical = np.array([[1.0, 1.0, 1.0], [2, 2, 2], [5, 5, 5]])
    assert cronbach_alpha(identical) == pytest.approx(1.0)
    assert np.isnan(cronbach_alpha(np.array([[1.0], [2.0]])))


def test_coherence_report_on_tiny_city(tiny_inputs: ScoringInputs) -> None:
    m = methodology_from()
    report = coherence_report(score_city(tiny_inputs, m, draws=0), m)
    pair = report.correlations.set_index(["measure_a", "measure_b"]).loc[
        ("unemployed_pct", "service_access")
    ]
    # oriented unemployed 0, 25, 50, 100 vs service access 0, 50, 100, 75
    expected = np.corrcoef([0, 25, 50, 100], [0, 50, 100, 75])[0, 1]
    assert pair["r"] == pytest.approx(expected) and bool(pair["same_domain"]) and pair["flag"] == ""
    hardship = report.alpha.set_index("domain").loc["hardship"]
    assert hardship["alpha"] == pytest.approx(
        cronbach_alpha(np.array([[0, 0], [25, 50], [50, 100], [100, 75.0]]))
    )
    weights = report.effective_weights.set_index("measure")
    assert weights.loc["unemployed_pct", "nominal"] == pytest.approx(0.25)
    assert weights.loc["hate_rate", "nominal"] == pytest.approx(0.5)
    assert weights.groupby("index")["effective"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert report.outliers.empty


def test_redundant_and_suspect_pairs(tiny_inputs: ScoringInputs) -> None:
    scores = pd.DataFrame(
        {
            "year": 2024,
            "risk_score": [1.0, 2, 3, 4],
            "protective_score": [4.0, 3, 2, 1],
            "measure__unemployed_pct": [1.0, 2, 3, 4],
            "measure__service_access": [4.0, 3, 2, 1.5],
            "measure__hate_rate": [1.0, 2, 3, 4.1],
            "measure__youth_centres": [1.0, 2, 1, 2],
            "measure__trust_local_gov": [2.0, 1, 2, 1],
            **{
                f"raw__{k}": [1.0, 2, 3, 4]
                for k in (
                    "unemployed_pct",
                    "service_access",
                    "hate_rate",
                    "youth_centres",
                    "trust_local_gov",
                )
            },
        }
    )
    flags = coherence_report(scores, methodology_from()).correlations.set_index(
        ["measure_a", "measure_b"]
    )["flag"]
    assert flags[("unemployed_pct", "service_access")] == "redundant"  # r ≈ −0.99 (|r| > 0.9 wins)
    assert flags[("unemployed_pct", "hate_rate")] == "redundant"


def test_district_rates_come_from_sums_not_averages(tiny_inputs: ScoringInputs) -> None:
    districts = district_inputs(tiny_inputs)
    hoods = districts.neighbourhoods.set_index("nid")
    assert hoods.loc["North", "population"] == 3000 and hoods.loc["South", "area_km2"] == 4
    scores = score_districts(tiny_inputs, methodology_from()).set_index("nid")
    # North: (2 + 6) events / 3000 people = 2.667 per 1000; the mean of its rates (2 and 3)
    # would be 2.5
    assert scores.loc["North", "raw__hate_rate"] == pytest.approx(8 / 3)
    # South: 8 / 5000 = 1.6 per 1000 (mean of rates 0 and 2 would be 1.0)
    assert scores.loc["South", "raw__hate_rate"] == pytest.approx(1.6)
    # unemployment weighted by population: North (10·1000 + 20·2000) / 3000;
    # South (30·1000 + 50·4000) / 5000
    assert scores.loc["North", "raw__unemployed_pct"] == pytest.approx(50 / 3)
    assert scores.loc["South", "raw__unemployed_pct"] == pytest.approx(46.0)
    # survey by n_eff: North (4·50 + 3·40) / 90; normalised and ranked among the 2 districts
    assert scores.loc["North", "raw__trust_local_gov"] == pytest.approx(320 / 90)
    assert (
        scores.loc["North", "measure__hate_rate"] == 100
        and scores.loc["South", "measure__hate_rate"] == 0
    )
    # hardship North 0 / South 100 (unemployment 16.7 vs 46; service access 66.7 vs 20, inverted),
    # tensions North 100 / South 0 → both risk 50, tied at rank 1
    assert scores["risk_score"].tolist() == [50.0, 50.0] and scores["risk_rank"].tolist() == [1, 1]


def test_district_inputs_aggregated_once_equal_those_of_each_variant(demo_store) -> None:
    """The scoring aggregates indicators, survey and assets by district once and swaps in the
    counts of each variant (protected, marked): the same inputs as aggregating each variant."""
    from dataclasses import fields

    from citygeo.scoring import load_methodology
    from citygeo.scoring.districts import district_inputs, with_counts_of
    from citygeo.service.scoring import (
        marked_inputs,
        methodology_path_for,
        protected_inputs,
        scoring_inputs,
    )
    from citygeo.store import Store

    store = Store(demo_store)
    methodology = load_methodology(methodology_path_for(store, None))
    exact = scoring_inputs(store, methodology)
    once = district_inputs(exact)
    for variant in (protected_inputs(exact, methodology), marked_inputs(exact, methodology)):
        assert not variant.incident_counts.equals(exact.incident_counts)  # a real variant
        swapped, direct = with_counts_of(once, variant), district_inputs(variant)
        for field in fields(direct):
            a, b = getattr(swapped, field.name), getattr(direct, field.name)
            if isinstance(b, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, obj=field.name)
            else:
                assert a == b, field.name
