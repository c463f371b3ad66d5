"""The neighbourhood profile (one object for the page and the printout) and its driver maths."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citygeo.errors import InputError
from citygeo.rules.privacy import public_scores
from citygeo.scoring import Methodology, parse_methodology
from citygeo.service.city import CityData, load
from citygeo.service.measures import driver_table, versus_median
from citygeo.service.profile import profile
from citygeo.store import Store


def test_the_public_city_is_the_privacy_rule_applied_once(demo_store: Path, city: CityData) -> None:
    analyst = load(Store(demo_store), mode="analyst").scores
    pd.testing.assert_frame_equal(city.scores, public_scores(analyst))
    withheld = analyst["flags"].map(lambda f: "suppressed:hate_rate" in f)
    assert withheld.any() and city.scores.loc[withheld, "raw__hate_rate"].isna().all()
    assert analyst.loc[withheld, "raw__hate_rate"].notna().all()


def test_drivers_are_weight_shares_times_values(four_measures: Methodology) -> None:
    m = four_measures
    # shares: x = 3/4 · 1/4 = 0.1875, y = 3/4 · 3/4 = 0.5625, z = 1/4
    row = {"measure__x": 40.0, "measure__y": 80.0, "measure__z": 20.0, "measure__q": 10.0}
    table = driver_table(row, m).set_index("measure")
    assert table.loc["x", "share"] == pytest.approx(0.1875)
    assert table.loc["y", "contribution"] == pytest.approx(45.0)
    assert table["contribution"].sum() == pytest.approx(
        0.1875 * 40 + 45 + 5
    )  # the arithmetic risk score
    assert list(table.index) == ["y", "x", "z"]
    # y missing: domain a re-weighted to x alone (share 3/4)
    table = driver_table({**row, "measure__y": np.nan}, m).set_index("measure")
    assert table.loc["x", "share"] == pytest.approx(0.75)


def test_versus_median_never_makes_a_ratio_of_a_zero_or_tiny_median() -> None:
    """Most neighbourhoods have no incident: the median is 0 and "3112× the median" would say
    nothing. The comparison then says the share of neighbourhoods below and the median."""
    m = parse_methodology(
        {
            "version": "t",
            "domains": [{"id": "a", "index": "risk"}, {"id": "p", "index": "protective"}],
            "measures": [
                {"id": "x", "domain": "a", "direction": "risk"},
                {"id": "y", "domain": "a", "direction": "risk"},
                {"id": "z", "domain": "p", "direction": "protective"},
            ],
        },
        "test",
    )
    year = pd.DataFrame({"raw__x": [0.0, 0.0, 0.0, 0.0, 31.1], "raw__y": [1.0, 2.0, 4.0, 2.0, 3.0]})
    row = {"raw__x": 31.1, "raw__y": 4.0, "flags": []}
    table = versus_median(year, row, m).set_index("measure")
    assert np.isnan(table.loc["x", "ratio"]) and table.loc["x", "median"] == 0
    assert table.loc["x", "comparison"] == "higher than 80% of neighbourhoods; city median 0"
    assert table.loc["y", "ratio"] == pytest.approx(2.0)
    assert table.loc["y", "comparison"] == "2.0× the city median"
    # a tiny median: the ratio (311×) is over the limit, so the share is said instead
    tiny = year.assign(raw__x=[0.1, 0.1, 0.1, 0.1, 31.1])
    assert (
        versus_median(tiny, row, m)
        .set_index("measure")
        .loc["x", "comparison"]
        .startswith("higher than 80%")
    )


def test_profile_of_the_demo(demo_store: Path, city: CityData) -> None:
    p = profile(city, "N017", as_of=dt.date(2026, 11, 28))
    assert p.name == "Thistlebrook Hill" and p.year == 2026 and p.scored == 150
    assert p.headline.startswith("risk 46/100, rank 13 of 150 (likely between 11 and 14)")
    # withheld measures keep their share but show no contribution; in the analyst view the
    # contributions add up to the (min-max, arithmetic) risk score
    withheld = p.drivers.set_index("measure").loc[["violence_vandalism_rate", "propaganda_density"]]
    assert withheld["contribution"].isna().all() and (withheld["share"] > 0).all()
    assert p.drivers["share"].sum() == pytest.approx(1.0)
    analyst = profile(load(Store(demo_store), mode="analyst"), "N017")
    assert analyst.drivers["contribution"].sum() == pytest.approx(
        float(analyst.row["risk_score"]),  # type: ignore[index, arg-type]
        abs=1e-6,
    )
    assert p.drivers_add_up and p.trend["comparable"].tolist() == [True]
    assert "contact" not in p.partners.columns
    assert all("fewer than 5 incidents" in n for n in p.notes if n.startswith("Intercommunal"))
    assert list(p.history["year"]) == [2025, 2026] and p.ranked == {2025: 150, 2026: 150}
    assert set(p.domains["domain"]) == {d.id for d in p.methodology.domains}  # type: ignore[union-attr]
    with pytest.raises(InputError, match="No neighbourhood has the code 'X'"):
        profile(city, "X")
