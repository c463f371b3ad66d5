"""Hand-computed cases of the annual update's pure parts: carrying inputs through a crosswalk,
``collected`` following the history, and a redrawn neighbourhood measured by area."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from citygeo.ingest.vintages import _redrawn, vintage_id
from citygeo.rules.freshness import collected_with_history
from citygeo.scoring.inputs import carry

LINKS = pd.DataFrame(
    {
        "from_nid": ["N5", "N5", "N6", "N7"],
        "to_nid": ["A", "B", "C", "C"],
        "weight": [0.4, 0.6, 1.0, 1.0],
    }
)


def test_carry_splits_population_and_keeps_rates() -> None:
    values = pd.DataFrame(
        {
            "nid": ["N1", "N5", "N5", "N6", "N7", "N9"],
            "indicator": ["rate", "rate", "population", "rate", "rate", "rate"],
            "year": 2024,
            "grp": "all",
            "value": [1.0, 8.0, 5000.0, 2.0, 6.0, 3.0],
        }
    )
    carried, _ = carry(values, pd.DataFrame(), LINKS, {"N1", "A", "B", "C"})
    got = {(r.nid, r.indicator): r.value for r in carried.itertuples()}
    assert got == {
        ("N1", "rate"): 1.0,  # unchanged code, carried as is
        ("A", "rate"): 8.0,
        ("B", "rate"): 8.0,  # a split keeps the rate
        ("A", "population"): 2000.0,
        ("B", "population"): 3000.0,  # split by share
        ("C", "rate"): 4.0,
    }  # a merge: (2 + 6) / 2
    # N9 is neither linked nor in the new boundaries: it is not carried.


def test_carry_counts_a_survey_response_in_each_new_code_by_share() -> None:
    responses = pd.DataFrame(
        {
            "nid": ["N5", "N1"],
            "year": 2024,
            "weight": [2.0, 1.0],
            "item": "trust",
            "value": [1.0, 0.0],
            "source_id": "survey",
        }
    )
    _, carried = carry(
        pd.DataFrame(columns=["nid", "indicator", "year", "grp", "value"]),
        responses,
        LINKS,
        {"N1", "A", "B", "C"},
    )
    weights = dict(zip(carried["nid"], carried["weight"], strict=True))
    assert weights == {"N1": 1.0, "A": pytest.approx(0.8), "B": pytest.approx(1.2)}


@pytest.mark.parametrize(
    ("configured", "newest", "expected"),
    [
        ("2024-12", 2025, "2025"),  # the config is older than the newest year ingested
        ("2025-06", 2025, "2025-06"),  # a later, more precise configured date is kept
        ("", 2025, "2025"),
        ("2024-03", None, "2024-03"),  # nothing held: the config's date
        (None, None, ""),
    ],
)
def test_collected_follows_the_newest_year(configured, newest, expected) -> None:
    assert collected_with_history(configured, newest) == expected


def test_a_redrawn_outline_is_measured_as_a_share_of_its_area() -> None:
    box = shapely.box(0.0, 0.0, 0.01, 0.01)
    old = gpd.GeoDataFrame(
        {"nid": ["N1", "N2"]}, geometry=[box, shapely.box(0.01, 0, 0.02, 0.01)], crs="EPSG:4326"
    )
    # N1 loses a tenth of its width; N2 moves by far less than 1 % of its area.
    new = gpd.GeoDataFrame(
        {"nid": ["N1", "N2"]},
        geometry=[shapely.box(0.0, 0.0, 0.009, 0.01), shapely.box(0.01, 0, 0.02, 0.01000001)],
        crs="EPSG:4326",
    )
    assert _redrawn(old, new, "EPSG:32631") == {"N1": pytest.approx(10.0, abs=0.1)}
    assert vintage_id(old) == vintage_id(old.iloc[::-1]) != vintage_id(new)
