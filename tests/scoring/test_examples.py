"""The worked methodologies of examples/methodologies/: each loads, validates and scores;
Chicago's hardship index and the IMD-style index against numbers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citygeo.scoring import ScoringInputs, load_methodology, score_city, validate_against
from citygeo.scoring.methodology import Methodology

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "methodologies"
FILES = sorted(EXAMPLES.glob("*.toml"))


def indicator_inputs(
    methodology: Methodology, table: dict[str, list[float]], year: int = 2024
) -> ScoringInputs:
    """Inputs holding one indicator column per measure of ``methodology`` (nid = u0, u1, …)."""
    n = len(next(iter(table.values())))
    nids = [f"u{i}" for i in range(n)]
    hoods = pd.DataFrame(
        {"nid": nids, "name": nids, "district": None, "population": 1000.0, "area_km2": 1.0}
    )
    rows = [
        pd.DataFrame(
            {
                "nid": nids,
                "indicator": m.indicator_name,
                "year": year,
                "grp": "all",
                "value": np.asarray(table[m.indicator_name], dtype=float),
            }
        )
        for m in methodology.measures
    ]
    return ScoringInputs(
        hoods,
        pd.concat(rows, ignore_index=True),
        pd.DataFrame(columns=["nid", "year", "category", "count"]),
        pd.DataFrame(columns=["nid", "kind", "theme", "count"]),
    )


def test_the_examples_are_there() -> None:
    names = {f.name for f in FILES}
    assert {"svi-2022.toml", "chicago-hardship.toml", "imd-style.toml"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_example_loads_validates_and_scores(path: Path) -> None:
    m = load_methodology(path)
    assert m.version and m.note
    names = {x.indicator_name for x in m.measures}
    assert all(x.source == "indicator" for x in m.measures)  # they run on indicator tables alone
    validate_against(m, names, set(), set(), set())
    rng = np.random.default_rng(7)
    scores = score_city(
        indicator_inputs(m, {k: list(rng.uniform(0, 50, 12)) for k in names}), m, draws=20
    )
    risk = scores["risk_score"].to_numpy(dtype=float)
    assert np.isfinite(risk).all() and risk.min() >= 0 and risk.max() <= 100
    assert scores["risk_rank"].notna().all() and scores["risk_rank_p05"].notna().all()
    # all three are risk-only: the protective index is not scored, so no typology
    assert not m.scores("protective")
    assert scores["protective_score"].isna().all() and scores["typology"].isna().all()


def test_chicago_hardship_by_hand() -> None:
    m = load_methodology(EXAMPLES / "chicago-hardship.toml")
    table = {
        "housing_crowded_pct": [2.0, 6.0, 3.0],  # min-max 0, 100, 25
        "households_below_poverty_pct": [10.0, 30.0, 25.0],  # 0, 100, 75
        "unemployed_16_plus_pct": [5.0, 15.0, 10.0],  # 0, 100, 50
        "no_high_school_diploma_25_plus_pct": [10.0, 30.0, 12.0],  # 0, 100, 10
        "dependency_pct": [30.0, 40.0, 38.0],  # 0, 100, 80
        "per_capita_income": [50000.0, 20000.0, 26000.0],  # 100, 0, 20 → inverted 0, 100, 80
    }
    scores = score_city(indicator_inputs(m, table), m, draws=0).set_index("nid")
    # u2: (25 + 75 + 50 + 10 + 80 + 80) / 6 = 320 / 6
    np.testing.assert_allclose(scores["risk_score"], [0.0, 100.0, 320 / 6], rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores["measure__per_capita_income"], [0.0, 100.0, 80.0], atol=1e-12)
    assert scores["risk_rank"].tolist() == [3, 1, 2]


def test_imd_style_exponential_transform_by_hand() -> None:
    m = load_methodology(EXAMPLES / "imd-style.toml")
    assert [d.weight for d in m.domains] == [22.5, 22.5, 13.5, 13.5, 9.3, 9.3, 9.3]
    # deprivation order of u0..u3 per domain (4 = most deprived), as raw scores 10·order
    order = {
        "income_score": [4, 3, 2, 1],
        "employment_score": [4, 3, 2, 1],
        "education_score": [1, 2, 3, 4],
        "health_score": [1, 2, 3, 4],
        "crime_score": [1, 4, 2, 3],
        "barriers_score": [1, 4, 2, 3],
        "living_environment_score": [1, 4, 2, 3],
    }
    scores = score_city(
        indicator_inputs(m, {k: [10.0 * r for r in v] for k, v in order.items()}), m, draws=0
    ).set_index("nid")
    # R = rank / 4; X = −23 ln(1 − R (1 − e^(−100/23))), worked out with a calculator:
    x = {4: 100.0, 3: 31.0091, 2: 15.6468, 1: 6.5177}
    a = (22.5 * x[4] * 2 + 13.5 * x[1] * 2 + 9.3 * x[1] * 3) / 99.9  # 48.627
    b = (22.5 * x[3] * 2 + 13.5 * x[2] * 2 + 9.3 * x[4] * 3) / 99.9  # 46.125
    c = (22.5 * x[2] * 2 + 13.5 * x[3] * 2 + 9.3 * x[2] * 3) / 99.9  # 19.799
    d = (22.5 * x[1] * 2 + 13.5 * x[4] * 2 + 9.3 * x[3] * 3) / 99.9  # 38.623
    np.testing.assert_allclose(scores["risk_score"], [a, b, c, d], rtol=0, atol=1e-3)
    assert scores["risk_rank"].tolist() == [1, 2, 4, 3]
    # the domain columns keep the standardised domain score (before the transform)
    np.testing.assert_allclose(
        scores["domain__income"], [1.3416408, 0.4472136, -0.4472136, -1.3416408]
    )
