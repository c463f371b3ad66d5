"""Mechanisms & partners (``/registers``): what already exists, where the gaps are, who was not
heard."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from citygeo.i18n import _, ngettext
from citygeo.service.registers import (
    Registers,
    filter_register,
    not_heard_by_group,
    not_heard_in_group,
    registers,
)
from citygeo.ui import cache, components
from citygeo.ui.maps import choropleth_layer, deck, points_layer
from citygeo.words import group_words, whole


def render() -> None:
    store, city = cache.open_city()
    key = (str(store.path), store.version())
    cache.page_header(city, _("mechanisms and partners"))
    if city.neighbourhoods.empty:
        cache.empty_state(city)
        return
    reg = registers(city, dt.date.today())
    cols = st.columns(2)
    kinds = cols[0].multiselect(
        _("Kind of mechanism"), reg.kinds, format_func=lambda k: k.replace("_", " "), key="kinds"
    )
    themes = cols[1].multiselect(
        _("Theme"), reg.themes, format_func=lambda t: t.replace("_", " "), key="themes"
    )
    assets = filter_register(reg.assets, kinds, themes)
    partners = filter_register(reg.stakeholders, (), themes)
    st.subheader(_("Mechanisms and facilities ({n})").format(n=whole(len(assets))))
    geometry = cache.display_geometry(*key)
    outline = cache.static_map_url(
        *key,
        [
            {"nid": n, "name": "", "fill": [235, 235, 235, 255], "line": [150, 150, 150, 200]}
            for n in geometry.nids
        ],
    )
    st.pydeck_chart(
        deck(
            [
                choropleth_layer(outline, "outlines", pickable=False),
                points_layer(assets[["lon", "lat"]].to_dict("records")),
            ],
            list(geometry.bounds),
            height_px=420,
        ),
        height=420,
        key="register_map",
    )
    st.caption(
        _(
            "Map of the city's neighbourhoods (outlines) with a green dot for each registered "
            "mechanism or facility (filtered above); the table below lists the same ones."
        )
    )
    names = dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
    st.dataframe(
        assets.assign(
            where=assets["nid"].map(names),
            themes=assets["themes"].map(", ".join),
            kind=assets["kind"].str.replace("_", " "),
            formal=assets["formal"].map({True: _("formal"), False: _("informal")}),
        )[["name", "kind", "formal", "themes", "where"]].rename(
            columns={
                "name": _("Mechanism"),
                "kind": _("Kind"),
                "formal": _("Formal?"),
                "themes": _("Themes"),
                "where": _("Neighbourhood"),
            }
        ),
        hide_index=True,
        height=260,
    )
    st.subheader(_("Partners ({n})").format(n=whole(len(partners))))
    st.caption(
        _(
            "Contact details are never shown here. {n} of them work city-wide (they serve "
            "every neighbourhood); the others are local partners."
        ).format(n=whole(len(reg.city_wide)))
    )
    wide_ids = set(reg.city_wide["stakeholder_id"])
    st.dataframe(
        partners.assign(
            themes=partners["themes"].map(", ".join),
            sector=partners["sector"].map(group_words),
            serves=[
                (
                    _("whole city")
                    if sid in wide_ids
                    else ngettext("{n} neighbourhood", "{n} neighbourhoods", len(s)).format(
                        n=whole(len(s))
                    )
                )
                for sid, s in zip(partners["stakeholder_id"], partners["serves"], strict=True)
            ],
        )[["name", "sector", "themes", "serves"]].rename(
            columns={
                "name": _("Partner"),
                "sector": _("Sector"),
                "themes": _("Themes"),
                "serves": _("Serves"),
            }
        ),
        hide_index=True,
    )
    _gaps(reg)
    _not_heard(reg)


def _gaps(reg: Registers) -> None:
    st.subheader(_("Gaps: high-risk neighbourhoods with few mechanisms and local partners"))
    st.caption(
        _(
            "Top fifth by risk score whose mechanisms + local partners per 1,000 residents "
            "are below the city median. The {n} city-wide partners serve every neighbourhood "
            "alike and are not counted here."
        ).format(n=whole(len(reg.city_wide)))
    )
    if reg.gaps.empty:
        st.write(_("No gaps found (or the city has no scores or populations)."))
        return
    components.static_table(
        reg.gaps[
            ["nid", "name", "risk_score", "mechanisms", "partners", "total_per_1000", "city_median"]
        ]
        .round(1)
        .rename(
            columns={
                "nid": _("Code"),
                "name": _("Neighbourhood"),
                "risk_score": _("Risk (0–100)"),
                "mechanisms": _("Mechanisms"),
                "partners": _("Local partners"),
                "total_per_1000": _("Per 1,000 residents"),
                "city_median": _("City median per 1,000"),
            }
        )
    )


def _not_heard(reg: Registers) -> None:
    st.subheader(_("Not heard in the last 12 months"))
    summary = not_heard_by_group(reg.not_heard)
    if summary.empty:
        st.write(_("Every neighbourhood and group was heard in the last 12 months."))
        return
    st.caption(
        _(
            "By group: in how many neighbourhoods it was not heard in the last 12 months, "
            "and since when."
        )
    )
    components.static_table(
        summary[["group", "neighbourhoods", "never", "since"]].rename(
            columns={
                "group": _("Not heard"),
                "neighbourhoods": _("Neighbourhoods"),
                "never": _("Never heard"),
                "since": _("Since"),
            }
        )
    )
    names = dict(zip(summary["grp"], summary["group"], strict=True))
    grp = st.selectbox(
        _("Look into a group"),
        list(summary["grp"]),
        key="heard_grp",
        format_func=lambda g: str(names.get(g, g)),
    )
    rows = not_heard_in_group(reg.not_heard, str(grp), reg.local)
    st.caption(
        _(
            "Each neighbourhood where this group was not heard, with the local partners "
            "already working there (city-wide bodies left out): people to ask for an "
            "introduction."
        )
    )
    components.static_table(
        rows.rename(
            columns={
                "nid": _("Code"),
                "name": _("Neighbourhood"),
                "last_heard": _("Last heard"),
                "local_partners": _("Local partners working there"),
            }
        )
    )


render()
