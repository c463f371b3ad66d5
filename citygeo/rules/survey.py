"""Survey estimates with confidence intervals, and how representative a sample is.

Pure functions (DataFrames in, DataFrames out, no I/O). Input is the long
``survey_responses`` table: ``response_id, nid, year, weight, item, value`` plus one text
column per group variable (``age_band``, ``gender`` …), whose names are passed in.

Method (for each cell: item × year × neighbourhood or city, overall or within one group):

- estimate: the weighted mean ``m = Σwx / Σw`` (a weighted proportion for 0/1 items);
- Kish effective sample size ``n_eff = (Σw)² / Σw²``;
- weighted variance with the reliability-weights correction,
  ``var = Σw(x − m)² / Σw × n_eff / (n_eff − 1)``, which is the ordinary sample variance
  when all weights are equal; standard error ``se = sqrt(var / n_eff)``;
- 95 % interval: for a **0/1 item** (every answer to that item, in every cell, is 0 or 1)
  the Wilson score interval on ``n_eff``, which stays inside [0, 1] and is not degenerate
  at 0 % or 100 %; for any other item the Student t interval ``m ± t(n_eff − 1) · se``,
  which is wider than the normal one for small samples and tends to it for large ones.
  With ``n_eff ≤ 1`` there is no interval (missing);
- ``unreliable`` when ``n_eff < min_sample`` (methodology ``min_sample``, default 30).

City-wide rows have a missing ``nid`` (as city-wide online signals do in the store);
totals have ``grp_var = grp = "all"``. Answers with a missing value are non-responses
and are left out of that item; respondents with a missing group value are left out of
that group's breakdown but counted in the totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import overload

import numpy as np
import pandas as pd
from scipy import stats

from citygeo.errors import InputError, format_problems
from citygeo.schema import DEFAULT_GROUP

__all__ = [
    "ESTIMATE_COLUMNS",
    "REPRESENTATIVENESS_COLUMNS",
    "SUM_COLUMNS",
    "estimate_survey",
    "estimates_from_sums",
    "is_unreliable",
    "representativeness",
    "representativeness_summary",
    "weighted_estimates",
]

ESTIMATE_COLUMNS: tuple[str, ...] = (
    "nid",
    "year",
    "item",
    "grp_var",
    "grp",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "n",
    "n_eff",
    "unreliable",
)
REPRESENTATIVENESS_COLUMNS: tuple[str, ...] = (
    "nid",
    "year",
    "grp_var",
    "grp",
    "sample_share",
    "population_share",
    "ratio",
    "under_represented",
    "population_year",
)
_RESPONSE_COLUMNS = ("response_id", "nid", "year", "weight", "item", "value")
# n_eff is a ratio of float sums: 30 equal weights of 0.1 give 29.999999999999996.
# A relative slack of 1e-9 keeps such a sample reliable and 29.99 unreliable.
_THRESHOLD_SLACK = 1e-9


def _check_responses(responses: pd.DataFrame, groups: Sequence[str]) -> None:
    """Raise one InputError listing every problem with the responses frame."""
    missing = [c for c in (*_RESPONSE_COLUMNS, *groups) if c not in responses.columns]
    if missing:
        raise InputError(
            f"survey responses lack column(s) {missing}: check [survey] groups in the city config."
        )
    problems = []
    weight = pd.to_numeric(responses["weight"], errors="coerce")
    bad = responses.loc[~np.isfinite(weight) | (weight < 0), "response_id"]
    if len(bad):
        problems.append(
            f"{len(bad)} answer(s) with a missing, negative or non-numeric weight, "
            f"e.g. response {bad.iloc[0]!r}"
        )
    dup = responses.duplicated(["response_id", "year", "item"])
    if dup.any():
        first = responses.loc[dup].iloc[0]
        problems.append(
            f"{int(dup.sum())} repeated answer(s) to the same item, "
            f"e.g. response {first['response_id']!r} item {first['item']!r}"
        )
    if problems:
        raise InputError(format_problems("Survey responses cannot be used:", problems))


@overload
def is_unreliable(n_eff: np.ndarray, min_sample: float) -> np.ndarray: ...
@overload
def is_unreliable(n_eff: pd.Series | float, min_sample: float) -> pd.Series | bool: ...
def is_unreliable(
    n_eff: np.ndarray | pd.Series | float, min_sample: float
) -> np.ndarray | pd.Series | bool:
    """Whether an estimate's effective sample is under ``min_sample`` (the one rule, used by
    the scoring flags and by every page that shows a survey result)."""
    return n_eff < min_sample * (1 - _THRESHOLD_SLACK)


def _cell_sums(answers: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per cell of ``keys``: Σw, Σw², Σwx, n, the weighted mean and Kish's n_eff = (Σw)²/Σw²."""
    work = answers.assign(wx=answers["weight"] * answers["value"], w2=answers["weight"] ** 2)
    cells = work.groupby(keys, sort=True).agg(
        sw=("weight", "sum"), sw2=("w2", "sum"), swx=("wx", "sum"), n=("value", "size")
    )
    return _from_sums(cells)


def _from_sums(cells: pd.DataFrame) -> pd.DataFrame:
    """Add the weighted mean ``Σwx / Σw`` and Kish's ``n_eff = (Σw)² / Σw²`` to cell sums."""
    cells["estimate"] = cells["swx"] / cells["sw"]
    cells["n_eff"] = cells["sw"] ** 2 / cells["sw2"]
    return cells


SUM_COLUMNS: tuple[str, ...] = ("nid", "year", "item", "grp", "statistic", "sw", "sw2", "swx", "n")
"""The cell sums :func:`estimates_from_sums` takes (``store.reads.survey_cell_sums`` gives them
from the store, so the microdata never has to be read into pandas to score)."""


def estimates_from_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """The estimates of :func:`estimate_survey` from its cells' sums (:data:`SUM_COLUMNS`):
    ``nid, year, item, grp, statistic, estimate, n_eff, n``, the same formulas."""
    cells = _from_sums(sums.copy())
    return cells[["nid", "year", "item", "grp", "statistic", "estimate", "n_eff", "n"]]


def _cell_stats(answers: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Weighted mean, variance, n and n_eff per cell defined by ``keys``."""
    cells = _cell_sums(answers, keys)
    work = answers
    work = work.merge(cells["estimate"].reset_index(), on=keys)
    work["wd2"] = work["weight"] * (work["value"] - work["estimate"]) ** 2
    cells["swd2"] = work.groupby(keys, sort=True)["wd2"].sum()
    correction = cells["n_eff"] / (cells["n_eff"] - 1)
    variance = (cells["swd2"] / cells["sw"] * correction).where(cells["n_eff"] > 1)
    cells["se"] = np.sqrt(variance / cells["n_eff"])
    return cells.reset_index()


def _intervals(cells: pd.DataFrame, binary: pd.Series, level: float) -> pd.DataFrame:
    """Add ``ci_low, ci_high``: Wilson on n_eff for 0/1 items, Student t otherwise."""
    n_eff = cells["n_eff"].to_numpy(dtype=float)
    p = cells["estimate"].to_numpy(dtype=float)
    share = np.clip(p, 0.0, 1.0)  # Wilson is only used for 0/1 items; clip keeps sqrt quiet
    valid = n_eff > 1
    safe_n = np.where(valid, n_eff, 2.0)
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (share + z**2 / (2 * safe_n)) / (1 + z**2 / safe_n)
    spread = share * (1 - share) / safe_n + z**2 / (4 * safe_n**2)
    half = z / (1 + z**2 / safe_n) * np.sqrt(spread)
    t_half = stats.t.ppf(0.5 + level / 2, safe_n - 1) * cells["se"].to_numpy(dtype=float)
    is_binary = cells["item"].map(binary).to_numpy(dtype=bool)
    low = np.where(is_binary, centre - half, p - t_half)
    high = np.where(is_binary, centre + half, p + t_half)
    return cells.assign(ci_low=np.where(valid, low, np.nan), ci_high=np.where(valid, high, np.nan))


def _levels(answers: pd.DataFrame, groups: Sequence[str]) -> list[pd.DataFrame]:
    """One frame of cell statistics per level: (nid|city) × (all|each group variable)."""
    frames = []
    for place in (["nid"], []):
        base = [*place, "year", "item"]
        totals = _cell_stats(answers, base).assign(grp_var=DEFAULT_GROUP, grp=DEFAULT_GROUP)
        frames.append(totals)
        for grp_var in groups:
            known = answers[answers[grp_var].notna()]
            known = known.assign(grp=known[grp_var].astype(str))
            frames.append(_cell_stats(known, [*base, "grp"]).assign(grp_var=grp_var))
    return frames


def weighted_estimates(
    responses: pd.DataFrame,
    groups: Sequence[str] = (),
    min_sample: float = 30,
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted estimates with intervals per neighbourhood, group, both, and city-wide.

    Parameters
    ----------
    responses : DataFrame
        Long survey responses: ``response_id, nid, year, weight, item, value`` and the
        group columns named in ``groups``. Weights must be finite and non-negative.
    groups : sequence of str
        Names of the group columns to break estimates down by (e.g. ``["age_band"]``).
    min_sample : float
        Cells with an effective sample size below this are flagged ``unreliable``.
    level : float
        Confidence level of the intervals (0.95 for 95 %).

    Returns
    -------
    DataFrame
        ``nid, year, item, grp_var, grp, estimate, se, ci_low, ci_high, n, n_eff,
        unreliable`` (see the module docstring for the method). ``nid`` is missing on
        city-wide rows; ``grp_var = grp = "all"`` on totals. ``n`` counts respondents who
        answered the item.

    Raises
    ------
    InputError
        When columns are missing, weights are missing or negative, or a respondent
        answers the same item twice in a year.
    """
    _check_responses(responses, groups)
    answers = responses[[*_RESPONSE_COLUMNS, *groups]].copy()
    answers["weight"] = pd.to_numeric(answers["weight"]).astype(float)
    answers["value"] = pd.to_numeric(answers["value"], errors="coerce").astype(float)
    answers = answers[answers["value"].notna()]
    if answers.empty:
        return pd.DataFrame(columns=list(ESTIMATE_COLUMNS))
    binary = answers.groupby("item")["value"].agg(lambda v: bool(v.isin([0.0, 1.0]).all()))
    cells = pd.concat(_levels(answers, groups), ignore_index=True)
    cells = _intervals(cells, binary, level)
    cells["unreliable"] = is_unreliable(cells["n_eff"], min_sample)
    cells["n"] = cells["n"].astype("int64")
    return cells[list(ESTIMATE_COLUMNS)].reset_index(drop=True)


def estimate_survey(
    responses: pd.DataFrame,
    group_columns: Sequence[str] | None = None,
    statistics: Sequence[str] = ("mean",),
) -> pd.DataFrame:
    """The survey estimates the scoring engine reads: one per neighbourhood, year, item, group
    and statistic, with the same weighted mean and Kish n_eff as :func:`weighted_estimates`.

    Parameters
    ----------
    responses : DataFrame
        ``nid, year, item, value, weight`` and the group columns (the store's
        ``survey_responses``). A missing weight counts as 1.
    group_columns : sequence of str
        Columns whose values become groups (``grp``), besides ``"all"``.
    statistics : sequence of str
        ``"mean"`` (weighted mean) and/or ``"share_at_least:<k>"`` (weighted share of
        answers ≥ k).

    Returns
    -------
    DataFrame
        ``nid, year, item, grp, statistic, estimate, n_eff, n``.
    """
    base = responses.dropna(subset=["value"]).copy()
    base["weight"] = pd.to_numeric(base.get("weight", 1.0), errors="coerce").fillna(1.0)
    base["value"] = base["value"].astype(float)
    frames = []
    for column in [None, *(group_columns or [])]:
        grp = DEFAULT_GROUP if column is None else base[column].astype("string")
        part = base.assign(grp=grp).dropna(subset=["grp"])
        for statistic in statistics:
            target = (
                part
                if statistic == "mean"
                else part.assign(
                    value=(part["value"] >= float(statistic.partition(":")[2])).astype(float)
                )
            )
            cells = _cell_sums(target, ["nid", "year", "item", "grp"]).reset_index()
            frames.append(
                cells.assign(statistic=statistic)[
                    ["nid", "year", "item", "grp", "statistic", "estimate", "n_eff", "n"]
                ]
            )
    return pd.concat(frames, ignore_index=True)


def _respondents(responses: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """One row per respondent (their first answer's weight and groups)."""
    people = responses.drop_duplicates(["response_id", "nid", "year"])
    return people[["response_id", "nid", "year", "weight", *groups]].copy()


def _population_year(survey_years: pd.Series, population_years: np.ndarray) -> pd.Series:
    """Latest population year at or before each survey year, else the earliest there is."""
    years = np.sort(population_years)

    def pick(year: int) -> int:
        earlier = years[years <= year]
        return int(earlier[-1]) if len(earlier) else int(years[0])

    return survey_years.map(pick).astype("int64")


def _sample_shares(
    people: pd.DataFrame, grp_var: str, cats: list[str], weighted: bool
) -> pd.DataFrame:
    """Share of each category among respondents who gave one, per (nid, year)."""
    known = people[people[grp_var].notna()].assign(grp=lambda f: f[grp_var].astype(str))
    known = known[known["grp"].isin(cats)]
    mass = known["weight"] if weighted else pd.Series(1.0, index=known.index)
    sums = known.assign(mass=mass).groupby(["nid", "year", "grp"])["mass"].sum().reset_index()
    sums["sample_share"] = sums["mass"] / sums.groupby(["nid", "year"])["mass"].transform("sum")
    answered = known[["nid", "year"]].drop_duplicates()
    grid = answered.merge(pd.DataFrame({"grp": cats}), how="cross")
    shares = grid.merge(sums[["nid", "year", "grp", "sample_share"]], how="left")
    return shares.fillna({"sample_share": 0.0})


def _population_shares(population: pd.DataFrame, indicator: str, cats: list[str]) -> pd.DataFrame:
    """Share of each category in the population, per (nid, population year)."""
    rows = population[(population["indicator"] == indicator) & population["grp"].isin(cats)]
    rows = rows.groupby(["nid", "year", "grp"])["value"].sum().reset_index()
    total = rows.groupby(["nid", "year"])["value"].transform("sum")
    rows["population_share"] = (rows["value"] / total).where(total > 0)
    return rows.rename(columns={"year": "population_year"}).drop(columns="value")


def representativeness(
    responses: pd.DataFrame,
    population: pd.DataFrame,
    groups: Sequence[str],
    indicator: str = "population",
    threshold: float = 0.5,
    weighted: bool = True,
    categories: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Compare each neighbourhood's sample make-up with its population, group by group.

    Parameters
    ----------
    responses : DataFrame
        Long survey responses (see :func:`weighted_estimates`).
    population : DataFrame
        Indicator values ``nid, indicator, year, grp, value``; the rows of ``indicator``
        carry population counts per group value (``grp`` = ``"16-24"``, ``"female"`` …).
    groups : sequence of str
        Group columns of the survey to check.
    indicator : str
        Name of the population indicator.
    threshold : float
        A group is under-represented when ``sample_share / population_share < threshold``.
    weighted : bool
        Use survey weights for sample shares (default, as asked); False counts respondents,
        which shows who actually answered when weights are calibrated to the population.
    categories : mapping, optional
        The categories of each group variable. Default: every value seen in the survey, so
        a category nobody in the whole survey chose cannot be detected unless given here.

    Returns
    -------
    DataFrame
        ``nid, year, grp_var, grp, sample_share, population_share, ratio,
        under_represented, population_year`` for every neighbourhood and year with
        respondents and every category. Shares are among respondents (people) who gave a
        value for that group variable, and among the population counts of the same
        categories. Population counts come from the latest year at or before the survey
        year (else the earliest available). ``ratio`` is missing where the population
        share is zero or unknown, and then the group is not flagged.
    """
    _check_responses(responses, groups)
    people = _respondents(responses, groups)
    frames = []
    for grp_var in groups if len(people) else ():
        seen = people[grp_var].dropna().astype(str).unique().tolist()
        given = categories.get(grp_var) if categories else None
        cats = [str(c) for c in given] if given is not None else sorted(seen)
        shares = _sample_shares(people, grp_var, cats, weighted)
        pop = _population_shares(population, indicator, cats)
        if pop.empty or shares.empty:
            shares = shares.assign(population_year=pd.NA, population_share=np.nan)
        else:
            years = pop["population_year"].unique()
            shares["population_year"] = _population_year(shares["year"], years)
            shares = shares.merge(pop, on=["nid", "population_year", "grp"], how="left")
        frames.append(shares.assign(grp_var=grp_var))
    if not frames:
        return pd.DataFrame(columns=list(REPRESENTATIVENESS_COLUMNS))
    rep = pd.concat(frames, ignore_index=True)
    rep["population_share"] = rep["population_share"].astype(float)
    share = rep["population_share"]
    rep["ratio"] = (rep["sample_share"] / share).where(share > 0)
    rep["under_represented"] = (rep["ratio"] < threshold).fillna(False).astype(bool)
    rep = rep.sort_values(["nid", "year", "grp_var", "grp"], ignore_index=True)
    return rep[list(REPRESENTATIVENESS_COLUMNS)]


def representativeness_summary(rep: pd.DataFrame) -> pd.DataFrame:
    """Name the under-represented groups of each neighbourhood and year, in plain words.

    Parameters
    ----------
    rep : DataFrame
        Output of :func:`representativeness`.

    Returns
    -------
    DataFrame
        ``nid, year, under_represented, summary``: ``under_represented`` is a list of
        ``"<grp_var>:<grp>"``, worst ratio first; ``summary`` reads e.g.
        ``"Under-represented: 16-24 (age_band, 0.25× population share)"`` or
        ``"No group under-represented"``.
    """
    rows = []
    for (nid, year), cell in rep.groupby(["nid", "year"], sort=True):
        under = cell[cell["under_represented"]].sort_values("ratio")
        names = [f"{v}:{g}" for v, g in zip(under["grp_var"], under["grp"], strict=True)]
        parts = [
            f"{r.grp} ({r.grp_var}, {r.ratio:.2f}× population share)" for r in under.itertuples()
        ]
        text = "Under-represented: " + "; ".join(parts) if parts else "No group under-represented"
        rows.append({"nid": nid, "year": year, "under_represented": names, "summary": text})
    return pd.DataFrame(rows, columns=["nid", "year", "under_represented", "summary"])
