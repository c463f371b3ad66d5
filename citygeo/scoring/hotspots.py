"""Hot spots: queen contiguity and Local Moran's I of the risk score (DESIGN.md §5).

Classes follow esda's quadrants: ``high-high`` (q = 1), ``low-high`` (2), ``low-low``
(3), ``high-low`` (4) when the permutation pseudo p-value is below 0.05, else
``none``. Neighbourhoods with no score and islands (no neighbour with a score) are
left out of the analysis and get ``none``; the weights are row-standardised over the
neighbourhoods that take part.

``correction`` (the methodology's ``hotspot_correction``) accounts for testing every
neighbourhood at once: ``"none"`` compares each pseudo p-value with ``alpha``;
``"fdr"`` with esda's false discovery rate cut-off (Benjamini–Hochberg, as GeoDa's
FDR option); ``"bonferroni"`` with ``alpha / n``, n the neighbourhoods tested.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import os
import threading
import warnings
import weakref
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from citygeo.permutations import compute_chunk, moran_local_statistic

if TYPE_CHECKING:
    from libpysal.weights import W

# esda and libpysal are imported where they are used: the dashboard imports the scoring package
# for its methodology types, and esda (with scikit-learn) cost its first page ~0.4 s

__all__ = [
    "CORRECTIONS",
    "QUADRANT_CLASSES",
    "gather_without_copy",
    "global_moran",
    "local_moran_classes",
    "moran_local_statistic",
    "queen_weights",
    "significance_cutoff",
    "stop_workers",
]

log = logging.getLogger(__name__)
QUADRANT_CLASSES = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
MIN_UNITS = 3
CORRECTIONS: tuple[str, ...] = ("none", "fdr", "bonferroni")
# Below this many neighbourhoods, starting worker processes costs more than the permutations.
PARALLEL_MIN_UNITS = 5_000
# Each worker is a Python process importing esda (~150 MB): no more than this many.
MAX_WORKERS = 4


def queen_weights(gdf: gpd.GeoDataFrame, id_col: str = "nid") -> W:
    """Queen contiguity weights with ids taken from ``gdf[id_col]`` (islands allowed)."""
    from libpysal.weights import Queen

    weights = Queen.from_dataframe(gdf, ids=id_col, use_index=False, silence_warnings=True)
    if weights.islands:
        log.info(
            "%d neighbourhoods have no neighbour (islands): %s",
            len(weights.islands),
            weights.islands[:10],
        )
    return weights


def global_moran(values: np.ndarray, w: W, permutations: int = 0) -> float:
    """Global Moran's I of ``values`` (in ``w.id_order``) with row-standardised ``w``."""
    import esda

    moran = esda.Moran(
        np.asarray(values, dtype=float), w, transformation="r", permutations=permutations
    )
    return float(moran.I)


def local_moran_classes(
    values: pd.Series,
    w: W,
    permutations: int = 999,
    seed: int = 12345,
    alpha: float = 0.05,
    correction: str = "none",
    workers: int | None = None,
) -> pd.Series:
    """Local Moran's I class per neighbourhood.

    Parameters
    ----------
    values : Series
        Scores indexed by neighbourhood id (NaN allowed).
    w : W
        Contiguity weights whose ids are the same neighbourhood ids.
    correction : str
        ``"none"``, ``"fdr"`` or ``"bonferroni"`` (see :func:`significance_cutoff`).
    workers : int, optional
        Processes for the permutations (esda's ``n_jobs``). ``None``: one per core, up to
        ``MAX_WORKERS``, when at least ``PARALLEL_MIN_UNITS`` neighbourhoods take part, else
        1. The classes do not depend on it: esda draws the one permutation table from
        ``seed`` before it splits the neighbourhoods between the workers.

    Returns
    -------
    Series
        One class per entry of ``values`` (same index): high-high, low-low, high-low,
        low-high or none.
    """
    out = pd.Series("none", index=values.index, dtype=object)
    usable = _usable_ids(values, w)
    if len(usable) < MIN_UNITS:
        return out
    import esda

    remember_permutations(esda.crand)
    sub = _row_standardised(w, usable)
    y = values.loc[usable].to_numpy(dtype=float)
    if np.ptp(y) == 0:
        return out
    with warnings.catch_warnings():
        # esda 2.9's parallel path stacks the workers' results with numpy's deprecated alias.
        warnings.filterwarnings(
            "ignore", message="`row_stack` alias is deprecated", category=DeprecationWarning
        )
        with gather_without_copy(esda.moran, esda.crand):
            local = esda.Moran_Local(
                y,
                sub,
                transformation="r",
                permutations=permutations,
                seed=seed,
                n_jobs=_worker_count(len(usable), workers),
                keep_simulations=False,
            )
    classes = np.array([QUADRANT_CLASSES[q] for q in local.q], dtype=object)
    out.loc[usable] = np.where(
        local.p_sim < significance_cutoff(local.p_sim, alpha, correction), classes, "none"
    )
    return out


_REMEMBER_LOCK = threading.Lock()
_SUBSETS: weakref.WeakKeyDictionary[W, tuple[tuple[object, ...], W]] = weakref.WeakKeyDictionary()


def _row_standardised(w: W, usable: list[object]) -> W:
    """``w`` restricted to the ``usable`` ids and row-standardised, built once for the years
    that share them (every year of a city whose scores are all known): ``w_subset`` and the
    sparse matrix esda reads cost ~0.5 s a year at 35,000 neighbourhoods. The last subset of
    each ``w`` is kept while ``w`` lives; it is a new object, so ``w`` itself is never
    re-standardised."""
    from libpysal.weights import w_subset

    key = tuple(usable)
    with _REMEMBER_LOCK:
        kept = _SUBSETS.get(w)
        if kept is not None and kept[0] == key:
            return kept[1]
    sub = w_subset(w, usable, silence_warnings=True)
    sub.transform = "r"
    with _REMEMBER_LOCK:
        _SUBSETS[w] = (key, sub)
    return sub


def remember_permutations(crand: ModuleType) -> None:
    """Let esda draw its permutation table once per size and seed (``esda.crand``).

    ``crand`` draws a table of ``permutations × max_card`` neighbour ids from ``n − 1`` with
    ``np.random.seed(seed)`` for every Local Moran; without numba that is ``permutations``
    full shuffles of ``n − 1`` ids (0.5 s a year at 35,000 neighbourhoods), and every year
    of a city with the same neighbourhoods and seed draws exactly the same table. The table
    is kept (read-only) for its arguments, and the global random state esda's draw left
    behind is put back, so every result is what esda alone gives.
    """
    with _REMEMBER_LOCK:
        original = crand.vec_permutations
        if getattr(original, "citygeo_remembered", False):
            return
        drawn: dict[tuple[int, int, int, int], tuple[np.ndarray, Any]] = {}

        @functools.wraps(original)
        def remembered(max_card: int, n: int, k_replications: int, seed: int) -> np.ndarray:
            key = (int(max_card), int(n), int(k_replications), int(seed))
            if key not in drawn:
                table = original(max_card, n, k_replications, seed)
                table.flags.writeable = False
                if len(drawn) >= 8:
                    drawn.pop(next(iter(drawn)))
                drawn[key] = (table, np.random.get_state())
            table, state = drawn[key]
            np.random.set_state(state)
            return table

        remembered.citygeo_remembered = True  # type: ignore[attr-defined]
        remembered.citygeo_original = original  # type: ignore[attr-defined]
        crand.vec_permutations = remembered  # type: ignore[attr-defined]


_GATHER_USERS = 0
_ORIGINALS: dict[tuple[ModuleType, str], Any] = {}  # (module, attribute): esda's, while replaced


@contextlib.contextmanager
def gather_without_copy(moran: ModuleType, crand: ModuleType | None = None) -> Iterator[None]:
    """Let ``esda.Moran_Local`` use citygeo's copy-free statistic and light chunk loop
    (:mod:`citygeo.permutations`) while the block runs.

    ``Moran_Local`` hands its module's ``_moran_local_crand`` to ``crand``, and ``crand``
    hands its ``compute_chunk`` to the worker processes, which import the module of each
    function they are given: the replacements' module imports numpy only, esda's the whole
    of esda. Each replacement is used only where it gives exactly esda's results: esda
    without numba (numba compiles esda's own, and a plain function cannot be passed to it)
    and when a check against esda's function on a small case agrees; otherwise esda runs
    untouched. esda's functions are put back when the last block that asked for them ends.
    Its ``crand`` is also handed the alternative hypothesis by name (:func:`_directed_crand`).
    """
    global _GATHER_USERS
    with _REMEMBER_LOCK:
        patches = [
            (module, name, original, ours)
            for module, name, ours, agrees in (
                (moran, "_moran_local_crand", moran_local_statistic, _gives_esdas_statistics),
                (crand, "compute_chunk", compute_chunk, _gives_esdas_chunks),
                (moran, "_crand_plus", _directed_crand, _takes_alternative),
            )
            if module is not None
            and (original := _esdas(module, name, ours)) is not None
            and agrees(original)
        ]
        if patches:
            _GATHER_USERS += 1
            for module, name, original, ours in patches:
                _ORIGINALS[(module, name)] = original
                # by reference, so that the workers unpickle citygeo.permutations' function
                setattr(module, name, ours)
    try:
        yield
    finally:
        if patches:
            with _REMEMBER_LOCK:
                _GATHER_USERS -= 1
                if _GATHER_USERS == 0:  # every function replaced by any block goes back
                    for (module, name), original in _ORIGINALS.items():
                        setattr(module, name, original)
                    _ORIGINALS.clear()


def _directed_crand(*args: Any, **kwargs: Any) -> Any:
    """esda's ``crand``, asked by name for the folded ("directed") pseudo p-value it gives by
    default: the one GeoDa reports, and citygeo's.

    esda 2.9 warns that its default will change, and ``Moran_Local`` has no argument to choose
    it. Silencing that warning with ``warnings.catch_warnings`` is not thread-safe: the hot
    spots run in a thread, and another thread leaving its own ``catch_warnings`` (pandas does)
    puts back filters without ours. Asked by name, esda raises no warning at all."""
    original = next(f for (_, name), f in _ORIGINALS.items() if name == "_crand_plus")
    kwargs.setdefault("alternative", "directed")
    return original(*args, **kwargs)


@functools.cache
def _takes_alternative(original: Any) -> bool:
    """Whether esda's ``crand`` takes the ``alternative`` :func:`_directed_crand` names."""
    return "alternative" in inspect.signature(original).parameters


def _esdas(module: ModuleType, name: str, ours: Any) -> Any:
    """esda's own function ``module.name`` (remembered if ours is in its place now)."""
    current = getattr(module, name, None)
    return _ORIGINALS.get((module, name)) if current is ours else current


@functools.cache
def _gives_esdas_statistics(original: Any) -> bool:
    """True when ``original`` is a plain Python function (no numba) that gives exactly the
    statistics of :func:`moran_local_statistic` on a small case with uneven neighbour counts."""
    if hasattr(original, "py_func"):  # a numba dispatcher
        return False
    rng = np.random.default_rng(0)
    n, permutations = 40, 99
    z = rng.normal(size=n)
    table = np.stack([rng.choice(n - 1, size=8, replace=False) for _ in range(permutations)])
    for i, cardinality in ((0, 1), (7, 3), (20, 8), (n - 1, 5)):
        weights_i = np.concatenate([[0.25 * (i % 2)], rng.uniform(0.1, 1, cardinality)])
        ours = moran_local_statistic(i, z, table, weights_i, 1.3)
        if not np.array_equal(original(i, z, table, weights_i, 1.3), ours):
            log.warning("esda's Local Moran statistic differs from citygeo's copy-free one")
            return False
    return True


@functools.cache
def _gives_esdas_chunks(original: Any) -> bool:
    """True when ``original`` (esda's ``compute_chunk``) is plain Python and gives exactly the
    pseudo p-values and permuted statistics of :func:`citygeo.permutations.compute_chunk`
    on a small case: uneven neighbour counts, self-weights, islands, a chunk in the middle."""
    if hasattr(original, "py_func"):  # a numba dispatcher
        return False
    rng = np.random.default_rng(1)
    n, permutations = 60, 199
    z = rng.normal(size=n)
    cardinalities = rng.integers(0, 9, n)
    other = rng.uniform(0.1, 1, int(cardinalities.sum()))
    self_weights = np.where(rng.random(n) < 0.2, 0.3, 0.0)
    table = np.stack([rng.choice(n - 1, size=8, replace=False) for _ in range(permutations)])
    observed = rng.normal(0, 0.8, n)
    offset = int(cardinalities[:20].sum())
    chunk = (20, z[20:45], z, observed[20:45], cardinalities[20:45], self_weights[20:45])
    cases = [
        ((0, z, z, observed, cardinalities, self_weights, other), True, 0.0),
        ((*chunk, other[offset:]), False, np.nan),
    ]
    for head, keep, island in cases:
        args = (*head, table, 1.1, keep, moran_local_statistic, island, "directed")
        theirs, ours = original(*args), compute_chunk(*args)
        compared = zip(theirs, ours) if keep else [(theirs[0], ours[0])]  # else rlocals: unset
        if not all(np.array_equal(a, b, equal_nan=True) for a, b in compared):
            log.warning("esda's permutation loop differs from citygeo's light one")
            return False
    return True


def significance_cutoff(
    p_values: np.ndarray, alpha: float = 0.05, correction: str = "none"
) -> float:
    """The p-value below which a neighbourhood is significant, after ``correction``.

    ``"fdr"`` is :func:`esda.fdr`: the Benjamini–Hochberg bound ``k·alpha/n`` of the
    largest k whose k-th smallest p-value is below it (``alpha / n`` when there is none,
    so nothing passes); ``"bonferroni"`` is ``alpha / n``.
    """
    if correction == "none":
        return alpha
    if correction == "fdr":
        import esda

        return float(esda.fdr(np.asarray(p_values, dtype=float), alpha))
    if correction == "bonferroni":
        return alpha / max(1, len(p_values))
    valid = ", ".join(CORRECTIONS)
    raise ValueError(f"hotspot_correction {correction!r} is not known; valid: {valid}")


def stop_workers() -> None:
    """Let Local Moran's worker processes end now, without waiting for them.

    joblib keeps them for five idle minutes, and a process that ends while they are alive
    waits about a second for them to shut down; a caller done with the hot spots (``citygeo
    score`` before it writes the store) lets them go while it does the rest. The next Local
    Moran on workers starts new ones.
    """
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)  # None: never started
    if executor is not None:
        executor.shutdown(wait=False)


def _worker_count(units: int, workers: int | None) -> int:
    """How many processes run the permutations for ``units`` neighbourhoods."""
    if workers is not None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        return min(workers, units)
    return min(MAX_WORKERS, os.cpu_count() or 1) if units >= PARALLEL_MIN_UNITS else 1


def _usable_ids(values: pd.Series, w: W) -> list[object]:
    """Ids with a finite value, present in ``w``, with at least one such neighbour."""
    known = set(w.id_order)
    present = {i for i, v in values.items() if i in known and np.isfinite(v)}
    return [i for i in w.id_order if i in present and any(j in present for j in w.neighbors[i])]
