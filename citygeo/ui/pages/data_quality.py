"""Data & quality (``/data``): where every number comes from, how fresh it is, what was withheld."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from citygeo.i18n import N_, Words, _, format_date, ngettext
from citygeo.service.city import current_methodology
from citygeo.service.quality import data_quality
from citygeo.ui import cache
from citygeo.ui.components import md
from citygeo.words import whole

SOURCE_LABELS = Words(
    {
        "source_id": N_("Id"),
        "name": N_("Source"),
        "owner": N_("Owner"),
        "licence": N_("Licence"),
        "collected": N_("Collected"),
        "refresh": N_("Refresh every"),
        "due": N_("Review due"),
        "method": N_("Method"),
        "known_biases": N_("Known biases"),
        "coverage": N_("Coverage"),
    }
)


def render() -> None:
    _store, city = cache.open_city()
    cache.page_header(city, _("data and quality"))
    if city.neighbourhoods.empty:
        cache.empty_state(city)
        return
    today = dt.date.today()
    quality = data_quality(city, today)
    st.subheader(_("Sources"))
    if quality.sources.empty:
        st.info(_("No sources are described in this city's config ([sources.*] tables)."))
    else:
        for r in quality.overdue.itertuples():
            text = ngettext(
                "**{source}** was due for review on {date} ({n} day ago): this mapping "
                "is due for its review — refresh the source and re-run the ingest.",
                "**{source}** was due for review on {date} ({n} days ago): this mapping "
                "is due for its review — refresh the source and re-run the ingest.",
                int(r.days_overdue),
            )
            st.warning(
                text.format(source=md(r.name), date=format_date(r.due), n=int(r.days_overdue))
            )
        shown = quality.sources.copy()
        shown["refresh"] = shown["refresh"].map(_duration_words)
        shown["due"] = [
            _due_words(d, bool(o)) for d, o in zip(shown["due"], shown["overdue"], strict=True)
        ]
        first = ["name", "owner", "licence", "collected", "refresh", "due"]
        st.dataframe(
            shown[[c for c in first if c in shown]].rename(columns=dict(SOURCE_LABELS)),
            hide_index=True,
        )
        st.markdown(_("**How each source was made, its known biases and coverage**"))
        second = ["name", "method", "known_biases", "coverage"]
        st.dataframe(
            shown[[c for c in second if c in shown]].rename(columns=dict(SOURCE_LABELS)),
            hide_index=True,
        )
    st.subheader(_("Last ingest"))
    if quality.ingest is None:
        st.write(_("No ingest report is stored."))
    else:
        report = quality.ingest
        when = pd.Timestamp(quality.ingested_at)
        st.write(
            _("Ingested {date}, {time} from `{config}`.").format(
                date=format_date(when.date()),
                time=f"{when:%H:%M}",
                config=report.get("config_path", "?"),
            )
        )
        counts = pd.DataFrame(
            list(dict(report.get("counts") or {}).items()),  # type: ignore[call-overload]
            columns=[_("Table"), _("Rows")],
        )
        cols = st.columns(2)
        cols[0].dataframe(counts, hide_index=True)
        points = pd.DataFrame(report.get("points", []))
        if not points.empty:
            cols[1].dataframe(
                points.rename(
                    columns={
                        "kind": _("Kind"),
                        "file": _("File"),
                        "rows": _("Rows"),
                        "assigned": _("In a neighbourhood"),
                        "outside": _("Outside every neighbourhood"),
                    }
                ),
                hide_index=True,
            )
        warnings = list(report.get("warnings", []))  # type: ignore[call-overload]
        if warnings:
            st.markdown(_("**Warnings**"))
            for w in warnings:
                st.text(f"• {w}")
        else:
            st.write(_("No warnings."))
    st.subheader(_("Withheld values"))
    methodology = current_methodology(city)
    min_count = methodology.min_count if methodology else 5
    min_sample = methodology.min_sample if methodology else 30
    text = (
        _(
            "{values} neighbourhood values built on 1 to {events} events and {estimates} survey "
            "estimates with an effective sample under {sample} are withheld in this public view "
            "(current scores, all years and groups)."
        )
        if city.public
        else _(
            "{values} neighbourhood values built on 1 to {events} events and {estimates} survey "
            "estimates with an effective sample under {sample} would be withheld in the public "
            "view (current scores, all years and groups)."
        )
    )
    st.write(
        text.format(
            values=whole(quality.suppressed_cells),
            events=whole(min_count - 1),
            estimates=whole(quality.unreliable_cells),
            sample=whole(min_sample),
        )
    )
    st.subheader(_("Is the survey representative?"))
    if quality.representativeness.empty:
        st.write(
            _(
                "No group is under-represented (or the survey has no groups to check against "
                "the population)."
            )
        )
    else:
        rep = quality.representativeness
        names = dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
        count = int(rep["nid"].nunique())
        st.write(
            ngettext(
                "{n} neighbourhood has at least one group answering at under half its "
                "population share:",
                "{n} neighbourhoods have at least one group answering at under half its "
                "population share:",
                count,
            ).format(n=whole(count))
        )
        st.dataframe(
            rep.assign(name=rep["nid"].map(names))[["nid", "name", "year", "summary"]].rename(
                columns={
                    "nid": _("Code"),
                    "name": _("Neighbourhood"),
                    "year": _("Year"),
                    "summary": _("Finding"),
                }
            ),
            hide_index=True,
            height=260,
        )


DURATIONS = Words(
    {
        "P1Y": N_("year"),
        "P1M": N_("month"),
        "P3M": N_("3 months"),
        "P6M": N_("6 months"),
        "P2Y": N_("2 years"),
        "P1W": N_("week"),
    }
)


def _duration_words(text: object) -> str:
    return DURATIONS.get(str(text), str(text)) if isinstance(text, str) else "–"


def _due_words(day: object, overdue: bool) -> str:
    if not isinstance(day, dt.date):
        return "–"
    return _("overdue since {date}").format(date=format_date(day)) if overdue else format_date(day)


render()
