"""Use cases shared by the CLI and the dashboard (L3): build the demo, ingest, score."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from citygeo.errors import StoreError
from citygeo.rules.freshness import overdue_sources
from citygeo.ingest import IngestReport, ingest_city
from citygeo.rules.privacy import (atom_counts, category_atoms, count_column, flag_small_cells,
                             protected_cells, public_scores, small_cell_marks)
from citygeo.schema import DEFAULT_GROUP, raw_column
from citygeo.scoring import (Methodology, ScoringInputs, canonical_json, estimate_survey,
                             load_methodology, methodology_sha256, queen_weights, score_city,
                             score_districts, build_measures, district_inputs,
                             survey_statistics, validate_against)
from citygeo.settings import demo_data_dir
from citygeo.store import (CURRENT_METHODOLOGY_COLUMNS, Connection, Store, append_rows,
                           current_score_rows, ensure_columns, quote_ident)
from citygeo.store import current_methodologies as store_current_methodologies

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def demo_config_path() -> Path:
    """The bundled fictional city's config file."""
    path = demo_data_dir() / "city.toml"
    if not path.is_file():
        raise StoreError(f"The demo city's files are missing ({path}). Run citygeo from a clone of "
                         "the repository (pip install -e .) or regenerate them with "
                         "`python -m citygeo.demo`.")
    return path


def build_demo(store: Store, *, progress: Progress | None = None, draws: int = 1000) -> IngestReport:
    """Ingest and score the bundled fictional demo city."""
    report = ingest_city(demo_config_path(), store, progress=progress)
    score_store(store, draws=draws, progress=progress)
    return report


def city_settings(store: Store) -> dict[str, str]:
    """The ``[city]`` settings recorded by the last ingest (name, fictional, …)."""
    if not store.exists() or "city" not in store.tables():
        return {}
    frame = store.query("SELECT key, value FROM city")
    return dict(zip(frame["key"], frame["value"], strict=True))


# -- scoring -------------------------------------------------------------------------------
def methodology_path_for(store: Store, override: Path | str | None = None) -> Path:
    """The methodology file to score with: the one given, else the city config's."""
    if override:
        return Path(override)
    configured = city_settings(store).get("methodology_path", "")
    if not configured:
        raise StoreError("No methodology given and the city config has no [methodology] path; "
                         "pass --methodology FILE.")
    return Path(configured)


def scoring_inputs(store: Store, methodology: Methodology) -> ScoringInputs:
    """Read what the scoring engine needs from the store (plain DataFrames, queen weights)."""
    hoods = store.neighbourhoods(geometry=True)
    values = store.query("SELECT nid, indicator, year, grp, value FROM indicator_values")
    incidents = store.query(
        "SELECT nid, CAST(year(occurred_on) AS INTEGER) AS year, category, count(*) AS count "
        "FROM incidents WHERE nid IS NOT NULL AND occurred_on IS NOT NULL GROUP BY ALL")
    assets = store.query(
        "SELECT nid, kind, theme, count(*) AS count FROM ("
        "  SELECT nid, kind, unnest(CASE WHEN len(themes) = 0 THEN [NULL] ELSE themes END) AS theme"
        "  FROM assets WHERE nid IS NOT NULL) GROUP BY ALL")
    with store.reader() as con:  # through Arrow: DuckDB's .df() converts text columns ~3× slower
        responses = con.execute("SELECT * EXCLUDE (response_id) FROM survey_responses"
                                ).arrow().read_all().to_pandas()
    groups = [c for c in responses.columns if c not in {"nid", "year", "weight", "item", "value"}]
    survey = (estimate_survey(responses, groups, survey_statistics(methodology))
              if not responses.empty else None)
    return ScoringInputs(
        neighbourhoods=pd.DataFrame(hoods.drop(columns="geometry")),
        indicator_values=values, incident_counts=incidents, asset_counts=assets,
        survey_estimates=survey, weights=queen_weights(hoods, "nid"))


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
    protect = {"protect_small_counts": True, "seed": seed}
    scores = with_exact_rates(score_city(inputs, methodology, years, draws=draws, **protect),
                              exact, methodology)
    groups = sorted(set(inputs.indicator_values["grp"].unique()) - {DEFAULT_GROUP})
    by_group = [with_exact_rates(score_city(inputs, methodology, years, group=g, draws=0, **protect),
                                 exact, methodology, g) for g in groups]
    scores = pd.concat([scores, *by_group], ignore_index=True)
    districts = None
    if inputs.neighbourhoods["district"].notna().any():
        districts = with_exact_rates(
            score_districts(inputs, methodology, years, draws=min(draws, 200), **protect),
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
        write_scores(con, methodology, scores, note)
        if districts is not None:
            _replace_score_rows(con, "district_scores", districts, methodology_sha256(methodology))


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


def _sql_type(series: pd.Series) -> str:
    if series.name == "flags":
        return "VARCHAR[]"
    if pd.api.types.is_bool_dtype(series):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(series):
        return "BIGINT"
    if pd.api.types.is_numeric_dtype(series):
        return "DOUBLE"
    return "VARCHAR"


def write_scores(con: Connection, methodology: Methodology, scores: pd.DataFrame,
                 note: str | None = None) -> None:
    """Record the methodology and replace its score rows for the years in ``scores``."""
    sha = methodology_sha256(methodology)
    con.execute("DELETE FROM methodologies WHERE sha256 = ?", [sha])
    con.execute("INSERT INTO methodologies VALUES (?, ?, ?, ?, ?)",
                [methodology.version, sha, canonical_json(methodology),
                 note if note is not None else methodology.note,
                 datetime.now(timezone.utc).replace(tzinfo=None)])
    _replace_score_rows(con, "scores", scores, sha)


def _replace_score_rows(con: Connection, table: str, scores: pd.DataFrame, sha: str) -> None:
    """Replace the rows of one methodology and its years in a scores-like table."""
    frame = scores.copy()
    frame["flags"] = frame["flags"].map(
        lambda f: [str(x) for x in f] if isinstance(f, (list, tuple, np.ndarray)) else [])
    columns = {str(c): _sql_type(frame[c]) for c in frame.columns}
    con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} (nid VARCHAR, year INTEGER, "
                "grp VARCHAR, methodology_sha256 VARCHAR)")
    ensure_columns(con, table, columns)
    years = sorted(int(y) for y in frame["year"].unique())
    con.execute(f"DELETE FROM {quote_ident(table)} WHERE methodology_sha256 = ? "
                "AND list_contains(?, year)", [sha, years])
    append_rows(con, table, frame)


# -- reading scores ------------------------------------------------------------------------
def current_methodologies(store: Store) -> pd.DataFrame:
    """Per year, the methodology whose scores are current (the most recently saved one)."""
    if not store.exists():
        return pd.DataFrame(columns=CURRENT_METHODOLOGY_COLUMNS)
    with store.reader() as con:
        return store_current_methodologies(con)


def current_scores(store: Store, year: int | None = None, grp: str = DEFAULT_GROUP, *,
                   public: bool = True, table: str = "scores") -> pd.DataFrame:
    """The current scores (per year, of the latest methodology), public view by default."""
    if not store.exists():
        return pd.DataFrame()
    with store.reader() as con:
        frame = current_score_rows(con, table, grp=grp, year=year)
    return public_scores(frame) if public and not frame.empty else frame


def current_district_scores(store: Store, year: int | None = None, grp: str = DEFAULT_GROUP, *,
                            public: bool = True) -> pd.DataFrame:
    """The current district scores (same methodologies as :func:`current_scores`), public
    view by default."""
    return current_scores(store, year, grp, public=public, table="district_scores")


# -- status ---------------------------------------------------------------------------------
STATUS_TABLES = ("neighbourhoods", "indicator_values", "incidents", "assets", "stakeholders",
                 "survey_responses", "online_signals", "consultations", "sources")


def store_status(store: Store, as_of: date) -> dict[str, object]:
    """What the store holds and which sources are overdue for review (``citygeo status``)."""
    tables = store.tables()
    counts = {t: store.count(t) for t in STATUS_TABLES if t in tables}
    years = (store.query("SELECT DISTINCT year FROM indicator_values ORDER BY year")["year"].tolist()
             if "indicator_values" in tables else [])
    last = (store.query("SELECT ingested_at, report FROM ingest_reports ORDER BY ingested_at DESC LIMIT 1")
            if "ingest_reports" in tables else pd.DataFrame())
    sources = store.query("SELECT * FROM sources") if "sources" in tables else pd.DataFrame()
    overdue = overdue_sources(sources, as_of) if not sources.empty else pd.DataFrame()
    return {
        "settings": city_settings(store),
        "counts": counts,
        "indicator_years": [int(y) for y in years],
        "scored": current_methodologies(store),
        "last_ingest": None if last.empty else last["ingested_at"].iloc[0],
        "last_ingest_warnings": (0 if last.empty else
                                 len(json.loads(last["report"].iloc[0]).get("warnings", []))),
        "freshness": overdue,
    }
