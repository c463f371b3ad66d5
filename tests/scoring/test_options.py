"""Methodology options for published indices (DESIGN.md §3): ties, round, sum, rescale,
index_from, missing, hotspot_correction, risk-only and protective-only methodologies —
each against numbers worked out by hand, and the defaults unchanged."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from citygeo.errors import ConfigError
from citygeo.scoring import (
    ScoringInputs,
    canonical_json,
    methodology_sha256,
    prepare,
    queen_weights,
    score_city,
)
from citygeo.scoring.aggregate import get_aggregation
from citygeo.scoring.engine import index_aggregates, index_inputs
from citygeo.scoring.hotspots import local_moran_classes, significance_cutoff
from citygeo.scoring.normalise import get_normalisation
from citygeo.scoring.robustness import _draw_scores, _linear, _RiskParts, rank_intervals

from .conftest import methodology_from

RISK_ONLY_DOMAINS = [{"id": "hardship", "index": "risk"}, {"id": "tensions", "index": "risk"}]
RISK_ONLY_MEASURES = [
    {"id": "unemployed_pct", "domain": "hardship", "direction": "risk"},
    {"id": "service_access", "domain": "hardship", "direction": "protective"},
    {
        "id": "hate_rate",
        "domain": "tensions",
        "direction": "risk",
        "from": "incidents",
        "categories": ["hate_crime", "hate_incident"],
    },
]


# --- ties and round in the normalisations ---------------------------------------------


def test_percentile_and_rank_ties() -> None:
    x = np.array([[5.0], [7.0], [7.0], [9.0], [np.nan]])
    pct = {
        t: get_normalisation("percentile", t).normalise(x)[:, 0] for t in ("average", "min", "max")
    }
    # ranks average 1, 2.5, 2.5, 4 / min 1, 2, 2, 4 / max 1, 3, 3, 4 over n = 4 → (r − 1)/3
    np.testing.assert_allclose(pct["average"][:4], [0, 50, 50, 100])
    np.testing.assert_allclose(pct["min"][:4], [0, 100 / 3, 100 / 3, 100])
    np.testing.assert_allclose(pct["max"][:4], [0, 200 / 3, 200 / 3, 100])
    assert all(np.isnan(p[4]) for p in pct.values())
    np.testing.assert_array_equal(
        get_normalisation("rank", "min").normalise(x)[:4, 0], [1, 2, 2, 4]
    )
    with pytest.raises(ValueError, match="ties 'lowest' is not known; valid: average, min, max"):
        get_normalisation("rank", "lowest")


def test_round_keeps_decimals_on_the_zero_one_scale_halves_up() -> None:
    # percentile from the exact fraction: 1/32 = 0.03125 → 0.0313; average ties give halves
    # of a rank: ranks 1, 2.5, 2.5, 4, … of 9 → (1.5)/8 = 0.1875 → 0.188 with round = 3
    x = np.arange(33.0)[:, None]
    assert get_normalisation("percentile", "average", 4).normalise(x)[1, 0] == 3.13
    tied = np.array([[0.0], [1.0], [1.0], *[[float(i)] for i in range(3, 9)]])
    assert get_normalisation("percentile", "average", 3).normalise(tied)[1, 0] == 18.8
    # min–max in decimals: (22.345 − 10) / 100 = 0.12345 → 0.1235 (binary floats give 0.12344999…)
    raw = np.array([[10.0], [22.345], [110.0], [np.nan]])
    assert get_normalisation("minmax").normalise(raw)[1, 0] < 12.345
    out = get_normalisation("minmax", decimals=4).normalise(raw)[:, 0]
    assert out[:3].tolist() == [0.0, 12.35, 100.0] and np.isnan(out[3])
    assert (
        get_normalisation("minmax", decimals=0).normalise(np.array([[0.0], [0.5], [1.0]]))[1, 0]
        == 100.0
    )


# --- sum, missing, rescale, index_from --------------------------------------------------


def test_sum_aggregation_reweights_a_missing_value() -> None:
    scores = np.array([[10.0, 20.0, 30.0], [10.0, np.nan, 30.0], [np.nan, np.nan, np.nan]])
    weights = np.array([[1.0], [1.0], [2.0]])
    out = get_aggregation("sum").aggregate(scores, weights)[:, 0]
    # 10 + 20 + 60 = 90; missing the middle: (10 + 60) / 3 · 4 = 93.33…; nothing: NaN
    np.testing.assert_allclose(out[:2], [90.0, 70.0 / 3.0 * 4.0])
    assert np.isnan(out[2])


def test_missing_propagate_leaves_domain_and_index_empty(tiny_inputs: ScoringInputs) -> None:
    values = tiny_inputs.indicator_values
    holed = values.loc[~((values["nid"] == "B") & (values["indicator"] == "unemployed_pct"))]
    inputs = dataclasses.replace(tiny_inputs, indicator_values=holed)
    reweighted = score_city(inputs, methodology_from(), draws=0).set_index("nid")
    propagated = score_city(inputs, methodology_from(missing="propagate"), draws=0).set_index("nid")
    assert reweighted.loc["B", "domain__hardship"] == 50.0  # service access alone
    assert np.isnan(propagated.loc["B", "domain__hardship"])
    assert np.isnan(propagated.loc["B", "risk_score"]) and pd.isna(propagated.loc["B", "risk_rank"])
    assert "missing_domain:hardship" in propagated.loc["B", "flags"]
    # the protective index does not use the missing measure, so it stays
    assert propagated.loc["B", "protective_score"] == reweighted.loc["B", "protective_score"]
    assert propagated.drop("B")["risk_score"].notna().all()


def test_rescale_percentile_and_minmax_of_domains_and_indices(tiny_inputs: ScoringInputs) -> None:
    plain = score_city(tiny_inputs, methodology_from(), draws=0)
    # hardship A..D = 0, 37.5, 75, 87.5 and tensions = 66.7, 100, 0, 66.7 (test_engine)
    pct = score_city(tiny_inputs, methodology_from(rescale="percentile"), draws=0)
    np.testing.assert_allclose(pct["domain__hardship"], [0, 100 / 3, 200 / 3, 100])
    # tensions ranks C 1, A and D 2.5 (average), B 4 → (r − 1)/3
    np.testing.assert_allclose(pct["domain__tensions"], [50, 100, 0, 50])
    # risk = mean of the rescaled domains (25, 66.7, 33.3, 75), then its percentile
    np.testing.assert_allclose(pct["risk_score"], [0, 200 / 3, 100 / 3, 100])
    low = score_city(tiny_inputs, methodology_from(rescale="percentile", ties="min"), draws=0)
    np.testing.assert_allclose(low["domain__tensions"], [100 / 3, 100, 0, 100 / 3])  # A, D rank 2
    # risk 16.7, 66.7, 33.3, 66.7: B and D tie and share the lowest rank (3 of 4)
    np.testing.assert_allclose(low["risk_score"], [0, 200 / 3, 100 / 3, 200 / 3])
    mm = score_city(tiny_inputs, methodology_from(rescale="minmax"), draws=0)
    hardship = plain["domain__hardship"].to_numpy()
    np.testing.assert_allclose(mm["domain__hardship"], hardship / 87.5 * 100)
    np.testing.assert_allclose(mm["domain__tensions"], plain["domain__tensions"])  # already 0..100
    risk = (hardship / 87.5 * 100 + plain["domain__tensions"].to_numpy()) / 2
    np.testing.assert_allclose(mm["risk_score"], (risk - risk.min()) / np.ptp(risk) * 100)


def test_index_from_aggregates_uses_the_domains_before_their_rescale(
    tiny_inputs: ScoringInputs,
) -> None:
    m = methodology_from(rescale="percentile", index_from="aggregates", aggregation="sum")
    prepared = prepare(tiny_inputs, m)
    domains, feeding = index_inputs(prepared, m)
    # risk = sum of the domain sums: hardship (unemployed 0, 25, 50, 100 + inverted
    # service access 0, 50, 100, 75) + tensions
    hardship_sum = np.array([0.0, 75.0, 150.0, 175.0])
    tensions = np.array([200 / 3, 100.0, 0.0, 200 / 3])
    np.testing.assert_allclose(feeding[:, 0], hardship_sum)
    np.testing.assert_allclose(domains[:, 0], [0, 100 / 3, 200 / 3, 100])
    np.testing.assert_allclose(
        index_aggregates(feeding, prepared, m, "risk"), hardship_sum + tensions
    )
    scores = score_city(tiny_inputs, m, draws=0)
    # sums 66.7, 175, 150, 241.7 → percentiles 0, 66.7, 33.3, 100
    np.testing.assert_allclose(scores["risk_score"], [0, 200 / 3, 100 / 3, 100])


def test_sum_without_rescale_is_reported_zero_to_hundred(tiny_inputs: ScoringInputs) -> None:
    scores = score_city(tiny_inputs, methodology_from(aggregation="sum"), draws=0)
    assert scores["risk_score"].min() == 0.0 and scores["risk_score"].max() == 100.0


# --- the Monte Carlo takes the general route where the matrix product would be wrong --


@pytest.mark.parametrize(
    ("options", "linear"),
    [
        ({}, True),
        ({"aggregation": "sum"}, False),
        ({"rescale": "percentile"}, False),
        ({"rescale": "minmax", "index_from": "aggregates"}, True),
        ({"missing": "propagate"}, True),
        ({"ties": "min", "round": 4}, True),
        ({"exponential": True}, False),
    ],
)
def test_monte_carlo_route(options: dict[str, object], linear: bool) -> None:
    assert _linear(methodology_from(**options)) is linear


@pytest.mark.parametrize(
    "options",
    [
        {"aggregation": "sum"},
        {"rescale": "percentile"},
        {"rescale": "minmax"},
        {"aggregation": "sum", "rescale": "percentile", "index_from": "aggregates"},
    ],
)
def test_monte_carlo_draw_of_unit_factors_is_the_engine_index(
    tiny_inputs: ScoringInputs, options: dict[str, object]
) -> None:
    """With every factor 1 a draw is the methodology itself: its index before the final
    rescale (which keeps the order) is the engine's."""
    m = methodology_from(**options)
    prepared = prepare(tiny_inputs, m)
    base = _RiskParts(prepared, m)
    rows = np.flatnonzero(base.ranked)
    ones = (np.ones((1, len(base.measures))), np.ones((1, len(base.domain_weights))))
    draw = _draw_scores(
        base, ones, base.values[rows], get_aggregation(m.aggregation), slice(None), m
    )[:, 0]
    expected = index_aggregates(index_inputs(prepared, m)[1], prepared, m, "risk")[rows]
    np.testing.assert_allclose(draw, expected, rtol=0, atol=1e-9)


# --- risk-only and protective-only --------------------------------------------------------


def _grid_weights(nids: list[str]) -> object:
    cells = gpd.GeoDataFrame(
        {"nid": nids}, geometry=[box(i, 0, i + 1, 1) for i in range(len(nids))], crs="EPSG:3857"
    )
    return queen_weights(cells)


def test_risk_only_methodology(tiny_inputs: ScoringInputs) -> None:
    m = methodology_from(domains=RISK_ONLY_DOMAINS, measures=RISK_ONLY_MEASURES)
    assert m.scores("risk") and not m.scores("protective")
    inputs = dataclasses.replace(tiny_inputs, weights=_grid_weights(["A", "B", "C", "D"]))
    scores = score_city(inputs, m, draws=100)
    both = score_city(inputs, methodology_from(), draws=100)
    pd.testing.assert_series_equal(scores["risk_score"], both["risk_score"])
    pd.testing.assert_series_equal(scores["risk_rank_p05"], both["risk_rank_p05"])
    for column in ("protective_score", "protective_rank", "protective_decile", "typology"):
        assert scores[column].isna().all(), column
    assert "domain__mechanisms" not in scores
    assert scores["hotspot"].isin(["none", "high-high", "low-low", "high-low", "low-high"]).all()


def test_protective_only_methodology(tiny_inputs: ScoringInputs) -> None:
    m = methodology_from(
        domains=[
            {"id": "mechanisms", "index": "protective"},
            {"id": "trust", "index": "protective"},
        ],
        measures=[
            {
                "id": "youth_centres",
                "domain": "mechanisms",
                "direction": "protective",
                "from": "assets",
                "kinds": ["youth_centre"],
            },
            {
                "id": "trust_local_gov",
                "domain": "trust",
                "direction": "protective",
                "from": "survey",
            },
        ],
    )
    scores = score_city(tiny_inputs, m, draws=100)
    both = score_city(tiny_inputs, methodology_from(), draws=0)
    pd.testing.assert_series_equal(scores["protective_score"], both["protective_score"])
    for column in (
        "risk_score",
        "risk_rank",
        "risk_decile",
        "risk_rank_p05",
        "risk_rank_p95",
        "typology",
    ):
        assert scores[column].isna().all(), column
    assert rank_intervals(prepare(tiny_inputs, m), m, draws=10)["risk_rank_p05"].isna().all()


def test_hot_spots_run_on_the_protective_index_when_there_is_no_risk_index() -> None:
    cells = [box(x, y, x + 1, y + 1) for y in range(10) for x in range(10)]
    nids = [f"N{i:02d}" for i in range(100)]
    grid = gpd.GeoDataFrame({"nid": nids}, geometry=cells, crs="EPSG:3857")
    xs = np.array([g.bounds[0] for g in cells])
    value = np.where(xs < 5, 100.0, 0.0) + np.arange(100) * 0.01
    hoods = pd.DataFrame(
        {"nid": nids, "name": nids, "district": None, "population": 1.0, "area_km2": 1.0}
    )
    indicators = pd.DataFrame(
        {"nid": nids, "indicator": "clubs", "year": 2024, "grp": "all", "value": value}
    )
    inputs = ScoringInputs(
        hoods,
        indicators,
        pd.DataFrame(columns=["nid", "year", "category", "count"]),
        pd.DataFrame(columns=["nid", "kind", "theme", "count"]),
        weights=queen_weights(grid),
    )
    m = methodology_from(
        domains=[{"id": "clubs", "index": "protective"}],
        measures=[{"id": "clubs", "domain": "clubs", "direction": "protective"}],
    )
    scores = score_city(inputs, m, draws=0)
    classes = scores.set_index("nid")["hotspot"]
    assert classes["N23"] == "high-high" and classes["N27"] == "low-low"  # x = 3 and x = 7, y = 2


# --- hotspot_correction --------------------------------------------------------------------


def test_significance_cutoffs_by_hand() -> None:
    p = np.array([0.2, 0.001, 0.045, 0.01, 0.035])
    assert significance_cutoff(p, 0.05, "none") == 0.05
    assert significance_cutoff(p, 0.05, "bonferroni") == pytest.approx(0.01)
    # Benjamini–Hochberg: sorted .001 < .01, .01 < .02, .035 ≥ .03, .045 ≥ .04, .2 ≥ .05 → 2·.05/5
    assert significance_cutoff(p, 0.05, "fdr") == pytest.approx(0.02)
    with pytest.raises(ValueError, match="valid: none, fdr, bonferroni"):
        significance_cutoff(p, 0.05, "holm")


def test_corrections_keep_fewer_hot_spots_on_a_lattice() -> None:
    cells = [box(x, y, x + 1, y + 1) for y in range(10) for x in range(10)]
    grid = gpd.GeoDataFrame(
        {"nid": [f"N{i:02d}" for i in range(100)]}, geometry=cells, crs="EPSG:3857"
    )
    rng = np.random.default_rng(4)
    xs = np.array([g.bounds[0] for g in cells])
    values = pd.Series(np.where(xs < 5, 10.0, 0.0) + rng.normal(0, 4, 100), index=grid["nid"])
    w = queen_weights(grid)
    found = {
        c: set(np.flatnonzero(local_moran_classes(values, w, seed=1, correction=c) != "none"))
        for c in ("none", "fdr", "bonferroni")
    }
    assert found["bonferroni"] <= found["fdr"] <= found["none"]
    assert len(found["fdr"]) < len(found["none"])
    default = local_moran_classes(values, w, seed=1)
    assert default.equals(local_moran_classes(values, w, seed=1, correction="none"))


def test_hotspot_correction_reaches_the_scores(tiny_inputs: ScoringInputs) -> None:
    inputs = dataclasses.replace(tiny_inputs, weights=_grid_weights(["A", "B", "C", "D"]))
    for correction in ("none", "fdr", "bonferroni"):
        m = methodology_from(hotspot_correction=correction)
        assert m.hotspot_correction == correction
        assert len(score_city(inputs, m, draws=0)) == 4


# --- validation and the fingerprint ----------------------------------------------------------


def test_defaults_keep_the_fingerprint() -> None:
    plain = methodology_from()
    stated = methodology_from(
        ties="average",
        round=None,
        rescale="none",
        index_from="scores",
        missing="reweight",
        hotspot_correction="none",
    )
    assert canonical_json(plain) == canonical_json(stated)
    for key in ("ties", "round", "rescale", "index_from", "missing", "hotspot_correction"):
        assert f'"{key}"' not in canonical_json(plain)
    assert methodology_sha256(methodology_from(ties="min")) != methodology_sha256(plain)
    assert '"ties":"min"' in canonical_json(methodology_from(ties="min"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"normalisation": "zscore", "round": 4}, r"round = 4 keeps decimals on the 0–1 scale"),
        ({"index_from": "aggregates", "exponential": True}, r"index_from = 'aggregates' cannot"),
        ({"ties": "lowest"}, r"ties: Input should be 'average', 'min' or 'max'"),
        ({"rescale": "rank"}, r"rescale: Input should be 'none', 'percentile' or 'minmax'"),
        ({"missing": "zero"}, r"missing: Input should be 'reweight' or 'propagate'"),
        (
            {"hotspot_correction": "holm"},
            r"hotspot_correction: Input should be 'none', 'fdr' or 'bonferroni'",
        ),
        ({"round": -1}, r"round: Input should be greater than or equal to 0"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        methodology_from(**options)


def test_zscore_with_round_and_a_rescale_is_allowed() -> None:
    assert methodology_from(normalisation="zscore", round=4, rescale="percentile").round == 4


def test_recompute_re_aggregates_but_ties_and_round_need_prepare(
    tiny_inputs: ScoringInputs,
) -> None:
    from citygeo.scoring import recompute

    prepared = prepare(tiny_inputs, methodology_from())
    for options in ({"rescale": "percentile"}, {"aggregation": "sum"}, {"missing": "propagate"}):
        m = methodology_from(**options)
        fresh = score_city(tiny_inputs, m, draws=0)
        again = recompute(prepared, m)
        pd.testing.assert_series_equal(again["risk_score"], fresh["risk_score"])
    with pytest.raises(ConfigError, match=r"normalisation \(or its ties or round\)"):
        recompute(prepared, methodology_from(ties="min"))
    with pytest.raises(ConfigError, match=r"prepare\(\) the data again"):
        recompute(prepared, methodology_from(round=4))


def test_only_sums_of_rounded_values_are_put_on_their_decimal(tiny_inputs: ScoringInputs) -> None:
    from citygeo.scoring.engine import domain_aggregates

    # zscore measures are not rounded (round then applies to the rescale only): their
    # sums stay as computed, while the rescaled domains are rounded to 4 decimals
    m = methodology_from(normalisation="zscore", aggregation="sum", round=4, rescale="percentile")
    plain = methodology_from(normalisation="zscore", aggregation="sum")
    prepared = prepare(tiny_inputs, m)
    np.testing.assert_array_equal(
        domain_aggregates(prepared, m), domain_aggregates(prepare(tiny_inputs, plain), plain)
    )
    tensions = score_city(tiny_inputs, m, draws=0)["domain__tensions"]
    assert tensions.tolist() == [50.0, 100.0, 0.0, 50.0]
    hardship = score_city(tiny_inputs, methodology_from(rescale="percentile", round=2), draws=0)[
        "domain__hardship"
    ]
    assert hardship.tolist() == [0.0, 33.0, 67.0, 100.0]  # 1/3 → 0.33, 2/3 → 0.67
