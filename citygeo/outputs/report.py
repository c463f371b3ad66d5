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
from pathlib import Path

import geopandas as gpd
import shapely

from citygeo.errors import CitygeoError
from citygeo.i18n import (
    _,
    direction,
    isolate,
    language,
    using,
)
from citygeo.outputs.formats import atomic_path
from citygeo.outputs.report_sections import (
    caveats_section,
    community_section,
    drivers_section,
    footer,
    header,
    medians_section,
    scores_section,
    sources_section,
    stands_out_section,
    survey_section,
    trend_section,
)
from citygeo.outputs.svg import escape_text
from citygeo.service.city import CityData, load
from citygeo.service.profile import Profile, profile
from citygeo.settings import Mode
from citygeo.store import Store, reads

log = logging.getLogger(__name__)
CSS = (Path(__file__).with_name("report.css")).read_text(encoding="utf-8")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)

_e = escape_text


def shapes_of(store: Store) -> gpd.GeoDataFrame:
    """The neighbourhoods' polygons (for the printout's map)."""
    with store.reader() as con:
        frame = reads.neighbourhoods(con, geometry=True)
    geoms = shapely.from_wkb(frame.pop("geom_wkb").to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def render_profile_html(
    store: Store,
    nid: str,
    *,
    year: int | None = None,
    mode: Mode | str = Mode.PUBLIC,
    lang: str | None = None,
) -> str:
    """The printable profile of neighbourhood ``nid`` read from ``store`` (``citygeo report``),
    in ``lang`` (default: the city's ``[city] language``).

    Raises
    ------
    InputError
        Unknown ``nid`` or mode.
    StoreError
        No scores for this neighbourhood (or not for ``year``).
    """
    city = load(store, mode=mode)
    with using(lang or city.settings.language):
        prof = profile(city, nid, year, require_scores=True)
        return render_profile(prof, city, shapes_of(store))


def render_profile(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    """The profile ``prof`` of ``city`` as one self-contained HTML page for A4, in the current
    language (``<html lang dir>``: Arabic is laid out right to left)."""
    title = _("{name} ({code}) — neighbourhood profile {year}").format(
        name=isolate(prof.name), code=prof.nid, year=prof.year
    )
    body = [
        header(prof, city, shapes),
        f'<p class="headline">{_e(prof.headline)}</p>',
        scores_section(prof, city, shapes),
        drivers_section(prof, city),
        medians_section(prof),
        trend_section(prof),
        survey_section(prof),
        community_section(prof),
        stands_out_section(prof),
        caveats_section(prof),
        sources_section(city),
        footer(prof, city),
    ]
    return (
        f'<!DOCTYPE html>\n<html lang="{language()}" dir="{direction()}"><head>'
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        + "".join(body)
        + "</main></body></html>\n"
    )


# -- files -------------------------------------------------------------------------------
def write_text_atomic(out: Path | str, text: str, *, force: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``out`` through a temporary file; refuses to replace an
    existing file unless ``force``."""
    out = Path(out)
    with atomic_path(out, force=force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


def print_to_pdf(
    page_html: str, out: Path | str, *, force: bool = False, chromium: str = CHROMIUM
) -> Path:
    """Print a page to PDF (A4) with Chromium's print engine, offline.

    Raises
    ------
    CitygeoError
        Chromium or Playwright is missing (the message says how to install them).
    """
    if not Path(chromium).exists():
        raise CitygeoError(
            f"PDF output needs Chromium at {chromium} (Debian: `apt-get install "
            "chromium`); or open the HTML file and print it from a browser."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise CitygeoError(
            "PDF output needs the playwright package (`pip install playwright`; "
            "do not run `playwright install`, citygeo uses the system Chromium)."
        ) from err
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


__all__ = [
    "print_to_pdf",
    "render_profile",
    "render_profile_html",
    "shapes_of",
    "write_text_atomic",
]
