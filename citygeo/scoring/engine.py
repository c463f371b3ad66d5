"""Normalise → invert → domains → indices → ranks, deciles, typology (DESIGN.md §3, §5).

The work is split so that a weight change is cheap: :func:`prepare` does everything that
depends on the data and on *which* measures there are (raw measures, outlier treatment,
normalisation); :func:`recompute` does what depends on weights, domains, directions,
aggregation and the exponential transform, on the prepared matrix.

Conventions (DESIGN.md is silent on these; they are part of the contract from here on):

- **Inversion** happens after normalisation, per year (minmax/goalposts/percentile:
  ``100 − x``; zscore: ``−z``; rank: ``n + 1 − r`` with n the neighbourhoods that have
  the measure that year). ``measure__<id>`` columns hold the *oriented* value: higher
  always means more of the domain's index.
- **Domain scores** are weighted means of oriented measures (missing ones drop out,
  weights re-scaled; flagged ``missing:<measure>``); with ``exponential = true`` each
  domain score is then ranked within the year (average ties; R = rank / n, R = 1 for
  the highest score, i.e. the most at risk / most protected) and transformed
  ``X = −23 ln(1 − R (1 − e^(−100/23)))`` as the English IMD does.
- **Indices** are weighted means of their domains; a neighbourhood missing a whole
  domain gets NaN for that index, flagged ``missing_domain:<domain>``.
- **0–100**: with minmax, goalposts, percentile (or the exponential transform) the
  weighted mean already lies in 0–100 and is reported as is, so the score reads as
  "the weighted mean of the normalised measures". With zscore or rank (and no
  exponential transform) the index is rescaled min–max to 0–100 over the
  neighbourhoods of that year. Domain columns stay in the method's own unit.
- **Ranks**: 1 = highest score, ties share the lowest rank (``method="min"``), NaN
  scores get no rank. **Deciles** follow the IMD convention: decile 1 = the 10% most at
  risk (``risk_decile``) / the 10% most protected (``protective_decile``);
  ``decile = floor((rank − 1) · 10 / n) + 1`` with n the ranked neighbourhoods.
- **Typology** compares each index with its city median that year; strictly above the
  median is "above", at or below it is "below". Missing either index → no typology.

Options for published indices (each default keeps the rules above):

- ``ties`` and ``round`` reach the normalisation (see :mod:`citygeo.scoring.normalise`);
  with ``round`` a ``sum`` (of rounded values, an exact decimal) is put on the nearest
  float of its decimal, so equal sums tie exactly, and an inverted value likewise.
- ``missing = "propagate"``: a neighbourhood missing any weighted measure of a domain
  gets no score for that domain (and so none for its index), instead of re-weighting.
- ``rescale = "percentile" | "minmax"``: each domain score, then each index score, is
  rescaled within the year (percentile with ``ties``; both rounded with ``round``).
  ``index_from = "aggregates"`` builds the index from the domains' aggregated values
  *before* that rescale (the CDC SVI sums the theme sums, not the theme percentiles).
- A methodology with no domain for one index leaves that index, its ranks and deciles
  and the typology empty ("not scored").
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from citygeo.errors import ConfigError, InputError
from citygeo.schema import DEFAULT_GROUP, domain_column
from citygeo.scoring.aggregate import get_aggregation
from citygeo.scoring.inputs import ScoringInputs
from citygeo.scoring.measures import MeasureTable, available_years, build_measures
from citygeo.scoring.methodology import Methodology
from citygeo.scoring.normalise import Normalisation, get_normalisation, snap_to_decimals
from citygeo.scoring.outliers import treat_outliers

__all__ = [
    "Prepared",
    "deciles",
    "domain_aggregates",
    "domain_scores",
    "exponential_transform",
    "imd_exponential",
    "index_aggregates",
    "index_inputs",
    "index_scores",
    "measure_spec_key",
    "oriented_measures",
    "prepare",
    "rank_descending",
    "recompute",
    "rescale_by_year",
]

log = logging.getLogger(__name__)
_EXP_CONSTANT = 1.0 - np.exp(-100.0 / 23.0)


@dataclass(frozen=True)
class Prepared:
    """What :func:`recompute` reuses: raw and normalised measures of the scored years.

    Attributes
    ----------
    methodology : Methodology
        The methodology the measures were prepared with.
    group : str
        The population group scored (``"all"`` or a group such as ``"16-24"``).
    table : MeasureTable
        Raw measures, event counts and survey n_eff, rows = scored years × neighbourhoods.
    normalised : ndarray
        rows × measures, normalised per year, *not yet inverted*.
    treatments : DataFrame
        ``year, measure, treatment`` for the outlier treatment (empty when off).
    year_rows : dict[int, ndarray]
        Row positions of each year.
    """

    methodology: Methodology
    group: str
    table: MeasureTable
    normalised: np.ndarray
    treatments: pd.DataFrame
    year_rows: dict[int, np.ndarray]
    _oriented: dict[tuple[object, ...], np.ndarray] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def measure_ids(self) -> list[str]:
        return [m.id for m in self.methodology.measures]


def measure_spec_key(methodology: Methodology) -> str:
    """Fingerprint of what :func:`prepare` depends on (not weights, domains or directions)."""
    keep = {"normalisation", "goalposts_year", "outliers", "ties", "round"}
    spec = methodology.model_dump(mode="json", by_alias=True)
    reduced = {k: v for k, v in spec.items() if k in keep}
    for option, default in (("ties", "average"), ("round", None)):  # as before these options
        if reduced.get(option) == default:
            del reduced[option]
    drop = {"weight", "domain", "direction", "label"}
    reduced["measures"] = [{k: v for k, v in m.items() if k not in drop} for m in spec["measures"]]
    text = json.dumps(reduced, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def prepare(
    inputs: ScoringInputs,
    methodology: Methodology,
    years: list[int] | None = None,
    group: str = DEFAULT_GROUP,
    *,
    protect_small_counts: bool = False,
) -> Prepared:
    """Build, treat and normalise every measure for ``years`` (default: see ``available_years``).

    ``protect_small_counts``: see :func:`citygeo.scoring.measures.build_measures`.
    """
    years = sorted(int(y) for y in (years or available_years(inputs, methodology)))
    goal = methodology.goalposts_year if methodology.normalisation == "goalposts" else None
    built_years = sorted(set(years) | ({goal} if goal is not None else set()))
    table = build_measures(
        inputs, methodology, built_years, group, protect_small_counts=protect_small_counts
    )
    values, treatments = _treat(table, methodology)
    normalised = _normalise(table, values, methodology, goal)
    keep = table.rows["year"].isin(years).to_numpy()
    kept = _subset(table, keep)
    year_rows = {y: np.flatnonzero(kept.rows["year"].to_numpy() == y) for y in years}
    log.info("prepared %d measures for %d neighbourhood-years", values.shape[1], int(keep.sum()))
    return Prepared(methodology, group, kept, normalised[keep], treatments, year_rows)


def _subset(table: MeasureTable, keep: np.ndarray) -> MeasureTable:
    def cut(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[keep].reset_index(drop=True)

    covered = None if table.not_covered is None else cut(table.not_covered)
    return MeasureTable(
        cut(table.rows), cut(table.raw), cut(table.counts), cut(table.n_eff), covered
    )


def _treat(table: MeasureTable, methodology: Methodology) -> tuple[np.ndarray, pd.DataFrame]:
    values = table.raw.to_numpy(dtype=float, copy=True)
    records: list[dict[str, object]] = []
    if methodology.outliers == "treat":
        years = table.rows["year"].to_numpy()
        for year in np.unique(years):
            rows = years == year
            for j, measure in enumerate(table.raw.columns):
                values[rows, j], what = treat_outliers(values[rows, j])
                records.append({"year": int(year), "measure": measure, "treatment": what})
    return values, pd.DataFrame(records, columns=["year", "measure", "treatment"])


def _normalise(
    table: MeasureTable, values: np.ndarray, methodology: Methodology, goal: int | None
) -> np.ndarray:
    method = normalisation_of(methodology)
    years = table.rows["year"].to_numpy()
    reference = None
    if goal is not None:
        reference = values[years == goal]
        if reference.size == 0 or np.all(np.isnan(reference), axis=0).any():
            empty = [c for c, e in zip(table.raw.columns, np.all(np.isnan(reference), axis=0)) if e]
            raise InputError(f"goalposts_year {goal} has no values for measures {empty}")
    out = np.full_like(values, np.nan)
    for year in np.unique(years):
        rows = years == year
        out[rows] = method.normalise(values[rows], reference)
    return out


def normalisation_of(methodology: Methodology) -> Normalisation:
    """The methodology's normalisation with its ``ties`` and ``round`` options."""
    return get_normalisation(methodology.normalisation, methodology.ties, methodology.round)


def oriented_measures(prepared: Prepared, methodology: Methodology) -> np.ndarray:
    """Normalised measures with the inversion rule applied (higher = more of the index).

    The result is read-only and kept on ``prepared`` per set of inverted measures, so a
    weight change (same directions) reuses it.
    """
    by_id = {m.id: m for m in methodology.measures}
    flipped = np.flatnonzero([methodology.inverted(by_id[i]) for i in prepared.measure_ids])
    key = (methodology.normalisation, *(int(j) for j in flipped))
    if key not in prepared._oriented:
        out = _orient(prepared, methodology, flipped)
        out.flags.writeable = False
        prepared._oriented.clear()
        prepared._oriented[key] = out
    return prepared._oriented[key]


def _orient(prepared: Prepared, methodology: Methodology, flipped: np.ndarray) -> np.ndarray:
    method = normalisation_of(methodology)
    out = prepared.normalised.copy()
    if len(flipped) and not method.invert_by_year:
        for j in flipped:  # element-wise: the same for every year, one column at a time
            out[:, j] = method.invert(out[:, j])
    elif len(flipped):
        for rows in prepared.year_rows.values():
            block = out[np.ix_(rows, flipped)]
            out[np.ix_(rows, flipped)] = method.invert(block)
    if len(flipped) and methodology.round is not None and method.bounded:
        out[:, flipped] = snap_to_decimals(out[:, flipped], methodology.round)
    return out


def measure_weight_matrix(measure_ids: list[str], methodology: Methodology) -> np.ndarray:
    """measures × domains matrix of measure weights (0 outside the measure's domain)."""
    by_id = {m.id: m for m in methodology.measures}
    domain_ids = [d.id for d in methodology.domains]
    matrix = np.zeros((len(measure_ids), len(domain_ids)))
    for j, measure_id in enumerate(measure_ids):
        measure = by_id[measure_id]
        matrix[j, domain_ids.index(measure.domain)] = measure.weight
    return matrix


def imd_exponential(rank_fraction: np.ndarray) -> np.ndarray:
    """IMD transform ``X = −23 ln(1 − R (1 − e^(−100/23)))``; R in (0, 1], 1 → 100."""
    return -23.0 * np.log(1.0 - rank_fraction * _EXP_CONSTANT)


def exponential_transform(scores: np.ndarray, year_rows: dict[int, np.ndarray]) -> np.ndarray:
    """Rank each column within each year (average ties, 1 = lowest) and apply the IMD transform."""
    out = np.full_like(scores, np.nan)
    for rows in year_rows.values():
        block = pd.DataFrame(scores[rows]).rank(method="average", na_option="keep")
        count = block.notna().sum().to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rows] = imd_exponential(block.to_numpy(dtype=float) / count)
    return out


def domain_aggregates(prepared: Prepared, methodology: Methodology) -> np.ndarray:
    """rows × domains (file order) aggregated oriented measures, before any ``rescale``."""
    weights = measure_weight_matrix(prepared.measure_ids, methodology)
    measures = oriented_measures(prepared, methodology)
    out = get_aggregation(methodology.aggregation).aggregate(measures, weights)
    if methodology.missing == "propagate":
        lacking = np.isnan(measures).astype(float) @ (weights > 0)
        out[lacking > 0] = np.nan
    measures_rounded = get_normalisation(methodology.normalisation).bounded
    return _settled(out, methodology, measures_rounded)


def domain_scores(prepared: Prepared, methodology: Methodology) -> np.ndarray:
    """rows × domains (file order): the domain scores as reported (after ``rescale``)."""
    aggregates = domain_aggregates(prepared, methodology)
    return rescale_by_year(aggregates, prepared.year_rows, methodology)


def index_inputs(prepared: Prepared, methodology: Methodology) -> tuple[np.ndarray, np.ndarray]:
    """The reported domain scores and what the indices aggregate (see ``index_from``)."""
    aggregates = domain_aggregates(prepared, methodology)
    domains = rescale_by_year(aggregates, prepared.year_rows, methodology)
    return domains, aggregates if methodology.index_from == "aggregates" else domains


def index_scores(
    domains: np.ndarray, prepared: Prepared, methodology: Methodology, index: str
) -> np.ndarray:
    """One index (0–100) from the domain scores; NaN where a domain of it is missing, and
    everywhere when no domain feeds it (the index is not scored)."""
    scores = index_aggregates(domains, prepared, methodology, index)
    if methodology.rescale != "none":
        return rescale_by_year(scores[:, None], prepared.year_rows, methodology)[:, 0]
    bounded = get_normalisation(methodology.normalisation).bounded or methodology.exponential
    bounded = bounded and methodology.aggregation != "sum"
    return scores if bounded else _rescale_by_year(scores, prepared.year_rows)


def index_aggregates(
    domains: np.ndarray, prepared: Prepared, methodology: Methodology, index: str
) -> np.ndarray:
    """One index aggregated from ``domains`` (see :func:`index_inputs`), before any rescale
    (the CDC SVI's ``SPL_THEMES``)."""
    members = np.array([d.index == index for d in methodology.domains])
    if not members.any():
        return np.full(len(domains), np.nan)
    weights = np.array([d.weight for d in methodology.domains])[members][:, None]
    block = domains[:, members]
    if methodology.exponential:
        block = exponential_transform(block, prepared.year_rows)
    scores = get_aggregation(methodology.aggregation).aggregate(block, weights)[:, 0]
    scores[np.isnan(block).any(axis=1)] = np.nan
    if methodology.exponential:
        rounded = False
    elif methodology.rescale != "none" and methodology.index_from == "scores":
        rounded = True
    else:
        rounded = get_normalisation(methodology.normalisation).bounded
    return _settled(scores[:, None], methodology, rounded)[:, 0]


def _settled(aggregated: np.ndarray, methodology: Methodology, rounded_inputs: bool) -> np.ndarray:
    """A sum of rounded values is an exact decimal: put it on that decimal's nearest float.

    ``rounded_inputs`` says whether what was summed was rounded with ``round`` (measures of
    a 0–100 normalisation, rescaled domains); a sum of anything else is left as it is.
    """
    if methodology.aggregation == "sum" and methodology.round is not None and rounded_inputs:
        return snap_to_decimals(aggregated, methodology.round)
    return aggregated


def rescale_by_year(
    scores: np.ndarray, year_rows: dict[int, np.ndarray], methodology: Methodology
) -> np.ndarray:
    """The methodology's ``rescale`` of each column within each year (none: unchanged)."""
    if methodology.rescale == "none":
        return scores
    method = get_normalisation(methodology.rescale, methodology.ties, methodology.round)
    out = np.full_like(scores, np.nan)
    for rows in year_rows.values():
        out[rows] = method.normalise(scores[rows])
    return out


def _rescale_by_year(scores: np.ndarray, year_rows: dict[int, np.ndarray]) -> np.ndarray:
    out = scores.copy()
    for rows in year_rows.values():
        out[rows] = get_normalisation("minmax").normalise(scores[rows][:, None])[:, 0]
    return out


def rank_descending(scores: np.ndarray, year_rows: dict[int, np.ndarray]) -> np.ndarray:
    """Rank within each year, 1 = highest, ties ``min``, NaN unranked (float array)."""
    out = np.full(len(scores), np.nan)
    for rows in year_rows.values():
        block = scores[rows]
        present = np.flatnonzero(~np.isnan(block))
        values = block[present]
        order = np.argsort(-values)
        ordered = values[order]
        # a tie takes the position of its first member ("min"): 1 + how many are greater
        starts = np.r_[True, ordered[1:] != ordered[:-1]]
        first = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
        ranked = np.full(len(block), np.nan)
        ranked[present[order]] = first + 1.0
        out[rows] = ranked
    return out


def deciles(ranks: np.ndarray, year_rows: dict[int, np.ndarray]) -> np.ndarray:
    """IMD-style deciles from ranks: 1 = the top 10% (highest scores)."""
    out = np.full(len(ranks), np.nan)
    for rows in year_rows.values():
        count = np.sum(~np.isnan(ranks[rows]))
        out[rows] = np.floor((ranks[rows] - 1.0) * 10.0 / max(count, 1)) + 1.0
    return out


def typology(
    risk: np.ndarray, protective: np.ndarray, year_rows: dict[int, np.ndarray]
) -> np.ndarray:
    """priority / watch / strengthen / resilient against the city medians of each year."""
    labels = np.array([None, "strengthen", "resilient", "priority", "watch"], dtype=object)
    codes = np.zeros(len(risk), dtype=np.intp)  # 0 = no typology
    for rows in year_rows.values():
        r, p = risk[rows], protective[rows]
        ok = ~np.isnan(r) & ~np.isnan(p)
        if not ok.any():
            continue
        high_r = r > np.median(r[ok])
        high_p = p > np.median(p[ok])
        codes[rows] = np.where(ok, 1 + 2 * high_r + high_p, 0)
    return labels[codes]


def recompute(prepared: Prepared, methodology: Methodology | None = None) -> pd.DataFrame:
    """Domains, indices, ranks, deciles and typology — the fast path for a weight change.

    ``methodology`` may differ from the prepared one in weights, domains, directions,
    aggregation and ``exponential``; a change to the measures themselves, the
    normalisation or the outlier treatment needs :func:`prepare` again.

    Returns
    -------
    DataFrame
        ``nid, name, year, domain__<id>…, risk_score, risk_rank, risk_decile,
        protective_score, protective_rank, protective_decile, typology`` in row order.
    """
    methodology = methodology or prepared.methodology
    if measure_spec_key(methodology) != measure_spec_key(prepared.methodology):
        raise ConfigError(
            f"methodology {methodology.version} changes the measures, the normalisation (or its "
            "ties or round) or the outlier treatment; prepare() the data again with it "
            "(recompute only re-weights)"
        )
    domains, index_input = index_inputs(prepared, methodology)
    rows = prepared.table.rows
    columns: dict[str, object] = {"nid": rows["nid"], "name": rows["name"], "year": rows["year"]}
    for k, domain in enumerate(methodology.domains):
        columns[domain_column(domain.id)] = domains[:, k]
    scores = {}
    for index in ("risk", "protective"):
        scores[index] = index_scores(index_input, prepared, methodology, index)
        ranks = rank_descending(scores[index], prepared.year_rows)
        columns[f"{index}_score"] = scores[index]
        columns[f"{index}_rank"] = _nullable_int(ranks)
        columns[f"{index}_decile"] = _nullable_int(deciles(ranks, prepared.year_rows))
    columns["typology"] = typology(scores["risk"], scores["protective"], prepared.year_rows)
    return pd.DataFrame(columns, index=rows.index)


def _nullable_int(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Whole numbers in a float array (NaN = missing) as an ``Int64`` array."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)
