"""The neighbourhood profile (journey 1): one object that the page and the printout render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from citygeo.errors import InputError, StoreError
from citygeo.i18n import _, isolate, ngettext
from citygeo.schema import DEFAULT_GROUP, as_float, is_missing
from citygeo.scoring import Methodology
from citygeo.service.city import (
    CityData,
    covered_by,
    current_methodology,
    empty_frame,
    scores,
)
from citygeo.service.community import (
    consultation_status,
    online_trend,
    partners_for,
    survey_results,
)
from citygeo.service.map import (
    asset_points,
)
from citygeo.service.measures import (
    domain_table,
    driver_table,
    group_breakdown,
    trend,
    versus_median,
)
from citygeo.words import (
    clauses,
    count_of,
    groups_not_heard,
    last_consulted,
    listing,
    months_ago,
    not_scored,
    quality_notes,
    rank_text,
    stands_out,
    survey_value,
    whole,
)


# -- the profile ------------------------------------------------------------------------------
@dataclass
class Profile:
    """Everything the profile page shows for one neighbourhood."""

    nid: str
    name: str
    district: str | None
    population: float | None
    year: int | None
    scored: int
    row: dict[str, object] | None
    methodology: Methodology | None
    headline: str
    drivers: pd.DataFrame
    versus_median: pd.DataFrame
    trend: pd.DataFrame
    groups: pd.DataFrame
    survey: pd.DataFrame
    survey_hidden: int
    online: pd.DataFrame
    mechanisms: pd.DataFrame
    partners: pd.DataFrame
    heard: pd.DataFrame
    not_heard: pd.DataFrame
    history: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # this neighbourhood's rows, every year
    domains: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # domain, label, index, score, median
    ranked: dict[int, int] = field(default_factory=dict)  # neighbourhoods ranked, per scored year
    public: bool = True
    notes: list[str] = field(default_factory=list)  # caveats: why a number needs care
    stands_out: list[str] = field(default_factory=list)  # risk measures in the city's top tenth

    @property
    def drivers_add_up(self) -> bool:
        """Whether the drivers' contributions add up to the risk score under this methodology
        (arithmetic mean, no exponential transform, a bounded normalisation)."""
        m = self.methodology
        return bool(
            m
            and m.aggregation == "arithmetic"
            and not m.exponential
            and m.normalisation in ("minmax", "goalposts", "percentile")
        )

    @property
    def consultation_text(self) -> str:
        """ "Last consulted on 12 March 2025." or "Never consulted."."""
        if self.heard.empty:
            return last_consulted(None)
        everyone = self.heard.loc[self.heard["grp"] == DEFAULT_GROUP, "last_heard"]
        return last_consulted(everyone.iloc[0] if len(everyone) else None)

    @property
    def groups_not_heard(self) -> str:
        """The groups not heard in the last 12 months, in words ('' when none)."""
        stale = (
            self.not_heard[self.not_heard["grp"] != DEFAULT_GROUP]
            if not self.not_heard.empty
            else self.not_heard
        )
        return groups_not_heard(stale["grp"], stale["months_since"]) if len(stale) else ""


def check_nid(city: CityData, nid: str | None) -> tuple[str, dict[str, object]]:
    """The neighbourhood row for ``nid``; InputError (with a hint) when unknown."""
    if not nid:
        raise InputError(
            _("No neighbourhood chosen: pick one by name or code, or open a profile from the map.")
        )
    hoods = city.neighbourhoods
    row = hoods[hoods["nid"] == nid]
    earlier = city.scores[city.scores["nid"] == nid] if "nid" in city.scores else city.scores
    if row.empty and not earlier.empty:
        # a neighbourhood of earlier boundaries (a code the current boundary file dropped)
        return nid, {"nid": nid, "name": earlier["name"].iloc[-1], "district": None}
    if row.empty:
        examples = ", ".join(hoods["nid"].head(3))
        raise InputError(
            _(
                "No neighbourhood has the code {code} in this city (codes look like "
                "{examples}). Check the link or pick one by name."
            ).format(code=repr(nid), examples=examples)
        )
    return nid, row.iloc[0].to_dict()


def check_printable(city: CityData, nid: str, year: int | None) -> None:
    """The printout needs scores: a neighbourhood with none, or none for ``year``, is a
    StoreError naming the scored years."""
    all_scores = scores(city)
    mine = (
        sorted(int(y) for y in all_scores.loc[all_scores["nid"] == nid, "year"])
        if not all_scores.empty
        else []
    )
    if not mine:
        raise StoreError(f"{nid} has no scores in {city.path}; run `citygeo score` first.")
    if year is not None and int(year) not in mine:
        raise StoreError(
            f"{nid} has no scores for {year}; scored years: {', '.join(map(str, mine))}."
        )


def profile(
    city: CityData,
    nid: str | None,
    year: int | None = None,
    *,
    as_of: dt.date | None = None,
    require_scores: bool = False,
) -> Profile:
    """The neighbourhood profile of DESIGN.md §7.2 (journey 1).

    With ``require_scores`` (the printout), a neighbourhood with no scores, or none for
    ``year``, is a StoreError naming the scored years.
    """
    nid, hood = check_nid(city, nid)
    as_of = as_of or dt.date.today()
    all_scores = scores(city)
    years = sorted(all_scores["year"].unique()) if not all_scores.empty else []
    if require_scores:
        check_printable(city, nid, year)
    held = sorted(int(y) for y in all_scores.loc[all_scores["nid"] == nid, "year"]) if years else []
    latest = int(years[-1]) if years else None
    if latest is not None and held and latest not in held:
        latest = held[-1]  # a code of earlier boundaries: its last scored year
    year = int(year) if year is not None and year in years else latest
    methodology = current_methodology(city, year)
    this_year = all_scores[all_scores["year"] == year] if year is not None else pd.DataFrame()
    mine = this_year[this_year["nid"] == nid]
    row = mine.iloc[0].to_dict() if not mine.empty else None
    drivers = (
        driver_table(row, methodology)
        if row and methodology
        else empty_frame(["label", "contribution"])
    )
    versus = (
        versus_median(this_year, row, methodology, covered_by(city, methodology))
        if row and methodology
        else empty_frame(["label"])
    )
    survey, hidden = survey_results(city, nid, year, methodology)
    mechanisms = asset_points(city)
    mechanisms = mechanisms[mechanisms["nid"] == nid].drop(columns=["lon", "lat", "nid"])
    heard, stale = consultation_status(city, [nid], as_of)
    prof = Profile(
        nid=nid,
        name=str(hood.get("name") or nid),
        district=None if is_missing(hood.get("district")) else str(hood.get("district")),
        population=None if is_missing(hood.get("population")) else as_float(hood.get("population")),
        year=year,
        scored=int(this_year["risk_rank"].notna().sum()) if row else 0,
        row=row,
        methodology=methodology,
        headline="",
        drivers=drivers,
        versus_median=versus,
        trend=trend(city, all_scores, nid),
        groups=group_breakdown(city, nid, year),
        survey=survey,
        survey_hidden=hidden,
        online=online_trend(city, nid),
        mechanisms=mechanisms,
        partners=partners_for(city, [nid]),
        heard=heard,
        not_heard=stale,
        history=all_scores[all_scores["nid"] == nid].sort_values("year").reset_index(drop=True),
        domains=domain_table(this_year, row, methodology),
        public=city.public,
        ranked={int(y): int(n) for y, n in all_scores.groupby("year")["risk_rank"].count().items()}
        if years
        else {},
    )
    flags = list(row.get("flags") or []) if row else []
    prof.notes = (
        quality_notes(
            flags, methodology, public=city.public, covered_by=covered_by(city, methodology)
        )
        if row
        else [_("This neighbourhood has no scores yet.")]
    )
    prof.stands_out = stands_out(flags, methodology)
    prof.headline = headline(prof)
    return prof


def headline(p: Profile) -> str:
    """The sentence an official reads first (journey 1)."""
    if p.row is None:
        return _("{name} has no scores yet.").format(name=isolate(p.name))
    r = p.row
    risk = as_float(r.get("risk_score"))
    if p.methodology is not None and not p.methodology.scores("risk"):
        parts = [not_scored("risk")]
    elif np.isnan(risk):
        parts = [_("risk: no index (a whole domain is missing)")]
    else:
        rank = rank_text(
            as_float(r.get("risk_rank")),
            p.scored,
            as_float(r.get("risk_rank_p05")),
            as_float(r.get("risk_rank_p95")),
        )
        parts = [_("risk {score}/100, {rank}").format(score=whole(risk), rank=rank)]
    top = p.versus_median.merge(p.drivers[["measure", "contribution"]], on="measure")
    above = (top["ratio"] > 1) | (top["ratio"].isna() & (top["percentile"] > 50))
    top = (
        top[(top["direction"] == "risk") & above]
        .sort_values("contribution", ascending=False)
        .head(2)
    )
    if not top.empty:
        drivers = [
            _("{measure} ({comparison})").format(measure=isolate(lab.lower()), comparison=words)
            for lab, words in zip(top["label"], top["comparison"], strict=True)
        ]
        parts.append(
            _("driven by {first} and {second}").format(first=drivers[0], second=drivers[1])
            if len(drivers) == 2
            else _("driven by {first}").format(first=drivers[0])
        )
    protective = r.get("protective_score")
    if p.methodology is not None and not p.methodology.scores("protective"):
        parts.append(not_scored("protective"))
    elif protective is not None and not np.isnan(float(protective)):  # type: ignore[arg-type]
        parts.append(_("protective {score}/100").format(score=whole(protective)))
    if not p.mechanisms.empty:
        kinds = p.mechanisms["kind"].value_counts()
        parts[-1] += (
            " ("
            + listing([count_of(str(k).replace("_", " "), int(n)) for k, n in kinds.items()])
            + ")"
        )
    if not p.partners.empty:
        wide = int(p.partners["city_wide"].sum()) if "city_wide" in p.partners else 0
        local = len(p.partners) - wide
        served = (
            ngettext(
                "{clause}, served by {n} local partner (and {wide} city-wide)",
                "{clause}, served by {n} local partners (and {wide} city-wide)",
                local,
            )
            if wide
            else ngettext(
                "{clause}, served by {n} local partner",
                "{clause}, served by {n} local partners",
                local,
            )
        )
        parts[-1] = served.format(clause=parts[-1], n=whole(local), wide=whole(wide))
    trust = p.survey[(p.survey["grp_var"] == "all") & (p.survey["item"] == "trust_local_gov")]
    if not trust.empty:
        t = trust.iloc[0]
        half = (t["ci_high"] - t["ci_low"]) / 2
        parts.append(
            _("trust in local government {value} (±{margin}, n = {n})").format(
                value=survey_value(t["estimate"], t["unit"]),
                margin=survey_value(half, t["unit"], False),
                n=whole(t["n"]),
            )
        )
    last = p.heard[p.heard["grp"] == DEFAULT_GROUP]["last_heard"]
    if not last.empty and pd.notna(last.iloc[0]):
        parts.append(_("last consulted {when}").format(when=months_ago(last.iloc[0])))
    elif not last.empty:
        parts.append(_("never consulted"))
    # TRANSLATORS: the end of the profile's headline sentence ({sentence} is its clauses).
    return _("{sentence}.").format(sentence=clauses(parts))
