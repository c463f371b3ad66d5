"""A boundary change between two annual deliveries (DESIGN.md §2): reported, kept by vintage,
not comparable without a crosswalk, carried over and compared with one."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from citygeo.errors import InputError
from citygeo.scoring import change_table
from citygeo.service.city import load, read_scores
from citygeo.service.map import boundary_note, year_vintage
from citygeo.service.profile import profile
from citygeo.settings import REPO_ROOT
from citygeo.store import Store
from tests.fixtures.annual import deliver, split_boundaries
from tests.fixtures.city import SmallCity, run_cli
from tests.ui.conftest import _runner


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    return out


def _split_city(city: SmallCity, capsys, *, crosswalk: bool) -> str:
    store = ["--store", str(city.store)]
    deliver(city, 2024)
    _run(["ingest", str(city.config), *store], capsys)
    _run(["score", *store, "--draws", "20"], capsys)
    boundaries = split_boundaries(city)
    deliver(
        city,
        2025,
        boundaries=boundaries,
        split=True,
        crosswalk="crosswalk.csv" if crosswalk else None,
    )
    out = _run(["ingest", str(city.config), *store], capsys)
    _run(["score", *store, "--draws", "20"], capsys)
    return out


def _change(city: SmallCity) -> pd.DataFrame:
    scores = read_scores(Store(city.store))
    return change_table(scores, 2024, 2025).set_index("nid")


def test_the_report_names_the_split_neighbourhood(small_city: SmallCity, capsys) -> None:
    out = _split_city(small_city, capsys, crosswalk=False)
    text = " ".join(out.split())
    assert "the boundaries changed" in text
    assert "2 added (N5a, N5b)" in text and "1 removed (N5)" in text
    assert "not comparable" in text and "[boundaries] crosswalk" in text
    store = Store(small_city.store)
    vintages = store.query(
        "SELECT vintage, min(first_year) AS y, count(*) AS n FROM "
        "boundary_vintages GROUP BY vintage ORDER BY y"
    )
    assert vintages[["y", "n"]].values.tolist() == [[2024, 9], [2025, 10]]
    assert sorted(store.neighbourhoods(geometry=False)["nid"]) == [
        "N1",
        "N2",
        "N3",
        "N4",
        "N5a",
        "N5b",
        "N6",
        "N7",
        "N8",
        "N9",
    ]
    _, status, _ = run_cli(["status", "--store", str(store.path)], capsys)
    assert status.count("boundaries ") == 2


def test_without_a_crosswalk_the_change_is_not_comparable(small_city: SmallCity, capsys) -> None:
    _split_city(small_city, capsys, crosswalk=False)
    scores = read_scores(Store(small_city.store))
    # 2024 stays on the boundaries it was scored on (9 neighbourhoods, N5 whole).
    assert sorted(scores.loc[scores["year"] == 2024, "nid"])[4] == "N5"
    assert (scores["year"] == 2024).sum() == 9 and (scores["year"] == 2025).sum() == 10
    change = _change(small_city)
    assert not change["comparable"].any()
    assert (
        "the neighbourhood boundaries changed between 2024 and 2025" in change.loc["N1", "reason"]
    )
    assert "no crosswalk" in change.loc["N1", "reason"]


def test_with_a_crosswalk_the_earlier_year_is_carried_and_compared(
    small_city: SmallCity, capsys
) -> None:
    out = _split_city(small_city, capsys, crosswalk=True)
    assert "The crosswalk links the codes (2 rows)" in " ".join(out.split())
    scores = read_scores(Store(small_city.store), mode="analyst")
    before = scores[scores["year"] == 2024].set_index("nid")
    assert sorted(before.index) == sorted(scores.loc[scores["year"] == 2025, "nid"])
    # N5's 2024 rate is carried to both halves (a weighted mean of one code: the same value).
    assert (
        before.loc["N5a", "raw__unemployed_pct"] == before.loc["N5b", "raw__unemployed_pct"] == 5.0
    )
    # Its 5 incidents are recounted where they lie: 2 west of the new line, 3 east of it.
    assert (before.loc["N5a", "n__hate_rate"], before.loc["N5b", "n__hate_rate"]) == (2, 3)
    assert (before["carried_from_vintage"].notna()).all()
    change = _change(small_city)
    assert change["comparable"].all()
    assert change["risk_rank_change"].notna().all()


def test_points_kept_from_an_earlier_delivery_move_to_the_new_boundaries(
    small_city: SmallCity, capsys
) -> None:
    out = _split_city(small_city, capsys, crosswalk=False)
    store = Store(small_city.store)
    kept = store.query(
        "SELECT nid, count(*) AS n FROM incidents WHERE year(occurred_on) = 2024 "
        "GROUP BY nid ORDER BY nid"
    ).set_index("nid")["n"]
    # The 2024 file was assigned on the old boundaries (N5 whole); no row may keep the
    # retired code, and N5's five incidents are where they lie now: 2 west, 3 east.
    assert "N5" not in kept.index
    assert (kept["N5a"], kept["N5b"]) == (2, 3)
    assert "5 incidents changed neighbourhood" in " ".join(out.split())
    # Every point is where the current boundaries put it, as a fresh spatial join says.
    wrong = store.query(
        "SELECT count(*) AS n FROM incidents i JOIN neighbourhoods n "
        "ON ST_Contains(n.geom, i.geom) WHERE i.nid IS DISTINCT FROM n.nid"
    )
    assert int(wrong["n"].iloc[0]) == 0


def test_a_year_is_drawn_on_the_boundaries_it_was_scored_on(
    small_city: SmallCity, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a crosswalk, the map of 2024 draws 2024's nine neighbourhoods (N5 whole) and
    says why; the map of 2025 draws today's ten."""
    _split_city(small_city, capsys, crosswalk=False)
    store = Store(small_city.store)
    scores = read_scores(store)
    drawn = store.neighbourhoods(geometry=False)
    assert year_vintage(scores, 2025) is None
    old = year_vintage(scores, 2024)
    assert old is not None and old == scores.loc[scores["year"] == 2024, "boundary_vintage"].iloc[0]
    note = boundary_note(scores, drawn, 2024)
    assert note is not None
    assert "only then: N5; only now: N5a, N5b" in note and "not comparable" in note
    assert "[boundaries] crosswalk" in note
    assert boundary_note(scores, drawn, 2025) is None
    run = _runner(small_city.store, monkeypatch)
    for year, codes in ((2024, 9), (2025, 10)):
        at = run("map.py", year=str(year))
        assert not at.exception, at.exception
        layer = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"][0]
        features = json.loads((REPO_ROOT / "static" / layer["data"].rsplit("/", 1)[1]).read_text())[
            "features"
        ]
        nids = sorted(f["properties"]["nid"] for f in features)
        assert len(nids) == codes
        assert ("N5" in nids) is (year == 2024) and ("N5a" in nids) is (year == 2025)
        infos = " ".join(i.value for i in at.info)
        assert ("drawn on the neighbourhood boundaries it was scored on" in infos) is (year == 2024)


def test_no_boundary_note_for_a_year_carried_over(small_city: SmallCity, capsys) -> None:
    _split_city(small_city, capsys, crosswalk=True)
    store = Store(small_city.store)
    scores = read_scores(store)
    assert boundary_note(scores, store.neighbourhoods(geometry=False), 2024) is None


def test_exports_give_each_year_the_polygons_it_was_scored_on(
    small_city: SmallCity, capsys, tmp_path
) -> None:
    """Without a crosswalk, 2024's rows carry 2024's polygons (N5 whole), 2025's today's."""
    _split_city(small_city, capsys, crosswalk=False)
    path = tmp_path / "all.gpkg"
    code, _, err = run_cli(
        ["export", "--store", str(small_city.store), "--format", "gpkg", "--out", str(path)], capsys
    )
    assert code == 0, err
    frame = gpd.read_file(path)
    by_year = {y: sorted(f["nid"]) for y, f in frame.groupby("year")}
    assert len(by_year[2024]) == 9 and "N5" in by_year[2024]
    assert len(by_year[2025]) == 10 and {"N5a", "N5b"} <= set(by_year[2025])
    n5 = frame[(frame["year"] == 2024) & (frame["nid"] == "N5")].geometry.iloc[0]
    halves = frame[(frame["year"] == 2025) & frame["nid"].isin(["N5a", "N5b"])].union_all()
    assert n5.symmetric_difference(halves).area < 1e-12  # the old whole, not a half
    assert frame.geometry.notna().all()


def test_the_profile_of_a_code_the_new_boundaries_dropped(small_city: SmallCity, capsys) -> None:
    """Clicking N5 on the 2024 map opens its profile: its last scored year, not an error."""
    _split_city(small_city, capsys, crosswalk=False)
    city = load(Store(small_city.store))
    old = profile(city, "N5")
    assert old.year == 2024 and old.row is not None
    assert old.row["nid"] == "N5" and old.district is None
    assert profile(city, "N5a").year == 2025
    with pytest.raises(InputError):
        profile(city, "N99")
