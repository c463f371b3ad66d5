"""Ingest a city: read and validate every source of a city config, then load the store.

All or nothing: everything is read and checked in memory first, then written in one unit of
work on a copy of the store that replaces it only when every table was written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from citygeo.config import CityConfig, CitySettings, load_city_config
from citygeo.errors import InputError
from citygeo.ingest import history
from citygeo.ingest.boundaries import read_boundaries
from citygeo.ingest.community import read_consultations, read_online, read_stakeholders, read_survey
from citygeo.ingest.counts import read_counts, write_counts
from citygeo.ingest.coverage import (
    coverage_text,
    covered_report,
    empty_coverage,
    source_coverage,
    warn_concentrated,
    warn_without_rows,
    write_coverage,
)
from citygeo.ingest.geography import Targets, read_apportioned_indicators
from citygeo.ingest.indicators import read_indicators
from citygeo.ingest.outlines import outline_tables, store_outlines
from citygeo.ingest.points import ingest_points, reassign_points
from citygeo.ingest.readers import read_table
from citygeo.ingest.vintages import BoundaryChange, record_vintage
from citygeo.schema import SOURCE_COLUMNS, TABLES
from citygeo.store import (
    Connection,
    Store,
    append_rows,
    create_schema,
    one_row,
    quote_ident,
    reads,
    replace_table,
    table_columns,
)
from citygeo.store import years as store_years
from citygeo.store.years import DEFAULT_SOURCE

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass
class IngestReport:
    """What an ingest loaded and what it had to repair, guess or leave out."""

    city: str
    config_path: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    points: list[dict[str, object]] = field(default_factory=list)
    boundaries: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)


@dataclass
class _CityFrames:
    neighbourhoods: gpd.GeoDataFrame
    indicator_values: pd.DataFrame
    indicators: pd.DataFrame
    survey: pd.DataFrame | None = None
    online: pd.DataFrame | None = None
    stakeholders: pd.DataFrame | None = None
    consultations: pd.DataFrame | None = None
    counts: pd.DataFrame | None = None
    coverage: pd.DataFrame = field(default_factory=empty_coverage)


def ingest_city(
    config_path: Path | str,
    store: Store,
    *,
    progress: Progress | None = None,
    today: pd.Timestamp | None = None,
    rebuild: bool = False,
) -> IngestReport:
    """Validate and load every source of a city config into ``store`` (all or nothing).

    The new files add to the store's history (DESIGN.md §2, the annual update): a source's
    rows are replaced only for the years its new files hold. ``rebuild``: start from an
    empty store instead (every table, scores included, is dropped first).
    """
    step = _stepper(progress, total=4)
    config = load_city_config(config_path)
    report = IngestReport(city=config.city.name, config_path=str(config.config_path))
    day = (today or pd.Timestamp.today()).normalize().date()
    step("reading boundaries")
    frames = _read_frames(config, report.warnings)
    step("writing the store and assigning points")
    # the display outlines (GEOS, which releases the GIL) are simplified and merged while the
    # store opens and the points are read and assigned; written with the rest, or not at all
    side = ThreadPoolExecutor(1, thread_name_prefix="outlines")
    outlines = side.submit(outline_tables, frames.neighbourhoods)
    with side, store.writer() as con:
        if rebuild:
            history.clear_store(con)
            create_schema(con)
        history.migrate(con)
        change = _write_vintage(con, config, frames, report)
        _write_frames(con, config, frames, report.warnings, day)
        for table in ("incidents", "assets"):
            history.set_aside(con, table)
        for spec in config.points:
            result = ingest_points(con, spec, spec.source, report.warnings, today=today)
            report.points.append(
                {
                    "kind": result.kind,
                    "file": result.path.name,
                    "rows": result.rows,
                    "assigned": result.assigned,
                    "outside": result.outside,
                }
            )
        history.restore(con, "incidents")
        history.confirm(con, "assets", day)
        _report_dropped(report.warnings, "assets", history.restore(con, "assets"))
        if change.changed:
            _reassign_kept(con, report.warnings)
        _write_counted(con, config, frames, report.warnings)
        history.follow_history(con, report.warnings)
        store_outlines(con, outlines.result())
        if change.changed:
            report.warnings.append(change.sentence())
        step("checking what was loaded")
        report.counts = _counts(con)
        con.execute(
            "INSERT INTO ingest_reports VALUES (?, ?, ?, ?)",
            [
                datetime.now(UTC).replace(tzinfo=None),
                config.city.name,
                str(config.config_path),
                report.to_json(),
            ],
        )
    step("done")
    log.info("ingested %s with %d warnings", config.city.name, len(report.warnings))
    return report


def _stepper(progress: Progress | None, total: int) -> Callable[[str], None]:
    done = 0

    def step(label: str) -> None:
        nonlocal done
        if progress:
            progress(done, total, label)
        done += 1

    return step


def _read_frames(config: CityConfig, warnings: list[str]) -> _CityFrames:
    hoods = read_boundaries(config.boundaries, config.city.projected_crs, warnings)
    known = set(hoods["nid"])
    targets = Targets(hoods, config.city.projected_crs or str(hoods.estimate_utm_crs()))
    parts, definitions, coverage = [], [], [source_coverage(config, hoods, targets.crs)]
    for spec in config.indicators:
        if spec.apportioned:
            values, covered = read_apportioned_indicators(spec, targets, warnings)
            coverage.append(covered)
        else:
            values = read_indicators(spec, known, warnings)
            warn_without_rows(values, spec.path, hoods, warnings)
        values["source_id"] = spec.source or DEFAULT_SOURCE["indicator_values"]
        parts.append(values)
        definitions += [(name, spec.source) for name in values["indicator"].unique()]
    values = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["nid", "indicator", "year", "grp", "value", "source_id"])
    )
    dup = values[values.duplicated(["nid", "indicator", "year", "grp"], keep=False)]
    if not dup.empty:
        row = dup.iloc[0]
        raise InputError(
            f"indicator {row['indicator']!r} is given twice for {row['nid']} in "
            f"{row['year']} (group {row['grp']!r}) by two indicator files; "
            "keep it in one file."
        )
    frames = _CityFrames(hoods, values, _indicator_definitions(config, definitions))
    counted = [read_counts(spec, targets, warnings) for spec in config.counts]
    frames.counts = pd.concat([c for c, _ in counted], ignore_index=True) if counted else None
    frames.coverage = pd.concat(
        [f for f in coverage + [c for _, c in counted] if not f.empty] or [empty_coverage()],
        ignore_index=True,
    )
    if config.survey:
        frames.survey = read_survey(config.survey, known, warnings)
    if config.online:
        frames.online = read_online(config.online, known, warnings)
    if config.registers and config.registers.stakeholders:
        frames.stakeholders = read_stakeholders(config.registers.stakeholders, known, warnings)
    if config.registers and config.registers.consultations:
        frames.consultations = read_consultations(
            config.registers.consultations,
            known,
            warnings,
            config.registers.consultations_date_format,
        )
    return frames


def _indicator_definitions(
    config: CityConfig, definitions: list[tuple[str, str | None]]
) -> pd.DataFrame:
    table = pd.DataFrame(definitions, columns=["indicator", "source_id"]).drop_duplicates(
        "indicator"
    )
    table["label"] = table["indicator"]
    table["unit"] = None
    if config.indicator_labels:
        labels = read_table(config.indicator_labels, "indicator labels")
        if "indicator" not in labels.columns or "label" not in labels.columns:
            raise InputError(
                f"{config.indicator_labels}: needs columns 'indicator' and 'label' "
                f"(found: {', '.join(labels.columns)})."
            )
        by_name = labels.set_index("indicator")
        known = table["indicator"].isin(by_name.index)
        table.loc[known, "label"] = by_name.loc[table.loc[known, "indicator"], "label"].to_numpy()
        if "unit" in by_name:
            table.loc[known, "unit"] = by_name.loc[table.loc[known, "indicator"], "unit"].to_numpy()
    return table[["indicator", "label", "unit", "source_id"]]


def _delivered_years(frames: _CityFrames) -> list[int]:
    """The years the new year-keyed files hold (indicators, survey, online, consultations)."""
    years: set[int] = set(frames.indicator_values["year"].dropna().astype(int))
    if frames.survey is not None:
        years |= set(frames.survey["year"].dropna().astype(int))
    for frame, column in ((frames.online, "period"), (frames.consultations, "date")):
        if frame is not None and not frame.empty:
            years |= set(pd.to_datetime(frame[column]).dt.year.dropna().astype(int))
    return sorted(years)


def _write_vintage(
    con: Connection, config: CityConfig, frames: _CityFrames, report: IngestReport
) -> BoundaryChange:
    """Keep the boundary file as a vintage; the current one becomes ``neighbourhoods``."""
    years = _delivered_years(frames) or [y for *_, y, _ in store_years.held_years(con)]
    first_year = min(years) if years else date.today().year
    crs = config.city.projected_crs or frames.neighbourhoods.estimate_utm_crs().to_string()
    change = record_vintage(
        con,
        frames.neighbourhoods,
        config.boundaries.path,
        first_year,
        crs,
        config.boundaries.crosswalk,
    )
    report.boundaries = {
        "vintage": change.vintage,
        "previous": change.previous,
        "first_year": change.first_year,
        "added": change.added,
        "removed": change.removed,
        "redrawn": change.redrawn,
        "crosswalk_rows": change.crosswalk_rows,
    }
    hoods = pd.DataFrame(frames.neighbourhoods.drop(columns="geometry"))
    hoods["geom_wkb"] = shapely.to_wkb(frames.neighbourhoods.geometry.to_numpy())
    replace_table(con, "neighbourhoods", hoods, geometry={"geom": "geom_wkb"})
    return change


def _write_frames(
    con: Connection, config: CityConfig, frames: _CityFrames, warnings: list[str], day: date
) -> None:
    definitions = frames.indicators
    con.register("__new_indicators", definitions[["indicator"]])
    con.execute(
        "DELETE FROM indicators WHERE indicator IN (SELECT indicator FROM __new_indicators)"
    )
    con.unregister("__new_indicators")
    append_rows(con, "indicators", definitions)
    _by_year(con, "indicator_values", frames.indicator_values)
    _upsert_sources(con, _sources(config, frames.coverage))
    replace_table(con, "city", _city_settings(config))
    _replace_survey(con, config, frames.survey)
    registers = config.registers
    _by_year(
        con,
        "online_signals",
        _with_source(frames.online, config.online.source if config.online else None),
    )
    _by_year(
        con,
        "consultations",
        _with_source(
            frames.consultations,
            (registers.consultations_source or registers.source) if registers else None,
        ),
    )
    history.set_aside(con, "stakeholders")
    if frames.stakeholders is not None:
        append_rows(
            con,
            "stakeholders",
            _with_source(frames.stakeholders, registers.source if registers else None),
        )
    history.confirm(con, "stakeholders", day)
    _report_dropped(warnings, "stakeholders", history.restore(con, "stakeholders"))


def _with_source(frame: pd.DataFrame | None, source: str | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    frame = frame.copy()
    frame["source_id"] = source
    return frame


def _by_year(con: Connection, table: str, frame: pd.DataFrame | None) -> None:
    """Replace ``table``'s rows of the (source, year) pairs ``frame`` holds; keep the rest."""
    history.set_aside(con, table)
    if frame is not None:
        append_rows(con, table, frame)
    history.restore(con, table)


def _reassign_kept(con: Connection, warnings: list[str]) -> None:
    """After a boundary change, put the points kept from earlier deliveries in the
    neighbourhoods of the new boundaries (they were assigned on the old ones)."""
    moved = {table: reassign_points(con, table) for table in ("incidents", "assets")}
    if any(moved.values()):
        warnings.append(
            "points kept from earlier deliveries were assigned again on the new boundaries: "
            + ", ".join(f"{n} {table} changed neighbourhood" for table, n in moved.items() if n)
        )


def _report_dropped(warnings: list[str], table: str, dropped: list[str]) -> None:
    if dropped:
        warnings.append(
            f"{table}: {len(dropped)} rows are no longer in the register their "
            f"source delivered and were removed from the current state: "
            f"{', '.join(dropped[:5])}{' …' if len(dropped) > 5 else ''}"
        )


def _upsert_sources(con: Connection, sources: pd.DataFrame) -> None:
    """The config's sources replace theirs; sources the config no longer names stay."""
    con.register("__new_sources", sources[["source_id"]])
    con.execute("DELETE FROM sources WHERE source_id IN (SELECT source_id FROM __new_sources)")
    con.unregister("__new_sources")
    append_rows(con, "sources", sources)


def _write_counted(
    con: Connection, config: CityConfig, frames: _CityFrames, warnings: list[str]
) -> None:
    """Counts, coverage and the coverage hints (after the points: they are checked against them)."""
    write_counts(con, frames.counts if frames.counts is not None else pd.DataFrame())
    write_coverage(con, frames.coverage, set(config.sources))
    covered_report(frames.coverage, {k: s.name for k, s in config.sources.items()}, warnings)
    warn_concentrated(con, config, warnings)


def _replace_survey(con: Connection, config: CityConfig, survey: pd.DataFrame | None) -> None:
    """Recreate ``survey_responses`` with the config's group columns (and every group column
    of kept years), then replace the delivered (source, year) pairs."""
    groups = config.survey.groups if config.survey else []
    history.set_aside(con, "survey_responses")
    kept = [
        c
        for c in table_columns(con, "__kept_survey_responses")
        if c not in reads.SURVEY_BASE_COLUMNS
    ]
    columns = TABLES["survey_responses"]
    extra = "".join(f", {quote_ident(g)} VARCHAR" for g in dict.fromkeys([*groups, *kept]))
    con.execute("DROP TABLE IF EXISTS survey_responses")
    con.execute(f"CREATE TABLE survey_responses ({columns}{extra})")
    if survey is not None:
        assert config.survey is not None  # survey answers are read only from a [survey] table
        append_rows(con, "survey_responses", _with_source(survey, config.survey.source))
    history.restore(con, "survey_responses")


def _sources(config: CityConfig, coverage: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {
            "source_id": key,
            **spec.model_dump(),
            "coverage": coverage_text(key, spec, coverage),
            "collected_config": spec.collected,
        }
        for key, spec in config.sources.items()
    ]
    columns = [*SOURCE_COLUMNS, "collected_config"]
    return pd.DataFrame(rows, columns=columns)


def _city_settings(config: CityConfig) -> pd.DataFrame:
    settings = CitySettings(
        **config.city.model_dump(),
        config_path=str(config.config_path),
        methodology_path=str(config.methodology.path) if config.methodology else "",
    )
    values = settings.model_dump(mode="json")
    return pd.DataFrame({"key": list(values), "value": [json.dumps(v) for v in values.values()]})


def _counts(con: Connection) -> dict[str, int]:
    tables = [
        "neighbourhoods",
        "indicator_values",
        "incidents",
        "incident_counts",
        "assets",
        "survey_responses",
        "online_signals",
        "stakeholders",
        "consultations",
        "sources",
    ]
    return {
        t: int(one_row(con.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchone())[0])
        for t in tables
    }


__all__ = ["IngestReport", "ingest_city"]
