"""Fixtures of the service tests: the demo city as the pages read it, a hand-made methodology."""

from __future__ import annotations

from pathlib import Path

import pytest

from citygeo.scoring import Methodology, parse_methodology
from citygeo.service.city import CityData, load
from citygeo.store import Store


@pytest.fixture(scope="session")
def city(demo_store: Path) -> CityData:
    """The demo city in the public view, as the dashboard loads it."""
    return load(Store(demo_store))


@pytest.fixture()
def four_measures() -> Methodology:
    """Two risk domains (weights 3 and 1) and a protective one; measure weights 1, 3, 1, 1."""
    return parse_methodology(
        {
            "version": "t",
            "domains": [
                {"id": "a", "index": "risk", "weight": 3.0},
                {"id": "b", "index": "risk", "weight": 1.0},
                {"id": "p", "index": "protective", "weight": 1.0},
            ],
            "measures": [
                {"id": "x", "domain": "a", "direction": "risk", "weight": 1.0},
                {"id": "y", "domain": "a", "direction": "risk", "weight": 3.0},
                {"id": "z", "domain": "b", "direction": "risk", "weight": 1.0},
                {"id": "q", "domain": "p", "direction": "protective", "weight": 1.0},
            ],
        },
        "test",
    )
