"""What Local Moran's worker processes run: esda 2.9's chunk of conditional permutations and
citygeo's copy-free statistic, in a module that imports numpy and nothing else.

esda hands its worker processes (joblib's loky) ``esda.crand.compute_chunk``; unpickling it
imports the whole ``esda`` package (libpysal, scipy, scikit-learn): ~2.5 s of CPU in every
worker, on the two cores Local Moran then needs. :func:`compute_chunk` is esda's loop, for the
folded ("directed") pseudo p-value Moran_Local uses, with the same arithmetic in the same
order; any other alternative hypothesis is handed to esda's own. ``citygeo.scoring.hotspots``
gives it to esda only while Local Moran runs and only after checking that it returns exactly
what esda's does (``hotspots.gather_without_copy``). Kept outside ``citygeo.scoring``, whose
package imports pandas and geopandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["compute_chunk", "moran_local_statistic"]


def moran_local_statistic(
    i: int, z: np.ndarray, permuted_ids: np.ndarray, weights_i: np.ndarray, scaling: float
) -> np.ndarray:
    """esda 2.9's ``_moran_local_crand`` (the statistic of site ``i`` under each permutation)
    without its copy of every other site's value.

    esda's ``_prepare_univariate`` builds ``z`` without site ``i`` (a copy of all n values)
    to look up ``z_no_i[permuted_ids]``; at 35,000 neighbourhoods that copy, repeated for
    every site, was two thirds of Local Moran's time. ``z_no_i[j]`` is ``z[j]`` below ``i``
    and ``z[j + 1]`` from ``i`` on, so the same values are read straight from ``z``, in the
    same order, and the arithmetic after it is esda's own: the statistics are identical.
    """
    self_weight = weights_i[0]
    other_weights = weights_i[1:]
    ids = permuted_ids[:, : len(other_weights)]
    zi = z[i]
    zrand = z[ids + (ids >= i)]
    return zi * (zrand @ other_weights + self_weight * zi) * scaling


def compute_chunk(
    chunk_start: int,
    z_chunk: np.ndarray,
    z: np.ndarray,
    observed: np.ndarray,
    cardinalities: np.ndarray,
    self_weights: np.ndarray,
    other_weights: np.ndarray,
    permuted_ids: np.ndarray,
    scaling: float,
    keep: bool,
    stat_func: Any,
    island_weight: float,
    alternative: str,
) -> tuple[np.ndarray, np.ndarray]:
    """esda 2.9's ``crand.compute_chunk``: the pseudo p-value of every site of one chunk.

    Same arguments and results as esda's. For ``alternative="directed"``: the number of
    permuted statistics at or above the observed one, folded to the smaller tail, gives
    ``(larger + 1) / (permutations + 1)``, stored as float32, as esda stores it.
    """
    if alternative != "directed":
        from esda import crand  # the other alternatives: esda's own loop

        return crand.compute_chunk(
            chunk_start,
            z_chunk,
            z,
            observed,
            cardinalities,
            self_weights,
            other_weights,
            permuted_ids,
            scaling,
            keep,
            stat_func,
            island_weight,
            alternative,
        )
    chunk_n = z_chunk.shape[0]
    permutations = permuted_ids.shape[0]
    p_sims = np.zeros((chunk_n,), dtype=np.float32)
    rlocals = np.empty((chunk_n, permutations)) if keep else np.empty((1, 1))
    wloc = 0
    for i in range(chunk_n):
        cardinality = cardinalities[i]
        if cardinality == 0:  # an island: one "fake" neighbour of weight island_weight
            weights_i = np.zeros(2, dtype=other_weights.dtype)
            weights_i[1] = island_weight
        else:  # the self-weight first, then the next `cardinality` weights
            weights_i = np.zeros(cardinality + 1, dtype=other_weights.dtype)
            weights_i[0] = self_weights[i]
            weights_i[1:] = other_weights[wloc : wloc + cardinality]
        wloc += cardinality
        rstats = stat_func(chunk_start + i, z, permuted_ids, weights_i, scaling)
        larger = int((rstats >= observed[i]).sum())
        larger = min(larger, permutations - larger)
        p_sims[i] = (larger + 1.0) / (permutations + 1.0)
        if keep:
            rlocals[i] = rstats
    return p_sims, rlocals
