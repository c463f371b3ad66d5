"""Privacy rules (DESIGN.md §6), in one place, applied at every edge that shows or writes data.

- A count or rate built on 1 to ``min_count − 1`` events is withheld in public mode (the
  scoring engine flags it ``suppressed:<measure>``); zero is shown, it reveals no one.
- Scores are computed with such small counts taken as ``min_count / 2`` events
  (``protect_small_counts`` in the scoring engine), so no published domain score, index or rank
  can be solved back for a withheld count.
- A survey estimate whose effective sample is under ``min_sample`` is withheld in public mode
  (flagged ``unreliable:<measure>``).
- Incident points and stakeholder contacts never leave the store in public mode.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from citygeo.schema import count_column, measure_column, raw_column

WITHHELD_PREFIXES = ("suppressed:", "unreliable:")
STAKEHOLDER_PRIVATE_COLUMNS = ("contact",)


def withheld_measures(flags: Iterable[str]) -> list[str]:
    """The measures whose values a public output must not show, from a row's flags."""
    out = []
    for flag in flags:
        for prefix in WITHHELD_PREFIXES:
            if flag.startswith(prefix):
                out.append(flag[len(prefix) :])
    return out


def public_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores as a public output may show them: withheld measures nulled, flags kept.

    The flag stays, so a reader sees *why* the value is missing ("fewer than N").
    """
    frame = scores.reset_index(drop=True)
    if "flags" not in frame or frame.empty:
        return frame.copy()
    exploded = frame["flags"].map(
        lambda f: list(f) if isinstance(f, (list, tuple, np.ndarray)) else []
    )
    exploded = exploded.explode().dropna().astype(str)
    withheld = exploded[exploded.str.startswith(WITHHELD_PREFIXES)].str.split(":", n=1).str[1]
    frame = frame.copy()
    for measure, rows in withheld.groupby(withheld):
        columns = [
            c
            for c in (raw_column(measure), measure_column(measure), count_column(measure))
            if c in frame.columns
        ]
        frame.loc[rows.index.unique(), columns] = np.nan
    return frame


def public_stakeholders(stakeholders: pd.DataFrame) -> pd.DataFrame:
    """The partner register without contact details."""
    return stakeholders.drop(columns=[c for c in STAKEHOLDER_PRIVATE_COLUMNS if c in stakeholders])


def hide_small_cells(counts: pd.Series, min_count: int) -> pd.Series:
    """Counts with the cells of 1 to ``min_count − 1`` replaced by NaN (hexagons, tables)."""
    return counts.where((counts == 0) | (counts >= min_count))


def category_atoms(category_sets: Iterable[Iterable[str]]) -> dict[str, str]:
    """The finest cells the measures' category lists can tell apart, as category → cell name.

    Categories that are in exactly the same measures form one cell (named after the first of
    them in sorted order): no published value separates them, so only their sum matters.
    With one measure over [a, b] the cell is a+b (a small a is not a small cell); with
    measures over [a, b], [a] and [b] the cells are a and b.
    """
    sets = [frozenset(s) for s in category_sets]
    signature: dict[str, tuple[int, ...]] = {}
    for category in sorted(set().union(*sets)) if sets else []:
        signature[category] = tuple(i for i, s in enumerate(sets) if category in s)
    first: dict[tuple[int, ...], str] = {}
    return {c: first.setdefault(sig, c) for c, sig in signature.items()}


def atom_counts(counts: pd.DataFrame, atoms: dict[str, str]) -> pd.DataFrame:
    """Incident counts summed per (nid, year, cell) — see :func:`category_atoms`."""
    keyed = counts.assign(category=counts["category"].map(atoms)).dropna(subset=["category"])
    keys = [c for c in counts.columns if c != "count"]
    return keyed.groupby(keys, as_index=False, dropna=False)["count"].sum()


def protected_cells(counts: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Incident counts per (nid, year, cell) with every cell of 1 to ``min_count − 1``
    events taken as ``min_count / 2`` (floats); cells as made by :func:`atom_counts`.

    Scoring from these cells, rather than protecting each measure's sum, keeps a total over
    several categories (or a district over its neighbourhoods) from carrying an exact small
    cell into a published score: a score could otherwise be solved back for the total, and the
    total minus its visible parts gives the small cell.
    """
    values = counts["count"].astype(float)
    small = (values > 0) & (values < min_count)
    return counts.assign(count=values.where(~small, min_count / 2))


def small_cell_marks(counts: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The same cells with ``count`` = 1 where the cell holds 1 to ``min_count − 1`` events, else 0.

    Summed into a measure (or a district) by the scoring code, a positive value says the
    value contains at least one small cell and must be withheld in public outputs.
    """
    values = counts["count"].astype(float)
    return counts.assign(count=((values > 0) & (values < min_count)).astype(float))


def flag_small_cells(
    scores: pd.DataFrame, measures: Iterable[str], contains_small: pd.DataFrame
) -> pd.DataFrame:
    """Add ``suppressed:<measure>`` to the rows whose measure contains a small cell.

    ``contains_small`` has one boolean column per measure, aligned with ``scores``' rows.
    """
    frame = scores.copy()
    flags = [list(f) if isinstance(f, (list, tuple, np.ndarray)) else [] for f in frame["flags"]]
    for measure in measures:
        code = f"suppressed:{measure}"
        for i in np.flatnonzero(contains_small[measure].to_numpy(dtype=bool)):
            if code not in flags[i]:
                flags[i].append(code)
    frame["flags"] = flags
    return frame
