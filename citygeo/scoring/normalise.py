"""Normalisation methods, picked by name from a registry (DESIGN.md §3).

Each method maps the raw values of one year (rows = neighbourhoods, columns = measures)
to a common scale, column by column, ignoring missing values (NaN stays NaN). Every
method also knows how to *invert* its output, for a measure whose direction differs
from its domain's index.

Two options of the methodology file reach every method: ``ties`` (how the percentile
and rank methods rank equal values: ``average``, ``min`` = the lowest rank, as the CDC
SVI does, or ``max``) and ``decimals`` (``round``: the decimals kept on the 0–1 scale,
halves rounded up with exact decimal arithmetic, as the CDC SVI rounds its percentile
ranks to 4 decimals). A percentile is rounded from its exact fraction (rank − 1)/(n − 1),
a min–max value from the shortest decimal representations of the value and the bounds.

Degenerate columns (a single value, or every value equal) carry no information: they
map to the middle of the scale (50 for the 0–100 methods, 0 for ``zscore``, the mean
rank for ``rank``) so that they neither push nor pull a neighbourhood.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

import numpy as np
import pandas as pd

__all__ = [
    "NORMALISATIONS",
    "TIES",
    "Normalisation",
    "get_normalisation",
    "snap_to_decimals",
]

TIES: tuple[str, ...] = ("average", "min", "max")


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

    def __init__(self, ties: str = "average", decimals: int | None = None) -> None:
        if ties not in TIES:
            raise ValueError(f"ties {ties!r} is not known; valid: {', '.join(TIES)}")
        self.ties = ties
        self.decimals = decimals

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
        if self.decimals is not None:
            return _decimal_scale(values, *_column_bounds(values), self.decimals)
        return _scale_between(values, *_column_bounds(values))


class Goalposts(Normalisation):
    """Min–max with the bounds of ``goalposts_year``, clipped to 0–100.

    A value beyond the goalpost year's range is capped at 0 or 100 (as the HDI does
    with its goalposts), so scores stay on one fixed 0–100 scale across years.
    """

    name = "goalposts"

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        bounds = _column_bounds(values if reference is None else reference)
        if self.decimals is not None:
            return _decimal_scale(values, *bounds, self.decimals)
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
    """``(rank − 1) / (n − 1) × 100`` with ties given their average rank (or ``ties``)."""

    name = "percentile"

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        ranks = _ranks(values, self.ties)
        count = np.sum(~np.isnan(values), axis=0).astype(float)
        if self.decimals is None:
            with np.errstate(invalid="ignore", divide="ignore"):
                out = (ranks - 1.0) / (count - 1.0) * 100.0
        else:
            counts = np.broadcast_to(count - 1.0, ranks.shape)
            out = _rounded_fraction(ranks - 1.0, counts, self.decimals)
        return np.where(count > 1, out, np.where(np.isnan(values), np.nan, 50.0))


class Rank(Normalisation):
    """The rank, 1 = lowest value, ties averaged; inverted as ``n + 1 − rank``."""

    name = "rank"
    bounded = False
    invert_by_year = True

    def normalise(self, values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        return _ranks(values, self.ties)

    def invert(self, normalised: np.ndarray) -> np.ndarray:
        count = np.sum(~np.isnan(normalised), axis=0).astype(float)
        return count + 1.0 - normalised


NORMALISATIONS: dict[str, type[Normalisation]] = {
    cls.name: cls for cls in (MinMax, ZScore, Percentile, Rank, Goalposts)
}


def get_normalisation(
    name: str, ties: str = "average", decimals: int | None = None
) -> Normalisation:
    """Return the normalisation called ``name``; an unknown name lists the valid ones."""
    try:
        return NORMALISATIONS[name](ties, decimals)
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


def _ranks(values: np.ndarray, ties: str = "average") -> np.ndarray:
    """Ascending ranks per column, ties ``average``/``min``/``max``, NaN kept as NaN."""
    return pd.DataFrame(values).rank(method=ties, na_option="keep").to_numpy(dtype=float)


def _on_scale(units: np.ndarray, decimals: int) -> np.ndarray:
    """``units`` counted in 10^−decimals of the 0–1 scale, as the nearest 0–100 floats."""
    if decimals >= 2:
        return units / float(10 ** (decimals - 2))
    return units * float(10 ** (2 - decimals))


def _rounded_fraction(numerator: np.ndarray, denominator: np.ndarray, decimals: int) -> np.ndarray:
    """100 × ``numerator / denominator`` rounded half up to ``decimals`` on the 0–1 scale,
    in exact integer arithmetic (both are whole or half numbers ≥ 0; NaN stays NaN)."""
    out = np.full(numerator.shape, np.nan)
    ok = ~np.isnan(numerator) & (denominator > 0)
    num = np.rint(2.0 * numerator[ok]).astype(np.int64)  # ranks are whole or half numbers
    den = np.rint(2.0 * denominator[ok]).astype(np.int64)
    scale = 10**decimals
    units = (2 * num * scale + den) // (2 * den)  # floor(x·10^d + 1/2): halves go up
    out[ok] = _on_scale(units.astype(float), decimals)
    return out


def _decimal_scale(
    values: np.ndarray, low: np.ndarray, high: np.ndarray, decimals: int
) -> np.ndarray:
    """Min–max to 0–100 in decimal arithmetic, clipped to the bounds, rounded half up to
    ``decimals`` on the 0–1 scale.

    Each number is read as its shortest decimal representation (``repr``: 22.345 is
    22.345), so (22.345 − 10) / 100 = 0.12345 becomes 0.1235 with ``decimals = 4``, where
    binary floats (0.12344999…) and round-half-even would give 0.1234.
    """
    quantum = Decimal(1).scaleb(-decimals)
    out = np.full(values.shape, np.nan)
    for j in range(values.shape[1]):
        if not np.isfinite(low[j]):
            continue
        bottom, top = Decimal(repr(float(low[j]))), Decimal(repr(float(high[j])))
        for i in np.flatnonzero(~np.isnan(values[:, j])):
            if top == bottom:
                out[i, j] = 50.0
                continue
            fraction = (Decimal(repr(float(values[i, j]))) - bottom) / (top - bottom)
            fraction = min(max(fraction, Decimal(0)), Decimal(1))
            out[i, j] = float(fraction.quantize(quantum, rounding=ROUND_HALF_UP) * 100)
    return out


def snap_to_decimals(values: np.ndarray, decimals: int | None) -> np.ndarray:
    """Put 0–100 values that are exact decimals with at most ``decimals`` places on the
    0–1 scale (sums and inversions of rounded values) on the nearest float of that
    decimal, removing binary float error so that equal decimals compare equal."""
    if decimals is None:
        return values
    units = np.rint(values * float(10.0 ** (decimals - 2)))
    return _on_scale(units, decimals)
