"""The language a person reads the dashboard in: ``?lang=`` (DESIGN.md §7), a picker, right to left.

The language comes from the link (``?lang=en|fr|ar``), else from what this session chose
before (moving between pages keeps it), else from the city's ``[city] language``. It is written
back into the link on every page, so a copied address reopens the same view in the same
language. With Arabic the document is ``dir="rtl"``: Streamlit's flex layout, the sidebar,
tables and legends follow it, while the map, numbers and codes stay left to right.
"""

from __future__ import annotations

import streamlit as st

from citygeo.i18n import LANGUAGES, _, check_language, direction, is_right_to_left, set_language

PARAM = "lang"
_SESSION_KEY = "citygeo_lang"
_PICKER_KEY = "citygeo_lang_picker"

# Every language: Streamlit's caption grey (#828180) is 3.9:1 on white, under WCAG AA's 4.5:1
# (axe-core's colour-contrast rule; it is drawn at 60 % opacity); a darker grey, opaque,
# reads 6.9:1.
BASE_CSS = """
<style>
[data-testid="stCaptionContainer"] { color: #5c5b59; opacity: 1; }
</style>
"""

# Right to left, the page mirrors; what is not text in a language stays as drawn.
RTL_CSS = """
<style>
[data-testid="stDeckGlJsonChart"], [data-testid="stDeckGlJsonChart"] * { direction: ltr; }
[data-testid="stSidebar"] { border-left: 1px solid rgba(49, 51, 63, 0.2); }
[data-testid="stMarkdownContainer"] ul, [data-testid="stMarkdownContainer"] ol
  { padding-inline-start: 1.5em; padding-left: 0; }
[data-testid="stTable"] th, [data-testid="stTable"] td { text-align: start; }
code, kbd, samp { direction: ltr; unicode-bidi: isolate; }
[data-testid="stHeading"], [data-testid="stHeading"] h1, [data-testid="stHeading"] h2,
[data-testid="stHeading"] h3 { text-align: start !important; }
[data-testid="stHeadingWithActionElements"] { padding-inline-start: 0 !important; }
</style>
"""


def current(default: str) -> str:
    """The language of this rerun (link, else this session's choice, else ``default``), made
    the current one for every ``_()`` that follows, and kept in the link."""
    wanted = st.query_params.get(PARAM)
    lang = check_language(
        wanted if wanted in LANGUAGES else st.session_state.get(_SESSION_KEY, default)
    )
    st.session_state[_SESSION_KEY] = lang
    set_language(lang)
    if st.query_params.get(PARAM) != lang:
        st.query_params[PARAM] = lang
    return lang


def apply_to_page(lang: str) -> None:
    """Give the document its language and direction (screen readers and axe read ``lang``),
    and the styles every page needs (contrast; mirroring right to left)."""
    st.html(BASE_CSS)
    st.html(
        f'<script>document.documentElement.lang = "{lang}"; '
        f'document.documentElement.dir = "{direction(lang)}";</script>',
        unsafe_allow_javascript=True,
    )
    if is_right_to_left(lang):
        st.html(RTL_CSS)


def _chosen() -> None:
    lang = check_language(st.session_state.get(_PICKER_KEY))
    st.session_state[_SESSION_KEY] = lang
    st.query_params[PARAM] = lang


def picker(lang: str) -> None:
    """The language picker in the sidebar (each language named in itself)."""
    codes = list(LANGUAGES)
    st.session_state[_PICKER_KEY] = lang
    st.sidebar.selectbox(
        _("Language"),
        codes,
        format_func=LANGUAGES.__getitem__,
        key=_PICKER_KEY,
        on_change=_chosen,
        help=_("The dashboard's language; the link keeps it (?lang=)."),
    )


def link_params(**params: str) -> dict[str, str]:
    """Query parameters of a link to another page, with the language kept."""
    return {**params, PARAM: st.session_state.get(_SESSION_KEY, check_language(None))}
