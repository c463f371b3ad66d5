"""The catalogues (citygeo.i18n): complete, faithful to their placeholders, compiled, current.

English is the source; French and Arabic must translate every message the code marks. The
tests read the real catalogues of the package, so a new English sentence added to the code
without `python -m citygeo.i18n update`, translations and `compile` fails here.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural

from citygeo import i18n, words
from citygeo.i18n import TRANSLATED, _, ngettext, using

BRACE = re.compile(r"(?<!\{)\{([a-z_]*)\}(?!\})")
PERCENT = re.compile(r"%\((\w+)\)[sdifr]|%[sdifr]")
MARKERS = set(i18n.KEYWORDS)


def placeholders(text: str) -> list[str]:
    """Every ``{name}`` and ``%(name)s`` of ``text``, sorted (repeats kept)."""
    return sorted(BRACE.findall(text) + ["%" + m for m in PERCENT.findall(text)])


def ids(catalog: Catalog) -> set[object]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return i18n.read_catalog(i18n.TEMPLATE)


@pytest.fixture(scope="module", params=TRANSLATED)
def catalog(request: pytest.FixtureRequest) -> tuple[str, Catalog]:
    return request.param, i18n.read_catalog(i18n.po_path(request.param), request.param)


def test_the_template_is_what_the_code_marks(template: Catalog) -> None:
    """Extraction from the code equals the committed .pot: a new `_("…")` fails until updated."""
    assert ids(i18n.extract()) == ids(template)
    assert len(template) > 100


def _marked_in_source() -> set[object]:
    """Every literal marked with _, N_ or ngettext, found by walking the syntax trees (which,
    unlike a tokenizer, also sees calls inside f-strings)."""
    found: set[object] = set()
    sources = [p for p in Path(i18n.REPO_DIR, "citygeo").rglob("*.py") if p.name != "i18n.py"]
    for path in [*sources, Path(i18n.REPO_DIR, "app.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in MARKERS
                and node.args
            ):
                literals = [
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                assert literals, f"{path}:{node.lineno}: {node.func.id}() needs a literal string"
                found.add(literals[0] if node.func.id != "ngettext" else tuple(literals[:2]))
    return found


def test_every_marked_call_is_extracted(template: Catalog) -> None:
    """No `_()` hides where Babel cannot see it (inside an f-string, on Python 3.11)."""
    assert _marked_in_source() == ids(template)


def test_every_message_is_translated(template: Catalog, catalog: tuple[str, Catalog]) -> None:
    lang, translated = catalog
    assert ids(translated) == ids(template), f"{lang}: run `python -m citygeo.i18n update`"
    assert i18n.untranslated(lang) == []


def test_placeholders_are_those_of_the_source(catalog: tuple[str, Catalog]) -> None:
    """Each translation has exactly its source's placeholders; a plural form that stands for
    one number only (Arabic 'one', 'two', 'zero') may leave the count {n} out, as gettext allows."""
    lang, translated = catalog
    only_one_number = _forms_for_one_number(translated.num_plurals, translated.plural_expr)
    problems = []
    for message in translated:
        if not message.id:
            continue
        if isinstance(message.id, str):
            if placeholders(message.string) != placeholders(message.id):
                problems.append((message.id, message.string))
            continue
        source = placeholders(message.id[1])
        assert placeholders(message.id[0]) == source, message.id
        for form, text in enumerate(message.string):
            mine = placeholders(text)
            allowed = [mine, sorted([*mine, "n"])] if form in only_one_number else [mine]
            if source not in allowed:
                problems.append((message.id[0], text))
    assert problems == [], f"{lang}: placeholders differ from the source"


def _forms_for_one_number(nplurals: int, expr: str) -> set[int]:
    """The plural forms that exactly one count selects (the catalogue's own rule, read as gettext
    reads it; counts 0..1000 and millions, for French's form of whole millions)."""
    rule = gettext.c2py(expr)
    chosen = Counter(rule(n) for n in [*range(1001), 10**6, 2 * 10**6, 3 * 10**6])
    assert set(chosen) == set(range(nplurals))
    return {form for form, count in chosen.items() if count == 1}


def test_the_plural_forms_are_all_there(catalog: tuple[str, Catalog]) -> None:
    """Arabic has six plural forms, French (CLDR) three; every plural message fills them all."""
    lang, translated = catalog
    expected = get_plural(lang).num_plurals
    assert translated.num_plurals == expected
    assert {"ar": 6, "fr": 3}[lang] == expected
    plurals = [m for m in translated if m.id and not isinstance(m.id, str)]
    assert plurals, "the catalogue has plural messages"
    for message in plurals:
        assert len(message.string) == expected and all(message.string), message.id


def test_the_compiled_catalogues_are_those_of_the_po(catalog: tuple[str, Catalog]) -> None:
    """The .mo the dashboard reads says what the .po says (run `python -m citygeo.i18n compile`)."""
    lang, translated = catalog
    mo = i18n.po_path(lang).with_suffix(".mo")
    assert mo.exists() and mo.stat().st_size > 0
    with mo.open("rb") as fp:
        loaded = i18n.Translations(fp=fp, domain=i18n.DOMAIN)
    compiled = {k: v for k, v in loaded._catalog.items() if k}
    expected: dict[object, str] = {}
    for message in translated:
        if not message.id:
            continue
        if isinstance(message.id, str):
            expected[message.id] = message.string
        else:
            expected.update({(message.id[0], i): s for i, s in enumerate(message.string)})
    assert compiled == expected


def test_catalogues_ship_with_the_package() -> None:
    text = Path(i18n.REPO_DIR, "pyproject.toml").read_text(encoding="utf-8")
    assert '"locale/*/LC_MESSAGES/*.mo"' in text and '"locale/*.pot"' in text


def test_sentences_in_each_language() -> None:
    with using("fr"):
        assert words.rank_text(7, 152, 4, 11) == "rang 7 sur 152 (probablement entre 4 et 11)"
        assert words.fewer_than(5) == "moins de 5"
        assert words.shown_value(1234.56) == "1\u202f234,6"
        assert words.survey_value(41.0, "%") == "41\u00a0%"
        assert (
            words.last_consulted(dt.date(2025, 3, 12)) == "Dernière consultation le 12 mars 2025."
        )
        assert words.TYPOLOGY_WORDS["priority"].startswith("prioritaire")
    with using("ar"):
        assert words.rank_text(7, 152) == "المرتبة 7 من 152"
        assert words.shown_value(1234.56) == "1,234.6"  # Latin digits, as the city's data
        assert _("Survey results") == "نتائج الاستطلاع"
    with using("en"):
        assert words.last_consulted(dt.date(2025, 3, 12)) == "Last consulted on 12 March 2025."
        assert words.TYPOLOGY_WORDS["priority"].startswith("priority")


def test_arabic_chooses_among_six_forms() -> None:
    with using("ar"):
        forms = {
            n: ngettext("{n} month ago", "{n} months ago", n).format(n=n)
            for n in (0, 1, 2, 3, 11, 100)
        }
    assert len(set(forms.values())) == 6, forms
    assert "شهرين" in forms[2] and "أشهر" in forms[3] and "شهرًا" in forms[11]


def test_direction_and_fallback() -> None:
    assert i18n.direction("ar") == "rtl" and i18n.direction("fr") == "ltr"
    assert i18n.check_language("de") == "en" and i18n.check_language(None) == "en"
    with using("xx"):
        assert _("Survey results") == "Survey results"
