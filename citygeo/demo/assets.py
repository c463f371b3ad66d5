"""The community mechanisms and facilities: clustered around the city and district
centres, thin in the deprived inner east, none at all in a few high-risk neighbourhoods."""

from __future__ import annotations

import numpy as np
import pandas as pd

from citygeo.demo.common import DISTRICTS, Neighbourhoods, pick_themes
from citygeo.demo.incidents import event_neighbourhood
from citygeo.demo.sampling import Locator, sample_gaussian, sample_in_polygon

ASSET_KINDS: dict[str, int] = {  # kind -> how many
    "place_of_worship": 58,
    "sports_club": 44,
    "community_centre": 34,
    "residents_association": 34,
    "youth_centre": 28,
    "mentoring_scheme": 24,
    "library": 20,
    "parenting_network": 20,
    "peace_committee": 20,
    "interfaith_forum": 18,
}
INFORMAL_KINDS = frozenset({"peace_committee", "parenting_network", "residents_association"})


_ASSET_LABELS: dict[str, tuple[str, ...]] = {
    "youth_centre": ("Youth Centre", "Youth Club", "Young People's Hub"),
    "community_centre": ("Community Centre", "Neighbourhood Hall", "Community Hub"),
    "library": ("Library",),
    "place_of_worship": (
        "Parish Church",
        "Mosque",
        "Gurdwara",
        "Synagogue",
        "Methodist Chapel",
        "Hindu Temple",
        "Buddhist Centre",
        "Pentecostal Church",
        "Catholic Church",
    ),
    "sports_club": (
        "Football Club",
        "Boxing Club",
        "Rowing Club",
        "Cricket Club",
        "Netball Club",
        "Athletic Club",
        "Basketball Club",
    ),
    "peace_committee": ("Peace Committee",),
    "residents_association": ("Residents' Association", "Tenants & Residents Group"),
    "parenting_network": ("Parents' Network", "Mums & Dads Circle"),
    "interfaith_forum": ("Interfaith Forum", "Faiths Together"),
    "mentoring_scheme": ("Mentoring Scheme", "Youth Mentors", "Step Up Mentoring"),
}
_ASSET_THEMES: dict[str, tuple[str, ...]] = {
    "youth_centre": ("youth",),
    "community_centre": ("culture",),
    "library": ("education", "culture"),
    "place_of_worship": ("interfaith", "culture"),
    "sports_club": ("sport", "youth"),
    "peace_committee": ("safety", "interfaith"),
    "residents_association": ("safety",),
    "parenting_network": ("women", "youth"),
    "interfaith_forum": ("interfaith",),
    "mentoring_scheme": ("youth", "employment", "education"),
}


def asset_gap_neighbourhoods(nb: Neighbourhoods) -> list[int]:
    """High-risk neighbourhoods left with no mechanism at all: the June 2025 cluster's
    neighbourhood and the three most deprived others."""
    event = event_neighbourhood(nb)
    deprived = [int(i) for i in np.argsort(-nb.deprivation, kind="stable") if i != event][:3]
    return sorted([event, *deprived])


def _centres(nb: Neighbourhoods) -> list[tuple[float, float]]:
    """The city centre and each district's most populous neighbourhood (its high street)."""
    centres = [(0.0, 0.0)]
    for district in DISTRICTS.values():
        members = [i for i, d in enumerate(nb.districts) if d == district]
        top = max(members, key=lambda i: nb.pop[i])
        centres.append((float(nb.x[top]), float(nb.y[top])))
    return centres


def assets_table(rng: np.random.Generator, nb: Neighbourhoods, loc: Locator) -> pd.DataFrame:
    """About 300 mechanisms, clustered around centres, thin in the deprived inner east."""
    gaps = set(asset_gap_neighbourhoods(nb))
    centres = _centres(nb)
    weights = nb.pop / nb.pop.sum()
    rows: list[dict[str, object]] = []
    used: set[str] = set()
    for kind, count in ASSET_KINDS.items():
        placed = 0
        while placed < count:
            if rng.uniform() < 0.6:
                centre = centres[int(rng.integers(len(centres)))]
                xy = sample_gaussian(rng, centre, 0.7, 1, loc)[0]
            else:
                xy = sample_in_polygon(rng, loc, int(rng.choice(len(weights), p=weights)), 1)[0]
            home = int(loc.locate(xy[None, :])[0])
            if home in gaps or (nb.deprivation[home] > 0.9 and rng.uniform() < 0.6):
                continue
            label = _ASSET_LABELS[kind][int(rng.integers(len(_ASSET_LABELS[kind])))]
            name = f"{nb.names[home]} {label}"
            suffix = 2
            while name in used:
                name, suffix = f"{nb.names[home]} {label} ({suffix})", suffix + 1
            used.add(name)
            formal = rng.uniform() < (0.3 if kind in INFORMAL_KINDS else 0.95)
            rows.append(
                {
                    "kind": kind,
                    "name": name,
                    "formal": "true" if formal else "false",
                    "themes": pick_themes(rng, _ASSET_THEMES[kind]),
                    "lon": xy[0],
                    "lat": xy[1],
                    "_code": nb.codes[home],
                }
            )
            placed += 1
    table = pd.DataFrame(rows).sort_values(["_code", "kind", "name"], ignore_index=True)
    table.insert(0, "asset_id", [f"A{i + 1:04d}" for i in range(len(table))])
    return table.drop(columns="_code")
