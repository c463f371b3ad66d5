"""Raw measures: indicator values, incident and asset rates, survey estimates (DESIGN.md §3).

Everything here is per neighbourhood and year, before any normalisation. The result is
a :class:`MeasureTable` whose frames share one row order (years × neighbourhoods).

Choices where DESIGN.md is silent:

- A year in which a source has no rows at all is *missing* for the measures built on
  it (NaN, flagged), never zero. Within a year that has incident rows, a neighbourhood
  without a row for the categories has 0 events. The asset register has no year and
  applies to every year.
- Rates per population are NaN where the population is missing or 0; per km² likewise.
- Empirical Bayes smoothing (``esda.smoothing.Empirical_Bayes``, Marshall's global
  estimator) shrinks each neighbourhood's rate towards the city rate, more so for
  small populations. It runs per year over the neighbourhoods with a population. When
  the estimated between-neighbourhood variance is not positive, every rate becomes the
  city rate (the standard convention; esda itself would give a negative weight).
- Disaggregation: for ``group != "all"`` a measure uses that group's rows when its
  indicator (or survey item) has any rows for that group, and the ``"all"`` rows
  otherwise; a neighbourhood without a row for the group is then missing. A measure
  with its own ``group`` always uses that group.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from esda.smoothing import Empirical_Bayes

from citygeo.errors import InputError
from citygeo.schema import DEFAULT_GROUP
from citygeo.scoring.inputs import ScoringInputs
from citygeo.scoring.methodology import Measure, Methodology

__all__ = [
    "MeasureTable",
    "available_years",
    "build_measures",
    "estimate_survey",
    "survey_statistics",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeasureTable:
    """Raw measures on one row order.

    Attributes
    ----------
    rows : DataFrame
        ``nid``, ``year`` (+ ``name``, ``district``, ``population``, ``area_km2``).
    raw : DataFrame
        One column per measure id: the raw value (NaN = missing).
    counts : DataFrame
        One column per incident/asset measure: the number of events/assets behind it.
    n_eff : DataFrame
        One column per survey measure: the effective sample size of the estimate.
    """

    rows: pd.DataFrame
    raw: pd.DataFrame
    counts: pd.DataFrame
    n_eff: pd.DataFrame

    def to_long(self) -> pd.DataFrame:
        """``nid, year, measure, value, n, n_eff`` — one row per neighbourhood, year, measure."""
        frames = []
        for measure in self.raw.columns:
            part = self.rows[["nid", "year"]].copy()
            part["measure"] = measure
            part["value"] = self.raw[measure].to_numpy()
            part["n"] = self.counts[measure].to_numpy() if measure in self.counts else np.nan
            part["n_eff"] = self.n_eff[measure].to_numpy() if measure in self.n_eff else np.nan
            frames.append(part)
        return pd.concat(frames, ignore_index=True)


def available_years(inputs: ScoringInputs, methodology: Methodology) -> list[int]:
    """Years in which every kind of source the methodology uses has data (assets: always)."""
    sources = {m.source for m in methodology.measures}
    per_source: dict[str, set[int]] = {}
    if "indicator" in sources:
        names = {m.indicator_name for m in methodology.measures if m.source == "indicator"}
        frame = inputs.indicator_values
        per_source["indicators"] = set(frame.loc[frame["indicator"].isin(names), "year"].astype(int))
    if "incidents" in sources:
        per_source["incidents"] = set(inputs.incident_counts["year"].astype(int))
    if "survey" in sources:
        survey = inputs.survey_estimates
        per_source["survey"] = set() if survey is None else set(survey["year"].astype(int))
    if not per_source:
        raise InputError("cannot tell which years to score: pass years=[...]")
    common = set.intersection(*per_source.values())
    if not common:
        found = "; ".join(f"{k}: {sorted(v) or 'none'}" for k, v in per_source.items())
        raise InputError(f"no year has data from every source ({found}); pass years=[...]")
    return sorted(common)


def build_measures(
    inputs: ScoringInputs, methodology: Methodology, years: list[int], group: str = DEFAULT_GROUP
) -> MeasureTable:
    """Compute every raw measure of ``methodology`` for ``years`` (see module notes)."""
    hoods = inputs.neighbourhoods
    _check_columns(hoods, ("nid", "population", "area_km2"), "neighbourhoods")
    rows = _row_frame(hoods, years)
    raw: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    n_eff: dict[str, np.ndarray] = {}
    for measure in methodology.measures:
        if measure.source == "indicator":
            raw[measure.id] = _indicator(rows, inputs.indicator_values, measure, group)
        elif measure.source == "incidents":
            raw[measure.id], counts[measure.id] = _incident_rate(rows, inputs.incident_counts, measure)
        elif measure.source == "assets":
            raw[measure.id], counts[measure.id] = _asset_rate(rows, inputs.asset_counts, measure)
        else:
            raw[measure.id], n_eff[measure.id] = _survey(rows, inputs.survey_estimates, measure, group)
    index = rows.index
    return MeasureTable(
        rows=rows,
        raw=pd.DataFrame(raw, index=index, columns=[m.id for m in methodology.measures]),
        counts=pd.DataFrame(counts, index=index),
        n_eff=pd.DataFrame(n_eff, index=index),
    )


def _check_columns(frame: pd.DataFrame, needed: tuple[str, ...], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: missing columns {missing}; it has {list(frame.columns)}")


def _row_frame(hoods: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    if hoods["nid"].duplicated().any():
        repeated = sorted(hoods.loc[hoods["nid"].duplicated(), "nid"].astype(str))[:10]
        raise InputError(f"neighbourhoods: nid values are repeated: {repeated}")
    base = hoods.copy()
    for column in ("name", "district"):
        if column not in base:
            base[column] = None
    base = base[["nid", "name", "district", "population", "area_km2"]]
    parts = [base.assign(year=int(year)) for year in years]
    rows = pd.concat(parts, ignore_index=True)
    rows["population"] = pd.to_numeric(rows["population"], errors="coerce").astype(float)
    rows["area_km2"] = pd.to_numeric(rows["area_km2"], errors="coerce").astype(float)
    return rows[["nid", "year", "name", "district", "population", "area_km2"]]


def _lookup(rows: pd.DataFrame, frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """Values of ``frame[column]`` keyed by (nid, year), in row order; NaN where absent."""
    keyed = frame.assign(year=frame["year"].astype(int))
    if keyed.duplicated(["nid", "year"]).any():
        dup = keyed.loc[keyed.duplicated(["nid", "year"]), ["nid", "year"]].head(5)
        raise InputError(f"{what}: more than one value for (nid, year) {dup.values.tolist()}")
    series = keyed.set_index(["nid", "year"])[column].astype(float)
    key = pd.MultiIndex.from_arrays([rows["nid"], rows["year"]])
    return series.reindex(key).to_numpy(dtype=float)


def _pick_group(frame: pd.DataFrame, wanted: str) -> pd.DataFrame:
    grp = frame["grp"] if "grp" in frame else pd.Series(DEFAULT_GROUP, index=frame.index)
    chosen = wanted if (grp == wanted).any() else DEFAULT_GROUP
    return frame.loc[grp == chosen]


def _indicator(rows: pd.DataFrame, values: pd.DataFrame, m: Measure, group: str) -> np.ndarray:
    subset = values.loc[values["indicator"] == m.indicator_name]
    subset = _pick_group(subset, m.group or group)
    return _lookup(rows, subset, "value", f"indicator {m.indicator_name!r}")


def _denominator(rows: pd.DataFrame, m: Measure) -> np.ndarray:
    if m.rate_denominator == "none":
        return np.ones(len(rows))
    base = rows[m.rate_denominator].to_numpy(dtype=float)
    return np.where(base > 0, base, np.nan)


def _incident_rate(
    rows: pd.DataFrame, incidents: pd.DataFrame, m: Measure
) -> tuple[np.ndarray, np.ndarray]:
    covered = set(incidents["year"].astype(int))
    chosen = incidents.loc[incidents["category"].isin(m.categories or ())]
    summed = chosen.groupby(["nid", "year"], as_index=False)["count"].sum()
    events = np.nan_to_num(_lookup(rows, summed, "count", f"incidents for {m.id!r}"), nan=0.0)
    events = np.where(rows["year"].isin(covered).to_numpy(), events, np.nan)
    denominator = _denominator(rows, m)
    rate = events / denominator * (m.rate_per if m.rate_denominator != "none" else 1.0)
    if m.smoothing == "empirical_bayes":
        rate = _smooth_by_year(rows, events, denominator) * m.rate_per
    return rate, events


def _smooth_by_year(rows: pd.DataFrame, events: np.ndarray, population: np.ndarray) -> np.ndarray:
    out = np.full(len(rows), np.nan)
    for year in rows["year"].unique():
        usable = (rows["year"] == year).to_numpy() & ~np.isnan(events) & ~np.isnan(population)
        if usable.sum() >= 2:
            out[usable] = empirical_bayes(events[usable], population[usable])
    return out


def empirical_bayes(events: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Global empirical Bayes rates (events per person), via ``esda``.

    Falls back to the city rate everywhere when the between-area variance estimate is
    not positive (esda would then weight the raw rate negatively).
    """
    city_rate = events.sum() / population.sum()
    raw_rate = events / population
    between = (population * (raw_rate - city_rate) ** 2).sum() / population.sum()
    if between - city_rate / population.mean() <= 0:
        return np.full(len(events), city_rate)
    return Empirical_Bayes(events, population).r.ravel()


def _asset_rate(rows: pd.DataFrame, assets: pd.DataFrame, m: Measure) -> tuple[np.ndarray, np.ndarray]:
    chosen = assets.loc[assets["kind"].isin(m.kinds or ())]
    if m.themes:
        chosen = chosen.loc[chosen["theme"].isin(m.themes)]
    per_nid = chosen.groupby("nid")["count"].sum()
    count = per_nid.reindex(rows["nid"]).fillna(0.0).to_numpy(dtype=float)
    scale = m.rate_per if m.rate_denominator != "none" else 1.0
    return count / _denominator(rows, m) * scale, count


def _survey(
    rows: pd.DataFrame, survey: pd.DataFrame | None, m: Measure, group: str
) -> tuple[np.ndarray, np.ndarray]:
    if survey is None:
        raise InputError(f"measure {m.id!r} comes from the survey, but no survey estimates were given")
    subset = survey.loc[survey["item"] == m.survey_item]
    if "statistic" in subset:
        subset = subset.loc[subset["statistic"] == m.survey_transform]
    elif m.survey_transform != "mean":
        raise InputError(
            f"measure {m.id!r} asks for {m.survey_transform!r}, but the survey estimates have no "
            "'statistic' column; build them with estimate_survey(..., statistics=...)"
        )
    subset = _pick_group(subset, group)
    what = f"survey item {m.survey_item!r}"
    return _lookup(rows, subset, "estimate", what), _lookup(rows, subset, "n_eff", what)


def survey_statistics(methodology: Methodology) -> tuple[str, ...]:
    """The statistics :func:`estimate_survey` must produce for ``methodology``."""
    wanted = {m.survey_transform for m in methodology.measures if m.source == "survey"}
    return tuple(sorted(wanted | {"mean"}))


def estimate_survey(
    responses: pd.DataFrame, group_columns: list[str] | None = None, statistics: tuple[str, ...] = ("mean",)
) -> pd.DataFrame:
    """Weighted survey estimates from microdata.

    Parameters
    ----------
    responses : DataFrame
        ``nid, year, item, value, weight`` and the group columns (the store's
        ``survey_responses``). A missing weight counts as 1.
    group_columns : list of str
        Columns whose values become groups (``grp``), besides ``"all"``.
    statistics : tuple of str
        ``"mean"`` (weighted mean) and/or ``"share_at_least:<k>"`` (weighted share of
        answers ≥ k).

    Returns
    -------
    DataFrame
        ``nid, year, item, grp, statistic, estimate, n_eff, n`` where ``n_eff`` is Kish's
        effective sample size (Σw)² / Σw².
    """
    base = responses.dropna(subset=["value"]).copy()
    base["weight"] = pd.to_numeric(base.get("weight", 1.0), errors="coerce").fillna(1.0)
    frames = []
    for column in [None, *(group_columns or [])]:
        grp = DEFAULT_GROUP if column is None else base[column].astype("string")
        part = base.assign(grp=grp).dropna(subset=["grp"])
        for statistic in statistics:
            frames.append(_weighted_estimate(part, statistic))
    return pd.concat(frames, ignore_index=True)


def _weighted_estimate(part: pd.DataFrame, statistic: str) -> pd.DataFrame:
    if statistic == "mean":
        target = part["value"].astype(float)
    else:
        threshold = float(statistic.partition(":")[2])
        target = (part["value"].astype(float) >= threshold).astype(float)
    work = part.assign(wy=part["weight"] * target, w2=part["weight"] ** 2)
    summed = work.groupby(["nid", "year", "item", "grp"], as_index=False).agg(
        wy=("wy", "sum"), w=("weight", "sum"), w2=("w2", "sum"), n=("value", "size")
    )
    summed["estimate"] = summed["wy"] / summed["w"]
    summed["n_eff"] = summed["w"] ** 2 / summed["w2"]
    summed["statistic"] = statistic
    return summed[["nid", "year", "item", "grp", "statistic", "estimate", "n_eff", "n"]]
