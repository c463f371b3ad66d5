"""``not_covered:<measure>``: a source's coverage in the pure engine (DESIGN.md §3, §5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from citygeo.scoring import ScoringInputs, build_measures, district_inputs, score_city
from citygeo.service.scoring import not_covered

from .conftest import methodology_from


def _outside(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["nid", "kind", "item"])


def _c_and_d_uncovered(inputs: ScoringInputs) -> ScoringInputs:
    """C outside the police's coverage of hate crime, D outside the census' unemployment."""
    return dataclasses.replace(
        inputs,
        not_covered=_outside(
            [("C", "category", "hate_crime"), ("D", "indicator", "unemployed_pct")]
        ),
    )


def test_uncovered_measures_are_missing_not_zero(tiny_inputs: ScoringInputs) -> None:
    # C has no hate incidents at all: a zero rate where covered, unknown where not.
    inputs = _c_and_d_uncovered(tiny_inputs)
    m = methodology_from()
    covered = build_measures(tiny_inputs, m, [2024])
    table = build_measures(inputs, m, [2024])
    assert covered.raw["hate_rate"].iloc[2] == 0.0
    assert np.isnan(table.raw["hate_rate"].iloc[2]) and np.isnan(table.counts["hate_rate"].iloc[2])
    assert np.isnan(table.raw["unemployed_pct"].iloc[3])
    np.testing.assert_allclose(table.raw["hate_rate"].iloc[[0, 1, 3]], [2.0, 3.0, 2.0])  # per 1,000
    scores = score_city(inputs, m, [2024], draws=0).set_index("nid")
    assert "not_covered:hate_rate" in scores.loc["C", "flags"]
    assert "missing:hate_rate" not in scores.loc["C", "flags"]
    assert "not_covered:unemployed_pct" in scores.loc["D", "flags"]
    assert not any(f.startswith("not_covered:") for f in scores.loc["A", "flags"])
    # C's only tensions measure is unknown: a whole domain missing gives no index, and says why.
    assert "missing_domain:tensions" in scores.loc["C", "flags"]
    assert np.isnan(scores.loc["C", "risk_score"])


def test_a_district_with_an_uncovered_neighbourhood_is_not_covered(
    tiny_inputs: ScoringInputs,
) -> None:
    inputs = dataclasses.replace(
        tiny_inputs, not_covered=_outside([("C", "category", "hate_incident")])
    )
    table = build_measures(district_inputs(inputs), methodology_from(), [2024])
    rates = pd.Series(table.raw["hate_rate"].to_numpy(), index=table.rows["nid"])
    assert np.isnan(rates["South"])  # C is in the South
    assert rates["North"] == (2 + 3 + 3) / 3000 * 1000


def test_source_coverage_applies_to_what_the_source_gives() -> None:
    coverage = pd.DataFrame(
        {
            "source_id": ["police", "police", "census"],
            "kind": ["source", "source", "indicator"],
            "item": [None, None, "households"],
            "nid": ["A", "B", "B"],
            "share": [1.0, 0.2, 0.4],
        }
    )
    sources = pd.DataFrame(
        {
            "kind": ["category", "category", "indicator"],
            "item": ["hate_crime", "theft", "households"],
            "source_id": ["police", "police", "census"],
        }
    )
    got = not_covered(coverage, sources).sort_values(["nid", "kind", "item"]).reset_index(drop=True)
    assert got.to_dict("records") == [
        {"nid": "B", "kind": "category", "item": "hate_crime"},
        {"nid": "B", "kind": "category", "item": "theft"},
        {"nid": "B", "kind": "indicator", "item": "households"},
    ]
    assert not_covered(coverage.assign(share=1.0), sources) is None


def test_building_the_incident_measures_alone_gives_the_same_rates_and_counts(
    tiny_inputs: ScoringInputs,
) -> None:
    """The exact rates put back for analysts are built from the incident measures only: the same
    values as the whole build, coverage included, and none of the other measures."""
    inputs = _c_and_d_uncovered(tiny_inputs)
    m = methodology_from()
    whole = build_measures(inputs, m, [2024])
    alone = build_measures(inputs, m, [2024], only_source="incidents")
    incident = [x.id for x in m.measures if x.source == "incidents"]
    assert incident and list(alone.raw.columns) == incident
    pd.testing.assert_frame_equal(alone.raw, whole.raw[incident])
    pd.testing.assert_frame_equal(alone.counts, whole.counts[incident])
    assert np.isnan(alone.raw["hate_rate"].iloc[2])  # not covered stays unknown, never zero
