"""Who lives where: the latent deprivation score, the socio-economic indicators and the
population by age band, with the indicators' plain-English labels.

The latent score per neighbourhood is a bump over the inner east (the old docks), a
south-east/north-west gradient, a peripheral estate in the south-west, a smooth random field
and a little independent noise. Every deprivation indicator is a linear function of it plus
noise, so they move together and are spatially clustered.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from citygeo.demo.common import AGE_BANDS, YEARS, Neighbourhoods, format_floats


def smooth_field(
    rng: np.random.Generator, length_km: float, n_waves: int = 40
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A smooth random field with unit variance (random Fourier features of an RBF kernel)."""
    freq = rng.normal(0.0, 1.0 / length_km, size=(n_waves, 2))
    phase = rng.uniform(0.0, 2 * np.pi, size=n_waves)
    scale = np.sqrt(2.0 / n_waves)

    def field(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        arg = np.multiply.outer(x, freq[:, 0]) + np.multiply.outer(y, freq[:, 1]) + phase
        return scale * np.cos(arg).sum(axis=-1)

    return field


def _bump(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sd: float) -> np.ndarray:
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sd**2))


def latent_deprivation(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (deprivation, yearly trend): a deprived inner east, an affluent west and north."""
    field = smooth_field(rng, length_km=1.8)
    raw = (
        2.0 * _bump(x, y, 2.6, -0.4, 1.7)  # old docks, inner east
        + 0.9 * _bump(x, y, -2.8, -4.3, 1.2)  # peripheral estate, south-west
        + 0.11 * x
        - 0.12 * y  # affluent west and north
        + 0.35 * field(x, y)
        + rng.normal(0.0, 0.22, size=x.size)
    )
    deprivation = (raw - raw.mean()) / raw.std()
    trend_field = smooth_field(rng, length_km=3.0)
    trend = 0.06 * trend_field(x, y) - 0.12 * _bump(x, y, 4.6, -0.2, 0.9)  # waterfront renewal
    return deprivation, trend


def socioeconomic_table(rng: np.random.Generator, nb: Neighbourhoods) -> pd.DataFrame:
    """Correlated deprivation indicators per neighbourhood and year (two 2026 health gaps)."""
    n = len(nb.codes)
    r = np.hypot(nb.x, nb.y)
    keys = ("u", "yu", "inc", "nq", "oc", "ph", "sa", "rt")
    persistent = {key: rng.normal(size=n) for key in keys}
    access_field = smooth_field(rng, length_km=2.5)(nb.x, nb.y)
    frames = []
    for t, year in enumerate(YEARS):
        d = nb.deprivation + nb.trend * t + rng.normal(0.0, 0.08, n)

        def noise(key: str, sd_persistent: float, sd_year: float) -> np.ndarray:
            return sd_persistent * persistent[key] + rng.normal(0.0, sd_year, n)

        unemployed = np.clip(7.6 + 3.0 * d - 0.25 * t + noise("u", 1.1, 0.45), 1.5, 30.0)
        youth = np.clip(2.1 * unemployed + noise("yu", 2.4, 1.2), 4.0, 60.0)
        income = np.exp(np.log(33500) - 0.23 * d + noise("inc", 0.07, 0.02)) * 1.025**t
        frames.append(
            pd.DataFrame(
                {
                    "area_code": nb.codes,
                    "year": year,
                    "unemployed_pct": unemployed,
                    "youth_unemployed_pct": youth,
                    "median_income": np.round(income, -1),
                    "no_qualifications_pct": np.clip(
                        16.0 + 5.8 * d - 0.4 * t + noise("nq", 2.8, 0.8), 2.0, 50.0
                    ),
                    "overcrowded_pct": np.clip(
                        7.0 + 3.0 * d + 3.0 * np.exp(-r / 2.5) + noise("oc", 1.6, 0.5), 0.5, 35.0
                    ),
                    "poor_health_pct": np.clip(
                        8.0 + 2.0 * d + 0.15 * r + noise("ph", 1.1, 0.4), 2.0, 25.0
                    ),
                    "service_access": np.clip(
                        88.0
                        - 6.5 * r
                        - 2.5 * d
                        + 5.0 * access_field
                        + 0.6 * t
                        + noise("sa", 4.0, 1.0),
                        5.0,
                        100.0,
                    ),
                    "residential_turnover_pct": np.clip(
                        10.0 + 1.8 * d + 7.0 * np.exp(-r / 2.5) + noise("rt", 1.8, 0.8), 3.0, 40.0
                    ),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    last = table["year"] == YEARS[-1]
    gaps = rng.choice(np.flatnonzero(last.to_numpy()), size=2, replace=False)
    table.loc[gaps, "poor_health_pct"] = np.nan
    return table.sort_values(["area_code", "year"], ignore_index=True)


def format_socioeconomic(table: pd.DataFrame) -> pd.DataFrame:
    out = table[["area_code", "year"]].copy()
    for col in table.columns[2:]:
        out[col] = format_floats(table[col], 0 if col == "median_income" else 1)
    return out


def population_groups_table(
    rng: np.random.Generator, nb: Neighbourhoods, socio: pd.DataFrame
) -> pd.DataFrame:
    """Residents aged 16+ and unemployment by age band (youth unemployment markedly higher)."""
    n = len(nb.codes)
    r = np.hypot(nb.x, nb.y)
    shares = np.column_stack(
        (
            0.15 + 0.025 * nb.deprivation + 0.05 * np.exp(-r / 2.0),
            np.full(n, 0.35) + 0.01 * nb.deprivation,
            np.full(n, 0.30),
            np.clip(0.20 - 0.03 * nb.deprivation + 0.012 * r, 0.08, None),
        )
    ) * rng.lognormal(0.0, 0.06, size=(n, 4))
    shares /= shares.sum(axis=1, keepdims=True)
    growth = rng.normal(0.006, 0.01, size=n)
    ratio = np.array([0.0, 0.95, 0.75, 0.25])  # band unemployment relative to the all-ages rate
    rows = []
    for year in YEARS:
        current = socio[socio["year"] == year].set_index("area_code").loc[nb.codes]
        adults = nb.pop * (1 + growth) ** (year - 2025) * 0.81
        for b, band in enumerate(AGE_BANDS):
            if b == 0:
                rate = current["youth_unemployed_pct"].to_numpy()
            else:
                rate = current["unemployed_pct"].to_numpy() * ratio[b] + rng.normal(0, 0.4, n)
            rows.append(
                pd.DataFrame(
                    {
                        "area_code": nb.codes,
                        "year": year,
                        "age_band": band,
                        "population": np.round(adults * shares[:, b]).astype(int),
                        "unemployed_pct": format_floats(np.clip(rate, 0.2, 60.0), 1),
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    return table.sort_values(["area_code", "year", "age_band"], ignore_index=True)


LABELS: tuple[tuple[str, str, str], ...] = (
    ("unemployed_pct", "Unemployment", "%"),
    ("youth_unemployed_pct", "Youth unemployment (16–24)", "%"),
    ("median_income", "Median household income", "currency/year"),
    ("no_qualifications_pct", "Adults with no qualifications", "%"),
    ("overcrowded_pct", "Overcrowded households", "%"),
    ("poor_health_pct", "Residents in bad or very bad health", "%"),
    (
        "service_access",
        "Access to services within 15 minutes (health, education, transport)",
        "index 0–100",
    ),
    ("residential_turnover_pct", "Residents who moved in during the last year", "%"),
    ("population", "Residents aged 16+ (by age band)", "people"),
)
