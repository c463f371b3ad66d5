"""Monte Carlo rank intervals, Local/Global Moran's I (Columbus), change over time."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal import examples
from shapely.geometry import box

from citygeo.scoring import (
    ScoringInputs,
    global_moran,
    local_moran_classes,
    methodology_sha256,
    prepare,
    queen_weights,
    score_city,
)
from citygeo.scoring.change import change_table, compare_methodologies
from citygeo.scoring.robustness import rank_intervals, unstable_neighbourhoods

from .conftest import methodology_from


def grid(side: int) -> gpd.GeoDataFrame:
    cells = [box(x, y, x + 1, y + 1) for y in range(side) for x in range(side)]
    return gpd.GeoDataFrame(
        {"nid": [f"N{i:02d}" for i in range(side * side)]}, geometry=cells, crs="EPSG:3857"
    )


def test_columbus_crime_moran_matches_published_value() -> None:
    columbus = gpd.read_file(examples.get_path("columbus.shp"))
    w = queen_weights(columbus, id_col="POLYID")
    assert global_moran(columbus["CRIME"].to_numpy(), w) == pytest.approx(0.5002, abs=1e-3)


def test_local_moran_classes_on_a_lattice() -> None:
    cells = grid(10)
    xs = np.array([g.bounds[0] for g in cells.geometry])
    ys = np.array([g.bounds[1] for g in cells.geometry])
    values = pd.Series(np.where(xs < 5, 100.0, 0.0) + np.arange(100) * 0.01, index=cells["nid"])
    w = queen_weights(cells)
    classes = local_moran_classes(values, w, permutations=999, seed=1)
    inner = (ys >= 1) & (ys <= 8)
    # cells whose 8 neighbours all share their level are significant clusters
    assert set(classes[inner & (xs >= 1) & (xs <= 3)]) == {"high-high"}
    assert set(classes[inner & (xs >= 6) & (xs <= 8)]) == {"low-low"}
    # a single low cell inside the high block is a low-high outlier, a high one in the low block
    # high-low
    values.iloc[22] = 0.0  # x = 2, y = 2
    values.iloc[77] = 100.0  # x = 7, y = 7
    classes = local_moran_classes(values, w, permutations=999, seed=1)
    assert classes.iloc[22] == "low-high" and classes.iloc[77] == "high-low"
    assert classes.iloc[0] in {"high-high", "none"}  # a corner has only 3 neighbours


def test_islands_and_missing_scores_get_none() -> None:
    cells = grid(4)
    island = gpd.GeoDataFrame({"nid": ["ISLE"]}, geometry=[box(50, 50, 51, 51)], crs="EPSG:3857")
    both = pd.concat([cells, island], ignore_index=True)
    w = queen_weights(both)
    assert w.islands == ["ISLE"]
    values = pd.Series(np.r_[np.arange(16.0), 99.0], index=both["nid"])
    values.iloc[0] = np.nan
    classes = local_moran_classes(values, w, seed=3)
    assert classes["ISLE"] == "none" and classes.iloc[0] == "none"
    assert len(classes) == 17


def test_monte_carlo_is_seeded_and_brackets_rank(tiny_inputs: ScoringInputs) -> None:
    prepared = prepare(tiny_inputs, methodology_from())
    first = rank_intervals(prepared, draws=300, seed=7)
    assert first.equals(rank_intervals(prepared, draws=300, seed=7))
    scores = score_city(tiny_inputs, methodology_from(), draws=300, seed=7)
    ranks = scores["risk_rank"].to_numpy(dtype=float)
    assert np.all(scores["risk_rank_p05"].to_numpy(dtype=float) <= ranks)
    assert np.all(ranks <= scores["risk_rank_p95"].to_numpy(dtype=float))
    # D (77.1) and B (68.8) are far ahead: ±25% weights never swap them with A or C
    assert scores.set_index("nid").loc["D", ["risk_rank_p05", "risk_rank_p95"]].tolist() == [1, 1]
    # A (33.3) and C (37.5) are close: hardship 0 vs 75 and tensions 66.7 vs 0 swap with the
    # domain weights
    a = scores.set_index("nid").loc["A"]
    assert (a["risk_rank_p05"], a["risk_rank_p95"]) == (3, 4)
    assert unstable_neighbourhoods(scores).empty  # width 1 is not above the 1-rank floor


def test_unstable_means_wider_than_a_tenth_of_the_ranks() -> None:
    frame = pd.DataFrame(
        {
            "nid": [f"N{i}" for i in range(30)],
            "year": 2024,
            "risk_rank": range(1, 31),
            "risk_rank_p05": range(1, 31),
            "risk_rank_p95": [r + (4 if r in (5, 9) else 3) for r in range(1, 31)],
        }
    )
    unstable = unstable_neighbourhoods(frame)  # limit 0.1 × 30 = 3 ranks
    assert unstable["nid"].tolist() == ["N4", "N8"] and unstable["width"].tolist() == [4, 4]


def test_change_comparable_and_not(tiny_inputs: ScoringInputs) -> None:
    later = tiny_inputs.indicator_values.assign(
        year=2025, value=tiny_inputs.indicator_values["value"][::-1].to_numpy()
    )
    inputs = dataclasses.replace(
        tiny_inputs,
        indicator_values=pd.concat([tiny_inputs.indicator_values, later]),
        incident_counts=pd.concat(
            [tiny_inputs.incident_counts, tiny_inputs.incident_counts.assign(year=2025)]
        ),
        survey_estimates=pd.concat(
            [tiny_inputs.survey_estimates, tiny_inputs.survey_estimates.assign(year=2025)]
        ),
    )
    m1 = methodology_from()
    same = score_city(inputs, m1, draws=0)
    table = change_table(same, 2024, 2025, {})
    assert table["comparable"].all() and (table["reason"] == "").all()
    a = table.set_index("nid").loc["A"]
    assert a["risk_rank_change"] == a["risk_rank_to"] - a["risk_rank_from"]

    m2 = methodology_from(
        version="test.2",
        domains=[
            {"id": "hardship", "index": "risk", "weight": 2.0},
            {"id": "tensions", "index": "risk"},
            {"id": "mechanisms", "index": "protective"},
            {"id": "trust", "index": "protective"},
        ],
    )
    mixed = pd.concat(
        [score_city(inputs, m1, [2024], draws=0), score_city(inputs, m2, [2025], draws=0)]
    )
    shas = {methodology_sha256(m): m for m in (m1, m2)}
    table = change_table(mixed, 2024, 2025, shas)
    assert not table["comparable"].any()
    assert (
        table["reason"].iloc[0] == "methodology test.1 → test.2 changed: weights of hardship 1 → 2"
    )
    bare = change_table(mixed, 2024, 2025)
    assert bare["reason"].iloc[0].startswith("methodology changed (sha256 ")


def test_only_version_and_note_changed_is_comparable() -> None:
    ok, reason = compare_methodologies(
        methodology_from(), methodology_from(version="test.9", note="typo fixed")
    )
    assert ok and reason == "methodology test.1 → test.9: only the version, note or labels changed"
    ok, reason = compare_methodologies(
        methodology_from(), methodology_from(version="b", normalisation="percentile")
    )
    assert not ok and reason == "methodology test.1 → b changed: normalisation minmax → percentile"
