"""Aggregation methods (weighted means and sums), picked by name from a registry (DESIGN.md §3).

Both methods take a matrix of scores (rows = neighbourhoods, columns = measures or
domains, NaN = missing) and a *weight matrix* ``G`` (columns × groups): entry
``G[j, k]`` is the weight of column ``j`` in group ``k`` (0 when it does not belong).
A missing value drops out and the remaining weights of its group are re-scaled to sum
to one ("re-weighted"); a row with no weighted value in a group gets NaN. One call can
aggregate many weightings at once (the Monte Carlo stacks its draws as groups).

``geometric`` is ``exp(Σ w·ln(x + 1) / Σ w) − 1``: the weighted geometric mean of the
scores shifted by one. The shift lets a 0 (the minimum of a min–max measure) take part
without forcing the whole mean to 0, and keeps 0–100 inputs within 0–100. It needs
non-negative scores, so the methodology refuses ``geometric`` with ``zscore``.

``sum`` is the weighted sum ``Σ w·x`` (the CDC SVI sums its percentile ranks). With a
missing value the present ones are scaled up by ``Σ w / Σ w_present`` (the sum the row
would have at its own mean), unless the methodology sets ``missing = "propagate"``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

__all__ = ["AGGREGATIONS", "Aggregation", "get_aggregation"]


class Aggregation:
    """Base class: a weighted mean that ignores missing values."""

    name: ClassVar[str] = ""
    identity: ClassVar[bool] = False  # True when forward and backward do nothing

    def forward(self, scores: np.ndarray) -> np.ndarray:
        """Map scores to the space where the arithmetic mean is taken."""
        return scores

    def backward(self, means: np.ndarray) -> np.ndarray:
        """Map means back to the score scale."""
        return means

    def aggregate(self, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted mean of ``scores`` (n × m) for each column of ``weights`` (m × k)."""
        present = ~np.isnan(scores)
        filled = np.where(present, scores, 0.0)
        if not self.identity:
            filled = np.where(present, self.forward(filled), 0.0)
        numerator = filled @ weights
        if present.all():  # the common case: one denominator per column
            totals = weights.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = self.backward(numerator / np.where(totals > 0, totals, np.nan))
            return means
        denominator = present.astype(float) @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            means = numerator / denominator
        return np.where(denominator > 0, self.backward(means), np.nan)


class Arithmetic(Aggregation):
    """Weighted arithmetic mean (compensatory)."""

    name = "arithmetic"
    identity = True


class Geometric(Aggregation):
    """Weighted geometric mean of ``x + 1``, minus one (partly compensatory)."""

    name = "geometric"

    def forward(self, scores: np.ndarray) -> np.ndarray:
        return np.log1p(scores)

    def backward(self, means: np.ndarray) -> np.ndarray:
        return np.expm1(means)


class Sum(Aggregation):
    """Weighted sum; a row missing a value gets its re-weighted mean times the total weight."""

    name = "sum"
    identity = True

    def aggregate(self, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
        present = ~np.isnan(scores)
        numerator = np.where(present, scores, 0.0) @ weights
        if present.all():
            return numerator
        denominator = present.astype(float) @ weights
        totals = weights.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = numerator / denominator * totals
        complete = (~present).astype(float) @ (weights > 0) == 0  # nothing missing in the group
        return np.where(denominator > 0, np.where(complete, numerator, scaled), np.nan)


AGGREGATIONS: dict[str, type[Aggregation]] = {cls.name: cls for cls in (Arithmetic, Geometric, Sum)}


def get_aggregation(name: str) -> Aggregation:
    """Return the aggregation called ``name``; an unknown name lists the valid ones."""
    try:
        return AGGREGATIONS[name]()
    except KeyError:
        valid = ", ".join(sorted(AGGREGATIONS))
        raise ValueError(f"aggregation {name!r} is not known; valid: {valid}") from None
