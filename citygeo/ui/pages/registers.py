"""Mechanisms & partners (``/registers``): what already exists, where the gaps are, who was not heard."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from citygeo.service.registers import filter_register, registers
from citygeo.ui import cache
from citygeo.ui.maps import choropleth_layer, deck, points_layer


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
    st.caption("Contact details are never shown here.")
    st.dataframe(partners.assign(themes=partners["themes"].map(", ".join),
                                 serves=partners["serves"].map(lambda s: "whole city" if "all" in s else f"{len(s)} neighbourhood(s)"))[
        ["name", "sector", "themes", "serves"]].rename(columns={"name": "Partner", "sector": "Sector", "themes": "Themes",
                                                               "serves": "Serves"}), hide_index=True, height=260)
    st.subheader("Gaps: high-risk neighbourhoods with few mechanisms and partners")
    st.caption("Top fifth by risk score whose mechanisms + partners per 1,000 residents are below the city median.")
    if reg.gaps.empty:
        st.write("No gaps found (or the city has no scores or populations).")
    else:
        st.dataframe(reg.gaps[["nid", "name", "risk_score", "mechanisms", "partners", "total_per_1000", "city_median"]]
                     .round(2).rename(columns={"nid": "Code", "name": "Neighbourhood", "risk_score": "Risk (0–100)",
                                               "mechanisms": "Mechanisms", "partners": "Partners",
                                               "total_per_1000": "Per 1,000 residents",
                                               "city_median": "City median per 1,000"}), hide_index=True)
    st.subheader("Not heard in the last 12 months")
    stale = reg.not_heard
    everyone = stale[stale["grp"] == "all"]
    groups = stale[stale["grp"] != "all"]
    st.write(f"{len(everyone)} neighbourhood(s) had no consultation at all in the last 12 months; "
             f"{len(groups)} neighbourhood–group pairs were not heard.")
    shown = stale.assign(grp=stale["grp"].map(lambda g: "anyone" if g == "all" else g.replace("_", " ")),
                         last_heard=stale["last_heard"].map(lambda d: "never" if pd.isna(d) else f"{d:%Y-%m-%d}"))
    st.dataframe(shown.rename(columns={"nid": "Code", "name": "Neighbourhood", "grp": "Not heard",
                                       "last_heard": "Last heard", "months_since": "Months since"}),
                 hide_index=True, height=300)


render()
