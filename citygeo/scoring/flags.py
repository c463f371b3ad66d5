"""Flags: short codes that say why a row's numbers need care (DESIGN.md §5).

- ``missing:<measure>`` — the neighbourhood has no value for that measure this year;
- ``missing_domain:<domain>`` — no measure of the domain, so no index for it;
- ``suppressed:<measure>`` — an incident measure built on 1 to ``min_count − 1`` events
  (the score still uses it; the privacy rules hide it at the edges);
- ``unreliable:<measure>`` — a survey estimate with ``n_eff < min_sample`` (still used);
- ``extreme:<measure>`` — the neighbourhood is in the top decile (decile 1, ranks as for
  the indices) of a measure whose direction is ``risk``, on the raw value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from citygeo.scoring.engine import Prepared, deciles, rank_descending
from citygeo.scoring.methodology import Methodology

__all__ = ["build_flags"]


def build_flags(prepared: Prepared, methodology: Methodology, domains: np.ndarray) -> list[list[str]]:
    """One list of flag codes per row of ``prepared`` (``domains``: rows × domains)."""
    table = prepared.table
    n_rows = len(table.rows)
    flags: list[list[str]] = [[] for _ in range(n_rows)]
    raw = table.raw.to_numpy(dtype=float)
    ids = prepared.measure_ids
    conditions: list[tuple[str, np.ndarray]] = []
    conditions += [(f"missing:{m}", np.isnan(raw[:, j])) for j, m in enumerate(ids)]
    conditions += [
        (f"missing_domain:{d.id}", np.isnan(domains[:, k])) for k, d in enumerate(methodology.domains)
    ]
    for measure in methodology.measures:
        if measure.source == "incidents":
            events = table.counts[measure.id].to_numpy(dtype=float)
            small = (events >= 1) & (events < methodology.min_count)
            conditions.append((f"suppressed:{measure.id}", small))
        if measure.source == "survey":
            n_eff = table.n_eff[measure.id].to_numpy(dtype=float)
            conditions.append((f"unreliable:{measure.id}", n_eff < methodology.min_sample))
    for j, measure in enumerate(methodology.measures):
        if measure.direction == "risk":
            ranks = rank_descending(raw[:, j], prepared.year_rows)
            conditions.append((f"extreme:{measure.id}", deciles(ranks, prepared.year_rows) == 1))
    for code, hit in conditions:
        for row in np.flatnonzero(hit):
            flags[row].append(code)
    return flags


def flag_counts(flags: pd.Series) -> pd.Series:
    """How many rows carry each flag code (for reports)."""
    return flags.explode().dropna().value_counts()
