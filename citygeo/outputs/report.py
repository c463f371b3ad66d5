"""Printable neighbourhood profile: one self-contained HTML page (DESIGN.md §7, page 2).

The page renders the same :class:`~citygeo.service.profile.Profile` the dashboard's profile
page shows — the headline sentence, scores with their rank interval, what drives them, each
measure against the city median, the trend, survey results with intervals and n, the last
consultation and the groups not heard, the mechanisms and partners, the data-quality notes and
the sources — with inline CSS and inline SVG only (no script, font, image or style sheet is
fetched), laid out for A4. Every text that comes from a user is HTML-escaped. Privacy is the
profile's: public mode shows withheld values as "fewer than N events", never the number.

:func:`print_to_pdf` prints the page with Chromium's own print engine (Playwright driving
Debian's ``/usr/bin/chromium``; nothing is downloaded).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import shapely

from citygeo import __version__
from citygeo.errors import CitygeoError
from citygeo.outputs.formats import atomic_path
from citygeo.outputs.svg import drivers_svg, escape_text, map_svg, neighbours_of, trend_svg
from citygeo.service.city import CityData, load, scores
from citygeo.service.profile import Profile, profile
from citygeo.settings import Mode
from citygeo.store import Store, reads
from citygeo.words import (
    HOTSPOT_WORDS,
    TYPOLOGY_WORDS,
    fewer_than,
    not_scored,
    rank_text,
    scored_indices,
    shown_value,
    survey_value,
)

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")

_e = escape_text


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    """An HTML table; ``rows`` hold HTML already escaped; columns in ``numeric`` align right."""
    def cell(tag: str, i: int, text: str) -> str:
        return f"<{tag} class=n>{text}</{tag}>" if i in numeric else f"<{tag}>{text}</{tag}>"
    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def shapes_of(store: Store) -> gpd.GeoDataFrame:
    """The neighbourhoods' polygons (for the printout's map)."""
    with store.reader() as con:
        frame = reads.neighbourhoods(con, geometry=True)
    geoms = shapely.from_wkb(frame.pop("geom_wkb").to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def render_profile_html(store: Store, nid: str, *, year: int | None = None,
                        mode: Mode | str = Mode.PUBLIC) -> str:
    """The printable profile of neighbourhood ``nid`` read from ``store`` (``citygeo report``).

    Raises
    ------
    InputError
        Unknown ``nid`` or mode.
    StoreError
        No scores for this neighbourhood (or not for ``year``).
    """
    city = load(store, mode=mode)
    prof = profile(city, nid, year, require_scores=True)
    return render_profile(prof, city, shapes_of(store))


def render_profile(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    """The profile ``prof`` of ``city`` as one self-contained HTML page for A4."""
    title = f"{prof.name} ({prof.nid}) — neighbourhood profile {prof.year}"
    body = [_header(prof, city, shapes), f'<p class="headline">{_e(prof.headline)}</p>',
            _scores_section(prof, city, shapes), _drivers_section(prof, city),
            _medians_section(prof), _trend_section(prof), _survey_section(prof),
            _community_section(prof), _caveats_section(prof), _sources_section(city),
            _footer(prof, city)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
            + "".join(body) + "</main></body></html>\n")


def _header(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    settings = city.settings
    parts = [f"<h1>{_e(prof.name)}</h1>",
             f'<p class="sub">{_e(prof.nid)}' + (f" · {_e(prof.district)}" if _e(prof.district) else "")
             + f" · {_e(settings.name)} · {prof.year}</p>"]
    if settings.fictional:
        description = settings.description or ("Synthetic data generated for demonstration: "
                                               "every neighbourhood, figure and name is "
                                               "invented and describes no real place or person.")
        parts.append(f'<p class="notice">Fictional city. {_e(description)}</p>')
    if not city.public:
        parts.append('<p class="mode">Analyst view: contains values built on few events. '
                     'Sensitive — do not publish.</p>')
    named = shapes.assign(name=shapes["nid"].map(dict(zip(city.neighbourhoods["nid"],
                                                          city.neighbourhoods["name"], strict=True))))
    parts.append(f"<figure>{map_svg(named, prof.nid)}<figcaption>{_e(prof.name)} "
                 "(dark) and its neighbours (labelled by code); polygons from the store, "
                 "WGS 84.</figcaption></figure>")
    return "".join(parts)


def _scores_section(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    row = prof.row or {}
    indices = scored_indices(prof.methodology)
    lines = [["Risk score", f"{shown_value(row.get('risk_score'))} / 100" if "risk" in indices
              else _e(not_scored("risk")),
              _e(rank_text(row.get("risk_rank"), prof.scored, row.get("risk_rank_p05"),  # type: ignore[arg-type]
                           row.get("risk_rank_p95"))), shown_value(row.get("risk_decile"), digits=0)],
             ["Protective score", f"{shown_value(row.get('protective_score'))} / 100"
              if "protective" in indices else _e(not_scored("protective")),
              _e(rank_text(row.get("protective_rank"), prof.scored)),  # type: ignore[arg-type]
              shown_value(row.get("protective_decile"), digits=0)]]
    parts = ["<h2>Scores</h2>",
             _table(["Index", "Score", "Rank (5–95% interval over weight uncertainty)", "Decile"],
                    lines, {1, 3})]
    typology = TYPOLOGY_WORDS.get(str(row.get("typology")),
                                  "not scored: it needs both indices" if len(indices) < 2 else "–")
    hotspot = HOTSPOT_WORDS.get(str(row.get("hotspot")), "not in a cluster")
    parts.append(f"<p>Typology: <b>{_e(typology)}</b> · hot spot (Local Moran's I): "
                 f"<b>{_e(hotspot)}</b>. Rank 1 = highest risk / most protection; "
                 "decile 1 = the 10% most at risk / most protected.</p>")
    if not prof.domains.empty:
        parts.append(_table(["Domain", "Feeds", "Score", "City median"],
                            [[_e(d.label), _e(d.index), shown_value(d.score), shown_value(d.median)]
                             for d in prof.domains.itertuples()], {2, 3}))
    parts.append(_neighbours_table(prof, city, shapes))
    return "".join(parts)


def _neighbours_table(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    neighbours = neighbours_of(shapes, prof.nid)
    if neighbours.empty:
        return "<p>No neighbouring neighbourhoods.</p>"
    year_rows = scores(city, prof.year).set_index("nid")
    names = dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
    rows = []
    for nid in sorted(neighbours["nid"]):
        score = year_rows["risk_score"].get(nid) if "risk_score" in year_rows else None
        rank = year_rows["risk_rank"].get(nid) if "risk_rank" in year_rows else None
        rows.append([f"{_e(names.get(nid))} ({_e(nid)})", shown_value(score),
                     _e(rank_text(rank, prof.scored))])  # type: ignore[arg-type]
    return _table(["Neighbour", "Risk score", "Risk rank"], rows, {1})


def _withheld_words(prof: Profile) -> str:
    methodology = prof.methodology
    return (f"withheld ({fewer_than(methodology.min_count)} events or too small a sample)"
            if methodology else "withheld")


def _drivers_section(prof: Profile, city: CityData) -> str:
    drivers = prof.drivers
    if drivers.empty:
        return "<h2>What drives the risk score</h2><p>No measure values this year.</p>"
    row = prof.row or {}
    shown = float(drivers["contribution"].sum(skipna=True))
    note = ("The bars add up to the risk score" if prof.drivers_add_up else
            "With this methodology (geometric mean, exponential transform or z-scores) the bars "
            "are each measure's weighted share and do not add up to the score exactly")
    if drivers["contribution"].isna().any():
        note += "; withheld measures still count in the score but their values are not shown"
    return ("<h2>What drives the risk score</h2>"
            f"<figure>{drivers_svg(drivers, _withheld_words(prof))}<figcaption>Points each risk "
            f"measure adds to the risk score of {shown_value(row.get('risk_score'))} (shown: "
            f"{shown_value(shown)}). {_e(note)}.</figcaption></figure>"
            + _table(["Measure", "Domain", "Share of the index", "Value (0–100)", "Points of risk"],
                     [[_e(d.label), _e(d.domain), f"{d.share * 100:.1f}%",
                       shown_value(d.normalised, "withheld", digits=0),
                       shown_value(d.contribution, "withheld", digits=2)]
                      for d in drivers.itertuples()], {2, 3, 4}))


def _medians_section(prof: Profile) -> str:
    frame = prof.versus_median
    if frame.empty:
        return ""
    rows = [[_e(r.label), _e(shown_value(r.value, r.note or None, digits=2)),
             shown_value(r.median, digits=2), _e(r.comparison), _e(r.reads_as)]
            for r in frame.itertuples()]
    note = "<p class=sub>City medians are of the published values.</p>" if prof.public else ""
    return ("<h2>Each measure against the city median</h2>"
            + _table(["Measure", "Value", "City median", "Compared with the city", "Reads as"],
                     rows, {1, 2}) + note)


def _trend_section(prof: Profile) -> str:
    history = prof.history
    parts = ["<h2>Trend over the years</h2>", trend_svg(history) if len(history) else ""]
    if len(history) >= 2:
        parts.append('<p class="key"><span style="background:#b35806"></span>risk'
                     '<span style="background:#542788"></span>protective</p>')
    rows = [[str(int(h.year)), shown_value(h.risk_score),
             _e(rank_text(h.risk_rank, prof.ranked.get(int(h.year), 0), h.risk_rank_p05, h.risk_rank_p95)),
             shown_value(h.protective_score), _e(TYPOLOGY_WORDS.get(str(h.typology), "–")),
             _e(h.methodology_version)] for h in history.itertuples()]
    parts.append(_table(["Year", "Risk", "Risk rank", "Protective", "Typology", "Methodology"],
                        rows, {1, 3}))
    for r in prof.trend[~prof.trend["comparable"].astype(bool) & prof.trend["from_year"].notna()].itertuples():
        parts.append(f"<p><b>{int(r.from_year)} → {int(r.to_year)}: not comparable</b>, because "
                     f"{_e(r.reason)}.</p>")
    return "".join(parts)


def _survey_section(prof: Profile) -> str:
    parts = ["<h2>Survey results</h2>"]
    if prof.survey.empty and not prof.survey_hidden:
        return parts[0] + "<p>No survey responses for this neighbourhood this year.</p>"
    rows = [[_e(r.label), _e("everyone" if r.grp_var == "all" else f"{r.grp} ({r.grp_var})"),
             _e(survey_value(r.estimate, r.unit)),
             _e(f"{survey_value(r.ci_low, r.unit)} – {survey_value(r.ci_high, r.unit)}"), str(int(r.n))]
            for r in prof.survey.itertuples()]
    parts.append(_table(["Question", "Group", "Result", "95% interval", "n"], rows, {2, 4}))
    if prof.survey_hidden:
        min_sample = prof.methodology.min_sample if prof.methodology else 30
        parts.append(f"<p class=sub>{prof.survey_hidden} estimate(s) withheld: their effective "
                     f"sample is under {min_sample:g}, too small to be reliable.</p>")
    return "".join(parts)


def _community_section(prof: Profile) -> str:
    parts = ["<h2>Consultation</h2>", f"<p>{_e(prof.consultation_text)}</p>"]
    if prof.groups_not_heard:
        parts.append(f"<p>Groups not heard in the last 12 months: {_e(prof.groups_not_heard)}.</p>")
    parts.append("<h2>Mechanisms and partners serving it</h2>")
    if prof.mechanisms.empty:
        parts.append("<p>No mechanisms or facilities registered here.</p>")
    else:
        parts.append(_table(["Mechanism", "Kind", "Themes"],
                            [[_e(m.name), _e(str(m.kind).replace("_", " ")), _e(", ".join(m.themes))]
                             for m in prof.mechanisms.itertuples()]))
    if prof.partners.empty:
        parts.append("<p>No partners registered as serving it.</p>")
    else:
        parts.append(_table(["Partner", "Sector", "Themes"],
                            [[_e(p.name), _e(p.sector), _e(", ".join(p.themes))]
                             for p in prof.partners.itertuples()]))
    return "".join(parts)


def _caveats_section(prof: Profile) -> str:
    items = list(prof.notes)
    items.append("The rank interval is the 5th–95th percentile of the rank over random "
                 "changes of the weights: a wide interval means the rank depends on the weighting.")
    if prof.methodology is not None:
        items.append(f"Scores are relative to the other neighbourhoods of {prof.year} "
                     f"(normalisation: {prof.methodology.normalisation}), not absolute levels.")
    return "<h2>Data-quality notes and caveats</h2><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _sources_section(city: CityData) -> str:
    sources = city.table("sources")
    if sources.empty:
        return "<h2>Sources</h2><p>No source catalogue in the store.</p>"
    rows = [[_e(s.get("name")), _e(s.get("owner")), _e(s.get("licence")), _e(s.get("collected")),
             _e(s.get("known_biases"))] for s in sources.to_dict("records")]
    return "<h2>Sources</h2>" + _table(["Source", "Owner", "Licence", "Collected", "Known biases"], rows)


def _footer(prof: Profile, city: CityData) -> str:
    row = prof.row or {}
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<footer>Methodology {_e(row.get('methodology_version'))} (sha256 "
            f"{_e(str(row.get('methodology_sha256'))[:12])}…) · {_e(city.mode.value)} view · "
            f"generated {when} by citygeo {_e(__version__)}</footer>")


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


__all__ = ["print_to_pdf", "render_profile", "render_profile_html", "shapes_of", "write_text_atomic"]
