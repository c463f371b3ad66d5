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
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.support import NullTranslations, Translations

DOMAIN = "citygeo"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})

_current: contextvars.ContextVar[str] = contextvars.ContextVar("citygeo_language",
                                                               default=SOURCE_LANGUAGE)


def check_language(lang: str | None) -> str:
    """``lang`` if citygeo speaks it, else the source language (English)."""
    return lang if lang in LANGUAGES else SOURCE_LANGUAGE


@lru_cache(maxsize=None)
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


def _(message: str) -> str:
    """``message`` (English) in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` that ``n`` takes in the current language."""
    return translations(language()).ngettext(singular, plural, n)


def _locale() -> Locale:
    return Locale.parse(language())


def format_number(value: float, digits: int = 1) -> str:
    """A number with ``digits`` decimals, grouped as the current language writes it."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return numbers.format_decimal(value, format=pattern, locale=_locale())


def format_percent(share: float, digits: int = 0) -> str:
    """A share (0.41) as a percentage ("41%", "41 %" in French)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return numbers.format_percent(share, format=pattern, locale=_locale())


def format_date(day: dt.date, form: str = "long") -> str:
    """A date as the current language writes it ("12 March 2025", "12 mars 2025")."""
    return dates.format_date(day, format=form, locale=_locale())
