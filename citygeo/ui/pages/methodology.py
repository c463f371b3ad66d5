"""Methodology (``/methodology``): move weights, see ranks move live, check robustness, save a
version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from citygeo.errors import CitygeoError
from citygeo.i18n import N_, Words, _, isolate, ngettext
from citygeo.scoring import Methodology, coherence_report, unstable_neighbourhoods
from citygeo.service.city import CityData, current_methodology, score_years, scores
from citygeo.service.review import (
    Prepared4Review,
    already_saved,
    check_version,
    live_scores,
    prepare_review,
    proposal_intervals,
    rank_moves,
    reweighted,
    save_version,
)
from citygeo.store import Store
from citygeo.ui import cache
from citygeo.ui.components import md
from citygeo.words import index_not_scored, listing, measure_help, measure_label, whole

NORMALISATIONS = Words(
    {
        "minmax": N_("Lowest = 0, highest = 100, within each year"),
        "zscore": N_("Distance from the city average"),
        "percentile": N_("Share of neighbourhoods below"),
        "rank": N_("Place in the order"),
        "goalposts": N_("Fixed bounds (comparable across years)"),
    }
)
AGGREGATIONS = Words(
    {
        "arithmetic": N_("Average (a strong domain can make up for a weak one)"),
        "geometric": N_("Multiplied (a weak domain cannot be made up for)"),
    }
)
HELP = Words(
    {
        "normalisation": N_(
            "How each measure is put on a 0–100 scale. Technical names: "
            "min–max, z-score, percentile, rank, goalposts."
        ),
        "aggregation": N_(
            "How domains are combined into an index. Technical names: "
            "arithmetic mean, geometric mean."
        ),
    }
)


@st.cache_resource(show_spinner=False, max_entries=4)
def _review(
    path: str, version: tuple[int, int], normalisation: str, _methodology: Methodology
) -> Prepared4Review:
    return prepare_review(Store(path), _methodology)


def render() -> None:
    store, city = cache.open_city()
    key = (str(store.path), store.version())
    cache.page_header(city, _("methodology"))
    if cache.empty_state(city):
        return
    years = score_years(city)
    year = years[0]
    saved = current_methodology(city, year)
    if saved is None:
        st.info(_("No methodology is saved with the scores."))
        return
    if _SAVED in st.session_state:
        st.success(st.session_state.pop(_SAVED))
    st.write(
        _(
            "Current version **{version}** (scores of {year}). Move a weight: the indices and "
            "ranks are recomputed at once; nothing is saved until you save."
        ).format(version=md(saved.version), year=year)
    )
    with st.expander(_("Why this version (its note)")):
        st.text(saved.note.strip() or _("no note"))
    try:
        chosen = _controls(saved)
        base = reweighted(saved, normalisation=chosen.normalisation)
        review = _review(*key, chosen.normalisation, base)
    except CitygeoError as err:
        st.error(str(err))
        return
    live = live_scores(review, chosen, year) if year in review.years else pd.DataFrame()
    current = scores(city, year)
    _moves(current, live, year)
    _robustness(current, review, chosen, year)
    _coherence(current, saved, year)
    _save(store, city, review, chosen, years)


def _controls(saved: Methodology) -> Methodology:
    cols = st.columns(2)
    norm = cols[0].selectbox(
        _("Normalisation"),
        list(NORMALISATIONS),
        index=list(NORMALISATIONS).index(saved.normalisation),
        format_func=NORMALISATIONS.__getitem__,
        key="normalisation",
        help=HELP["normalisation"],
    )
    agg = cols[1].selectbox(
        _("Aggregation"),
        list(AGGREGATIONS),
        index=list(AGGREGATIONS).index(saved.aggregation),
        format_func=AGGREGATIONS.__getitem__,
        key="aggregation",
        help=HELP["aggregation"],
    )
    domain_weights, measure_weights = {}, {}
    for index, title in (
        ("risk", _("**Risk index: domain weights**")),
        ("protective", _("**Protective index: domain weights**")),
    ):
        st.markdown(title)
        domains = [d for d in saved.domains if d.index == index]
        if not domains:
            st.caption(index_not_scored(index))
            continue
        domain_cols = st.columns(len(domains))
        for col, d in zip(domain_cols, domains, strict=True):
            domain_weights[d.id] = col.slider(
                md(d.label or d.id), 0.0, 3.0, float(d.weight), 0.25, key=f"w_{d.id}"
            )
    with st.expander(_("Measure weights (within their domain)")):
        for d in saved.domains:
            st.markdown(f"*{md(d.label or d.id)}*")
            measures = saved.measures_of(d.id)
            measure_cols = st.columns(max(len(measures), 1))
            for col, m in zip(measure_cols, measures, strict=True):
                measure_weights[m.id] = col.slider(
                    measure_label(saved, m.id),
                    0.0,
                    3.0,
                    float(m.weight),
                    0.25,
                    key=f"m_{m.id}",
                    help=measure_help(saved, m.id),
                )
    return reweighted(
        saved,
        domain_weights=domain_weights,
        measure_weights=measure_weights,
        aggregation=agg,
        normalisation=norm,
    )


def _moves(current: pd.DataFrame, live: pd.DataFrame, year: int) -> None:
    st.subheader(_("Which ranks move (risk index, against the saved version)"))
    if live.empty:
        st.write(_("{year} cannot be recomputed with these inputs.").format(year=year))
        return
    moves = rank_moves(current, live)
    if moves.empty:
        st.success(_("No risk rank moves with these settings."))
        return
    biggest = moves.iloc[0]
    st.write(
        ngettext(
            "{n} of {total} neighbourhoods changes rank; the largest move is {name}, "
            "{code}: rank {saved} → {new}.",
            "{n} of {total} neighbourhoods change rank; the largest move is {name}, "
            "{code}: rank {saved} → {new}.",
            len(moves),
        ).format(
            n=whole(len(moves)),
            total=whole(len(live)),
            name=md(isolate(biggest["name"])),
            code=biggest["nid"],
            saved=int(biggest["saved"]),
            new=int(biggest["new"]),
        )
    )
    st.dataframe(
        moves.rename(
            columns={
                "nid": _("Code"),
                "name": _("Neighbourhood"),
                "saved": _("Saved rank"),
                "new": _("New rank"),
                "moved": _("Moved (− = more at risk)"),
            }
        ),
        hide_index=True,
        height=250,
    )


def _robustness(
    current: pd.DataFrame, review: Prepared4Review, chosen: Methodology, year: int
) -> None:
    st.subheader(_("Robustness of the ranks: saved version and your proposal"))
    st.caption(
        _(
            "Each risk rank's likely range over random re-weightings (each weight "
            "×0.75–1.25): 1,000 for the saved version, 200 for the proposal (recomputed as "
            "you move a weight; saving computes 1,000)."
        )
    )
    if not chosen.scores("risk"):
        st.write(_("Risk index not scored by this methodology: no risk ranks to test."))
        return
    proposed = proposal_intervals(review, chosen, year) if year in review.years else pd.DataFrame()
    names = dict(zip(current["nid"], current["name"], strict=True))
    for title, frame in ((_("Saved version"), current), (_("Your proposal"), proposed)):
        if frame.empty or frame["risk_rank_p05"].isna().all():
            st.write(_("{title}: no rank ranges.").format(title=title))
            continue
        unstable = unstable_neighbourhoods(frame.dropna(subset=["risk_rank_p05", "risk_rank_p95"]))
        if unstable.empty:
            st.write(
                _(
                    "{title}: no neighbourhood's rank is unstable (every likely range is within "
                    "10% of the ranks)."
                ).format(title=title)
            )
            continue
        st.write(
            ngettext(
                "{title}: {n} neighbourhood has an unstable rank (likely range wider "
                "than 10% of the ranks):",
                "{title}: {n} neighbourhoods have unstable ranks (likely range wider than "
                "10% of the ranks):",
                len(unstable),
            ).format(title=title, n=whole(len(unstable)))
        )
        st.dataframe(
            unstable.assign(name=unstable["nid"].map(names))[
                ["nid", "name", "risk_rank", "risk_rank_p05", "risk_rank_p95", "width"]
            ].rename(
                columns={
                    "nid": _("Code"),
                    "name": _("Neighbourhood"),
                    "risk_rank": _("Rank"),
                    "risk_rank_p05": _("Likely from"),
                    "risk_rank_p95": _("Likely to"),
                    "width": _("Width"),
                }
            ),
            hide_index=True,
            key=f"unstable_{'saved' if frame is current else 'proposal'}",
        )


def _coherence(current: pd.DataFrame, saved: Methodology, year: int) -> None:
    with st.expander(_("Statistical coherence of the saved version")):
        report = coherence_report(current, saved, year)
        labels = {d.id: d.label or d.id for d in saved.domains}
        st.markdown(
            _("**Do each domain's measures pull together?** (0.7 or more is usual)"),
            help=_("Technical name: Cronbach's alpha, over the domain's normalised measures."),
        )
        st.dataframe(
            report.alpha.assign(domain=report.alpha["domain"].map(labels)).rename(
                columns={"domain": _("Domain"), "measures": _("Measures"), "alpha": _("Alpha")}
            ),
            hide_index=True,
        )
        flagged = report.correlations[report.correlations["flag"] != ""]
        st.markdown(
            _(
                "**Pairs of measures to look at** (redundant: |r| > 0.9; suspect: pull "
                "against each other in one domain)"
            )
        )
        if flagged.empty:
            st.write(_("None."))
        else:
            st.dataframe(
                flagged.assign(
                    measure_a=flagged["measure_a"].map(lambda m: measure_label(saved, m)),
                    measure_b=flagged["measure_b"].map(lambda m: measure_label(saved, m)),
                )[["measure_a", "measure_b", "r", "flag"]].rename(
                    columns={
                        "measure_a": _("Measure"),
                        "measure_b": _("and"),
                        "r": _("Correlation"),
                        "flag": _("Why"),
                    }
                ),
                hide_index=True,
            )
        eff = report.effective_weights
        st.markdown(
            _("**The weight given to each measure, and how much of the index it really drives**"),
            help=_(
                "Technical: the effective share is each measure's share of the squared "
                "correlations (r²) with its index."
            ),
        )
        st.dataframe(
            eff.assign(measure=eff["measure"].map(lambda m: measure_label(saved, m)))[
                ["index", "measure", "nominal", "effective"]
            ].rename(
                columns={
                    "index": _("Index"),
                    "measure": _("Measure"),
                    "nominal": _("Nominal share"),
                    "effective": _("Effective share"),
                }
            ),
            hide_index=True,
        )


def _save(
    store: Store, city: CityData, review: Prepared4Review, chosen: Methodology, years: list[int]
) -> None:
    st.subheader(_("Save as a new version"))
    with st.form("save"):
        cols = st.columns([1, 2])
        version = cols[0].text_input(
            _("Version"), value=_next_version(chosen.version), key="new_version"
        )
        apply_to = cols[1].multiselect(
            _("Score these years with it"),
            review.years,
            default=[max(review.years)],
            key="apply_years",
            help=_(
                "Years left out keep their methodology; comparing them "
                "with the new version is marked 'not comparable'."
            ),
        )
        note = st.text_area(_("Note: why this version differs from the last one"), key="note")
        submitted = st.form_submit_button(_("Save new version"))
    if not submitted:
        return
    try:
        final = reweighted(chosen, version=version.strip() or chosen.version, note=note)
        if already_saved(city, final):
            st.info(
                _(
                    "Version {version} is already saved with exactly this specification: "
                    "nothing to save (the scores are unchanged)."
                ).format(version=md(final.version))
            )
            return
        check_version(city, final)
        with st.spinner(_("Scoring and saving (with 1,000 draws for the rank intervals)…")):
            save_version(store, review, final, apply_to, note)
    except CitygeoError as err:
        st.error(
            _("{error} (On this page: change the Version field, or put the weights back.)").format(
                error=err
            )
            if "already saved" in str(err)
            else str(err)
        )
        return
    st.session_state[_SAVED] = _(
        "Saved version {version} for {years}. The map and profiles now show it."
    ).format(version=final.version, years=listing([str(y) for y in sorted(apply_to)]))
    for widget in [k for k in st.session_state if str(k).startswith(("w_", "m_"))] + [
        "normalisation",
        "aggregation",
        "new_version",
        "note",
        "apply_years",
    ]:
        st.session_state.pop(
            widget, None
        )  # the proposal is saved: start again from the new current version
    st.rerun()


_SAVED = "methodology_saved"


def _next_version(version: str) -> str:
    head, _dot, tail = version.rpartition(".")
    return f"{head}.{int(tail) + 1}" if head and tail.isdigit() else f"{version}.1"


render()
