"""The monthly online-signal counts, with the July 2025 spike that follows the June 2025
incident cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd

from citygeo.demo.common import EVENT_MONTH, SPIKE_MONTH, Neighbourhoods, month_starts
from citygeo.demo.incidents import event_neighbourhood

_PLATFORMS = {"forum": 0.8, "video": 1.2, "messaging": 0.6}
_ONLINE_CATEGORIES = {"hate_speech": 1.0, "extremist_content": 0.35, "disinformation": 0.7}
N_ONLINE_NEIGHBOURHOODS = 30


def online_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """Monthly counts for the 30 most populous neighbourhoods plus city-wide rows (nid empty),
    with a spike in July 2025, the month after the June 2025 incident cluster."""
    months = month_starts()
    trend = (1 + 0.15 * np.arange(len(months)) / len(months)) * (
        1 + 0.1 * np.sin(2 * np.pi * (months.astype(int) % 12) / 12)
    )
    event = event_neighbourhood(nb)
    spike = {str(np.datetime64(EVENT_MONTH, "M")): 1.3, SPIKE_MONTH: 6.0, "2025-08": 2.0}
    populous = sorted(np.argsort(-nb.pop, kind="stable")[:N_ONLINE_NEIGHBOURHOODS].tolist())
    city_wide = {SPIKE_MONTH: 3.0, "2025-08": 1.4}
    series: list[tuple[str, float, dict[str, float]]] = [("", 45.0, city_wide)]
    for i in populous:
        base = 5.0 * nb.pop[i] / 5000 * np.exp(0.3 * nb.deprivation[i])
        series.append((nb.codes[i], float(base), spike if i == event else {}))
    rows = []
    for nid, base, boosts in series:
        boost = np.array([boosts.get(str(m), 1.0) for m in months])
        for platform, pf in _PLATFORMS.items():
            for category, cf in _ONLINE_CATEGORIES.items():
                lam = base * pf * cf * trend * boost
                counts = rng.poisson(lam)
                rows.append(
                    pd.DataFrame(
                        {
                            "period": months.astype(str),
                            "nid": nid,
                            "platform": platform,
                            "category": category,
                            "count": counts,
                        }
                    )
                )
    table = pd.concat(rows, ignore_index=True)
    return table.sort_values(["period", "nid", "platform", "category"], ignore_index=True)
