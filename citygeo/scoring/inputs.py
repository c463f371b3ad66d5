"""The data the scoring engine takes: plain DataFrames (and optional contiguity weights)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from libpysal.weights import W

__all__ = ["ScoringInputs", "carry"]


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


def carry(
    values: pd.DataFrame, responses: pd.DataFrame, links: pd.DataFrame, new_codes: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Carry old codes' inputs to new codes through a crosswalk (``from_nid, to_nid, weight``).

    An indicator value of a new code is the ``weight``-weighted mean of its old codes' values
    (a rate of a neighbourhood split in two stays the same in both halves), except
    ``population``, which is split by share (Σ weight × value). A survey response of an old
    code counts in each new code it goes to, with its weight multiplied by the share. Codes
    the crosswalk does not list are carried unchanged when the new boundaries have them.
    """
    linked = set(links["from_nid"])
    same = values[~values["nid"].isin(linked) & values["nid"].isin(new_codes)]
    moved = values.merge(links, left_on="nid", right_on="from_nid")
    moved["wv"] = moved["weight"] * moved["value"]
    keys = ["to_nid", "indicator", "year", "grp"]
    sums = moved.groupby(keys, as_index=False, dropna=False)[["wv", "weight"]].sum()
    extensive = sums["indicator"] == "population"
    sums["value"] = sums["wv"].where(extensive, sums["wv"] / sums["weight"])
    carried = sums.rename(columns={"to_nid": "nid"})[["nid", "indicator", "year", "grp", "value"]]
    values = pd.concat([same[carried.columns], carried], ignore_index=True)
    if responses.empty:
        return values, responses
    kept = responses[~responses["nid"].isin(linked) & responses["nid"].isin(new_codes)]
    split = responses.merge(links, left_on="nid", right_on="from_nid")
    split["weight_x"] = split["weight_x"] * split["weight_y"]
    split = split.drop(columns=["nid", "from_nid", "weight_y"]).rename(
        columns={"to_nid": "nid", "weight_x": "weight"}
    )
    return values, pd.concat([kept, split[kept.columns]], ignore_index=True)
