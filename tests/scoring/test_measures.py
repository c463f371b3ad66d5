"""Raw measures: rates, empirical Bayes, assets, survey estimates, outliers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from esda.smoothing import Empirical_Bayes

from citygeo.errors import InputError
from citygeo.scoring import ScoringInputs, build_measures, estimate_survey, score_city
from citygeo.scoring.measures import empirical_bayes
from citygeo.scoring.outliers import is_outlying, treat_outliers

from .conftest import methodology_from


def test_empirical_bayes_shrinks_small_populations_more() -> None:
    events = np.array([1.0, 30.0, 12.0, 50.0, 2.0])
    population = np.array([50.0, 1000.0, 2000.0, 1000.0, 4000.0])
    smoothed = empirical_bayes(events, population)
    np.testing.assert_allclose(smoothed, Empirical_Bayes(events, population).r.ravel())
    raw, city = events / population, events.sum() / population.sum()
    # every smoothed rate lies between its raw rate and the city rate
    assert np.all((smoothed - raw) * (smoothed - city) <= 1e-15)
    # the 50-person area (raw 0.02) is pulled closer to the city rate than the 1000-person one
    # (raw 0.03)
    share_pulled = np.abs(smoothed - raw) / np.abs(city - raw)
    assert share_pulled[0] > share_pulled[1]


def test_empirical_bayes_without_between_variance_gives_city_rate() -> None:
    events = np.array([1.0, 2.0, 1.0])
    population = np.array([100.0, 200.0, 100.0])  # identical raw rates
    np.testing.assert_allclose(empirical_bayes(events, population), [0.01, 0.01, 0.01])


def test_smoothed_measure_keeps_event_counts(tiny_inputs: ScoringInputs) -> None:
    m = methodology_from()
    spec = m.model_dump(by_alias=True)
    spec["measures"][2]["smoothing"] = "empirical_bayes"
    smoothed = methodology_from(measures=spec["measures"])
    table = build_measures(tiny_inputs, smoothed, [2024])
    np.testing.assert_allclose(table.counts["hate_rate"], [2, 6, 0, 8])
    expected = (
        empirical_bayes(np.array([2.0, 6, 0, 8]), np.array([1000.0, 2000, 1000, 4000])) * 1000
    )
    np.testing.assert_allclose(table.raw["hate_rate"], expected)


def test_rates_per_area_and_years_without_data(tiny_inputs: ScoringInputs) -> None:
    spec = methodology_from().model_dump(by_alias=True)
    spec["measures"][2]["denominator"] = "area_km2"
    spec["measures"][2]["per"] = 1
    m = methodology_from(measures=spec["measures"])
    inputs = dataclasses.replace(
        tiny_inputs,
        indicator_values=pd.concat(
            [tiny_inputs.indicator_values, tiny_inputs.indicator_values.assign(year=2025)]
        ),
    )
    table = build_measures(inputs, m, [2024, 2025])
    rows_2024 = table.rows["year"] == 2024
    np.testing.assert_allclose(
        table.raw.loc[rows_2024, "hate_rate"], [2, 6, 0, 4]
    )  # D: 8 events on 2 km²
    assert (
        table.raw.loc[~rows_2024, "hate_rate"].isna().all()
    )  # no incident rows at all for 2025: missing, not 0
    np.testing.assert_allclose(
        table.raw.loc[~rows_2024, "youth_centres"], [1, 0, 3, 0]
    )  # register has no year


def test_asset_themes_filter(tiny_inputs: ScoringInputs) -> None:
    assets = pd.DataFrame(
        {
            "nid": ["A", "A", "B"],
            "kind": "youth_centre",
            "theme": ["sport", "arts", "sport"],
            "count": [1, 2, 4],
        }
    )
    spec = methodology_from().model_dump(by_alias=True)
    spec["measures"][3].update(themes=["arts"], denominator="none")
    m = methodology_from(measures=spec["measures"])
    table = build_measures(dataclasses.replace(tiny_inputs, asset_counts=assets), m, [2024])
    np.testing.assert_allclose(table.raw["youth_centres"], [2, 0, 0, 0])


def test_duplicate_indicator_rows_are_an_input_error(tiny_inputs: ScoringInputs) -> None:
    doubled = pd.concat([tiny_inputs.indicator_values, tiny_inputs.indicator_values.head(1)])
    with pytest.raises(
        InputError,
        match=(
            r"indicator 'unemployed_pct': more than one value for \(nid, year\) "
            r"\[\['A', 2024\]\]"
        ),
    ):
        build_measures(
            dataclasses.replace(tiny_inputs, indicator_values=doubled), methodology_from(), [2024]
        )


def test_estimate_survey_weighted_mean_share_and_kish_n() -> None:
    responses = pd.DataFrame(
        {
            "nid": "A",
            "year": 2024,
            "item": "trust_local_gov",
            "value": [5.0, 4.0, 2.0, 1.0],
            "weight": [1.0, 1.0, 2.0, 0.0],
            "age_band": ["16-24", "16-24", "65+", "65+"],
        }
    )
    out = estimate_survey(responses, ["age_band"], ("mean", "share_at_least:4")).set_index(
        ["grp", "statistic"]
    )
    # all: (5 + 4 + 4 + 0) / 4 = 3.25; share ≥ 4: 2 / 4; Kish n = 4² / (1 + 1 + 4) = 8/3
    assert out.loc[("all", "mean"), "estimate"] == pytest.approx(3.25)
    assert out.loc[("all", "share_at_least:4"), "estimate"] == pytest.approx(0.5)
    assert out.loc[("all", "mean"), "n_eff"] == pytest.approx(16 / 6)
    assert out.loc[("16-24", "mean"), "estimate"] == pytest.approx(4.5)
    assert out.loc[("65+", "mean"), "estimate"] == pytest.approx(2.0)


def test_survey_transform_picks_statistic(tiny_inputs: ScoringInputs) -> None:
    survey = tiny_inputs.survey_estimates
    assert survey is not None
    both = pd.concat(
        [
            survey.assign(statistic="mean"),
            survey.assign(statistic="share_at_least:4", estimate=[0.9, 0.5, 0.2, 0.1]),
        ]
    )
    spec = methodology_from().model_dump(by_alias=True)
    spec["measures"][4]["transform"] = "share_at_least:4"
    scores = score_city(
        dataclasses.replace(tiny_inputs, survey_estimates=both),
        methodology_from(measures=spec["measures"]),
        draws=0,
    )
    np.testing.assert_allclose(scores["raw__trust_local_gov"], [0.9, 0.5, 0.2, 0.1])


def test_outlier_single_spike_is_winsorised_once() -> None:
    x = np.array([*range(1, 20), 100.0])
    assert is_outlying(x)
    treated, what = treat_outliers(x)
    assert what == "winsorised:1"
    assert treated[-1] == 19.0 and treated[:-1].tolist() == x[:-1].tolist()


def test_outlier_heavy_tail_is_logged() -> None:
    x = np.array([1.0] * 50 + [2.0**k for k in range(1, 16)])
    treated, what = treat_outliers(x)
    assert what == "log"
    np.testing.assert_allclose(treated, np.log(x))  # ln(x − min + 1) with min = 1


def test_outliers_off_by_default_and_treated_on_request(tiny_inputs: ScoringInputs) -> None:
    hoods = pd.DataFrame(
        {"nid": [f"N{i}" for i in range(20)], "population": 1000.0, "area_km2": 1.0}
    )
    values = pd.DataFrame(
        {
            "nid": hoods["nid"],
            "indicator": "unemployed_pct",
            "year": 2024,
            "grp": "all",
            "value": [*range(1, 20), 100.0],
        }
    )
    inputs = ScoringInputs(
        hoods, values, tiny_inputs.incident_counts.iloc[:0], tiny_inputs.asset_counts.iloc[:0]
    )
    spec = {
        "domains": [{"id": "h", "index": "risk"}, {"id": "p", "index": "protective"}],
        "measures": [
            {"id": "unemployed_pct", "domain": "h", "direction": "risk"},
            {
                "id": "centres",
                "domain": "p",
                "direction": "protective",
                "from": "assets",
                "kinds": ["x"],
            },
        ],
    }
    plain = score_city(inputs, methodology_from(**spec), draws=0)
    treated = score_city(inputs, methodology_from(**spec, outliers="treat"), draws=0)
    assert plain["measure__unemployed_pct"].iloc[18] == pytest.approx(18 / 99 * 100)
    assert treated["measure__unemployed_pct"].iloc[18] == pytest.approx(
        100.0
    )  # 19 is the new maximum
