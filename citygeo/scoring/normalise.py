"""Normalisation methods, picked by name from a registry (DESIGN.md §3).

Each method maps the raw values of one year (rows = neighbourhoods, columns = measures)
to a common scale, column by column, ignoring missing values (NaN stays NaN). Every
method also knows how to *invert* its output, for a measure whose direction differs
from its domain's index.

Degenerate columns (a single value, or every value equal) carry no information: they
map to the middle of the scale (50 for the 0–100 methods, 0 for ``zscore``, the mean
rank for ``rank``) so that they neither push nor pull a neighbourhood.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

__all__ = ["NORMALISATIONS", "Normalisation", "get_normalisation"]


class Normalisation:
    """Base class: one method of putting measures on a common scale.

    Attributes
    ----------
    name : str
        The name used in the methodology file.
    bounded : bool
        True when the output lies in 0–100, so that a weighted mean of it does too and
        the index needs no rescaling.
    invert_by_year : bool
        True when :meth:`invert` must see one year's rows at a time (it uses the
        year's count); False when it works value by value.
    """

    name: ClassVar[str] = ""
    bounded: ClassVar[bool] = True
    invert_by_year: ClassVar[bool] = False

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """Normalise ``values`` (n × m, NaN = missing) column by column.

        ``reference`` is the year whose values fix the bounds (``goalposts`` only).
        """
        raise NotImplementedError

    def invert(self, normalised: np.ndarray) -> np.ndarray:
        """Reverse the order of a normalised matrix (higher becomes lower)."""
        return 100.0 - normalised


class MinMax(Normalisation):
    """``(x − min) / (max − min) × 100`` over the neighbourhoods of the year."""

    name = "minmax"

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        return _scale_between(values, *_column_bounds(values))


class Goalposts(Normalisation):
    """Min–max with the bounds of ``goalposts_year``, clipped to 0–100.

    A value beyond the goalpost year's range is capped at 0 or 100 (as the HDI does
    with its goalposts), so scores stay on one fixed 0–100 scale across years.
    """

    name = "goalposts"

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        bounds = _column_bounds(values if reference is None else reference)
        return np.clip(_scale_between(values, *bounds), 0.0, 100.0)


class ZScore(Normalisation):
    """``(x − mean) / sd`` with the population standard deviation (ddof = 0)."""

    name = "zscore"
    bounded = False

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = _nan_reduce(np.nanmean, values)
            sd = _nan_reduce(np.nanstd, values)
            out = (values - mean) / np.where(sd > 0, sd, 1.0)
        return np.where(sd > 0, out, np.where(np.isnan(values), np.nan, 0.0))

    def invert(self, normalised: np.ndarray) -> np.ndarray:
        return -normalised


class Percentile(Normalisation):
    """``(rank − 1) / (n − 1) × 100`` with ties given their average rank."""

    name = "percentile"

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        ranks = _average_ranks(values)
        count = np.sum(~np.isnan(values), axis=0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (ranks - 1.0) / (count - 1.0) * 100.0
        return np.where(count > 1, out, np.where(np.isnan(values), np.nan, 50.0))


class Rank(Normalisation):
    """The rank, 1 = lowest value, ties averaged; inverted as ``n + 1 − rank``."""

    name = "rank"
    bounded = False
    invert_by_year = True

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        return _average_ranks(values)

    def invert(self, normalised: np.ndarray) -> np.ndarray:
        count = np.sum(~np.isnan(normalised), axis=0).astype(float)
        return count + 1.0 - normalised


NORMALISATIONS: dict[str, type[Normalisation]] = {
    cls.name: cls for cls in (MinMax, ZScore, Percentile, Rank, Goalposts)
}


def get_normalisation(name: str) -> Normalisation:
    """Return the normalisation called ``name``; an unknown name lists the valid ones."""
    try:
        return NORMALISATIONS[name]()
    except KeyError:
        valid = ", ".join(sorted(NORMALISATIONS))
        raise ValueError(f"normalisation {name!r} is not known; valid: {valid}") from None


def _nan_reduce(func: object, values: np.ndarray) -> np.ndarray:
    """Column reduction that returns NaN (without a warning) for all-NaN columns."""
    out = np.full(values.shape[1], np.nan)
    present = ~np.all(np.isnan(values), axis=0)
    if present.any():
        out[present] = func(values[:, present], axis=0)  # type: ignore[operator]
    return out


def _column_bounds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _nan_reduce(np.nanmin, values), _nan_reduce(np.nanmax, values)


def _scale_between(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (values - low) / np.where(span > 0, span, 1.0) * 100.0
    return np.where(span > 0, out, np.where(np.isnan(values), np.nan, 50.0))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ascending ranks per column, ties averaged, NaN kept as NaN."""
    return pd.DataFrame(values).rank(method="average", na_option="keep").to_numpy(dtype=float)
