"""The dashboard's language (issue 15) with AppTest: ?lang= read on every page and written back,
the session keeps it, the city's default, the picker, caches keyed by language."""

from __future__ import annotations

import json

import pytest

from tests.ui.conftest import Run
from tests.ui.test_pages import PAGES, _text


def _all_text(at: object) -> str:
    return _text(at) + "\n".join(str(e.value) for e in at.error)  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_profile_in_french_and_arabic(demo_app: Run, lang: str) -> None:
    at = demo_app("profile.py", nid="N017", lang=lang)
    assert not at.exception, at.exception
    assert at.query_params["lang"] in (lang, [lang])
    headline = at.info[-1].value.replace("\\", "")
    expected = {
        "fr": "risque 46/100, rang 13 sur 150 (probablement entre 11 et 14)",
        "ar": "المخاطر 46/100، المرتبة 13 من 150 (على الأرجح بين 11 و14)",
    }[lang]
    assert headline.startswith(expected), headline
    picker = at.sidebar.selectbox[0]
    assert picker.value == lang and picker.label == {"fr": "Langue", "ar": "اللغة"}[lang]


def test_english_is_the_default_and_is_written_into_the_link(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N017")
    assert not at.exception
    assert at.query_params["lang"] in ("en", ["en"])
    assert at.info[-1].value.replace("\\", "").startswith("risk 46/100, rank 13 of 150")


def test_an_unknown_language_falls_back_to_english(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N017", lang="de")
    assert not at.exception
    assert at.query_params["lang"] in ("en", ["en"])


def test_the_picker_changes_the_language_and_the_link(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N017")
    at.sidebar.selectbox[0].set_value("ar").run()
    assert not at.exception
    assert at.query_params["lang"] in ("ar", ["ar"])
    assert at.info[-1].value.replace("\\", "").startswith("المخاطر 46/100")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_in_arabic(demo_app: Run, page: str) -> None:
    params = (
        {"nid": "N017"}
        if page == "profile.py"
        else {"nids": "N001,N017,N045"}
        if page == "compare.py"
        else {}
    )
    at = demo_app(page, lang="ar", **params)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "مدينة افتراضية" in _all_text(at)  # the fictional-city notice, in Arabic


def test_map_tooltips_follow_the_language(demo_app: Run) -> None:
    """The map's tooltip words are cached per language: Arabic after English is Arabic."""
    english = demo_app("map.py", lang="en")
    arabic = demo_app("map.py", lang="ar")
    spec = {
        lang: json.loads(at.get("deck_gl_json_chart")[0].proto.json)
        for lang, at in (("en", english), ("ar", arabic))
    }
    urls = {lang: [layer.get("data") for layer in s["layers"]] for lang, s in spec.items()}
    assert urls["en"] != urls["ar"]  # a file of Arabic tooltip words, not the English one
