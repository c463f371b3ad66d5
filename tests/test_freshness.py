"""Freshness: ISO 8601 durations, collected dates, due dates and overdue sources."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from citygeo.errors import ConfigError
from citygeo.rules.freshness import (
    Duration,
    add_duration,
    due_date,
    overdue_sources,
    parse_collected,
    parse_duration,
    shift_months,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1Y", Duration(years=1)),
        ("P6M", Duration(months=6)),
        ("P3M", Duration(months=3)),
        ("P2W", Duration(weeks=2)),
        ("P90D", Duration(days=90)),
        ("P1Y6M", Duration(years=1, months=6)),
        (" p1y ", Duration(years=1)),
    ],
)
def test_parse_duration_accepts_date_durations(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "1Y", "P1.5Y", "PT12H", "P1Y2H", "P-1M", "yearly", "P0D"]
)
def test_parse_duration_rejects_bad_input_naming_the_value(text: str) -> None:
    with pytest.raises(ConfigError, match=f"refresh '{text}'"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021", dt.date(2021, 1, 1)),
        ("2021-03", dt.date(2021, 3, 1)),
        ("2021-03-15", dt.date(2021, 3, 15)),
        (dt.date(2020, 5, 6), dt.date(2020, 5, 6)),
        (pd.Timestamp("2020-05-06"), dt.date(2020, 5, 6)),
    ],
)
def test_parse_collected_takes_the_first_day_of_the_period(text: str, expected: dt.date) -> None:
    assert parse_collected(text) == expected


@pytest.mark.parametrize("text", ["21-03", "2021/03", "2021-13", "2021-02-30", "March 2021"])
def test_parse_collected_rejects_bad_dates(text: str) -> None:
    with pytest.raises(ConfigError, match="collected"):
        parse_collected(text)


def test_shift_months_clamps_to_month_end() -> None:
    assert shift_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)  # leap year
    assert shift_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert shift_months(dt.date(2024, 3, 15), -12) == dt.date(2023, 3, 15)
    assert shift_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)


def test_add_duration_and_due_date() -> None:
    assert add_duration(dt.date(2021, 3, 1), Duration(years=1)) == dt.date(2022, 3, 1)
    # 2 weeks = 14 days: 25 Dec + 14 = 8 Jan.
    assert due_date("2023-12-25", "P2W") == dt.date(2024, 1, 8)
    # Months first, then days: 31 Jan + 1 month = 29 Feb (2024), + 1 day = 1 Mar.
    assert add_duration(dt.date(2024, 1, 31), Duration(months=1, days=1)) == dt.date(2024, 3, 1)
    assert due_date("2021-03", "P6M") == dt.date(2021, 9, 1)


def test_overdue_sources_known_answers() -> None:
    sources = pd.DataFrame(
        {
            "source_id": ["census", "police", "survey", "registers"],
            "name": ["Census", "Police", "Survey", "Registers"],
            "collected": ["2021-03", "2024-06-01", "2024", None],
            "refresh": ["P1Y", "P3M", "P1Y", "P6M"],
        }
    )
    as_of = dt.date(2024, 9, 1)
    result = overdue_sources(sources, as_of)
    assert list(result.columns) == [
        "source_id",
        "name",
        "collected",
        "refresh",
        "due",
        "overdue",
        "days_overdue",
    ]
    by_id = result.set_index("source_id")
    # census: due 2022-03-01; 2022-03-01 -> 2024-09-01 is 365 + 366 (2024 leap, Feb 29
    # falls inside) + (Mar..Aug 2024 = 31+30+31+30+31+31 = 184) = 915 days.
    assert by_id.loc["census", "due"] == dt.date(2022, 3, 1)
    assert by_id.loc["census", "days_overdue"] == 915
    assert bool(by_id.loc["census", "overdue"])
    # police: due 2024-09-01 == as_of: due today, not overdue.
    assert by_id.loc["police", "due"] == dt.date(2024, 9, 1)
    assert not bool(by_id.loc["police", "overdue"])
    assert by_id.loc["police", "days_overdue"] == 0
    # survey: 2024-01-01 + 1 year = 2025-01-01, in the future.
    assert by_id.loc["survey", "due"] == dt.date(2025, 1, 1)
    assert not bool(by_id.loc["survey", "overdue"])
    # registers: no collected date -> no due date, not overdue, days unknown.
    assert by_id.loc["registers", "due"] is None
    assert not bool(by_id.loc["registers", "overdue"])
    assert pd.isna(by_id.loc["registers", "days_overdue"])


def test_overdue_sources_reports_every_bad_source_at_once() -> None:
    sources = pd.DataFrame(
        {
            "source_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "collected": ["2021-03", "2021-99", "2020"],
            "refresh": ["annually", "P1Y", "P1Y"],
        }
    )
    with pytest.raises(ConfigError, match="(?s)source 'a'.*annually.*source 'b'.*2021-99"):
        overdue_sources(sources, dt.date(2024, 1, 1))


def test_overdue_sources_requires_columns() -> None:
    with pytest.raises(ConfigError, match="refresh"):
        no_refresh = pd.DataFrame({"source_id": [], "name": [], "collected": []})
        overdue_sources(no_refresh, dt.date(2024, 1, 1))
