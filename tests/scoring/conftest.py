"""Small hand-built cities for the scoring tests."""

from __future__ import annotations

import pandas as pd
import pytest

from citygeo.scoring import ScoringInputs, parse_methodology
from citygeo.scoring.methodology import Methodology


def methodology_from(**overrides: object) -> Methodology:
    """A four-domain methodology on the tiny city, with fields overridden."""
    spec: dict[str, object] = {
        "version": "test.1",
        "note": "tests",
        "domains": [
            {"id": "hardship", "index": "risk", "weight": 1.0},
            {"id": "tensions", "index": "risk", "weight": 1.0},
            {"id": "mechanisms", "index": "protective", "weight": 1.0},
            {"id": "trust", "index": "protective", "weight": 1.0},
        ],
        "measures": [
            {"id": "unemployed_pct", "domain": "hardship", "direction": "risk", "weight": 1.0},
            {
                "id": "service_access",
                "domain": "hardship",
                "direction": "protective",
                "weight": 1.0,
            },
            {
                "id": "hate_rate",
                "domain": "tensions",
                "direction": "risk",
                "from": "incidents",
                "categories": ["hate_crime", "hate_incident"],
            },
            {
                "id": "youth_centres",
                "domain": "mechanisms",
                "direction": "protective",
                "from": "assets",
                "kinds": ["youth_centre"],
            },
            {
                "id": "trust_local_gov",
                "domain": "trust",
                "direction": "protective",
                "from": "survey",
            },
        ],
    }
    spec.update(overrides)
    return parse_methodology(spec)


@pytest.fixture
def tiny_inputs() -> ScoringInputs:
    """Four neighbourhoods A–D, 2024 only, numbers chosen to be easy by hand."""
    hoods = pd.DataFrame(
        {
            "nid": ["A", "B", "C", "D"],
            "name": ["Alder", "Birch", "Cedar", "Dogwood"],
            "district": ["North", "North", "South", "South"],
            "population": [1000.0, 2000.0, 1000.0, 4000.0],
            "area_km2": [1.0, 1.0, 2.0, 2.0],
        }
    )
    indicators = pd.DataFrame(
        {
            "nid": ["A", "B", "C", "D"] * 2,
            "indicator": ["unemployed_pct"] * 4 + ["service_access"] * 4,
            "year": 2024,
            "grp": "all",
            "value": [10.0, 20.0, 30.0, 50.0, 100.0, 50.0, 0.0, 25.0],
        }
    )
    incidents = pd.DataFrame(
        {
            "nid": ["A", "B", "B", "D"],
            "year": 2024,
            "category": ["hate_crime", "hate_crime", "hate_incident", "hate_crime"],
            "count": [2, 3, 3, 8],
        }
    )
    assets = pd.DataFrame(
        {
            "nid": ["A", "C", "C", "D"],
            "kind": ["youth_centre"] * 3 + ["library"],
            "theme": None,
            "count": [1, 2, 1, 5],
        }
    )
    survey = pd.DataFrame(
        {
            "nid": ["A", "B", "C", "D"],
            "year": 2024,
            "item": "trust_local_gov",
            "grp": "all",
            "estimate": [4.0, 3.0, 2.0, 1.0],
            "n_eff": [50.0, 40.0, 12.0, 60.0],
        }
    )
    return ScoringInputs(hoods, indicators, incidents, assets, survey)
