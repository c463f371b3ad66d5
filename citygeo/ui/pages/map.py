"""The map page (``/``): choropleth of any index, domain, measure, group and year; overlays;
table."""

from __future__ import annotations

import html
from collections.abc import Collection
from typing import Any

import pandas as pd
import streamlit as st

from citygeo.geo.classify import HOTSPOT_COLOURS, SCHEME_LABELS
from citygeo.geo.display import Outlines
from citygeo.i18n import N_, Words, _, ngettext
from citygeo.scoring import Methodology
from citygeo.service.city import (
    CityData,
    current_methodology,
    district_scores,
    score_groups,
    score_years,
    scores,
)
from citygeo.service.map import (
    asset_points,
    boundary_note,
    incident_categories,
    map_fields,
    map_table,
    year_vintage,
)
from citygeo.settings import map_max_drawn, map_max_outlined
from citygeo.ui import cache, components, language, map_views
from citygeo.ui.maps import (
    CHOROPLETH_LAYER_ID,
    OUTLINE_COLOUR,
    choropleth_layer,
    colour_hex,
    deck,
    hexagon_layer,
    outline_layer,
    points_layer,
)
from citygeo.words import (
    HOTSPOT_WORDS,
    group_words,
    hotspot_help,
    hotspot_term,
    index_not_scored,
    whole,
)

PROFILE_PAGE = "citygeo/ui/pages/profile.py"


def render() -> None:
    store, city = cache.open_city()
    key = (str(store.path), store.version())
    cache.page_header(city, _("neighbourhood map"))
    if cache.empty_state(city):
        return
    years = score_years(city)
    cols = st.columns([3, 1, 1, 2])
    year = components.year_picker(years, cols[1])
    methodology = current_methodology(city, year)
    fields = map_fields(methodology)
    column = _field_picker(fields, cols[0])
    missing = [
        i for i in ("risk", "protective") if methodology is not None and not methodology.scores(i)
    ]
    if missing:
        st.caption(
            _("{missing} — the typology needs both.").format(
                missing=" · ".join(index_not_scored(i) for i in missing)
            )
        )
    groups = score_groups(city)
    grp = components.url_select(
        _("Group"),
        groups,
        cols[2],
        key="grp",
        param="grp",
        default="all",
        format_func=group_words,
        help=_("Scores computed for one population group (where the data has groups)."),
    )
    scheme = components.url_select(
        _("Classes"),
        list(SCHEME_LABELS),
        cols[3],
        key="scheme",
        param="scheme",
        format_func=components.SCHEME_CHOICES.__getitem__,
        help=components.scheme_help(),
    )
    picked = components.neighbourhood_picker(
        city.neighbourhoods,
        key,
        key="map_find",
        label=_("Open a neighbourhood's profile (type a name or code)"),
    )
    if picked:
        del st.session_state["map_find"]  # coming back to the map must not open it again
        st.switch_page(PROFILE_PAGE, query_params=language.link_params(nid=picked))
    frame = scores(city, year, grp)
    if frame.empty:
        st.info(_("No scores for the group {group} in {year}.").format(group=repr(grp), year=year))
        return
    moved = boundary_note(city.scores, city.neighbourhoods, year)
    if moved:
        st.info(moved)
    district = _district_choice(city.neighbourhoods)
    label = fields[column]
    if district == DISTRICTS:
        _districts_map(key, city, year, grp, column, scheme, label, methodology)
        return
    rows, words = cache.map_classes(*key, city.mode, year, grp, column, scheme)[2:]
    view = map_views.map_view(key, city.mode, year, grp, column, scheme, district, label)
    colours = view.colours  # the city's classes: a district reads the same as on the city map
    over = st.columns(3)
    show_hex = components.url_checkbox(
        _("Incidents (hexagons, small counts hidden)"), over[0], key="hex", param="hex"
    )
    show_assets = components.url_checkbox(
        _("Mechanisms and facilities"), over[1], key="assets", param="assets"
    )
    show_hot = components.url_checkbox(
        _("Hot-spot outlines"), over[2], key="hot", param="hot", default=True
    )
    url = cache.map_file(*key, city.mode, year, grp, district)
    stroked = len(colours.domain) <= map_max_outlined()
    layers = [
        choropleth_layer(
            url,
            colours=colours,
            trigger=(column, scheme, year, grp, district),
            stroked=False,
        )
    ]
    if stroked:
        layers.append(outline_layer(url, "outlines", OUTLINE_COLOUR, 0.5))
    if show_hex:
        min_count = methodology.min_count if methodology else 5
        cells = cache.hexagons(*key, min_count, year, incident_categories(methodology, column))
        layers.append(hexagon_layer(cells[["count", "polygon"]].to_dict("records")))
    if show_hot:
        hot_url = cache.hotspot_file(*key, city.mode, year, grp, district)
        if hot_url:
            layers.append(outline_layer(hot_url))
    if show_assets:
        layers.append(points_layer(asset_points(city)[["lon", "lat"]].to_dict("records")))
    st.caption(_alternative(label, len(colours.domain), year))
    event = st.pydeck_chart(
        deck(
            layers,
            _bounds(cache.display_geometry(*key, year_vintage(city.scores, year)), colours.domain),
            _tooltip(fields, column, label),
        ),
        on_select="rerun",
        selection_mode="single-object",
        key="map",
        height=580,
    )
    components.legend(
        label, rows, words, _overlay_legend(show_hot, show_hex, show_assets, methodology)
    )
    _open_selected(event)
    version = methodology.version if methodology else "–"
    figures = (
        _(
            "Click a neighbourhood to open its profile. Figures are for {year}; methodology "
            "{version}."
        )
        if grp == "all"
        else _(
            "Click a neighbourhood to open its profile. Figures are for {year}, group {group}; "
            "methodology {version}."
        )
    ).format(year=year, group=group_words(grp), version=version)
    if not stroked:
        figures += " " + _(
            "Outlines are drawn when {n} neighbourhoods or fewer are on the map (they "
            "would make it slow); pick a district to see them."
        ).format(n=whole(map_max_outlined()))
    st.caption(figures)
    _table_view(view.table, label, column)


def _tooltip(fields: dict[str, str], column: str, label: str, code: bool = True) -> str:
    """The tooltip template of ``column``: its words were written in the map file as
    ``v{i}``/``r{i}``."""
    i = list(fields).index(column)
    return ("{name} ({nid})" if code else "{name}") + f"\n{_plain(label)}: {{v{i}}}\n{{r{i}}}"


def _districts_map(
    key: tuple[str, tuple[int, int]],
    city: CityData,
    year: int | None,
    grp: str,
    column: str,
    scheme: str,
    label: str,
    methodology: Methodology | None,
) -> None:
    """The whole city by district: district scores (from summed counts, DESIGN.md §5); a click
    opens the district."""
    frame = district_scores(city, year, grp)
    url = cache.district_map_file(*key, city.mode, year, grp)
    if frame.empty or url is None:
        st.info(
            _(
                "This city has no district scores for this year and group: pick a district "
                "above to see its neighbourhoods."
            )
        )
        return
    table = map_table(frame, column, None, methodology)
    fills, rows, words = components.colours_for(table["value"], column, scheme, methodology)
    layer = choropleth_layer(
        url,
        DISTRICTS_LAYER_ID,
        colours=dict(zip(table["nid"], fills, strict=True)),
        trigger=(column, scheme, year, grp),
        stroked=False,
    )
    event = st.pydeck_chart(
        deck(
            [layer, outline_layer(url, "district-outlines", OUTLINE_COLOUR, 0.5)],
            cache.city_extent(*key) or cache.display_geometry(*key).bounds,
            _tooltip(map_fields(methodology), column, label, code=False),
        ),
        on_select="rerun",
        selection_mode="single-object",
        key="district_map",
        height=580,
    )
    components.legend(label, rows, words)
    selection = getattr(event, "selection", None) or {}
    objects = (selection.get("objects") or {}).get(DISTRICTS_LAYER_ID, [])
    picked = (objects[0].get("properties") or {}).get("nid") if objects else None
    if picked and picked != st.session_state.get("district_opened"):
        st.session_state["district_opened"] = picked
        st.session_state[_PENDING] = picked
        st.rerun()
    st.caption(
        _(
            "Districts, scored from the summed counts and populations of their neighbourhoods "
            "(never averaged), for {year} ({group}). The city has {n} neighbourhoods, more than "
            "a browser draws at once: click a district (or pick it above) to see its "
            "neighbourhoods."
        ).format(year=year, group=group_words(grp), n=whole(len(city.neighbourhoods)))
    )
    with st.expander(_("Table view of the same numbers (sortable)")):
        shown = table[["nid", "value", "rank", "note"]].rename(
            columns={"nid": _("District"), "value": label, "rank": _("Rank"), "note": _("Note")}
        )
        st.dataframe(shown, hide_index=True)


def _field_picker(fields: dict[str, str], where: Any) -> str:
    options = list(fields)
    wanted = st.query_params.get("measure", "risk_score")
    column = where.selectbox(
        _("Show"),
        options,
        index=options.index(wanted) if wanted in options else 0,
        format_func=fields.get,
        key="measure",
    )
    st.query_params["measure"] = column
    return str(column)


WHOLE_CITY = "the whole city"  # option codes; shown through _DISTRICT_WORDS
DISTRICTS = "all districts (district scores)"
_DISTRICT_WORDS = Words(
    {WHOLE_CITY: N_("the whole city"), DISTRICTS: N_("all districts (district scores)")}
)
DISTRICTS_LAYER_ID = "districts"
# a district clicked on the districts map, applied before the picker is drawn
_PENDING = "district_pending"


def _district_choice(hoods: pd.DataFrame) -> str | None:
    """Large cities: the districts first, then one district's neighbourhoods.

    Above map_max_drawn() neighbourhoods the whole city would not paint in a browser: the map opens
    on the districts. Above map_max_outlined() it paints without outlines; picking a district shows
    them. Returns the district picked, ``DISTRICTS`` for the districts map, None for the whole city.
    """
    if (
        len(hoods) <= map_max_outlined()
        or "district" not in hoods
        or hoods["district"].isna().all()
    ):
        return None
    districts = sorted(hoods["district"].dropna().unique())
    options = [DISTRICTS, *districts] if len(hoods) > map_max_drawn() else [WHOLE_CITY, *districts]
    if st.session_state.get(_PENDING) in options:
        st.session_state["district"] = st.session_state.pop(_PENDING)
    label = (
        _("District ({n} neighbourhoods: the districts first, then one district's neighbourhoods)")
        if len(hoods) > map_max_drawn()
        else _("District ({n} neighbourhoods: pick one to see it closer, with outlines)")
    )
    chosen = components.url_select(
        label.format(n=whole(len(hoods))),
        options,
        key="district",
        param="district",
        format_func=lambda o: _DISTRICT_WORDS.get(o, o),
    )
    return None if chosen == WHOLE_CITY else str(chosen)


def _alternative(label: str, n: int, year: int | None) -> str:
    """The map's text alternative: what it shows, and where the same numbers are in words."""
    return ngettext(
        "Map of {n} neighbourhood coloured by {field} for {year}, darker = higher; the "
        "table view below the map lists the same numbers, with the typology and hot "
        "spots in words.",
        "Map of {n} neighbourhoods coloured by {field} for {year}, darker = higher; the "
        "table view below the map lists the same numbers, with the typology and hot "
        "spots in words.",
        n,
    ).format(n=whole(n), field=label, year=year)


def _plain(text: str) -> str:
    """A label safe inside a tooltip template (braces would be read as field names)."""
    return text.replace("{", "(").replace("}", ")")


def _bounds(geometry: Outlines, shown: Collection[str]) -> list[float]:
    """The whole city's bounds, or those of the drawn district (``shown``: their codes)."""
    return geometry.extent(None if len(shown) == len(geometry.nids) else set(shown))


def _overlay_legend(hot: bool, hexes: bool, assets: bool, methodology: object) -> str:
    parts = []
    if hot:
        parts += [  # plain words; the technical class on hover, for analysts
            f'<span title="{html.escape(hotspot_term(k), quote=True)}" style="cursor:help">'
            '<span style="display:inline-block;width:18px;height:10px;'
            f"border:3px solid {colour_hex(c)};"
            f'margin:0 5px 0 0"></span>{html.escape(HOTSPOT_WORDS[k])}</span>'
            for k, c in HOTSPOT_COLOURS.items()
        ]
    if hexes:
        n = getattr(methodology, "min_count", 5)
        words = html.escape(
            _(
                "incidents per 400 m hexagon, drawn as outlines over the colours "
                "(thicker line = more incidents; hexagons with under {n} hidden)"
            ).format(n=whole(n))
        )
        parts.append(
            f'<span style="display:inline-block;width:14px;height:12px;border:2px solid #2d005a;'
            f'margin:0 5px 0 0"></span>{words}'
        )
    if assets:
        words = html.escape(_("mechanism or facility"))
        parts.append(
            '<span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
            f'background:#006d2c;margin:0 5px 0 0"></span>{words}'
        )
    return ("<br>" + " &nbsp; ".join(parts)) if parts else ""


def _open_selected(event: object) -> None:
    selection = getattr(event, "selection", None) or {}
    objects = (selection.get("objects") or {}).get(CHOROPLETH_LAYER_ID, [])
    nid = (objects[0].get("properties") or {}).get("nid") if objects else None
    if nid and nid != st.session_state.get("map_opened"):
        st.session_state["map_opened"] = nid
        st.switch_page(PROFILE_PAGE, query_params=language.link_params(nid=nid))


def _table_view(view: map_views.TableView, label: str, column: str) -> None:
    with st.expander(
        _("Table view of the same numbers (sorted by rank; select a row to open its profile)")
    ):
        search = st.text_input(_("Search the table (name or code)"), key="map_table_search")
        data, nids = map_views.searched(view, search)
        labels = view.labels
        # formats per column, not a pandas Styler: a Styler makes Streamlit render every cell's
        # text on the server (76% of a warm map page's time for 5,000 neighbourhoods)
        formats: dict[str, Any] = {
            labels[c]: st.column_config.NumberColumn(format="%d")
            for c in ("rank", "rank_p05", "rank_p95")
        }
        if column != "typology":
            formats[label] = st.column_config.NumberColumn(format="%.2f")
        formats[labels["hotspot"]] = st.column_config.TextColumn(help=hotspot_help())
        event = st.dataframe(
            data,
            hide_index=True,
            column_config=formats,
            placeholder="",  # no value is a blank cell (its reason is in the note), never "None"
            on_select="rerun",
            selection_mode="single-row",
            key="map_table",
            height=38 + 35 * min(len(nids), TABLE_ROWS) + 2,
        )
        picked = getattr(getattr(event, "selection", None), "rows", None) or []
        if picked:
            st.switch_page(
                PROFILE_PAGE, query_params=language.link_params(nid=str(nids[picked[0]]))
            )


TABLE_ROWS = (
    400  # rows drawn at once in the table view (the whole of most cities; beyond, it scrolls)
)


render()
