"""How robust is a risk rank to the weights? A seeded Monte Carlo (DESIGN.md §5).

Each draw multiplies every risk domain weight and every weight of a measure in a risk
domain by its own factor drawn uniformly from [0.75, 1.25] (``±25%``, the range the
JRC/COINr sensitivity analyses use for weights). Uniform factors rather than a
Dirichlet keep each weight centred on the chosen value and never switch a measure off.
Normalised measures are computed once; a draw only re-weights, in vectorised chunks.

Ranks inside a draw are ordinal (exact ties, rare with continuous scores, are broken
by the row order: a stable sort). ``risk_rank_p05``/``risk_rank_p95`` are the 5th and 95th
percentiles of a neighbourhood's rank over the draws (``inverted_cdf``: always a rank that
occurred).
A neighbourhood is *unstable* when ``p95 − p05`` exceeds 10% of the number of ranked
neighbourhoods that year (at least 1 rank).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from citygeo.scoring.aggregate import Aggregation, get_aggregation
from citygeo.scoring.engine import (
    Prepared,
    imd_exponential,
    index_inputs,
    index_scores,
    measure_weight_matrix,
    oriented_measures,
)
from citygeo.scoring.methodology import Methodology

__all__ = ["FACTOR_RANGE", "UNSTABLE_SHARE", "rank_intervals", "unstable_neighbourhoods"]

FACTOR_RANGE = (0.75, 1.25)
UNSTABLE_SHARE = 0.10
_CHUNK_CELLS = 5_000_000  # rows × draws (× domains) per chunk (40 MB of float64 per copy)
_MAX_THREADS = 4


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
    if draws > 0 and methodology.scores("risk"):
        base = _RiskParts(prepared, methodology)
        factors = _draw_factors(base, draws, seed)
        low_high = _quantile_positions(draws)
        with ThreadPoolExecutor(max_workers=_threads()) as pool:
            for done, rows in enumerate(prepared.year_rows.values(), start=1):
                ranked_rows = rows[base.ranked[rows]]
                if len(ranked_rows):
                    ranks = _year_ranks(base, factors, ranked_rows, methodology, pool)
                    p05[ranked_rows], p95[ranked_rows] = _order_statistics(ranks, low_high, pool)
                if progress is not None:
                    progress(done, len(prepared.year_rows))
    return pd.DataFrame(
        {
            "risk_rank_p05": pd.array(p05, dtype="Int64"),
            "risk_rank_p95": pd.array(p95, dtype="Int64"),
        }
    )


def _threads() -> int:
    """Worker threads for the sorts (numpy releases the GIL while sorting)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        available = os.cpu_count() or 1
    return max(1, min(_MAX_THREADS, available))


def _quantile_positions(draws: int) -> tuple[int, int]:
    """Positions in the sorted draws of the 5th and 95th percentile (``inverted_cdf``).

    Taken from ``np.quantile`` itself on ``0 … draws − 1``, so the order statistics
    picked are exactly the ones ``np.quantile(ranks, [0.05, 0.95], method="inverted_cdf")``
    returns.
    """
    low, high = np.quantile(np.arange(draws), [0.05, 0.95], method="inverted_cdf")
    return int(low), int(high)


def _order_statistics(
    ranks: np.ndarray, positions: tuple[int, int], pool: ThreadPoolExecutor
) -> tuple[np.ndarray, np.ndarray]:
    """The two order statistics at ``positions`` of each column of ``ranks`` (draws × n).

    Sorting short contiguous rows of int32 (a block of neighbourhoods at a time,
    transposed) is several times faster than ``np.quantile`` along an axis.
    """
    n = ranks.shape[1]
    low, high = np.empty(n), np.empty(n)
    block = max(1, _CHUNK_CELLS // 4 // max(1, ranks.shape[0]))

    def pick(part: slice) -> None:
        for start in range(part.start, min(n, part.stop), block):
            stop = min(n, part.stop, start + block)
            ordered = np.sort(np.ascontiguousarray(ranks[:, start:stop].T), axis=1)
            low[start:stop], high[start:stop] = ordered[:, positions[0]], ordered[:, positions[1]]

    _in_parallel(pool, pick, n)
    return low, high


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
        self.complete = ~np.isnan(self.values).any(axis=1)
        risk = index_scores(index_inputs(prepared, methodology)[1], prepared, methodology, "risk")
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
    ranked_rows: np.ndarray,
    methodology: Methodology,
    pool: ThreadPoolExecutor,
) -> np.ndarray:
    """draws × rows ordinal ranks (1 = highest risk) of the ranked rows of one year."""
    draws = len(factors[0])
    values = base.values[ranked_rows]
    n, n_domains = len(ranked_rows), len(base.domain_weights)
    ranks = np.empty((draws, n), dtype=np.int32)
    linear = _linear(methodology)
    per_draw = n if linear else n * n_domains
    chunk = max(1, _CHUNK_CELLS // max(1, per_draw))
    aggregation = get_aggregation(methodology.aggregation)
    complete = base.complete[ranked_rows]
    for start in range(0, draws, chunk):
        part = slice(start, min(draws, start + chunk))
        if linear:
            negated = _linear_negated_scores(base, factors, values, complete, part, methodology)
        else:
            negated = np.ascontiguousarray(
                -_draw_scores(base, factors, values, aggregation, part, methodology).T
            )
        _ordinal_ranks(negated, ranks[part], pool)
    return ranks


def _linear(methodology: Methodology) -> bool:
    """True when the risk index is a fixed linear combination of the measures per draw:
    arithmetic means, no exponential transform and no rescale of the domains."""
    rescaled = methodology.rescale != "none" and methodology.index_from == "scores"
    return methodology.aggregation == "arithmetic" and not methodology.exponential and not rescaled


def _linear_negated_scores(
    base: _RiskParts,
    factors: tuple[np.ndarray, np.ndarray],
    values: np.ndarray,
    complete: np.ndarray,
    draws_slice: slice,
    methodology: Methodology,
) -> np.ndarray:
    """draws × n *negated* risk index for a slice of draws, arithmetic aggregation
    without the exponential transform.

    The index is then linear in the measures: for a neighbourhood with every risk
    measure, ``risk = Σ_j x_j · a_j`` with ``a_j = (g_k W_k / Σ g W) · (f_j w_j / Σ_{i∈k} f_i w_i)``
    (k the domain of measure j, W and w the methodology's weights, g and f the draw's
    factors), so one matrix product gives all draws. Neighbourhoods with a missing
    measure (whose weights are re-scaled) take the general route of :func:`_draw_scores`.
    Negating the coefficients negates the products exactly, and the draws × n layout
    is the one the sort wants, so no transposed copy is made.
    """
    measure_factors, domain_factors = factors[0][draws_slice], factors[1][draws_slice]
    member = base.measure_weights > 0  # m_r × K, one True per row
    measure_w = measure_factors * base.measure_weights.sum(axis=1)[None, :]  # draws × m_r
    domain_totals = measure_w @ member  # draws × K
    domain_w = domain_factors * base.domain_weights[None, :]  # draws × K
    share = domain_w / domain_w.sum(axis=1, keepdims=True)
    domain_of = member.argmax(axis=1)
    negated = -(share[:, domain_of] * measure_w / domain_totals[:, domain_of])  # draws × m_r
    if complete.all():
        return negated @ values.T
    out = np.empty((len(negated), len(values)))
    out[:, complete] = negated @ values[complete].T
    partial = ~complete
    aggregation = get_aggregation(methodology.aggregation)
    out[:, partial] = -_draw_scores(
        base, factors, values[partial], aggregation, draws_slice, methodology
    ).T
    return out


def _draw_scores(
    base: _RiskParts,
    factors: tuple[np.ndarray, np.ndarray],
    values: np.ndarray,
    aggregation: Aggregation,
    draws_slice: slice,
    methodology: Methodology,
) -> np.ndarray:
    """n × draws risk index for a slice of draws (any aggregation, exponential or not).

    A domain ``rescale`` is applied per draw over the rows given (the ranked rows of one
    year); the index's own rescale is monotone and leaves the ranks as they are.
    """
    measure_factors, domain_factors = factors[0][draws_slice], factors[1][draws_slice]
    b, k = len(measure_factors), base.measure_weights.shape[1]
    # m_r × (draws·K): weight of measure j in domain k under draw d at column d·K + k
    stacked = (measure_factors[:, :, None] * base.measure_weights[None, :, :]).transpose(1, 0, 2)
    domains = aggregation.aggregate(values, stacked.reshape(len(base.measures), b * k))
    domains = domains.reshape(len(values), b, k)
    if methodology.rescale != "none" and methodology.index_from == "scores":
        domains = _rescale_per_draw(domains, methodology.rescale, methodology.ties)
    if methodology.exponential:
        domains = _exponential_per_draw(domains)
    domain_weights = domain_factors * base.domain_weights[None, :]  # draws × K
    forward = aggregation.forward(domains)
    weighted = np.einsum("ndk,dk->nd", forward, domain_weights)
    if methodology.aggregation == "sum":
        return weighted
    return aggregation.backward(weighted / domain_weights.sum(axis=1))


def _rescale_per_draw(domains: np.ndarray, how: str, ties: str) -> np.ndarray:
    """Percentile (with ``ties``) or min–max of each draw's domain scores over the rows."""
    if how == "percentile":
        ranks = rankdata(domains, method=ties, axis=0)
        return (ranks - 1.0) / max(1, len(domains) - 1) * 100.0
    low, high = domains.min(axis=0), domains.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return np.where(high > low, (domains - low) / span * 100.0, 50.0)


def _exponential_per_draw(domains: np.ndarray) -> np.ndarray:
    order = np.argsort(domains, axis=0)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, len(domains) + 1)[:, None, None], axis=0)
    return imd_exponential(ranks / len(domains))


def _ordinal_ranks(negated: np.ndarray, out: np.ndarray, pool: ThreadPoolExecutor) -> None:
    """Row-wise ordinal ranks (1 = highest score) of the negated scores ``negated``
    (draws × n, C-contiguous) into ``out`` (draws × n).

    Sorting runs along contiguous rows (draw by draw), which is several times faster
    than sorting down the columns; the draws are split between threads.
    """
    positions = np.arange(1, negated.shape[1] + 1, dtype=np.int32)

    def rank(part: slice) -> None:
        first, stop, _ = part.indices(len(out))
        for start in range(first, stop, _SORT_ROWS):
            rows = slice(start, min(stop, start + _SORT_ROWS))
            # one scatter per draw: 2-3x faster than ``np.put_along_axis`` over the block,
            # which builds the broadcast index of the whole block first (same values)
            for draw, row in zip(range(rows.start, rows.stop), stable_order(negated[rows])):
                out[draw][row] = positions

    _in_parallel(pool, rank, len(negated))


_SORT_ROWS = 16  # rows sorted at a time: a few MB, kept in cache between the passes


def stable_order(block: np.ndarray) -> np.ndarray:
    """``np.argsort(block, axis=1, kind="stable")`` of a 2-D float block, faster.

    numpy sorts float64 values with SIMD instructions but not their indices (``argsort`` was
    3x slower than ``sort`` here). So each value's bits are turned into an integer of the same
    order, its last ``b`` bits (``2^b`` ≥ the row length) replaced by its column, and these
    keys sorted: the columns come out in value order wherever two values of a row differ in
    the other bits. A row with two keys equal in those bits is checked: exact ties are
    already in column order (stable); a row where the cut bits decide (values within about
    ``2^(b−52)`` of each other) is sorted again with ``argsort``. Blocks with NaN go to
    ``argsort`` whole.
    """
    n = block.shape[1]
    if n < 2 or n >= 2**31 or not np.isfinite(block).all():
        return np.argsort(block, axis=1, kind="stable")
    bits = max(1, (n - 1).bit_length())
    keys = (block + 0.0).view(np.int64)  # + 0.0: -0.0 becomes 0.0, equal as a value
    # negative floats have their bits in reverse order: flip all but the sign
    np.bitwise_xor(keys, (keys >> 63) & np.int64(0x7FFF_FFFF_FFFF_FFFF), out=keys)
    keys &= ~np.int64((1 << bits) - 1)
    keys |= np.arange(n, dtype=np.int64)
    keys.sort(axis=1)
    order = keys & np.int64((1 << bits) - 1)
    keys >>= bits
    rows, cols = np.nonzero(keys[:, 1:] == keys[:, :-1])
    if len(rows):
        first = block[rows, order[rows, cols]]
        second = block[rows, order[rows, cols + 1]]
        for row in np.unique(rows[second < first]):
            order[row] = np.argsort(block[row], kind="stable")
    return order


def _in_parallel(pool: ThreadPoolExecutor, work: Callable[[slice], None], size: int) -> None:
    """Run ``work`` on one slice of ``range(size)`` per thread and wait for all."""
    step = max(1, -(-size // _threads()))
    for future in [pool.submit(work, slice(i, i + step)) for i in range(0, size, step)]:
        future.result()


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
