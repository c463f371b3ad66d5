"""Mechanisms and partners, the gap list and consultation coverage (journey 5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from citygeo.rules.registers import (
    gap_list,
    register_coverage,
)
from citygeo.service.city import (
    CityData,
    empty_frame,
    scores,
)
from citygeo.service.map import (
    asset_points,
)
from citygeo.service.profile import (
    _stakeholders,
    consultation_status,
)


# -- registers ---------------------------------------------------------------------------------
@dataclass
class Registers:
    assets: pd.DataFrame
    stakeholders: pd.DataFrame
    coverage: pd.DataFrame
    gaps: pd.DataFrame
    not_heard: pd.DataFrame
    kinds: list[str]
    themes: list[str]



def registers(city: CityData, as_of: dt.date) -> Registers:
    """Mechanisms and partners, the gap list and consultation coverage (journey 5)."""
    hoods = city.neighbourhoods
    assets = asset_points(city)
    partners = _stakeholders(city)
    coverage = register_coverage(assets, partners, hoods) if not hoods.empty else empty_frame(["nid"])
    current = scores(city)
    if not current.empty:
        current = current[current["year"] == current["year"].max()]
    gaps = (gap_list(coverage, current[["nid", "risk_score"]]) if not current.empty and not coverage.empty
            else empty_frame(["nid", "risk_score", "mechanisms", "partners", "total_per_1000", "city_median"]))
    gaps = gaps.merge(hoods[["nid", "name"]], on="nid", how="left")
    _, stale = consultation_status(city, None, as_of) if not hoods.empty else (None, empty_frame(["nid", "name", "grp"]))
    kinds = sorted(assets["kind"].dropna().unique())
    themes = sorted({t for ts in assets["themes"] for t in ts} | {t for ts in partners["themes"] for t in ts})
    return Registers(assets, partners, coverage, gaps, stale, kinds, themes)



def filter_register(frame: pd.DataFrame, kinds: Sequence[str] = (), themes: Sequence[str] = (),
                    kind_column: str = "kind") -> pd.DataFrame:
    """Rows of a register whose kind is in ``kinds`` and that share a theme with ``themes`` (empty = any)."""
    keep = pd.Series(True, index=frame.index)
    if kinds and kind_column in frame:
        keep &= frame[kind_column].isin(list(kinds))
    if themes:
        wanted = set(themes)
        keep &= frame["themes"].map(lambda ts: bool(wanted & set(ts)))
    return frame[keep]

