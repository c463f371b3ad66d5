"""Scoring a city (``citygeo score``, the methodology page, the demo): read the inputs, protect
small cells, score every group and the districts, save the scores in one unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygeo.errors import ConfigError, StoreError
from citygeo.rules.privacy import (
    atom_counts,
    category_atoms,
    flag_small_cells,
    protected_cells,
    small_cell_marks,
)
from citygeo.schema import COVERED_SHARE, DEFAULT_GROUP, count_column, raw_column
from citygeo.scoring import (
    Methodology,
    ScoringInputs,
    build_measures,
    district_inputs,
    estimate_survey,
    load_methodology,
    methodology_sha256,
    queen_weights,
    score_city,
    score_districts,
    survey_statistics,
    validate_against,
)
from citygeo.scoring.methodology import version_conflict
from citygeo.service.city import settings
from citygeo.store import Store, reads, writes

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


# -- scoring -------------------------------------------------------------------------------
def methodology_path_for(store: Store, override: Path | str | None = None) -> Path:
    """The methodology file to score with: the one given, else the city config's."""
    if override:
        return Path(override)
    configured = settings(store).methodology_path
    if not configured:
        raise StoreError("No methodology given and the city config has no [methodology] path; "
                         "pass --methodology FILE.")
    return Path(configured)


def scoring_inputs(store: Store, methodology: Methodology) -> ScoringInputs:
    """Read what the scoring engine needs from the store (plain DataFrames, queen weights)."""
    with store.reader() as con:
        hoods = reads.neighbourhoods(con, geometry=True)
        values = reads.indicator_values(con)
        incidents = reads.incident_counts(con)
        assets = reads.asset_counts(con)
        responses = reads.survey_responses(con)
        coverage = reads.coverage(con)
        sources = reads.measure_sources(con) if not coverage.empty else None
    shapes = gpd.GeoDataFrame(hoods.drop(columns="geom_wkb"),
                              geometry=shapely.from_wkb(hoods["geom_wkb"].to_numpy()), crs="EPSG:4326")
    groups = [c for c in responses.columns if c not in {"nid", "year", "weight", "item", "value"}]
    survey = (estimate_survey(responses, groups, survey_statistics(methodology))
              if not responses.empty else None)
    return ScoringInputs(
        neighbourhoods=pd.DataFrame(hoods.drop(columns="geom_wkb")),
        indicator_values=values, incident_counts=incidents, asset_counts=assets,
        survey_estimates=survey, weights=queen_weights(shapes, "nid"),
        not_covered=not_covered(coverage, sources))



def not_covered(coverage: pd.DataFrame, sources: pd.DataFrame | None) -> pd.DataFrame | None:
    """``nid, kind, item`` a source does not cover (under half of the neighbourhood covered).

    Rows of a source's own coverage apply to every indicator and incident category that
    source gives (``sources``: ``kind, item, source_id``); rows of an apportioned table apply
    to its item only. None when every source covers the whole city.
    """
    below = coverage[pd.to_numeric(coverage["share"]) < COVERED_SHARE]
    if below.empty:
        return None
    direct = below.loc[below["kind"] != "source", ["nid", "kind", "item"]]
    whole = below.loc[below["kind"] == "source", ["source_id", "nid"]]
    via = (whole.merge(sources, on="source_id")[["nid", "kind", "item"]]
           if sources is not None else direct.iloc[:0])
    return pd.concat([direct, via], ignore_index=True).drop_duplicates(ignore_index=True)


def with_exact_rates(scores: pd.DataFrame, inputs: ScoringInputs, methodology: Methodology,
                     group: str = DEFAULT_GROUP, *,
                     marks: ScoringInputs | None = None) -> pd.DataFrame:
    """Put the exact rates and counts of incident measures back into ``raw__``/``n__`` for analysts,
    and flag ``suppressed:<measure>`` every value that contains a cell of 1 to ``min_count − 1``.

    Scores are computed from protected cells (``privacy.protected_cells``); the raw and count
    columns keep the exact values, which public outputs withhold where they are flagged. A
    *cell* is one neighbourhood's incidents of one category in one year, so a total over
    several categories, or a district, that contains a small cell is withheld too: otherwise
    the total minus its visible parts would give the small cell. ``marks``: the inputs with
    small cells marked (``small_cell_marks``), for districts marked at neighbourhood level
    then summed; default: marked from ``inputs``.
    """
    incident_measures = [m.id for m in methodology.measures if m.source == "incidents"]
    if not incident_measures or scores.empty:
        return scores
    years = sorted(int(y) for y in scores["year"].unique())
    table = build_measures(inputs, methodology, years, group)
    if marks is None:
        marks = marked_inputs(inputs, methodology)
    marked = build_measures(marks, methodology, years, group)
    keys = pd.MultiIndex.from_frame(table.rows[["nid", "year"]].astype({"year": "int64"}))
    position = keys.get_indexer(pd.MultiIndex.from_frame(
        scores[["nid", "year"]].astype({"year": "int64"})))
    frame = scores.copy()
    contains_small = {}
    for measure in incident_measures:
        frame[raw_column(measure)] = table.raw[measure].to_numpy()[position]
        if count_column(measure) in frame:
            frame[count_column(measure)] = table.counts[measure].to_numpy(dtype=float)[position]
        contains_small[measure] = np.nan_to_num(
            marked.counts[measure].to_numpy(dtype=float)[position]) > 0
    return flag_small_cells(frame, incident_measures, pd.DataFrame(contains_small))


def _cells(inputs: ScoringInputs, methodology: Methodology) -> pd.DataFrame:
    atoms = category_atoms(m.categories or () for m in methodology.measures
                           if m.source == "incidents")
    return atom_counts(inputs.incident_counts, atoms)


def marked_inputs(inputs: ScoringInputs, methodology: Methodology) -> ScoringInputs:
    """The inputs with each small incident cell counted 1, every other cell 0."""
    return replace(inputs, incident_counts=small_cell_marks(_cells(inputs, methodology),
                                                            methodology.min_count))


def protected_inputs(inputs: ScoringInputs, methodology: Methodology) -> ScoringInputs:
    """The inputs with small incident cells protected (see ``privacy.protected_cells``)."""
    return replace(inputs, incident_counts=protected_cells(_cells(inputs, methodology),
                                                           methodology.min_count))


def score_methodology(exact: ScoringInputs, methodology: Methodology,
                      years: list[int] | None = None, *, draws: int = 1000,
                      seed: int = 12345) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Neighbourhood scores (all + each group) and district scores of one methodology.

    Scores are computed from protected cells (privacy.py: every incident cell of 1 to
    ``min_count − 1`` events counts as ``min_count / 2``); the raw columns keep the exact
    rates and every value that contains a small cell is flagged ``suppressed:``. Groups are
    scored without Monte Carlo; districts with at most 200 draws.
    """
    inputs = protected_inputs(exact, methodology)
    scores = with_exact_rates(score_city(inputs, methodology, years, draws=draws, seed=seed,
                                         protect_small_counts=True), exact, methodology)
    groups = sorted(set(inputs.indicator_values["grp"].unique()) - {DEFAULT_GROUP})
    by_group = [with_exact_rates(score_city(inputs, methodology, years, group=g, draws=0, seed=seed,
                                            protect_small_counts=True), exact, methodology, g)
                for g in groups]
    scores = pd.concat([scores, *by_group], ignore_index=True)
    districts = None
    if inputs.neighbourhoods["district"].notna().any():
        districts = with_exact_rates(
            score_districts(inputs, methodology, years, draws=min(draws, 200), seed=seed,
                            protect_small_counts=True),
            district_inputs(exact), methodology,
            marks=district_inputs(marked_inputs(exact, methodology)))
    return scores, districts


class _StoreChanged(Exception):
    """The store was replaced (another ingest or score) after the inputs were read."""


def save_scores(store: Store, methodology: Methodology, scores: pd.DataFrame,
                districts: pd.DataFrame | None, note: str | None = None, *,
                read_version: tuple[int, int] | None = None) -> None:
    """Write one methodology's scores (and district scores) in one unit of work.

    With ``read_version`` (the store's version when the inputs were read), nothing is written
    if another writer replaced the store since: :class:`_StoreChanged` is raised under the
    writer lock, so scores never describe data the store no longer holds.
    """
    with store.writer() as con:
        if read_version is not None and store.version() != read_version:
            raise _StoreChanged
        history = reads.methodology_history(con).iloc[::-1]  # oldest first
        problem = version_conflict(zip(history["version"], history["sha256"], history["spec"],
                                       strict=True), methodology)
        if problem:
            raise ConfigError(problem)
        writes.write_scores(con, methodology, scores, note)
        if districts is not None:
            writes.replace_score_rows(con, "district_scores", districts, methodology_sha256(methodology))


_SCORE_ATTEMPTS = 3


def score_store(store: Store, methodology_file: Path | str | None = None,
                years: list[int] | None = None, *, draws: int = 1000, seed: int = 12345,
                note: str | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """Score a city with a methodology file and write ``scores`` and ``methodologies``.

    Idempotent: rows of the same methodology and years are replaced, never duplicated. If
    another ingest replaces the store while the city is being scored, it is scored again on
    the new data (up to three times) instead of saving scores of data that is gone.
    """
    path = methodology_path_for(store, methodology_file)
    methodology = load_methodology(path)
    for attempt in range(_SCORE_ATTEMPTS):
        read_version = store.version()
        exact = scoring_inputs(store, methodology)
        validate_against(methodology, *available_names(exact))
        if progress:
            progress(0, 2, "scoring")
        scores, districts = score_methodology(exact, methodology, years, draws=draws, seed=seed)
        if progress:
            progress(1, 2, "writing scores")
        try:
            save_scores(store, methodology, scores, districts, note, read_version=read_version)
        except _StoreChanged:
            log.info("the store changed while scoring (attempt %d); scoring the new data", attempt + 1)
            continue
        return scores
    raise StoreError(f"{store.path}: the store kept changing while it was being scored (another "
                     "`citygeo ingest` or `citygeo score` running?); run `citygeo score` again when it is done.")


def available_names(inputs: ScoringInputs) -> tuple[set[str], set[str], set[str], set[str]]:
    survey = inputs.survey_estimates
    return (set(inputs.indicator_values["indicator"].unique()),
            set(inputs.incident_counts["category"].unique()), set(inputs.asset_counts["kind"].unique()),
            set(survey["item"].unique()) if survey is not None else set())


