"""Classification of values into map classes and colour-blind-safe palettes (pure, L1)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import mapclassify
import numpy as np

from citygeo.errors import ConfigError
from citygeo.i18n import N_, Words

SCHEMES: dict[str, str] = {
    "quantiles": "Quantiles",
    "fisher_jenks": "FisherJenks",
    "equal_interval": "EqualInterval",
}
SCHEME_LABELS = Words(
    {
        "quantiles": N_("Quantiles"),
        "fisher_jenks": N_("Natural breaks (Fisher-Jenks)"),
        "equal_interval": N_("Equal interval"),
    }
)  # read in the current language

# ColorBrewer sequential and diverging palettes (colour-blind safe), 5 classes.
PALETTES: dict[str, list[tuple[int, int, int]]] = {
    "OrRd": [(254, 240, 217), (253, 204, 138), (252, 141, 89), (227, 74, 51), (179, 0, 0)],
    "YlGnBu": [(255, 255, 204), (161, 218, 180), (65, 182, 196), (44, 127, 184), (37, 52, 148)],
    "Purples": [(242, 240, 247), (203, 201, 226), (158, 154, 200), (117, 107, 177), (84, 39, 143)],
    "PuOr": [(230, 97, 1), (253, 184, 99), (247, 247, 247), (178, 171, 210), (94, 60, 153)],
}
MISSING_COLOUR = (200, 200, 200)


@dataclass(frozen=True)
class Classes:
    """Values put into ``k`` classes: each value's class (−1 = missing) and the upper bounds."""

    scheme: str
    bins: tuple[float, ...]
    lower: float
    index: np.ndarray

    def labels(self, fmt: str = "{:,.1f}") -> list[str]:
        edges = (self.lower, *self.bins)
        return [f"{fmt.format(lo)} – {fmt.format(hi)}" for lo, hi in itertools.pairwise(edges)]


def classify(values: np.ndarray, scheme: str = "quantiles", k: int = 5) -> Classes:
    """Classify ``values`` (NaN allowed) with a mapclassify scheme chosen by name."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown classification {scheme!r}; choose one of {', '.join(SCHEMES)}")
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    index = np.full(values.shape, -1, dtype=int)
    if not present.any():
        return Classes(scheme, (), float("nan"), index)
    distinct = np.unique(values[present])
    k = max(1, min(k, len(distinct)))
    if k == 1:
        index[present] = 0
        return Classes(scheme, (float(distinct[-1]),), float(distinct[0]), index)
    classifier = getattr(mapclassify, SCHEMES[scheme])(values[present], k=k)
    index[present] = classifier.yb
    return Classes(
        scheme, tuple(float(b) for b in classifier.bins), float(values[present].min()), index
    )


def palette(name: str, k: int) -> list[tuple[int, int, int]]:
    """``k`` colours of a palette (k ≤ 5), spread over its range."""
    colours = PALETTES[name]
    if k >= len(colours):
        return colours
    picks = np.linspace(0, len(colours) - 1, k).round().astype(int)
    return [colours[i] for i in picks]


# ColorBrewer qualitative "Dark2" (first four: colour-blind safe), for the typology.
TYPOLOGY_COLOURS: dict[str, tuple[int, int, int]] = {
    "priority": (217, 95, 2),
    "watch": (117, 112, 179),
    "strengthen": (231, 41, 138),
    "resilient": (27, 158, 119),
}
HOTSPOT_COLOURS: dict[str, tuple[int, int, int]] = {
    "high-high": (215, 25, 28),
    "high-low": (253, 174, 97),
    "low-high": (171, 217, 233),
    "low-low": (44, 123, 182),
}
