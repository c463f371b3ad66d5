"""Every page with AppTest: renders on the demo city, shows its empty state, errors inline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citygeo.settings import REPO_ROOT
from citygeo.store import Store
from tests.ui.conftest import Run

PAGES = [
    "map.py",
    "profile.py",
    "compare.py",
    "methodology.py",
    "data_quality.py",
    "registers.py",
    "export.py",
]


def _text(at: object) -> str:
    parts = (
        [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    )  # type: ignore[attr-defined]
    parts += (
        [i.value for i in at.info] + [w.value for w in at.warning] + [s.value for s in at.subheader]
    )  # type: ignore[attr-defined]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_demo_city(demo_app: Run, page: str) -> None:
    params = (
        {"nid": "N017"}
        if page == "profile.py"
        else {"nids": "N001,N017,N045"}
        if page == "compare.py"
        else {}
    )
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
    assert "No neighbourhood has the code 'NOPE<b>'" in at.error[0].value


def test_profile_without_nid_offers_a_picker(demo_app: Run) -> None:
    at = demo_app("profile.py")
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Pick a neighbourhood above" in i.value for i in at.info)
    picker = at.selectbox(key="profile_nid")
    assert picker.value == "" and "Thistlebrook Hill (N017)" in picker.options
    picker.set_value("N017").run()
    assert at.query_params["nid"] == ["N017"] or at.query_params["nid"] == "N017"
    assert at.title[0].value.replace("\\", "") == "Thistlebrook Hill (N017)"


def test_profile_tells_the_officials_story(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N017")
    assert at.title[0].value.replace("\\", "") == "Thistlebrook Hill (N017)"
    headline = at.info[-1].value.replace("\\", "")
    # rank, interval, drivers against the median, trust with its interval and n, last consultation
    assert headline.startswith("risk 46/100, rank 13 of 150 (likely between 11 and 14); driven by ")
    assert "× the city median" in headline and "n = 51" in headline and "last consulted" in headline
    subheaders = [s.value for s in at.subheader]
    for wanted in (
        "What drives the risk score",
        "Each measure against the city median",
        "Trend over the years",
        "Survey results",
        "Mechanisms and partners serving it",
        "Where this neighbourhood stands out (top tenth of the city)",
        "Caveats",
    ):
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
    # no basemap provider (works offline); the style stays Streamlit's placeholder, never a URL
    assert spec.get("mapProvider") is None and spec.get("mapStyle") in (None, "__MAP_STYLE__")
    assert "{name} ({nid})" in at.get("deck_gl_json_chart")[0].proto.tooltip


def _layer(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[index].proto.json)["layers"][0]


def _layer_ids(at: AppTest) -> list[str]:
    return [x["id"] for x in json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]]


def _static(url: str) -> dict:
    return json.loads((REPO_ROOT / "static" / url.rsplit("/", 1)[1]).read_text())


def test_a_large_city_opens_on_its_districts(
    demo_app: Run, demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above MAX_DRAWN neighbourhoods the map shows district scores first, then one district."""
    monkeypatch.setenv("CITYGEO_MAP_MAX_DRAWN", "100")  # the demo city has 150
    monkeypatch.setenv("CITYGEO_MAP_MAX_OUTLINED", "60")
    at = demo_app("map.py")
    assert not at.exception
    assert at.selectbox(key="district").value == "all districts (district scores)"
    layer = _layer(at)
    assert layer["id"] == "districts"
    districts = (
        Store(demo_store)
        .query(
            "SELECT nid, risk_score FROM district_scores WHERE grp = 'all' AND year = "
            "(SELECT max(year) FROM district_scores)"
        )
        .set_index("nid")["risk_score"]
    )
    assert sorted(layer["getFillColor"]["domain"]) == sorted(districts.index)
    features = _static(layer["data"])["features"]
    assert sorted(f["properties"]["name"] for f in features) == sorted(districts.index)
    # the outlines are the districts' as stored, GeoJSON objects (not their JSON text in a string)
    stored = Store(demo_store).query("SELECT district, geometry FROM district_outlines")
    outline = {
        d: json.loads(g) for d, g in zip(stored["district"], stored["geometry"], strict=True)
    }
    assert {f["properties"]["nid"]: f["geometry"] for f in features} == {
        d: outline[d] for d in districts.index
    }
    # the tooltip words are the district scores (risk index is field 0), not neighbourhood values
    shown = {f["properties"]["nid"]: f["properties"]["v0"] for f in features}
    assert shown == {d: f"{v:,.1f}" for d, v in districts.items()}
    assert "never averaged" in " ".join(c.value for c in at.caption)

    chosen = min(districts.index)
    at.selectbox(key="district").select(chosen).run()
    assert not at.exception
    layer = _layer(at)
    members = Store(demo_store).query(
        "SELECT nid FROM neighbourhoods WHERE district = ?", [chosen]
    )["nid"]
    assert layer["id"] == "neighbourhoods" and sorted(layer["getFillColor"]["domain"]) == sorted(
        members
    )
    assert layer["stroked"] is False  # outlines are their own layer, drawn for 60 or fewer
    assert ("outlines" in _layer_ids(at)) is (len(members) <= 60)
    shapes = Store(demo_store).query("SELECT nid, geometry FROM display_outlines")
    outline = {n: json.loads(g) for n, g in zip(shapes["nid"], shapes["geometry"], strict=True)}
    drawn = {f["properties"]["nid"]: f["geometry"] for f in _static(layer["data"])["features"]}
    assert drawn == {n: outline[n] for n in members}


def test_outlines_are_left_out_of_a_crowded_map(
    demo_app: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "CITYGEO_MAP_MAX_OUTLINED", "100"
    )  # 150 drawn: no outlines, a district shows them
    at = demo_app("map.py")
    assert not at.exception
    assert at.selectbox(key="district").value == "the whole city"
    assert (
        _layer_ids(at) == ["neighbourhoods", "hotspots"]
        and len(_layer(at)["getFillColor"]["domain"]) == 150
    )
    assert any("Outlines are drawn when 100 neighbourhoods or fewer" in c.value for c in at.caption)
    at.selectbox(key="district").select(at.selectbox(key="district").options[1]).run()
    assert (
        _layer_ids(at)[:2] == ["neighbourhoods", "outlines"]
        and len(_layer(at)["getFillColor"]["domain"]) < 150
    )


def test_a_field_change_keeps_the_map_file(demo_app: Run) -> None:
    """Changing the field shown changes colours and the tooltip, not the outlines file."""
    at = demo_app("map.py", measure="risk_score")
    before = _layer(at)
    at.selectbox(key="measure").select("protective_score").run()
    after = _layer(at)
    assert after["data"] == before["data"]
    assert after["getFillColor"]["colors"] != before["getFillColor"]["colors"]
    assert after["updateTriggers"] != before["updateTriggers"]
    tooltip = at.get("deck_gl_json_chart")[0].proto.tooltip
    fields = list(_static(after["data"])["features"][0]["properties"])
    assert "{v1}" in tooltip and "v1" in fields  # the protective index is field 1


def _mini_maps(at: AppTest) -> list[dict]:
    """Compare's small maps: (the file of its city layer, its view, its focus outline)."""
    charts = [json.loads(c.proto.json) for c in at.get("deck_gl_json_chart")]
    return [
        {
            "nids": {f["properties"]["nid"] for f in _static(c["layers"][0]["data"])["features"]},
            "view": c["initialViewState"],
            "focus": c["layers"][1]["data"]["features"][0]["geometry"],
        }
        for c in charts
        if c["layers"][0]["id"].startswith("city-")
    ]


def test_compare_maps_show_the_city_or_for_a_big_city_each_district(
    demo_app: Run, demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each compared neighbourhood is outlined on a small risk map: the whole city, or, for a city
    too big for a browser to draw at once, its own district (as the map page opens on them)."""
    pair = ["N017", "N120"]
    hoods = Store(demo_store).query("SELECT nid, district FROM neighbourhoods")
    district = dict(zip(hoods["nid"], hoods["district"], strict=True))
    shapes = Store(demo_store).query("SELECT nid, geometry FROM display_outlines")
    outline = {n: json.loads(g) for n, g in zip(shapes["nid"], shapes["geometry"], strict=True)}
    at = demo_app("compare.py", nids=",".join(pair))
    assert not at.exception
    whole_city = _mini_maps(at)
    assert [m["nids"] for m in whole_city] == [set(hoods["nid"])] * 2
    assert [m["focus"] for m in whole_city] == [outline[n] for n in pair]
    assert not any("more than a browser draws" in c.value for c in at.caption)

    monkeypatch.setenv("CITYGEO_MAP_MAX_DRAWN", "100")  # the demo city has 150
    at = demo_app("compare.py", nids=",".join(pair))
    assert not at.exception
    by_district = _mini_maps(at)
    assert district["N017"] != district["N120"]
    assert [m["nids"] for m in by_district] == [
        {n for n, d in district.items() if d == district[p]} for p in pair
    ]
    assert [m["focus"] for m in by_district] == [outline[n] for n in pair]
    # zoomed in on the district, not on the whole city
    assert all(d["view"]["zoom"] > w["view"]["zoom"] for d, w in zip(by_district, whole_city))
    assert any("more than a browser draws at once" in c.value for c in at.caption)
