"""What a store holds (``citygeo status``): counts, years, what is scored, overdue sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from citygeo.config import CitySettings
from citygeo.rules.freshness import overdue_sources
from citygeo.schema import COUNTED_TABLES
from citygeo.store import Store, reads


@dataclass(frozen=True)
class StoreStatus:
    """The answer of ``citygeo status``."""

    settings: CitySettings
    counts: dict[str, int]
    indicator_years: list[int]
    scored: pd.DataFrame          # the current methodology per scored year
    last_ingest: Any
    last_ingest_warnings: int
    freshness: pd.DataFrame       # the sources overdue for review on ``as_of``


def store_status(store: Store, as_of: date) -> StoreStatus:
    """What the store holds and which sources are overdue for review on ``as_of``."""
    with store.reader() as con:
        settings = CitySettings.model_validate(reads.city_settings(con))
        counts = reads.table_counts(con, COUNTED_TABLES)
        years = reads.indicator_years(con)
        scored = reads.current_methodologies(con)
        when, report = reads.last_ingest(con)
        sources = reads.register(con, "sources")
    overdue = overdue_sources(sources, as_of) if not sources.empty else pd.DataFrame()
    return StoreStatus(settings, counts, years, scored, when,
                       len((report or {}).get("warnings", [])), overdue)
