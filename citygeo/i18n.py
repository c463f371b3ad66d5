"""The language a person reads citygeo in: gettext catalogues through Babel (L0).

English is the source language. Every sentence a person reads goes through :func:`_` (or
:func:`ngettext` where a count chooses the form — Arabic has six plural forms), looked up in
the catalogue of the current language (``citygeo/locale/<lang>/LC_MESSAGES/citygeo.po``,
compiled to ``.mo``). Numbers, percentages and dates are formatted by the locale (Babel).
Names and codes from a city's own data are never translated.

The current language is a context variable: each Streamlit session runs its script in its own
thread, so two people can read the dashboard in two languages at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.catalog import Catalog
from babel.support import NullTranslations, Translations

DOMAIN = "citygeo"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})

_current: contextvars.ContextVar[str] = contextvars.ContextVar(
    "citygeo_language", default=SOURCE_LANGUAGE
)


def check_language(lang: str | None) -> str:
    """``lang`` if citygeo speaks it, else the source language (English)."""
    return lang if lang in LANGUAGES else SOURCE_LANGUAGE


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English: the messages as written)."""
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


def language() -> str:
    """The language of the current session (or command)."""
    return _current.get()


def set_language(lang: str | None) -> str:
    """Make ``lang`` the current language (unknown → English); returns the one set."""
    chosen = check_language(lang)
    _current.set(chosen)
    return chosen


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Run a block in ``lang`` (the printout of a profile in Arabic, a test)."""
    token = _current.set(check_language(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def is_right_to_left(lang: str | None = None) -> bool:
    """Whether ``lang`` (default: the current language) is written right to left."""
    return (lang or language()) in RIGHT_TO_LEFT


def direction(lang: str | None = None) -> str:
    """``"rtl"`` or ``"ltr"``: the HTML ``dir`` of ``lang`` (default: the current language)."""
    return "rtl" if is_right_to_left(lang) else "ltr"


def isolate(text: object) -> str:
    """``text`` from the city's data, isolated from the sentence around it when the language is
    written right to left (Unicode FSI … PDI), so "Residential turnover (%)" keeps its
    parentheses inside an Arabic sentence; unchanged otherwise."""
    return f"\u2068{text}\u2069" if is_right_to_left() else str(text)


def _(message: str) -> str:
    """``message`` (English) in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` that ``n`` takes in the current language."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is written (a module-level table) and
    translate it later, where it is shown: ``_(TYPOLOGY_WORDS[t])``."""
    return message


FORMAT_LOCALES = {"en": "en_GB"}  # British English writes "12 March 2025", as the texts do


class Words(Mapping[str, str]):
    """A table of English words marked with :func:`N_`, read in the current language:
    ``TYPOLOGY_WORDS["priority"]`` is translated when it is looked up, not when it is built."""

    def __init__(self, source: dict[str, str]) -> None:
        self._source = source

    def __getitem__(self, key: str) -> str:
        return _(self._source[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)


def _locale() -> Locale:
    return _locale_of(language())


@cache
def _locale_of(lang: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES.get(lang, lang))


@cache
def _with_decimals(pattern: str, digits: int) -> numbers.NumberPattern:
    """The locale's own ``pattern`` with exactly ``digits`` decimals (its spacing and signs kept:
    "41 %" in French, "41%" in English). Shared: never changed once made."""
    parsed = numbers.parse_pattern(pattern)
    parsed.frac_prec = (digits, digits)
    return parsed


def format_number(value: float, digits: int = 1) -> str:
    """A number with ``digits`` decimals, grouped as the current language writes it
    ("12,345.7", "12 345,7"; Latin digits in every language, as the city's data writes them)."""
    lang = language()
    if digits == 0 and isinstance(value, int):  # ranks and counts: the same few thousand again
        return _whole_number(lang, value)
    return _number(lang, value, digits)


def _number(lang: str, value: float, digits: int) -> str:
    locale = _locale_of(lang)
    return _with_decimals(locale.decimal_formats[None].pattern, digits).apply(value, locale)


@lru_cache(maxsize=200_000)
def _whole_number(lang: str, value: int) -> str:
    return _number(lang, value, 0)


def format_percent(share: float, digits: int = 0) -> str:
    """A share (0.41) as a percentage ("41%", "41 %" in French)."""
    locale = _locale()
    pattern = _with_decimals(locale.percent_formats[None].pattern, digits)
    return pattern.apply(share, locale)


def format_date(day: dt.date, form: str = "long") -> str:
    """A date as the current language writes it ("12 March 2025", "12 mars 2025")."""
    return dates.format_date(day, format=form, locale=_locale())


def format_month(day: dt.date) -> str:
    """A month and year ("March 2025", "mars 2025")."""
    return dates.format_skeleton("yMMMM", day, locale=_locale())


# -- the catalogues (maintainers: ``python -m citygeo.i18n extract|update|compile|check``) -----
REPO_DIR = Path(__file__).parent.parent
MAPPING = REPO_DIR / "babel.cfg"  # the same mapping `pybabel extract -F babel.cfg` reads
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS: dict[str, tuple[int, ...] | None] = {"_": None, "N_": None, "ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)


def po_path(lang: str) -> Path:
    """The editable catalogue of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every message the code marks (``_``, ``N_``, ``ngettext``), extracted by Babel."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with MAPPING.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog(
        project="citygeo",
        domain=DOMAIN,
        charset="utf-8",
        msgid_bugs_address="",
        copyright_holder="",
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        REPO_DIR,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _write_po(path: Path, catalog: Catalog) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(
            out, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True
        )


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    """A ``.po``/``.pot`` file as a Babel catalogue."""
    from babel.messages.pofile import read_po

    with path.open("rb") as src:
        return read_po(src, locale=lang, domain=DOMAIN)


def update(langs: tuple[str, ...] = TRANSLATED) -> list[Path]:
    """Extract the template and merge it into each language's ``.po`` (new messages empty,
    removed ones dropped; nothing is guessed: no fuzzy matching)."""
    template = extract()
    _write_po(TEMPLATE, template)
    written = [TEMPLATE]
    for lang in langs:
        path = po_path(lang)
        catalog = read_catalog(path, lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.fuzzy = False
        _write_po(path, catalog)
        written.append(path)
    return written


def compile_catalogues(langs: tuple[str, ...] = TRANSLATED) -> list[Path]:
    """Compile each ``.po`` to the ``.mo`` the dashboard reads."""
    from babel.messages.mofile import write_mo

    written = []
    for lang in langs:
        catalog = read_catalog(po_path(lang), lang)
        target = po_path(lang).with_suffix(".mo")
        with target.open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        written.append(target)
    translations.cache_clear()
    return written


def untranslated(lang: str) -> list[str]:
    """The messages of the template that ``lang`` leaves without a translation."""
    template, catalog = read_catalog(TEMPLATE), read_catalog(po_path(lang), lang)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = found.string if found else None
        forms = strings if isinstance(strings, (list, tuple)) else [strings]
        if found is None or found.fuzzy or not all(forms):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str] | None = None) -> int:
    """``python -m citygeo.i18n update`` (extract + merge), ``compile``, ``check``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "check"
    if command == "update":
        for path in update():
            print(f"wrote {path.relative_to(REPO_DIR)}")
    elif command == "compile":
        for path in compile_catalogues():
            print(f"wrote {path.relative_to(REPO_DIR)}")
    elif command == "check":
        bad = {lang: untranslated(lang) for lang in TRANSLATED}
        for lang, ids in bad.items():
            for msgid in ids:
                print(f"{lang}: untranslated: {msgid!r}")
        return 1 if any(bad.values()) else 0
    else:
        print("usage: python -m citygeo.i18n update|compile|check")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
