"""The dashboard's L3 views on the demo city and on hand-built cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citygeo.service import views
from citygeo.errors import InputError
from citygeo.geo.hexgrid import hex_bins
from citygeo.rules.privacy import public_scores
from citygeo.scoring import parse_methodology
from citygeo.store import Store


@pytest.fixture(scope="module")
def city(demo_store: Path) -> views.CityData:
    return views.load(Store(demo_store))


def test_public_view_equals_the_privacy_rule(demo_store: Path, city: views.CityData) -> None:
    analyst = views.load(Store(demo_store), public=False).scores
    expected = public_scores(analyst)
    pd.testing.assert_frame_equal(views.public_view(analyst), expected)
    pd.testing.assert_frame_equal(city.scores, expected)
    withheld = analyst["flags"].map(lambda f: "suppressed:hate_rate" in f)
    assert withheld.any() and city.scores.loc[withheld, "raw__hate_rate"].isna().all()


def _methodology() -> object:
    return parse_methodology({
        "version": "t", "domains": [{"id": "a", "index": "risk", "weight": 3.0}, {"id": "b", "index": "risk", "weight": 1.0},
                                    {"id": "p", "index": "protective", "weight": 1.0}],
        "measures": [{"id": "x", "domain": "a", "direction": "risk", "weight": 1.0},
                     {"id": "y", "domain": "a", "direction": "risk", "weight": 3.0},
                     {"id": "z", "domain": "b", "direction": "risk", "weight": 1.0},
                     {"id": "q", "domain": "p", "direction": "protective", "weight": 1.0}]})


def test_drivers_are_weight_shares_times_values() -> None:
    m = _methodology()
    # shares: x = 3/4 · 1/4 = 0.1875, y = 3/4 · 3/4 = 0.5625, z = 1/4
    row = {"measure__x": 40.0, "measure__y": 80.0, "measure__z": 20.0, "measure__q": 10.0}
    table = views.driver_table(row, m).set_index("measure")  # type: ignore[arg-type]
    assert table.loc["x", "share"] == pytest.approx(0.1875)
    assert table.loc["y", "contribution"] == pytest.approx(45.0)
    assert table["contribution"].sum() == pytest.approx(0.1875 * 40 + 45 + 5)  # = the arithmetic risk score
    assert list(table.index) == ["y", "x", "z"]
    # y missing: domain a re-weighted to x alone (share 3/4)
    table = views.driver_table({**row, "measure__y": np.nan}, m).set_index("measure")  # type: ignore[arg-type]
    assert table.loc["x", "share"] == pytest.approx(0.75)


def test_rank_moves_and_reweighting() -> None:
    saved = pd.DataFrame({"nid": ["A", "B", "C"], "name": ["a", "b", "c"], "risk_rank": [1, 2, 3]})
    live = pd.DataFrame({"nid": ["A", "B", "C"], "risk_rank": [3, 2, 1]})
    moves = views.rank_moves(saved, live)
    assert moves["nid"].tolist() == ["A", "C"] and moves["moved"].tolist() == [2, -2]
    m = views.reweighted(_methodology(), domain_weights={"b": 2.0}, aggregation="geometric")  # type: ignore[arg-type]
    assert m.domain("b").weight == 2.0 and m.aggregation == "geometric" and m.domain("a").weight == 3.0


def test_profile_of_the_demo(demo_store: Path, city: views.CityData) -> None:
    p = views.profile(city, "N017", as_of=dt.date(2026, 11, 28))
    assert p.name == "Thistlebrook Hill" and p.year == 2026 and p.scored == 150
    assert p.headline.startswith("risk 46/100, rank 13 of 150 (likely between 11 and 14)")
    # withheld measures keep their share but show no contribution; in the analyst view the
    # contributions add up to the (min-max, arithmetic) risk score
    withheld = p.drivers.set_index("measure").loc[["violence_vandalism_rate", "propaganda_density"]]
    assert withheld["contribution"].isna().all() and (withheld["share"] > 0).all()
    assert p.drivers["share"].sum() == pytest.approx(1.0)
    analyst = views.profile(views.load(Store(demo_store), public=False), "N017")
    assert analyst.drivers["contribution"].sum() == pytest.approx(float(analyst.row["risk_score"]), abs=1e-6)  # type: ignore[index]
    assert p.trend["comparable"].tolist() == [True]
    assert "contact" not in p.partners.columns
    assert all("fewer than 5 incidents" in n for n in p.notes if n.startswith("Intercommunal"))
    with pytest.raises(InputError, match="no neighbourhood with code 'X'"):
        views.profile(city, "X")


def test_compare_and_parse_nids(city: views.CityData) -> None:
    assert views.parse_nids(" N001, N002,,N001 ") == ["N001", "N002"]
    table = views.compare(city, ["N001", "N017"])
    assert table["name"].tolist() == ["Norrow Green", "Thistlebrook Hill"]
    assert table["risk_rank"].iloc[1] == "rank 13 of 150 (likely between 11 and 14)"
    with pytest.raises(InputError, match="2 to 6"):
        views.compare(city, ["N001"] * 1)


def test_incident_hexes_hide_small_cells(city: views.CityData) -> None:
    cells = views.incident_hexes(city, 5)
    assert (cells["count"] >= 5).all()
    assert cells["count"].sum() < len(city.table("incidents"))  # the points in small cells are hidden


def test_hex_bins_counts_points_into_the_nearest_hexagon() -> None:
    # 1 km hexagons at the equator: (0, 0) and a point 100 m east share a cell; 3 km east is another
    metres = 1 / 111_320.0
    cells = hex_bins(np.array([0.0, 100 * metres, 3000 * metres]), np.array([0.0, 0.0, 0.0]), 1000.0)
    assert sorted(cells["count"].tolist()) == [1, 2]
    ring = np.array(cells["polygon"].iloc[0])
    assert ring.shape == (7, 2) and (ring[0] == ring[-1]).all()


def test_plain_words() -> None:
    assert views.plural("place of worship", 3) == "places of worship"
    assert views.plural("youth centre", 2) == "youth centres"
    assert views.rank_text(7, 152, 4, 11) == "rank 7 of 152 (likely between 4 and 11)"
