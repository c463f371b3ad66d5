"""The demo methodology end to end on a small seeded city with the demo's data names."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from citygeo.schema import HOTSPOT_CLASSES, SCORE_COLUMNS, TYPOLOGIES
from citygeo.scoring import (
    ScoringInputs,
    estimate_survey,
    load_methodology,
    prepare,
    queen_weights,
    score_city,
    start_scoring,
    survey_statistics,
)

from .test_demo_methodology import CATEGORIES, DEMO, INDICATORS, ITEMS, KINDS

SIDE = 8


def seeded_city() -> tuple[ScoringInputs, np.ndarray]:
    rng = np.random.default_rng(42)
    n = SIDE * SIDE
    xs, ys = np.arange(n) % SIDE, np.arange(n) // SIDE
    hardship = np.where((xs < 3) & (ys < 3), 3.0, 0.0) + rng.normal(0, 0.2, n)  # a planted cluster
    nids = [f"N{i:02d}" for i in range(n)]
    hoods = pd.DataFrame(
        {
            "nid": nids,
            "name": nids,
            "district": np.where(xs < 4, "West", "East"),
            "population": rng.integers(800, 3000, n).astype(float),
            "area_km2": 0.5,
        }
    )
    values = []
    for year in (2024, 2025):
        for name in sorted(INDICATORS):
            sign = -1.0 if name in {"median_income", "service_access"} else 1.0
            values.append(
                pd.DataFrame(
                    {
                        "nid": nids,
                        "indicator": name,
                        "year": year,
                        "grp": "all",
                        "value": 50 + sign * 10 * hardship + rng.normal(0, 1, n),
                    }
                )
            )
        for band in ("16-24", "25-44", "45-64", "65+"):
            values.append(
                pd.DataFrame(
                    {
                        "nid": nids,
                        "indicator": "unemployed_pct",
                        "year": year,
                        "grp": band,
                        "value": 10 + 3 * hardship + rng.normal(0, 1, n),
                    }
                )
            )
    incidents = pd.DataFrame(
        [
            {
                "nid": nid,
                "year": year,
                "category": cat,
                "count": int(rng.poisson(2 + 6 * max(h, 0))),
            }
            for year in (2024, 2025)
            for cat in sorted(CATEGORIES)
            for nid, h in zip(nids, hardship)
        ]
    )
    assets = pd.DataFrame(
        {
            "nid": rng.choice(nids, 120),
            "kind": rng.choice(sorted(KINDS), 120),
            "theme": None,
            "count": 1,
        }
    )
    responses = pd.DataFrame(
        [
            {
                "nid": nid,
                "year": year,
                "item": item,
                "weight": 1.0,
                "age_band": "16-24" if k % 2 else "65+",
                "value": float(
                    rng.integers(1, 6) if item.startswith("trust") else rng.integers(0, 2)
                ),
            }
            for year in (2024, 2025)
            for nid in nids
            for item in sorted(ITEMS)
            for k in range(40)
        ]
    )
    m = load_methodology(DEMO)
    survey = estimate_survey(responses, ["age_band"], survey_statistics(m))
    cells = gpd.GeoDataFrame(
        {"nid": nids}, geometry=[box(x, y, x + 1, y + 1) for x, y in zip(xs, ys)]
    )
    inputs = ScoringInputs(
        hoods,
        pd.concat(values),
        incidents.loc[incidents["count"] > 0],
        assets,
        survey,
        queen_weights(cells),
    )
    return inputs, (xs < 3) & (ys < 3)


def test_demo_methodology_scores_a_seeded_city() -> None:
    inputs, cluster = seeded_city()
    m = load_methodology(DEMO)
    scores = score_city(inputs, m, draws=200, seed=1)
    assert list(scores.columns[: len(SCORE_COLUMNS)]) == list(SCORE_COLUMNS)
    assert len(scores) == 2 * SIDE * SIDE and set(scores["year"]) == {2024, 2025}
    assert {f"measure__{x.id}" for x in m.measures} <= set(scores.columns)
    assert {"n__hate_rate", "n__youth_provision"} <= set(scores.columns)
    latest = scores.loc[scores["year"] == 2025].reset_index(drop=True)
    assert sorted(latest["risk_rank"].tolist()) == list(range(1, SIDE * SIDE + 1))
    assert set(latest["typology"]) <= set(TYPOLOGIES) and set(latest["hotspot"]) <= set(
        HOTSPOT_CLASSES
    )
    # the planted hardship cluster tops the risk ranking and shows up as a high-high hot spot
    assert latest.loc[cluster, "risk_rank"].max() <= 12
    assert (latest.loc[cluster, "hotspot"] == "high-high").sum() >= 3
    assert (latest.loc[~cluster, "hotspot"] == "high-high").sum() <= 3
    assert (latest["risk_rank_p05"] <= latest["risk_rank"]).all() and (
        latest["risk_rank"] <= latest["risk_rank_p95"]
    ).all()
    youth = score_city(inputs, m, [2025], group="16-24", draws=0)
    assert set(youth["grp"]) == {"16-24"}
    assert not np.allclose(youth["raw__unemployed_pct"], latest["raw__unemployed_pct"])


def test_pending_scores_give_the_same_rows_once_local_moran_is_done() -> None:
    inputs, cluster = seeded_city()
    m = load_methodology(DEMO)
    whole = score_city(inputs, m, draws=50, seed=3)
    pending = start_scoring(prepare(inputs, m), inputs.weights, draws=50, seed=3)
    assert pending.frame["hotspot"].isna().all()  # not "none" before Local Moran is done
    assert list(pending.frame.columns) == list(whole.columns)
    pd.testing.assert_frame_equal(
        pending.frame.drop(columns="hotspot"), whole.drop(columns="hotspot")
    )
    pd.testing.assert_frame_equal(pending.result(), whole)
    latest = whole["year"] == 2025
    assert (whole.loc[latest, "hotspot"].to_numpy()[cluster] == "high-high").sum() >= 3


def test_citygeo_score_waits_for_the_hot_spots_of_the_city() -> None:
    """``score_methodology`` scores districts while Local Moran runs; the city's rows still
    carry the classes ``score_city`` gives on the same (protected) inputs."""
    from citygeo.service.scoring import protected_inputs, score_methodology

    inputs, _ = seeded_city()
    m = load_methodology(DEMO)
    scores, districts = score_methodology(inputs, m, draws=50, seed=3)
    alone = score_city(protected_inputs(inputs, m), m, draws=50, seed=3, protect_small_counts=True)
    city = scores.loc[scores["grp"] == "all"].reset_index(drop=True)
    assert districts is not None and set(districts["nid"]) == {"West", "East"}
    assert city["hotspot"].notna().all() and (city["hotspot"] != "none").any()
    pd.testing.assert_series_equal(city["hotspot"], alone["hotspot"].reset_index(drop=True))
    pd.testing.assert_series_equal(city["nid"], alone["nid"].reset_index(drop=True))
