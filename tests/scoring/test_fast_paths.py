"""The vectorised paths of the engine and the Monte Carlo, against answers worked out by hand."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from citygeo.scoring import ScoringInputs, prepare, recompute
from citygeo.scoring.aggregate import get_aggregation
from citygeo.scoring.engine import oriented_measures, rank_descending, typology
from citygeo.scoring.flags import _lists
from citygeo.scoring.robustness import (
    _draw_scores,
    _linear_negated_scores,
    _order_statistics,
    _ordinal_ranks,
    _quantile_positions,
    _RiskParts,
    stable_order,
)

from .conftest import methodology_from

# measure factors (unemployed_pct, service_access, hate_rate), domain factors (hardship, tensions)
FACTORS = (np.array([[1.25, 0.75, 1.0], [1.0, 1.0, 1.0]]), np.array([[1.25, 0.75], [1.0, 1.0]]))


def test_rank_descending_min_ties_nan_and_years() -> None:
    scores = np.array([5.0, 7.0, 7.0, np.nan, 1.0, 0.5, -0.5, 0.5])
    years = {2024: np.arange(5), 2025: np.arange(5, 8)}
    ranks = rank_descending(scores, years)
    np.testing.assert_array_equal(ranks, [3, 1, 1, np.nan, 4, 1, 3, 1])


def test_typology_against_the_medians_of_each_year() -> None:
    risk = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 10.0, 20.0])
    protective = np.array([4.0, 3.0, 2.0, 1.0, 5.0, 1.0, 1.0])
    years = {2024: np.arange(5), 2025: np.arange(5, 7)}
    # 2024 medians (of the four complete rows): risk 2.5, protective 2.5;
    # 2025: risk 15, protective 1
    assert typology(risk, protective, years).tolist() == [
        "resilient",
        "resilient",
        "priority",
        "priority",
        None,
        "strengthen",
        "priority",
    ]


def test_flag_lists_keep_row_and_column_order() -> None:
    hits = np.array([[True, False, True], [False, False, False], [False, True, True]])
    codes = np.array(["a", "b", "c"], dtype=object)
    assert _lists(hits, codes) == [["a", "c"], [], ["b", "c"]]
    assert _lists(np.zeros((2, 3), dtype=bool), codes) == [[], []]


def test_oriented_measures_are_kept_per_direction(tiny_inputs: ScoringInputs) -> None:
    m = methodology_from()
    prepared = prepare(tiny_inputs, m)
    first = oriented_measures(prepared, m)
    assert oriented_measures(prepared, m) is first and not first.flags.writeable
    # service access 100, 50, 0, 25 → 100, 50, 0, 25, inverted in its risk domain
    np.testing.assert_allclose(first[:, 1], [0, 50, 100, 75])
    # the same measure in a protective domain is not inverted: a new array, not the kept one
    measures = [{**x.model_dump(by_alias=True, exclude_none=True)} for x in m.measures]
    measures[1]["domain"] = "mechanisms"
    moved = methodology_from(measures=measures)
    np.testing.assert_allclose(oriented_measures(prepared, moved)[:, 1], [100, 50, 0, 25])
    np.testing.assert_allclose(recompute(prepared, moved)["domain__hardship"], [0, 25, 50, 100])


def _risk_parts(inputs: ScoringInputs) -> tuple[_RiskParts, np.ndarray]:
    m = methodology_from()
    prepared = prepare(inputs, m)
    base = _RiskParts(prepared, m)
    rows = np.flatnonzero(base.ranked)
    return base, rows


def test_monte_carlo_draw_by_hand(tiny_inputs: ScoringInputs) -> None:
    base, rows = _risk_parts(tiny_inputs)
    m = methodology_from()
    negated = _linear_negated_scores(
        base, FACTORS, base.values[rows], base.complete[rows], slice(None), m
    )
    # draw 0: hardship = (1.25·unemployed + 0.75·service) / 2, tensions = hate;
    # risk = (1.25·hardship + 0.75·tensions) / 2.  A: 0, 200/3 → 25;  B: 34.375, 100 → 58.984375;
    # C: 68.75, 0 → 42.96875;  D: 90.625, 200/3 → 81.640625.  Draw 1 = the plain scores.
    expected = [
        [25.0, 58.984375, 42.96875, 81.640625],
        [100 / 3, 68.75, 37.5, (87.5 + 200 / 3) / 2],
    ]
    np.testing.assert_allclose(-negated, expected, rtol=0, atol=1e-12)
    general = _draw_scores(
        base, FACTORS, base.values[rows], get_aggregation("arithmetic"), slice(None), m
    )
    np.testing.assert_allclose(general.T, expected, rtol=0, atol=1e-12)


def test_monte_carlo_draw_with_a_missing_measure_by_hand(tiny_inputs: ScoringInputs) -> None:
    values = tiny_inputs.indicator_values
    holed = values.loc[~((values["nid"] == "B") & (values["indicator"] == "unemployed_pct"))]
    base, rows = _risk_parts(dataclasses.replace(tiny_inputs, indicator_values=holed))
    assert base.complete.tolist() == [True, False, True, True]
    m = methodology_from()
    negated = _linear_negated_scores(
        base, FACTORS, base.values[rows], base.complete[rows], slice(None), m
    )
    # unemployed 10, 30, 50 → 0, ·, 50, 100; B's hardship is its service access alone (50):
    # draw 0 risk B = (1.25·50 + 0.75·100) / 2 = 68.75; A, C, D as before (C, D now 50 → 0..100)
    np.testing.assert_allclose(-negated[0], [25.0, 68.75, 42.96875, 81.640625], rtol=0, atol=1e-12)


def test_order_statistics_are_the_inverted_cdf_quantiles() -> None:
    assert _quantile_positions(1000) == (49, 949)  # the 50th and the 950th of 1,000 sorted draws
    assert _quantile_positions(20) == (0, 18)
    rng = np.random.default_rng(3)
    ranks = rng.integers(1, 50, size=(200, 37)).astype(np.int32)
    with ThreadPoolExecutor(2) as pool:
        low, high = _order_statistics(ranks, _quantile_positions(200), pool)
    expected = np.quantile(ranks, [0.05, 0.95], axis=0, method="inverted_cdf")
    np.testing.assert_array_equal(low, expected[0])
    np.testing.assert_array_equal(high, expected[1])
    column = np.sort(ranks[:, 0])
    assert (low[0], high[0]) == (column[9], column[189])


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric"])
def test_monte_carlo_intervals_on_both_routes(tiny_inputs: ScoringInputs, aggregation: str) -> None:
    """arithmetic takes the matrix-product route, geometric the general one."""
    from citygeo.scoring.robustness import rank_intervals

    m = methodology_from(aggregation=aggregation)
    prepared = prepare(tiny_inputs, m)
    intervals = rank_intervals(prepared, m, draws=400, seed=2)
    # arithmetic risk A 33.3, B 68.8, C 37.5, D 77.1 (test_robustness_hotspots); geometric
    # (√((h+1)(t+1)) − 1): A 7.2, B 59.6, C 7.5, D 76.0. Either way D stays first and B
    # second under ±25% weights, while A and C swap.
    assert intervals["risk_rank_p05"].tolist() == [3, 2, 3, 1]
    assert intervals["risk_rank_p95"].tolist() == [4, 2, 4, 1]


def test_stable_order_is_numpys_stable_argsort_on_hard_rows() -> None:
    """Exact ties, values that differ only in the bits the keys give up, signs, -0.0, NaN and
    rows longer than 2^16: every case is ``np.argsort(kind="stable")``."""
    rng = np.random.default_rng(3)
    ties = rng.integers(-3, 4, size=(20, 500)).astype(float)  # many exact ties
    ties[0, :6] = -0.0
    near = rng.normal(50, 10, size=(20, 500))
    near[:, 1::2] = np.nextafter(near[:, ::2], np.inf)  # neighbours one bit apart
    near[:, 3::4] = np.nextafter(near[:, 2::4], -np.inf)[:, : near[:, 3::4].shape[1]]
    tiny = rng.normal(0, 1e-300, size=(4, 300))
    wide = rng.normal(0, 1, size=(2, 70_000))
    wide[1, 1::3] = wide[1, ::3][: wide[1, 1::3].size]  # exact ties in a long row
    with_nan = rng.normal(size=(3, 50))
    with_nan[1, 7] = np.nan
    for block in (ties, near, -near, tiny, wide, with_nan, np.zeros((2, 1))):
        assert np.array_equal(stable_order(block), np.argsort(block, axis=1, kind="stable"))
    # those rows are hard: ordered by the kept bits only (then by column), they come out wrong
    cut = near.view(np.int64) & ~np.int64(2**9 - 1)  # positive values; 2^9 >= 500 columns
    assert not np.array_equal(np.argsort(cut, axis=1, kind="stable"), stable_order(near))


def test_ordinal_ranks_break_exact_ties_by_row_order() -> None:

    negated = -np.array([[5.0, 7.0, 5.0, 1.0, 7.0], [0.0, -0.0, 2.0, 2.0, -1.0]])
    out = np.empty(negated.shape, dtype=np.int32)
    with ThreadPoolExecutor(2) as pool:
        _ordinal_ranks(np.ascontiguousarray(negated), out, pool)
    assert out.tolist() == [[3, 1, 4, 5, 2], [3, 4, 1, 2, 5]]
