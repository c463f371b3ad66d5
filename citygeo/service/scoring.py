"""Scoring a city (``citygeo score``, the methodology page, the demo): read the inputs, protect
small cells, score every group and the districts, save the scores in one unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygeo.errors import ConfigError, InputError, StoreError
from citygeo.rules.privacy import (
    atom_counts,
    category_atoms,
    flag_small_cells,
    protected_cells,
    small_cell_marks,
)
from citygeo.rules.survey import estimates_from_sums
from citygeo.schema import COVERED_SHARE, DEFAULT_GROUP, count_column, raw_column
from citygeo.scoring import (
    Methodology,
    ScoringInputs,
    build_measures,
    district_inputs,
    estimate_survey,
    load_methodology,
    methodology_sha256,
    prepare,
    queen_weights,
    score_city,
    score_districts,
    start_scoring,
    survey_statistics,
    validate_against,
)
from citygeo.scoring.districts import with_counts_of
from citygeo.scoring.hotspots import stop_workers
from citygeo.scoring.inputs import carry
from citygeo.scoring.measures import available_years
from citygeo.scoring.methodology import version_conflict
from citygeo.service.city import settings
from citygeo.store import Connection, StagedCopy, Store, one_thread, reads, writes
from citygeo.store import years as store_years

if TYPE_CHECKING:
    from libpysal.weights import W

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


# -- scoring -------------------------------------------------------------------------------
def methodology_path_for(store: Store, override: Path | str | None = None) -> Path:
    """The methodology file to score with: the one given, else the city config's."""
    if override:
        return Path(override)
    configured = settings(store).methodology_path
    if not configured:
        raise StoreError(
            "No methodology given and the city config has no [methodology] path; "
            "pass --methodology FILE."
        )
    return Path(configured)


def scoring_inputs(store: Store, methodology: Methodology) -> ScoringInputs:
    """Read what the scoring engine needs from the store (plain DataFrames, queen weights)."""
    with store.reader() as con, one_thread(con), con.cursor() as survey_con:
        hoods = reads.neighbourhoods(con, geometry=True)
        # Three streams on two cores: the queen weights (Python), the survey summed in DuckDB
        # (so 14 M answers never reach pandas) and the rest, every query on one thread.
        with ThreadPoolExecutor(2, thread_name_prefix="inputs") as pool:
            weights = pool.submit(_weights, hoods)
            summed = pool.submit(reads.survey_cell_sums, survey_con, survey_statistics(methodology))
            values = reads.indicator_values(con)
            incidents = reads.incident_counts(con)
            assets = reads.asset_counts(con)
            coverage = reads.coverage(con)
            sources = reads.measure_sources(con) if not coverage.empty else None
            w = weights.result()
            sums = summed.result()
    survey = estimates_from_sums(sums) if not sums.empty else None
    return _inputs(hoods, values, incidents, assets, survey, not_covered(coverage, sources), w)


def _estimates(responses: pd.DataFrame, methodology: Methodology) -> pd.DataFrame | None:
    """The survey estimates of microdata (carried through a crosswalk, or on an old vintage)."""
    groups = [c for c in responses.columns if c not in reads.SURVEY_BASE_COLUMNS]
    responses = responses.drop(columns=["source_id"], errors="ignore")
    return (
        estimate_survey(responses, groups, survey_statistics(methodology))
        if not responses.empty
        else None
    )


def _inputs(
    hoods: pd.DataFrame,
    values: pd.DataFrame,
    incidents: pd.DataFrame,
    assets: pd.DataFrame,
    survey: pd.DataFrame | None,
    uncovered: pd.DataFrame | None = None,
    weights: W | None = None,
) -> ScoringInputs:
    return ScoringInputs(
        neighbourhoods=pd.DataFrame(hoods.drop(columns="geom_wkb")),
        indicator_values=values,
        incident_counts=incidents,
        asset_counts=assets,
        survey_estimates=survey,
        weights=weights if weights is not None else _weights(hoods),
        not_covered=uncovered,
    )


def _weights(hoods: pd.DataFrame) -> W:
    """Queen contiguity of the neighbourhoods read with their geometry (``geom_wkb``)."""
    shapes = gpd.GeoDataFrame(
        hoods[["nid"]],
        geometry=shapely.from_wkb(hoods["geom_wkb"].to_numpy()),
        crs="EPSG:4326",
    )
    return queen_weights(shapes, "nid")


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
    via = (
        whole.merge(sources, on="source_id")[["nid", "kind", "item"]]
        if sources is not None
        else direct.iloc[:0]
    )
    return pd.concat([direct, via], ignore_index=True).drop_duplicates(ignore_index=True)


def vintage_inputs(
    store: Store, methodology: Methodology, vintage: str, carried: bool
) -> ScoringInputs:
    """The inputs of years on an earlier boundary vintage.

    Not ``carried``: on that vintage's own neighbourhoods (incidents and mechanisms counted
    where they lie). ``carried``: on the current neighbourhoods, the old codes' indicator
    values and survey responses carried through the crosswalk (see :func:`carry`).
    """
    with store.reader() as con:
        current = store_years.vintage_ids(con)[-1]
        values = reads.indicator_values(con)
        responses = reads.survey_responses(con)
        if carried:
            hoods = reads.neighbourhoods(con, geometry=True)
            incidents = store_years.incident_counts_in_vintage(con, None)
            assets = reads.asset_counts(con)
            links = store_years.crosswalk(con, vintage, current)
        else:
            hoods = store_years.vintage_neighbourhoods(con, vintage)
            incidents = store_years.incident_counts_in_vintage(con, vintage)
            assets = store_years.asset_counts_in_vintage(con, vintage)
        coverage = reads.coverage(con)
        sources = reads.measure_sources(con) if not coverage.empty else None
    if carried:
        values, responses = carry(values, responses, links, set(hoods["nid"]))
    survey = _estimates(responses, methodology)
    return _inputs(hoods, values, incidents, assets, survey, not_covered(coverage, sources))


def with_exact_rates(
    scores: pd.DataFrame,
    inputs: ScoringInputs,
    methodology: Methodology,
    group: str = DEFAULT_GROUP,
    *,
    marks: ScoringInputs | None = None,
) -> pd.DataFrame:
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
    table = build_measures(inputs, methodology, years, group, only_source="incidents")
    if marks is None:
        marks = marked_inputs(inputs, methodology)
    marked = build_measures(marks, methodology, years, group, only_source="incidents")
    keys = pd.MultiIndex.from_frame(table.rows[["nid", "year"]].astype({"year": "int64"}))
    position = keys.get_indexer(
        pd.MultiIndex.from_frame(scores[["nid", "year"]].astype({"year": "int64"}))
    )
    frame = scores.copy()
    contains_small = {}
    for measure in incident_measures:
        frame[raw_column(measure)] = table.raw[measure].to_numpy()[position]
        if count_column(measure) in frame:
            frame[count_column(measure)] = table.counts[measure].to_numpy(dtype=float)[position]
        contains_small[measure] = (
            np.nan_to_num(marked.counts[measure].to_numpy(dtype=float)[position]) > 0
        )
    return flag_small_cells(frame, incident_measures, pd.DataFrame(contains_small))


def _cells(inputs: ScoringInputs, methodology: Methodology) -> pd.DataFrame:
    atoms = category_atoms(
        m.categories or () for m in methodology.measures if m.source == "incidents"
    )
    return atom_counts(inputs.incident_counts, atoms)


def marked_inputs(inputs: ScoringInputs, methodology: Methodology) -> ScoringInputs:
    """The inputs with each small incident cell counted 1, every other cell 0."""
    return replace(
        inputs, incident_counts=small_cell_marks(_cells(inputs, methodology), methodology.min_count)
    )


def protected_inputs(inputs: ScoringInputs, methodology: Methodology) -> ScoringInputs:
    """The inputs with small incident cells protected (see ``privacy.protected_cells``)."""
    return replace(
        inputs, incident_counts=protected_cells(_cells(inputs, methodology), methodology.min_count)
    )


def score_methodology(
    exact: ScoringInputs,
    methodology: Methodology,
    years: list[int] | None = None,
    *,
    draws: int = 1000,
    seed: int = 12345,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Neighbourhood scores (all + each group) and district scores of one methodology.

    Scores are computed from protected cells (privacy.py: every incident cell of 1 to
    ``min_count − 1`` events counts as ``min_count / 2``); the raw columns keep the exact
    rates and every value that contains a small cell is flagged ``suppressed:``. Groups are
    scored without Monte Carlo; districts with at most 200 draws.
    """
    inputs = protected_inputs(exact, methodology)
    # Local Moran runs in worker processes while the rest (groups, districts) is scored here
    prepared = prepare(inputs, methodology, years, protect_small_counts=True)
    main = start_scoring(prepared, inputs.weights, draws=draws, seed=seed)
    marks = marked_inputs(exact, methodology)  # once, for the city, its groups and districts
    scores = with_exact_rates(main.frame, exact, methodology, marks=marks)
    groups = sorted(set(inputs.indicator_values["grp"].unique()) - {DEFAULT_GROUP})
    by_group = [
        with_exact_rates(
            score_city(
                inputs, methodology, years, group=g, draws=0, seed=seed, protect_small_counts=True
            ),
            exact,
            methodology,
            g,
            marks=marks,
        )
        for g in groups
    ]
    districts = None
    if inputs.neighbourhoods["district"].notna().any():
        # the three variants differ only in their incident counts: aggregate the rest once
        by_district = district_inputs(exact)
        districts = with_exact_rates(
            score_districts(
                inputs,
                methodology,
                years,
                draws=min(draws, 200),
                seed=seed,
                protect_small_counts=True,
                districts=with_counts_of(by_district, inputs),
            ),
            by_district,
            methodology,
            marks=with_counts_of(by_district, marks),
        )
    scores["hotspot"] = main.hotspots()  # same index: with_exact_rates keeps the rows
    return pd.concat([scores, *by_group], ignore_index=True), districts


class _StoreChanged(Exception):
    """The store was replaced (another ingest or score) after the inputs were read."""


def save_scores(
    store: Store,
    methodology: Methodology,
    scores: pd.DataFrame,
    districts: pd.DataFrame | None,
    note: str | None = None,
    *,
    read_version: tuple[int, int] | None = None,
    staged: StagedCopy | None = None,
) -> None:
    """Write one methodology's scores (and district scores) in one unit of work.

    With ``read_version`` (the store's version when the inputs were read), nothing is written
    if another writer replaced the store since: :class:`_StoreChanged` is raised under the
    writer lock, so scores never describe data the store no longer holds. ``staged``: the
    store copied while the scores were computed (``Store.staged_copy``).
    """
    with store.writer(staged) as con:
        if read_version is not None and store.version() != read_version:
            raise _StoreChanged
        history = reads.methodology_history(con).iloc[::-1]  # oldest first
        problem = version_conflict(
            zip(history["version"], history["sha256"], history["spec"], strict=True), methodology
        )
        if problem:
            raise ConfigError(problem)
        writes.write_scores(con, methodology, scores, note)
        if districts is not None:
            writes.replace_score_rows(
                con, "district_scores", districts, methodology_sha256(methodology)
            )


_SCORE_ATTEMPTS = 3


def score_store(
    store: Store,
    methodology_file: Path | str | None = None,
    years: list[int] | None = None,
    *,
    draws: int = 1000,
    seed: int = 12345,
    note: str | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
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
        wanted = held_years(exact, methodology, years)
        if progress:
            progress(0, 2, "scoring")
        with store.staged_copy() as staged:  # copied for the write while the city is scored
            scores, districts = _score_by_vintage(store, exact, methodology, wanted, draws, seed)
            stop_workers()  # the hot spots are done: their processes end while the store is written
            if progress:
                progress(1, 2, "writing scores")
            try:
                save_scores(
                    store,
                    methodology,
                    scores,
                    districts,
                    note,
                    read_version=read_version,
                    staged=staged,
                )
                return scores
            except _StoreChanged:
                log.info(
                    "the store changed while scoring (attempt %d); scoring the new data",
                    attempt + 1,
                )
    raise StoreError(
        f"{store.path}: the store kept changing while it was being scored (another "
        "`citygeo ingest` or `citygeo score` running?); run `citygeo score` again when it is done."
    )


def held_years(
    exact: ScoringInputs, methodology: Methodology, years: list[int] | None
) -> list[int]:
    """The years to score: ``years`` (each must be held), or every year with data."""
    held = available_years(exact, methodology)
    if not years:
        return held
    missing = sorted(set(years) - set(held))
    if missing:
        raise InputError(
            f"the store holds no data for {', '.join(map(str, missing))} from every "
            f"source methodology {methodology.version} uses; years held: "
            f"{', '.join(map(str, held))}. Ingest that year's files first "
            "(`citygeo status` lists the years held by source)."
        )
    return sorted(set(years))


def year_vintages(con: Connection, years: list[int]) -> list[tuple[str | None, bool, list[int]]]:
    """Years grouped by the boundaries they are scored on: ``(vintage, carried, years)``.

    A year is on the latest vintage whose first year is not after it. ``vintage`` is None
    for the current boundaries; an earlier vintage linked to the current one by a crosswalk
    is ``carried`` to the current boundaries.
    """
    table = store_years.vintages(con)
    if len(table) < 2:
        return [(None, False, years)]
    last = table["vintage"].iloc[-1]
    linked = {v for v in table["vintage"] if not store_years.crosswalk(con, v, last).empty}
    groups: dict[tuple[str | None, bool], list[int]] = {}
    current = str(last)
    for year in years:
        earlier = table[table["first_year"] <= year]
        vintage = str((earlier if not earlier.empty else table)["vintage"].iloc[-1])
        key = (None, False) if vintage == current else (vintage, vintage in linked)
        groups.setdefault(key, []).append(year)
    return [(v, c, ys) for (v, c), ys in groups.items()]


def _score_by_vintage(
    store: Store,
    exact: ScoringInputs,
    methodology: Methodology,
    years: list[int],
    draws: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Score each group of years on its boundaries; rows say which (``boundary_vintage``)."""
    with store.reader() as con:  # one snapshot (each reader opens the file: ~0.25 s)
        ids = store_years.vintage_ids(con)
        by_vintage = year_vintages(con, years)
    parts, district_parts = [], []
    for vintage, carried, group in by_vintage:
        inputs = exact if vintage is None else vintage_inputs(store, methodology, vintage, carried)
        scores, districts = score_methodology(inputs, methodology, group, draws=draws, seed=seed)
        on = ids[-1] if ids and (vintage is None or carried) else vintage
        for frame in (scores, districts):
            if frame is not None:
                frame["boundary_vintage"] = on
                frame["carried_from_vintage"] = vintage if carried else None
        parts.append(scores)
        if districts is not None:
            district_parts.append(districts)
    scores = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    districts = (
        pd.concat(district_parts, ignore_index=True)
        if len(district_parts) > 1
        else (district_parts[0] if district_parts else None)
    )
    return scores, districts


def available_names(inputs: ScoringInputs) -> tuple[set[str], set[str], set[str], set[str]]:
    survey = inputs.survey_estimates
    return (
        set(inputs.indicator_values["indicator"].unique()),
        set(inputs.incident_counts["category"].unique()),
        set(inputs.asset_counts["kind"].unique()),
        set(survey["item"].unique()) if survey is not None else set(),
    )
