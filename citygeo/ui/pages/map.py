"""The map page (``/``): choropleth of any index, domain, measure, group and year; overlays; table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from citygeo.classify import HOTSPOT_COLOURS, SCHEME_LABELS
from citygeo.ui import components, data
from citygeo.ui.maps import (CHOROPLETH_LAYER_ID, choropleth_layer, colour_hex, deck, hexagon_layer,
                             outline_layer, points_layer)
from citygeo.views import (HOTSPOT_WORDS, asset_points, column_labels, current_methodology, incident_hexes,
                           map_fields, map_table, rank_text, score_groups, score_years, scores)

MAX_DRAWN = 8000  # above this many neighbourhoods the map draws one district at a time
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
    geometry = data.display_geometry(*key)
    url = data.static_map_url(*key, _properties(table, label, fills, geometry["nids"]))
    layers = [choropleth_layer(url)]
    if show_hex:
        min_count = methodology.min_count if methodology else 5
        layers.append(hexagon_layer(incident_hexes(city, min_count).to_dict("records")))
    if show_hot:
        layers.append(outline_layer(_hotspot_features(geometry, frame, table)))
    if show_assets:
        layers.append(points_layer(asset_points(city)[["lon", "lat"]].to_dict("records")))
    event = st.pydeck_chart(deck(layers, _bounds(geometry, table), "{name} ({nid})\n{label}: {shown}\n{rank}"),
                            on_select="rerun", selection_mode="single-object", key="map", height=580)
    components.legend(label, rows, words, _overlay_legend(show_hot, show_hex, show_assets, methodology))
    _open_selected(event)
    st.caption("Click a neighbourhood to open its profile. Figures are for "
               f"{year}{'' if grp == 'all' else f', group {grp}'}; methodology "
               f"{methodology.version if methodology else '–'}.")
    _table_view(table, label, column, methodology)


def _field_picker(fields: dict[str, str], where: object) -> str:
    options = list(fields)
    wanted = st.query_params.get("measure", "risk_score")
    column = where.selectbox("Show", options, index=options.index(wanted) if wanted in options else 0,  # type: ignore[attr-defined]
                             format_func=fields.get, key="measure")
    st.query_params["measure"] = column
    return str(column)


def _district_filter(table: pd.DataFrame) -> pd.DataFrame:
    """Large cities: draw one district at a time (the whole city would not paint in a browser)."""
    if len(table) <= MAX_DRAWN:
        return table
    districts = sorted(table["district"].dropna().unique())
    chosen = st.selectbox(f"District ({len(table):,} neighbourhoods: one district is drawn at a time)",
                          districts, key="district")
    return table[table["district"] == chosen].reset_index(drop=True)


def _properties(table: pd.DataFrame, label: str, fills: list[list[int]],
                order: list[str]) -> list[dict[str, object] | None]:
    n = int(table["rank"].notna().sum())
    by_nid = {}
    for r, fill in zip(table.itertuples(index=False), fills, strict=True):
        rank = rank_text(r.rank, n, r.rank_p05, r.rank_p95) if pd.notna(r.rank) else ""
        by_nid[r.nid] = {"nid": r.nid, "name": r.name or r.nid, "label": label, "shown": r.shown,
                         "rank": rank, "fill": fill, "line": [60, 60, 60, 160]}
    return [by_nid.get(nid) for nid in order]


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


def _hotspot_features(geometry: dict[str, object], frame: pd.DataFrame,
                      table: pd.DataFrame) -> list[dict[str, object]]:
    drawn = set(table["nid"])
    classes = {n: h for n, h in zip(frame["nid"], frame["hotspot"], strict=True) if n in drawn}
    features = []
    for nid, feature in zip(geometry["nids"], geometry["features"], strict=True):  # type: ignore[call-overload]
        cls = classes.get(nid)
        if cls in HOTSPOT_COLOURS:
            features.append({"type": "Feature", "geometry": feature["geometry"],
                             "properties": {"line": [*HOTSPOT_COLOURS[cls], 255]}})
    return features


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
