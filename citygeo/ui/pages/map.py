"""The map page (``/``): choropleth of any index, domain, measure, group and year; overlays; table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from citygeo.classify import HOTSPOT_COLOURS, SCHEME_LABELS
from citygeo.ui import components, data
from citygeo.ui.maps import (CHOROPLETH_LAYER_ID, choropleth_layer, colour_hex, deck, hexagon_layer,
                             outline_layer, points_layer)
from citygeo.views import (HOTSPOT_WORDS, asset_points, column_labels, current_methodology, incident_hexes,
                           map_fields, map_table, score_groups, score_years, scores)

MAX_DRAWN = 8000  # above this many neighbourhoods the map draws one district at a time
MAX_OUTLINED = 2000  # above this many drawn neighbourhoods the outlines are left out (they cost ~10× the fills)
PROFILE_PAGE = "citygeo/ui/pages/profile.py"


def render() -> None:
    store, city = data.open_city()
    key = (str(store.path), store.version())
    data.page_header(city, "neighbourhood map")
    if data.empty_state(city):
        return
    years = score_years(city)
    cols = st.columns([3, 1, 1, 2])
    year = components.year_picker(years, cols[1])
    methodology = current_methodology(city, year)
    fields = map_fields(methodology)
    column = _field_picker(fields, cols[0])
    groups = score_groups(city)
    wanted_grp = st.query_params.get("grp", "all")
    grp = cols[2].selectbox("Group", groups, index=groups.index(wanted_grp) if wanted_grp in groups else 0,
                            key="grp", help="Scores computed for one population group (where the data has groups).")
    if grp != "all":
        st.query_params["grp"] = grp
    elif "grp" in st.query_params:
        del st.query_params["grp"]
    scheme = cols[3].selectbox("Classes", list(SCHEME_LABELS), format_func=SCHEME_LABELS.get, key="scheme")
    frame = scores(city, year, grp)
    if frame.empty:
        st.info(f"No scores for the group {grp!r} in {year}.")
        return
    table = map_table(frame, column, city.hoods, methodology)
    table = _district_filter(table)
    over = st.columns(3)
    show_hex = over[0].checkbox("Incidents (hexagons, small counts hidden)", key="hex")
    show_assets = over[1].checkbox("Mechanisms and facilities", key="assets")
    show_hot = over[2].checkbox("Hot-spot outlines", value=True, key="hot")
    label = fields[column]
    fills, rows, words = components.colours_for(table["value"], column, scheme, methodology)
    district = st.session_state.get("district") if len(table) < len(frame) else None
    url = data.map_file(*key, data.is_public(city.settings), year, grp, district)
    stroked = len(table) <= MAX_OUTLINED
    layers = [choropleth_layer(url, colours=dict(zip(table["nid"], fills, strict=True)),
                               trigger=(column, scheme, year, grp, district), stroked=stroked)]
    if show_hex:
        min_count = methodology.min_count if methodology else 5
        layers.append(hexagon_layer(incident_hexes(city, min_count).to_dict("records")))
    if show_hot:
        hot_url = data.hotspot_file(*key, data.is_public(city.settings), year, grp, district)
        if hot_url:
            layers.append(outline_layer(hot_url))
    if show_assets:
        layers.append(points_layer(asset_points(city)[["lon", "lat"]].to_dict("records")))
    i = list(fields).index(column)
    tooltip = "{name} ({nid})\n" + _plain(label) + f": {{v{i}}}\n{{r{i}}}"
    event = st.pydeck_chart(deck(layers, _bounds(data.display_geometry(*key), table), tooltip),
                            on_select="rerun", selection_mode="single-object", key="map", height=580)
    components.legend(label, rows, words, _overlay_legend(show_hot, show_hex, show_assets, methodology))
    _open_selected(event)
    st.caption("Click a neighbourhood to open its profile. Figures are for "
               f"{year}{'' if grp == 'all' else f', group {grp}'}; methodology "
               f"{methodology.version if methodology else '–'}."
               + ("" if stroked else f" Outlines are drawn when {MAX_OUTLINED:,} neighbourhoods or fewer are "
                  "on the map (they would make it slow); pick a district to see them."))
    _table_view(table, label, column, methodology)


def _field_picker(fields: dict[str, str], where: object) -> str:
    options = list(fields)
    wanted = st.query_params.get("measure", "risk_score")
    column = where.selectbox("Show", options, index=options.index(wanted) if wanted in options else 0,  # type: ignore[attr-defined]
                             format_func=fields.get, key="measure")
    st.query_params["measure"] = column
    return str(column)


WHOLE_CITY = "the whole city"


def _district_filter(table: pd.DataFrame) -> pd.DataFrame:
    """Large cities: draw one district at a time (above MAX_DRAWN the whole city would not paint
    in a browser; above MAX_OUTLINED it paints without outlines, and a district shows them)."""
    if len(table) <= MAX_OUTLINED or "district" not in table or table["district"].isna().all():
        return table
    districts = sorted(table["district"].dropna().unique())
    options = districts if len(table) > MAX_DRAWN else [WHOLE_CITY, *districts]
    what = "one district is drawn at a time" if len(table) > MAX_DRAWN else "pick one to see it closer, with outlines"
    chosen = st.selectbox(f"District ({len(table):,} neighbourhoods: {what})", options, key="district")
    if chosen == WHOLE_CITY:
        return table
    return table[table["district"] == chosen].reset_index(drop=True)


def _plain(text: str) -> str:
    """A label safe inside a tooltip template (braces would be read as field names)."""
    return text.replace("{", "(").replace("}", ")")


def _bounds(geometry: dict[str, object], table: pd.DataFrame) -> list[float]:
    """The whole city's bounds, or those of the drawn district."""
    if len(table) == len(geometry["nids"]):  # type: ignore[arg-type]
        return geometry["bounds"]  # type: ignore[return-value]
    drawn = set(table["nid"])
    boxes = [b for n, b in zip(geometry["nids"], geometry["boxes"], strict=True) if n in drawn]  # type: ignore[call-overload]
    if not boxes:
        return geometry["bounds"]  # type: ignore[return-value]
    arr = pd.DataFrame(boxes).to_numpy()
    return [arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()]


def _overlay_legend(hot: bool, hexes: bool, assets: bool, methodology: object) -> str:
    parts = []
    if hot:
        parts += [f'<span style="display:inline-block;width:18px;height:10px;border:3px solid {colour_hex(c)};'
                  f'margin:0 5px 0 0"></span>{HOTSPOT_WORDS[k]}' for k, c in HOTSPOT_COLOURS.items()]
    if hexes:
        n = getattr(methodology, "min_count", 5)
        parts.append(f'<span style="display:inline-block;width:14px;height:12px;background:#542788;margin:0 5px 0 0">'
                     f"</span>incidents per 400 m hexagon (darker = more; cells under {n} hidden)")
    if assets:
        parts.append('<span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
                     'background:#006d2c;margin:0 5px 0 0"></span>mechanism or facility')
    return ("<br>" + " &nbsp; ".join(parts)) if parts else ""


def _open_selected(event: object) -> None:
    selection = getattr(event, "selection", None) or {}
    objects = (selection.get("objects") or {}).get(CHOROPLETH_LAYER_ID, [])
    nid = (objects[0].get("properties") or {}).get("nid") if objects else None
    if nid and nid != st.session_state.get("map_opened"):
        st.session_state["map_opened"] = nid
        st.switch_page(PROFILE_PAGE, query_params={"nid": nid})


def _table_view(table: pd.DataFrame, label: str, column: str, methodology: object) -> None:
    with st.expander("Table view of the same numbers (sortable; select a row to open its profile)"):
        shown = table[["nid", "name", "district", "value", "rank", "rank_p05", "rank_p95", "note"]].copy()
        if column != "typology":
            shown["value"] = pd.to_numeric(shown["value"], errors="coerce").round(2)
        labels = column_labels(methodology) | {"value": label, "rank": "Rank", "rank_p05": "Rank likely from",  # type: ignore[arg-type]
                                               "rank_p95": "Rank likely to", "note": "Note"}
        event = st.dataframe(components.labelled(shown, labels), hide_index=True, on_select="rerun",
                             selection_mode="single-row", key="map_table")
        picked = getattr(getattr(event, "selection", None), "rows", None) or []
        if picked:
            st.switch_page(PROFILE_PAGE, query_params={"nid": str(shown.iloc[picked[0]]["nid"])})


render()
