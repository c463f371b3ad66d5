"""Counts tables (``[[counts]]``): the same scores as the points they count; bad counts refused."""

from __future__ import annotations

import pandas as pd
import pytest

from citygeo.store import Store
from tests.fixtures.city import SmallCity, run_cli
from tests.fixtures.realcities import ingest, ingest_fails, score, write_methodology

COUNTS = """
[[counts]]
path = "counts.csv"
id = "ward"
period = "month"
category = "offence"
count = "n"
source = "police"
"""


def _points_to_counts(city: SmallCity, period: str = "2024-05") -> pd.DataFrame:
    """The small city's incidents counted per neighbourhood by hand (each cell's points lie in
    it)."""
    points = pd.read_csv(city.folder / "incidents.csv")
    points["ward"] = points["incident_id"].str.extract(r"^I(\d+)-")[0].map(lambda i: f"N{i}")
    counts = points.groupby(["ward", "category"]).size().rename("n").reset_index()
    return counts.rename(columns={"category": "offence"}).assign(month=period)


def _as_counts(city: SmallCity, counts: pd.DataFrame) -> None:
    counts.to_csv(city.folder / "counts.csv", index=False)
    text = city.config.read_text()
    start = text.index("[[points]]")
    end = text.index("[sources.census]")
    city.config.write_text(text[:start] + COUNTS.lstrip() + "\n" + text[end:])


def test_counts_give_the_same_scores_as_points(small_city: SmallCity, capsys, tmp_path) -> None:
    methodology = write_methodology(small_city.folder)
    ingest(small_city.config, small_city.store, capsys)
    from_points = score(small_city.store, methodology, capsys)
    _as_counts(small_city, _points_to_counts(small_city))
    other = tmp_path / "counts.duckdb"
    ingest(small_city.config, other, capsys)
    from_counts = score(other, methodology, capsys)
    columns = [
        "risk_score",
        "risk_rank",
        "raw__hate_rate",
        "n__hate_rate",
        "measure__hate_rate",
        "domain__tensions",
        "hotspot",
    ]
    pd.testing.assert_frame_equal(from_counts[columns], from_points[columns], check_dtype=False)
    assert from_counts["flags"].map(list).tolist() == from_points["flags"].map(list).tolist()
    assert from_counts.loc["N9", "raw__hate_rate"] == pytest.approx(9 / 9000 * 1000)


def test_small_counts_are_protected_as_points(small_city: SmallCity, capsys) -> None:
    _as_counts(small_city, _points_to_counts(small_city))
    ingest(small_city.config, small_city.store, capsys)
    scores = score(small_city.store, write_methodology(small_city.folder), capsys)
    # min_count = 2 and 1 event in N1 (one hate_crime): a small cell, flagged suppressed.
    assert "suppressed:hate_rate" in list(scores.loc["N1", "flags"])
    assert "suppressed:hate_rate" not in list(scores.loc["N9", "flags"])


@pytest.mark.parametrize(
    ("period", "stored", "kind"),
    [
        ("2024", "2024-01-01", "year"),
        ("2024-05", "2024-05-01", "month"),
        ("2024-05-17", "2024-05-17", "day"),
    ],
)
def test_periods(small_city: SmallCity, capsys, period: str, stored: str, kind: str) -> None:
    _as_counts(small_city, _points_to_counts(small_city, period))
    ingest(small_city.config, small_city.store, capsys)
    with Store(small_city.store).reader() as con:
        rows = con.execute(
            "SELECT DISTINCT CAST(period AS VARCHAR), period_kind FROM incident_counts"
        ).fetchall()
    assert rows == [(stored, kind)]


@pytest.mark.parametrize(
    ("value", "words"),
    [("-3", "is negative"), ("2.5", "is not a whole number"), ("many", "is not a number")],
)
def test_bad_counts_are_refused(small_city: SmallCity, capsys, value: str, words: str) -> None:
    ingest(small_city.config, small_city.store, capsys)
    counts = _points_to_counts(small_city).astype({"n": object})
    counts.loc[3, "n"] = value
    _as_counts(small_city, counts)
    ingest_fails(
        small_city.config, small_city.store, capsys, "counts.csv", "line 5", "column 'n'", words
    )


def test_unknown_period_asks_for_date_format(small_city: SmallCity, capsys) -> None:
    ingest(small_city.config, small_city.store, capsys)
    _as_counts(small_city, _points_to_counts(small_city, "05/2024"))
    ingest_fails(
        small_city.config,
        small_city.store,
        capsys,
        "column 'month'",
        "'05/2024'",
        "date_format",
        "[[counts]] entry",
    )


def test_date_format_on_counts(small_city: SmallCity, capsys) -> None:
    _as_counts(small_city, _points_to_counts(small_city, "05/2024"))
    small_city.config.write_text(
        small_city.config.read_text().replace(
            'period = "month"', 'period = "month"\ndate_format = "%m/%Y"'
        )
    )
    ingest(small_city.config, small_city.store, capsys)
    with Store(small_city.store).reader() as con:
        rows = con.execute(
            "SELECT DISTINCT CAST(period AS VARCHAR), period_kind FROM incident_counts"
        ).fetchall()
    assert rows == [("2024-05-01", "month")]


def test_counts_and_points_of_one_category_and_year_are_refused(
    small_city: SmallCity, capsys
) -> None:
    _points_to_counts(small_city).to_csv(small_city.folder / "counts.csv", index=False)
    small_city.config.write_text(small_city.config.read_text() + COUNTS)
    ingest_fails(small_city.config, small_city.store, capsys, "both as points and as counts")


def test_counts_for_other_years_join_the_points(small_city: SmallCity, capsys) -> None:
    counts = _points_to_counts(small_city, "2023")
    counts.to_csv(small_city.folder / "counts.csv", index=False)
    small_city.config.write_text(small_city.config.read_text() + COUNTS)
    ingest(small_city.config, small_city.store, capsys)
    with Store(small_city.store).reader() as con:
        years = con.execute(
            "SELECT year(period), sum(count) FROM incident_counts GROUP BY 1"
        ).fetchall()
    assert years == [(2023, float(sum(range(1, 10))))]


def test_a_second_year_of_counts_adds_to_the_first(small_city: SmallCity, capsys) -> None:
    """The annual update: a delivery of 2025's counts keeps 2024's; the same delivery twice
    changes nothing; status lists both years of the counts' source."""
    first = _points_to_counts(small_city, "2024-05")
    _as_counts(small_city, first)
    ingest(small_city.config, small_city.store, capsys)
    second = first.assign(month="2025-05", n=first["n"] + 1)
    second.to_csv(small_city.folder / "counts.csv", index=False)
    ingest(small_city.config, small_city.store, capsys)
    ingest(small_city.config, small_city.store, capsys)
    held = Store(small_city.store).query(
        "SELECT year(period) AS y, source_id, sum(count) AS n, count(*) AS rows "
        "FROM incident_counts GROUP BY ALL ORDER BY y"
    )
    assert held["y"].tolist() == [2024, 2025]
    assert held["source_id"].tolist() == ["police", "police"]
    assert held["n"].tolist() == [first["n"].sum(), first["n"].sum() + len(first)]
    assert held["rows"].tolist() == [len(first), len(first)]
    code, out, _ = run_cli(["status", "--store", str(small_city.store)], capsys)
    assert code == 0
    assert "police" in out and "2024" in out and "2025" in out
