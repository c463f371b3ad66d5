"""Mechanisms and partners, the gap list and consultation coverage (journey 5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from citygeo.i18n import _
from citygeo.rules.registers import (
    gap_list,
    partners_serving,
    register_coverage,
)
from citygeo.service.city import (
    CityData,
    empty_frame,
    scores,
)
from citygeo.service.community import (
    _stakeholders,
    city_wide,
    consultation_status,
)
from citygeo.service.map import (
    asset_points,
)
from citygeo.words import group_words, last_heard_words, listing


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
    city_wide: pd.DataFrame  # partners that serve every neighbourhood (police, the local paper…)
    local: (
        pd.DataFrame
    )  # ``nid, stakeholder_id, name, sector, themes``: partners apart from city-wide ones


def registers(city: CityData, as_of: dt.date) -> Registers:
    """Mechanisms and partners, the gap list and consultation coverage (journey 5)."""
    hoods = city.neighbourhoods
    assets = asset_points(city)
    partners = _stakeholders(city)
    wide = city_wide(partners, hoods["nid"].astype(str).tolist())
    local_register = partners[~partners["stakeholder_id"].isin(wide["stakeholder_id"])]
    # gaps count LOCAL partners: a city-wide body counts the same everywhere and hides the gap
    coverage = (
        register_coverage(assets, local_register, hoods)
        if not hoods.empty
        else empty_frame(["nid"])
    )
    current = scores(city)
    if not current.empty:
        current = current[current["year"] == current["year"].max()]
    gaps = (
        gap_list(coverage, current[["nid", "risk_score"]])
        if not current.empty and not coverage.empty
        else empty_frame(
            ["nid", "risk_score", "mechanisms", "partners", "total_per_1000", "city_median"]
        )
    )
    gaps = gaps.merge(hoods[["nid", "name"]], on="nid", how="left")
    _, stale = (
        consultation_status(city, None, as_of)
        if not hoods.empty
        else (None, empty_frame(["nid", "name", "grp"]))
    )
    kinds = sorted(assets["kind"].dropna().unique())
    themes = sorted(
        {t for ts in assets["themes"] for t in ts} | {t for ts in partners["themes"] for t in ts}
    )
    local = (
        partners_serving(local_register, hoods["nid"].astype(str).tolist())
        if not hoods.empty
        else empty_frame(["nid", "stakeholder_id", "name", "sector", "themes"])
    )
    return Registers(assets, partners, coverage, gaps, stale, kinds, themes, wide, local)


def not_heard_by_group(stale: pd.DataFrame) -> pd.DataFrame:
    """Who was not heard, by group: ``grp, group, neighbourhoods, never, since``.

    ``neighbourhoods`` counts those where the group was not heard in the window, ``never``
    those where it was never heard, ``since`` is the longest-ago last hearing in plain words
    ("never" when never heard anywhere). Group "all" (no consultation at all) comes first.
    """
    if stale.empty:
        return empty_frame(["grp", "group", "neighbourhoods", "never", "since"])
    rows = []
    for grp, part in stale.groupby("grp", sort=False):
        never = int(part["last_heard"].isna().sum())
        oldest = part["last_heard"].min()
        since = (
            _("never heard anywhere")
            if never == len(part)
            else _("never in {n}, else since {when}").format(n=never, when=last_heard_words(oldest))
            if never
            else _("since {when} at the longest").format(when=last_heard_words(oldest))
        )
        rows.append(
            {
                "grp": grp,
                "group": _("no one (no consultation at all)") if grp == "all" else group_words(grp),
                "neighbourhoods": len(part),
                "never": never,
                "since": since,
            }
        )
    out = pd.DataFrame(rows).assign(_order=lambda f: f["grp"] != "all")
    return (
        out.sort_values(["_order", "neighbourhoods", "grp"], ascending=[True, False, True])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def not_heard_in_group(stale: pd.DataFrame, grp: str, local: pd.DataFrame) -> pd.DataFrame:
    """The neighbourhoods where ``grp`` was not heard, each with its LOCAL partners:
    ``nid, name, last_heard, local_partners`` (names, city-wide bodies left out)."""
    part = stale[stale["grp"] == grp]
    names = (
        local.groupby("nid")["name"].agg(lambda s: listing(sorted(s)))
        if not local.empty
        else pd.Series()
    )
    return pd.DataFrame(
        {
            "nid": part["nid"].to_numpy(),
            "name": part["name"].to_numpy(),
            "last_heard": part["last_heard"].map(last_heard_words).to_numpy(),
            "local_partners": part["nid"].map(names).fillna(_("none registered")).to_numpy(),
        }
    )


def filter_register(
    frame: pd.DataFrame,
    kinds: Sequence[str] = (),
    themes: Sequence[str] = (),
    kind_column: str = "kind",
) -> pd.DataFrame:
    """Rows of a register whose kind is in ``kinds`` and that share a theme with ``themes`` (empty
    = any)."""
    keep = pd.Series(True, index=frame.index)
    if kinds and kind_column in frame:
        keep &= frame[kind_column].isin(list(kinds))
    if themes:
        wanted = set(themes)
        keep &= frame["themes"].map(lambda ts: bool(wanted & set(ts)))
    return frame[keep]
