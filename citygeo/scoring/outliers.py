"""Outlier treatment (``outliers = "treat"``), as COINr and the OECD/JRC handbook do.

A measure is *outlying* in a year when its values have |skewness| > 2 **and** kurtosis
> 3.5 (``scipy.stats`` with ``bias=True``; kurtosis is *excess* kurtosis, Fisher's
definition, as COINr's check uses). Treatment, per measure and year:

1. winsorise: replace the most extreme value on the side of the skew (the largest for
   positive skew) by the next value inwards; repeat up to 5 times, stopping as soon as
   the measure is no longer outlying;
2. failing that, undo the winsorising and log-transform instead:
   ``ln(x − min + 1)`` for positive skew, ``−ln(max − x + 1)`` for negative skew
   (both keep the order of the neighbourhoods).

Missing values stay missing; fewer than 4 values are never treated.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["MAX_WINSORISED", "is_outlying", "treat_outliers"]

SKEW_LIMIT = 2.0
KURTOSIS_LIMIT = 3.5
MAX_WINSORISED = 5


def is_outlying(values: np.ndarray) -> bool:
    """True when |skew| > 2 and excess kurtosis > 3.5 (NaN ignored)."""
    x = values[~np.isnan(values)]
    if len(x) < 4 or np.ptp(x) == 0:
        return False
    skew = stats.skew(x, bias=True)
    kurt = stats.kurtosis(x, fisher=True, bias=True)
    return bool(abs(skew) > SKEW_LIMIT and kurt > KURTOSIS_LIMIT)


def treat_outliers(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Treat one measure-year vector; returns the values and what was done.

    The second item is ``"none"``, ``"winsorised:<k>"`` (k values replaced) or ``"log"``.
    """
    if not is_outlying(values):
        return values, "none"
    present = ~np.isnan(values)
    x = values[present].astype(float)
    positive = stats.skew(x, bias=True) > 0
    treated = x.copy()
    for k in range(1, MAX_WINSORISED + 1):
        _winsorise_once(treated, positive)
        if not is_outlying(treated):
            return _put_back(values, present, treated), f"winsorised:{k}"
    logged = np.log(x - x.min() + 1.0) if positive else -np.log(x.max() - x + 1.0)
    return _put_back(values, present, logged), "log"


def _winsorise_once(x: np.ndarray, positive: bool) -> None:
    """Replace the extreme value(s) on one side by the next distinct value inwards."""
    distinct = np.unique(x)
    if len(distinct) < 2:
        return
    if positive:
        x[x == distinct[-1]] = distinct[-2]
    else:
        x[x == distinct[0]] = distinct[1]


def _put_back(values: np.ndarray, present: np.ndarray, treated: np.ndarray) -> np.ndarray:
    out = values.astype(float).copy()
    out[present] = treated
    return out
