"""The neighbourhood profile (``/profile?nid=N017``): why a neighbourhood scores as it does.
Printable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from citygeo.errors import CitygeoError
from citygeo.i18n import (
    _,
    format_month,
    format_number,
    format_percent,
    isolate,
    language,
    ngettext,
)
from citygeo.service.city import CityData, score_years
from citygeo.service.profile import Profile, check_printable, profile
from citygeo.store import Store
from citygeo.ui import cache, components
from citygeo.ui.components import md
from citygeo.words import (
    HOTSPOT_WORDS,
    TYPOLOGY_WORDS,
    group_words,
    hotspot_help,
    hotspot_method,
    index_not_scored,
    listing,
    risk_change,
    survey_value,
    whole,
)

PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stSidebarCollapsedControl"], .stSelectbox, .stButton { display: none !important; }
  .block-container, [data-testid="stMainBlockContainer"] { padding: 0 !important;
    max-width: 100% !important; }
  details { break-inside: avoid; }
  [data-testid="stAppViewContainer"], [data-testid="stMain"], section.main {
    overflow: visible !important;
    height: auto !important; position: static !important; }
  [data-testid="stTable"], [data-testid="stTable"] > div { overflow: visible !important;
    max-height: none !important; }
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
        cache.page_header(city, _("neighbourhood profile"))
        cache.empty_state(city)
        return
    nid = st.query_params.get("nid")
    picked = components.neighbourhood_picker(
        city.neighbourhoods, (str(store.path), store.version()), key="profile_nid", current=nid
    )
    if picked and picked != nid:
        st.query_params["nid"] = picked
        nid = picked
    if not nid:
        cache.page_header(city, _("neighbourhood profile"))
        st.info(
            _("Pick a neighbourhood above (type its name or its code), or click one on the map.")
        )
        return
    head = st.container()
    try:
        years = score_years(city)
        year = _year(years)
        prof = profile(city, nid, year, as_of=dt.date.today())
    except CitygeoError as err:
        with head:
            cache.page_header(city, _("neighbourhood profile"))
        st.error(str(err))
        return
    with head:
        st.title(f"{md(prof.name)} ({md(prof.nid)})")
        cache.fictional_notice(city.settings)
        population = (
            _("{n} residents").format(n=whole(prof.population))
            if prof.population and not np.isnan(prof.population)
            else None
        )
        facts = [
            _("district {name}").format(name=isolate(prof.district)) if prof.district else None,
            population,
            _("scores for {year}").format(year=prof.year) if prof.year else None,
            _("methodology {version}").format(version=prof.methodology.version)
            if prof.methodology
            else None,
            _("public view") if city.public else _("analyst view"),
        ]
        st.caption(" · ".join(md(f) for f in facts if f))
        st.info(md(prof.headline))
    if prof.row is None:
        st.info(
            _(
                "This neighbourhood has no scores yet (the city has not been scored, or not "
                "this year)."
            )
        )
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
    try:
        check_printable(city, prof.nid, prof.year)
    except CitygeoError as err:
        st.error(str(err))
        return
    # rendered when the button is clicked, not on every visit of the page (it cost more than
    # the rest of the page together); in the page's language, captured now
    report = cache.profile_report(str(store.path), store.version(), prof.nid, prof.year, city.mode)
    st.download_button(
        _("Printable profile (A4, HTML)"),
        report,
        file_name=f"profile-{prof.nid}-{prof.year}-{language()}.html",
        mime="text/html",
        key="print",
    )
    st.caption(
        _("Or print this page with the browser's Print (Ctrl+P): menus and controls are left out.")
    )


def _year(years: list[int]) -> int | None:
    if len(years) <= 1:
        return years[0] if years else None
    return components.year_picker(years, st.columns(4)[0], key="profile_year")


def _of(rank: object, n: int) -> str:
    return _("{rank} of {n}").format(rank=whole(rank), n=whole(n))


def _scores(p: Profile) -> None:
    r = p.row or {}
    cols = st.columns(4)
    risk, prot = r.get("risk_score"), r.get("protective_score")
    missing = {
        i
        for i in ("risk", "protective")
        if p.methodology is not None and not p.methodology.scores(i)
    }
    if missing:
        st.caption(" · ".join(index_not_scored(i) for i in sorted(missing)))
    unscored = _("not scored")
    cols[0].metric(
        _("Risk (0–100)"),
        unscored if "risk" in missing else "–" if _na(risk) else whole(risk),
        help=_("Weighted mean of the risk domains; 100 = highest in the city this year."),
    )
    cols[1].metric(
        _("Risk rank"),
        unscored
        if "risk" in missing
        else "–"
        if _na(r.get("risk_rank"))
        else _of(r["risk_rank"], p.scored),
        help=_("Likely range from 1,000 random re-weightings (5–95%)."),
    )
    cols[2].metric(
        _("Protective (0–100)"),
        unscored if "protective" in missing else "–" if _na(prot) else whole(prot),
    )
    cols[3].metric(
        _("Protective rank"),
        unscored
        if "protective" in missing
        else "–"
        if _na(r.get("protective_rank"))
        else _of(r["protective_rank"], p.scored),
    )
    lo, hi = r.get("risk_rank_p05"), r.get("risk_rank_p95")
    parts = []
    if not (_na(lo) or _na(hi)):
        parts.append(
            _("Risk rank likely between {low} and {high}.").format(low=whole(lo), high=whole(hi))
        )
    if isinstance(r.get("typology"), str):
        parts.append(
            _("Typology: {typology}.").format(
                typology=TYPOLOGY_WORDS.get(str(r["typology"]), r["typology"])
            )
        )
    hot = r.get("hotspot") in HOTSPOT_WORDS
    if hot:
        parts.append(_("Hot spot: {hotspot}.").format(hotspot=HOTSPOT_WORDS[str(r["hotspot"])]))
    if parts:  # the hot spot's technical name one click away, for analysts
        st.markdown(
            " ".join(parts),
            help=f"{hotspot_method(p.methodology)} {hotspot_help()}" if hot else None,
        )


def _na(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _drivers(p: Profile) -> None:
    st.subheader(_("What drives the risk score"))
    if p.drivers.empty:
        st.write(_("No measure values this year."))
        return
    st.caption(
        _(
            "Each measure's contribution = its share of the risk index (domain weight × "
            "measure weight) × its value turned to 0–100 so that higher always means more "
            "risk (a protective measure such as income is turned round: a high value here "
            "means LOW income). Together they make up the risk score."
        )
    )
    withheld = _("withheld")
    shown = pd.DataFrame(
        {
            _("Measure"): p.drivers["label"],
            _("Domain"): p.drivers["domain"],
            _("Share of the index"): [format_percent(v, 1) for v in p.drivers["share"]],
            _("Value (0–100)"): [
                (withheld if np.isnan(v) else whole(v)) for v in p.drivers["normalised"]
            ],
            _("Reads as"): p.drivers["reads_as"],
            _("Points of risk"): [
                ("" if np.isnan(v) else format_number(v, 1)) for v in p.drivers["contribution"]
            ],
        }
    )
    components.static_table(shown)


def _medians(p: Profile) -> None:
    st.subheader(_("Each measure against the city median"))
    frame = p.versus_median.copy()
    if frame.empty:
        st.write(_("No measures."))
        return
    frame["vs median"] = [
        ("–" if _na(r) else _("{ratio}×").format(ratio=format_number(r, 1))) for r in frame["ratio"]
    ]
    frame["direction"] = frame["direction"].map(
        {"risk": _("higher = more risk"), "protective": _("higher = more protection")}
    )
    frame["value"] = [
        n if n else ("–" if _na(v) else format_number(v, 2))
        for v, n in zip(frame["value"], frame["note"], strict=True)
    ]
    frame["median"] = frame["median"].map(lambda v: "–" if _na(v) else format_number(v, 2))
    components.static_table(
        frame[["label", "value", "median", "vs median", "direction"]].rename(
            columns={
                "label": _("Measure"),
                "value": _("Value"),
                "median": _("City median"),
                "vs median": _("× median"),
                "direction": _("Reads as"),
            }
        )
    )


def _trend_and_groups(p: Profile) -> None:
    st.subheader(_("Trend over the years"))
    if p.trend.empty or p.trend["from_year"].isna().all():
        st.write(_("Only one year is scored: no trend yet."))
    else:
        rows = []
        for r in p.trend.itertuples():
            change = (
                risk_change(r.risk_score_change, r.risk_rank_change, r.risk_rank_to)
                if r.comparable and not _na(r.risk_rank_change)
                else _("not comparable, because {reason}").format(reason=r.reason)
            )
            rows.append(
                {
                    _("From"): int(r.from_year),
                    _("To"): int(r.to_year),
                    _("Risk then"): _num(r.risk_score_from),
                    _("Risk now"): _num(r.risk_score_to),
                    _("Rank then"): _int(r.risk_rank_from),
                    _("Rank now"): _int(r.risk_rank_to),
                    _("Change"): change,
                }
            )
        components.static_table(pd.DataFrame(rows))
        for r in p.trend[~p.trend["comparable"].astype(bool)].itertuples():
            st.warning(
                _("{start} → {end}: not comparable, because {reason}.").format(
                    start=int(r.from_year), end=int(r.to_year), reason=md(r.reason)
                )
            )
    if len(p.groups) > 1:
        st.subheader(_("Breakdown by group"))
        st.caption(
            _("Scores computed with the indicators of one population group (e.g. an age band).")
        )
        shown = p.groups.assign(
            risk_score=p.groups["risk_score"].round(1),
            protective_score=p.groups["protective_score"].round(1),
        )
        components.static_table(
            shown.rename(
                columns={
                    "grp": _("Group"),
                    "risk_score": _("Risk (0–100)"),
                    "risk_rank": _("Risk rank"),
                    "protective_score": _("Protective (0–100)"),
                    "protective_rank": _("Protective rank"),
                }
            )
        )


def _num(v: object) -> str:
    return "–" if _na(v) else format_number(float(v), 1)  # type: ignore[arg-type]


def _int(v: object) -> str:
    return "–" if _na(v) else whole(v)


def _survey(p: Profile) -> None:
    st.subheader(_("Survey results"))
    if p.survey.empty and not p.survey_hidden:
        st.write(_("No survey responses for this neighbourhood this year."))
        return
    rows = [
        {
            _("Question"): r.label,
            _("Group"): _("everyone")
            if r.grp_var == "all"
            else f"{r.grp} ({group_words(r.grp_var)})",
            _("Result"): survey_value(r.estimate, r.unit),
            _("95% interval"): _("{low} – {high}").format(
                low=survey_value(r.ci_low, r.unit), high=survey_value(r.ci_high, r.unit)
            ),
            _("n"): int(r.n),
        }
        for r in p.survey.itertuples()
    ]
    components.static_table(pd.DataFrame(rows))
    if p.survey_hidden:
        sample = p.methodology.min_sample if p.methodology else 30
        st.caption(
            ngettext(
                "{n} estimate hidden in the public view: its effective sample is under "
                "{sample}, too small to be reliable.",
                "{n} estimates hidden in the public view: their effective sample is "
                "under {sample}, too small to be reliable.",
                p.survey_hidden,
            ).format(n=whole(p.survey_hidden), sample=whole(sample))
        )


def _online(p: Profile) -> None:
    st.subheader(_("Online signals"))
    if p.online.empty:
        st.write(_("No online signals are recorded for this neighbourhood."))
        return
    per_month = _("signals per month")
    series = p.online.set_index("period")[["count"]].rename(columns={"count": per_month})
    st.line_chart(series, height=220, x_label=_("Month"), y_label=_("Online signals per month"))
    spikes = p.online[p.online["spike"]]
    if spikes.empty:
        st.caption(_("No spikes (no month far above the months before it)."))
    else:
        months = listing([format_month(pd.Timestamp(d).date()) for d in spikes["period"]])
        st.caption(_("Spikes (far above the previous months): {months}.").format(months=months))


def _registers(p: Profile) -> None:
    st.subheader(_("Mechanisms and partners serving it"))
    if p.mechanisms.empty:
        st.write(_("No mechanisms or facilities registered here."))
    else:
        components.static_table(
            p.mechanisms.assign(
                themes=p.mechanisms["themes"].map(listing),
                kind=p.mechanisms["kind"].str.replace("_", " "),
            )[["name", "kind", "themes"]].rename(
                columns={"name": _("Mechanism"), "kind": _("Kind"), "themes": _("Themes")}
            )
        )
    local = p.partners[~p.partners["city_wide"]] if "city_wide" in p.partners else p.partners
    wide = p.partners[p.partners["city_wide"]] if "city_wide" in p.partners else p.partners.iloc[:0]
    if local.empty:
        st.write(_("No local partners registered as working here."))
    else:
        st.markdown(_("**Local partners working here**"))
        components.static_table(
            local.assign(
                themes=local["themes"].map(listing), sector=local["sector"].map(group_words)
            )[["name", "sector", "themes"]].rename(
                columns={"name": _("Partner"), "sector": _("Sector"), "themes": _("Themes")}
            )
        )
    if not wide.empty:
        st.write(
            ngettext(
                "Also serving it, as everywhere in the city: {n} city-wide partner ({names}).",
                "Also serving it, as everywhere in the city: {n} city-wide partners ({names}).",
                len(wide),
            ).format(n=whole(len(wide)), names=md(listing(list(wide["name"]))))
        )
    st.subheader(_("Consultation"))
    st.write(p.consultation_text)
    if p.groups_not_heard:
        st.write(
            _("Groups not heard in the last 12 months: {groups}.").format(groups=p.groups_not_heard)
        )


def _quality(p: Profile) -> None:
    if p.row is not None:
        st.subheader(_("Where this neighbourhood stands out (top tenth of the city)"))
        if p.stands_out:
            st.write(
                ngettext(
                    "Among the tenth of neighbourhoods with the highest value for {n} risk "
                    "measure:",
                    "Among the tenth of neighbourhoods with the highest values for {n} risk "
                    "measures:",
                    len(p.stands_out),
                ).format(n=whole(len(p.stands_out)))
            )
            for label in p.stands_out:
                st.markdown(f"- {md(label)}")
        else:
            st.write(_("Not among the top tenth of the city for any risk measure."))
    st.subheader(_("Caveats"))
    if not p.notes:
        st.write(_("None: every measure has a value and none is withheld."))
    for note in p.notes:
        st.markdown(f"- {md(note)}")


render()
