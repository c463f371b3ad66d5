"""The map page's per-visit views of a whole city, built once per city version, field, district
and language and shared, read-only, by every official who opens that map.

With twenty officials at once on a 5,000-neighbourhood city, building these on every visit was
most of a warm map page's server time (benchmarks/README-load.md): the table view (the frame
sorted, its words looked up, converted to Arrow by Streamlit) and the colour of each
neighbourhood for the choropleth. They are kept with ``st.cache_resource`` (no copy per visit, as
``st.cache_data`` would unpickle): an Arrow table, tuples and mapping proxies, which no page can
change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import streamlit as st

from citygeo.i18n import _, language, using
from citygeo.service.city import current_methodology, in_district, scores
from citygeo.service.map import column_labels
from citygeo.settings import Mode
from citygeo.ui import cache, components
from citygeo.ui.maps import ColourLookup
from citygeo.words import HOTSPOT_WORDS, TYPOLOGY_NAMES

TABLE_COLUMNS = [
    "nid",
    "name",
    "district",
    "value",
    "rank",
    "rank_p05",
    "rank_p95",
    "note",
    "typology",
    "hotspot",
]


class TableView(NamedTuple):
    """The map's table view: ``data`` as the page shows it (plain-word column names, sorted by
    rank), the code and name of each of its rows (to search, and to open a picked row's
    profile) and the shown name of each column."""

    data: pa.Table
    nids: tuple[str, ...]
    names: tuple[str, ...]
    labels: Mapping[str, str]


class MapView(NamedTuple):
    """What one map shows of the city: the fill of each neighbourhood on it (``colours.domain``:
    their codes; the classes of the whole city, so a district's colours read the same as on the
    city map) and its table view."""

    colours: ColourLookup
    table: TableView


def map_view(
    key: tuple[str, tuple[int, int]],
    mode: Mode,
    year: int | None,
    grp: str,
    column: str,
    scheme: str,
    district: str | None,
    label: str,
) -> MapView:
    """The view of one map (``key`` = the store's path and version), in the current language."""
    return _map_view(*key, mode, year, grp, column, scheme, district, label, language())


@st.cache_resource(show_spinner=False, max_entries=32)
def _map_view(
    path: str,
    version: tuple[int, int],
    mode: Mode,
    year: int | None,
    grp: str,
    column: str,
    scheme: str,
    district: str | None,
    label: str,
    lang: str,
) -> MapView:
    city = cache.city_data(path, version, mode)
    methodology = current_methodology(city, year)
    with using(lang):
        city_table, fills, _rows, _words = cache.map_classes(
            path, version, mode, year, grp, column, scheme
        )
        on_map = in_district(city, city_table, district).reset_index(drop=True)
        colour_of = dict(zip(city_table["nid"], fills, strict=True))
        colours = ColourLookup.of({nid: colour_of[nid] for nid in on_map["nid"]})
        frame = scores(city, year, grp)[["nid", "typology", "hotspot"]]
        shown = on_map.merge(frame, on="nid", how="left")[TABLE_COLUMNS]
        shown["typology"] = [
            TYPOLOGY_NAMES.get(t, "") if isinstance(t, str) else "" for t in shown["typology"]
        ]
        shown["hotspot"] = [
            HOTSPOT_WORDS.get(h, "") if isinstance(h, str) else "" for h in shown["hotspot"]
        ]
        if column != "typology":
            shown["value"] = pd.to_numeric(shown["value"], errors="coerce").round(2)
        shown = shown.sort_values(["rank", "nid"], na_position="last").reset_index(drop=True)
        shown["note"] = shown["note"].fillna("")  # an empty cell is blank, never "None"
        labels = column_labels(methodology) | {
            "value": label,
            "rank": _("Rank"),
            "rank_p05": _("Rank likely from"),
            "rank_p95": _("Rank likely to"),
            "note": _("Note"),
        }
    # repeated words sent once per table, not once per row (Arrow dictionaries): a big city's
    # table was 0.6 MB on every visit of the map
    for c in ("district", "note", "typology", "hotspot"):
        shown[c] = shown[c].astype("category")
    for c in ("rank", "rank_p05", "rank_p95"):  # whole places, as shown
        shown[c] = pd.to_numeric(shown[c]).round().astype("Int32")
    data = pa.Table.from_pandas(components.labelled(shown, labels), preserve_index=False)
    table = TableView(
        data,
        tuple(shown["nid"].astype(str)),
        tuple(shown["name"].astype(str)),
        MappingProxyType(labels),
    )
    return MapView(colours, table)


def searched(view: TableView, search: str) -> tuple[pa.Table, Sequence[str]]:
    """The rows of ``view`` whose name or code contains ``search`` (any case), and their codes."""
    if not search:
        return view.data, view.nids
    hit = (
        pd.Series(view.names, dtype=object).str.contains(search, case=False, regex=False)
        | pd.Series(view.nids, dtype=object).str.contains(search, case=False, regex=False)
    ).to_numpy(dtype=bool)
    return view.data.filter(pa.array(hit)), [n for n, h in zip(view.nids, hit, strict=True) if h]
