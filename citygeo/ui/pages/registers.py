"""Mechanisms & partners (``/registers``): what already exists, where the gaps are, who was not heard."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from citygeo.service.registers import (
    Registers,
    filter_register,
    not_heard_by_group,
    not_heard_in_group,
    registers,
)
from citygeo.ui import cache, components
from citygeo.ui.maps import choropleth_layer, deck, points_layer
from citygeo.words import group_words


def render() -> None:
    store, city = cache.open_city()
    key = (str(store.path), store.version())
    cache.page_header(city, "mechanisms and partners")
    if city.neighbourhoods.empty:
        cache.empty_state(city)
        return
    reg = registers(city, dt.date.today())
    cols = st.columns(2)
    kinds = cols[0].multiselect("Kind of mechanism", reg.kinds, format_func=lambda k: k.replace("_", " "), key="kinds")
    themes = cols[1].multiselect("Theme", reg.themes, format_func=lambda t: t.replace("_", " "), key="themes")
    assets = filter_register(reg.assets, kinds, themes)
    partners = filter_register(reg.stakeholders, (), themes)
    st.subheader(f"Mechanisms and facilities ({len(assets)})")
    geometry = cache.display_geometry(*key)
    outline = cache.static_map_url(*key, [{"nid": n, "name": "", "fill": [235, 235, 235, 255], "line": [150, 150, 150, 200]}
                                         for n in geometry.nids])
    st.pydeck_chart(deck([choropleth_layer(outline, "outlines", pickable=False),
                          points_layer(assets[["lon", "lat"]].to_dict("records"))], list(geometry.bounds), height_px=420),
                    height=420, key="register_map")
    st.caption("Green dots: registered mechanisms and facilities (filtered above). Outlines: neighbourhoods.")
    names = dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
    st.dataframe(assets.assign(where=assets["nid"].map(names), themes=assets["themes"].map(", ".join),
                               kind=assets["kind"].str.replace("_", " "),
                               formal=assets["formal"].map({True: "formal", False: "informal"}))[
        ["name", "kind", "formal", "themes", "where"]].rename(columns={
            "name": "Mechanism", "kind": "Kind", "formal": "Formal?", "themes": "Themes", "where": "Neighbourhood"}),
        hide_index=True, height=260)
    st.subheader(f"Partners ({len(partners)})")
    st.caption(f"Contact details are never shown here. {len(reg.city_wide)} of them work city-wide (they serve "
               "every neighbourhood); the others are local partners.")
    wide_ids = set(reg.city_wide["stakeholder_id"])
    st.dataframe(partners.assign(themes=partners["themes"].map(", ".join), sector=partners["sector"].map(group_words),
                                 serves=[("whole city" if sid in wide_ids else f"{len(s)} neighbourhood(s)")
                                         for sid, s in zip(partners["stakeholder_id"], partners["serves"], strict=True)])[
        ["name", "sector", "themes", "serves"]].rename(columns={"name": "Partner", "sector": "Sector", "themes": "Themes",
                                                               "serves": "Serves"}), hide_index=True)
    _gaps(reg)
    _not_heard(reg)


def _gaps(reg: Registers) -> None:
    st.subheader("Gaps: high-risk neighbourhoods with few mechanisms and local partners")
    st.caption("Top fifth by risk score whose mechanisms + local partners per 1,000 residents are below the city "
               f"median. The {len(reg.city_wide)} city-wide partners serve every neighbourhood alike and are not "
               "counted here.")
    if reg.gaps.empty:
        st.write("No gaps found (or the city has no scores or populations).")
        return
    components.static_table(reg.gaps[["nid", "name", "risk_score", "mechanisms", "partners", "total_per_1000",
                                      "city_median"]].round(1).rename(columns={
        "nid": "Code", "name": "Neighbourhood", "risk_score": "Risk (0–100)", "mechanisms": "Mechanisms",
        "partners": "Local partners", "total_per_1000": "Per 1,000 residents",
        "city_median": "City median per 1,000"}))


def _not_heard(reg: Registers) -> None:
    st.subheader("Not heard in the last 12 months")
    summary = not_heard_by_group(reg.not_heard)
    if summary.empty:
        st.write("Every neighbourhood and group was heard in the last 12 months.")
        return
    st.caption("By group: in how many neighbourhoods it was not heard in the last 12 months, and since when.")
    components.static_table(summary[["group", "neighbourhoods", "never", "since"]].rename(columns={
        "group": "Not heard", "neighbourhoods": "Neighbourhoods", "never": "Never heard", "since": "Since"}))
    grp = st.selectbox("Look into a group", list(summary["grp"]), key="heard_grp",
                       format_func=dict(zip(summary["grp"], summary["group"], strict=True)).get)
    rows = not_heard_in_group(reg.not_heard, str(grp), reg.local)
    st.caption("Each neighbourhood where this group was not heard, with the local partners already working there "
               "(city-wide bodies left out): people to ask for an introduction.")
    components.static_table(rows.rename(columns={"nid": "Code", "name": "Neighbourhood", "last_heard": "Last heard",
                                                 "local_partners": "Local partners working there"}))

render()
