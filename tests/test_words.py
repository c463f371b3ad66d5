"""Plain-language wording (citygeo.words): one home for every sentence about a number."""

from __future__ import annotations

import numpy as np

from citygeo import words


def test_plain_words() -> None:
    assert words.plural("place of worship", 3) == "places of worship"
    assert words.plural("youth centre", 2) == "youth centres"
    assert words.plural("youth centre", 1) == "youth centre"
    assert words.rank_text(7, 152, 4, 11) == "rank 7 of 152 (likely between 4 and 11)"
    assert words.rank_text(7, 152) == "rank 7 of 152"
    assert words.rank_text(np.nan, 152) == "not ranked"
    assert (
        words.shown_value(np.nan, "fewer than 5 events: value withheld")
        == "fewer than 5 events: value withheld"
    )
    assert words.shown_value(None) == "no data" and words.shown_value(1234.56) == "1,234.6"
    assert words.shown_value(None, categorical=True) == "no index"


def test_flags_in_words() -> None:
    assert words.flag_sentence("suppressed:hate_rate", None).startswith(
        "hate rate: fewer than 5 incidents"
    )
    assert "withheld in public outputs" in words.flag_sentence(
        "suppressed:hate_rate", None, public=False
    )
    assert words.flag_sentence("missing:x", None).startswith("x: no data this year")
    assert words.flag_sentence("odd", None) == "odd"
    assert words.compared_with_city(3.0, 1.5, 2.0, 80.0) == "2.0× the city median"
    assert (
        words.compared_with_city(3.0, 0.0, np.nan, 80.0)
        == "higher than 80% of neighbourhoods; city median 0"
    )


def test_hot_spots_in_plain_words_the_class_on_hover() -> None:
    shown = [words.HOTSPOT_WORDS[k] for k in words.HOTSPOT_WORDS]
    assert shown == [
        "high-risk cluster",
        "low-risk cluster",
        "high risk, surrounded by low risk",
        "low risk, surrounded by high risk",
    ]
    assert not any("-high" in s or "-low" in s or "(" in s for s in shown)
    assert words.hotspot_term("low-high") == "Local Moran's I class low-high"
    assert "; low risk, surrounded by high risk = low-high." in words.hotspot_help()


def test_top_tenth_is_apart_from_the_caveats() -> None:
    flags = ["extreme:hate_rate", "suppressed:hate_rate", "extreme:turnover_pct"]
    notes = words.quality_notes(flags, None)
    assert len(notes) == 1 and notes[0].startswith("hate rate: fewer than 5 incidents")
    assert words.stands_out(flags, None) == ["hate rate", "turnover pct"]
    assert words.stands_out(["missing:x"], None) == []
