"""Data & quality (``/data``): where every number comes from, how fresh it is, what was withheld."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from citygeo.service.city import current_methodology
from citygeo.service.quality import data_quality
from citygeo.ui import cache
from citygeo.ui.components import md

SOURCE_LABELS = {"source_id": "Id", "name": "Source", "owner": "Owner", "licence": "Licence",
                 "collected": "Collected", "refresh": "Refresh every", "due": "Review due", "method": "Method",
                 "known_biases": "Known biases", "coverage": "Coverage"}


def render() -> None:
    store, city = cache.open_city()
    cache.page_header(city, "data and quality")
    if city.neighbourhoods.empty:
        cache.empty_state(city)
        return
    today = dt.date.today()
    quality = data_quality(city, today)
    st.subheader("Sources")
    if quality.sources.empty:
        st.info("No sources are described in this city's config ([sources.*] tables).")
    else:
        for r in quality.overdue.itertuples():
            st.warning(f"**{md(r.name)}** was due for review on {r.due:%d %B %Y} ({int(r.days_overdue)} days ago): "
                       "this mapping is due for its review — refresh the source and re-run the ingest.")
        shown = quality.sources.copy()
        shown["refresh"] = shown["refresh"].map(_duration_words)
        shown["due"] = [("OVERDUE since " if o else "") + (f"{d:%Y-%m-%d}" if isinstance(d, dt.date) else "–")
                        for d, o in zip(shown["due"], shown["overdue"], strict=True)]
        first = ["name", "owner", "licence", "collected", "refresh", "due"]
        st.dataframe(shown[[c for c in first if c in shown]].rename(columns=SOURCE_LABELS), hide_index=True)
        st.markdown("**How each source was made, its known biases and coverage**")
        second = ["name", "method", "known_biases", "coverage"]
        st.dataframe(shown[[c for c in second if c in shown]].rename(columns=SOURCE_LABELS), hide_index=True)
    st.subheader("Last ingest")
    if quality.ingest is None:
        st.write("No ingest report is stored.")
    else:
        report = quality.ingest
        st.write(f"Ingested {pd.Timestamp(quality.ingested_at):%d %B %Y, %H:%M} from `{report.get('config_path', '?')}`.")
        counts = pd.DataFrame(list(dict(report.get("counts", {})).items()), columns=["Table", "Rows"])  # type: ignore[arg-type]
        cols = st.columns(2)
        cols[0].dataframe(counts, hide_index=True)
        points = pd.DataFrame(report.get("points", []))
        if not points.empty:
            cols[1].dataframe(points.rename(columns={"kind": "Kind", "file": "File", "rows": "Rows",
                                                     "assigned": "In a neighbourhood", "outside": "Outside every neighbourhood"}),
                              hide_index=True)
        warnings = list(report.get("warnings", []))  # type: ignore[call-overload]
        if warnings:
            st.markdown("**Warnings**")
            for w in warnings:
                st.text(f"• {w}")
        else:
            st.write("No warnings.")
    st.subheader("Withheld values")
    methodology = current_methodology(city)
    min_count = methodology.min_count if methodology else 5
    min_sample = methodology.min_sample if methodology else 30
    view = "are withheld in this public view" if city.public else "would be withheld in the public view"
    st.write(f"{quality.suppressed_cells:,} neighbourhood values built on 1 to {min_count - 1} events and "
             f"{quality.unreliable_cells:,} survey estimates with an effective sample under {min_sample:g} {view} "
             "(current scores, all years and groups).")
    st.subheader("Is the survey representative?")
    if quality.representativeness.empty:
        st.write("No group is under-represented (or the survey has no groups to check against the population).")
    else:
        rep = quality.representativeness
        names = dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
        st.write(f"{rep['nid'].nunique()} neighbourhoods have at least one group answering at under half its "
                 "population share:")
        st.dataframe(rep.assign(name=rep["nid"].map(names))[["nid", "name", "year", "summary"]].rename(columns={
            "nid": "Code", "name": "Neighbourhood", "year": "Year", "summary": "Finding"}), hide_index=True, height=260)


def _duration_words(text: object) -> str:
    words = {"P1Y": "year", "P1M": "month", "P3M": "3 months", "P6M": "6 months", "P2Y": "2 years", "P1W": "week"}
    return words.get(str(text), str(text)) if isinstance(text, str) else "–"


render()
