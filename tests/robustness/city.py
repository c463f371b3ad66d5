"""A full small city for the robustness tests: every file kind the city config accepts.

Builds on the 3 × 3 grid city of ``tests/conftest.py`` (codes N1..N9) and adds a survey,
online signals, both registers and a methodology, so one malformed file of any kind can be
swapped in. The store of a clean ingest (and of a clean ingest + score) is built once per
session and copied into each test's folder, so a case costs one CLI run.
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from citygeo.ingest import ingest_city
from citygeo.service.scoring import score_store
from citygeo.store import Store
from tests.fixtures.city import BASE_CONFIG, SmallCity, cell_centre, grid_city
from tests.fixtures.methodologies import ROBUST

EXTRA_CONFIG = """
[survey]
path = "survey.csv"
id = "nid"
year = "year"
weight = "weight"
groups = ["age_band"]
items = ["trust_local_gov"]
source = "census"

[online]
path = "online.csv"
source = "census"

[registers]
stakeholders = "stakeholders.csv"
consultations = "consultations.csv"

[methodology]
path = "methodology.toml"
"""

METHODOLOGY = ROBUST


def write_full_city(folder: Path, size: int = 3) -> SmallCity:
    """Write the ``size`` × ``size`` grid city with every optional file kind into ``folder``.

    Cell ``i`` holds ``i`` incidents and 3 survey respondents; there are ``size - 1``
    partners and consultations, so cities of two sizes differ in every table.
    """
    folder.mkdir(parents=True, exist_ok=True)
    grid_city(size, size).to_file(folder / "boundaries.geojson", driver="GeoJSON")
    n = size * size
    codes = [f"N{i}" for i in range(1, n + 1)]
    pd.DataFrame(
        {
            "area_code": codes,
            "unemployed_pct": [float(i) for i in range(1, n + 1)],
            "income": [30000 - 1000 * i for i in range(1, n + 1)],
        }
    ).to_csv(folder / "indicators.csv", index=False)
    rows = []
    for i in range(1, n + 1):
        x, y = cell_centre(i, size)
        for k in range(i):
            rows.append(
                {
                    "incident_id": f"I{i}-{k}",
                    "date": "2024-05-01",
                    "category": "hate_crime" if k % 2 == 0 else "hate_incident",
                    "lon": round(x + 0.001 * (k % 3), 6),
                    "lat": round(y, 6),
                }
            )
    pd.DataFrame(rows).to_csv(folder / "incidents.csv", index=False)
    survey = [
        {
            "response_id": f"R{i}-{k}",
            "nid": f"N{i}",
            "year": 2024,
            "weight": 1.0,
            "age_band": "16-24" if k % 2 else "25+",
            "trust_local_gov": (i + k) % 5 + 1,
        }
        for i in range(1, n + 1)
        for k in range(3)
    ]
    pd.DataFrame(survey).to_csv(folder / "survey.csv", index=False)
    online = [
        {
            "period": "2024-05",
            "nid": code,
            "platform": "forum",
            "category": "hate_speech",
            "count": i,
        }
        for i, code in enumerate(codes, 1)
    ]
    online.append(
        {
            "period": "2024-05",
            "nid": "",
            "platform": "forum",
            "category": "hate_speech",
            "count": 50,
        }
    )
    pd.DataFrame(online).to_csv(folder / "online.csv", index=False)
    k = size - 1
    pd.DataFrame(
        {
            "stakeholder_id": ["S1", "S2", "S3"],
            "name": ["Youth service", "Faith forum", "Sports club"],
            "sector": ["public", "civil society", "civil society"],
            "themes": ["youth", "faith; dialogue", "sport"],
            "serves": ["N1; N2", "all", "N3"],
            "contact": ["youth@example.org", "", ""],
        }
    ).head(k).to_csv(folder / "stakeholders.csv", index=False)
    pd.DataFrame(
        {
            "date": ["2024-03-01", "2024-06-15", "2024-07-01"],
            "format": ["meeting", "survey", "walk"],
            "nid": ["N1", "N5; N6", "N2"],
            "groups": ["youth", "women", "elders"],
            "participants": [12, 40, 8],
            "themes": ["trust", "safety", "space"],
            "summary": ["first meeting", "street survey", "walkabout"],
        }
    ).head(k).to_csv(folder / "consultations.csv", index=False)
    (folder / "methodology.toml").write_text(
        textwrap.dedent(METHODOLOGY).lstrip(), encoding="utf-8"
    )
    config = folder / "city.toml"
    config.write_text(BASE_CONFIG.lstrip() + EXTRA_CONFIG, encoding="utf-8")
    return SmallCity(folder, config, folder.parent / "store.duckdb")


@dataclass(frozen=True)
class Baseline:
    """Bytes of the store after a clean ingest, and after a clean ingest + score."""

    ingested: bytes
    scored: bytes

    def install(self, city: SmallCity, *, scored: bool = False) -> None:
        city.store.write_bytes(self.scored if scored else self.ingested)


def build_baseline(folder: Path) -> Baseline:
    city = write_full_city(folder / "city")
    store = Store(city.store)
    ingest_city(city.config, store)
    ingested = city.store.read_bytes()
    score_store(store, draws=20)
    scored = city.store.read_bytes()
    return Baseline(ingested, scored)


def copy_city(source: SmallCity, folder: Path) -> SmallCity:
    shutil.copytree(source.folder, folder)
    return SmallCity(folder, folder / "city.toml", folder.parent / "store.duckdb")
