"""The registers: partners and stakeholders (who serves where), and the consultation
log with its gaps (neighbourhoods never consulted, groups not heard lately)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from citygeo.demo.assets import asset_gap_neighbourhoods
from citygeo.demo.common import DISTRICTS, THEMES, Neighbourhoods, pick_themes

GROUPS: tuple[str, ...] = (
    "youth",
    "women",
    "older_people",
    "faith_communities",
    "recent_arrivals",
    "lgbtq",
    "disabled_people",
    "parents",
)


_STAKEHOLDERS: tuple[tuple[str, str, str, str], ...] = (
    # (name, sector, base themes, reach: "all", "district" or "local")
    ("Port Averlane City Council - Community Safety Team", "municipality", "safety", "all"),
    ("Port Averlane City Council - Youth Services", "municipality", "youth;education", "all"),
    ("Port Averlane City Council - Housing Department", "municipality", "safety", "all"),
    ("Port Averlane City Council - Public Health", "municipality", "mental_health", "all"),
    (
        "Port Averlane City Council - Cohesion & Equalities Unit",
        "municipality",
        "interfaith;culture",
        "all",
    ),
    ("Port Averlane City Council - Employment & Skills", "municipality", "employment", "all"),
    ("{district} District Office", "municipality", "safety", "district"),
    ("{district} District Office", "municipality", "safety", "district"),
    ("{district} District Office", "municipality", "safety", "district"),
    ("Averlane Police - Hate Crime Unit", "police", "safety", "all"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Police - Neighbourhood Team {district}", "police", "safety", "district"),
    ("Averlane Victim Support Line", "civil_society", "safety;mental_health", "all"),
    ("Harbour Lights Refugee Welcome", "civil_society", "employment;education", "all"),
    ("Averlane Women's Network", "civil_society", "women", "all"),
    ("Rainbow Averlane", "civil_society", "safety;mental_health", "all"),
    ("{place} Neighbourhood Trust", "civil_society", "culture", "local"),
    ("{place} Good Neighbours", "civil_society", "safety", "local"),
    ("{place} Community Kitchen", "civil_society", "culture;employment", "local"),
    ("Averlane Disability Forum", "civil_society", "mental_health", "all"),
    ("Tideline Mediation Service", "civil_society", "safety;interfaith", "all"),
    ("{district} Community Partnership", "civil_society", "culture", "district"),
    ("{district} Community Partnership", "civil_society", "culture", "district"),
    ("Averlane College", "education", "education;employment", "all"),
    ("{place} Academy", "education", "education;youth", "local"),
    ("{place} Academy", "education", "education;youth", "local"),
    ("{place} Primary School", "education", "education", "local"),
    ("{place} Primary School", "education", "education", "local"),
    ("Averlane Adult Learning Service", "education", "education;employment", "all"),
    ("Port Averlane General Hospital - Community Liaison", "health", "mental_health", "all"),
    ("{place} Health Centre", "health", "mental_health", "local"),
    ("{place} Health Centre", "health", "mental_health", "local"),
    ("Averlane Young Minds", "health", "mental_health;youth", "all"),
    ("Averlane Council of Faiths", "faith", "interfaith", "all"),
    ("{place} Churches Together", "faith", "interfaith;culture", "local"),
    ("{place} Mosque Committee", "faith", "interfaith;youth", "local"),
    ("{district} Faith Leaders Group", "faith", "interfaith", "district"),
    ("Averlane Hebrew Congregation", "faith", "interfaith;culture", "all"),
    ("{place} Gurdwara Sewa Group", "faith", "interfaith", "local"),
    ("Averlane Youth Parliament", "youth", "youth", "all"),
    ("{place} Youth Collective", "youth", "youth;sport", "local"),
    ("{place} Youth Collective", "youth", "youth;culture", "local"),
    ("Harbourside Boxing Academy", "youth", "sport;youth", "district"),
    ("Averlane Scouts & Guides", "youth", "youth", "all"),
    ("{district} Street Sport", "youth", "sport;youth", "district"),
    ("{place} Detached Youth Work", "youth", "youth;safety", "local"),
    ("Port Averlane Chamber of Commerce", "business", "employment", "all"),
    ("{district} Traders' Association", "business", "employment;safety", "district"),
    ("Averlane Harbour Employers' Group", "business", "employment", "district"),
    ("{place} Market Traders", "business", "employment", "local"),
    ("Averlane Evening Post", "media", "culture", "all"),
    ("Harbour FM Community Radio", "media", "culture;youth", "all"),
    ("Averlane Local TV", "media", "culture", "all"),
    ("{district} Residents' Newsletter", "media", "culture", "district"),
    ("{place} Sports & Social Club", "youth", "sport", "local"),
    ("Averlane Mentoring Network", "civil_society", "youth;employment", "all"),
    ("{district} Parents' Forum", "civil_society", "youth;women", "district"),
    ("Averlane Interfaith Women's Circle", "faith", "interfaith;women", "all"),
)


def _slug(text: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else " " for c in text)
    return ".".join(keep.split())


def _nearby(nb: Neighbourhoods, home: int, radius_km: float, exclude: set[int]) -> list[str]:
    """Codes within ``radius_km`` of a neighbourhood's centroid, nearest first."""
    dist = np.hypot(nb.x - nb.x[home], nb.y - nb.y[home])
    order = np.argsort(dist, kind="stable")
    return [nb.codes[i] for i in order if dist[i] <= radius_km and i not in exclude]


def stakeholders_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """About 60 partners; local ones serve nearby neighbourhoods, rarely the gap neighbourhoods."""
    gaps = set(asset_gap_neighbourhoods(nb))
    districts = list(DISTRICTS.values())
    rows = []
    used: set[str] = set()
    for template, sector, base, reach in _STAKEHOLDERS:
        while True:
            home = int(rng.choice(len(nb.codes), p=nb.pop / nb.pop.sum()))
            district = districts[int(rng.integers(len(districts)))] if reach == "district" else ""
            name = template.format(district=district, place=nb.names[home])
            if name not in used:
                break
        used.add(name)
        if reach == "all":
            serves = "all"
        elif reach == "district":
            members = zip(nb.codes, nb.districts, strict=True)
            serves = ";".join(c for c, d in members if d == district)
        else:
            near = _nearby(nb, home, float(rng.uniform(0.8, 1.6)), gaps) or [nb.codes[home]]
            serves = ";".join(sorted(near))
        rows.append(
            {
                "name": name,
                "sector": sector,
                "themes": pick_themes(rng, base.split(";"), 1),
                "serves": serves,
                "contact": f"{_slug(name)}@example.org",
            }
        )
    table = pd.DataFrame(rows).sort_values(["sector", "name"], ignore_index=True)
    table.insert(0, "stakeholder_id", [f"S{i + 1:03d}" for i in range(len(table))])
    return table


_FORMAT_SIZE = {
    "survey": (150, 900),
    "focus_group": (6, 14),
    "roundtable": (8, 25),
    "workshop": (12, 40),
    "public_meeting": (25, 160),
}
_SUMMARIES = (
    "Residents raised concerns about {a} and asked for more joint work on {b}.",
    "Participants described {a} as the main worry; several praised local work on {b}.",
    "Discussion focused on {a}; people asked the council to report back on {b}.",
    "Mixed views on {a}, broad support for investing in {b}.",
    "Young people and parents linked {a} to {b} and asked for safe spaces.",
)
_THEME_WORDS = {
    "youth": "youth provision",
    "women": "women's safety",
    "interfaith": "relations between faiths",
    "education": "schools",
    "sport": "sport and leisure",
    "mental_health": "mental health",
    "employment": "jobs and training",
    "safety": "feeling safe in public spaces",
    "culture": "local events and culture",
}
N_CONSULTATIONS = 90
HARD_TO_HEAR = ("recent_arrivals", "lgbtq")
HARD_TO_HEAR_UNTIL = "2025-10-01"


def consultations_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """About 90 listening events 2024-02..2026-11; 20 neighbourhoods never consulted and
    recent arrivals and LGBTQ residents not heard since before October 2025."""
    n = len(nb.codes)
    never = set(rng.choice(n, size=20, replace=False).tolist())
    never.add(asset_gap_neighbourhoods(nb)[0])  # a high-risk neighbourhood never heard
    start, end = np.datetime64("2024-02-01"), np.datetime64("2026-11-20")
    days = np.sort(rng.integers(0, int((end - start).astype(int)) + 1, size=N_CONSULTATIONS))
    rows = []
    for day in days:
        date = start + int(day)
        fmt = list(_FORMAT_SIZE)[int(rng.choice(5, p=[0.15, 0.3, 0.2, 0.2, 0.15]))]
        if fmt == "survey" or rng.uniform() < 0.1:
            nid = ""
        else:
            home = int(rng.choice([i for i in range(n) if i not in never]))
            codes = _nearby(nb, home, float(rng.uniform(0.5, 2.0)), never)[:6]
            nid = ";".join(sorted(codes))
        allowed = [g for g in GROUPS if g not in HARD_TO_HEAR or str(date) < HARD_TO_HEAR_UNTIL]
        groups = sorted(
            rng.choice(allowed, size=int(rng.integers(1, 4)), replace=False), key=GROUPS.index
        )
        themes = pick_themes(rng, [], 2) or str(rng.choice(THEMES))
        words = [_THEME_WORDS[t] for t in themes.split(";")]
        summary = _SUMMARIES[int(rng.integers(len(_SUMMARIES)))].format(
            a=words[0], b=words[-1] if len(words) > 1 else "local services"
        )
        low, high = _FORMAT_SIZE[fmt]
        rows.append(
            {
                "date": str(date),
                "nid": nid,
                "format": fmt,
                "groups": ";".join(groups),
                "participants": int(rng.integers(low, high + 1)),
                "themes": themes,
                "summary": summary,
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values(["date", "nid", "format"], ignore_index=True, kind="stable")
