"""Printable neighbourhood profile: one self-contained HTML page (DESIGN.md §7, page 2).

:func:`render_profile_html` returns a page with inline CSS and inline SVG only — no
script, no font, no image or style sheet fetched from anywhere — that prints cleanly on
A4: a map of the neighbourhood and its neighbours drawn from the store's polygons, the
scores with their rank and 5–95% rank interval, what drives the risk score (each risk
measure's contribution, as bars), the trend over the years, the sources with their
owners, licences and known biases, the caveats behind this neighbourhood's flags, and
the fictional-city notice when the city is fictional. Every text that comes from a user
(names, districts, labels, sources, notes) is HTML-escaped.

The same privacy rules as the exports apply: public mode (the default) shows withheld
values as "fewer than N events" / "sample too small", never the number.

:func:`print_to_pdf` prints the page with Chromium's own print engine (Playwright driving
Debian's ``/usr/bin/chromium``; nothing is downloaded).
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from citygeo import __version__
from citygeo.errors import CitygeoError, InputError, StoreError
from citygeo.outputs.export import (_city, _methodologies, _neighbourhoods, _scores, _sources, atomic_path,
                            is_fictional)
from citygeo.rules.privacy import ANALYST, PUBLIC, fewer_than
from citygeo.schema import DEFAULT_GROUP, domain_column, measure_column, raw_column
from citygeo.store import Store

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
EXACT_NORMALISATIONS = ("minmax", "goalposts", "percentile")
MAP_WIDTH, MAP_HEIGHT = 640.0, 360.0


@dataclass(frozen=True)
class Driver:
    """One risk measure's part in the risk score."""

    measure: str
    label: str
    domain: str
    raw: float
    median: float
    normalised: float
    contribution: float
    status: str  # "ok", "withheld", "missing"


@dataclass(frozen=True)
class Profile:
    """Everything the page shows, read from the store in one connection."""

    nid: str
    year: int
    mode: str
    city: dict[str, str]
    row: pd.Series
    year_rows: pd.DataFrame
    history: pd.DataFrame
    spec: dict[str, Any]
    hoods: gpd.GeoDataFrame
    sources: pd.DataFrame
    ranked: dict[int, int]


def _e(value: Any) -> str:
    """HTML-escaped text ('' for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 1) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(number):
        return "–"
    return f"{number:,.{digits}f}"


def _int(value: Any) -> str:
    return _num(value, 0)


# -- reading -----------------------------------------------------------------------------
def load_profile(store: Store, nid: str, *, year: int | None = None, mode: str = PUBLIC) -> Profile:
    """Read one neighbourhood's profile.

    Raises
    ------
    InputError
        No neighbourhood has the code ``nid``.
    StoreError
        No scores, or none for ``year`` for this neighbourhood.
    """
    with store.reader() as con:
        hoods = _neighbourhoods(con)
        if nid not in set(hoods["nid"]):
            sample = ", ".join(hoods["nid"].head(3))
            raise InputError(f"No neighbourhood has the code {nid!r} in the store {store.path}; "
                             f"codes look like {sample} (list them with `citygeo export --format csv`).")
        scores = _scores(con, store, None, mode, DEFAULT_GROUP)
        history = scores[scores["nid"] == nid].sort_values("year")
        if history.empty:
            raise StoreError(f"{nid} has no scores in {store.path}; run `citygeo score` first.")
        chosen = int(history["year"].max()) if year is None else int(year)
        if chosen not in set(history["year"].astype(int)):
            years = ", ".join(str(int(y)) for y in history["year"])
            raise StoreError(f"{nid} has no scores for {chosen}; scored years: {years}.")
        methodologies = _methodologies(con)
        spec_text = methodologies.loc[methodologies["year"] == chosen, "spec"].iloc[0]
        names = scores.drop_duplicates("nid", keep="last").set_index("nid")["name"]
        hoods = hoods.assign(name=hoods["nid"].map(names))
        return Profile(nid=nid, year=chosen, mode=mode, city=_city(con),
                       row=history[history["year"] == chosen].iloc[0],
                       year_rows=scores[scores["year"] == chosen], history=history,
                       spec=orjson.loads(spec_text), hoods=hoods, sources=_sources(con),
                       ranked=_ranked_per_year(scores))


def _ranked_per_year(scores: pd.DataFrame) -> dict[int, int]:
    counts = scores.groupby("year")["risk_rank"].count()
    return {int(y): int(n) for y, n in counts.items()}


# -- drivers -----------------------------------------------------------------------------
def risk_drivers(profile: Profile) -> list[Driver]:
    """Each risk-index measure's contribution to the risk score, in points of 0–100.

    With arithmetic aggregation, no exponential transform and a bounded normalisation
    the contributions add up to the risk score: contribution = (domain weight / sum of
    risk-domain weights) × (measure weight / sum of the weights of the domain's measures
    that have a value) × normalised (oriented) value.
    """
    spec = profile.spec
    flags = set(_flag_list(profile.row.get("flags")))
    risk_domains = [d for d in spec.get("domains", []) if d.get("index") == "risk"]
    total = sum(float(d.get("weight", 1.0)) for d in risk_domains) or math.nan
    drivers: list[Driver] = []
    for domain in risk_domains:
        members = [m for m in spec.get("measures", []) if m.get("domain") == domain["id"]]
        present = [m for m in members if f"missing:{m['id']}" not in flags]
        weights = sum(float(m.get("weight", 1.0)) for m in present) or math.nan
        for measure in members:
            drivers.append(_driver(profile, domain, measure, float(domain.get("weight", 1.0)) / total,
                                   float(measure.get("weight", 1.0)) / weights, flags))
    return drivers


def _driver(profile: Profile, domain: dict[str, Any], measure: dict[str, Any], domain_share: float,
            measure_share: float, flags: set[str]) -> Driver:
    mid = measure["id"]
    normalised = _float(profile.row.get(measure_column(mid)))
    if f"missing:{mid}" in flags:
        status = "missing"
    elif math.isnan(normalised):
        status = "withheld"
    else:
        status = "ok"
    raw_values = profile.year_rows.get(raw_column(mid), pd.Series(dtype=float)).astype(float)
    return Driver(measure=mid, label=str(measure.get("label") or mid.replace("_", " ")),
                  domain=str(domain.get("label") or domain["id"]),
                  raw=_float(profile.row.get(raw_column(mid))),
                  median=float(raw_values.median()) if raw_values.notna().any() else math.nan,
                  normalised=normalised,
                  contribution=domain_share * measure_share * normalised if status == "ok" else math.nan,
                  status=status)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _flag_list(flags: Any) -> list[str]:
    if flags is None or (isinstance(flags, float) and math.isnan(flags)):
        return []
    return [str(f) for f in flags]


def drivers_are_exact(spec: dict[str, Any]) -> bool:
    """Whether the contributions add up to the risk score under this methodology."""
    return (spec.get("aggregation") == "arithmetic" and not spec.get("exponential", False)
            and spec.get("normalisation") in EXACT_NORMALISATIONS)


# -- SVG ---------------------------------------------------------------------------------
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
    x0, y0, kx, _, scale = proj
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
    for _, row in context.iterrows():
        shapes.append(f'<path class="ctx" d="{_path(row.geometry, proj)}"><title>{_e(row["name"])} '
                      f'({_e(row["nid"])})</title></path>')
    for _, row in neighbours.iterrows():
        shapes.append(f'<path class="nb" d="{_path(row.geometry, proj)}"><title>{_e(row["name"])} '
                      f'({_e(row["nid"])})</title></path>')
    row = target.iloc[0]
    shapes.append(f'<path class="me" d="{_path(row.geometry, proj)}"><title>{_e(row["name"])} '
                  f'({_e(row["nid"])})</title></path>')
    x0, y0, kx, _, scale = proj
    for _, nb in neighbours.iterrows():
        point = nb.geometry.representative_point()
        shapes.append(f'<text x="{(point.x - x0) * kx * scale:.1f}" y="{(y0 - point.y) * scale:.1f}">'
                      f'{_e(nb["nid"])}</text>')
    return (f'<svg class="map" viewBox="0 0 {MAP_WIDTH:.0f} {MAP_HEIGHT:.0f}" role="img" '
            f'aria-label="Map of {_e(row["name"])} and its neighbours" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(shapes)}</svg>')


def drivers_svg(drivers: list[Driver], min_count: int | None) -> str:
    """Horizontal bars: each risk measure's contribution to the risk score (points)."""
    row_h, label_w, bar_w = 22, 300, 280
    largest = max([d.contribution for d in drivers if d.status == "ok"] + [1e-9])
    height = row_h * len(drivers) + 10
    parts = []
    for i, driver in enumerate(drivers):
        y = 5 + i * row_h
        short = driver.label if len(driver.label) <= 46 else driver.label[:45] + "…"
        parts.append(f'<text class="lbl" x="{label_w - 6}" y="{y + 15}"><title>{_e(driver.label)}'
                     f'</title>{_e(short)}</text>')
        if driver.status == "ok":
            width = bar_w * driver.contribution / largest
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}"/>'
                         f'<text class="val" x="{label_w + width + 4:.1f}" y="{y + 15}">'
                         f'{_num(driver.contribution)}</text>')
        else:
            note = ("no data" if driver.status == "missing"
                    else f"withheld ({fewer_than(min_count)} events or too small a sample)"
                    if min_count else "withheld")
            parts.append(f'<text class="val na" x="{label_w + 4}" y="{y + 15}">{_e(note)}</text>')
    return (f'<svg class="bars" viewBox="0 0 640 {height}" role="img" aria-label="What drives '
            f'the risk score" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


def trend_svg(history: pd.DataFrame) -> str:
    """A small line chart of the risk and protective scores over the years."""
    years = history["year"].astype(int).tolist()
    if len(years) < 2:
        return ""
    width, height, pad = 640, 150, 34
    span = max(years) - min(years)

    def xy(year: int, score: float) -> tuple[float, float]:
        return (pad + (year - min(years)) / span * (width - 2 * pad),
                height - pad / 2 - score / 100 * (height - pad))
    parts = [f'<line class="axis" x1="{pad}" y1="{height - pad / 2}" x2="{width - pad}" '
             f'y2="{height - pad / 2}"/>']
    for column, css in (("risk_score", "risk"), ("protective_score", "prot")):
        points = [xy(y, float(s)) for y, s in zip(years, history[column], strict=True)
                  if not math.isnan(float(s))]
        if points:
            text = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline class="{css}" points="{text}"/>')
            parts += [f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points]
    parts += [f'<text x="{xy(y, 0)[0]:.1f}" y="{height - 2}">{y}</text>' for y in years]
    return (f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" aria-label="Scores over '
            f'the years" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


# -- HTML --------------------------------------------------------------------------------
CSS = """
@page { size: A4; margin: 14mm 13mm 16mm 13mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #1a1a1a;
       margin: 0 auto; max-width: 190mm; line-height: 1.35;
       -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 17pt; margin: 0 0 2pt; } h2 { font-size: 12pt; margin: 12pt 0 4pt;
     border-bottom: 1px solid #999; padding-bottom: 2pt; break-after: avoid; }
.sub { color: #444; margin: 0 0 6pt; }
.notice { border: 2px solid #b35806; background: #fff3e0; padding: 5pt 8pt; margin: 6pt 0;
          font-weight: bold; }
.mode { border: 1px solid #666; padding: 3pt 8pt; margin: 6pt 0; }
table { border-collapse: collapse; width: 100%; margin: 2pt 0 6pt; break-inside: auto; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th, td { border-bottom: 1px solid #ddd; padding: 2pt 4pt; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 4pt 0; break-inside: avoid; } figcaption { font-size: 8.5pt; color: #444; }
svg { width: 100%; height: auto; display: block; }
svg.map path { stroke: #fff; stroke-width: 1; fill-rule: evenodd; }
svg.map .ctx { fill: #e6e6e6; } svg.map .nb { fill: #fdb863; } svg.map .me { fill: #b35806; stroke: #000; stroke-width: 1.5; }
svg.map text { font-size: 11px; text-anchor: middle; fill: #222; }
svg.bars rect { fill: #b35806; } svg.bars text { font-size: 11px; } svg.bars .lbl { text-anchor: end; }
svg.bars .na { fill: #666; font-style: italic; }
svg.trend polyline { fill: none; stroke-width: 2; } svg.trend .risk { stroke: #b35806; fill: #b35806; }
svg.trend polyline.risk { fill: none; } svg.trend .prot { stroke: #542788; fill: #542788; }
svg.trend polyline.prot { fill: none; } svg.trend .axis { stroke: #999; } svg.trend text { font-size: 11px; text-anchor: middle; }
.key span { display: inline-block; width: 10pt; height: 8pt; margin: 0 3pt 0 8pt; }
ul { margin: 2pt 0 6pt 14pt; padding: 0; } li { margin: 1pt 0; }
footer { margin-top: 10pt; font-size: 8pt; color: #555; border-top: 1px solid #999; padding-top: 3pt; }
.two { display: flex; gap: 8mm; } .two > * { flex: 1; }
"""


def render_profile_html(store: Store, nid: str, *, year: int | None = None,
                        mode: str = PUBLIC) -> str:
    """The printable profile of neighbourhood ``nid`` as one self-contained HTML page.

    Parameters
    ----------
    store : the city's store.
    nid : the neighbourhood's code.
    year : a scored year; default the latest one with a score for ``nid``.
    mode : ``"public"`` (default: withheld values stay withheld) or ``"analyst"``.

    Raises
    ------
    InputError
        Unknown ``nid`` (or mode).
    StoreError
        No scores (for ``year``).
    """
    profile = load_profile(store, nid, year=year, mode=mode)
    row = profile.row
    title = f"{row['name']} ({nid}) — neighbourhood profile {profile.year}"
    body = [
        _header(profile),
        _scores_section(profile),
        _drivers_section(profile),
        _trend_section(profile),
        _caveats_section(profile),
        _sources_section(profile),
        _footer(profile),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            + "".join(body) + "</body></html>\n")


def _header(profile: Profile) -> str:
    row, city = profile.row, profile.city
    district = row.get("district") if "district" in row else None
    if district is None or (isinstance(district, float) and math.isnan(district)):
        match = profile.hoods.loc[profile.hoods["nid"] == profile.nid, "district"]
        district = match.iloc[0] if len(match) else None
    parts = [f"<h1>{_e(row['name'])}</h1>",
             f'<p class="sub">{_e(profile.nid)}'
             + (f" · {_e(district)}" if _e(district) else "")
             + f" · {_e(city.get('name', ''))} · {profile.year}</p>"]
    if is_fictional(city):
        description = city.get("description") or ("Synthetic data generated for demonstration: "
                                                  "every neighbourhood, figure and name is "
                                                  "invented and describes no real place or person.")
        parts.append(f'<p class="notice">Fictional city. {_e(description)}</p>')
    if profile.mode == ANALYST:
        parts.append('<p class="mode">Analyst view: contains values built on few events. '
                     'Sensitive — do not publish.</p>')
    parts.append(f"<figure>{map_svg(profile.hoods, profile.nid)}<figcaption>{_e(row['name'])} "
                 "(dark) and its neighbours (labelled by code); polygons from the store, "
                 "WGS 84.</figcaption></figure>")
    return "".join(parts)


def _rank_text(rank: Any, p05: Any, p95: Any, n: int) -> str:
    if math.isnan(_float(rank)):
        return "not ranked"
    return (f"{_int(rank)} of {n} (likely between {_int(p05)} and {_int(p95)})"
            if not math.isnan(_float(p05)) else f"{_int(rank)} of {n}")


def _scores_section(profile: Profile) -> str:
    row, rows = profile.row, profile.year_rows
    n_risk = profile.ranked.get(profile.year, 0)
    n_prot = int(rows["protective_rank"].notna().sum())
    lines = [
        ("Risk score", f"{_num(row['risk_score'])} / 100",
         _rank_text(row["risk_rank"], row["risk_rank_p05"], row["risk_rank_p95"], n_risk),
         _int(row["risk_decile"])),
        ("Protective score", f"{_num(row['protective_score'])} / 100",
         _rank_text(row["protective_rank"], math.nan, math.nan, n_prot), _int(row["protective_decile"])),
    ]
    table = ["<h2>Scores</h2><table><thead><tr><th>Index</th><th class=n>Score</th>"
             "<th>Rank (5–95% interval over weight uncertainty)</th><th class=n>Decile</th>"
             "</tr></thead><tbody>"]
    table += [f"<tr><td>{a}</td><td class=n>{b}</td><td>{c}</td><td class=n>{d}</td></tr>"
              for a, b, c, d in lines]
    table.append("</tbody></table>")
    table.append(f"<p>Typology: <b>{_e(row['typology']) or '–'}</b> · hot spot (Local Moran's I): "
                 f"<b>{_e(row['hotspot']) or '–'}</b>. Rank 1 = highest risk / most protection; "
                 "decile 1 = the 10% most at risk / most protected.</p>")
    domains = [d for d in profile.spec.get("domains", [])]
    if domains:
        table.append("<table><thead><tr><th>Domain</th><th>Feeds</th><th class=n>Score</th>"
                     "<th class=n>City median</th></tr></thead><tbody>")
        for d in domains:
            col = domain_column(d["id"])
            median = rows[col].median() if col in rows else math.nan
            table.append(f"<tr><td>{_e(d.get('label') or d['id'])}</td><td>{_e(d.get('index'))}</td>"
                         f"<td class=n>{_num(row.get(col))}</td><td class=n>{_num(median)}</td></tr>")
        table.append("</tbody></table>")
    table.append(_neighbours_table(profile))
    return "".join(table)


def _neighbours_table(profile: Profile) -> str:
    neighbours = neighbours_of(profile.hoods, profile.nid)
    if neighbours.empty:
        return "<p>No neighbouring neighbourhoods.</p>"
    rows = profile.year_rows.set_index("nid")
    n = int(profile.year_rows["risk_rank"].notna().sum())
    out = ["<table><thead><tr><th>Neighbour</th><th class=n>Risk score</th><th>Risk rank</th>"
           "</tr></thead><tbody>"]
    for _, nb in neighbours.sort_values("nid").iterrows():
        score = rows["risk_score"].get(nb["nid"], math.nan)
        rank = rows["risk_rank"].get(nb["nid"], math.nan)
        out.append(f"<tr><td>{_e(nb['name'])} ({_e(nb['nid'])})</td><td class=n>{_num(score)}</td>"
                   f"<td>{_rank_text(rank, math.nan, math.nan, n)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _drivers_section(profile: Profile) -> str:
    drivers = risk_drivers(profile)
    min_count = profile.spec.get("min_count")
    exact = drivers_are_exact(profile.spec)
    shown = sum(d.contribution for d in drivers if d.status == "ok")
    note = ("The bars add up to the risk score" if exact else
            "With this methodology (geometric mean, exponential transform or z-scores) the bars "
            "are each measure's weighted share and do not add up to the score exactly")
    if any(d.status == "withheld" for d in drivers):
        note += "; withheld measures still count in the score but their values are not shown"
    parts = ["<h2>What drives the risk score</h2>",
             f"<figure>{drivers_svg(drivers, min_count)}<figcaption>Points each risk measure adds to "
             f"the risk score of {_num(profile.row['risk_score'])} (shown: {_num(shown)}). "
             f"{_e(note)}.</figcaption></figure>",
             "<table><thead><tr><th>Measure</th><th>Domain</th><th class=n>Value</th>"
             "<th class=n>City median</th><th class=n>× median</th><th class=n>Normalised</th>"
             "</tr></thead><tbody>"]
    for d in drivers:
        ratio = d.raw / d.median if d.median and not math.isnan(d.median) else math.nan
        value = _num(d.raw, 2) if d.status == "ok" else ("no data" if d.status == "missing" else
                                                          "withheld")
        parts.append(f"<tr><td>{_e(d.label)}</td><td>{_e(d.domain)}</td><td class=n>{_e(value)}</td>"
                     f"<td class=n>{_num(d.median, 2)}</td><td class=n>{_num(ratio, 1)}</td>"
                     f"<td class=n>{_num(d.normalised)}</td></tr>")
    parts.append("</tbody></table>")
    if profile.mode == PUBLIC:
        parts.append("<p class=sub>City medians are of the published values.</p>")
    return "".join(parts)


def _trend_section(profile: Profile) -> str:
    history = profile.history
    parts = ["<h2>Trend over the years</h2>", trend_svg(history)]
    if len(history) >= 2:
        parts.append('<p class="key"><span style="background:#b35806"></span>risk'
                     '<span style="background:#542788"></span>protective</p>')
    parts.append("<table><thead><tr><th>Year</th><th class=n>Risk</th><th>Risk rank</th>"
                 "<th class=n>Protective</th><th>Typology</th><th>Methodology</th></tr></thead><tbody>")
    for _, h in history.iterrows():
        ranked = profile.ranked.get(int(h["year"]), 0)
        parts.append(f"<tr><td>{int(h['year'])}</td><td class=n>{_num(h['risk_score'])}</td>"
                     f"<td>{_rank_text(h['risk_rank'], h['risk_rank_p05'], h['risk_rank_p95'], ranked)}"
                     f"</td><td class=n>{_num(h['protective_score'])}</td><td>{_e(h['typology'])}</td>"
                     f"<td>{_e(h['methodology_version'])}</td></tr>")
    parts.append("</tbody></table>")
    if history["methodology_sha256"].nunique() > 1:
        parts.append("<p><b>Not comparable:</b> these years were scored with different "
                     "methodologies; a change in score can come from the method, not the place.</p>")
    return "".join(parts)


def _flag_sentence(flag: str, labels: dict[str, str], spec: dict[str, Any], mode: str) -> str:
    kind, _, subject = flag.partition(":")
    label = labels.get(subject, subject.replace("_", " "))
    min_count, min_sample = spec.get("min_count"), spec.get("min_sample")
    public = mode == PUBLIC
    sentences = {
        "missing": f"No data for {label} this year; its domain uses the other measures.",
        "missing_domain": f"No data for any measure of {label}: the index it feeds is not computed.",
        "suppressed": (f"{label}: {fewer_than(min_count)} events — withheld to protect the "
                       "people involved (it still counts in the score)." if public else
                       f"{label}: built on fewer than {min_count} events; withheld in public outputs."),
        "unreliable": (f"{label}: survey sample under {min_sample} — too small to publish." if public
                       else f"{label}: survey sample under {min_sample}; unreliable, withheld in public."),
        "extreme": f"{label} is in the top 10% of the city this year.",
    }
    return sentences.get(kind, flag)


def _caveats_section(profile: Profile) -> str:
    spec = profile.spec
    labels = {m["id"]: str(m.get("label") or m["id"].replace("_", " ")) for m in spec.get("measures", [])}
    labels |= {d["id"]: str(d.get("label") or d["id"]) for d in spec.get("domains", [])}
    flags = _flag_list(profile.row.get("flags"))
    items = [_flag_sentence(f, labels, spec, profile.mode) for f in flags]
    items.append("The rank interval is the 5th–95th percentile of the rank over random "
                 "changes of the weights: a wide interval means the rank depends on the weighting.")
    items.append(f"Scores are relative to the other neighbourhoods of {profile.year} "
                 f"(normalisation: {spec.get('normalisation', '?')}), not absolute levels.")
    return ("<h2>Caveats</h2><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>")


def _sources_section(profile: Profile) -> str:
    sources = profile.sources
    if sources.empty:
        return "<h2>Sources</h2><p>No source catalogue in the store.</p>"
    out = ["<h2>Sources</h2><table><thead><tr><th>Source</th><th>Owner</th><th>Licence</th>"
           "<th>Collected</th><th>Known biases</th></tr></thead><tbody>"]
    for _, src in sources.iterrows():
        out.append(f"<tr><td>{_e(src.get('name'))}</td><td>{_e(src.get('owner'))}</td>"
                   f"<td>{_e(src.get('licence'))}</td><td>{_e(src.get('collected'))}</td>"
                   f"<td>{_e(src.get('known_biases'))}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _footer(profile: Profile) -> str:
    row = profile.row
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<footer>Methodology {_e(row['methodology_version'])} (sha256 "
            f"{_e(str(row['methodology_sha256'])[:12])}…) · {_e(profile.mode)} view · generated "
            f"{when} by citygeo {_e(__version__)}</footer>")


# -- files -------------------------------------------------------------------------------
def write_text_atomic(out: Path | str, text: str, *, force: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``out`` through a temporary file; refuses to replace an
    existing file unless ``force``."""
    out = Path(out)
    with atomic_path(out, force=force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


def print_to_pdf(page_html: str, out: Path | str, *, force: bool = False,
                 chromium: str = CHROMIUM) -> Path:
    """Print a page to PDF (A4) with Chromium's print engine, offline.

    Raises
    ------
    CitygeoError
        Chromium or Playwright is missing (the message says how to install them).
    """
    if not Path(chromium).exists():
        raise CitygeoError(f"PDF output needs Chromium at {chromium} (Debian: `apt-get install "
                           "chromium`); or open the HTML file and print it from a browser.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise CitygeoError("PDF output needs the playwright package (`pip install playwright`; "
                           "do not run `playwright install`, citygeo uses the system Chromium).") from err
    out = Path(out)
    with atomic_path(out, force=force) as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.abort())  # the page is self-contained
            page.set_content(page_html, wait_until="load")
            page.pdf(path=str(tmp), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    log.info("printed %s", out)
    return out


__all__ = ["Driver", "Profile", "drivers_are_exact", "load_profile", "map_svg", "neighbours_of",
           "print_to_pdf", "render_profile_html", "risk_drivers", "trend_svg", "write_text_atomic"]
