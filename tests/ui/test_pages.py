"""Every page with AppTest: renders on the demo city, shows its empty state, errors inline."""

from __future__ import annotations

import json

import pytest

from tests.ui.conftest import Run

PAGES = ["map.py", "profile.py", "compare.py", "methodology.py", "data_quality.py", "registers.py", "export.py"]


def _text(at: object) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]  # type: ignore[attr-defined]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [s.value for s in at.subheader]  # type: ignore[attr-defined]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_demo_city(demo_app: Run, page: str) -> None:
    params = {"nid": "N017"} if page == "profile.py" else {"nids": "N001,N017,N045"} if page == "compare.py" else {}
    at = demo_app(page, **params)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "fictional city" in _text(at)


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_its_empty_state(empty_app: Run, page: str) -> None:
    at = empty_app(page, **({"nid": "N017"} if page == "profile.py" else {}))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("no neighbourhoods yet" in i.value for i in at.info), [i.value for i in at.info]


def test_profile_with_a_bad_nid_shows_an_error_not_a_traceback(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="NOPE<b>")
    assert not at.exception
    assert len(at.error) == 1
    assert "no neighbourhood with code 'NOPE<b>'" in at.error[0].value


def test_profile_without_nid_says_how_to_choose(demo_app: Run) -> None:
    at = demo_app("profile.py")
    assert not at.exception
    assert "open a profile from the map" in at.error[0].value


def test_profile_tells_the_officials_story(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N017")
    assert at.title[0].value.replace("\\", "") == "Thistlebrook Hill (N017)"
    headline = at.info[-1].value.replace("\\", "")
    # rank, interval, drivers against the median, trust with its interval and n, last consultation
    assert headline.startswith("risk 46/100, rank 13 of 150 (likely between 11 and 14); driven by ")
    assert "× the city median" in headline and "n = 51" in headline and "last consulted" in headline
    subheaders = [s.value for s in at.subheader]
    for wanted in ("What drives the risk score", "Each measure against the city median", "Trend over the years",
                   "Survey results", "Mechanisms and partners serving it", "Data-quality notes"):
        assert wanted in subheaders


def test_profile_renders_html_ish_names_as_text(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N045")
    assert at.title[0].value.replace("\\", "") == "St Ann's & Mill Row (N045)"


def test_compare_needs_two_to_six(demo_app: Run) -> None:
    at = demo_app("compare.py", nids="N001")
    assert not at.exception
    assert "Compare needs 2 to 6 neighbourhoods; got 1" in at.error[0].value
    at = demo_app("compare.py", nids="N001,BAD")
    assert "Unknown neighbourhood code(s): BAD" in at.error[0].value


def test_map_reads_measure_and_year_from_the_link(demo_app: Run) -> None:
    at = demo_app("map.py", measure="raw__hate_rate", year="2025")
    assert not at.exception
    assert at.selectbox(key="measure").value == "raw__hate_rate"
    assert at.selectbox(key="year").value == 2025
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layer = spec["layers"][0]
    assert layer["data"].startswith("app/static/") and layer["data"].endswith(".geojson")
    assert spec["mapProvider"] is None if "mapProvider" in spec else True
    assert "{name} ({nid})" in at.get("deck_gl_json_chart")[0].proto.tooltip
