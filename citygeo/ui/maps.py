"""pydeck maps: the only module that imports pydeck. No basemap by default (works offline)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pydeck as pdk

from citygeo.classify import MISSING_COLOUR, Classes

CHOROPLETH_LAYER_ID = "neighbourhoods"


def view_for(bounds: Sequence[float]) -> pdk.ViewState:
    """A view that fits ``bounds`` (minx, miny, maxx, maxy) in a ~900×600 px map."""
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, (maxy - miny) * 1.5, 1e-6)
    zoom = math.log2(360 / span) + 0.6
    return pdk.ViewState(longitude=(minx + maxx) / 2, latitude=(miny + maxy) / 2,
                         zoom=min(max(zoom, 1), 18), pitch=0, bearing=0)


def choropleth(features: list[dict[str, object]], properties: list[dict[str, object]],
               classes: Classes, colours: list[tuple[int, int, int]], bounds: Sequence[float],
               tooltip: str, *, highlight: str | None = None) -> pdk.Deck:
    """A pickable choropleth of neighbourhoods.

    ``features`` are display geometries in the same order as ``properties`` (the values shown
    in the tooltip). The tooltip is plain text (``{"text": …}``): deck.gl sets it as text, so
    user-provided names can never inject HTML.
    """
    data = []
    for feature, props, klass in zip(features, properties, classes.index, strict=True):
        colour = colours[klass] if klass >= 0 else MISSING_COLOUR
        alpha = 230 if klass >= 0 else 140
        line = [20, 20, 20, 255] if highlight and props.get("nid") == highlight else [60, 60, 60, 160]
        data.append({"type": "Feature", "geometry": feature["geometry"],
                     "properties": {**props, "fill": [*colour, alpha], "line": line}})
    layer = pdk.Layer(
        "GeoJsonLayer", {"type": "FeatureCollection", "features": data}, id=CHOROPLETH_LAYER_ID,
        pickable=True, stroked=True, filled=True, auto_highlight=True,
        get_fill_color="properties.fill", get_line_color="properties.line",
        line_width_min_pixels=0.5, get_line_width=1,
    )
    return pdk.Deck(layers=[layer], initial_view_state=view_for(bounds), map_provider=None,
                    tooltip={"text": tooltip})


def colour_hex(colour: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour[:3])


def legend_rows(classes: Classes, colours: list[tuple[int, int, int]], fmt: str,
                counts: np.ndarray | None = None) -> list[tuple[str, str]]:
    """(hex colour, label) per class, plus a row for missing values when there are any."""
    rows = [(colour_hex(c), label) for c, label in zip(colours, classes.labels(fmt), strict=False)]
    if (classes.index < 0).any():
        rows.append((colour_hex(MISSING_COLOUR), "no data"))
    return rows
