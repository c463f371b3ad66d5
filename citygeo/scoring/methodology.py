"""The methodology file (DESIGN.md §3): validated, frozen, hashable.

``load_methodology(path)`` reads the TOML file and returns a :class:`Methodology`, or
raises :class:`~citygeo.errors.ConfigError` listing every problem with the file and
the field it is in. ``validate_against`` checks a methodology against the data in a
store. ``canonical_json`` / ``methodology_sha256`` give the fingerprint stored with
every score row.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from citygeo.errors import ConfigError, format_problems
from citygeo.scoring.aggregate import AGGREGATIONS
from citygeo.scoring.normalise import NORMALISATIONS

__all__ = [
    "Domain",
    "Measure",
    "Methodology",
    "canonical_json",
    "load_methodology",
    "methodology_sha256",
    "validate_against",
    "version_conflict",
]

MEASURE_SOURCES: tuple[str, ...] = ("indicator", "incidents", "assets", "survey")
SURVEY_TRANSFORMS: tuple[str, ...] = ("mean", "share_at_least:<k>")
_FIELDS_BY_SOURCE: dict[str, set[str]] = {
    "indicator": {"indicator", "group"},
    "incidents": {"categories", "per", "denominator", "smoothing"},
    "assets": {"kinds", "themes", "per", "denominator"},
    "survey": {"item", "transform"},
}
_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Domain(BaseModel):
    """A group of measures feeding one index."""

    model_config = _FROZEN

    id: str = Field(min_length=1)
    label: str | None = None
    index: Literal["risk", "protective"]
    weight: float = Field(default=1.0, ge=0)


class Measure(BaseModel):
    """One measure: an indicator column, an incident or asset rate, or a survey estimate."""

    model_config = _FROZEN

    id: str = Field(min_length=1)
    label: str | None = None
    domain: str
    direction: Literal["risk", "protective"]
    weight: float = Field(default=1.0, ge=0)
    source: Literal["indicator", "incidents", "assets", "survey"] = Field(
        default="indicator", alias="from"
    )
    indicator: str | None = None
    group: str | None = None
    categories: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    themes: tuple[str, ...] | None = None
    per: float | None = Field(default=None, gt=0)
    denominator: Literal["population", "area_km2", "none"] | None = None
    smoothing: Literal["empirical_bayes"] | None = None
    item: str | None = None
    transform: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        """State the defaults of DESIGN.md §3, so the canonical JSON (and sha256) of a file
        that omits a default equals that of one that writes it out."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        source = data.get("from", data.get("source", "indicator"))
        if source == "indicator":
            data.setdefault("indicator", data.get("id"))
        elif source in ("incidents", "assets"):
            data.setdefault("per", 1000.0)
            data.setdefault("denominator", "population")
        elif source == "survey":
            data.setdefault("item", data.get("id"))
            data.setdefault("transform", "mean")
        return data

    @field_validator("transform")
    @classmethod
    def _known_transform(cls, value: str | None) -> str | None:
        if value is None or value == "mean":
            return value
        head, _, threshold = value.partition(":")
        try:
            ok = head == "share_at_least" and float(threshold) == float(threshold)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"transform {value!r} is not known; valid: mean, share_at_least:<k>")
        return value

    @model_validator(mode="after")
    def _fields_match_source(self) -> Measure:
        own = _FIELDS_BY_SOURCE[self.source]
        stray = sorted(
            name
            for names in _FIELDS_BY_SOURCE.values()
            for name in names - own
            if getattr(self, name) is not None
        )
        if stray:
            raise ValueError(f"fields {stray} do not apply to a measure from {self.source!r}")
        if self.source == "incidents" and not self.categories:
            raise ValueError("an incident measure needs categories = [...]")
        if self.source == "assets" and not self.kinds:
            raise ValueError("an asset measure needs kinds = [...]")
        if self.source == "incidents" and self.smoothing and self.denominator == "area_km2":
            raise ValueError("empirical Bayes smoothing needs denominator = 'population'")
        return self

    # Effective values (the defaults are filled in by ``_fill_defaults``).
    @property
    def indicator_name(self) -> str:
        return self.indicator or self.id

    @property
    def survey_item(self) -> str:
        return self.item or self.id

    @property
    def survey_transform(self) -> str:
        return self.transform or "mean"

    @property
    def rate_per(self) -> float:
        return self.per if self.per is not None else 1000.0

    @property
    def rate_denominator(self) -> str:
        return self.denominator or "population"


class Methodology(BaseModel):
    """A whole methodology version (DESIGN.md §3 — contract)."""

    model_config = _FROZEN

    version: str = Field(min_length=1)
    note: str = ""
    normalisation: str = "minmax"
    goalposts_year: int | None = None
    aggregation: str = "arithmetic"
    min_count: int = Field(default=5, ge=1)
    min_sample: float = Field(default=30, ge=0)
    outliers: Literal["off", "treat"] = "off"
    exponential: bool = False
    ties: Literal["average", "min", "max"] = "average"
    round: int | None = Field(default=None, ge=0, le=8)
    rescale: Literal["none", "percentile", "minmax"] = "none"
    index_from: Literal["scores", "aggregates"] = "scores"
    missing: Literal["reweight", "propagate"] = "reweight"
    hotspot_correction: Literal["none", "fdr", "bonferroni"] = "none"
    domains: tuple[Domain, ...] = Field(min_length=1)
    measures: tuple[Measure, ...] = Field(min_length=1)

    @field_validator("normalisation")
    @classmethod
    def _known_normalisation(cls, value: str) -> str:
        return _known_name(value, NORMALISATIONS, "normalisation")

    @field_validator("aggregation")
    @classmethod
    def _known_aggregation(cls, value: str) -> str:
        return _known_name(value, AGGREGATIONS, "aggregation")

    @model_validator(mode="after")
    def _consistent(self) -> Methodology:
        problems = _structure_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def domain(self, domain_id: str) -> Domain:
        """The domain called ``domain_id``."""
        return next(d for d in self.domains if d.id == domain_id)

    def measures_of(self, domain_id: str) -> tuple[Measure, ...]:
        """The measures of one domain, in file order."""
        return tuple(m for m in self.measures if m.domain == domain_id)

    def inverted(self, measure: Measure) -> bool:
        """True when the measure's direction differs from its domain's index."""
        return measure.direction != self.domain(measure.domain).index

    def scores(self, index: str) -> bool:
        """True when at least one domain feeds ``index`` ("risk" or "protective")."""
        return any(d.index == index for d in self.domains)


# Keys added after the first stored versions: left out of the canonical JSON while they
# keep their default, so the sha256 of every methodology written before them is unchanged.
OPTION_DEFAULTS: dict[str, object] = {
    "ties": "average",
    "round": None,
    "rescale": "none",
    "index_from": "scores",
    "missing": "reweight",
    "hotspot_correction": "none",
}


def _known_name(value: str, registry: dict[str, Any], what: str) -> str:
    if value not in registry:
        raise ValueError(f"{what} {value!r} is not known; valid: {', '.join(sorted(registry))}")
    return value


def _structure_problems(m: Methodology) -> list[str]:
    problems = _duplicate_ids(m)
    domain_ids = [d.id for d in m.domains]
    for i, measure in enumerate(m.measures):
        if measure.domain not in domain_ids:
            problems.append(
                f"measures[{i}] ({measure.id}): domain {measure.domain!r} is not defined; "
                f"defined domains: {', '.join(domain_ids)}"
            )
    for domain in m.domains:
        members = [x for x in m.measures if x.domain == domain.id]
        if not members:
            problems.append(f"domain {domain.id!r} has no measures")
        elif all(x.weight == 0 for x in members):
            problems.append(f"all measure weights of domain {domain.id!r} are zero")
    for index in ("risk", "protective"):
        weights = [d.weight for d in m.domains if d.index == index]
        if weights and all(w == 0 for w in weights):
            problems.append(f"all domain weights of the {index} index are zero")
    if m.round is not None and m.normalisation in ("zscore", "rank") and m.rescale == "none":
        problems.append(
            f"round = {m.round} keeps decimals on the 0–1 scale; use it with minmax, "
            "percentile or goalposts, or with rescale = 'percentile' | 'minmax', not with "
            f"{m.normalisation!r} alone"
        )
    if m.index_from == "aggregates" and m.exponential:
        problems.append("index_from = 'aggregates' cannot be combined with exponential = true")
    if m.normalisation == "goalposts" and m.goalposts_year is None:
        problems.append("normalisation = 'goalposts' needs goalposts_year = <year>")
    if m.aggregation == "geometric" and m.normalisation == "zscore":
        problems.append(
            "aggregation = 'geometric' needs non-negative scores; "
            "use it with minmax, percentile, rank or goalposts, not zscore"
        )
    return problems


def _duplicate_ids(m: Methodology) -> list[str]:
    problems = []
    for what, ids in (
        ("domain", [d.id for d in m.domains]),
        ("measure", [x.id for x in m.measures]),
    ):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            problems.append(f"{what} ids are repeated: {', '.join(repeated)}")
    return problems


def load_methodology(path: str | Path) -> Methodology:
    """Read and validate a methodology TOML file.

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML (the message gives the line), or a field is
        wrong (the message names the field, e.g. ``measures[2].weight``, and the fix).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the methodology file ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save the "
            "methodology file as UTF-8."
        ) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    return parse_methodology(data, source=str(path))


def parse_methodology(data: dict[str, Any], source: str = "<methodology>") -> Methodology:
    """Validate a methodology already read into a dict (``source`` names it in errors)."""
    try:
        return Methodology.model_validate(data)
    except ValidationError as err:
        problems = [_describe(error, data) for error in err.errors()]
        raise ConfigError(format_problems(f"{source}: invalid methodology", problems)) from err


def _describe(error: Any, data: dict[str, Any]) -> str:
    loc = list(error["loc"])
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    if len(loc) >= 2 and loc[0] in ("measures", "domains") and isinstance(loc[1], int):
        try:
            where += f" (id {data[loc[0]][loc[1]].get('id')!r})"
        except (KeyError, IndexError, AttributeError, TypeError):
            pass
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def validate_against(
    methodology: Methodology,
    available_indicators: set[str],
    available_incident_categories: set[str],
    available_asset_kinds: set[str],
    available_survey_items: set[str],
) -> None:
    """Check that every measure names data that exists; raise ConfigError listing all gaps."""
    problems: list[str] = []

    def check(measure: Measure, names: tuple[str, ...], pool: set[str], what: str) -> None:
        for name in names:
            if name not in pool:
                known = ", ".join(sorted(pool)) or "none"
                problems.append(
                    f"measure {measure.id!r}: {what} {name!r} is not in the data (known: {known})"
                )

    for m in methodology.measures:
        if m.source == "indicator":
            check(m, (m.indicator_name,), available_indicators, "indicator")
        elif m.source == "incidents":
            check(m, m.categories or (), available_incident_categories, "incident category")
        elif m.source == "assets":
            check(m, m.kinds or (), available_asset_kinds, "asset kind")
        else:
            check(m, (m.survey_item,), available_survey_items, "survey item")
    if problems:
        header = f"methodology {methodology.version}: measures name data that is missing"
        raise ConfigError(format_problems(header, problems))


def canonical_json(methodology: Methodology) -> str:
    """The methodology as JSON with sorted keys and no insignificant whitespace.

    An option of :data:`OPTION_DEFAULTS` left at its default is not written, so the
    fingerprint of a methodology from before that option existed does not change.
    """
    spec = methodology_spec(methodology)
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def methodology_spec(methodology: Methodology) -> dict[str, Any]:
    """The methodology as a plain dict, as hashed (options at their default left out)."""
    spec = methodology.model_dump(mode="json", by_alias=True)
    return {k: v for k, v in spec.items() if k not in OPTION_DEFAULTS or v != OPTION_DEFAULTS[k]}


def methodology_sha256(methodology: Methodology) -> str:
    """Hex SHA-256 of :func:`canonical_json` — stored with every score row."""
    return hashlib.sha256(canonical_json(methodology).encode("utf-8")).hexdigest()


def version_conflict(
    saved: Iterable[tuple[str, str, Mapping[str, Any] | str]], methodology: Methodology
) -> str | None:
    """Why ``methodology`` may not be saved, or None (DESIGN.md §3: one specification per version).

    Parameters
    ----------
    saved : iterable of (version, sha256, spec)
        The methodologies already saved, oldest first; ``spec`` is the stored canonical
        JSON (a dict, or its text).
    methodology : Methodology
        The one about to be saved.

    Returns
    -------
    str or None
        None when its version is new, or when the same specification is already saved
        under it (saving again is a no-op). Otherwise a plain-language message naming the
        version and what differs from the saved specification (settings, weights,
        domains, measures, or only the note), and what to do.
    """
    sha = methodology_sha256(methodology)
    same_version = [(v, s, spec) for v, s, spec in saved if v == methodology.version]
    if not same_version or any(s == sha for _, s, _ in same_version):
        return None
    _, old_sha, old_spec = same_version[-1]
    differences = _differences(old_spec, methodology)
    if differences is None:  # the same specification, fingerprinted by an older citygeo
        return None
    several = ""
    if len(same_version) > 1:
        several = f" ({len(same_version)} specifications are saved under it)"
    return (
        f"methodology version {methodology.version} is already saved with a different "
        f"specification (sha256 {old_sha[:12]}){several}: {differences}. One version names one "
        f'specification: set a new version = "..." in the methodology file to save this one, '
        f"or keep the saved specification unchanged."
    )


def _differences(old_spec: Mapping[str, Any] | str, new: Methodology) -> str | None:
    """What differs between a saved specification and ``new``, in words (None: nothing)."""
    from citygeo.scoring.change import compare_methodologies  # change builds on this module

    data = json.loads(old_spec) if isinstance(old_spec, str) else dict(old_spec)
    try:
        old = Methodology.model_validate(data)
    except ValidationError:  # saved by an older citygeo with keys this one does not know
        new_spec = methodology_spec(new)
        keys = sorted(k for k in set(data) | set(new_spec) if data.get(k) != new_spec.get(k))
        return "these keys differ: " + ", ".join(keys)
    if old == new:
        return None
    comparable, reason = compare_methodologies(old, new)
    if comparable and old.note != new.note:
        return f"only the note differs ({old.note!r} saved, {new.note!r} now)"
    if comparable:
        before = {d.id: d.label for d in old.domains} | {m.id: m.label for m in old.measures}
        after = {d.id: d.label for d in new.domains} | {m.id: m.label for m in new.measures}
        relabelled = [
            f"{k} {before[k]!r} → {after[k]!r}" for k in before if before[k] != after.get(k)
        ]
        return "only labels differ: " + ", ".join(relabelled or ["(order of the items)"])
    return reason.partition(": ")[2].removeprefix("changed: ")
