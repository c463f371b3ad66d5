"""The neighbourhood profile (``/profile?nid=N017``): why a neighbourhood scores as it does. Printable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from citygeo.errors import CitygeoError
from citygeo.service.city import CityData, score_years
from citygeo.service.profile import Profile, profile
from citygeo.store import Store
from citygeo.ui import cache, components
from citygeo.ui.components import md
from citygeo.words import (
    HOTSPOT_WORDS,
    TYPOLOGY_WORDS,
    group_words,
    not_scored,
    risk_change,
    survey_value,
)

PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stSidebarCollapsedControl"], .stSelectbox, .stButton { display: none !important; }
  .block-container, [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
  details { break-inside: avoid; }
  [data-testid="stAppViewContainer"], [data-testid="stMain"], section.main { overflow: visible !important;
    height: auto !important; position: static !important; }
  [data-testid="stTable"], [data-testid="stTable"] > div { overflow: visible !important; max-height: none !important; }
  table { width: 100% !important; table-layout: auto; font-size: 9pt; page-break-inside: auto; }
  tr { break-inside: avoid; }
  [data-testid="stHorizontalBlock"] { flex-wrap: wrap !important; }
  [data-testid="stColumn"] { min-width: 100% !important; }
}
</style>"""


def render() -> None:
    store, city = cache.open_city()
    st.markdown(PRINT_CSS, unsafe_allow_html=True)
    if city.neighbourhoods.empty:
        cache.page_header(city, "neighbourhood profile")
        cache.empty_state(city)
        return
    nid = st.query_params.get("nid")
    picked = components.neighbourhood_picker(city.neighbourhoods, key="profile_nid", current=nid)
    if picked and picked != nid:
        st.query_params["nid"] = picked
        nid = picked
    if not nid:
        cache.page_header(city, "neighbourhood profile")
        st.info("Pick a neighbourhood above (type its name or its code), or click one on the map.")
        return
    head = st.container()
    try:
        years = score_years(city)
        year = _year(years)
        prof = profile(city, nid, year, as_of=dt.date.today())
    except CitygeoError as err:
        with head:
            cache.page_header(city, "neighbourhood profile")
        st.error(str(err))
        return
    with head:
        st.title(f"{md(prof.name)} ({md(prof.nid)})")
        cache.fictional_notice(city.settings)
        facts = [f"district {prof.district}" if prof.district else None,
                 f"{int(prof.population):,} residents" if prof.population and not np.isnan(prof.population) else None,
                 f"scores for {prof.year}" if prof.year else None,
                 f"methodology {prof.methodology.version}" if prof.methodology else None,
                 "public view" if city.public else "analyst view"]
        st.caption(" · ".join(f for f in facts if f))
        st.info(md(prof.headline))
    if prof.row is None:
        st.info("This neighbourhood has no scores yet (the city has not been scored, or not this year).")
    else:
        _scores(prof)
        _drivers(prof)
        _medians(prof)
    _trend_and_groups(prof)
    _survey(prof)
    _online(prof)
    _registers(prof)
    _quality(prof)
    _print_button(store, city, prof)


def _print_button(store: Store, city: CityData, prof: Profile) -> None:
    mode = city.mode
    key = (str(store.path), store.version())
    try:
        report = cache.profile_report(*key, prof.nid, prof.year, mode)
    except CitygeoError as err:
        st.error(str(err))
        return
    st.download_button("Printable profile (A4, HTML)", report.encode("utf-8"),
                       file_name=f"profile-{prof.nid}-{prof.year}.html", mime="text/html",
                       key="print")
    st.caption("Or print this page with the browser's Print (Ctrl+P): menus and controls are left out.")


def _year(years: list[int]) -> int | None:
    if len(years) <= 1:
        return years[0] if years else None
    return components.year_picker(years, st.columns(4)[0], key="profile_year")


def _scores(p: Profile) -> None:
    r = p.row or {}
    cols = st.columns(4)
    risk, prot = r.get("risk_score"), r.get("protective_score")
    missing = {i for i in ("risk", "protective") if p.methodology is not None and not p.methodology.scores(i)}
    if missing:
        st.caption(" · ".join(not_scored(i).capitalize() for i in sorted(missing)) + ".")
    cols[0].metric("Risk (0–100)", "not scored" if "risk" in missing else "–" if _na(risk) else f"{float(risk):.0f}",  # type: ignore[arg-type]
                   help="Weighted mean of the risk domains; 100 = highest in the city this year.")
    cols[1].metric("Risk rank", "not scored" if "risk" in missing else "–" if _na(r.get("risk_rank")) else f"{int(r['risk_rank'])} of {p.scored}",  # type: ignore[call-overload]
                   help="Likely range from 1,000 random re-weightings (5–95%).")
    cols[2].metric("Protective (0–100)", "not scored" if "protective" in missing else "–" if _na(prot) else f"{float(prot):.0f}")  # type: ignore[arg-type]
    cols[3].metric("Protective rank", "not scored" if "protective" in missing else "–" if _na(r.get("protective_rank")) else f"{int(r['protective_rank'])} of {p.scored}")  # type: ignore[call-overload]
    lo, hi = r.get("risk_rank_p05"), r.get("risk_rank_p95")
    parts = []
    if not (_na(lo) or _na(hi)):
        parts.append(f"Risk rank likely between {int(lo)} and {int(hi)}.")  # type: ignore[call-overload]
    if isinstance(r.get("typology"), str):
        parts.append(f"Typology: {TYPOLOGY_WORDS.get(str(r['typology']), r['typology'])}.")
    if r.get("hotspot") in HOTSPOT_WORDS:
        parts.append(f"Hot spot: {HOTSPOT_WORDS[str(r['hotspot'])]}.")
    if parts:
        st.write(" ".join(parts))


def _na(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _drivers(p: Profile) -> None:
    st.subheader("What drives the risk score")
    if p.drivers.empty:
        st.write("No measure values this year.")
        return
    st.caption("Each measure's contribution = its share of the risk index (domain weight × measure weight) "
               "× its value turned to 0–100 so that higher always means more risk (a protective measure such as "
               "income is turned round: a high value here means LOW income). Together they make up the risk score.")
    shown = pd.DataFrame({
        "Measure": p.drivers["label"], "Domain": p.drivers["domain"],
        "Share of the index": (p.drivers["share"] * 100).round(1).astype(str) + "%",
        "Value (0–100)": [("withheld" if np.isnan(v) else f"{v:.0f}") for v in p.drivers["normalised"]],
        "Reads as": p.drivers["reads_as"],
        "Points of risk": [("" if np.isnan(v) else f"{v:.1f}") for v in p.drivers["contribution"]]})
    components.static_table(shown)


def _medians(p: Profile) -> None:
    st.subheader("Each measure against the city median")
    frame = p.versus_median.copy()
    if frame.empty:
        st.write("No measures.")
        return
    frame["vs median"] = [("–" if _na(r) else f"{r:.1f}×") for r in frame["ratio"]]
    frame["direction"] = frame["direction"].map({"risk": "higher = more risk", "protective": "higher = more protection"})
    frame["value"] = [n if n else ("–" if _na(v) else f"{v:,.2f}") for v, n in zip(frame["value"], frame["note"], strict=True)]
    frame["median"] = frame["median"].map(lambda v: "–" if _na(v) else f"{v:,.2f}")
    components.static_table(frame[["label", "value", "median", "vs median", "direction"]].rename(columns={
        "label": "Measure", "value": "Value", "median": "City median", "vs median": "× median",
        "direction": "Reads as"}))


def _trend_and_groups(p: Profile) -> None:
    st.subheader("Trend over the years")
    if p.trend.empty or p.trend["from_year"].isna().all():
        st.write("Only one year is scored: no trend yet.")
    else:
        rows = []
        for r in p.trend.itertuples():
            change = (risk_change(r.risk_score_change, r.risk_rank_change, r.risk_rank_to)
                      if r.comparable and not _na(r.risk_rank_change) else f"not comparable, because {r.reason}")
            rows.append({"From": int(r.from_year), "To": int(r.to_year),
                         "Risk then": _num(r.risk_score_from), "Risk now": _num(r.risk_score_to),
                         "Rank then": _int(r.risk_rank_from), "Rank now": _int(r.risk_rank_to), "Change": change})
        components.static_table(pd.DataFrame(rows))
        for r in p.trend[~p.trend["comparable"].astype(bool)].itertuples():
            st.warning(f"{int(r.from_year)} → {int(r.to_year)}: not comparable, because {md(r.reason)}")
    if len(p.groups) > 1:
        st.subheader("Breakdown by group")
        st.caption("Scores computed with the indicators of one population group (e.g. an age band).")
        shown = p.groups.assign(risk_score=p.groups["risk_score"].round(1),
                                protective_score=p.groups["protective_score"].round(1))
        components.static_table(shown.rename(columns={
            "grp": "Group", "risk_score": "Risk (0–100)", "risk_rank": "Risk rank",
            "protective_score": "Protective (0–100)", "protective_rank": "Protective rank"}))


def _num(v: object) -> str:
    return "–" if _na(v) else f"{float(v):.1f}"  # type: ignore[arg-type]


def _int(v: object) -> str:
    return "–" if _na(v) else f"{int(v)}"  # type: ignore[call-overload]


def _survey(p: Profile) -> None:
    st.subheader("Survey results")
    if p.survey.empty and not p.survey_hidden:
        st.write("No survey responses for this neighbourhood this year.")
        return
    rows = [{"Question": r.label, "Group": "everyone" if r.grp_var == "all" else f"{r.grp} ({r.grp_var})",
             "Result": survey_value(r.estimate, r.unit),
             "95% interval": f"{survey_value(r.ci_low, r.unit)} – {survey_value(r.ci_high, r.unit)}",
             "n": int(r.n)} for r in p.survey.itertuples()]
    components.static_table(pd.DataFrame(rows))
    if p.survey_hidden:
        st.caption(f"{p.survey_hidden} estimate(s) hidden in the public view: their effective sample is under "
                   f"{p.methodology.min_sample if p.methodology else 30:g}, too small to be reliable.")


def _online(p: Profile) -> None:
    st.subheader("Online signals")
    if p.online.empty:
        st.write("No online signals are recorded for this neighbourhood.")
        return
    series = p.online.set_index("period")[["count"]].rename(columns={"count": "signals per month"})
    st.line_chart(series, height=220, x_label="Month", y_label="Online signals per month")
    spikes = p.online[p.online["spike"]]
    if spikes.empty:
        st.caption("No spikes (no month far above the months before it).")
    else:
        months = ", ".join(pd.Timestamp(d).strftime("%B %Y") for d in spikes["period"])
        st.caption(f"Spikes (far above the previous months): {months}.")


def _registers(p: Profile) -> None:
    st.subheader("Mechanisms and partners serving it")
    if p.mechanisms.empty:
        st.write("No mechanisms or facilities registered here.")
    else:
        components.static_table(p.mechanisms.assign(themes=p.mechanisms["themes"].map(", ".join),
                                                    kind=p.mechanisms["kind"].str.replace("_", " "))[
            ["name", "kind", "themes"]].rename(columns={"name": "Mechanism", "kind": "Kind", "themes": "Themes"}))
    local = p.partners[~p.partners["city_wide"]] if "city_wide" in p.partners else p.partners
    wide = p.partners[p.partners["city_wide"]] if "city_wide" in p.partners else p.partners.iloc[:0]
    if local.empty:
        st.write("No local partners registered as working here.")
    else:
        st.markdown("**Local partners working here**")
        components.static_table(local.assign(themes=local["themes"].map(", ".join),
                                             sector=local["sector"].map(group_words))[
            ["name", "sector", "themes"]].rename(columns={"name": "Partner", "sector": "Sector", "themes": "Themes"}))
    if not wide.empty:
        st.write(f"Also serving it, as everywhere in the city: {len(wide)} city-wide partners ("
                 + md(", ".join(wide["name"])) + ").")
    st.subheader("Consultation")
    everyone = p.heard[p.heard["grp"] == "all"]["last_heard"]
    if everyone.empty or everyone.isna().all():
        st.write("Never consulted.")
    else:
        st.write(f"Last consulted on {pd.Timestamp(everyone.iloc[0]):%d %B %Y}.")
    stale = p.not_heard[p.not_heard["grp"] != "all"]
    if not stale.empty:
        words = [f"{group_words(g)} ({'never' if _na(m) else f'{int(m)} months ago'})"
                 for g, m in zip(stale["grp"], stale["months_since"], strict=True)]
        st.write("Groups not heard in the last 12 months: " + ", ".join(words) + ".")


def _quality(p: Profile) -> None:
    st.subheader("Data-quality notes")
    if not p.notes:
        st.write("No flags: every measure has a value and none is withheld.")
    for note in p.notes:
        st.markdown(f"- {md(note)}")


render()
