"""The data the scoring engine takes: plain DataFrames (and optional contiguity weights)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from libpysal.weights import W

__all__ = ["ScoringInputs"]


@dataclass(frozen=True)
class ScoringInputs:
    """Everything a city is scored from.

    Attributes
    ----------
    neighbourhoods : DataFrame
        ``nid, name, district, population, area_km2``.
    indicator_values : DataFrame
        ``nid, indicator, year, grp, value`` (long; ``grp == "all"`` = whole population).
    incident_counts : DataFrame
        ``nid, year, category, count`` (only non-zero cells need be present).
    asset_counts : DataFrame
        ``nid, kind, theme, count`` (current register, no year; ``theme`` nullable).
    survey_estimates : DataFrame or None
        ``nid, year, item, grp, estimate, n_eff`` (+ optional ``statistic``; see
        :func:`citygeo.scoring.measures.estimate_survey`).
    weights : libpysal W or None
        Queen contiguity with ids = nid (for hot spots); None = no hot-spot analysis.
    not_covered : DataFrame or None
        ``nid, kind, item``: the neighbourhoods a source does not cover, for an indicator
        (``kind = "indicator"``, item = its name) or an incident category (``"category"``).
        A measure built on one is missing there (never zero), flagged ``not_covered:``.
    """

    neighbourhoods: pd.DataFrame
    indicator_values: pd.DataFrame
    incident_counts: pd.DataFrame
    asset_counts: pd.DataFrame
    survey_estimates: pd.DataFrame | None = None
    weights: W | None = None
    not_covered: pd.DataFrame | None = None
