"""pydeck maps: the only module that imports pydeck. No basemap by default (works offline).

Tooltips are plain text (``{"text": …}``): deck.gl sets them as text, so user-provided
names can never inject HTML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from citygeo.geo.classify import MISSING_COLOUR, Classes
from citygeo.i18n import _

CHOROPLETH_LAYER_ID = "neighbourhoods"
OUTLINE_COLOUR = [60, 60, 60, 160]
Colour = tuple[int, int, int]


def view_for(
    bounds: Sequence[float], width_px: float = 860, height_px: float = 580
) -> pdk.ViewState:
    """A view that fits ``bounds`` (minx, miny, maxx, maxy) in a ``width_px`` × ``height_px`` map.

    deck.gl's Web Mercator shows 512 · 2^zoom px per 360° of longitude; latitude spans stretch by
    1 / cos(latitude). A 5% margin is kept on each side.
    """
    minx, miny, maxx, maxy = bounds
    lat = (miny + maxy) / 2
    span_x = max(maxx - minx, 1e-6)
    span_y = max(maxy - miny, 1e-6) / max(math.cos(math.radians(lat)), 0.1)
    zoom = math.log2(min(width_px / span_x, height_px / span_y) * 0.9 * 360 / 512)
    return pdk.ViewState(
        longitude=(minx + maxx) / 2, latitude=lat, zoom=min(max(zoom, 1), 18), pitch=0, bearing=0
    )


def fill_colours(classes: Classes, colours: Sequence[Colour]) -> list[list[int]]:
    """RGBA per value: its class colour, grey for missing."""
    return [[*colours[k], 230] if k >= 0 else [*MISSING_COLOUR, 140] for k in classes.index]


class ColourLookup(NamedTuple):
    """deck.gl's ``colorCategories`` lookup: the codes and the RGBA of each, in one order (a
    page that draws the same map again can keep it instead of building it per visit)."""

    domain: tuple[str, ...]
    colors: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, colours: Mapping[str, Sequence[int]]) -> ColourLookup:
        return cls(tuple(colours), tuple(tuple(c) for c in colours.values()))


def choropleth_layer(
    data: str | dict[str, object],
    layer_id: str = CHOROPLETH_LAYER_ID,
    pickable: bool = True,
    colours: Mapping[str, Sequence[int]] | ColourLookup | None = None,
    trigger: object = None,
    stroked: bool = True,
) -> pdk.Layer:
    """Neighbourhoods filled and outlined, from a FeatureCollection or the URL of a static GeoJSON.

    Without ``colours`` the fill is each feature's ``properties.fill``. With ``colours`` (nid →
    RGBA, or a :class:`ColourLookup`) the fill is looked up by ``properties.nid`` in the browser
    (deck.gl's ``colorCategories``), so the geometry file stays the same when only the colours
    change: deck.gl keeps the polygons it has built and recomputes the colours alone, when
    ``trigger`` (e.g. the field shown) changes. ``stroked=False`` leaves out the outlines, which
    cost far more than the fills to build and draw for thousands of neighbourhoods.
    """
    fill: object = "properties.fill"
    extra: dict[str, object] = {}
    if colours is not None:
        lookup = colours if isinstance(colours, ColourLookup) else ColourLookup.of(colours)
        fill = {
            "@@function": "colorCategories",
            "attr": "nid",
            "domain": lookup.domain,
            "colors": lookup.colors,
            "othersColor": [0, 0, 0, 0],
        }
        extra["update_triggers"] = {"getFillColor": [str(trigger)]}
    return pdk.Layer(
        "GeoJsonLayer",
        data,
        id=layer_id,
        pickable=pickable,
        stroked=stroked,
        filled=True,
        auto_highlight=pickable,
        get_fill_color=fill,
        get_line_color=OUTLINE_COLOUR,
        line_width_min_pixels=0.5,
        get_line_width=1,
        **extra,
    )


def hexagon_layer(cells: list[dict[str, object]]) -> pdk.Layer:
    """Server-side incident hexagons (``polygon``, ``count``); small cells are already removed."""
    top = max((float(c["count"]) for c in cells), default=1.0)  # type: ignore[arg-type]
    # outlines only (thicker = more incidents): a fill would wash out the choropleth under it
    data = [
        {"polygon": c["polygon"], "width": 1.0 + 3.0 * (float(c["count"]) / top) ** 0.7}  # type: ignore[arg-type]
        for c in cells
    ]
    return pdk.Layer(
        "PolygonLayer",
        data,
        id="incident-hexagons",
        pickable=False,
        stroked=True,
        filled=False,
        get_polygon="polygon",
        get_line_color=list(HEXAGON_LINE),
        get_line_width="width",
        line_width_units="pixels",
    )


HEXAGON_LINE = (45, 0, 90, 230)


def points_layer(
    points: list[dict[str, object]], colour: Colour = (0, 109, 44), layer_id: str = "assets"
) -> pdk.Layer:
    """Mechanisms and facilities as dots (``lon``, ``lat``)."""
    return pdk.Layer(
        "ScatterplotLayer",
        points,
        id=layer_id,
        pickable=False,
        get_position=["lon", "lat"],
        get_fill_color=[*colour, 220],
        get_line_color=[255, 255, 255, 255],
        stroked=True,
        radius_min_pixels=3.5,
        radius_max_pixels=8,
        get_radius=40,
        line_width_min_pixels=1,
    )


def outline_layer(
    data: Sequence[Mapping[str, Any]] | str,
    layer_id: str = "hotspots",
    colour: object = "properties.line",
    width_px: float = 3,
) -> pdk.Layer:
    """Outlines of some neighbourhoods, not filled: a list of GeoJSON features or the URL of a
    static GeoJSON file, coloured by ``properties.line`` unless ``colour`` says otherwise.

    Drawn as their own layer over a choropleth's fills, the outlines keep their props when the
    colours change, so deck.gl keeps what it has built (inside the filled layer, a colour change
    rebuilt them too: ~10× the fills' cost under software WebGL).
    """
    source = data if isinstance(data, str) else {"type": "FeatureCollection", "features": data}
    return pdk.Layer(
        "GeoJsonLayer",
        source,
        id=layer_id,
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color=colour,
        line_width_min_pixels=width_px,
        get_line_width=width_px,
    )


class CompactDeck(pdk.Deck):
    """A pydeck Deck whose chart message is compact JSON (pydeck indents it: for a colour lookup of
    5,000 neighbourhoods that is ~4× the bytes over the websocket on every field change)."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def deck(
    layers: list[pdk.Layer],
    bounds: Sequence[float],
    tooltip: str | None = None,
    width_px: float = 860,
    height_px: float = 580,
) -> pdk.Deck:
    """A deck without basemap (``map_provider=None``: nothing is fetched from the internet)."""
    return CompactDeck(
        layers=layers,
        initial_view_state=view_for(bounds, width_px, height_px),
        map_provider=None,
        tooltip={"text": tooltip} if tooltip else False,
    )


def colour_hex(colour: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour[:3])


def legend_rows(
    classes: Classes, colours: Sequence[Colour], fmt: str, counts: np.ndarray | None = None
) -> list[tuple[str, str]]:
    """(hex colour, label) per class, plus a row for missing values when there are any."""
    rows = [(colour_hex(c), label) for c, label in zip(colours, classes.labels(fmt), strict=False)]
    if (classes.index < 0).any():
        rows.append((colour_hex(MISSING_COLOUR), _("no data / withheld")))
    return rows
