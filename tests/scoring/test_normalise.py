"""Normalisations and aggregations against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from citygeo.scoring.aggregate import get_aggregation
from citygeo.scoring.normalise import get_normalisation

X = np.array([[2.0], [4.0], [4.0], [10.0], [np.nan]])


def test_minmax_and_its_inversion() -> None:
    method = get_normalisation("minmax")
    out = method.normalise(X)
    np.testing.assert_allclose(out[:, 0], [0, 25, 25, 100, np.nan])
    np.testing.assert_allclose(method.invert(out)[:, 0], [100, 75, 75, 0, np.nan])


def test_zscore_uses_population_sd() -> None:
    # mean 5, population variance (9 + 1 + 1 + 25) / 4 = 9, sd 3
    method = get_normalisation("zscore")
    out = method.normalise(X)
    np.testing.assert_allclose(out[:, 0], [-1, -1 / 3, -1 / 3, 5 / 3, np.nan])
    np.testing.assert_allclose(method.invert(out)[:, 0], [1, 1 / 3, 1 / 3, -5 / 3, np.nan])


def test_percentile_averages_ties() -> None:
    # ranks 1, 2.5, 2.5, 4 of n = 4 → (r − 1) / 3 × 100
    method = get_normalisation("percentile")
    out = method.normalise(X)
    np.testing.assert_allclose(out[:, 0], [0, 50, 50, 100, np.nan])
    np.testing.assert_allclose(method.invert(out)[:, 0], [100, 50, 50, 0, np.nan])


def test_rank_and_reversed_rank() -> None:
    method = get_normalisation("rank")
    out = method.normalise(X)
    np.testing.assert_allclose(out[:, 0], [1, 2.5, 2.5, 4, np.nan])
    np.testing.assert_allclose(method.invert(out)[:, 0], [4, 2.5, 2.5, 1, np.nan])


def test_goalposts_use_reference_bounds_and_clip() -> None:
    reference = np.array([[4.0], [8.0]])
    out = get_normalisation("goalposts").normalise(X, reference)
    # (x − 4) / 4 × 100, clipped: 2 → −50 → 0, 10 → 150 → 100
    np.testing.assert_allclose(out[:, 0], [0, 0, 0, 100, np.nan])
    np.testing.assert_allclose(
        get_normalisation("goalposts").normalise(np.array([[6.0]]), reference), [[50.0]]
    )


def test_constant_column_sits_in_the_middle() -> None:
    flat = np.array([[3.0], [3.0], [np.nan]])
    np.testing.assert_allclose(get_normalisation("minmax").normalise(flat)[:, 0], [50, 50, np.nan])
    np.testing.assert_allclose(get_normalisation("zscore").normalise(flat)[:, 0], [0, 0, np.nan])


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid: goalposts, minmax, percentile, rank, zscore"):
        get_normalisation("robust")
    with pytest.raises(ValueError, match="valid: arithmetic, geometric"):
        get_aggregation("harmonic")


def test_arithmetic_reweights_missing_values() -> None:
    scores = np.array([[20.0, 80.0, 50.0], [20.0, np.nan, 50.0], [np.nan, np.nan, np.nan]])
    weights = np.array([[1.0], [3.0], [0.0]])
    out = get_aggregation("arithmetic").aggregate(scores, weights)[:, 0]
    # (20·1 + 80·3) / 4 = 65; row 2 has only the first measure → 20; row 3 nothing → NaN
    np.testing.assert_allclose(out, [65.0, 20.0, np.nan])


def test_geometric_mean_of_shifted_scores() -> None:
    scores = np.array([[0.0, 99.0], [3.0, 15.0]])
    weights = np.array([[1.0], [1.0]])
    out = get_aggregation("geometric").aggregate(scores, weights)[:, 0]
    # sqrt(1 · 100) − 1 = 9; sqrt(4 · 16) − 1 = 7
    np.testing.assert_allclose(out, [9.0, 7.0])
    weighted = get_aggregation("geometric").aggregate(
        np.array([[0.0, 99.0]]), np.array([[3.0], [1.0]])
    )
    np.testing.assert_allclose(weighted[0, 0], 100**0.25 - 1)
