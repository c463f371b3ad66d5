"""Issue 14 on the pages (AppTest): what the officials of the five journeys need to read and
print."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from citygeo.scoring import parse_methodology
from citygeo.service.city import CityData, current_methodology, load, score_years
from citygeo.service.compare import compare, compare_csv, worse_and_better
from citygeo.service.registers import city_wide, not_heard_by_group, not_heard_in_group, registers
from citygeo.service.review import prepare_review, save_version
from citygeo.store import Store
from citygeo.words import ordinal, plural, rank_change, risk_change
from tests.ui.conftest import Run, _runner


def _tables(at: object) -> list[pd.DataFrame]:
    return [t.value for t in at.table]  # type: ignore[attr-defined]


def test_profile_tables_are_drawn_whole_with_every_column(demo_app: Run) -> None:
    """Static tables: no inner scroll box on screen, every row and column in the browser's print."""
    at = demo_app("profile.py", nid="N017")
    assert not at.exception and not at.error
    assert not at.dataframe, "scrolling data grids hide rows and cut columns when printed"
    columns = [list(t.columns) for t in _tables(at)]
    assert [
        "Measure",
        "Domain",
        "Share of the index",
        "Value (0–100)",
        "Reads as",
        "Points of risk",
    ] in columns
    assert ["Measure", "Value", "City median", "× median", "Reads as"] in columns
    partners = next(t for t in _tables(at) if "Partner" in t.columns)
    assert len(partners) >= 1 and "Averlane Police - Hate Crime Unit" not in set(
        partners["Partner"]
    )
    assert any(
        "city-wide partners" in m.value and "Hate Crime Unit" in m.value.replace("\\", "")
        for m in at.markdown
    )
    survey = next(t for t in _tables(at) if "95% interval" in t.columns)
    assert (survey["n"].astype(int) > 0).all()
    for table in _tables(at):
        assert not table.astype(str).isin(["None", "nan", "<NA>"]).any().any(), table


def _city(store: Path) -> CityData:
    return load(Store(store))


def test_compare_marks_worse_and_better_by_meaning(demo_store: Path) -> None:
    city = _city(demo_store)
    table = compare(city, ["N001", "N017", "N045"])
    marks = worse_and_better(table, current_methodology(city, table.attrs["year"]))
    risk, prot = table["risk_score"], table["protective_score"]
    assert (
        marks.loc[risk.idxmax(), "risk_score"] == "worse"
        and marks.loc[risk.idxmin(), "risk_score"] == "better"
    )
    # the highest protection is the BEST value of its row, not the worst
    assert marks.loc[prot.idxmax(), "protective_score"] == "better"
    assert marks.loc[prot.idxmin(), "protective_score"] == "worse"
    assert "risk_rank" not in marks and "typology" not in marks


def test_rank_changes_read_in_words() -> None:
    assert rank_change(-2, 15) == "up 2 places, to 15th"
    assert rank_change(1, 22) == "down 1 place, to 22nd"
    assert rank_change(0, 13) == "same place, 13th"
    assert (
        risk_change(-4.44, 2, 11)
        == "risk 4.4 points lower; down 2 places, to 11th (rank 1 = highest risk)"
    )
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "101st",
        "111th",
    ]


def test_compare_page_says_rank_changes_in_words(demo_app: Run) -> None:
    at = demo_app("compare.py", nids="N001,N017,N045")
    assert not at.exception and not at.error
    table = at.table[0].value
    change = table[table["What"].str.contains("hange", na=False)].iloc[0, 1:]
    assert change.str.contains(
        r"^risk .*(?:places?|same place), (?:to )?\d+(?:st|nd|rd|th)", regex=True
    ).all(), change
    assert not table.astype(str).isin(["None", "nan", "–"]).any().any()


def test_compare_csv_is_rounded_dated_and_labelled(demo_store: Path) -> None:
    city = _city(demo_store)
    table = compare(city, ["N001", "N017"])
    text = compare_csv(table, {"risk_score": "Risk (0–100)"}, city="Portaverane", fictional=True)
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns[:2]) == ["City", "Year"]
    assert (frame["City"] == "Portaverane (fictional city, synthetic data)").all()
    assert (frame["Year"] == table.attrs["year"]).all()
    numbers = frame.select_dtypes("number").to_numpy(dtype=float).ravel()
    numbers = numbers[~pd.isna(numbers)]
    assert len(numbers) > 5 and all(round(v, 2) == v for v in numbers)
    assert not re.search(r"\d\.\d{3,}", text)


def _params(at: object) -> dict[str, str]:
    return {
        k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]  # type: ignore[attr-defined]
        for k in at.query_params
    }  # type: ignore[attr-defined]


def test_every_map_choice_is_in_the_link(demo_app: Run) -> None:
    at = demo_app("map.py")
    at.selectbox(key="scheme").set_value("equal_interval").run()
    at.checkbox(key="hex").check().run()
    at.checkbox(key="hot").uncheck().run()
    params = _params(at)
    assert params["scheme"] == "equal_interval"
    assert params["hex"] == "1" and params["hot"] == "0"
    # the recipient of the link sees the same choices
    again = demo_app("map.py", **params)
    assert again.selectbox(key="scheme").value == params["scheme"]
    assert again.checkbox(key="hex").value is True and again.checkbox(key="hot").value is False


def test_map_table_is_sorted_by_rank_blank_and_searchable(demo_app: Run) -> None:
    at = demo_app("map.py")
    frame = at.dataframe[0].value
    ranks = pd.to_numeric(frame["Rank"], errors="coerce")
    assert ranks.dropna().is_monotonic_increasing and ranks.iloc[0] == 1
    assert len(frame) == 150
    assert not frame["Note"].isna().any()
    at.text_input(key="map_table_search").input("thistlebrook hill").run()
    found = at.dataframe[0].value
    assert list(found["Code"]) == ["N017"]


def test_map_offers_a_neighbourhood_search(demo_app: Run) -> None:
    at = demo_app("map.py")
    picker = at.selectbox(key="map_find")
    assert picker.value == "" and "Thistlebrook Hill (N017)" in picker.options


def test_city_wide_partners_are_told_apart_from_local_ones() -> None:
    partners = pd.DataFrame(
        {
            "stakeholder_id": ["S1", "S2", "S3"],
            "name": ["Police", "Paper", "Youth club"],
            "sector": ["police", "media", "youth"],
            "themes": [[], [], ["youth"]],
            "serves": [["all"], ["N1", "N2"], ["N2"]],
        }
    )
    assert list(city_wide(partners, ["N1", "N2"])["name"]) == ["Police", "Paper"]
    assert list(city_wide(partners, ["N1", "N2", "N3"])["name"]) == ["Police"]


def test_not_heard_is_summarised_by_group_with_local_partners() -> None:
    when = pd.Timestamp("2025-03-10")
    stale = pd.DataFrame(
        {
            "nid": ["N1", "N2", "N1", "N3"],
            "name": ["One", "Two", "One", "Three"],
            "grp": ["lgbtq", "lgbtq", "parents", "lgbtq"],
            "last_heard": [pd.NaT, when, pd.Timestamp("2025-06-01"), pd.NaT],
            "months_since": [None, 20, 17, None],
        }
    )
    summary = not_heard_by_group(stale)
    assert list(summary["group"]) == ["LGBTQ+ people", "parents"]
    assert list(summary["neighbourhoods"]) == [3, 1] and list(summary["never"]) == [2, 0]
    assert summary["since"].iloc[0] == "never in 2, else since March 2025"
    assert summary["since"].iloc[1] == "since June 2025 at the longest"
    local = pd.DataFrame(
        {
            "nid": ["N2", "N2"],
            "stakeholder_id": ["S3", "S4"],
            "name": ["Youth club", "Arts"],
            "sector": ["youth", "culture"],
            "themes": [[], []],
        }
    )
    rows = not_heard_in_group(stale, "lgbtq", local)
    assert list(rows["local_partners"]) == [
        "none registered",
        "Arts, Youth club",
        "none registered",
    ]
    assert list(rows["last_heard"]) == ["never", "March 2025", "never"]


def test_registers_page_summarises_not_heard_and_counts_local_partners(
    demo_app: Run, demo_store: Path
) -> None:
    reg = registers(_city(demo_store), dt.date.today())
    everyone = len(_city(demo_store).neighbourhoods)
    assert len(reg.city_wide) > 0
    # the gap list counts local partners only: never the city-wide bodies under every neighbourhood
    assert (reg.gaps["partners"] < len(reg.city_wide)).all() and everyone > 0
    at = demo_app("registers.py")
    assert not at.exception and not at.error
    summary = next(t for t in _tables(at) if "Not heard" in t.columns)
    assert "LGBTQ+ people" in set(summary["Not heard"]) and "lgbtq" not in set(summary["Not heard"])
    gaps = next(t for t in _tables(at) if "Local partners" in t.columns)
    assert len(gaps) == len(reg.gaps)
    at.selectbox(key="heard_grp").set_value("lgbtq").run()
    drill = _tables(at)[-1]
    assert "Local partners working there" in drill.columns
    assert len(drill) == int(
        summary.loc[summary["Not heard"] == "LGBTQ+ people", "Neighbourhoods"].iloc[0]
    )
    wide = set(reg.city_wide["name"])
    assert not any(
        name in wide for cell in drill["Local partners working there"] for name in cell.split(", ")
    )


def test_methodology_save_refreshes_refuses_a_changed_spec_and_skips_the_same(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "demo.duckdb"
    shutil.copy2(demo_store, copy)
    run = _runner(copy, monkeypatch)
    at = run("methodology.py")
    assert "Current version **2025.1**" in _text(at)
    assert any(
        s.value.startswith("Robustness of the ranks: saved version and your proposal")
        for s in at.subheader
    )
    assert any(m.value.startswith("Your proposal:") for m in at.markdown)
    slider = next(s for s in at.slider if s.key.startswith("w_"))
    before = slider.value
    slider.set_value(before + 1.0).run()
    at.text_area(key="note").input("test: one domain counts more")
    at.button[0].click().run()  # the form's submit button
    assert not at.error, [e.value for e in at.error]
    assert any("Saved version 2025.2" in s.value for s in at.success)
    text = _text(at)
    assert "Current version **2025.2**" in text
    assert (
        next(s for s in at.slider if s.key == slider.key).value == before + 1.0
    )  # the new current weights
    assert at.text_input(key="new_version").value == "2025.3"
    # a different specification under the existing version 2025.2: refused inline, naming it
    at.slider(key=slider.key).set_value(before).run()
    at.text_input(key="new_version").input("2025.2")
    at.text_area(key="note").input("test: one domain counts more")
    at.button[0].click().run()
    assert (
        at.error
        and "version 2025.2 is already saved with a different specification" in at.error[0].value
    )
    assert "weights of" in at.error[0].value
    # the same specification again: a no-op, said so
    at.slider(key=slider.key).set_value(before + 1.0).run()
    at.text_input(key="new_version").input("2025.2")
    at.text_area(key="note").input("test: one domain counts more")
    at.button[0].click().run()
    assert not at.error and any(
        "already saved with exactly this specification" in i.value for i in at.info
    )


def _text(at: object) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]  # type: ignore[attr-defined]
    return "\n".join(str(p) for p in parts).replace("\\", "")


def test_protective_side_reads_the_right_way(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N002")
    drivers = next(t for t in _tables(at) if "Points of risk" in t.columns)
    assert (drivers["Reads as"] == "0–100, higher = more risk").all()
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    titles = json.dumps(charts)
    assert "Online signals per month" in titles and '"Month"' in titles


def test_incident_hexagons_are_outlines_with_their_own_legend(demo_app: Run) -> None:
    at = demo_app("map.py", hex="1")
    layers = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]
    hexes = next(x for x in layers if x["id"] == "incident-hexagons")
    assert (
        hexes["filled"] is False and hexes["stroked"] is True
    )  # the choropleth keeps its legend's colours
    assert any("drawn as outlines over the colours" in m.value for m in at.markdown)


def test_export_page_says_why_the_download_is_zipped(demo_app: Run) -> None:
    at = demo_app("export.py")
    assert any("zip because it holds two files" in m.value for m in at.markdown)


@pytest.fixture(scope="module")
def risk_only_store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city re-scored with a risk-only methodology (protective columns and typology
    null)."""
    path = tmp_path_factory.mktemp("risk_only") / "demo.duckdb"
    shutil.copy2(demo_store, path)
    store = Store(path)
    city = load(store)
    years = score_years(city)
    spec = current_methodology(city, years[0]).model_dump(mode="json", by_alias=True)  # type: ignore[union-attr]
    protective = {d["id"] for d in spec["domains"] if d["index"] == "protective"}
    spec["domains"] = [d for d in spec["domains"] if d["id"] not in protective]
    spec["measures"] = [m for m in spec["measures"] if m["domain"] not in protective]
    spec["version"] = "2026.risk"
    methodology = parse_methodology(spec)
    save_version(store, prepare_review(store, methodology), methodology, years, "risk only (test)")
    return path


@pytest.mark.parametrize(
    "page",
    [
        "map.py",
        "profile.py",
        "compare.py",
        "methodology.py",
        "data_quality.py",
        "registers.py",
        "export.py",
    ],
)
def test_a_risk_only_methodology_says_not_scored(
    risk_only_store: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    params = (
        {"nid": "N017"}
        if page == "profile.py"
        else {"nids": "N001,N017"}
        if page == "compare.py"
        else {}
    )
    at = _runner(risk_only_store, monkeypatch)(page, **params)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    if page == "map.py":
        assert "Protective index (0–100)" not in at.selectbox(key="measure").options
        assert any("Protective index not scored" in c.value for c in at.caption)
    if page == "profile.py":
        assert [m.value for m in at.metric][2:] == ["not scored", "not scored"]
        assert "protective index not scored" in at.info[-1].value
    if page == "compare.py":
        table = at.table[0].value
        row = table[table["What"].str.startswith("Protective")].iloc[0]
        assert (row.iloc[1:] == "not scored").all()


def test_plain_words_with_the_technical_term_one_click_away(demo_app: Run) -> None:
    assert (
        plural("library", 2) == "libraries" and plural("place of worship", 2) == "places of worship"
    )
    at = demo_app("map.py")
    legend = next(m.value for m in at.markdown if "light to dark orange" in m.value)
    plain = legend.split("<abbr")[0]
    assert "5 groups with the same number of neighbourhoods; light to dark orange: low to " in plain
    assert "ColorBrewer" not in plain and "Quantiles" not in plain
    assert 'title="Quantiles, ColorBrewer OrRd' in legend
    scheme = at.selectbox(key="scheme")
    assert scheme.value == "quantiles" and "Quantiles" in scheme.help
    assert scheme.options[0] == "Same number of neighbourhoods in each group"
    assert not any("Quantiles" in o or "Fisher" in o for o in scheme.options)
    # hot spots: plain words shown, the Local Moran's I class on hover only
    hot = next(m.value for m in at.markdown if "high-risk cluster" in m.value)
    visible = re.sub(r"<[^>]+>", "", hot)
    assert "high-high" not in visible and "low-high" not in visible
    assert 'title="Local Moran&#x27;s I class high-high"' in hot
    at = demo_app("methodology.py")
    assert "Min–max" not in " ".join(at.selectbox(key="normalisation").options)
    assert "min–max" in at.selectbox(key="normalisation").help
    assert all("Cronbach" not in m.value for m in at.markdown)
    at = demo_app("export.py")
    assert not at.exception and not at.error
    words = " ".join(c.value for c in at.caption) + " ".join(
        b.label for b in at.get("download_button")
    )
    assert "DESIGN.md" not in words and "sidecar" not in words
    helps = " ".join(c.help or "" for c in at.caption) + " ".join(m.value for m in at.markdown)
    assert "DESIGN.md" not in helps and "sidecar" not in helps and ".meta.json" in helps


def test_profile_says_where_it_stands_out_apart_from_its_caveats(demo_app: Run) -> None:
    at = demo_app("profile.py", nid="N017")  # a high-risk cluster, top tenth in five measures
    heads = [s.value for s in at.subheader]
    stands = heads.index("Where this neighbourhood stands out (top tenth of the city)")
    assert heads.index("Caveats") == stands + 1 and "Data-quality notes" not in heads
    said = [m.value.replace("\\", "") for m in at.markdown]
    assert "- Residential turnover (%)" in said and "- Unemployment (%)" in said
    assert not any("among the top tenth" in m for m in said)  # no longer worded as a caveat
    assert any("fewer than 5 incidents" in m for m in said)  # the real caveats stay
    hot = next(m for m in at.markdown if "Hot spot: high-risk cluster." in m.value)
    assert "high-high" not in hot.value and "Local Moran" not in hot.value
    assert "Local Moran's I" in hot.help and "high-risk cluster = high-high" in hot.help
    at = demo_app("methodology.py")
    smoothed = at.slider(key="m_hate_rate")
    assert smoothed.label.endswith("adjusted for small populations") and "(" not in smoothed.label
    assert "empirical Bayes" in smoothed.help
    assert "weighted mean" in at.slider(key="m_experienced_hate").help
