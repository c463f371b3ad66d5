"""How robust is a risk rank to the weights? A seeded Monte Carlo (DESIGN.md §5).

Each draw multiplies every risk domain weight and every weight of a measure in a risk
domain by its own factor drawn uniformly from [0.75, 1.25] (``±25%``, the range the
JRC/COINr sensitivity analyses use for weights). Uniform factors rather than a
Dirichlet keep each weight centred on the chosen value and never switch a measure off.
Normalised measures are computed once; a draw only re-weights, in vectorised chunks.

Ranks inside a draw are ordinal (exact ties, rare with continuous scores, are broken
in a fixed but arbitrary order). ``risk_rank_p05``/``risk_rank_p95`` are the 5th and 95th percentiles of a
neighbourhood's rank over the draws (``inverted_cdf``: always a rank that occurred).
A neighbourhood is *unstable* when ``p95 − p05`` exceeds 10% of the number of ranked
neighbourhoods that year (at least 1 rank).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from citygeo.scoring.aggregate import Aggregation, get_aggregation
from citygeo.scoring.engine import (
    Prepared,
    imd_exponential,
    domain_scores,
    index_scores,
    measure_weight_matrix,
    oriented_measures,
)
from citygeo.scoring.methodology import Methodology

__all__ = ["FACTOR_RANGE", "UNSTABLE_SHARE", "rank_intervals", "unstable_neighbourhoods"]

FACTOR_RANGE = (0.75, 1.25)
UNSTABLE_SHARE = 0.10
_CHUNK_CELLS = 5_000_000  # rows × draws × domains per chunk (40 MB of float64 per copy)


def rank_intervals(
    prepared: Prepared,
    methodology: Methodology | None = None,
    draws: int = 1000,
    seed: int = 12345,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """``risk_rank_p05`` and ``risk_rank_p95`` per row of ``prepared`` (Int64, NA unranked)."""
    methodology = methodology or prepared.methodology
    n_rows = len(prepared.table.rows)
    p05 = np.full(n_rows, np.nan)
    p95 = np.full(n_rows, np.nan)
    if draws > 0:
        base = _RiskParts(prepared, methodology)
        factors = _draw_factors(base, draws, seed)
        for done, (year, rows) in enumerate(prepared.year_rows.items(), start=1):
            ranks, ranked_rows = _year_ranks(base, factors, rows, methodology, draws)
            if len(ranked_rows):
                low, high = np.quantile(ranks, [0.05, 0.95], axis=1, method="inverted_cdf")
                p05[ranked_rows], p95[ranked_rows] = low, high
            if progress is not None:
                progress(done, len(prepared.year_rows))
    return pd.DataFrame(
        {"risk_rank_p05": pd.array(p05, dtype="Int64"), "risk_rank_p95": pd.array(p95, dtype="Int64")}
    )


class _RiskParts:
    """The risk half of the model, ready to be re-weighted."""

    def __init__(self, prepared: Prepared, methodology: Methodology) -> None:
        risk_domains = [d for d in methodology.domains if d.index == "risk"]
        all_weights = measure_weight_matrix(prepared.measure_ids, methodology)
        columns = [i for i, d in enumerate(methodology.domains) if d.index == "risk"]
        weights = all_weights[:, columns]
        self.measures = np.flatnonzero(weights.sum(axis=1) > 0)
        self.measure_weights = weights[self.measures]  # m_r × K
        self.domain_weights = np.array([d.weight for d in risk_domains])
        self.values = oriented_measures(prepared, methodology)[:, self.measures]
        risk = index_scores(domain_scores(prepared, methodology), prepared, methodology, "risk")
        self.ranked = ~np.isnan(risk)


def _draw_factors(base: _RiskParts, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    low, high = FACTOR_RANGE
    measure_factors = rng.uniform(low, high, size=(draws, len(base.measures)))
    domain_factors = rng.uniform(low, high, size=(draws, len(base.domain_weights)))
    return measure_factors, domain_factors


def _year_ranks(
    base: _RiskParts,
    factors: tuple[np.ndarray, np.ndarray],
    rows: np.ndarray,
    methodology: Methodology,
    draws: int,
) -> tuple[np.ndarray, np.ndarray]:
    """rows × draws ordinal ranks (1 = highest risk) of the ranked rows of one year."""
    ranked_rows = rows[base.ranked[rows]]
    values = base.values[ranked_rows]
    n, n_domains = len(ranked_rows), len(base.domain_weights)
    ranks = np.empty((n, draws), dtype=np.int32)
    chunk = max(1, _CHUNK_CELLS // max(1, n * n_domains))
    aggregation = get_aggregation(methodology.aggregation)
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        risk = _draw_scores(base, factors, values, aggregation, slice(start, stop), methodology)
        ranks[:, start:stop] = _ordinal_ranks(risk).T
    return ranks, ranked_rows


def _draw_scores(
    base: _RiskParts,
    factors: tuple[np.ndarray, np.ndarray],
    values: np.ndarray,
    aggregation: Aggregation,
    draws_slice: slice,
    methodology: Methodology,
) -> np.ndarray:
    """n × draws risk index for a slice of draws."""
    measure_factors, domain_factors = factors[0][draws_slice], factors[1][draws_slice]
    b, k = len(measure_factors), base.measure_weights.shape[1]
    # m_r × (draws·K): weight of measure j in domain k under draw d at column d·K + k
    stacked = (measure_factors[:, :, None] * base.measure_weights[None, :, :]).transpose(1, 0, 2)
    domains = aggregation.aggregate(values, stacked.reshape(len(base.measures), b * k))
    domains = domains.reshape(len(values), b, k)
    if methodology.exponential:
        domains = _exponential_per_draw(domains)
    domain_weights = domain_factors * base.domain_weights[None, :]  # draws × K
    forward = aggregation.forward(domains)
    means = np.einsum("ndk,dk->nd", forward, domain_weights) / domain_weights.sum(axis=1)
    return aggregation.backward(means)


def _exponential_per_draw(domains: np.ndarray) -> np.ndarray:
    order = np.argsort(domains, axis=0)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, len(domains) + 1)[:, None, None], axis=0)
    return imd_exponential(ranks / len(domains))


def _ordinal_ranks(scores: np.ndarray) -> np.ndarray:
    """Column-wise ranks (1 = highest score), returned as draws × rows.

    Sorting runs along contiguous rows (draw by draw), which is several times faster
    than sorting down the columns of the n × draws matrix.
    """
    by_draw = np.ascontiguousarray(-scores.T)
    order = np.argsort(by_draw, axis=1)
    ranks = np.empty(order.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, np.arange(1, by_draw.shape[1] + 1, dtype=np.int32)[None, :], axis=1)
    return ranks


def unstable_neighbourhoods(scores: pd.DataFrame, share: float = UNSTABLE_SHARE) -> pd.DataFrame:
    """Rows whose ``risk_rank_p95 − risk_rank_p05`` exceeds ``share`` of the ranked count.

    ``scores`` needs ``nid, year, risk_rank, risk_rank_p05, risk_rank_p95``; returns those
    columns plus ``width`` for the unstable rows, widest first.
    """
    frame = scores[["nid", "year", "risk_rank", "risk_rank_p05", "risk_rank_p95"]].copy()
    frame["width"] = frame["risk_rank_p95"] - frame["risk_rank_p05"]
    ranked = frame.groupby("year")["risk_rank"].transform("count")
    limit = np.maximum(1.0, share * ranked.to_numpy(dtype=float))
    unstable = frame.loc[frame["width"].to_numpy(dtype=float, na_value=np.nan) > limit]
    return unstable.sort_values(["year", "width"], ascending=[True, False]).reset_index(drop=True)
