"""The dashboard and the printout in French and Arabic, in headless Chromium (issue 15).

`/profile?nid=N017&lang=ar` is laid out right to left with no English interface words left;
French likewise; the language survives a click from the map to a profile; the Arabic printout
prints right to left through Chromium's print to PDF. Screenshots go to the test's tmp_path.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from citygeo.outputs.report import render_profile_html
from citygeo.store import Store
from tests.browser.helpers import frozen_click, full_screenshot, painted_colours, wait_text
from tests.fixtures.languages import data_words, english_left

pytestmark = pytest.mark.browser

FICTIONAL = {"ar": "مدينة افتراضية", "fr": "ville fictive", "en": "fictional city"}
# Latin words that may stay in an Arabic page: the program, statistics' symbols, units, file
# formats and the print shortcut (Ctrl+P).
KEPT = {"citygeo", "n", "I", "p", "sha256", "WGS", "UTC", "km", "A4", "HTML", "Ctrl", "P"}


def _open(page: object, url: str, lang: str) -> str:
    page.goto(url)  # type: ignore[attr-defined]
    return wait_text(page, FICTIONAL[lang], timeout=120)


def _direction(page: object) -> list[str]:
    return page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_the_profile_speaks_the_language(
    page: object, dashboard: object, demo_store: Path, tmp_path: Path, lang: str
) -> None:
    _open(page, f"{dashboard.url}/profile?nid=N017&lang={lang}", lang)  # type: ignore[attr-defined]
    wait_text(page, {"ar": "ما الذي يحدّد درجة المخاطر", "fr": "Ce qui détermine"}[lang])
    time.sleep(2)
    assert _direction(page) == [lang, "rtl" if lang == "ar" else "ltr"]
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()  # type: ignore[attr-defined]
    main = page.locator('[data-testid="stMain"]').bounding_box()  # type: ignore[attr-defined]
    assert (sidebar["x"] > main["x"]) == (lang == "ar")  # Arabic: the sidebar is on the right
    full_screenshot(page, str(tmp_path / f"profile-N017-{lang}.png"))
    text = page.inner_text('[data-testid="stMain"]') + page.inner_text('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    left = english_left(text, lang, data_words(Store(demo_store)), KEPT)
    assert left == set(), f"English interface words left in {lang}: {sorted(left)}"


def test_the_language_survives_a_click_from_the_map(
    page: object, dashboard: object, tmp_path: Path
) -> None:
    _open(page, f"{dashboard.url}/?lang=fr", "fr")  # type: ignore[attr-defined]
    _pixels, colours = painted_colours(page, min_colours=3)  # wait for what is asserted
    assert colours >= 3
    box = page.locator('[data-testid="stDeckGlJsonChart"]').first.bounding_box()  # type: ignore[attr-defined]
    for _attempt in range(3):
        frozen_click(page, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        deadline = time.monotonic() + 20
        while "/profile" not in page.url and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.3)
        if "/profile" in page.url:  # type: ignore[attr-defined]
            break
    assert "/profile?" in page.url and "nid=N" in page.url, page.url  # type: ignore[attr-defined]
    wait_text(page, "Ce qui détermine le score de risque")
    deadline = time.monotonic() + 10
    while "lang=fr" not in page.url and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.3)
    assert "lang=fr" in page.url  # type: ignore[attr-defined]
    assert _direction(page) == ["fr", "ltr"]
    full_screenshot(page, str(tmp_path / "profile-from-click-fr.png"))


def _ink_columns(png: Path, top: float, bottom: float) -> tuple[int, int, int]:
    """The leftmost and rightmost dark column in a band of the page, and the page width."""
    pixels = np.asarray(Image.open(png).convert("L"))
    band = pixels[int(top * pixels.shape[0]) : int(bottom * pixels.shape[0])]
    dark = np.where((band < 100).any(axis=0))[0]
    return int(dark.min()), int(dark.max()), pixels.shape[1]


def _print(browser: object, page_html: str, out: Path) -> Path:
    """Chromium's print to PDF, as ``print_to_pdf`` does (A4 from the page's CSS, backgrounds),
    in this session's browser (a second Playwright cannot start inside the first)."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.route("**/*", lambda route: route.abort())  # the page is self-contained
    page.set_content(page_html, wait_until="load")
    page.pdf(path=str(out), prefer_css_page_size=True, print_background=True)
    page.close()
    return out


def test_the_arabic_printout_prints_right_to_left(
    browser: object, demo_store: Path, tmp_path: Path, pdf_tools: None
) -> None:
    """Chromium's print to PDF: the Arabic title and headings sit at the right margin (the
    English ones at the left), and the text layer holds the Arabic words."""
    edges = {}
    for lang in ("ar", "en"):
        pdf = _print(
            browser,
            render_profile_html(Store(demo_store), "N017", lang=lang),
            tmp_path / f"N017-{lang}.pdf",
        )
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "2",
                str(pdf),
                str(tmp_path / f"N017-{lang}"),
            ],
            check=True,
        )
        edges[lang] = _ink_columns(tmp_path / f"N017-{lang}-1.png", 0.03, 0.075)  # the h1 band
        if lang == "ar":
            text = subprocess.run(
                ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
            ).stdout
            text = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)  # bidi marks
            assert {"الدرجات", "المنهجية", "المخاطر"} <= set(text.split())
    (ar_left, ar_right, width), (en_left, en_right, _w) = edges["ar"], edges["en"]
    assert width - ar_right < ar_left  # the Arabic title hugs the right margin
    assert en_left < width - en_right  # the English one the left
    assert abs((width - ar_right) - en_left) < 0.03 * width  # mirrored margins
