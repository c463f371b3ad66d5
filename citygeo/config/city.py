"""The city configuration (DESIGN.md §3): one TOML file, validated into frozen objects."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import pyproj
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from citygeo.errors import ConfigError, format_problems
from citygeo.rules.freshness import parse_collected, parse_duration
from citygeo.settings import Mode


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CitySpec(_Spec):
    name: str
    projected_crs: str | None = None
    fictional: bool = False
    description: str = ""
    analyst_mode: bool = False
    allow_outside_paths: bool = False
    basemap: bool = False
    language: Literal["en", "fr", "ar"] = "en"  # the dashboard's and printout's default (?lang=)


class CitySettings(CitySpec):
    """The ``[city]`` settings as the last ingest recorded them in the store (typed, stored as
    JSON), with where the config and its methodology were."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = ""
    config_path: str = ""
    methodology_path: str = ""

    @property
    def mode(self) -> Mode:
        """Public unless the city config switches the analyst mode on (DESIGN.md §6)."""
        return Mode.ANALYST if self.analyst_mode else Mode.PUBLIC


class BoundariesSpec(_Spec):
    path: Path
    id: str
    name: str | None = None
    district: str | None = None
    population: str | None = None
    source_crs: str | None = None
    layer: str | None = None
    source: str | None = None
    crosswalk: Path | None = None  # old code → new code after a boundary change (annual update)


class _Geography(_Spec):
    """Keys of a table keyed by another set of areas (DESIGN.md §3 "Real-world inputs")."""

    geography: Path | None = None
    geography_id: str | None = None
    apportion: Literal["area", "population"] = "area"
    geography_population: str | None = None
    geography_layer: str | None = None
    extensive: list[str] = Field(default_factory=list)
    crosswalk: Path | None = None

    @model_validator(mode="after")
    def _geography_keys(self) -> _Geography:
        if self.geography and self.crosswalk:
            raise ValueError(
                "give either `geography` (a polygon file) or `crosswalk` (a table "
                "from, to, weight), not both"
            )
        if self.geography and not self.geography_id:
            raise ValueError(
                "`geography` needs `geography_id`: the column of the geography file "
                "that holds the codes this table is keyed by"
            )
        if self.apportion == "population" and not self.geography_population:
            raise ValueError(
                'apportion = "population" needs `geography_population`: the column '
                "(of the geography file or of this table) with each area's population"
            )
        if self.apportion == "population" and not self.geography:
            raise ValueError('apportion = "population" needs `geography` (a polygon file)')
        return self

    @property
    def apportioned(self) -> bool:
        """Whether the table is keyed by other areas than the neighbourhoods."""
        return bool(self.geography or self.crosswalk)


class IndicatorsSpec(_Geography):
    path: Path
    id: str
    year: int | str
    group: str | None = None
    columns: list[str] | None = None
    source: str | None = None
    sheet: str | int | None = None
    na_values: list[str] = Field(default_factory=list)


class CountsSpec(_Geography):
    """Incidents already counted per area, period and category (``[[counts]]``)."""

    path: Path
    id: str
    period: str
    count: str
    category: str | None = None
    date_format: str | None = None
    source: str | None = None
    sheet: str | int | None = None


class PointsSpec(_Spec):
    kind: Literal["incidents", "assets"]
    path: Path
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str | None = None
    id: str | None = None
    date: str | None = None
    date_format: str | None = None
    duplicate_ids: Literal["error", "count_once"] = "error"
    category: str | None = None
    name: str | None = None
    formal: str | None = None
    themes: str | None = None
    source: str | None = None
    layer: str | None = None

    @model_validator(mode="after")
    def _coordinates(self) -> PointsSpec:
        is_csv = self.path.suffix.lower() in {".csv", ".txt", ".tsv"}
        if is_csv and not ((self.lon and self.lat) or (self.x and self.y)):
            raise ValueError(
                "a CSV of points needs `lon` and `lat` (or `x`, `y` and `crs`) columns"
            )
        if self.x and not self.crs:
            raise ValueError('`x`/`y` coordinates need `crs` (for example crs = "EPSG:32633")')
        if self.kind == "incidents" and is_csv and not self.date:
            raise ValueError("incidents need a `date` column")
        if self.date_format and not self.date:
            raise ValueError("`date_format` needs the `date` column it describes")
        if self.duplicate_ids == "count_once" and not self.id:
            raise ValueError('`duplicate_ids = "count_once"` needs the `id` column')
        return self


class SurveySpec(_Spec):
    path: Path
    id: str = "nid"
    year: int | str = "year"
    weight: str | None = "weight"
    groups: list[str] = Field(default_factory=list)
    items: list[str]
    respondent: str | None = "response_id"
    source: str | None = None


class OnlineSpec(_Spec):
    path: Path
    source: str | None = None
    date_format: str | None = None


class RegistersSpec(_Spec):
    stakeholders: Path | None = None
    consultations: Path | None = None
    source: str | None = None
    consultations_source: str | None = None
    consultations_date_format: str | None = None


class SourceSpec(_Spec):
    name: str
    owner: str = ""
    licence: str = ""
    collected: str = ""
    refresh: str = ""
    method: str = ""
    known_biases: str = ""
    coverage: str | list[str] = ""

    @property
    def coverage_file(self) -> Path | None:
        """The polygon file ``coverage`` names (a text ending in a vector file suffix), or None."""
        if (
            isinstance(self.coverage, str)
            and Path(self.coverage).suffix.lower() in COVERAGE_SUFFIXES
        ):
            return Path(self.coverage)
        return None

    @property
    def coverage_areas(self) -> list[str]:
        """The districts or neighbourhood codes ``coverage`` lists (empty: not a list)."""
        return list(self.coverage) if isinstance(self.coverage, list) else []


COVERAGE_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb"}


class MethodologyRef(_Spec):
    path: Path


class CityConfig(_Spec):
    """A validated city config; every path is absolute (resolved against the config's folder)."""

    config_path: Path
    city: CitySpec
    boundaries: BoundariesSpec
    indicators: list[IndicatorsSpec] = Field(default_factory=list)
    points: list[PointsSpec] = Field(default_factory=list)
    counts: list[CountsSpec] = Field(default_factory=list)
    survey: SurveySpec | None = None
    online: OnlineSpec | None = None
    registers: RegistersSpec | None = None
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    methodology: MethodologyRef | None = None
    indicator_labels: Path | None = None

    def source_references(self) -> list[tuple[str, str]]:
        """Every (section, source id) the config refers to."""
        refs: list[tuple[str, str | None]] = [("boundaries", self.boundaries.source)]
        refs += [
            (f"indicators[{i}] ({s.path.name})", s.source) for i, s in enumerate(self.indicators)
        ]
        refs += [(f"points[{i}] ({s.kind})", s.source) for i, s in enumerate(self.points)]
        refs += [(f"counts[{i}] ({s.path.name})", s.source) for i, s in enumerate(self.counts)]
        if self.survey:
            refs.append(("survey", self.survey.source))
        if self.online:
            refs.append(("online", self.online.source))
        if self.registers:
            refs.append(("registers", self.registers.source))
            refs.append(("registers.consultations_source", self.registers.consultations_source))
        return [(where, ref) for where, ref in refs if ref]


def load_city_config(path: Path | str) -> CityConfig:
    """Read and validate a city TOML file; every problem is reported at once as ConfigError."""
    path = Path(path)
    raw = _read_toml(path)
    raw = dict(raw)
    raw["config_path"] = path.resolve()
    try:
        config = CityConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(
            format_problems(
                f"{path}: the city config is not valid:",
                [_pydantic_problem(e) for e in err.errors()],
            )
        ) from err
    config = _resolve_paths(config)
    _check(config)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save the file as UTF-8."
        ) from err
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: TOML syntax error: {err}") from err


def _pydantic_problem(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against DESIGN.md §3)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"[{where}] {message}"


def _resolve_paths(config: CityConfig) -> CityConfig:
    base = config.config_path.parent
    allow = config.city.allow_outside_paths
    problems: list[str] = []

    def fix(spec: Any, field: str, where: str) -> Any:
        value = getattr(spec, field)
        if value is None:
            return spec
        resolved = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
        if not allow and not resolved.is_relative_to(base):
            problems.append(
                f"[{where}] path {value} points outside the config's folder {base}; "
                "move the file there or set `allow_outside_paths = true` in [city]"
            )
        return spec.model_copy(update={field: resolved})

    boundaries = fix(config.boundaries, "path", "boundaries.path")
    update: dict[str, Any] = {"boundaries": fix(boundaries, "crosswalk", "boundaries.crosswalk")}
    update["indicators"] = [
        _fix_all(fix, s, f"indicators[{i}]", ("path", "geography", "crosswalk"))
        for i, s in enumerate(config.indicators)
    ]
    update["points"] = [fix(s, "path", f"points[{i}].path") for i, s in enumerate(config.points)]
    update["counts"] = [
        _fix_all(fix, s, f"counts[{i}]", ("path", "geography", "crosswalk"))
        for i, s in enumerate(config.counts)
    ]
    update["sources"] = {
        key: (
            source.model_copy(
                update={
                    "coverage": str(
                        fix(
                            _CoveragePath(path=source.coverage_file),
                            "path",
                            f"sources.{key}.coverage",
                        ).path
                    )
                }
            )
            if source.coverage_file
            else source
        )
        for key, source in config.sources.items()
    }
    if config.survey:
        update["survey"] = fix(config.survey, "path", "survey.path")
    if config.online:
        update["online"] = fix(config.online, "path", "online.path")
    if config.registers:
        reg = fix(config.registers, "stakeholders", "registers.stakeholders")
        update["registers"] = fix(reg, "consultations", "registers.consultations")
    if config.indicator_labels:
        update["indicator_labels"] = fix(
            config, "indicator_labels", "indicator_labels"
        ).indicator_labels
    if config.methodology:
        update["methodology"] = fix(config.methodology, "path", "methodology.path")
    if problems:
        raise ConfigError(
            format_problems(f"{config.config_path}: paths are not allowed:", problems)
        )
    return config.model_copy(update=update)


class _CoveragePath(_Spec):
    path: Path


def _fix_all(fix: Any, spec: Any, where: str, fields: tuple[str, ...]) -> Any:
    for name in fields:
        spec = fix(spec, name, f"{where}.{name}")
    return spec


def _check(config: CityConfig) -> None:
    problems = []
    for where, ref in config.source_references():
        if ref not in config.sources:
            known = ", ".join(sorted(config.sources)) or "none defined"
            problems.append(
                f"[{where}] refers to source {ref!r}, which has no [sources.{ref}] "
                f"table (known sources: {known})"
            )
    for key, source in config.sources.items():
        for field, parse in (("refresh", parse_duration), ("collected", parse_collected)):
            value = getattr(source, field)
            if value:
                try:
                    parse(value)
                except ConfigError as err:
                    problems.append(f"[sources.{key}] {field}: {err}")
    if problems:
        raise ConfigError(format_problems(f"{config.config_path}: invalid sources:", problems))
    if config.city.projected_crs:
        _check_projected_crs(config.config_path, config.city.projected_crs)


def _check_projected_crs(config_path: Path, name: str) -> None:
    problem = projected_crs_problem(name)
    if problem:
        raise ConfigError(f"{config_path}: {problem}")


def projected_crs_problem(name: str) -> str | None:
    """What is wrong with ``[city] projected_crs`` (a known CRS that measures in metres or feet)."""
    try:
        crs = pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError as err:
        return (
            f"[city] projected_crs {name!r} is not a known CRS ({err}); use a projected CRS "
            'of the city such as its UTM zone, e.g. "EPSG:32633".'
        )
    if not crs.is_projected:
        return (
            f"[city] projected_crs {name!r} ({crs.name}) is not a projected CRS, so it cannot "
            "measure areas; use one in metres such as the city's UTM zone."
        )
    return None
