"""Online signals: monthly series, spikes, lagged correlation with incidents, and rates.

Pure functions (DataFrames in, DataFrames out, no I/O). Input is the ``online_signals``
table: ``period`` (any day; it is read as its calendar month), ``nid`` (missing =
city-wide, not placed in a neighbourhood), ``platform``, ``category``, ``count``.

Conventions:

- A *monthly series* frame has ``nid, period, count`` with ``period`` the first day of
  the month (a pandas Timestamp) and one row per month with no gaps; the city-wide series
  has a missing ``nid`` and counts **every** signal (placed or not).
- Months with no signal inside the monitored span are real zeros: the span runs from the
  first to the last month of the whole input (before any category filter), the same
  span for every series, so that series can be compared and correlated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from citygeo.errors import InputError
from citygeo.schema import DEFAULT_GROUP

__all__ = [
    "best_lag",
    "detect_spikes",
    "lagged_correlation",
    "monthly_incidents",
    "monthly_series",
    "online_rates",
]

_CITY = "\x00city"  # internal key for the city-wide series (never a real code)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what} lack column(s) {missing}: add them or fix the column names.")


def _month_index(dates: pd.Series) -> pd.Series:
    """Months as integers (year·12 + month − 1), so that lags are plain subtraction."""
    stamps = pd.to_datetime(dates)
    return (stamps.dt.year * 12 + stamps.dt.month - 1).astype("int64")


def _month_start(index: pd.Series | np.ndarray) -> pd.Series:
    years, months = np.divmod(np.asarray(index, dtype="int64"), 12)
    return pd.to_datetime(pd.DataFrame({"year": years, "month": months + 1, "day": 1}))


def _categories(category: str | Sequence[str] | None) -> list[str] | None:
    if category is None:
        return None
    return [category] if isinstance(category, str) else list(category)


def _monthly(
    months: pd.Series,
    nids: pd.Series,
    counts: pd.Series,
    keep: pd.Series,
    extra_nids: Sequence[str] | None,
) -> pd.DataFrame:
    """Sum counts per (nid, month) and city-wide, zero-filled over the span of ``months``."""
    if months.empty:
        return pd.DataFrame(
            {
                "nid": pd.Series(dtype="str"),
                "period": pd.Series(dtype="datetime64[ns]"),
                "count": pd.Series(dtype="int64"),
            }
        )
    span = np.arange(int(months.min()), int(months.max()) + 1)
    work = pd.DataFrame({"nid": nids, "month": months, "count": counts})[keep.to_numpy()]
    local = work[work["nid"].notna()]
    codes = sorted(set(local["nid"].astype(str)) | set(extra_nids or ()))
    grid = pd.MultiIndex.from_product([[_CITY, *codes], span], names=["nid", "month"])
    sums = pd.concat(
        [
            local.groupby(["nid", "month"])["count"].sum(),
            work.assign(nid=_CITY).groupby(["nid", "month"])["count"].sum(),
        ]
    )
    series = sums.reindex(grid, fill_value=0).reset_index()
    series["period"] = _month_start(series["month"])
    series["nid"] = series["nid"].where(series["nid"] != _CITY, None)
    series["count"] = series["count"].astype("int64")
    return series[["nid", "period", "count"]]


def monthly_series(
    signals: pd.DataFrame,
    category: str | Sequence[str] | None = None,
    nids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Monthly online-signal counts per neighbourhood and city-wide, summed over platforms.

    Parameters
    ----------
    signals : DataFrame
        The ``online_signals`` table.
    category : str or sequence of str, optional
        Keep only these categories (default: all).
    nids : sequence of str, optional
        Neighbourhoods to include even when they have no signal (a series of zeros).

    Returns
    -------
    DataFrame
        ``nid, period, count`` (see the module docstring), city-wide series first.

    Raises
    ------
    InputError
        When columns are missing or a count is negative or not a number.
    """
    _require(signals, ["period", "nid", "category", "count"], "online signals")
    counts = pd.to_numeric(signals["count"], errors="coerce")
    if (counts.isna() | (counts < 0)).any():
        raise InputError("online signals hold missing or negative counts: fix the 'count' column.")
    wanted = _categories(category)
    keep = signals["category"].isin(wanted) if wanted else pd.Series(True, index=signals.index)
    return _monthly(_month_index(signals["period"]), signals["nid"], counts, keep, nids)


def monthly_incidents(
    incidents: pd.DataFrame,
    category: str | Sequence[str] | None = None,
    nids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Monthly incident counts per neighbourhood and city-wide, in the same shape as
    :func:`monthly_series` (span: first to last incident month of the whole input).

    Parameters
    ----------
    incidents : DataFrame
        ``incident_id, occurred_on, category, nid`` (``nid`` missing = outside every
        neighbourhood: counted city-wide only).
    category, nids
        As in :func:`monthly_series`.
    """
    _require(incidents, ["occurred_on", "category", "nid"], "incidents")
    wanted = _categories(category)
    keep = incidents["category"].isin(wanted) if wanted else pd.Series(True, index=incidents.index)
    ones = pd.Series(1, index=incidents.index, dtype="int64")
    return _monthly(_month_index(incidents["occurred_on"]), incidents["nid"], ones, keep, nids)


def detect_spikes(
    series: pd.DataFrame,
    k: float = 3.0,
    window: int = 12,
    min_history: int = 6,
    min_count: int = 10,
) -> pd.DataFrame:
    """Flag months whose count jumps far above the months before them.

    A month is a spike when ``count > baseline + k · sd`` **and** ``count >= min_count``,
    where ``baseline`` and ``sd`` (sample standard deviation) are taken over the up to
    ``window`` months *before* it (the month itself is excluded; earlier spikes are
    included). With fewer than ``min_history`` earlier months there is no baseline and no
    spike. ``min_count`` (default 10) keeps a quiet neighbourhood going from 0 to 3
    signals from being called a spike when its history is all zeros (sd = 0).

    Parameters
    ----------
    series : DataFrame
        A monthly series from :func:`monthly_series` (gap-free months per ``nid``).
    k, window, min_history, min_count
        As above.

    Returns
    -------
    DataFrame
        ``nid, period, count, baseline, threshold, spike``.
    """
    ordered = series.assign(_key=series["nid"].fillna(_CITY)).sort_values(["_key", "period"])
    history = ordered.groupby("_key", sort=False)["count"]
    previous = history.shift(1).astype(float)
    rolling = previous.groupby(ordered["_key"], sort=False).rolling(window, min_periods=min_history)
    baseline = rolling.mean().reset_index(level=0, drop=True)
    spread = rolling.std(ddof=1).reset_index(level=0, drop=True)
    result = ordered.assign(baseline=baseline, threshold=baseline + k * spread)
    # A missing threshold (too little history) compares False: no spike.
    result["spike"] = (result["count"] > result["threshold"]) & (result["count"] >= min_count)
    columns = ["nid", "period", "count", "baseline", "threshold", "spike"]
    return result[columns].reset_index(drop=True)


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r, or NaN when either series is constant (no warning is raised)."""
    dx, dy = x - x.mean(), y - y.mean()
    denominator = float(np.sqrt((dx**2).sum() * (dy**2).sum()))
    return float((dx * dy).sum() / denominator) if denominator > 0 else float("nan")


def lagged_correlation(
    online: pd.DataFrame,
    offline: pd.DataFrame,
    min_lag: int = 0,
    max_lag: int = 6,
    min_months: int = 6,
) -> pd.DataFrame:
    """Pearson correlation of online and offline monthly counts at each lag.

    Sign convention: at lag ``L`` the online count of month ``t + L`` is paired with the
    offline count of month ``t``. A **positive lag means online follows offline** (an
    incident, then talk about it); a negative lag (``min_lag < 0``) means online comes
    first.

    Parameters
    ----------
    online, offline : DataFrame
        Monthly series (:func:`monthly_series`, :func:`monthly_incidents`). Only
        neighbourhoods present in both are correlated (pass ``nids=`` to both to include
        zero series); the city-wide series always is.
    min_lag, max_lag : int
        Lags to try, in months, inclusive.
    min_months : int
        Fewer paired months than this give no ``r`` (missing).

    Returns
    -------
    DataFrame
        ``nid, lag, r, n`` for every neighbourhood and lag; ``n`` is the number of paired
        months; ``r`` is missing when a series is constant or ``n < min_months``.
    """
    if min_lag > max_lag:
        raise InputError(f"min_lag {min_lag} is above max_lag {max_lag}: swap them.")
    off = offline.assign(_key=offline["nid"].fillna(_CITY), month=_month_index(offline["period"]))
    on = online.assign(_key=online["nid"].fillna(_CITY), month=_month_index(online["period"]))
    rows = []
    for lag in range(min_lag, max_lag + 1):
        shifted = on.assign(month=on["month"] - lag)[["_key", "month", "count"]]
        pairs = off[["_key", "month", "count"]].merge(
            shifted, on=["_key", "month"], suffixes=("_off", "_on")
        )
        for key, cell in pairs.groupby("_key", sort=True):
            n = len(cell)
            x, y = cell["count_off"].to_numpy(float), cell["count_on"].to_numpy(float)
            r = _pearson(x, y) if n >= min_months else float("nan")
            rows.append({"nid": None if key == _CITY else key, "lag": lag, "r": r, "n": n})
    return pd.DataFrame(rows, columns=["nid", "lag", "r", "n"])


def best_lag(correlations: pd.DataFrame) -> pd.DataFrame:
    """Pick, per neighbourhood, the lag with the highest Pearson r.

    Ties go to the lag nearest zero (then the smaller lag). A neighbourhood whose ``r``
    is missing at every lag keeps one row with a missing lag and r.

    Returns
    -------
    DataFrame
        ``nid, lag, r, n`` (one row per neighbourhood, city-wide first).
    """
    ranked = correlations.assign(
        _key=correlations["nid"].fillna(_CITY),
        _has=correlations["r"].notna(),
        _far=correlations["lag"].abs(),
    ).sort_values(["_key", "_has", "r", "_far", "lag"], ascending=[True, False, False, True, True])
    best = ranked.groupby("_key", sort=True).head(1).copy()
    best["lag"] = best["lag"].astype("Int64").where(best["_has"], pd.NA)
    return best[["nid", "lag", "r", "n"]].reset_index(drop=True)


def online_rates(
    signals: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
    year: int,
    category: str | Sequence[str] | None = None,
    per: float = 1000.0,
) -> pd.DataFrame:
    """Online signals per ``per`` residents per year, for every neighbourhood.

    A year only partly inside the monitored span is annualised: the count is scaled by
    12 / (months of that year inside the span). City-wide (unplaced) signals are not in
    any neighbourhood's rate. A neighbourhood without a population has no rate.

    Parameters
    ----------
    signals : DataFrame
        The ``online_signals`` table.
    neighbourhoods : DataFrame
        ``nid, population`` (at least).
    year : int
        Calendar year to count.
    category : str or sequence of str, optional
        Categories to report (default: every category seen in that year).
    per : float
        Rate base (1,000 residents).

    Returns
    -------
    DataFrame
        ``nid, year, category, count, rate``: one row per neighbourhood and category plus
        ``category = "all"`` (the sum over the reported categories).

    Raises
    ------
    InputError
        When the monitored span does not reach into ``year``.
    """
    _require(neighbourhoods, ["nid", "population"], "neighbourhoods")
    _require(signals, ["period", "nid", "category", "count"], "online signals")
    months = _month_index(signals["period"])
    covered = np.arange(months.min(), months.max() + 1) if len(months) else np.array([])
    in_year = int(((covered // 12) == year).sum())
    if in_year == 0:
        raise InputError(f"online signals do not cover {year}: pick a year the signals reach.")
    chosen = signals[(months // 12 == year).to_numpy() & signals["nid"].notna().to_numpy()]
    wanted = _categories(category) or sorted(set(chosen["category"].astype(str)))
    chosen = chosen[chosen["category"].isin(wanted)]
    counts = chosen.groupby(["nid", "category"])["count"].sum()
    codes = neighbourhoods["nid"].astype(str)
    grid = pd.MultiIndex.from_product([codes, wanted], names=["nid", "category"])
    table = counts.reindex(grid, fill_value=0).reset_index()
    total = table.groupby("nid", sort=False)["count"].sum().reset_index()
    table = pd.concat([table, total.assign(category=DEFAULT_GROUP)], ignore_index=True)
    population = pd.Series(neighbourhoods["population"].astype(float).to_numpy(), index=codes)
    residents = table["nid"].map(population).where(lambda p: p > 0)
    table["rate"] = table["count"] * (12 / in_year) / residents * per
    table["year"] = year
    table["count"] = table["count"].astype("int64")
    return table[["nid", "year", "category", "count", "rate"]]
