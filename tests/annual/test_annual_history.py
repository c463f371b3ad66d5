"""The annual update: a new year's delivery adds to the store's history (DESIGN.md §2)."""

from __future__ import annotations

import pytest

from citygeo.store import Store
from tests.fixtures.annual import contents, deliver
from tests.fixtures.city import SmallCity, file_digest, run_cli


def _ingest(city: SmallCity, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run_cli(
        ["ingest", str(city.config), "--store", str(city.store), *extra], capsys
    )
    assert code == 0, err
    return out


def _score(
    city: SmallCity, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    return run_cli(["score", "--store", str(city.store), "--draws", "20", *extra], capsys)


def _years(store: Store, table: str, year_sql: str = "year") -> list[int]:
    frame = store.query(f"SELECT DISTINCT {year_sql} AS y FROM {table} ORDER BY y")
    return [int(y) for y in frame["y"]]


@pytest.fixture
def two_years(small_city: SmallCity, capsys: pytest.CaptureFixture[str]) -> SmallCity:
    deliver(small_city, 2024)
    _ingest(small_city, capsys)
    assert _score(small_city, capsys)[0] == 0
    deliver(small_city, 2025, scale=2.0)
    _ingest(small_city, capsys)
    assert _score(small_city, capsys, "--year", "2025")[0] == 0
    return small_city


def test_second_delivery_keeps_the_first_years_inputs_and_scores(two_years: SmallCity) -> None:
    store = Store(two_years.store)
    assert _years(store, "indicator_values") == [2024, 2025]
    assert _years(store, "incidents", "year(occurred_on)") == [2024, 2025]
    # 2024's rows are exactly the first delivery's: 9 × 2 indicators, 1 + 2 + … + 9 incidents.
    values = store.query(
        "SELECT year, count(*) AS n, sum(value) AS s FROM indicator_values "
        "WHERE indicator = 'unemployed_pct' GROUP BY year ORDER BY year"
    )
    assert values["s"].tolist() == [45.0, 90.0]  # 1..9, then 2 × 1..9
    incidents = store.query(
        "SELECT year(occurred_on) AS y, count(*) AS n FROM incidents GROUP BY y ORDER BY y"
    )
    assert incidents["n"].tolist() == [45, 54]  # Σ i, then Σ (i + 1)
    assert set(store.query("SELECT DISTINCT source_id FROM indicator_values")["source_id"]) == {
        "census"
    }
    scored = store.query("SELECT DISTINCT year FROM scores ORDER BY year")["year"].tolist()
    assert scored == [2024, 2025]


def test_status_lists_every_year_held_and_scored(two_years: SmallCity, capsys) -> None:
    code, out, _ = run_cli(
        ["status", "--store", str(two_years.store), "--as-of", "2025-06-01"], capsys
    )
    assert code == 0
    assert "census           indicator_values 2024, 2025" in out
    assert "police           incidents 2024, 2025" in out
    assert "t.1 (sha256" in out and ": 2024, 2025" in out


def test_rescoring_the_first_year_with_a_new_methodology(two_years: SmallCity, capsys) -> None:
    text = (two_years.folder / "methodology.toml").read_text()
    two_years.write(
        "methodology2.toml",
        text.replace('version = "t.1"', 'version = "t.2"').replace(
            "weight = 1.0", "weight = 2.0", 1
        ),
    )
    code, out, err = _score(
        two_years,
        capsys,
        "--year",
        "2024",
        "--methodology",
        str(two_years.folder / "methodology2.toml"),
    )
    assert code == 0, err
    assert "scored 9 neighbourhoods × 1 years with methodology t.2" in out
    store = Store(two_years.store)
    rows = store.query(
        "SELECT s.year, m.version FROM scores s JOIN methodologies m "
        "ON m.sha256 = s.methodology_sha256 WHERE grp = 'all' GROUP BY ALL ORDER BY ALL"
    )
    assert rows.values.tolist() == [[2024, "t.1"], [2024, "t.2"], [2025, "t.1"]]
    _, status, _ = run_cli(["status", "--store", str(two_years.store)], capsys)
    assert "t.1 (sha256" in status and "2024 (superseded), 2025" in status
    assert "t.2 (sha256" in status


def test_the_same_delivery_twice_changes_no_contents(two_years: SmallCity, capsys) -> None:
    before = contents(Store(two_years.store))
    _ingest(two_years, capsys)
    assert contents(Store(two_years.store)) == before


def test_a_year_not_held_is_exit_2_listing_the_held_years(two_years: SmallCity, capsys) -> None:
    digest = file_digest(two_years.store)
    code, _, err = _score(two_years, capsys, "--year", "2023")
    assert code == 2
    assert "Traceback" not in err and "TypeError" not in err
    assert "no data for 2023" in err and "years held: 2024, 2025" in err
    assert file_digest(two_years.store) == digest


def test_removing_a_source_year_on_purpose(two_years: SmallCity, capsys) -> None:
    store = Store(two_years.store)
    code, out, err = run_cli(
        ["remove", "--store", str(store.path), "--source", "police", "--year", "2024"], capsys
    )
    assert code == 0, err
    assert "removed police 2024: 45 from incidents" in out
    assert _years(store, "incidents", "year(occurred_on)") == [2025]
    assert _years(store, "indicator_values") == [2024, 2025]  # other sources untouched
    digest = file_digest(store.path)
    for args, words in (
        (["--source", "nope", "--year", "2024"], "no source 'nope'"),
        (["--source", "police", "--year", "2024"], "holds no data for 2024"),
    ):
        code, _, err = run_cli(["remove", "--store", str(store.path), *args], capsys)
        assert code == 2 and words in err and "Traceback" not in err
        assert file_digest(store.path) == digest


def test_rebuild_starts_from_scratch(two_years: SmallCity, capsys) -> None:
    _ingest(two_years, capsys, "--rebuild")
    store = Store(two_years.store)
    assert _years(store, "indicator_values") == [2025]
    assert _years(store, "incidents", "year(occurred_on)") == [2025]
    assert store.count("scores") == 0


def test_collected_follows_the_newest_year_ingested(two_years: SmallCity, capsys) -> None:
    # The config still says police collected 2024-12: the 2025 delivery makes it 2025.
    store = Store(two_years.store)
    collected = dict(store.query("SELECT source_id, collected FROM sources").values.tolist())
    assert collected == {"census": "2025", "police": "2025"}
    _, out, _ = run_cli(["status", "--store", str(store.path), "--as-of", "2025-12-31"], capsys)
    assert "All sources are within their refresh cycle" in out


def test_help_says_how_to_rebuild_and_remove(capsys) -> None:
    _, out, _ = run_cli(["ingest", "--help"], capsys)
    assert "--rebuild" in out and "citygeo remove" in out
    _, out, _ = run_cli(["remove", "--help"], capsys)
    assert "--source" in out and "--year" in out
