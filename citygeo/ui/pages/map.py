"""The map page (``/``): a choropleth of one indicator, with legend, tooltip and click."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from citygeo.classify import SCHEME_LABELS, classify, palette
from citygeo.errors import CitygeoError
from citygeo.ui import data
from citygeo.ui.maps import CHOROPLETH_LAYER_ID, choropleth, legend_rows


def render() -> None:
    try:
        store = data.current_store()
    except CitygeoError as err:
        data.show_error(err)
    key = (str(store.path), store.version())
    settings = data.city(*key)
    st.title(f"{settings.get('name', 'City')}: neighbourhood map")
    data.fictional_notice(settings)
    hoods = data.neighbourhoods(*key)
    if hoods.empty:
        st.info("This store holds no neighbourhoods yet. Load a city with "
                "`citygeo ingest CITY.toml`.")
        return
    values = data.indicator_values(*key)
    values = values[values["grp"] == "all"]
    if values.empty:
        st.info("This city has no indicators yet: only the outlines are shown.")
    measure, year, scheme = _controls(values)
    frame = _values_for(hoods, values, measure, year)
    classes = classify(frame["value"].to_numpy(), scheme, 5)
    colours = palette("OrRd", len(classes.bins) or 1)
    geometry = data.display_geometry(*key)
    label = _label(values, measure)
    deck = choropleth(geometry["features"], _properties(frame, label), classes, colours,
                      geometry["bounds"], tooltip="{name} ({nid})\n{label}: {shown}\nrank {rank}")
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object",
                            key="map", height=560, use_container_width=True)
    _legend(classes, colours, label, scheme)
    _selected(event, frame, label)
    with st.expander("Table view of the same numbers"):
        st.dataframe(frame[["nid", "name", "district", "value", "rank"]].rename(
            columns={"value": label}), hide_index=True, use_container_width=True)


def _controls(values: pd.DataFrame) -> tuple[str | None, int | None, str]:
    measures = sorted(values["indicator"].unique())
    labels = values.drop_duplicates("indicator").set_index("indicator")["label"].to_dict()
    cols = st.columns(3)
    wanted = st.query_params.get("measure")
    index = measures.index(wanted) if wanted in measures else 0
    measure = cols[0].selectbox("Indicator", measures, index=index, format_func=lambda m: labels.get(m, m),
                                key="measure") if measures else None
    years = sorted(values.loc[values["indicator"] == measure, "year"].unique(), reverse=True)
    wanted_year = st.query_params.get("year")
    yi = years.index(int(wanted_year)) if wanted_year and wanted_year.isdigit() and int(wanted_year) in years else 0
    year = cols[1].selectbox("Year", years, index=yi, key="year") if years else None
    scheme = cols[2].selectbox("Classes", list(SCHEME_LABELS), format_func=SCHEME_LABELS.get,
                               key="scheme")
    if measure is not None:
        st.query_params["measure"] = measure
    if year is not None:
        st.query_params["year"] = str(year)
    return measure, (int(year) if year is not None else None), scheme


def _values_for(hoods: pd.DataFrame, values: pd.DataFrame, measure: str | None,
                year: int | None) -> pd.DataFrame:
    chosen = values[(values["indicator"] == measure) & (values["year"] == year)][["nid", "value"]]
    frame = hoods.merge(chosen, on="nid", how="left")
    frame["rank"] = frame["value"].rank(ascending=False, method="min")
    return frame


def _label(values: pd.DataFrame, measure: str | None) -> str:
    if measure is None:
        return "no indicator"
    row = values[values["indicator"] == measure].iloc[0]
    unit = f" ({row['unit']})" if isinstance(row["unit"], str) and row["unit"] else ""
    return f"{row['label']}{unit}"


def _properties(frame: pd.DataFrame, label: str) -> list[dict[str, object]]:
    n = len(frame)
    shown = frame["value"].map(lambda v: "no data" if pd.isna(v) else f"{v:,.1f}")
    ranks = frame["rank"].map(lambda r: "–" if pd.isna(r) else f"{int(r)} of {n}")
    return [{"nid": nid, "name": name or nid, "label": label, "shown": s, "rank": r}
            for nid, name, s, r in zip(frame["nid"], frame["name"], shown, ranks, strict=True)]


def _legend(classes, colours, label: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    rows = legend_rows(classes, colours, "{:,.1f}")
    swatches = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:14px">'
        f'<span style="width:18px;height:12px;background:{c};border:1px solid #555;'
        f'display:inline-block;margin-right:5px"></span>{html.escape(text)}</span>'
        for c, text in rows)
    st.markdown(f"**{html.escape(label)}** — {html.escape(SCHEME_LABELS[scheme])}, "
                f"ColorBrewer OrRd (colour-blind safe)<br>{swatches}", unsafe_allow_html=True)


def _selected(event: object, frame: pd.DataFrame, label: str) -> None:
    selection = getattr(event, "selection", None) or {}
    objects = (selection.get("objects") or {}).get(CHOROPLETH_LAYER_ID, [])
    if not objects:
        st.caption("Click a neighbourhood on the map to see its details.")
        return
    nid = (objects[0].get("properties") or {}).get("nid")
    row = frame[frame["nid"] == nid]
    if row.empty:
        return
    r = row.iloc[0]
    value = "no data" if pd.isna(r["value"]) else f"{r['value']:,.1f}"
    st.subheader(f"{r['name']} ({nid})")
    st.write(f"{label}: **{value}**, rank {'–' if pd.isna(r['rank']) else int(r['rank'])} of "
             f"{len(frame)} · district {r['district'] or '–'} · "
             f"population {'–' if pd.isna(r['population']) else f'{int(r.population):,}'}")


render()
