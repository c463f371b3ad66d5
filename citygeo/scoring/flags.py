"""Flags: short codes that say why a row's numbers need care (DESIGN.md §5).

- ``missing:<measure>`` — the neighbourhood has no value for that measure this year;
- ``not_covered:<measure>`` — a source the measure is built on does not cover the
  neighbourhood (its ``coverage``, or under half of it covered by apportioned areas): no
  value, and no ``missing:`` flag, since the reason is known;
- ``missing_domain:<domain>`` — no measure of the domain, so no index for it;
- ``suppressed:<measure>`` — an incident measure built on 1 to ``min_count − 1`` events
  (the score still uses it; the privacy rules hide it at the edges);
- ``unreliable:<measure>`` — a survey estimate with ``n_eff < min_sample`` (still used);
- ``extreme:<measure>`` — the neighbourhood is in the top decile (decile 1, ranks as for
  the indices) of a measure whose direction is ``risk``, on the raw value.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from citygeo.rules.survey import is_unreliable
from citygeo.scoring.engine import Prepared
from citygeo.scoring.measures import MeasureTable
from citygeo.scoring.methodology import Methodology

__all__ = ["build_flags"]


def build_flags(
    prepared: Prepared, methodology: Methodology, domains: np.ndarray
) -> list[list[str]]:
    """One list of flag codes per row of ``prepared`` (``domains``: rows × domains)."""
    table = prepared.table
    raw = table.raw.to_numpy(dtype=float)
    ids = prepared.measure_ids
    outside = _not_covered(table, ids, raw.shape)
    codes: list[str] = [f"missing:{m}" for m in ids]
    columns: list[np.ndarray] = [np.isnan(raw) & ~outside]
    codes += [f"not_covered:{m}" for m in ids]
    columns.append(outside)
    codes += [f"missing_domain:{d.id}" for d in methodology.domains]
    columns.append(np.isnan(domains))
    for measure in methodology.measures:
        if measure.source == "incidents":
            events = table.counts[measure.id].to_numpy(dtype=float)
            codes.append(f"suppressed:{measure.id}")
            columns.append(((events >= 1) & (events < methodology.min_count))[:, None])
        if measure.source == "survey":
            n_eff = table.n_eff[measure.id].to_numpy(dtype=float)
            codes.append(f"unreliable:{measure.id}")
            columns.append(is_unreliable(n_eff, methodology.min_sample)[:, None])
    risk = [j for j, m in enumerate(methodology.measures) if m.direction == "risk"]
    codes += [f"extreme:{ids[j]}" for j in risk]
    columns.append(_top_decile(raw[:, risk], prepared.year_rows))
    return _lists(np.hstack(columns), np.array(codes, dtype=object))


def _not_covered(table: MeasureTable, ids: list[str], shape: tuple[int, ...]) -> np.ndarray:
    """Rows × measures: True where the measure's source does not cover the neighbourhood."""
    out = np.zeros(shape, dtype=bool)
    if table.not_covered is not None:
        for j, measure_id in enumerate(ids):
            if measure_id in table.not_covered:
                out[:, j] = table.not_covered[measure_id].to_numpy(dtype=bool)
    return out


def _top_decile(values: np.ndarray, year_rows: dict[int, np.ndarray]) -> np.ndarray:
    """True where a value is in decile 1 of its year (same rule as the index deciles).

    With ``min`` ranks, ``floor((rank − 1) · 10 / n) == 0`` holds exactly when fewer than
    n/10 values are strictly greater, i.e. when the value is at least the
    ``ceil(n/10)``-th largest one.
    """
    out = np.zeros(values.shape, dtype=bool)
    for rows in year_rows.values():
        block = values[rows]
        for j in range(block.shape[1]):
            present = block[~np.isnan(block[:, j]), j]
            if len(present) == 0:
                continue
            k = int(np.ceil(len(present) / 10))
            threshold = np.partition(present, len(present) - k)[len(present) - k]
            with np.errstate(invalid="ignore"):
                out[rows, j] = block[:, j] >= threshold
    return out


def _lists(hits: np.ndarray, codes: np.ndarray) -> list[list[str]]:
    """Row-wise lists of the codes whose column is True."""
    rows, columns = np.nonzero(hits)  # row-major: each row's codes together, in column order
    flat = codes[columns].tolist()
    bounds = np.searchsorted(rows, np.arange(hits.shape[0] + 1)).tolist()
    return [flat[start:stop] for start, stop in itertools.pairwise(bounds)]


def flag_counts(flags: pd.Series) -> pd.Series:
    """How many rows carry each flag code (for reports)."""
    return flags.explode().dropna().value_counts()
