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

from citygeo.errors import InputError
from citygeo.rules.survey import estimate_survey
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
    not_covered : DataFrame or None
        One bool column per measure: True where a source the measure is built on does not
        cover the neighbourhood (the raw value is then NaN); None = covered everywhere.
    """

    rows: pd.DataFrame
    raw: pd.DataFrame
    counts: pd.DataFrame
    n_eff: pd.DataFrame
    not_covered: pd.DataFrame | None = None

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
        codes, uniques = pd.factorize(frame["indicator"], use_na_sentinel=True)
        used = np.zeros(len(uniques) + 1, dtype=bool)
        found = pd.Index(uniques).get_indexer(sorted(names))
        used[found[found >= 0]] = True
        per_source["indicators"] = set(np.unique(frame["year"].to_numpy()[used[codes]]).astype(int))
    if "incidents" in sources:
        per_source["incidents"] = _year_set(inputs.incident_counts["year"])
    if "survey" in sources:
        survey = inputs.survey_estimates
        per_source["survey"] = set() if survey is None else _year_set(survey["year"])
    if not per_source:
        raise InputError("cannot tell which years to score: pass years=[...]")
    common = set.intersection(*per_source.values())
    if not common:
        found = "; ".join(f"{k}: {sorted(v) or 'none'}" for k, v in per_source.items())
        raise InputError(f"no year has data from every source ({found}); pass years=[...]")
    return sorted(common)


def _year_set(years: pd.Series) -> set[int]:
    """The distinct years of a column, as Python ints (unique first: columns are long)."""
    return {int(y) for y in pd.unique(pd.to_numeric(years))}


def build_measures(
    inputs: ScoringInputs,
    methodology: Methodology,
    years: list[int],
    group: str = DEFAULT_GROUP,
    *,
    protect_small_counts: bool = False,
    only_source: str | None = None,
) -> MeasureTable:
    """Compute every raw measure of ``methodology`` for ``years`` (see module notes), or only
    those from ``only_source`` (e.g. ``"incidents"``).

    With ``protect_small_counts`` an incident measure built on 1 to ``min_count − 1`` events
    is computed as if it had ``min_count / 2`` events (statistical disclosure control: a score
    built on it cannot be solved back for the exact small count); ``counts`` stay exact.
    """
    protect = methodology.min_count if protect_small_counts else None
    measures = [m for m in methodology.measures if only_source in (None, m.source)]
    hoods = inputs.neighbourhoods
    _check_columns(hoods, ("nid", "population", "area_km2"), "neighbourhoods")
    rows = _row_frame(hoods, years)
    keys = _RowKeys(rows, years)
    sources = {m.source for m in measures}
    indicators = (
        _Keyed(keys, inputs.indicator_values, ("indicator", "grp"))
        if "indicator" in sources
        else None
    )
    incidents = (
        _Keyed(keys, inputs.incident_counts, ("category",)) if "incidents" in sources else None
    )
    assets = (
        _Keyed(keys, inputs.asset_counts, ("kind", "theme"), yearly=False)
        if "assets" in sources
        else None
    )
    survey = _survey_keyed(keys, inputs.survey_estimates, measures)
    raw: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    n_eff: dict[str, np.ndarray] = {}
    for measure in measures:
        if indicators is not None and measure.source == "indicator":
            raw[measure.id] = _indicator(indicators, measure, group)
        elif incidents is not None and measure.source == "incidents":
            raw[measure.id], counts[measure.id] = _incident_rate(rows, incidents, measure, protect)
        elif assets is not None and measure.source == "assets":
            raw[measure.id], counts[measure.id] = _asset_rate(rows, assets, measure)
        elif survey is not None:
            raw[measure.id], n_eff[measure.id] = _survey(survey, measure, group)
    index = rows.index
    uncovered = _not_covered(keys, inputs.not_covered, measures)
    if uncovered is not None:
        for measure_id in uncovered.columns:
            outside = uncovered[measure_id].to_numpy()
            raw[measure_id] = np.where(outside, np.nan, raw[measure_id])
            if measure_id in counts:
                counts[measure_id] = np.where(outside, np.nan, counts[measure_id])
    return MeasureTable(
        rows=rows,
        raw=pd.DataFrame(raw, index=index, columns=[m.id for m in measures]),
        counts=pd.DataFrame(counts, index=index),
        n_eff=pd.DataFrame(n_eff, index=index),
        not_covered=None if uncovered is None else uncovered.set_axis(index),
    )


def _not_covered(
    keys: _RowKeys, frame: pd.DataFrame | None, measures: list[Measure]
) -> pd.DataFrame | None:
    """Per measure, the rows whose neighbourhood a source of the measure does not cover."""
    if frame is None or frame.empty:
        return None
    columns = {}
    for m in measures:
        if m.source == "indicator":
            wanted = frame[(frame["kind"] == "indicator") & (frame["item"] == m.indicator_name)]
        elif m.source == "incidents":
            wanted = frame[(frame["kind"] == "category") & frame["item"].isin(m.categories or ())]
        else:
            continue
        hit = np.zeros(len(keys.nids) + 1, dtype=bool)
        hit[keys.nid_positions(wanted["nid"])] = True
        columns[m.id] = np.tile(hit[:-1], len(keys.years))
    return pd.DataFrame(columns) if columns else None


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


class _RowKeys:
    """Maps (nid, year) to a row position: ``year_index × n + nid_index`` (−1 = not scored)."""

    def __init__(self, rows: pd.DataFrame, years: list[int]) -> None:
        self.nids = pd.Index(rows["nid"].iloc[: len(rows) // max(1, len(years))])
        self.years = [int(y) for y in years]
        self.n_rows = len(rows)

    def nid_positions(self, nids: pd.Series) -> np.ndarray:
        codes, uniques = pd.factorize(nids, use_na_sentinel=True)
        return _lookup_table(self.nids.get_indexer(uniques), fill=-1)[codes]

    def positions(self, nids: pd.Series, years: pd.Series) -> np.ndarray:
        nid_pos = self.nid_positions(nids)
        year_values = pd.to_numeric(years, errors="coerce").to_numpy(dtype=float)
        year_pos = pd.Index(self.years, dtype=float).get_indexer(year_values)
        ok = (nid_pos >= 0) & (year_pos >= 0)
        return np.where(ok, year_pos * len(self.nids) + nid_pos, -1)


def _lookup_table(values: np.ndarray, fill: object) -> np.ndarray:
    """``values`` with one extra slot at the end, so that code −1 (missing) maps to ``fill``."""
    return np.append(values, np.array([fill], dtype=values.dtype))


class _Keyed:
    """A long input frame with row positions and factorised key columns, computed once."""

    def __init__(
        self, keys: _RowKeys, frame: pd.DataFrame, columns: tuple[str, ...], yearly: bool = True
    ) -> None:
        self.keys, self.frame = keys, frame
        self.pos = (
            keys.positions(frame["nid"], frame["year"])
            if yearly
            else keys.nid_positions(frame["nid"])
        )
        self.codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self.numbers: dict[str, np.ndarray] = {}
        for column in columns:
            values = (
                frame[column] if column in frame else pd.Series(DEFAULT_GROUP, index=frame.index)
            )
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            self.codes[column] = (codes, pd.Index(uniques))
        self.years_present = _year_set(frame["year"]) if yearly else set()

    def numeric(self, column: str) -> np.ndarray:
        if column not in self.numbers:
            self.numbers[column] = pd.to_numeric(self.frame[column], errors="coerce").to_numpy(
                dtype=float
            )
        return self.numbers[column]

    def mask(self, column: str, wanted: tuple[object, ...] | list[object]) -> np.ndarray:
        codes, uniques = self.codes[column]
        chosen = np.zeros(len(uniques) + 1, dtype=bool)
        positions = uniques.get_indexer(list(wanted))
        chosen[positions[positions >= 0]] = True
        return chosen[codes]

    def group_mask(self, base: np.ndarray, wanted: str) -> np.ndarray:
        """Rows of group ``wanted`` if ``base`` has any, else of group "all"."""
        chosen = self.mask("grp", [wanted]) & base
        return chosen if chosen.any() else self.mask("grp", [DEFAULT_GROUP]) & base

    def values_at_rows(self, selected: np.ndarray, column: str, what: str) -> np.ndarray:
        """``column`` of the selected input rows placed on scored rows; NaN where absent."""
        ok = selected & (self.pos >= 0)
        pos, picked = self.pos[ok], self.numeric(column)[ok]
        seen = np.bincount(pos, minlength=self.keys.n_rows)
        if (seen > 1).any():
            first = int(np.flatnonzero(seen > 1)[0])
            year = self.keys.years[first // len(self.keys.nids)]
            nid = self.keys.nids[first % len(self.keys.nids)]
            raise InputError(f"{what}: more than one value for (nid, year) [[{nid!r}, {year}]]")
        out = np.full(self.keys.n_rows, np.nan)
        out[pos] = picked
        return out

    def summed_at_rows(self, selected: np.ndarray, column: str = "count") -> np.ndarray:
        """Sum of ``column`` of the selected rows per position (yearly) or per nid."""
        ok = selected & (self.pos >= 0)
        values = np.nan_to_num(self.numeric(column)[ok])
        size = self.keys.n_rows if self.years_present else len(self.keys.nids)
        return np.bincount(self.pos[ok], weights=values, minlength=size).astype(float)


def _indicator(indicators: _Keyed, m: Measure, group: str) -> np.ndarray:
    selected = indicators.group_mask(
        indicators.mask("indicator", [m.indicator_name]), m.group or group
    )
    return indicators.values_at_rows(selected, "value", f"indicator {m.indicator_name!r}")


def _denominator(rows: pd.DataFrame, m: Measure) -> np.ndarray:
    if m.rate_denominator == "none":
        return np.ones(len(rows))
    base = rows[m.rate_denominator].to_numpy(dtype=float)
    return np.where(base > 0, base, np.nan)


def _incident_rate(
    rows: pd.DataFrame, incidents: _Keyed, m: Measure, protect_below: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    exact = incidents.summed_at_rows(incidents.mask("category", list(m.categories or ())))
    exact = np.where(rows["year"].isin(incidents.years_present).to_numpy(), exact, np.nan)
    events = exact
    if protect_below:
        small = (exact > 0) & (exact < protect_below)
        events = np.where(small, protect_below / 2, exact)
    denominator = _denominator(rows, m)
    scale = m.rate_per if m.rate_denominator != "none" else 1.0
    if m.smoothing == "empirical_bayes":
        return _smooth_by_year(rows, events, denominator) * m.rate_per, exact
    return events / denominator * scale, exact


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
    from esda.smoothing import Empirical_Bayes  # here: the dashboard imports this module too

    return Empirical_Bayes(events, population).r.ravel()


def _asset_rate(rows: pd.DataFrame, assets: _Keyed, m: Measure) -> tuple[np.ndarray, np.ndarray]:
    selected = assets.mask("kind", list(m.kinds or ()))
    if m.themes:
        selected &= assets.mask("theme", list(m.themes))
    per_nid = assets.summed_at_rows(selected)
    count = np.tile(per_nid, len(rows) // max(1, len(per_nid)))
    scale = m.rate_per if m.rate_denominator != "none" else 1.0
    return count / _denominator(rows, m) * scale, count


def _survey_keyed(
    keys: _RowKeys, survey: pd.DataFrame | None, measures: list[Measure]
) -> _Keyed | None:
    if not any(m.source == "survey" for m in measures):
        return None
    if survey is None:
        first = next(m.id for m in measures if m.source == "survey")
        raise InputError(
            f"measure {first!r} comes from the survey, but no survey estimates were given"
        )
    return _Keyed(keys, survey, ("item", "grp", "statistic"))


def _survey(survey: _Keyed, m: Measure, group: str) -> tuple[np.ndarray, np.ndarray]:
    selected = survey.mask("item", [m.survey_item])
    if "statistic" in survey.frame:
        selected &= survey.mask("statistic", [m.survey_transform])
    elif m.survey_transform != "mean":
        raise InputError(
            f"measure {m.id!r} asks for {m.survey_transform!r}, but the survey estimates have no "
            "'statistic' column; build them with "
            "estimate_survey(..., statistics=survey_statistics(m))"
        )
    selected = survey.group_mask(selected, group)
    what = f"survey item {m.survey_item!r}"
    return survey.values_at_rows(selected, "estimate", what), survey.values_at_rows(
        selected, "n_eff", what
    )


def survey_statistics(methodology: Methodology) -> tuple[str, ...]:
    """The statistics :func:`estimate_survey` must produce for ``methodology``."""
    wanted = {m.survey_transform for m in methodology.measures if m.source == "survey"}
    return tuple(sorted(wanted | {"mean"}))
