"""The neighbourhood profile (journey 1): one object that the page and the printout render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from citygeo.errors import InputError, StoreError
from citygeo.i18n import _, isolate, ngettext
from citygeo.rules.online import detect_spikes, monthly_series
from citygeo.rules.privacy import (
    public_stakeholders,
    withheld_measures,
)
from citygeo.rules.registers import (
    last_heard,
    not_heard,
    partners_serving,
)
from citygeo.rules.survey import weighted_estimates
from citygeo.schema import DEFAULT_GROUP, domain_column, is_missing, measure_column, raw_column
from citygeo.scoring import Methodology, change_table
from citygeo.service.city import (
    CityData,
    covered_by,
    current_methodology,
    empty_frame,
    score_groups,
    scores,
)
from citygeo.service.map import (
    asset_points,
)
from citygeo.words import (
    clauses,
    hotspot_method,
    compared_with_city,
    count_of,
    groups_not_heard,
    last_consulted,
    listing,
    measure_label,
    months_ago,
    normalised_reads_as,
    not_scored,
    quality_notes,
    rank_text,
    reads_as,
    survey_value,
    whole,
    withheld_reason,
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
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # this neighbourhood's rows, every year
    domains: pd.DataFrame = field(default_factory=pd.DataFrame)  # domain, label, index, score, median
    ranked: dict[int, int] = field(default_factory=dict)  # neighbourhoods ranked, per scored year
    public: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def drivers_add_up(self) -> bool:
        """Whether the drivers' contributions add up to the risk score under this methodology
        (arithmetic mean, no exponential transform, a bounded normalisation)."""
        m = self.methodology
        return bool(m and m.aggregation == "arithmetic" and not m.exponential
                    and m.normalisation in ("minmax", "goalposts", "percentile"))

    @property
    def consultation_text(self) -> str:
        """"Last consulted on 12 March 2025." or "Never consulted."."""
        everyone = self.heard[self.heard["grp"] == DEFAULT_GROUP]["last_heard"] if not self.heard.empty else []
        return last_consulted(everyone.iloc[0] if len(everyone) else None)

    @property
    def groups_not_heard(self) -> str:
        """The groups not heard in the last 12 months, in words ('' when none)."""
        stale = self.not_heard[self.not_heard["grp"] != DEFAULT_GROUP] if not self.not_heard.empty else self.not_heard
        return groups_not_heard(stale["grp"], stale["months_since"]) if len(stale) else ""



def check_nid(city: CityData, nid: str | None) -> tuple[str, dict[str, object]]:
    """The neighbourhood row for ``nid``; InputError (with a hint) when unknown."""
    if not nid:
        raise InputError(_("No neighbourhood chosen: pick one by name or code, or open a "
                           "profile from the map."))
    hoods = city.neighbourhoods
    row = hoods[hoods["nid"] == nid]
    if row.empty:
        examples = ", ".join(hoods["nid"].head(3))
        raise InputError(_("No neighbourhood has the code {code} in this city (codes look like "
                           "{examples}). Check the link or pick one by name.").format(
                               code=repr(nid), examples=examples))
    return nid, row.iloc[0].to_dict()



def profile(city: CityData, nid: str | None, year: int | None = None, *, as_of: dt.date | None = None,
            require_scores: bool = False) -> Profile:
    """The neighbourhood profile of DESIGN.md §7.2 (journey 1).

    With ``require_scores`` (the printout), a neighbourhood with no scores, or none for
    ``year``, is a StoreError naming the scored years.
    """
    nid, hood = check_nid(city, nid)
    as_of = as_of or dt.date.today()
    all_scores = scores(city)
    years = sorted(all_scores["year"].unique()) if not all_scores.empty else []
    if require_scores:
        mine = sorted(int(y) for y in all_scores.loc[all_scores["nid"] == nid, "year"]) if years else []
        if not mine:
            raise StoreError(f"{nid} has no scores in {city.path}; run `citygeo score` first.")
        if year is not None and int(year) not in mine:
            raise StoreError(f"{nid} has no scores for {year}; scored years: "
                             f"{', '.join(map(str, mine))}.")
    year = int(year) if year is not None and year in years else (int(years[-1]) if years else None)
    methodology = current_methodology(city, year)
    this_year = all_scores[all_scores["year"] == year] if year is not None else pd.DataFrame()
    mine = this_year[this_year["nid"] == nid]
    row = mine.iloc[0].to_dict() if not mine.empty else None
    drivers = driver_table(row, methodology) if row and methodology else empty_frame(["label", "contribution"])
    versus = (versus_median(this_year, row, methodology, covered_by(city, methodology))
              if row and methodology else empty_frame(["label"]))
    survey, hidden = survey_results(city, nid, year, methodology)
    mechanisms = asset_points(city)
    mechanisms = mechanisms[mechanisms["nid"] == nid].drop(columns=["lon", "lat", "nid"])
    heard, stale = consultation_status(city, [nid], as_of)
    prof = Profile(
        nid=nid, name=str(hood.get("name") or nid), district=hood.get("district"),  # type: ignore[arg-type]
        population=hood.get("population"), year=year, scored=int(this_year["risk_rank"].notna().sum()) if row else 0,  # type: ignore[arg-type]
        row=row, methodology=methodology, headline="", drivers=drivers, versus_median=versus,
        trend=trend(city, all_scores, nid), groups=group_breakdown(city, nid, year),
        survey=survey, survey_hidden=hidden, online=online_trend(city, nid), mechanisms=mechanisms,
        partners=partners_for(city, [nid]), heard=heard, not_heard=stale,
        history=all_scores[all_scores["nid"] == nid].sort_values("year").reset_index(drop=True),
        domains=domain_table(this_year, row, methodology), public=city.public,
        ranked={int(y): int(n) for y, n in all_scores.groupby("year")["risk_rank"].count().items()}
        if years else {})
    prof.notes = (quality_notes(list(row.get("flags") or []), methodology,  # type: ignore[call-overload]
                                public=city.public, covered_by=covered_by(city, methodology))
                  + [hotspot_method(methodology)]
                  if row else [_("This neighbourhood has no scores yet.")])
    prof.headline = headline(prof)
    return prof



def index_shares(methodology: Methodology, index: str, present: set[str] | None = None) -> dict[str, float]:
    """Each measure's share of an index: domain weight share × measure weight share in its domain.

    Measures not in ``present`` are left out and their domain re-weighted, as the engine does.
    """
    domains = [d for d in methodology.domains if d.index == index]
    total = sum(d.weight for d in domains) or 1.0
    shares: dict[str, float] = {}
    for d in domains:
        members = [m for m in methodology.measures_of(d.id) if present is None or m.id in present]
        weight = sum(m.weight for m in members) or 1.0
        for m in members:
            shares[m.id] = d.weight / total * m.weight / weight
    return shares



def driver_table(row: dict[str, object], methodology: Methodology, index: str = "risk") -> pd.DataFrame:
    """What drives an index: ``measure, label, domain, share, normalised, contribution, reads_as``.

    ``contribution`` = the measure's share of the index × its normalised (0–100, oriented)
    value; with arithmetic aggregation of bounded measures they add up to the index. A measure
    withheld in the public view keeps its share (the engine used it) but has no contribution
    (NaN); a missing one is left out and its domain re-weighted, as the engine does.
    """
    flags = set(row.get("flags") or [])  # type: ignore[call-overload]
    values = {m.id: row.get(measure_column(m.id)) for m in methodology.measures}
    present = {k for k, v in values.items()
               if f"missing:{k}" not in flags and (v is not None and not (isinstance(v, float) and np.isnan(v))
                                                   or set(withheld_measures(flags)) & {k})}
    shares = index_shares(methodology, index, present)
    rows = []
    for m in methodology.measures:
        if m.id not in shares:
            continue
        value = float(values[m.id]) if values[m.id] is not None else np.nan  # type: ignore[arg-type]
        domain = methodology.domain(m.domain)
        rows.append({"measure": m.id, "label": measure_label(methodology, m.id),
                     "domain": domain.label or domain.id, "share": shares[m.id],
                     "normalised": value, "contribution": shares[m.id] * value,
                     "reads_as": normalised_reads_as(index)})
    frame = pd.DataFrame(rows, columns=["measure", "label", "domain", "share", "normalised", "contribution",
                                        "reads_as"])
    return frame.sort_values("contribution", ascending=False, ignore_index=True)



def versus_median(year_scores: pd.DataFrame, row: dict[str, object] | None,
                  methodology: Methodology | None,
                  covered_by: dict[str, str] | None = None) -> pd.DataFrame:
    """Each measure's raw value against the city median that year.

    ``measure, label, direction, value, median, ratio, percentile, comparison, reads_as, note``:
    ``comparison`` says it in words — "2.3× the city median" only when the median is above zero
    and the ratio at most :data:`RATIO_LIMIT`, else the share of neighbourhoods below this one
    and the median ("higher than 97% of neighbourhoods; city median 0"), so a median of zero
    or near zero never makes a ratio of thousands.
    """
    columns = ["measure", "label", "direction", "value", "median", "ratio", "percentile",
               "comparison", "reads_as", "note"]
    if row is None or methodology is None:
        return empty_frame(columns)
    rows = []
    flags = list(row.get("flags") or [])  # type: ignore[call-overload]
    for m in methodology.measures:
        col = raw_column(m.id)
        if col not in year_scores:
            continue
        value = row.get(col)
        others = pd.to_numeric(year_scores[col], errors="coerce").dropna().to_numpy(dtype=float)
        median = float(np.median(others)) if len(others) else np.nan
        value = np.nan if is_missing(value) else float(value)  # type: ignore[arg-type]
        ratio = value / median if median > 0 and not np.isnan(value) else np.nan
        share = float((others < value).mean() * 100) if len(others) and not np.isnan(value) else np.nan
        rows.append({"measure": m.id, "label": measure_label(methodology, m.id), "direction": m.direction,
                     "value": value, "median": median, "ratio": ratio, "percentile": share,
                     "comparison": compared_with_city(value, median, ratio, share),
                     "reads_as": reads_as(m.direction),
                     "note": withheld_reason(flags, m.id, methodology, covered_by) or ""})
    return pd.DataFrame(rows, columns=columns)



def domain_table(year_scores: pd.DataFrame, row: dict[str, object] | None,
                 methodology: Methodology | None) -> pd.DataFrame:
    """Each domain's score and the city median that year: ``domain, label, index, score, median``."""
    columns = ["domain", "label", "index", "score", "median"]
    if row is None or methodology is None:
        return empty_frame(columns)
    rows = []
    for d in methodology.domains:
        col = domain_column(d.id)
        values = pd.to_numeric(year_scores[col], errors="coerce") if col in year_scores else pd.Series(dtype=float)
        rows.append({"domain": d.id, "label": d.label or d.id, "index": d.index,
                     "score": row.get(col), "median": float(values.median()) if values.notna().any() else np.nan})
    return pd.DataFrame(rows, columns=columns)


def trend(city: CityData, all_scores: pd.DataFrame, nid: str) -> pd.DataFrame:
    """Year-on-year change of one neighbourhood, marked not comparable where methodologies differ.

    ``from_year, to_year, risk_score_from, risk_score_to, risk_rank_from, risk_rank_to,
    risk_rank_change, comparable, reason``.
    """
    columns = ["from_year", "to_year", "risk_score_from", "risk_score_to", "risk_score_change", "risk_rank_from",
               "risk_rank_to", "risk_rank_change", "protective_score_to", "comparable", "reason"]
    if all_scores.empty:
        return empty_frame(columns)
    years = sorted(int(y) for y in all_scores["year"].unique())
    known = city.methodologies
    mine = all_scores[all_scores["nid"] == nid]
    rows = [change_table(mine, a, b, known) for a, b in zip(years[:-1], years[1:], strict=True)]
    if not rows:
        single = mine.assign(from_year=np.nan, to_year=mine["year"], risk_score_to=mine["risk_score"],
                             risk_rank_to=mine["risk_rank"], protective_score_to=mine["protective_score"],
                             comparable=False, reason=_("only one year scored"))
        return single.reindex(columns=columns)
    return pd.concat(rows, ignore_index=True).reindex(columns=columns)



def group_breakdown(city: CityData, nid: str, year: int | None) -> pd.DataFrame:
    """Risk and protective scores of one neighbourhood per population group: ``grp, risk_score, risk_rank, …``."""
    columns = ["grp", "risk_score", "risk_rank", "protective_score", "protective_rank"]
    if year is None:
        return empty_frame(columns)
    frames = [scores(city, year, g) for g in score_groups(city)]
    frames = [f[f["nid"] == nid] for f in frames if not f.empty]
    if not frames:
        return empty_frame(columns)
    return pd.concat(frames, ignore_index=True)[columns]



def _survey_groups(responses: pd.DataFrame) -> list[str]:
    return [c for c in responses.columns if c not in {"response_id", "nid", "year", "weight", "item", "value"}]



def survey_results(city: CityData, nid: str, year: int | None,
                   methodology: Methodology | None) -> tuple[pd.DataFrame, int]:
    """Weighted survey results of one neighbourhood with 95 % intervals and n.

    An item that a measure reads as ``share_at_least:k`` is reported as the share answering
    k or more (in %); others as the weighted mean. Returns the rows and how many were hidden
    as unreliable (public mode hides estimates with an effective n under ``min_sample``).
    """
    columns = ["item", "label", "grp_var", "grp", "estimate", "ci_low", "ci_high", "n", "n_eff",
               "unreliable", "unit"]
    public = city.public
    responses = city.table("survey_responses")
    if year is None or responses.empty:
        return empty_frame(columns), 0
    responses = responses[(responses["nid"] == nid) & (responses["year"] == year)]
    if responses.empty:
        return empty_frame(columns), 0
    min_sample = methodology.min_sample if methodology else 30
    shares = {m.survey_item: float(m.survey_transform.split(":")[1]) for m in (methodology.measures if methodology else ())
              if m.source == "survey" and m.survey_transform.startswith("share_at_least")}
    answers = responses.copy()
    for item, k in shares.items():
        chosen = answers["item"] == item
        answers.loc[chosen, "value"] = (answers.loc[chosen, "value"] >= k).astype(float)
    est = weighted_estimates(answers, _survey_groups(responses), min_sample=min_sample)
    est = est[est["nid"] == nid].copy()
    binary = answers.groupby("item")["value"].agg(lambda v: bool(v.dropna().isin([0.0, 1.0]).all()))
    est["unit"] = est["item"].map(lambda i: "%" if bool(binary.get(i, False)) else "mean")
    for col in ("estimate", "ci_low", "ci_high"):
        est[col] = np.where(est["unit"] == "%", est[col] * 100, est[col])
    labels = {m.survey_item: measure_label(methodology, m.id) for m in (methodology.measures if methodology else ())
              if m.source == "survey"}
    est["label"] = est["item"].map(lambda i: labels.get(i, str(i).replace("_", " ")))
    hidden = int(est["unreliable"].sum()) if public else 0
    if public:
        est = est[~est["unreliable"]]
    est = est.sort_values(["item", "grp_var", "grp"], key=lambda s: s if s.name != "grp_var" else s != "all")
    return est[columns].reset_index(drop=True), hidden



def online_trend(city: CityData, nid: str) -> pd.DataFrame:
    """Monthly online signals in one neighbourhood with spikes: ``period, count, spike``."""
    signals = city.table("online_signals")
    if signals.empty:
        return empty_frame(["period", "count", "spike"])
    signals = signals[signals["nid"] == nid]
    if signals.empty:
        return empty_frame(["period", "count", "spike"])
    series = detect_spikes(monthly_series(signals, nids=[nid]))
    series = series[series["nid"] == nid]
    return series[["period", "count", "spike"]].reset_index(drop=True)



def _stakeholders(city: CityData) -> pd.DataFrame:
    frame = city.table("stakeholders")
    if frame.empty:
        return pd.DataFrame(columns=["stakeholder_id", "name", "sector", "themes", "serves"])
    return public_stakeholders(frame)



def partners_for(city: CityData, nids: Sequence[str]) -> pd.DataFrame:
    """Partners serving the neighbourhoods (no contact details, in every mode), local ones first:
    ``nid, stakeholder_id, name, sector, themes, city_wide`` (True = serves every neighbourhood)."""
    stakeholders = _stakeholders(city)
    serving = partners_serving(stakeholders, list(nids))
    if serving.empty:
        return empty_frame(["nid", "stakeholder_id", "name", "sector", "themes", "city_wide"])
    wide = set(city_wide(stakeholders, city.neighbourhoods["nid"].astype(str).tolist())["stakeholder_id"])
    serving["city_wide"] = serving["stakeholder_id"].isin(wide)
    return serving.sort_values(["nid", "city_wide", "name"], ignore_index=True)


def city_wide(stakeholders: pd.DataFrame, nids: Sequence[str]) -> pd.DataFrame:
    """The partners serving every neighbourhood: ``serves`` is "all", or lists every code."""
    codes = set(nids)

    def everywhere(serves: object) -> bool:
        served = set(serves) if isinstance(serves, list | tuple | set) else {str(serves)}
        return "all" in served or (bool(codes) and codes <= served)
    return stakeholders[stakeholders["serves"].map(everywhere)].reset_index(drop=True)



def _consultations(city: CityData) -> pd.DataFrame:
    frame = city.table("consultations")
    return frame if not frame.empty else pd.DataFrame(columns=["date", "nid", "groups"])



def consultation_groups(consultations: pd.DataFrame) -> list[str]:
    return sorted({g for groups in consultations["groups"] for g in groups} - {DEFAULT_GROUP})



def consultation_status(city: CityData, nids: Sequence[str] | None, as_of: dt.date,
                        months: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(last heard per neighbourhood and group, those not heard in ``months``) for ``nids`` (None = all)."""
    hoods = city.neighbourhoods[["nid", "name"]]
    if nids is not None:
        hoods = hoods[hoods["nid"].isin(list(nids))]
    cons = _consultations(city)
    groups = consultation_groups(cons)
    heard = last_heard(cons, hoods, groups, as_of=as_of)
    stale = not_heard(cons, hoods, groups, as_of, months)
    return heard, stale



def headline(p: Profile) -> str:
    """The sentence an official reads first (journey 1)."""
    if p.row is None:
        return _("{name} has no scores yet.").format(name=isolate(p.name))
    r = p.row
    risk = r.get("risk_score")
    if p.methodology is not None and not p.methodology.scores("risk"):
        parts = [not_scored("risk")]
    elif risk is None or np.isnan(float(risk)):  # type: ignore[arg-type]
        parts = [_("risk: no index (a whole domain is missing)")]
    else:
        rank = rank_text(float(r["risk_rank"]), p.scored,  # type: ignore[arg-type]
                         float(r.get("risk_rank_p05", np.nan)),  # type: ignore[arg-type]
                         float(r.get("risk_rank_p95", np.nan)))  # type: ignore[arg-type]
        parts = [_("risk {score}/100, {rank}").format(score=whole(risk), rank=rank)]  # type: ignore[arg-type]
    top = p.versus_median.merge(p.drivers[["measure", "contribution"]], on="measure")
    above = (top["ratio"] > 1) | (top["ratio"].isna() & (top["percentile"] > 50))
    top = top[(top["direction"] == "risk") & above].sort_values("contribution", ascending=False).head(2)
    if not top.empty:
        drivers = [_("{measure} ({comparison})").format(measure=isolate(lab.lower()),
                                                        comparison=words)
                   for lab, words in zip(top["label"], top["comparison"], strict=True)]
        parts.append(_("driven by {first} and {second}").format(first=drivers[0], second=drivers[1])
                      if len(drivers) == 2 else _("driven by {first}").format(first=drivers[0]))
    protective = r.get("protective_score")
    if p.methodology is not None and not p.methodology.scores("protective"):
        parts.append(not_scored("protective"))
    elif protective is not None and not np.isnan(float(protective)):  # type: ignore[arg-type]
        parts.append(_("protective {score}/100").format(score=whole(protective)))  # type: ignore[arg-type]
    if not p.mechanisms.empty:
        kinds = p.mechanisms["kind"].value_counts()
        parts[-1] += " (" + listing([count_of(str(k).replace("_", " "), int(n))
                                     for k, n in kinds.items()]) + ")"
    if not p.partners.empty:
        wide = int(p.partners["city_wide"].sum()) if "city_wide" in p.partners else 0
        local = len(p.partners) - wide
        served = (ngettext("{clause}, served by {n} local partner (and {wide} city-wide)",
                           "{clause}, served by {n} local partners (and {wide} city-wide)", local)
                  if wide else
                  ngettext("{clause}, served by {n} local partner",
                           "{clause}, served by {n} local partners", local))
        parts[-1] = served.format(clause=parts[-1], n=whole(local), wide=whole(wide))
    trust = p.survey[(p.survey["grp_var"] == "all") & (p.survey["item"] == "trust_local_gov")]
    if not trust.empty:
        t = trust.iloc[0]
        half = (t["ci_high"] - t["ci_low"]) / 2
        parts.append(_("trust in local government {value} (±{margin}, n = {n})").format(
            value=survey_value(t["estimate"], t["unit"]), margin=survey_value(half, t["unit"], False),
            n=whole(t["n"])))
    last = p.heard[p.heard["grp"] == DEFAULT_GROUP]["last_heard"]
    if not last.empty and pd.notna(last.iloc[0]):
        parts.append(_("last consulted {when}").format(when=months_ago(last.iloc[0])))
    elif not last.empty:
        parts.append(_("never consulted"))
    # TRANSLATORS: the end of the profile's headline sentence ({sentence} is its clauses).
    return _("{sentence}.").format(sentence=clauses(parts))

