"""The demo city as a city receives it: one delivery of files per year (the annual update,
DESIGN.md §2), with one boundary change between the years.

Until 2025 the neighbourhood ``N112`` covered what became two neighbourhoods in 2026:
``N112`` (Ropewalk Lanes, redrawn smaller) and the new ``N113`` (Caddow Quay). The 2024 and
2025 deliveries are therefore on 149 neighbourhoods (their own boundary file), their tables
give one row for the merged ``N112``, and the 2026 delivery brings the new boundaries with a
crosswalk (``from, to, weight``: the old code's residents' share in each new code), so that
2025 can be carried to the new boundaries and compared with 2026.

Each delivery holds only its own year's rows, in files named by year
(``points/incidents-2025.csv``). Registers are the current state: the asset register was last
delivered in September 2024 (the 2026 config still points at that file), the partner register
is delivered in 2026. Pure: frames and texts in, frames and texts out.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from citygeo.demo.common import CITY_NAME, SURVEY_YEARS, YEARS, Neighbourhoods
from citygeo.demo.indicators import LABELS

SPLIT_YEAR = 2026
KEPT, NEW = "N112", "N113"  # before SPLIT_YEAR one neighbourhood, code KEPT
OLD_BOUNDARIES = f"boundaries/neighbourhoods-until-{SPLIT_YEAR - 1}.geojson"
BOUNDARIES = "boundaries/neighbourhoods.geojson"
CROSSWALK = f"boundaries/crosswalk-{SPLIT_YEAR - 1}-{SPLIT_YEAR}.csv"
ASSETS_YEAR = 2024  # the asset register was last delivered then
STAKEHOLDERS_YEAR = 2026


def config_name(year: int) -> str:
    """The config file of a year's delivery: ``city.toml`` for the latest, else ``city-Y.toml``."""
    return "city.toml" if year == YEARS[-1] else f"city-{year}.toml"


def yearly_path(year: int, relative: str) -> str:
    """Where a year's table is written, relative to the demo folder: the year before the
    suffix, in the table's own folder (``points/incidents.csv`` → ``points/incidents-2025.csv``),
    so the folders stay those of DESIGN.md §8."""
    stem, dot, suffix = relative.rpartition(".")
    return f"{stem}-{year}{dot}{suffix}"


# -- the boundaries before the split: N112 and N113 still one neighbourhood ---------------
def merged_neighbourhoods(nb: Neighbourhoods) -> Neighbourhoods:
    """The boundaries before the split: ``KEPT`` and ``NEW`` as one neighbourhood ``KEPT``."""
    i, j = nb.codes.index(KEPT), nb.codes.index(NEW)
    union = shapely.union(nb.polygons[i], nb.polygons[j])
    if not isinstance(union, Polygon) or union.interiors:
        raise ValueError(f"{KEPT} and {NEW} do not merge into one simple polygon")
    merged = orient(union, sign=1.0)
    keep = [k for k in range(len(nb.codes)) if k != j]
    polygons = [merged if k == i else nb.polygons[k] for k in keep]
    pop, area = nb.pop.copy(), nb.area_km2.copy()
    pop[i] += pop[j]
    area[i] += area[j]
    return Neighbourhoods(
        codes=[nb.codes[k] for k in keep],
        names=[nb.names[k] for k in keep],
        districts=[nb.districts[k] for k in keep],
        polygons=polygons,
        x=nb.x[keep],
        y=nb.y[keep],
        area_km2=area[keep],
        pop=pop[keep],
        deprivation=nb.deprivation[keep],
        trend=nb.trend[keep],
    )


def crosswalk_table(nb: Neighbourhoods) -> pd.DataFrame:
    """``from, to, weight``: the old ``KEPT``'s residents split by the new codes' populations."""
    i, j = nb.codes.index(KEPT), nb.codes.index(NEW)
    total = float(nb.pop[i] + nb.pop[j])
    return pd.DataFrame(
        {
            "from": [KEPT, KEPT],
            "to": [KEPT, NEW],
            "weight": [f"{nb.pop[i] / total:.4f}", f"{nb.pop[j] / total:.4f}"],
        }
    )


def _merge_rows(frame: pd.DataFrame, weights: pd.Series, keys: list[str]) -> pd.DataFrame:
    """Rows of ``KEPT`` and ``NEW`` as one row of ``KEPT``: ``population`` summed, every other
    number a ``weights``-weighted mean (a rate of the whole), to the file's decimals."""
    pair = frame["area_code"].isin([KEPT, NEW])
    rows = frame[pair].copy()
    numbers = [c for c in rows.columns if c not in {"area_code", *keys}]
    values = rows[numbers].apply(pd.to_numeric, errors="coerce")
    w = weights.to_numpy(dtype=float)
    merged = []
    for _, part in rows.assign(__w=w).groupby(keys, sort=True):
        out = {"area_code": KEPT, **{k: part[k].iloc[0] for k in keys}}
        for column in numbers:
            v = values.loc[part.index, column]
            if column == "population":
                out[column] = str(int(v.sum()))
            elif v.isna().any():
                out[column] = ""
            else:
                mean = float(np.average(v, weights=part["__w"]))
                decimals = 0 if column == "median_income" else 1
                out[column] = f"{mean:.{decimals}f}"
        merged.append(out)
    result = pd.concat([frame[~pair], pd.DataFrame(merged)], ignore_index=True)
    return result.sort_values(["area_code", *keys], ignore_index=True)


def _pop_weights(frame: pd.DataFrame, nb: Neighbourhoods) -> pd.Series:
    pop = dict(zip(nb.codes, nb.pop, strict=True))
    return frame.loc[frame["area_code"].isin([KEPT, NEW]), "area_code"].map(pop)


def _merge_codes(codes: str) -> str:
    """A ``;``-list of codes with ``NEW`` written as ``KEPT`` (once)."""
    if not codes:
        return codes
    out = [KEPT if c == NEW else c for c in codes.split(";")]
    return ";".join(dict.fromkeys(out))


# -- the deliveries ----------------------------------------------------------------------------
def _year_of(column: pd.Series) -> pd.Series:
    return column.astype(str).str[:4].astype(int)


def delivery_tables(nb: Neighbourhoods, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every year's tables by their path in the demo folder.

    ``tables``: the whole history as generated (formatted for writing), keyed by
    ``indicators/socioeconomic.csv``, ``indicators/population_groups.csv``,
    ``points/incidents.csv``, ``points/assets.csv``, ``survey/responses.csv``,
    ``online/signals.csv``, ``registers/stakeholders.csv``, ``registers/consultations.csv``.
    """
    year_column = {
        "indicators/socioeconomic.csv": "year",
        "indicators/population_groups.csv": "year",
        "points/incidents.csv": "date",
        "survey/responses.csv": "year",
        "online/signals.csv": "period",
        "registers/consultations.csv": "date",
    }
    out: dict[str, pd.DataFrame] = {}
    for relative, column in year_column.items():
        frame = tables[relative]
        years = SURVEY_YEARS if relative.startswith("survey/") else YEARS
        for year in years:
            part = frame[_year_of(frame[column]) == year].reset_index(drop=True)
            if year < SPLIT_YEAR:
                part = _before_split(relative, part, nb)
            out[yearly_path(year, relative)] = part
    out[yearly_path(ASSETS_YEAR, "points/assets.csv")] = tables["points/assets.csv"]
    out[yearly_path(STAKEHOLDERS_YEAR, "registers/stakeholders.csv")] = tables[
        "registers/stakeholders.csv"
    ]
    return out


def _before_split(relative: str, part: pd.DataFrame, nb: Neighbourhoods) -> pd.DataFrame:
    """A year's table as published before the split (on the boundaries of that time)."""
    if relative == "indicators/socioeconomic.csv":
        return _merge_rows(part, _pop_weights(part, nb), ["year"])
    if relative == "indicators/population_groups.csv":
        weights = part.loc[part["area_code"].isin([KEPT, NEW]), "population"].astype(float)
        return _merge_rows(part, weights, ["year", "age_band"])
    if relative == "online/signals.csv":
        if not part["nid"].isin([NEW]).any():
            return part
        part = part.assign(nid=part["nid"].replace({NEW: KEPT}))
        keys = ["period", "nid", "platform", "category"]
        return part.groupby(keys, as_index=False, sort=True)["count"].sum()
    if relative == "registers/consultations.csv":
        return part.assign(nid=part["nid"].fillna("").map(_merge_codes))
    if relative == "survey/responses.csv":
        return part.assign(nid=part["nid"].replace({NEW: KEPT}))
    return part


# -- the config of each delivery ---------------------------------------------------------------
SOCIO_COLUMNS = [c for c, _, _ in LABELS[:8]]
SURVEY_ITEMS = ["trust_local_gov", "feel_safe", "experienced_hate", "trust_neighbours"]
DESCRIPTION = (
    "A FICTIONAL, SYNTHETIC demo city, made up to show how citygeo works. "
    "It is placed in the open South Atlantic, where there is no land; every "
    "neighbourhood, figure, name and address is invented and describes no real place or person."
)


def _sources(year: int, neighbourhoods: int) -> dict[str, dict[str, str]]:
    """The catalogue entries a year's config declares (only the sources it delivers)."""
    latest = year == YEARS[-1]
    sources = {
        "census": {
            "name": "Annual population and housing estimates (fictional)",
            "owner": "Port Averlane Statistics Office (fictional)",
            "licence": "Open data (fictional)",
            "collected": f"{year}-03",
            "refresh": "P1Y",
            "method": "census-based small-area estimates",
            "known_biases": "undercounts recent arrivals and people in temporary housing",
            "coverage": f"all {neighbourhoods} neighbourhoods, {year}",
        },
        "labour-survey": {
            "name": "Small-area labour market estimates (fictional)",
            "owner": "Port Averlane Statistics Office (fictional)",
            "licence": "Open data (fictional)",
            "collected": f"{year}-06",
            "refresh": "P1Y",
            "method": "survey-based model estimates by age band",
            "known_biases": "wide margins for small neighbourhoods; 65+ rates unstable",
            "coverage": f"all {neighbourhoods} neighbourhoods, {year}, four age bands",
        },
        "police": {
            "name": "Recorded hate crimes and incidents (fictional)",
            "owner": "Averlane Police (fictional)",
            "licence": "Restricted: analyst use only",
            "collected": "2026-10" if latest else f"{year}-12",
            "refresh": "P3M",
            "method": "recorded crime and incident reports, geocoded",
            "known_biases": (
                "under-reporting, especially by recent arrivals; a few records mis-geocoded"
            ),
            "coverage": (
                f"{year}-01-01 to {'2026-10-31' if latest else f'{year}-12-31'}, whole city"
            ),
        },
        "asset-register": {
            "name": "Register of community mechanisms and facilities (fictional)",
            "owner": "City Council Cohesion & Equalities Unit (fictional)",
            "licence": "Open data (fictional)",
            "collected": "2024-09",
            "refresh": "P1Y",
            "method": "partner returns and desk research",
            "known_biases": "informal groups under-recorded; not updated since September 2024",
            "coverage": "whole city",
        },
        "resilience-survey": {
            "name": "Community resilience survey (fictional)",
            "owner": "City Council Public Health (fictional)",
            "licence": "Restricted: aggregate use only",
            "collected": f"{year}-05",
            "refresh": "P1Y",
            "method": "address-based sample, weighted by age band",
            "known_biases": "16-24 under-represented in several neighbourhoods; "
            "small samples in ten a year",
            "coverage": f"all {neighbourhoods} neighbourhoods, {year}",
        },
        "online-monitoring": {
            "name": "Online harms monitoring (fictional)",
            "owner": "Averlane Online Safety Partnership (fictional)",
            "licence": "Restricted",
            "collected": "2026-11" if latest else f"{year}-12",
            "refresh": "P1M",
            "method": "automated classifier on public posts, geolocated where possible",
            "known_biases": "classifier errors; only the 30 most populous neighbourhoods "
            "geolocated",
            "coverage": f"{year}-01 to {'2026-10' if latest else f'{year}-12'}, monthly",
        },
        "partner-register": {
            "name": "Partner and stakeholder register (fictional)",
            "owner": "City Council Community Safety Team (fictional)",
            "licence": "Internal: contacts must not be published",
            "collected": "2026-06",
            "refresh": "P1Y",
            "method": "maintained by the prevention coordinator",
            "known_biases": "partners the council already works with are over-represented",
            "coverage": "whole city",
        },
        "listening-log": {
            "name": "Consultation and listening log (fictional)",
            "owner": "City Council Community Engagement (fictional)",
            "licence": "Internal",
            "collected": "2026-11" if latest else f"{year}-12",
            "refresh": "P3M",
            "method": "log of consultation events",
            "known_biases": "records events, not the views of people who did not attend",
            "coverage": f"{year}-01 to {'2026-11' if latest else f'{year}-12'}",
        },
    }
    delivered = set(sources)
    if year not in SURVEY_YEARS:
        delivered.discard("resilience-survey")
    if year not in (ASSETS_YEAR, YEARS[-1]):
        delivered.discard("asset-register")
    if year != STAKEHOLDERS_YEAR:
        delivered.discard("partner-register")
    return {k: v for k, v in sources.items() if k in delivered}


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def city_toml(year: int) -> str:
    """The config of ``year``'s delivery (DESIGN.md §3), every path relative to it."""
    before = year < SPLIT_YEAR
    boundaries = OLD_BOUNDARIES if before else BOUNDARIES
    crosswalk = f'crosswalk = "{CROSSWALK}"\n' if year == SPLIT_YEAR else ""
    comment = (
        f"# {year}'s delivery (the annual update): `citygeo ingest {config_name(year)}` adds it\n"
        f"# to the history; run the deliveries in turn, 2024 first, as `citygeo demo` does.\n"
    )
    if year == SPLIT_YEAR:
        comment += (
            f"# From {SPLIT_YEAR} the old {KEPT} is two neighbourhoods, {KEPT} and {NEW}; the\n"
            "# crosswalk carries the earlier years to the new boundaries for comparison.\n"
        )
    text = f"""# Port Averlane: a FICTIONAL, SYNTHETIC demo city (`python -m citygeo.demo`).
{comment}
indicator_labels = "indicators/labels.csv"

[city]
name = "{CITY_NAME}"
fictional = true
description = {_toml_str(DESCRIPTION)}
projected_crs = "EPSG:32727"

[boundaries]
path = "{boundaries}"
id = "code"
name = "name"
district = "district"
population = "pop"
{crosswalk}
[[indicators]]
path = "{yearly_path(year, "indicators/socioeconomic.csv")}"
id = "area_code"
year = "year"
columns = {_toml_list(SOCIO_COLUMNS)}
source = "census"

[[indicators]]
path = "{yearly_path(year, "indicators/population_groups.csv")}"
id = "area_code"
year = "year"
group = "age_band"
columns = ["population", "unemployed_pct"]
source = "labour-survey"

[[points]]
kind = "incidents"
path = "{yearly_path(year, "points/incidents.csv")}"
id = "incident_id"
lon = "lon"
lat = "lat"
date = "date"
category = "category"
source = "police"
"""
    if year in (ASSETS_YEAR, YEARS[-1]):
        note = (
            "\n# the asset register has not been updated since September 2024: its last file\n"
            if year != ASSETS_YEAR
            else "\n"
        )
        text += f"""{note}[[points]]
kind = "assets"
path = "{yearly_path(ASSETS_YEAR, "points/assets.csv")}"
id = "asset_id"
lon = "lon"
lat = "lat"
category = "kind"
name = "name"
formal = "formal"
themes = "themes"
source = "asset-register"
"""
    if year in SURVEY_YEARS:
        text += f"""
[survey]
path = "{yearly_path(year, "survey/responses.csv")}"
id = "nid"
year = "year"
weight = "weight"
groups = ["age_band", "gender"]
items = {_toml_list(SURVEY_ITEMS)}
source = "resilience-survey"
"""
    text += f"""
[online]
path = "{yearly_path(year, "online/signals.csv")}"
source = "online-monitoring"

[registers]
"""
    if year == STAKEHOLDERS_YEAR:
        text += (
            f'stakeholders = "{yearly_path(year, "registers/stakeholders.csv")}"\n'
            'source = "partner-register"\n'
        )
    text += (
        f'consultations = "{yearly_path(year, "registers/consultations.csv")}"\n'
        'consultations_source = "listening-log"\n'
    )
    for key, source in _sources(year, 149 if before else 150).items():
        text += f"\n[sources.{key}]\n"
        text += "".join(f"{field} = {_toml_str(value)}\n" for field, value in source.items())
    text += '\n[methodology]\npath = "methodology.toml"\n'
    return text


__all__ = [
    "BOUNDARIES",
    "CROSSWALK",
    "KEPT",
    "NEW",
    "OLD_BOUNDARIES",
    "SPLIT_YEAR",
    "city_toml",
    "config_name",
    "crosswalk_table",
    "delivery_tables",
    "merged_neighbourhoods",
    "yearly_path",
]
