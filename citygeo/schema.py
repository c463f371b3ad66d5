"""Names shared by every layer: store tables, their columns, score columns (DESIGN.md §2, §5)."""

from __future__ import annotations

import math

import pandas as pd

DEFAULT_GROUP = "all"
COVERED_SHARE = 0.5  # a neighbourhood is covered by a source when at least half of it is

# DuckDB DDL for the store (DESIGN.md §2 — contract for table names).
TABLES: dict[str, str] = {
    "neighbourhoods": """
        nid VARCHAR PRIMARY KEY, name VARCHAR, district VARCHAR, population DOUBLE,
        area_km2 DOUBLE, geom GEOMETRY""",
    "indicators": """
        indicator VARCHAR PRIMARY KEY, label VARCHAR, unit VARCHAR, source_id VARCHAR""",
    "indicator_values": """
        nid VARCHAR, indicator VARCHAR, year INTEGER, grp VARCHAR DEFAULT 'all', value DOUBLE,
        source_id VARCHAR""",
    "incidents": """
        incident_id VARCHAR, occurred_on DATE, category VARCHAR, geom GEOMETRY, nid VARCHAR,
        source_id VARCHAR, date_precision VARCHAR DEFAULT 'day'""",  # 'day' | 'month'
    "assets": """
        asset_id VARCHAR, kind VARCHAR, name VARCHAR, formal BOOLEAN, themes VARCHAR[],
        geom GEOMETRY, nid VARCHAR, source_id VARCHAR, confirmed_on DATE""",
    "stakeholders": """
        stakeholder_id VARCHAR, name VARCHAR, sector VARCHAR, themes VARCHAR[],
        serves VARCHAR[], contact VARCHAR, source_id VARCHAR, confirmed_on DATE""",
    # survey_responses: these + one VARCHAR column per survey group column of the city config
    "survey_responses": """
        response_id VARCHAR, nid VARCHAR, year INTEGER, weight DOUBLE, item VARCHAR,
        value DOUBLE, source_id VARCHAR""",
    "online_signals": """
        period DATE, nid VARCHAR, platform VARCHAR, category VARCHAR, count BIGINT,
        source_id VARCHAR""",
    "consultations": """
        date DATE, nid VARCHAR[], format VARCHAR, groups VARCHAR[], participants INTEGER,
        themes VARCHAR[], summary VARCHAR, source_id VARCHAR""",
    "sources": """
        source_id VARCHAR PRIMARY KEY, name VARCHAR, owner VARCHAR, licence VARCHAR,
        collected VARCHAR, refresh VARCHAR, method VARCHAR, known_biases VARCHAR,
        coverage VARCHAR""",
    "methodologies": """
        version VARCHAR, sha256 VARCHAR PRIMARY KEY, spec JSON, note VARCHAR,
        created_at TIMESTAMP""",
    "ingest_reports": """
        ingested_at TIMESTAMP, city VARCHAR, config_path VARCHAR, report JSON""",
    "city": """
        key VARCHAR PRIMARY KEY, value VARCHAR""",
    # Every boundary file the city was ingested with (the annual update): one row per
    # neighbourhood and vintage; ``neighbourhoods`` is the current vintage.
    "boundary_vintages": """
        vintage VARCHAR, first_year INTEGER, file VARCHAR, nid VARCHAR, name VARCHAR,
        district VARCHAR, population DOUBLE, area_km2 DOUBLE, geom GEOMETRY""",
    # Crosswalks between vintages (``[boundaries] crosswalk``): share of old code in new code.
    "boundary_crosswalks": """
        from_vintage VARCHAR, to_vintage VARCHAR, from_nid VARCHAR, to_nid VARCHAR,
        weight DOUBLE""",
    # Outlines for display, computed once when the boundaries are written (citygeo.geo.display):
    # GeoJSON geometries, simplified with borders kept shared and rounded to 5 decimals.
    "display_outlines": """
        nid VARCHAR PRIMARY KEY, district VARCHAR, geometry VARCHAR, xmin DOUBLE, ymin DOUBLE,
        xmax DOUBLE, ymax DOUBLE""",
    "district_outlines": """
        district VARCHAR PRIMARY KEY, geometry VARCHAR""",
    # incidents already counted per neighbourhood, period and category ([[counts]])
    "incident_counts": """
        nid VARCHAR, period DATE, period_kind VARCHAR, category VARCHAR, count DOUBLE,
        source_id VARCHAR""",
    # the share of each neighbourhood a source (kind 'source'), an apportioned indicator
    # ('indicator', item = its name) or apportioned counts ('category') cover
    "coverage": """
        source_id VARCHAR, kind VARCHAR, item VARCHAR, nid VARCHAR, share DOUBLE""",
}

# The columns every score row carries, in order (DESIGN.md §5 — contract).
SCORE_COLUMNS: tuple[str, ...] = (
    "nid",
    "name",
    "year",
    "methodology_version",
    "methodology_sha256",
    "risk_score",
    "risk_rank",
    "risk_decile",
    "protective_score",
    "protective_rank",
    "protective_decile",
    "typology",
    "risk_rank_p05",
    "risk_rank_p95",
    "hotspot",
    "flags",
)

TYPOLOGIES: tuple[str, ...] = ("priority", "watch", "strengthen", "resilient")
HOTSPOT_CLASSES: tuple[str, ...] = ("high-high", "low-low", "high-low", "low-high", "none")


def domain_column(domain_id: str) -> str:
    return f"domain__{domain_id}"


def measure_column(measure_id: str) -> str:
    return f"measure__{measure_id}"


def raw_column(measure_id: str) -> str:
    return f"raw__{measure_id}"


def count_column(measure_id: str) -> str:
    """The column holding the events or assets a measure is built on (``n__<measure id>``)."""
    return f"n__{measure_id}"


# The tables whose rows an ingest report and `citygeo status` count.
COUNTED_TABLES: tuple[str, ...] = (
    "neighbourhoods",
    "indicator_values",
    "incidents",
    "assets",
    "stakeholders",
    "survey_responses",
    "online_signals",
    "consultations",
    "sources",
)


def is_missing(value: object) -> bool:
    """Whether a cell holds no value (None, NaN, NaT or pandas' NA) — never the same as zero."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def as_float(value: object) -> float:
    """A cell as a float: NaN when it holds no value (see :func:`is_missing`) or no number."""
    if is_missing(value):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


# The source catalogue's columns (DESIGN.md §2 ``sources``), as the ingest writes them.
SOURCE_COLUMNS: tuple[str, ...] = (
    "source_id",
    "name",
    "owner",
    "licence",
    "collected",
    "refresh",
    "method",
    "known_biases",
    "coverage",
)
