"""Small-cell protection: no public score depends on an exact count under min_count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citygeo.ingest import ingest_city
from citygeo.service.city import read_scores
from citygeo.service.scoring import score_store
from citygeo.store import Store
from tests.fixtures.city import SmallCity, cell_centre
from tests.fixtures.methodologies import SMALL_CITY as METHODOLOGY


def _city_with_counts(city: SmallCity, counts: dict[int, int]) -> pd.DataFrame:
    rows = []
    for cell, n in counts.items():
        x, y = cell_centre(cell)
        rows += [
            {
                "incident_id": f"I{cell}-{k}",
                "date": "2024-05-01",
                "category": "hate_crime",
                "lon": x,
                "lat": y,
            }
            for k in range(n)
        ]
    pd.DataFrame(rows).to_csv(city.folder / "incidents.csv", index=False)
    city.write(
        "methodology.toml", METHODOLOGY.replace('["hate_crime", "hate_incident"]', '["hate_crime"]')
    )
    store = Store(city.store)
    ingest_city(city.config, store)
    score_store(store, city.folder / "methodology.toml", draws=50)
    return read_scores(store).set_index("nid")


def test_public_scores_do_not_reveal_small_counts(small_city: SmallCity) -> None:
    base = {1: 0, 2: 1, 3: 5, 4: 12, 5: 7, 6: 9, 7: 6, 8: 20, 9: 8}
    one = _city_with_counts(small_city, base)
    four = _city_with_counts(small_city, {**base, 2: 4})
    # The exact count of N2 (1 or 4) is withheld …
    for frame in (one, four):
        assert "suppressed:hate_rate" in frame.loc["N2", "flags"]
        assert np.isnan(frame.loc["N2", "raw__hate_rate"]) and np.isnan(
            frame.loc["N2", "n__hate_rate"]
        )
    # … and nothing else that is published changes with it: domain, index, rank, interval.
    published = [
        "domain__tensions",
        "risk_score",
        "risk_rank",
        "risk_rank_p05",
        "risk_rank_p95",
        "typology",
        "measure__hate_rate",
    ]
    pd.testing.assert_frame_equal(one[published], four[published])
    # Counts of 0 and of at least min_count stay exact: N1 0 per 1,000, N3 5 / 3,000 × 1,000.
    assert one.loc["N1", "raw__hate_rate"] == 0
    assert one.loc["N3", "raw__hate_rate"] == pytest.approx(5 / 3)


def test_analyst_view_keeps_exact_small_counts(small_city: SmallCity) -> None:
    _city_with_counts(small_city, {1: 0, 2: 3, 3: 5, 4: 12, 5: 7, 6: 9, 7: 6, 8: 20, 9: 8})
    analyst = read_scores(Store(small_city.store), mode="analyst").set_index("nid")
    assert analyst.loc["N2", "n__hate_rate"] == 3
    assert analyst.loc["N2", "raw__hate_rate"] == pytest.approx(3 / 2)
