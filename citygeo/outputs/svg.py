"""Inline SVG for the printout: the neighbourhood and its neighbours, the drivers, the trend.

No script, font or image is fetched: every figure is drawn from the store's polygons and the
profile's numbers, and every text from a user is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygeo.i18n import _, is_right_to_left
from citygeo.schema import is_missing
from citygeo.words import shown_value

MAP_WIDTH, MAP_HEIGHT = 640.0, 360.0


def escape_text(value: Any) -> str:
    """HTML-escaped text ('' for a missing value)."""
    if is_missing(value):
        return ""
    return html.escape(str(value), quote=True)


def neighbours_of(hoods: gpd.GeoDataFrame, nid: str) -> gpd.GeoDataFrame:
    """The neighbourhoods that share a border or a corner with ``nid`` (queen contiguity)."""
    target = hoods.loc[hoods["nid"] == nid, "geometry"].iloc[0]
    touching = hoods.geometry.intersects(target) & (hoods["nid"] != nid)
    return hoods[touching]


def _projector(bounds: Sequence[float]) -> tuple[float, float, float, float, float]:
    """(x0, y0, kx, ky, scale) for a local equirectangular projection fitted to the map box."""
    minx, miny, maxx, maxy = bounds
    kx = math.cos(math.radians((miny + maxy) / 2))
    width, height = max((maxx - minx) * kx, 1e-9), max(maxy - miny, 1e-9)
    scale = min((MAP_WIDTH - 20) / width, (MAP_HEIGHT - 20) / height)
    x0 = minx - ((MAP_WIDTH / scale - width) / 2) / kx
    y0 = maxy + (MAP_HEIGHT / scale - height) / 2
    return x0, y0, kx, 1.0, scale


def _path(geom: Any, proj: tuple[float, float, float, float, float]) -> str:
    x0, y0, kx, _ky, scale = proj
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        if polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            xs = (xy[:, 0] - x0) * kx * scale
            ys = (y0 - xy[:, 1]) * scale
            points = " L".join(f"{x:.1f} {y:.1f}" for x, y in zip(xs, ys, strict=True))
            parts.append(f"M{points} Z")
    return " ".join(parts)


def map_svg(hoods: gpd.GeoDataFrame, nid: str) -> str:
    """An inline SVG map: the neighbourhood (dark), its neighbours (labelled), and the rest
    of the city inside the frame (light)."""
    neighbours = neighbours_of(hoods, nid)
    target = hoods[hoods["nid"] == nid]
    focus = pd.concat([target, neighbours])
    minx, miny, maxx, maxy = focus.total_bounds
    pad = 0.08 * max(maxx - minx, maxy - miny)
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    proj = _projector(box)
    context = hoods[hoods.geometry.intersects(shapely.box(*box)) & ~hoods["nid"].isin(focus["nid"])]
    shapes = []
    for _i, row in context.iterrows():
        shapes.append(
            f'<path class="ctx" d="{_path(row.geometry, proj)}"><title>{escape_text(row["name"])} '
            f"({escape_text(row['nid'])})</title></path>"
        )
    for _i, row in neighbours.iterrows():
        shapes.append(
            f'<path class="nb" d="{_path(row.geometry, proj)}"><title>{escape_text(row["name"])} '
            f"({escape_text(row['nid'])})</title></path>"
        )
    row = target.iloc[0]
    shapes.append(
        f'<path class="me" d="{_path(row.geometry, proj)}"><title>{escape_text(row["name"])} '
        f"({escape_text(row['nid'])})</title></path>"
    )
    x0, y0, kx, _ky, scale = proj
    for _i, nb in neighbours.iterrows():
        point = nb.geometry.representative_point()
        shapes.append(
            f'<text x="{(point.x - x0) * kx * scale:.1f}" y="{(y0 - point.y) * scale:.1f}">'
            f"{escape_text(nb['nid'])}</text>"
        )
    label = _("Map of {name} and its neighbours").format(name=row["name"])
    return (
        f'<svg class="map" viewBox="0 0 {MAP_WIDTH:.0f} {MAP_HEIGHT:.0f}" role="img" '
        f'aria-label="{escape_text(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(shapes)}</svg>'
    )


def drivers_svg(drivers: pd.DataFrame, withheld: str) -> str:
    """Horizontal bars: each risk measure's contribution to the risk score (points);
    ``drivers`` is the profile's driver table, ``withheld`` the words for a withheld value.
    Right to left (Arabic) the chart is mirrored: labels on the right, bars growing leftwards."""
    row_h, label_w, bar_w, width = 22, 300, 280, 640
    rtl = is_right_to_left()

    def x(at: float) -> float:  # a position measured from the labels' side
        return width - at if rtl else at

    contributions = drivers["contribution"].to_numpy(dtype=float)
    largest = max([c for c in contributions if not np.isnan(c)] + [1e-9])
    height = row_h * len(drivers) + 10
    label_anchor, value_anchor = ("start", "end") if rtl else ("end", "start")
    parts = []
    for i, (label, contribution) in enumerate(zip(drivers["label"], contributions, strict=True)):
        y = 5 + i * row_h
        short = label if len(label) <= 46 else label[:45] + "…"
        parts.append(
            f'<text class="lbl" text-anchor="{label_anchor}" x="{x(label_w - 6):.0f}" '
            f'y="{y + 15}"><title>{escape_text(label)}</title>{escape_text(short)}</text>'
        )
        if not np.isnan(contribution):
            length = bar_w * contribution / largest
            left = x(label_w + length) if rtl else label_w
            parts.append(
                f'<rect x="{left:.1f}" y="{y + 3}" width="{length:.1f}" height="{row_h - 6}"/>'
                f'<text class="val" text-anchor="{value_anchor}" '
                f'x="{x(label_w + length + 4):.1f}" y="{y + 15}">'
                f"{shown_value(contribution)}</text>"
            )
        else:
            parts.append(
                f'<text class="val na" text-anchor="{value_anchor}" x="{x(label_w + 4):.0f}" '
                f'y="{y + 15}">{escape_text(withheld)}</text>'
            )
    label = _("What drives the risk score")
    return (
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape_text(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def trend_svg(history: pd.DataFrame) -> str:
    """A small line chart of the risk and protective scores over the years."""
    years = history["year"].astype(int).tolist()
    if len(years) < 2:
        return ""
    width, height, pad = 640, 150, 34
    span = max(years) - min(years)

    def xy(year: int, score: float) -> tuple[float, float]:
        return (
            pad + (year - min(years)) / span * (width - 2 * pad),
            height - pad / 2 - score / 100 * (height - pad),
        )

    parts = [
        (
            f'<line class="axis" x1="{pad}" y1="{height - pad / 2}" x2="{width - pad}" '
            f'y2="{height - pad / 2}"/>'
        )
    ]
    for column, css in (("risk_score", "risk"), ("protective_score", "prot")):
        points = [
            xy(y, float(s))
            for y, s in zip(years, history[column], strict=True)
            if not math.isnan(float(s))
        ]
        if points:
            text = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline class="{css}" points="{text}"/>')
            parts += [f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points]
    parts += [f'<text x="{xy(y, 0)[0]:.1f}" y="{height - 2}">{y}</text>' for y in years]
    label = _("Scores over the years")
    return (
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape_text(label)}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
