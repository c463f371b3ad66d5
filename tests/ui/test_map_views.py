"""The map's table view and fill colours, kept for every official (issue 16): the same as each
visit built itself before, in the page's language, and not changeable by a page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from citygeo.i18n import _, using
from citygeo.schema import DEFAULT_GROUP
from citygeo.service.city import current_methodology, in_district, scores
from citygeo.service.map import column_labels, map_fields, map_table
from citygeo.store import Store
from citygeo.ui import cache, map_views
from citygeo.ui.components import colours_for, labelled
from citygeo.words import HOTSPOT_WORDS, TYPOLOGY_NAMES

FIELD, SCHEME = "risk_score", "quantiles"


def _city(demo_store: Path):  # type: ignore[no-untyped-def]
    store = Store(demo_store)
    key = (str(store.path), store.version())
    mode = cache.city_settings(*key).mode
    city = cache.city_data(*key, mode)
    year = max(int(y) for y in city.scores["year"].unique())
    return key, mode, city, year


def _page_table(city, year, district, label):  # type: ignore[no-untyped-def]
    """The table view as the map page built it on every visit before it was kept."""
    methodology = current_methodology(city, year)
    frame = scores(city, year, DEFAULT_GROUP)
    table = map_table(frame, FIELD, city.neighbourhoods, methodology)
    table = in_district(city, table, district).reset_index(drop=True)
    table = table.merge(frame[["nid", "typology", "hotspot"]], on="nid", how="left")
    shown = table[list(map_views.TABLE_COLUMNS)].copy()
    shown["typology"] = [
        TYPOLOGY_NAMES.get(t, "") if isinstance(t, str) else "" for t in shown["typology"]
    ]
    shown["hotspot"] = [
        HOTSPOT_WORDS.get(h, "") if isinstance(h, str) else "" for h in shown["hotspot"]
    ]
    shown["value"] = pd.to_numeric(shown["value"], errors="coerce").round(2)
    shown = shown.sort_values(["rank", "nid"], na_position="last").reset_index(drop=True)
    shown["note"] = shown["note"].fillna("")
    labels = column_labels(methodology) | {
        "value": label,
        "rank": _("Rank"),
        "rank_p05": _("Rank likely from"),
        "rank_p95": _("Rank likely to"),
        "note": _("Note"),
    }
    for c in ("district", "note", "typology", "hotspot"):
        shown[c] = shown[c].astype("category")
    for c in ("rank", "rank_p05", "rank_p95"):
        shown[c] = pd.to_numeric(shown[c]).round().astype("Int32")
    return labelled(shown, labels), labels


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_kept_table_view_is_the_pages_own(demo_store: Path, lang: str) -> None:
    key, mode, city, year = _city(demo_store)
    district = min(city.neighbourhoods["district"].dropna().unique())
    for where in (None, district):
        with using(lang):
            label = map_fields(current_methodology(city, year))[FIELD]
            view = map_views.map_view(
                key, mode, year, DEFAULT_GROUP, FIELD, SCHEME, where, label
            ).table
            expected, labels = _page_table(city, year, where, label)
        kept = view.data.to_pandas()
        pd.testing.assert_frame_equal(kept, expected, check_dtype=False, check_categorical=False)
        assert list(view.data.column_names) == list(expected.columns)
        assert view.nids == tuple(expected[labels["nid"]])
        assert dict(view.labels) == labels
        # the words of the table are in the page's language
        assert labels["rank"] == ("Rank" if lang == "en" else "Rang")
    assert len(view.nids) < len(city.neighbourhoods)  # the district's rows only


def test_search_keeps_the_rows_and_their_codes_together(demo_store: Path) -> None:
    key, mode, _city_data, year = _city(demo_store)
    view = map_views.map_view(key, mode, year, DEFAULT_GROUP, FIELD, SCHEME, None, "Risk").table
    data, nids = map_views.searched(view, "thistlebrook HILL")
    assert list(nids) == ["N017"] and data.num_rows == 1
    assert data.column(view.labels["nid"]).to_pylist() == ["N017"]
    # a code is found too, and every row whose name or code holds the text
    data, nids = map_views.searched(view, "n01")
    assert list(nids) == [n for n in view.nids if "N01" in n]
    assert data.column(view.labels["nid"]).to_pylist() == list(nids)
    assert map_views.searched(view, "")[0] is view.data


def test_kept_fill_colours_are_the_city_wide_classes(demo_store: Path) -> None:
    key, mode, city, year = _city(demo_store)
    methodology = current_methodology(city, year)
    table = map_table(scores(city, year, DEFAULT_GROUP), FIELD, city.neighbourhoods, methodology)
    fills = colours_for(table["value"], FIELD, SCHEME, methodology)[0]
    everyone = dict(zip(table["nid"], fills, strict=True))
    kept = map_views.map_view(key, mode, year, DEFAULT_GROUP, FIELD, SCHEME, None, "Risk").colours
    assert kept.domain == tuple(table["nid"])  # in the city's order, each with its colour
    assert {n: list(c) for n, c in zip(*kept, strict=True)} == everyone
    district = min(city.neighbourhoods["district"].dropna().unique())
    members = set(city.neighbourhoods.loc[city.neighbourhoods["district"] == district, "nid"])
    part = map_views.map_view(
        key, mode, year, DEFAULT_GROUP, FIELD, SCHEME, district, "Risk"
    ).colours
    assert set(part.domain) == members  # one district's neighbourhoods, with the city's colours
    assert {n: list(c) for n, c in zip(*part, strict=True)} == {n: everyone[n] for n in members}


def test_what_is_kept_cannot_be_changed_by_a_page(demo_store: Path) -> None:
    key, mode, _city_data, year = _city(demo_store)
    kept = map_views.map_view(key, mode, year, DEFAULT_GROUP, FIELD, SCHEME, None, "Risk").colours
    with pytest.raises(TypeError):
        kept.colors[0] = (0, 0, 0, 0)  # type: ignore[index]
    with pytest.raises(TypeError):
        kept.colors[0][0] = 0  # type: ignore[index]
    view = map_views.map_view(key, mode, year, DEFAULT_GROUP, FIELD, SCHEME, None, "Risk").table
    assert isinstance(view.data, pa.Table)  # Arrow tables are immutable
    with pytest.raises(TypeError):
        view.labels["rank"] = "x"  # type: ignore[index]
