"""The map's words and classes, kept for every official (issue 16): what each page computed
itself before, in the page's language."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from citygeo.i18n import using
from citygeo.schema import DEFAULT_GROUP
from citygeo.service.city import current_methodology, scores
from citygeo.service.map import map_table
from citygeo.store import Store
from citygeo.ui import cache
from citygeo.ui.components import colours_for


def test_kept_classes_are_the_pages_own_in_each_language(demo_store: Path) -> None:
    store = Store(demo_store)
    key = (str(store.path), store.version())
    mode = cache.city_settings(*key).mode
    city = cache.city_data(*key, mode)
    year = max(int(y) for y in city.scores["year"].unique())
    methodology = current_methodology(city, year)
    shown = {}
    for lang in ("en", "fr"):
        for named in (True, False):
            with using(lang):
                kept = cache.map_classes(
                    *key, mode, year, DEFAULT_GROUP, "risk_score", "equal_interval", named=named
                )
                table = map_table(
                    scores(city, year, DEFAULT_GROUP),
                    "risk_score",
                    city.neighbourhoods if named else None,
                    methodology,
                )
                fills, rows, words = colours_for(
                    table["value"], "risk_score", "equal_interval", methodology
                )
            pd.testing.assert_frame_equal(kept[0], table)
            assert kept[1:] == (fills, rows, words)
        shown[lang] = kept[0]["shown"]
    # the words follow the language: French writes a decimal comma
    assert (
        shown["en"].str.contains(r"\d\.\d").any() and not shown["en"].str.contains(r"\d,\d").any()
    )
    assert shown["fr"].str.contains(r"\d,\d").any()
