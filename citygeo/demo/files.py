"""The demo city's files: the ``city.toml`` and ``README.md`` texts, and the one function
that writes every file (the only module of the generator that does I/O)."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from citygeo.demo.assets import assets_table
from citygeo.demo.common import CITY_NAME, SEED
from citygeo.demo.geometry import make_neighbourhoods, neighbourhoods_geojson
from citygeo.demo.incidents import incidents_table
from citygeo.demo.indicators import (
    LABELS,
    format_socioeconomic,
    population_groups_table,
    socioeconomic_table,
)
from citygeo.demo.online import online_table
from citygeo.demo.registers import consultations_table, stakeholders_table
from citygeo.demo.sampling import Locator, format_points
from citygeo.demo.survey import incident_pressure, survey_table
from citygeo.settings import REPO_ROOT

log = logging.getLogger(__name__)


_SOURCES: tuple[dict[str, str], ...] = (
    {
        "id": "census",
        "name": "Annual population and housing estimates (fictional)",
        "owner": "Port Averlane Statistics Office (fictional)",
        "licence": "Open data (fictional)",
        "collected": "2026-03",
        "refresh": "P1Y",
        "method": "census-based small-area estimates",
        "known_biases": "undercounts recent arrivals and people in temporary housing",
        "coverage": "all 150 neighbourhoods, 2024-2026",
    },
    {
        "id": "labour-survey",
        "name": "Small-area labour market estimates (fictional)",
        "owner": "Port Averlane Statistics Office (fictional)",
        "licence": "Open data (fictional)",
        "collected": "2026-06",
        "refresh": "P1Y",
        "method": "survey-based model estimates by age band",
        "known_biases": "wide margins for small neighbourhoods; 65+ rates unstable",
        "coverage": "all 150 neighbourhoods, 2024-2026, four age bands",
    },
    {
        "id": "police",
        "name": "Recorded hate crimes and incidents (fictional)",
        "owner": "Averlane Police (fictional)",
        "licence": "Restricted: analyst use only",
        "collected": "2026-10",
        "refresh": "P3M",
        "method": "recorded crime and incident reports, geocoded",
        "known_biases": (
            "under-reporting, especially by recent arrivals; a few records mis-geocoded"
        ),
        "coverage": "2024-01-01 to 2026-10-31, whole city",
    },
    {
        "id": "asset-register",
        "name": "Register of community mechanisms and facilities (fictional)",
        "owner": "City Council Cohesion & Equalities Unit (fictional)",
        "licence": "Open data (fictional)",
        "collected": "2024-09",
        "refresh": "P1Y",
        "method": "partner returns and desk research",
        "known_biases": "informal groups under-recorded; not updated since September 2024",
        "coverage": "whole city",
    },
    {
        "id": "resilience-survey",
        "name": "Community resilience survey (fictional)",
        "owner": "City Council Public Health (fictional)",
        "licence": "Restricted: aggregate use only",
        "collected": "2026-05",
        "refresh": "P1Y",
        "method": "address-based sample, weighted by age band",
        "known_biases": "16-24 under-represented in several neighbourhoods; "
        "small samples in ten a year",
        "coverage": "all 150 neighbourhoods, 2025 and 2026",
    },
    {
        "id": "online-monitoring",
        "name": "Online harms monitoring (fictional)",
        "owner": "Averlane Online Safety Partnership (fictional)",
        "licence": "Restricted",
        "collected": "2026-11",
        "refresh": "P1M",
        "method": "automated classifier on public posts, geolocated where possible",
        "known_biases": "classifier errors; only the 30 most populous neighbourhoods geolocated",
        "coverage": "2024-01 to 2026-10, monthly",
    },
    {
        "id": "partner-register",
        "name": "Partner and stakeholder register (fictional)",
        "owner": "City Council Community Safety Team (fictional)",
        "licence": "Internal: contacts must not be published",
        "collected": "2026-06",
        "refresh": "P1Y",
        "method": "maintained by the prevention coordinator",
        "known_biases": "partners the council already works with are over-represented",
        "coverage": "whole city",
    },
    {
        "id": "listening-log",
        "name": "Consultation and listening log (fictional)",
        "owner": "City Council Community Engagement (fictional)",
        "licence": "Internal",
        "collected": "2026-11",
        "refresh": "P3M",
        "method": "log of consultation events",
        "known_biases": "records events, not the views of people who did not attend",
        "coverage": "2024-02 to 2026-11",
    },
)


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def city_toml() -> str:
    """The city configuration (DESIGN.md §3), every path relative to this file."""
    description = (
        "A FICTIONAL, SYNTHETIC demo city generated by `python -m citygeo.demo`. "
        "It is placed in the open South Atlantic, where there is no land; every "
        "neighbourhood, figure, name and address is invented and describes no real place or person."
    )
    socio_cols = ", ".join(_toml_str(c) for c, _, _ in LABELS[:8])
    items = '["trust_local_gov", "feel_safe", "experienced_hate", "trust_neighbours"]'
    text = f"""# Port Averlane: a FICTIONAL, SYNTHETIC demo city (`python -m citygeo.demo`).

indicator_labels = "indicators/labels.csv"

[city]
name = "{CITY_NAME}"
fictional = true
description = {_toml_str(description)}
projected_crs = "EPSG:32727"

[boundaries]
path = "boundaries/neighbourhoods.geojson"
id = "code"
name = "name"
district = "district"
population = "pop"

[[indicators]]
path = "indicators/socioeconomic.csv"
id = "area_code"
year = "year"
columns = [{socio_cols}]
source = "census"

[[indicators]]
path = "indicators/population_groups.csv"
id = "area_code"
year = "year"
group = "age_band"
columns = ["population", "unemployed_pct"]
source = "labour-survey"

[[points]]
kind = "incidents"
path = "points/incidents.csv"
id = "incident_id"
lon = "lon"
lat = "lat"
date = "date"
category = "category"
source = "police"

[[points]]
kind = "assets"
path = "points/assets.csv"
id = "asset_id"
lon = "lon"
lat = "lat"
category = "kind"
name = "name"
formal = "formal"
themes = "themes"
source = "asset-register"

[survey]
path = "survey/responses.csv"
id = "nid"
year = "year"
weight = "weight"
groups = ["age_band", "gender"]
items = {items}
source = "resilience-survey"

[online]
path = "online/signals.csv"
source = "online-monitoring"

[registers]
stakeholders = "registers/stakeholders.csv"
consultations = "registers/consultations.csv"
source = "partner-register"
consultations_source = "listening-log"
"""
    for src in _SOURCES:
        text += f"\n[sources.{src['id']}]\n"
        for key in (
            "name",
            "owner",
            "licence",
            "collected",
            "refresh",
            "method",
            "known_biases",
            "coverage",
        ):
            text += f"{key} = {_toml_str(src[key])}\n"
    text += '\n[methodology]\npath = "methodology.toml"\n'
    return text


def readme_text(counts: dict[str, int], seed: int) -> str:
    return f"""# Port Averlane — a fictional, synthetic demo city

**Everything in this `data/` folder is FICTIONAL and SYNTHETIC.** Port Averlane is an
invented city; it matches no real place. Its coordinates put it on an imaginary island in
the open South Atlantic (around lon -25.0, lat -40.0) where there is no land, so no
invented figure can attach to a real place. All neighbourhood names, districts,
population figures, indicators, incidents, survey answers, online counts, organisations,
addresses (at example.org) and consultation notes are made up; any resemblance to real
places, organisations or people is coincidental.

The files are generated by `python -m citygeo.demo` (seed {seed}); running it again
gives byte-identical files, and `tests/test_demo.py` checks that the committed files
match their generator. Do not edit them by hand: change `citygeo/demo.py` and regenerate.

Files (paths relative to this folder):

- `city.toml`: the city configuration (DESIGN.md §3).
- `boundaries/neighbourhoods.geojson`: {counts["neighbourhoods"]} neighbourhoods in 8
  districts (`code`, `name`, `district`, `pop`).
- `indicators/socioeconomic.csv`: indicators per neighbourhood and year, 2024-2026; two
  2026 `poor_health_pct` values are missing on purpose.
- `indicators/population_groups.csv`: residents aged 16+ and unemployment by age band.
- `indicators/labels.csv`: plain-English label and unit of each indicator column.
- `points/incidents.csv`: {counts["incidents"]:,} incidents, 2024-01-01 to 2026-10-31;
  about 25 fall outside the city (mis-geocoded) on purpose.
- `points/assets.csv`: {counts["assets"]} community mechanisms and facilities.
- `survey/responses.csv`: {counts["responses"]:,} weighted survey responses, 2025 and 2026.
- `online/signals.csv`: monthly online-signal counts; rows with an empty `nid` are
  signals placed only at city level (not a total of the neighbourhood rows).
- `registers/stakeholders.csv`: {counts["stakeholders"]} partners; the `contact` column
  is sensitive and must not be published.
- `registers/consultations.csv`: {counts["consultations"]} consultation events; an empty
  `nid` means city-wide.
- `methodology.toml` is written by hand, not by the generator.

Patterns built in: a deprived inner east (the old docks) and an affluent west and
north; deprivation indicators that move together; three incident hot spots (one in
the deprived inner east, one in the city centre, one emerging in 2025 in the affluent
north-west) and a one-month cluster in June 2025 in one neighbourhood, followed by an
online spike in July 2025; mechanisms clustered around district centres with gaps in
some high-risk neighbourhoods; some neighbourhoods never consulted, and recent arrivals
and LGBTQ residents not heard since before October 2025; the asset register is overdue
for review.
"""


DEFAULT_OUT = REPO_ROOT / "data"


def generate(out_dir: Path, seed: int = SEED) -> dict[str, Path]:
    """Write every file of the demo city under ``out_dir`` and return their paths by name.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing); files already there are overwritten.
        ``data/methodology.toml`` is not written: it is maintained separately.
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives byte-identical files.

    Returns
    -------
    dict[str, Path]
        ``{"city": …/city.toml, "boundaries": …, "socioeconomic": …, …}``.
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    nb = make_neighbourhoods(rng)
    loc = Locator(nb.polygons)
    socio = socioeconomic_table(rng, nb)
    groups = population_groups_table(rng, nb, socio)
    incidents = incidents_table(rng, nb, loc)
    assets = assets_table(rng, nb, loc)
    responses = survey_table(rng, nb, groups, incident_pressure(nb, loc, incidents))
    online = online_table(rng, nb)
    stakeholders = stakeholders_table(rng, nb)
    consultations = consultations_table(rng, nb)
    paths = {
        "boundaries": out_dir / "boundaries" / "neighbourhoods.geojson",
        "socioeconomic": out_dir / "indicators" / "socioeconomic.csv",
        "population_groups": out_dir / "indicators" / "population_groups.csv",
        "labels": out_dir / "indicators" / "labels.csv",
        "incidents": out_dir / "points" / "incidents.csv",
        "assets": out_dir / "points" / "assets.csv",
        "survey": out_dir / "survey" / "responses.csv",
        "online": out_dir / "online" / "signals.csv",
        "stakeholders": out_dir / "registers" / "stakeholders.csv",
        "consultations": out_dir / "registers" / "consultations.csv",
        "city": out_dir / "city.toml",
        "readme": out_dir / "README.md",
    }
    paths["boundaries"].parent.mkdir(parents=True, exist_ok=True)
    _write_text(paths["boundaries"], neighbourhoods_geojson(nb))
    _write_csv(format_socioeconomic(socio), paths["socioeconomic"])
    _write_csv(groups, paths["population_groups"])
    _write_csv(pd.DataFrame(list(LABELS), columns=["indicator", "label", "unit"]), paths["labels"])
    _write_csv(format_points(incidents), paths["incidents"])
    _write_csv(format_points(assets), paths["assets"])
    _write_csv(responses, paths["survey"])
    _write_csv(online, paths["online"])
    _write_csv(stakeholders, paths["stakeholders"])
    _write_csv(consultations, paths["consultations"])
    _write_text(paths["city"], city_toml())
    counts = {
        "neighbourhoods": len(nb.codes),
        "incidents": len(incidents),
        "assets": len(assets),
        "responses": len(responses),
        "stakeholders": len(stakeholders),
        "consultations": len(consultations),
    }
    _write_text(paths["readme"], readme_text(counts, seed))
    log.info(
        "wrote the fictional demo city %s to %s (%s)",
        CITY_NAME,
        out_dir,
        ", ".join(f"{v:,} {k}" for k, v in counts.items()),
    )
    return paths


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m citygeo.demo [--out DIR] [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m citygeo.demo",
        description=f"Generate the fictional demo city {CITY_NAME} (synthetic data).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="folder to write into (default: the repository's data/ folder)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate(args.out, args.seed)
    return 0
