"""Ingest a city: read and validate every source of a city config, then load the store.

All or nothing: everything is read and checked in memory first, then written in one unit of
work on a copy of the store that replaces it only when every table was written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from citygeo.config import CityConfig, CitySettings, load_city_config
from citygeo.errors import InputError
from citygeo.ingest.boundaries import read_boundaries
from citygeo.ingest.counts import read_counts, write_counts
from citygeo.ingest.coverage import (coverage_text, covered_report, empty_coverage, source_coverage,
                                     warn_concentrated, warn_without_rows, write_coverage)
from citygeo.ingest.geography import Targets, read_apportioned_indicators
from citygeo.ingest.community import read_consultations, read_online, read_stakeholders, read_survey
from citygeo.ingest.indicators import read_indicators
from citygeo.ingest.outlines import write_outlines
from citygeo.ingest.points import ingest_points
from citygeo.ingest.readers import read_table
from citygeo.schema import TABLES
from citygeo.store import Connection, Store, append_rows, quote_ident, replace_table

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


def ingest_city(config_path: Path | str, store: Store, *, progress: Progress | None = None,
                today: pd.Timestamp | None = None) -> IngestReport:
    """Validate and load every source of a city config into ``store`` (all or nothing)."""
    step = _stepper(progress, total=4)
    config = load_city_config(config_path)
    report = IngestReport(city=config.city.name, config_path=str(config.config_path))
    step("reading boundaries")
    frames = _read_frames(config, report.warnings)
    step("writing the store and assigning points")
    with store.writer() as con:
        _write_frames(con, config, frames)
        for spec in config.points:
            result = ingest_points(con, spec, spec.source, report.warnings, today=today)
            report.points.append({"kind": result.kind, "file": result.path.name, "rows": result.rows,
                                  "assigned": result.assigned, "outside": result.outside})
        _write_counted(con, config, frames, report.warnings)
        step("checking what was loaded")
        report.counts = _counts(con)
        con.execute("INSERT INTO ingest_reports VALUES (?, ?, ?, ?)",
                    [datetime.now(timezone.utc).replace(tzinfo=None), config.city.name,
                     str(config.config_path), report.to_json()])
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
        parts.append(values)
        definitions += [(name, spec.source) for name in values["indicator"].unique()]
    values = (pd.concat(parts, ignore_index=True) if parts
              else pd.DataFrame(columns=["nid", "indicator", "year", "grp", "value"]))
    dup = values[values.duplicated(["nid", "indicator", "year", "grp"], keep=False)]
    if not dup.empty:
        row = dup.iloc[0]
        raise InputError(f"indicator {row['indicator']!r} is given twice for {row['nid']} in "
                         f"{row['year']} (group {row['grp']!r}) by two indicator files; "
                         "keep it in one file.")
    frames = _CityFrames(hoods, values, _indicator_definitions(config, definitions))
    counted = [read_counts(spec, targets, warnings) for spec in config.counts]
    frames.counts = pd.concat([c for c, _ in counted], ignore_index=True) if counted else None
    frames.coverage = pd.concat([f for f in coverage + [c for _, c in counted] if not f.empty]
                                or [empty_coverage()], ignore_index=True)
    if config.survey:
        frames.survey = read_survey(config.survey, known, warnings)
    if config.online:
        frames.online = read_online(config.online, known, warnings)
    if config.registers and config.registers.stakeholders:
        frames.stakeholders = read_stakeholders(config.registers.stakeholders, known, warnings)
    if config.registers and config.registers.consultations:
        frames.consultations = read_consultations(
            config.registers.consultations, known, warnings,
            config.registers.consultations_date_format)
    return frames


def _indicator_definitions(config: CityConfig, definitions: list[tuple[str, str | None]]) -> pd.DataFrame:
    table = pd.DataFrame(definitions, columns=["indicator", "source_id"]).drop_duplicates("indicator")
    table["label"] = table["indicator"]
    table["unit"] = None
    if config.indicator_labels:
        labels = read_table(config.indicator_labels, "indicator labels")
        if "indicator" not in labels.columns or "label" not in labels.columns:
            raise InputError(f"{config.indicator_labels}: needs columns 'indicator' and 'label' "
                             f"(found: {', '.join(labels.columns)}).")
        by_name = labels.set_index("indicator")
        known = table["indicator"].isin(by_name.index)
        table.loc[known, "label"] = by_name.loc[table.loc[known, "indicator"], "label"].to_numpy()
        if "unit" in by_name:
            table.loc[known, "unit"] = by_name.loc[table.loc[known, "indicator"], "unit"].to_numpy()
    return table[["indicator", "label", "unit", "source_id"]]


def _write_frames(con: Connection, config: CityConfig, frames: _CityFrames) -> None:
    hoods = pd.DataFrame(frames.neighbourhoods.drop(columns="geometry"))
    hoods["geom_wkb"] = shapely.to_wkb(frames.neighbourhoods.geometry.to_numpy())
    for table in ("incidents", "assets"):
        con.execute(f"DELETE FROM {table}")
    replace_table(con, "neighbourhoods", hoods, geometry={"geom": "geom_wkb"})
    write_outlines(con, frames.neighbourhoods)
    replace_table(con, "indicators", frames.indicators)
    replace_table(con, "indicator_values", frames.indicator_values)
    replace_table(con, "sources", _sources(config, frames.coverage))
    replace_table(con, "city", _city_settings(config))
    _replace_survey(con, config, frames.survey)
    for table, frame in (("online_signals", frames.online), ("stakeholders", frames.stakeholders),
                         ("consultations", frames.consultations)):
        con.execute(f"DELETE FROM {table}")
        if frame is not None:
            append_rows(con, table, frame)


def _write_counted(con: Connection, config: CityConfig, frames: _CityFrames,
                   warnings: list[str]) -> None:
    """Counts, coverage and the coverage hints (after the points: they are checked against them)."""
    write_counts(con, frames.counts if frames.counts is not None else pd.DataFrame())
    write_coverage(con, frames.coverage)
    covered_report(frames.coverage, {k: s.name for k, s in config.sources.items()}, warnings)
    warn_concentrated(con, config, warnings)


def _replace_survey(con: Connection, config: CityConfig, survey: pd.DataFrame | None) -> None:
    groups = config.survey.groups if config.survey else []
    columns = TABLES["survey_responses"]
    extra = "".join(f", {quote_ident(g)} VARCHAR" for g in groups)
    con.execute("DROP TABLE IF EXISTS survey_responses")
    con.execute(f"CREATE TABLE survey_responses ({columns}{extra})")
    if survey is not None:
        append_rows(con, "survey_responses", survey)


def _sources(config: CityConfig, coverage: pd.DataFrame) -> pd.DataFrame:
    rows = [{"source_id": key, **spec.model_dump(), "coverage": coverage_text(key, spec, coverage)}
            for key, spec in config.sources.items()]
    columns = ["source_id", "name", "owner", "licence", "collected", "refresh", "method",
               "known_biases", "coverage"]
    return pd.DataFrame(rows, columns=columns)


def _city_settings(config: CityConfig) -> pd.DataFrame:
    settings = CitySettings(**config.city.model_dump(), config_path=str(config.config_path),
                            methodology_path=str(config.methodology.path) if config.methodology else "")
    values = settings.model_dump(mode="json")
    return pd.DataFrame({"key": list(values), "value": [json.dumps(v) for v in values.values()]})


def _counts(con: Connection) -> dict[str, int]:
    tables = ["neighbourhoods", "indicator_values", "incidents", "incident_counts", "assets",
              "survey_responses",
              "online_signals", "stakeholders", "consultations", "sources"]
    return {t: int(con.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchone()[0]) for t in tables}


__all__ = ["IngestReport", "ingest_city"]
