"""Survey estimates, intervals, reliability and representativeness against hand-worked cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citygeo.errors import InputError
from citygeo.rules.survey import (
    ESTIMATE_COLUMNS,
    estimate_survey,
    is_unreliable,
    representativeness,
    representativeness_summary,
    weighted_estimates,
)

# Ten respondents in neighbourhood A, 2024. Respondent r0 has weight 3, the others 1.
WEIGHTS = [3, 1, 1, 1, 1, 1, 1, 1, 1, 1]
SCORES = [8, 2, 2, 4, 4, 6, 6, 8, 8, 8]  # a 0-10 item
TRUST = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]  # a 0/1 item
GENDER = ["f", "f", "f", "f", "f", "m", "m", "m", "m", "m"]


def _hand_case() -> pd.DataFrame:
    """Item "score" with the weights above; item "trust" asked of ten others, equal weights."""
    score = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(10)],
            "nid": "A",
            "year": 2024,
            "weight": [float(w) for w in WEIGHTS],
            "gender": GENDER,
            "item": "score",
            "value": [float(s) for s in SCORES],
        }
    )
    trust = score.assign(
        response_id=[f"t{i}" for i in range(10)],
        weight=1.0,
        item="trust",
        value=[float(t) for t in TRUST],
    )
    return pd.concat([score, trust], ignore_index=True)


def _row(est: pd.DataFrame, nid: str | None, item: str, grp_var: str, grp: str) -> pd.Series:
    place = est["nid"].isna() if nid is None else est["nid"] == nid
    hit = est[place & (est["item"] == item) & (est["grp_var"] == grp_var) & (est["grp"] == grp)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_weighted_mean_and_t_interval_by_hand() -> None:
    est = weighted_estimates(_hand_case(), groups=["gender"], min_sample=30)
    assert list(est.columns) == list(ESTIMATE_COLUMNS)
    row = _row(est, "A", "score", "all", "all")
    # Σw = 3 + 9 = 12; Σwx = 3·8 + (2+2+4+4+6+6+8+8+8) = 24 + 48 = 72; mean = 72/12 = 6.
    assert row["estimate"] == pytest.approx(6.0)
    # Σw² = 9 + 9 = 18; n_eff = 12² / 18 = 8.
    assert row["n_eff"] == pytest.approx(8.0)
    assert row["n"] == 10
    # Σw(x−6)² = 3·4 + (16+16+4+4+0+0+4+4+4) = 12 + 52 = 64; weighted var = 64/12;
    # corrected var = 64/12 · 8/7 = 128/21; se = sqrt(128/21 / 8) = sqrt(16/21) = 0.872872.
    assert row["se"] == pytest.approx(math.sqrt(16 / 21))
    # t(0.975, df = 8 − 1 = 7) = 2.364624 (standard t table); half width = 2.064030.
    half = 2.364624 * math.sqrt(16 / 21)
    assert row["ci_low"] == pytest.approx(6 - half, abs=1e-5)
    assert row["ci_high"] == pytest.approx(6 + half, abs=1e-5)
    assert bool(row["unreliable"])  # n_eff 8 < 30


def test_group_breakdown_by_hand() -> None:
    est = weighted_estimates(_hand_case(), groups=["gender"])
    women = _row(est, "A", "score", "gender", "f")
    # f: weights 3,1,1,1,1 and scores 8,2,2,4,4: Σwx = 24+12 = 36, Σw = 7, mean = 36/7.
    assert women["estimate"] == pytest.approx(36 / 7)
    assert women["n_eff"] == pytest.approx(49 / 13)  # 7² / (9+1+1+1+1)
    assert women["n"] == 5
    men = _row(est, "A", "score", "gender", "m")
    assert men["estimate"] == pytest.approx(36 / 5)  # (6+6+8+8+8)/5
    assert men["n_eff"] == pytest.approx(5.0)


def test_wilson_interval_for_a_proportion() -> None:
    est = weighted_estimates(_hand_case(), groups=["gender"])
    row = _row(est, "A", "trust", "all", "all")
    assert row["estimate"] == pytest.approx(0.3)
    # Wilson, p = 0.3, n = 10, z = 1.959964, z² = 3.841459:
    #   centre = (0.3 + z²/20) / (1 + z²/10) = 0.492073 / 1.384146 = 0.355507
    #   half   = z / 1.384146 · sqrt(0.3·0.7/10 + z²/400) = 1.416010 · 0.174940 = 0.247716
    # -> [0.1078, 0.6032], the published Wilson interval for 3 of 10.
    assert row["ci_low"] == pytest.approx(0.10779, abs=1e-4)
    assert row["ci_high"] == pytest.approx(0.60322, abs=1e-4)
    # At 0 of 5 (men) Wilson is not degenerate: low 0, high = z²/(n+z²) = 3.8415/8.8415.
    men = _row(est, "A", "trust", "gender", "m")
    assert men["estimate"] == 0.0
    assert men["ci_low"] == pytest.approx(0.0, abs=1e-12)
    assert men["ci_high"] == pytest.approx(3.841459 / 8.841459, abs=1e-5)


def test_city_wide_rows_pool_neighbourhoods() -> None:
    frame = pd.DataFrame(
        {
            "response_id": ["a1", "a2", "b1", "b2"],
            "nid": ["A", "A", "B", "B"],
            "year": 2024,
            "weight": [1.0, 1.0, 2.0, 4.0],
            "gender": ["f", "m", "f", None],
            "item": "score",
            "value": [1.0, 3.0, 5.0, None],  # b2 did not answer: a non-response
        }
    )
    est = weighted_estimates(frame, groups=["gender"])
    city = _row(est, None, "score", "all", "all")
    # (1·1 + 1·3 + 2·5) / (1 + 1 + 2) = 14/4 = 3.5; n = 3 answers.
    assert city["estimate"] == pytest.approx(3.5)
    assert city["n"] == 3
    assert city["n_eff"] == pytest.approx(16 / 6)  # 4² / (1+1+4)
    city_f = _row(est, None, "score", "gender", "f")
    assert city_f["estimate"] == pytest.approx((1 + 10) / 3)
    b = _row(est, "B", "score", "all", "all")
    # One respondent: n_eff = 1, no variance, no interval.
    assert b["n_eff"] == pytest.approx(1.0)
    assert pd.isna(b["ci_low"]) and pd.isna(b["ci_high"])


def _cell(weights: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(len(weights))],
            "nid": "A",
            "year": 2024,
            "weight": weights,
            "item": "score",
            "value": [float(i % 5) for i in range(len(weights))],
        }
    )


def test_unreliable_exactly_at_the_threshold() -> None:
    # 29 weights of 1 and one weight w with (29 + w)² / (29 + w²) = 29.99:
    # 28.99 w² − 58 w + 28.71 = 0  ->  w = (58 + sqrt(58² − 4·28.99·28.71)) / (2·28.99).
    w = (58 + math.sqrt(58**2 - 4 * 28.99 * 28.71)) / (2 * 28.99)
    below = weighted_estimates(_cell([1.0] * 29 + [w]), min_sample=30)
    assert below["n_eff"].iloc[0] == pytest.approx(29.99)
    assert below["unreliable"].all()
    # 30 equal weights: n_eff = 30 exactly -> reliable.
    at = weighted_estimates(_cell([1.0] * 30), min_sample=30)
    assert at["n_eff"].iloc[0] == 30
    assert not at["unreliable"].any()
    # 30 weights of 0.1 give n_eff = 29.999999999999996 in floats: still reliable.
    tenth = weighted_estimates(_cell([0.1] * 30), min_sample=30)
    assert not tenth["unreliable"].any()


def test_bad_responses_are_reported_together() -> None:
    frame = _cell([1.0, -2.0, float("nan")])
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="(?s)2 answer.*weight.*1 repeated answer.*'r0'"):
        weighted_estimates(frame)
    with pytest.raises(InputError, match="age_band"):
        weighted_estimates(_cell([1.0]), groups=["age_band"])


def test_the_scoring_estimate_is_the_display_estimate() -> None:
    """One estimator: the scores' survey measures and the profile's results are the same
    weighted means and Kish n_eff, so "unreliable" means one thing everywhere."""
    responses = _hand_case()
    shown = weighted_estimates(responses, groups=["gender"])
    shown = shown[shown["nid"].notna()].set_index(["nid", "year", "item", "grp"]).sort_index()
    scored = (
        estimate_survey(responses, ["gender"])
        .set_index(["nid", "year", "item", "grp"])
        .sort_index()
    )
    pd.testing.assert_series_equal(scored["estimate"], shown["estimate"], check_index_type=False)
    pd.testing.assert_series_equal(scored["n_eff"], shown["n_eff"], check_index_type=False)
    assert list(map(tuple, scored.index)) == list(map(tuple, shown.index))
    assert (scored["statistic"] == "mean").all()


def test_scores_and_profile_agree_on_reliability_at_the_threshold() -> None:
    """30 equal weights of 0.7 give n_eff = 29.999999999999982 in floats: reliable in the
    profile and not flagged in the scores (once the flags used no slack and disagreed)."""
    n_eff = estimate_survey(_cell([0.7] * 30))["n_eff"].to_numpy()
    assert n_eff[0] < 30
    assert not is_unreliable(n_eff, 30).any()
    assert not weighted_estimates(_cell([0.7] * 30), min_sample=30)["unreliable"].any()
    assert is_unreliable(np.array([29.99]), 30).all()


def _rep_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 10 respondents in A (2024): one aged 16-24 with weight 2, nine aged 25-64 with weight 1;
    # each answered two items (shares must count people, not answers).
    people = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(10)],
            "nid": "A",
            "year": 2024,
            "weight": [2.0] + [1.0] * 9,
            "age_band": ["16-24"] + ["25-64"] * 9,
        }
    )
    responses = pd.concat(
        [people.assign(item="trust", value=1.0), people.assign(item="safe", value=0.0)],
        ignore_index=True,
    )
    population = pd.DataFrame(
        {
            "nid": "A",
            "indicator": "population",
            "year": [2019, 2019, 2021, 2021, 2021, 2026, 2026],
            "grp": ["16-24", "25-64", "16-24", "25-64", "65+", "16-24", "25-64"],
            "value": [500.0, 500.0, 300.0, 600.0, 100.0, 100.0, 900.0],
        }
    )
    return responses, population


def test_representativeness_flags_a_known_under_represented_group() -> None:
    responses, population = _rep_case()
    rep = representativeness(
        responses,
        population,
        ["age_band"],
        weighted=False,
        categories={"age_band": ["16-24", "25-64", "65+"]},
    )
    rep = rep.set_index("grp")
    # Survey 2024 uses the latest population year at or before it: 2021.
    assert (rep["population_year"] == 2021).all()
    # Unweighted: 1 of 10 respondents is 16-24 (0.1); population 300/1000 = 0.3; ratio 1/3.
    assert rep.loc["16-24", "sample_share"] == pytest.approx(0.1)
    assert rep.loc["16-24", "population_share"] == pytest.approx(0.3)
    assert rep.loc["16-24", "ratio"] == pytest.approx(1 / 3)
    assert bool(rep.loc["16-24", "under_represented"])
    # 25-64: 0.9 / 0.6 = 1.5, fine. 65+: nobody answered, 0 / 0.1 = 0, under-represented.
    assert rep.loc["25-64", "ratio"] == pytest.approx(1.5)
    assert not bool(rep.loc["25-64", "under_represented"])
    assert rep.loc["65+", "sample_share"] == 0.0
    assert bool(rep.loc["65+", "under_represented"])


def test_representativeness_weighted_shares_and_summary() -> None:
    responses, population = _rep_case()
    rep = representativeness(responses, population, ["age_band"])
    by_grp = rep.set_index("grp")
    # Weighted: 16-24 holds 2 of 11 weight; population share among the survey's own
    # categories (16-24, 25-64) is 300/900 = 1/3; ratio = (2/11) / (1/3) = 6/11 = 0.545 ≥ 0.5.
    assert by_grp.loc["16-24", "sample_share"] == pytest.approx(2 / 11)
    assert by_grp.loc["16-24", "population_share"] == pytest.approx(1 / 3)
    assert by_grp.loc["16-24", "ratio"] == pytest.approx(6 / 11)
    assert not rep["under_represented"].any()
    strict = representativeness(responses, population, ["age_band"], threshold=0.6)
    summary = representativeness_summary(strict)
    assert summary.loc[0, "under_represented"] == ["age_band:16-24"]
    expected = "Under-represented: 16-24 (age_band, 0.55× population share)"
    assert summary.loc[0, "summary"] == expected
    assert representativeness_summary(rep).loc[0, "summary"] == "No group under-represented"


def test_survey_summed_in_duckdb_gives_the_microdata_estimates(demo_store: Path) -> None:
    """Scoring reads the survey as cell sums computed in DuckDB; they give the same estimates
    as ``estimate_survey`` on the microdata (to rounding: the sums are added in another order),
    every cell, every group and both statistics, and the same cells with the same counts."""
    from citygeo.rules.survey import estimate_survey, estimates_from_sums
    from citygeo.store import Store, reads

    statistics = ("mean", "share_at_least:4")
    with Store(demo_store).reader() as con:
        sums = reads.survey_cell_sums(con, statistics)
        responses = reads.survey_responses(con).drop(columns=["source_id"])
    groups = [c for c in responses.columns if c in ("age_band", "gender")]
    assert groups == ["age_band", "gender"]
    expected = estimate_survey(responses, groups, statistics).reset_index(drop=True)
    got = estimates_from_sums(sums).reset_index(drop=True)
    assert len(got) == len(expected) > 10_000
    exact = ["nid", "year", "item", "grp", "statistic", "n"]
    pd.testing.assert_frame_equal(got[exact], expected[exact])
    for column in ("estimate", "n_eff"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-13)
    assert set(got["statistic"]) == set(statistics)
    assert set(got["grp"]) >= {"all", "16-24", "female"}


def test_survey_sums_treat_missing_weights_values_and_groups_as_the_estimator_does(
    tmp_path: Path,
) -> None:
    """By hand: a missing weight counts as 1, a missing answer is no answer, a missing group
    value leaves the answer out of that group only."""
    from citygeo.rules.survey import estimates_from_sums
    from citygeo.store import Store, reads

    store = Store(tmp_path / "s.duckdb")
    store.initialise()
    with store.writer() as con:
        con.execute("DROP TABLE IF EXISTS survey_responses")
        con.execute(
            "CREATE TABLE survey_responses (response_id VARCHAR, nid VARCHAR, year INTEGER, "
            "weight DOUBLE, item VARCHAR, value DOUBLE, source_id VARCHAR, band VARCHAR)"
        )
        con.execute(
            "INSERT INTO survey_responses VALUES "
            "('a', 'N1', 2025, 2.0, 'trust', 5, 's', 'young'), "
            "('b', 'N1', 2025, NULL, 'trust', 2, 's', 'old'), "
            "('c', 'N1', 2025, 1.0, 'trust', NULL, 's', 'old'), "
            "('d', 'N1', 2025, 1.0, 'trust', 4, 's', NULL)"
        )
    with store.reader() as con:
        got = estimates_from_sums(reads.survey_cell_sums(con, ("mean", "share_at_least:4")))
    cell = got.set_index(["grp", "statistic"])
    # all: weights 2, 1 (missing → 1), 1; answers 5, 2, 4 (c did not answer)
    assert cell.loc[("all", "mean"), "estimate"] == pytest.approx((2 * 5 + 2 + 4) / 4)
    assert cell.loc[("all", "mean"), "n_eff"] == pytest.approx(16 / 6)
    assert cell.loc[("all", "mean"), "n"] == 3
    assert cell.loc[("all", "share_at_least:4"), "estimate"] == pytest.approx(3 / 4)
    assert cell.loc[("young", "mean"), "estimate"] == 5 and cell.loc[("old", "mean"), "n"] == 1
    assert set(got["grp"]) == {"all", "young", "old"}  # d has no band: in "all" only
