"""The Data & quality page: sources with freshness, the last ingest report, suppression counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from citygeo.rules.freshness import overdue_sources
from citygeo.rules.survey import representativeness, representativeness_summary
from citygeo.schema import SOURCE_COLUMNS
from citygeo.service.city import (
    CityData,
    empty_frame,
    scores,
)
from citygeo.service.community import (
    _survey_groups,
)


# -- data & quality ----------------------------------------------------------------------------
@dataclass
class DataQuality:
    sources: pd.DataFrame
    overdue: pd.DataFrame
    ingest: dict[str, object] | None
    ingested_at: object
    suppressed_cells: int
    unreliable_cells: int
    representativeness: pd.DataFrame


def data_quality(city: CityData, as_of: dt.date) -> DataQuality:
    """Source catalogue with freshness, the last ingest report, suppression counts,
    representativeness."""
    sources = (
        city.table("sources")
        if not city.table("sources").empty
        else empty_frame(list(SOURCE_COLUMNS))
    )
    fresh = (
        overdue_sources(sources, as_of)
        if not sources.empty
        else empty_frame(["source_id", "due", "overdue", "days_overdue"])
    )
    if not sources.empty:
        sources = sources.merge(
            fresh[["source_id", "due", "overdue", "days_overdue"]], on="source_id", how="left"
        )
    report, when = city.ingest_report, city.ingested_at
    suppressed = unreliable = 0
    current = scores(city)
    for flags in current.get("flags", []):
        suppressed += sum(1 for f in flags if str(f).startswith("suppressed:"))
        unreliable += sum(1 for f in flags if str(f).startswith("unreliable:"))
    return DataQuality(
        sources,
        fresh[fresh["overdue"]] if not fresh.empty else fresh,
        report,
        when,
        suppressed,
        unreliable,
        _representativeness(city),
    )


def _representativeness(city: CityData) -> pd.DataFrame:
    responses, population = city.table("survey_responses"), city.table("population")
    if responses.empty or population.empty:
        return empty_frame(["nid", "year", "summary"])
    groups = [g for g in _survey_groups(responses) if population["grp"].nunique() > 1]
    rep = representativeness(responses, population, groups)
    summary = representativeness_summary(rep)
    return summary[summary["under_represented"].map(len) > 0].reset_index(drop=True)
