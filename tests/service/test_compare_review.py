"""Compare (journey 2) and the methodology review (journey 4) on the demo and on hand cases."""

from __future__ import annotations

import pandas as pd
import pytest

from citygeo.errors import InputError
from citygeo.scoring import Methodology
from citygeo.service.city import CityData
from citygeo.service.compare import compare, parse_nids
from citygeo.service.review import rank_moves, reweighted


def test_rank_moves_and_reweighting(four_measures: Methodology) -> None:
    saved = pd.DataFrame({"nid": ["A", "B", "C"], "name": ["a", "b", "c"], "risk_rank": [1, 2, 3]})
    live = pd.DataFrame({"nid": ["A", "B", "C"], "risk_rank": [3, 2, 1]})
    moves = rank_moves(saved, live)
    assert moves["nid"].tolist() == ["A", "C"] and moves["moved"].tolist() == [2, -2]
    m = reweighted(four_measures, domain_weights={"b": 2.0}, aggregation="geometric")
    assert (
        m.domain("b").weight == 2.0 and m.aggregation == "geometric" and m.domain("a").weight == 3.0
    )


def test_compare_and_parse_nids(city: CityData) -> None:
    assert parse_nids(" N001, N002,,N001 ") == ["N001", "N002"]
    table = compare(city, ["N001", "N017"])
    assert table["name"].tolist() == ["Norrow Green", "Thistlebrook Hill"]
    assert table["risk_rank"].iloc[1] == "rank 13 of 150 (likely between 11 and 14)"
    with pytest.raises(InputError, match="2 to 6"):
        compare(city, ["N001"] * 1)
