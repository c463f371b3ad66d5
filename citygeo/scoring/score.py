"""The package entry point: score every neighbourhood and year (DESIGN.md §3 and §5).

:func:`score_city` prepares the measures and scores them; :func:`score_prepared` scores
measures already prepared (the dashboard's weight sliders re-weight without normalising
again). :func:`start_scoring` returns every column but the hot spots at once, with the
Local Moran permutations still running in worker processes (:class:`PendingScores`), so the
caller can do other work meanwhile (``citygeo score`` prepares the districts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from citygeo.schema import (
    DEFAULT_GROUP,
    SCORE_COLUMNS,
    count_column,
    domain_column,
    measure_column,
    raw_column,
)
from citygeo.scoring.engine import Prepared, oriented_measures, prepare, recompute
from citygeo.scoring.flags import build_flags
from citygeo.scoring.hotspots import local_moran_classes
from citygeo.scoring.inputs import ScoringInputs
from citygeo.scoring.methodology import Methodology, methodology_sha256
from citygeo.scoring.robustness import rank_intervals

__all__ = ["PendingScores", "score_city", "score_prepared", "start_scoring"]

log = logging.getLogger(__name__)


def score_city(
    inputs: ScoringInputs,
    methodology: Methodology,
    years: list[int] | None = None,
    *,
    group: str = DEFAULT_GROUP,
    draws: int = 1000,
    seed: int = 12345,
    progress: Callable[[int, int], None] | None = None,
    protect_small_counts: bool = False,
) -> pd.DataFrame:
    """Score every neighbourhood for every year.

    Parameters
    ----------
    inputs : ScoringInputs
        The city's data (plain DataFrames, optional contiguity weights).
    methodology : Methodology
        From :func:`load_methodology`.
    years : list of int, optional
        Default: the years in which every kind of source used has data.
    group : str
        ``"all"``, or a population group (see :mod:`citygeo.scoring.measures`).
    draws, seed : int
        Monte Carlo draws for ``risk_rank_p05``/``p95`` (0 = skip; the columns are NA).
    progress : callable, optional
        ``progress(done, total)`` over the years of the Monte Carlo.

    Returns
    -------
    DataFrame
        One row per neighbourhood and year: ``SCORE_COLUMNS``, then ``grp``,
        ``domain__<id>``, ``measure__<id>`` (normalised, oriented), ``raw__<id>`` and
        ``n__<id>`` (incident and asset measures).
    """
    prepared = prepare(inputs, methodology, years, group, protect_small_counts=protect_small_counts)
    return score_prepared(prepared, inputs.weights, draws=draws, seed=seed, progress=progress)


class PendingScores:
    """Scores whose hot-spot classes are still being computed.

    ``frame`` holds every score column in the final order; its ``hotspot`` column is None
    until :meth:`result` (or :meth:`hotspots`) has waited for Local Moran. Both return the
    same classes :func:`score_prepared` gives.
    """

    def __init__(self, frame: pd.DataFrame, hotspots: Future[np.ndarray]) -> None:
        self.frame = frame
        self._hotspots = hotspots

    def hotspots(self) -> pd.Series:
        """The hot-spot class of each row of ``frame`` (same index), once Local Moran is done."""
        return pd.Series(self._hotspots.result(), index=self.frame.index, dtype=object)

    def result(self) -> pd.DataFrame:
        """``frame`` with its hot spots filled in (waits for Local Moran)."""
        self.frame["hotspot"] = self.hotspots()
        return self.frame


def score_prepared(
    prepared: Prepared,
    weights: object | None = None,
    methodology: Methodology | None = None,
    *,
    draws: int = 1000,
    seed: int = 12345,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """:func:`score_city` on already prepared measures (optionally re-weighted)."""
    return start_scoring(
        prepared, weights, methodology, draws=draws, seed=seed, progress=progress
    ).result()


def start_scoring(
    prepared: Prepared,
    weights: object | None = None,
    methodology: Methodology | None = None,
    *,
    draws: int = 1000,
    seed: int = 12345,
    progress: Callable[[int, int], None] | None = None,
) -> PendingScores:
    """:func:`score_prepared` that returns before the hot spots are known."""
    methodology = methodology or prepared.methodology
    core = recompute(prepared, methodology)
    n = len(core)
    # Local Moran's permutations run in worker processes while this process goes on; the Monte
    # Carlo ranks use that time (both only read ``core`` and ``prepared``; same results)
    side = ThreadPoolExecutor(1, thread_name_prefix="hotspots")
    hotspots = side.submit(_hotspots, core, prepared, methodology, weights, seed)
    side.shutdown(wait=False)  # the thread ends with its one task
    try:
        intervals = rank_intervals(prepared, methodology, draws=draws, seed=seed, progress=progress)
    except BaseException:
        hotspots.exception()  # wait: no worker process outlives a failed run
        raise
    domain_cols = [domain_column(d.id) for d in methodology.domains]
    domains = core[domain_cols].to_numpy(dtype=float)
    columns: dict[str, object] = {name: core[name] for name in core.columns}
    columns["methodology_version"] = np.full(n, methodology.version, dtype=object)
    columns["methodology_sha256"] = np.full(n, methodology_sha256(methodology), dtype=object)
    columns["risk_rank_p05"] = intervals["risk_rank_p05"].to_numpy()
    columns["risk_rank_p95"] = intervals["risk_rank_p95"].to_numpy()
    columns["hotspot"] = np.full(n, None, dtype=object)  # filled by PendingScores.result
    columns["flags"] = pd.Series(
        build_flags(prepared, methodology, domains), index=core.index, dtype=object
    )
    columns["grp"] = np.full(n, prepared.group, dtype=object)
    columns.update(_measure_columns(prepared, methodology))
    order = [
        *SCORE_COLUMNS,
        "grp",
        *domain_cols,
        *(c for c in columns if c.startswith(("measure__", "raw__", "n__"))),
    ]
    ordered = pd.DataFrame({name: columns[name] for name in order}, index=core.index)
    log.info("scored %d neighbourhood-years with methodology %s", len(ordered), methodology.version)
    return PendingScores(ordered, hotspots)


def _measure_columns(prepared: Prepared, methodology: Methodology) -> dict[str, np.ndarray]:
    oriented = oriented_measures(prepared, methodology)
    columns: dict[str, np.ndarray] = {}
    for j, measure_id in enumerate(prepared.measure_ids):
        columns[measure_column(measure_id)] = oriented[:, j]
    for measure_id in prepared.measure_ids:
        columns[raw_column(measure_id)] = prepared.table.raw[measure_id].to_numpy(dtype=float)
    for measure_id in prepared.table.counts.columns:
        columns[count_column(measure_id)] = prepared.table.counts[measure_id].to_numpy(dtype=float)
    return columns


def _hotspots(
    core: pd.DataFrame,
    prepared: Prepared,
    methodology: Methodology,
    weights: object | None,
    seed: int,
) -> np.ndarray:
    """Local Moran classes of the risk score, or of the protective score when the
    methodology scores no risk index."""
    out = np.full(len(core), "none", dtype=object)
    if weights is None:
        return out
    score = "risk_score" if methodology.scores("risk") else "protective_score"
    for rows in prepared.year_rows.values():
        values = pd.Series(core[score].to_numpy()[rows], index=core["nid"].to_numpy()[rows])
        classes = local_moran_classes(
            values,
            weights,
            seed=seed,
            correction=methodology.hotspot_correction,
        )
        out[rows] = classes.to_numpy()
    return out
