"""The printable profile in French and Arabic (issue 15): document language and direction,
translated interface words, the city's data as written, headings a screen reader follows."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from citygeo.outputs.report import render_profile_html
from citygeo.service.city import load
from citygeo.store import Store
from tests.fixtures import town as town_fixture
from tests.fixtures.city import run_cli
from tests.fixtures.languages import data_words, english_left
from tests.fixtures.town import build_city

# Latin words a translated printout may keep: the program's name, a checksum's name, the
# datum, the survey's n, Moran's statistic I and its p-value.
KEPT = {"citygeo", "sha256", "WGS", "UTC", "n", "I", "p"}


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_city(tmp_path_factory.mktemp("report-languages"))


def _visible_text(page: str) -> str:
    body = page.split("<body>", 1)[1]
    body = re.sub(r"<style>.*?</style>", " ", body, flags=re.DOTALL)
    body = re.sub(r"<title>.*?</title>", " ", body, flags=re.DOTALL)  # SVG titles: data names
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _english_left(page: str, store: Store, lang: str) -> set[str]:
    return english_left(_visible_text(page), lang, data_words(store), KEPT)


@pytest.mark.parametrize(
    ("lang", "direction", "heading"),
    [("ar", "rtl", "نتائج الاستطلاع"), ("fr", "ltr", "Résultats de l’enquête")],
)
def test_the_printout_speaks_the_language(
    town: Store, lang: str, direction: str, heading: str
) -> None:
    page = render_profile_html(town, "N4", lang=lang)
    assert f'<html lang="{lang}" dir="{direction}">' in page
    assert f"<h2>{heading}</h2>" in page
    assert _english_left(page, town, lang) == set()
    assert "Cell 4" in page and "Hate crimes per 1,000" in page  # the city's words, as written


def test_the_english_printout_still_reads_english(town: Store) -> None:
    page = render_profile_html(town, "N4", lang="en")
    assert '<html lang="en" dir="ltr">' in page and "<h2>Survey results</h2>" in page
    assert len(_english_left(page, town, "ar")) > 30
    assert len(_english_left(page, town, "fr")) > 30  # the check above does see interface words


def test_headings_form_an_outline(town: Store) -> None:
    """One h1 (the neighbourhood), then h2 sections in order, none skipped or empty."""
    page = render_profile_html(town, "N4", lang="ar")
    levels = [int(m) for m in re.findall(r"<h([1-6])>", page)]
    assert levels[0] == 1 and levels.count(1) == 1 and set(levels[1:]) == {2}
    assert not re.search(r"<h2>\s*</h2>", page)
    assert page.count("<th scope=col") >= 20  # table headers a screen reader announces


def test_arabic_mirrors_the_layout(town: Store) -> None:
    page = render_profile_html(town, "N4", lang="ar")
    assert "text-align: start" in page and "text-align: end" in page  # follow dir="rtl"
    bars = re.search(r'<svg class="bars".*?</svg>', page, flags=re.DOTALL)
    assert bars is not None
    first_label = re.search(r'<text class="lbl" text-anchor="(\w+)" x="(\d+)"', bars.group(0))
    assert first_label is not None and first_label.group(1) == "start"
    assert int(first_label.group(2)) > 320  # labels on the right, bars growing leftwards
    english = render_profile_html(town, "N4", lang="en")
    assert re.search(r'<text class="lbl" text-anchor="end" x="294"', english)


def test_the_city_language_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        town_fixture,
        "CONFIG",
        town_fixture.CONFIG.replace("[city]\n", '[city]\nlanguage = "fr"\n', 1),
    )
    store = build_city(tmp_path / "fr-town")
    assert load(store).settings.language == "fr"
    assert '<html lang="fr" dir="ltr">' in render_profile_html(store, "N4")
    assert '<html lang="ar" dir="rtl">' in render_profile_html(store, "N4", lang="ar")


def test_cli_report_lang(town: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "n4-ar.html"
    code, _out, err = run_cli(
        ["report", "--nid", "N4", "--out", str(out), "--store", str(town.path), "--lang", "ar"],
        capsys,
    )
    assert code == 0, err
    assert '<html lang="ar" dir="rtl">' in out.read_text(encoding="utf-8")
    code, _out, err = run_cli(
        [
            "report",
            "--nid",
            "N4",
            "--out",
            str(tmp_path / "x.html"),
            "--store",
            str(town.path),
            "--lang",
            "de",
        ],
        capsys,
    )
    assert code == 2 and "--lang 'de'" in err and "Traceback" not in err
    assert not (tmp_path / "x.html").exists()
