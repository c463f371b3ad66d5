"""The fictional demo city "Port Averlane": a deterministic generator of every input file.

Port Averlane is invented (DESIGN.md §8). It sits on an imaginary island in the South
Atlantic near lon -25, lat -40, where there is no land, so no invented figure can attach
to a real place. Every file that can carry a note says it is synthetic.

Run ``python -m citygeo.demo [--out DIR]`` (default: the repository's ``data/`` folder).
The same seed always gives byte-identical files: rows are sorted, floats have a fixed
number of decimals and nothing records the time of generation.

One module per thing made; all but ``files`` are pure (they return frames and strings):

* ``common``: the fixed facts (seed, name, place, years, districts, themes), the
  ``Neighbourhoods`` record, the local km frame, small shared helpers.
* ``geometry``: island, seeds, Voronoi cells, the bent gap-free tessellation, codes, names,
  districts and population, the boundaries as GeoJSON text.
* ``indicators``: the latent deprivation score, the socio-economic and age-band tables,
  the indicator labels.
* ``sampling``: locating and sampling points and dates.
* ``incidents``, ``assets``, ``survey``, ``online``, ``registers`` (stakeholders and
  consultations): one table each.
* ``files``: the ``city.toml`` and ``README.md`` texts and :func:`generate`, which draws
  everything from one seeded generator, in a fixed order, and writes the files.
"""

from __future__ import annotations

from citygeo.demo.assets import ASSET_KINDS, INFORMAL_KINDS
from citygeo.demo.common import (
    AGE_BANDS,
    CITY_NAME,
    DISTRICTS,
    SEED,
    SURVEY_YEARS,
    THEMES,
    YEARS,
    Neighbourhoods,
)
from citygeo.demo.files import DEFAULT_OUT, generate, main
from citygeo.demo.geometry import make_neighbourhoods
from citygeo.demo.incidents import INCIDENT_CATEGORIES
from citygeo.demo.registers import GROUPS

__all__ = [
    "AGE_BANDS",
    "ASSET_KINDS",
    "CITY_NAME",
    "DEFAULT_OUT",
    "DISTRICTS",
    "GROUPS",
    "INCIDENT_CATEGORIES",
    "INFORMAL_KINDS",
    "SEED",
    "SURVEY_YEARS",
    "THEMES",
    "YEARS",
    "Neighbourhoods",
    "generate",
    "main",
    "make_neighbourhoods",
]
