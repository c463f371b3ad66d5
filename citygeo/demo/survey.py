"""The weighted survey microdata: answers lowered by deprivation and incident pressure,
a few small samples a year, the 16–24 band under-represented in some neighbourhoods."""

from __future__ import annotations

import numpy as np
import pandas as pd

from citygeo.demo.common import AGE_BANDS, SURVEY_YEARS, Neighbourhoods, format_floats
from citygeo.demo.incidents import event_neighbourhood
from citygeo.demo.sampling import Locator


def incident_pressure(nb: Neighbourhoods, loc: Locator, incidents: pd.DataFrame) -> np.ndarray:
    """Standardised log incident rate per 1,000 residents, per neighbourhood."""
    where = loc.locate(incidents[["lon", "lat"]].to_numpy())
    counts = np.bincount(where[where >= 0], minlength=len(nb.codes))
    rate = np.log1p(counts / nb.pop * 1000)
    return (rate - rate.mean()) / rate.std()


def _likert(latent: np.ndarray) -> np.ndarray:
    return np.digitize(latent, [-1.3, -0.4, 0.5, 1.4]) + 1


def survey_table(
    rng: np.random.Generator, nb: Neighbourhoods, groups: pd.DataFrame, pressure: np.ndarray
) -> pd.DataFrame:
    """Weighted survey microdata: about 40–65 respondents per neighbourhood and year, ten
    neighbourhoods a year under 30, the 16–24 band under-represented in fifteen."""
    n = len(nb.codes)
    youth_shy = set(rng.choice(n, size=15, replace=False).tolist())
    event = event_neighbourhood(nb)
    frames = []
    for year in SURVEY_YEARS:
        size = np.round(38 + 22 * (nb.pop / nb.pop.max()) ** 0.6 + rng.normal(0, 4, n)).astype(int)
        small = rng.choice(n, size=10, replace=False)
        size[small] = rng.integers(12, 29, size=10)
        size = np.where(np.isin(np.arange(n), small), size, np.maximum(size, 36))
        band_pop = (
            groups[groups["year"] == year]
            .pivot(index="area_code", columns="age_band", values="population")
            .loc[nb.codes, list(AGE_BANDS)]
            .to_numpy(dtype=float)
        )
        for i in range(n):
            frames.append(
                _respondents(
                    rng,
                    i,
                    year,
                    int(size[i]),
                    band_pop[i],
                    i in youth_shy,
                    i == event,
                    nb,
                    pressure,
                )
            )
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["year", "nid", "age_band", "gender", "_order"], ignore_index=True)
    table.insert(0, "response_id", [f"R{i + 1:06d}" for i in range(len(table))])
    return table.drop(columns="_order")


def _respondents(
    rng: np.random.Generator,
    i: int,
    year: int,
    k: int,
    band_pop: np.ndarray,
    youth_shy: bool,
    hit_by_event: bool,
    nb: Neighbourhoods,
    pressure: np.ndarray,
) -> pd.DataFrame:
    """``k`` respondents of neighbourhood ``i``: age band by population share × response
    propensity, weights that re-balance the age bands (clipped to 0.4-3.0), answers from
    latent scores lowered by deprivation and incident pressure."""
    propensity = np.array([0.15 if youth_shy else 0.7, 1.0, 1.1, 1.3])
    p = band_pop * propensity
    band = rng.choice(4, size=k, p=p / p.sum())
    gender = rng.choice(3, size=k, p=[0.53, 0.45, 0.02])
    sample_share = np.bincount(band, minlength=4) / k
    pop_share = band_pop / band_pop.sum()
    cell_weight = np.divide(pop_share, sample_share, out=np.ones(4), where=sample_share > 0)
    weight = cell_weight[band] * np.array([0.95, 1.06, 1.0])[gender]
    weight = np.clip(weight * rng.lognormal(0, 0.08, size=k), 0.4, 3.0)
    d = nb.deprivation[i]
    # the June 2025 cluster dents trust and safety in its neighbourhood (less so a year on)
    after_event = hit_by_event * (1.0 if year == 2025 else 0.5)
    young = band == 0
    base = -0.45 * d - 0.40 * pressure[i] - 0.5 * after_event
    trust_gov = _likert(0.25 + base - 0.15 * young + rng.normal(0, 1, k))
    trust_nb = _likert(0.45 + base * 0.7 + 0.2 * (band == 3) + rng.normal(0, 1, k))
    safe_logit = 1.1 - 0.45 * d - 0.45 * pressure[i] + 0.35 * (gender == 1) - 0.4 * after_event
    hate_logit = -2.1 + 0.5 * pressure[i] + 0.2 * d + 0.8 * (gender == 2) + 0.3 * young
    return pd.DataFrame(
        {
            "nid": nb.codes[i],
            "year": year,
            "weight": format_floats(weight, 3),
            "age_band": np.array(AGE_BANDS)[band],
            "gender": np.array(["female", "male", "other"])[gender],
            "trust_local_gov": trust_gov,
            "feel_safe": (rng.uniform(size=k) < 1 / (1 + np.exp(-safe_logit))).astype(int),
            "experienced_hate": (rng.uniform(size=k) < 1 / (1 + np.exp(-hate_logit))).astype(int),
            "trust_neighbours": trust_nb,
            "_order": np.arange(k),
        }
    )
