"""A boundary change between two annual deliveries (DESIGN.md §2): reported, kept by vintage,
not comparable without a crosswalk, carried over and compared with one."""

from __future__ import annotations

import pandas as pd
import pytest

from citygeo.scoring import change_table
from citygeo.service.city import read_scores
from citygeo.service.map import boundary_note
from citygeo.store import Store
from tests.fixtures.annual import deliver, split_boundaries
from tests.fixtures.city import SmallCity, run_cli


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


def test_the_map_says_when_a_year_is_on_boundaries_it_cannot_draw(
    small_city: SmallCity, capsys
) -> None:
    _split_city(small_city, capsys, crosswalk=False)
    store = Store(small_city.store)
    scores = read_scores(store)
    drawn = store.neighbourhoods(geometry=False)
    note = boundary_note(scores, drawn, 2024)
    assert note is not None
    assert "N5 cannot be drawn" in note and "N5a, N5b show no score for 2024" in note
    assert "[boundaries] crosswalk" in note
    assert boundary_note(scores, drawn, 2025) is None  # drawn on its own boundaries


def test_no_boundary_note_for_a_year_carried_over(small_city: SmallCity, capsys) -> None:
    _split_city(small_city, capsys, crosswalk=True)
    store = Store(small_city.store)
    scores = read_scores(store)
    assert boundary_note(scores, store.neighbourhoods(geometry=False), 2024) is None
