"""What a store holds (``citygeo status``): counts, years, what is scored, overdue sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from citygeo.config import CitySettings
from citygeo.rules.freshness import overdue_sources
from citygeo.schema import COUNTED_TABLES
from citygeo.store import Store, reads
from citygeo.store import years as store_years


@dataclass(frozen=True)
class StoreStatus:
    """The answer of ``citygeo status``."""

    settings: CitySettings
    counts: dict[str, int]
    indicator_years: list[int]
    scored: pd.DataFrame  # the current methodology per scored year
    last_ingest: Any
    last_ingest_warnings: int
    freshness: pd.DataFrame  # the sources overdue for review on ``as_of``
    held: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # source → table → years
    scored_all: pd.DataFrame = field(default_factory=pd.DataFrame)  # every year × methodology
    vintages: pd.DataFrame = field(default_factory=pd.DataFrame)  # the boundary vintages


def store_status(store: Store, as_of: date) -> StoreStatus:
    """What the store holds and which sources are overdue for review on ``as_of``."""
    with store.reader() as con:
        settings = CitySettings.model_validate(reads.city_settings(con))
        counts = reads.table_counts(con, COUNTED_TABLES)
        years = reads.indicator_years(con)
        scored = reads.current_methodologies(con)
        when, report = reads.last_ingest(con)
        sources = reads.register(con, "sources")
        held = store_years.held_years(con)
        scored_all = store_years.scored_years(con)
        vintages = store_years.vintages(con)
    overdue = overdue_sources(sources, as_of) if not sources.empty else pd.DataFrame()
    by_source: dict[str, dict[str, list[int]]] = {}
    for table, source, year, _ in held:
        by_source.setdefault(source, {}).setdefault(table, []).append(year)
    return StoreStatus(
        settings,
        counts,
        years,
        scored,
        when,
        len((report or {}).get("warnings", [])),
        overdue,
        by_source,
        scored_all,
        vintages,
    )
