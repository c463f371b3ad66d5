"""Registers: mechanisms and partners per neighbourhood, gaps, and consultation coverage.

Pure functions (DataFrames in, DataFrames out, no I/O). Inputs are the store tables
``assets`` (mechanisms), ``stakeholders`` (partners), ``consultations`` and
``neighbourhoods`` (DESIGN.md §2). List columns (``themes``, ``serves``, ``nid`` and
``groups`` of consultations) may hold Python lists, tuples or numpy arrays.

Conventions:

- A partner serves the neighbourhoods listed in ``serves``; ``"all"`` serves every
  neighbourhood, so a city-wide partner counts once in each of them.
- A consultation with an empty (or missing) ``nid`` list is city-wide and counts as
  hearing **every** neighbourhood. Its ``groups`` say whom it heard: ``"all"`` hears
  every group; an empty list hears the neighbourhood (group ``"all"``) but no group in
  particular.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from citygeo.errors import InputError
from citygeo.rules.freshness import shift_months
from citygeo.schema import DEFAULT_GROUP

__all__ = [
    "COVERAGE_COLUMNS",
    "gap_list",
    "last_heard",
    "not_heard",
    "partners_serving",
    "register_coverage",
]

log = logging.getLogger(__name__)

COVERAGE_COLUMNS: tuple[str, ...] = (
    "nid",
    "theme",
    "mechanisms",
    "formal",
    "informal",
    "partners",
    "population",
    "mechanisms_per_1000",
    "partners_per_1000",
    "total_per_1000",
)


def _as_list(value: object) -> list[str]:
    """A list-column cell as a list of strings (None / NaN / empty -> [])."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value if v is not None]
    return [] if pd.isna(value) else [str(value)]


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what} lack column(s) {missing}: add them or fix the column names.")


def _asset_rows(assets: pd.DataFrame, codes: set[str]) -> pd.DataFrame:
    """One row per (asset, theme) with theme "all" for every asset, inside the city."""
    placed = assets[assets["nid"].isin(codes)]
    themes = [[DEFAULT_GROUP, *_as_list(t)] for t in placed["themes"]]
    rows = pd.DataFrame(
        {
            "asset": np.arange(len(placed)),  # row position: duplicate themes count once
            "nid": placed["nid"].to_numpy(),
            "formal": placed["formal"].to_numpy(),
            "theme": themes,
        }
    )
    return rows.explode("theme").drop_duplicates(["asset", "theme"])


def _partner_rows(stakeholders: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """One row per (partner, neighbourhood served, theme), "all" expanded to every code."""
    rows, unknown, known = [], set(), set(codes)
    for record in stakeholders.itertuples(index=False):
        served = _as_list(record.serves)
        places = codes if DEFAULT_GROUP in served else [s for s in served if s in known]
        unknown |= {s for s in served if s != DEFAULT_GROUP and s not in known}
        for theme in {DEFAULT_GROUP, *_as_list(record.themes)}:
            rows += [(record.stakeholder_id, nid, theme) for nid in places]
    if unknown:
        log.warning(
            "stakeholders serve %d unknown neighbourhood code(s), e.g. %s; ignored",
            len(unknown),
            sorted(unknown)[:3],
        )
    return pd.DataFrame(rows, columns=["stakeholder_id", "nid", "theme"]).drop_duplicates()


def register_coverage(
    assets: pd.DataFrame, stakeholders: pd.DataFrame, neighbourhoods: pd.DataFrame
) -> pd.DataFrame:
    """Mechanisms and partners per neighbourhood and theme, counted and per 1,000 residents.

    Parameters
    ----------
    assets : DataFrame
        ``nid, formal, themes`` (at least); assets outside every neighbourhood are ignored.
    stakeholders : DataFrame
        ``stakeholder_id, themes, serves`` (at least).
    neighbourhoods : DataFrame
        ``nid, population`` (at least).

    Returns
    -------
    DataFrame
        ``nid, theme, mechanisms, formal, informal, partners, population,
        mechanisms_per_1000, partners_per_1000, total_per_1000``: one row per neighbourhood
        for ``theme = "all"`` and per theme seen in either register (zeros included).
        ``formal``/``informal`` split the mechanisms (an unknown ``formal`` is in
        neither). Rates are missing where the population is missing or zero.
    """
    _require(assets, ["nid", "formal", "themes"], "assets")
    _require(stakeholders, ["stakeholder_id", "themes", "serves"], "stakeholders")
    _require(neighbourhoods, ["nid", "population"], "neighbourhoods")
    codes = neighbourhoods["nid"].astype(str).tolist()
    mech = _asset_rows(assets, set(codes))
    partners = _partner_rows(stakeholders, codes)
    seen = set(mech["theme"].dropna()) | set(partners["theme"]) | {DEFAULT_GROUP}
    themes = sorted(seen, key=lambda t: (t != DEFAULT_GROUP, t))
    grid = pd.MultiIndex.from_product([codes, themes], names=["nid", "theme"])
    formal = mech["formal"].astype("boolean")
    table = pd.DataFrame(
        {
            "mechanisms": mech.groupby(["nid", "theme"]).size(),
            "formal": formal.eq(True).groupby([mech["nid"], mech["theme"]]).sum(),
            "informal": formal.eq(False).groupby([mech["nid"], mech["theme"]]).sum(),
        }
    ).reindex(grid)
    table["partners"] = partners.groupby(["nid", "theme"]).size().reindex(grid)
    table = table.fillna(0).astype("int64").reset_index()
    population = pd.Series(neighbourhoods["population"].astype(float).to_numpy(), index=codes)
    table["population"] = table["nid"].map(population)
    residents = table["population"].where(table["population"] > 0)
    for column in ("mechanisms", "partners"):
        table[f"{column}_per_1000"] = table[column] / residents * 1000
    table["total_per_1000"] = table["mechanisms_per_1000"] + table["partners_per_1000"]
    return table[list(COVERAGE_COLUMNS)]


def gap_list(
    coverage: pd.DataFrame, risk: pd.DataFrame, top_share: float = 0.2, theme: str = DEFAULT_GROUP
) -> pd.DataFrame:
    """High-risk neighbourhoods with fewer mechanisms and partners than the city median.

    A neighbourhood is listed when its ``risk_score`` is in the top ``top_share`` of
    neighbourhoods (default 0.2, the top quintile: at or above the 80th percentile of
    risk scores, linear interpolation) **and** its mechanisms + partners per 1,000
    residents are strictly below the city median (over every neighbourhood with a
    population, for that theme). Neighbourhoods without a population or a risk score
    cannot be judged and are left out.

    Parameters
    ----------
    coverage : DataFrame
        Output of :func:`register_coverage`.
    risk : DataFrame
        ``nid, risk_score``.
    top_share : float
        Share of neighbourhoods that counts as high risk.
    theme : str
        Judge coverage on one theme (``"youth"``) instead of all mechanisms.

    Returns
    -------
    DataFrame
        ``nid, risk_score, mechanisms, partners, total_per_1000, city_median``, fewest per
        1,000 first, then highest risk.
    """
    _require(risk, ["nid", "risk_score"], "risk scores")
    if not 0 < top_share <= 1:
        raise InputError(f"top_share {top_share} must be in (0, 1]: 0.2 is the top quintile.")
    rows = coverage[(coverage["theme"] == theme) & coverage["total_per_1000"].notna()]
    median = float(rows["total_per_1000"].median())
    scored = risk[risk["risk_score"].notna()]
    cut = float(scored["risk_score"].quantile(1 - top_share))
    high = scored[scored["risk_score"] >= cut][["nid", "risk_score"]]
    gaps = high.merge(rows, on="nid")
    gaps = gaps[gaps["total_per_1000"] < median].assign(city_median=median)
    gaps = gaps.sort_values(["total_per_1000", "risk_score", "nid"], ascending=[True, False, True])
    columns = ["nid", "risk_score", "mechanisms", "partners", "total_per_1000", "city_median"]
    return gaps[columns].reset_index(drop=True)


def partners_serving(stakeholders: pd.DataFrame, nids: Sequence[str]) -> pd.DataFrame:
    """The partners already working in the given neighbourhoods (contact details left out).

    Returns
    -------
    DataFrame
        ``nid, stakeholder_id, name, sector, themes`` (one row per neighbourhood and
        partner; city-wide partners appear under every neighbourhood).
    """
    _require(stakeholders, ["stakeholder_id", "name", "sector", "themes", "serves"], "stakeholders")
    rows = []
    for record in stakeholders.itertuples(index=False):
        served = _as_list(record.serves)
        for nid in nids:
            if DEFAULT_GROUP in served or nid in served:
                themes = _as_list(record.themes)
                rows.append((nid, record.stakeholder_id, record.name, record.sector, themes))
    frame = pd.DataFrame(rows, columns=["nid", "stakeholder_id", "name", "sector", "themes"])
    return frame.sort_values(["nid", "name"], ignore_index=True)


def _heard_rows(
    consultations: pd.DataFrame, codes: list[str], groups: Sequence[str]
) -> pd.DataFrame:
    """One row per (consultation, neighbourhood heard, group heard); group "all" always."""
    rows = []
    known = set(codes)
    dates = pd.to_datetime(consultations["date"])
    events = zip(dates, consultations["nid"], consultations["groups"], strict=True)
    for day, places, listed in events:
        named = _as_list(places)
        heard = codes if not named else sorted(set(named) & known)
        whom = {DEFAULT_GROUP, *_as_list(listed)}
        if DEFAULT_GROUP in _as_list(listed):
            whom |= set(groups)
        rows += [(day, nid, grp) for nid in heard for grp in whom]
    return pd.DataFrame(rows, columns=["date", "nid", "grp"])


def last_heard(
    consultations: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
    groups: Sequence[str] = (),
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """When each neighbourhood, and each group in it, was last heard in a consultation.

    Parameters
    ----------
    consultations : DataFrame
        ``date, nid (list), groups (list)`` at least (see the module docstring).
    neighbourhoods : DataFrame
        ``nid`` (and ``name``, carried through when present).
    groups : sequence of str
        Groups to report besides ``"all"`` (heard in any consultation at all).
    as_of : datetime.date, optional
        Ignore consultations after this day; this function never reads the clock.

    Returns
    -------
    DataFrame
        ``nid, name, grp, last_heard, consultations``, one row per neighbourhood and
        group (``"all"`` first): ``last_heard`` is a Timestamp (NaT when never heard),
        ``consultations`` the number of consultations that heard them.
    """
    _require(consultations, ["date", "nid", "groups"], "consultations")
    _require(neighbourhoods, ["nid"], "neighbourhoods")
    codes = neighbourhoods["nid"].astype(str).tolist()
    heard = _heard_rows(consultations, codes, groups)
    if as_of is not None:
        heard = heard[heard["date"] <= pd.Timestamp(as_of)]
    summary = heard.groupby(["nid", "grp"]).agg(
        last_heard=("date", "max"), consultations=("date", "size")
    )
    names = neighbourhoods["name"] if "name" in neighbourhoods else neighbourhoods["nid"]
    grid = pd.DataFrame({"nid": codes, "name": names.to_numpy()}).merge(
        pd.DataFrame({"grp": list(dict.fromkeys([DEFAULT_GROUP, *groups]))}), how="cross"
    )
    result = grid.merge(summary.reset_index(), on=["nid", "grp"], how="left")
    result["last_heard"] = pd.to_datetime(result["last_heard"])
    result["consultations"] = result["consultations"].fillna(0).astype("int64")
    return result


def _whole_months(since: pd.Series, as_of: dt.date) -> pd.Series:
    """Whole calendar months from each date to ``as_of`` (missing stays missing)."""
    months = (as_of.year - since.dt.year) * 12 + (as_of.month - since.dt.month)
    months = months - (since.dt.day > as_of.day).astype("Int64")
    return months.astype("Int64")


def not_heard(
    consultations: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
    groups: Sequence[str],
    as_of: dt.date,
    months: int = 12,
    *,
    heard: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Neighbourhoods and groups not heard in the ``months`` before ``as_of``.

    The window is ``[as_of − months, as_of]`` in calendar months (a consultation exactly
    12 months before ``as_of`` still counts); consultations after ``as_of`` are ignored,
    so the answer for a past date is reproducible. The caller passes today for "now".

    Parameters
    ----------
    consultations, neighbourhoods, groups
        As in :func:`last_heard`.
    as_of : datetime.date
        The day the question is asked on.
    months : int
        Length of the window in months.
    heard : DataFrame, optional
        :func:`last_heard` of the same consultations, neighbourhoods, groups and ``as_of``,
        when the caller has it already (it is computed otherwise).

    Returns
    -------
    DataFrame
        ``nid, name, grp, last_heard, months_since`` for each neighbourhood and group
        (``"all"`` = not heard at all) outside the window; never heard first, then the
        longest ago. ``months_since`` counts whole months (missing when never heard).
    """
    cutoff = pd.Timestamp(shift_months(as_of, -months))
    if heard is None:
        heard = last_heard(consultations, neighbourhoods, groups, as_of=as_of)
    stale = heard[heard["last_heard"].isna() | (heard["last_heard"] < cutoff)].copy()
    stale["months_since"] = _whole_months(stale["last_heard"], as_of)
    stale = stale.sort_values(["last_heard", "nid", "grp"], na_position="first")
    return stale[["nid", "name", "grp", "last_heard", "months_since"]].reset_index(drop=True)
