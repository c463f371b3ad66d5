"""Compare (``/compare?nids=N001,N002``): 2–6 neighbourhoods side by side, differences
highlighted."""

from __future__ import annotations

import html
import json

import pandas as pd
import streamlit as st

from citygeo.errors import CitygeoError
from citygeo.i18n import _, format_number, ngettext
from citygeo.schema import DEFAULT_GROUP
from citygeo.scoring import Methodology
from citygeo.service.city import CityData, current_methodology, score_years
from citygeo.service.compare import MAX_COMPARE, compare, compare_csv, parse_nids, worse_and_better
from citygeo.service.map import column_labels
from citygeo.settings import map_max_drawn
from citygeo.ui import cache, components
from citygeo.ui.maps import choropleth_layer, deck, outline_layer
from citygeo.words import HOTSPOT_WORDS, TYPOLOGY_NAMES, whole


def render() -> None:
    store, city = cache.open_city()
    key = (str(store.path), store.version())
    cache.page_header(city, _("compare neighbourhoods"))
    if cache.empty_state(city):
        return
    names = dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
    wanted = parse_nids(st.query_params.get("nids"))
    cols = st.columns([4, 1])
    known = [n for n in wanted if n in names]
    chosen = cols[0].multiselect(
        _("Neighbourhoods (2 to {n})").format(n=MAX_COMPARE),
        list(names),
        default=known,
        format_func=lambda n: f"{names[n]} ({n})",
        max_selections=MAX_COMPARE,
        key="nids_pick",
    )
    unknown = [n for n in wanted if n not in names]
    year = components.year_picker(score_years(city), cols[1])
    nids = unknown + chosen if unknown else chosen
    if nids:
        st.query_params["nids"] = ",".join(nids)
    try:
        table = compare(city, nids, year)
    except CitygeoError as err:
        (st.error if wanted else st.info)(str(err))
        return
    methodology = current_methodology(city, year)
    labels = column_labels(methodology)
    st.subheader(_("Side by side, {year}").format(year=table.attrs.get("year", year)))
    st.caption(
        _(
            "Per row, the worst value is marked orange and “worse”, the best blue and "
            "“better”: higher risk is worse, higher protection is better. Rank 1 = the "
            "highest risk in the city."
        )
    )
    marks = worse_and_better(table, methodology)
    heads = [f"{name} ({nid})" for nid, name in zip(table["nid"], table["name"], strict=True)]
    wide = table.drop(columns=["nid", "name"]).T
    wide.columns = heads
    mark_rows = marks.T.reindex(wide.index).fillna("")
    mark_rows.columns = heads
    wide = wide.reset_index(names="What")
    unscored = _unscored_rows(methodology)
    for (
        row
    ) in unscored:  # an index (and the typology) a risk- or protective-only methodology leaves out
        wide.loc[wide["What"] == row, heads] = _("not scored")
    for row, words in (("typology", TYPOLOGY_NAMES), ("hotspot", HOTSPOT_WORDS)):  # codes in words
        mask = wide["What"] == row
        wide.loc[mask, heads] = wide.loc[mask, heads].map(
            lambda v, words=words: (
                words[v] if v in words else _("not in a cluster") if v == "none" else v
            )
        )
    wide["What"] = wide["What"].map(lambda c: labels.get(c, c))
    st.table(
        _highlight(wide.rename(columns={"What": _("What")}), mark_rows.reset_index(drop=True)),
        hide_index=True,
    )
    changes = table.set_index("name")["risk_change"]
    if changes.str.startswith(_("not comparable")).any():
        st.warning(
            _("Change since the previous year: {change}").format(
                change=components.md(changes.iloc[0])
            )
        )
    st.download_button(
        _("Download this table (CSV)"),
        compare_csv(
            table, labels, city=city.settings.name, fictional=city.settings.fictional
        ).encode(),
        file_name=f"compare-{'-'.join(nids)}.csv",
        mime="text/csv",
    )
    _small_multiples(key, city, table, year, methodology)


def _unscored_rows(methodology: object) -> list[str]:
    rows: list[str] = []
    for index in ("risk", "protective"):
        if methodology is not None and not methodology.scores(index):  # type: ignore[attr-defined]
            rows += [f"{index}_score", f"{index}_rank", "typology"]
    return rows


MARK_COLOURS = {"worse": "background-color: #fdd49e", "better": "background-color: #c6dbef", "": ""}


def _highlight(wide: pd.DataFrame, marks: pd.DataFrame) -> object:
    """A Styler colouring each cell by its meaning (worse / better), marks from the service."""
    numeric = list(wide.columns[1:])
    shown = wide.copy()
    words = {"worse": _("worse"), "better": _("better")}
    for c in numeric:  # the meaning in words too, not in colour only
        shown[c] = [
            f"{_text(v)} ({words[m]})" if m in words else _text(v)
            for v, m in zip(shown[c], marks[c], strict=True)
        ]
    styles = pd.DataFrame("", index=shown.index, columns=shown.columns)
    for c in numeric:
        styles[c] = marks[c].map(MARK_COLOURS)
    return shown.style.apply(lambda _: styles, axis=None)


def _text(value: object) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else format_number(value, 1)
    return "" if value is None or value is pd.NA else str(value)


def _small_multiples(
    key: tuple[str, tuple[int, int]],
    city: CityData,
    table: pd.DataFrame,
    year: int | None,
    methodology: Methodology | None,
) -> None:
    st.subheader(_("Where they are (risk index)"))
    _values, _fills, rows, words = cache.map_classes(
        *key, city.mode, year, DEFAULT_GROUP, "risk_score", "quantiles", named=False
    )
    geometry = cache.display_geometry(*key)
    hoods = city.neighbourhoods
    # a city too big to draw whole shows each neighbourhood in its district (as the map page)
    by_district = (
        len(hoods) > map_max_drawn() and "district" in hoods and hoods["district"].notna().any()
    )
    district_of = dict(zip(hoods["nid"], hoods["district"], strict=True)) if by_district else {}
    if by_district:
        st.caption(
            ngettext(
                "Each in its district, coloured by the city's five risk groups: the city has {n} "
                "neighbourhood, more than a browser draws at once.",
                "Each in its district, coloured by the city's five risk groups: the city has {n} "
                "neighbourhoods, more than a browser draws at once.",
                len(hoods),
            ).format(n=whole(len(hoods)))
        )
    texts = dict(zip(geometry.nids, geometry.texts, strict=True))  # parse the compared only
    cols = st.columns(min(len(table), 3))
    for i, r in enumerate(table.itertuples()):
        with cols[i % len(cols)]:
            st.markdown(f"**{html.escape(str(r.name))}** ({r.nid})", unsafe_allow_html=True)
            outline = [
                {
                    "type": "Feature",
                    "geometry": json.loads(texts[r.nid]),
                    "properties": {"line": [0, 0, 0, 255]},
                }
            ]
            district = district_of.get(r.nid)
            district = None if pd.isna(district) else district
            url = cache.risk_overview_file(*key, city.mode, year, district)
            st.pydeck_chart(
                deck(
                    [
                        choropleth_layer(url, f"city-{i}", pickable=False),
                        outline_layer(outline, f"focus-{i}"),
                    ],
                    geometry.extent(
                        None
                        if district is None
                        else {n for n, d in district_of.items() if d == district}
                    ),
                    width_px=270,
                    height_px=260,
                ),
                height=260,
                key=f"mini-{i}",
            )
    components.legend(_("Risk index"), rows, words)


render()
