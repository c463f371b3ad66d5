"""District scores, built from the neighbourhoods' data — never from their scores.

:func:`district_inputs` turns the neighbourhood inputs into district inputs, so the same
engine scores districts (normalised and ranked among districts):

- incident and asset counts are **summed**, populations and areas are summed, so a
  district's rate is (Σ events) / (Σ population) × per;
- indicator values are **population-weighted means** of the neighbourhoods that have
  both a value and a population (right for percentages and shares; for a median, such as
  median income, it is an approximation that the methodology note should mention);
- survey estimates are means weighted by each neighbourhood's effective sample size,
  and the effective sizes are summed.

Neighbourhoods without a district are left out (logged).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pandas as pd

from citygeo.scoring.inputs import ScoringInputs
from citygeo.scoring.methodology import Methodology

__all__ = ["district_inputs", "score_districts", "with_counts_of"]

log = logging.getLogger(__name__)


def district_inputs(inputs: ScoringInputs) -> ScoringInputs:
    """The inputs re-keyed by district: ``nid`` = district name."""
    hoods = inputs.neighbourhoods.dropna(subset=["district"])
    dropped = len(inputs.neighbourhoods) - len(hoods)
    if dropped:
        log.info("left %d neighbourhoods without a district out of the district scores", dropped)
    district_of = hoods.set_index("nid")["district"]
    population = hoods.set_index("nid")["population"].astype(float)
    districts = hoods.groupby("district", as_index=False).agg(
        population=("population", lambda s: s.sum(min_count=1)), area_km2=("area_km2", "sum")
    )
    districts = districts.assign(nid=districts["district"], name=districts["district"])
    return ScoringInputs(
        neighbourhoods=districts[["nid", "name", "district", "population", "area_km2"]],
        indicator_values=_weighted_indicators(inputs.indicator_values, district_of, population),
        incident_counts=_summed(inputs.incident_counts, district_of, ["year", "category"]),
        asset_counts=_summed(inputs.asset_counts, district_of, ["kind", "theme"]),
        survey_estimates=None
        if inputs.survey_estimates is None
        else _weighted_survey(inputs.survey_estimates, district_of),
        weights=None,
        not_covered=_uncovered_districts(inputs.not_covered, district_of),
    )


def with_counts_of(districts: ScoringInputs, inputs: ScoringInputs) -> ScoringInputs:
    """``districts`` (:func:`district_inputs` of some neighbourhood inputs) with the incident
    counts of ``inputs`` summed by district instead — for neighbourhood inputs that differ only
    in their counts (small cells protected or marked), so the indicators, survey and assets are
    aggregated once, not once per variant."""
    hoods = inputs.neighbourhoods.dropna(subset=["district"])
    district_of = hoods.set_index("nid")["district"]
    return replace(
        districts,
        incident_counts=_summed(inputs.incident_counts, district_of, ["year", "category"]),
    )


def _uncovered_districts(frame: pd.DataFrame | None, district_of: pd.Series) -> pd.DataFrame | None:
    """A district is not covered for an item when one of its neighbourhoods is not (its total
    would leave that neighbourhood's events out)."""
    if frame is None:
        return None
    keyed = frame.assign(nid=frame["nid"].map(district_of)).dropna(subset=["nid"])
    return pd.DataFrame(keyed.drop_duplicates(["nid", "kind", "item"]).reset_index(drop=True))


def _summed(frame: pd.DataFrame, district_of: pd.Series, keys: list[str]) -> pd.DataFrame:
    keyed = frame.assign(nid=frame["nid"].map(district_of)).dropna(subset=["nid"])
    return keyed.groupby(["nid", *keys], as_index=False, dropna=False)["count"].sum()


def _weighted_indicators(
    values: pd.DataFrame, district_of: pd.Series, population: pd.Series
) -> pd.DataFrame:
    keyed = values.assign(weight=values["nid"].map(population), nid=values["nid"].map(district_of))
    keyed = keyed.dropna(subset=["nid", "value", "weight"])
    keyed = keyed.assign(weighted=keyed["value"] * keyed["weight"])
    grp = ["nid", "indicator", "year", "grp"]
    summed = keyed.groupby(grp, as_index=False)[["weighted", "weight"]].sum()
    summed = summed.loc[summed["weight"] > 0]
    return summed.assign(value=summed["weighted"] / summed["weight"])[[*grp, "value"]]


def _weighted_survey(survey: pd.DataFrame, district_of: pd.Series) -> pd.DataFrame:
    keyed = survey.assign(nid=survey["nid"].map(district_of)).dropna(
        subset=["nid", "estimate", "n_eff"]
    )
    keyed = keyed.assign(weighted=keyed["estimate"] * keyed["n_eff"])
    keys = ["nid", "year", "item", "grp"] + (["statistic"] if "statistic" in keyed else [])
    summed = keyed.groupby(keys, as_index=False)[["weighted", "n_eff"]].sum()
    summed = summed.loc[summed["n_eff"] > 0]
    return summed.assign(estimate=summed["weighted"] / summed["n_eff"])[
        [*keys, "estimate", "n_eff"]
    ]


def score_districts(
    inputs: ScoringInputs,
    methodology: Methodology,
    years: list[int] | None = None,
    *,
    draws: int = 0,
    seed: int = 12345,
    protect_small_counts: bool = False,
    districts: ScoringInputs | None = None,
) -> pd.DataFrame:
    """Score districts with the same methodology (``nid`` and ``name`` = district).

    No hot spots (districts carry no contiguity weights); Monte Carlo off by default.
    ``districts``: :func:`district_inputs` of ``inputs`` when the caller has it already.
    """
    from citygeo.scoring.score import score_city  # imported late: score imports engine, not us

    return score_city(
        districts if districts is not None else district_inputs(inputs),
        methodology,
        years,
        draws=draws,
        seed=seed,
        protect_small_counts=protect_small_counts,
    )
