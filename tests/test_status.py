"""`citygeo status`: what the store holds and which sources are overdue (mapping step 7)."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.city import SmallCity, run_cli


def test_status_lists_counts_and_overdue_sources(
    small_city: SmallCity, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["ingest", str(small_city.config), "--store", str(small_city.store)], capsys
    )
    assert code == 0, err
    code, out, err = run_cli(
        ["status", "--store", str(small_city.store), "--as-of", "2025-06-01"], capsys
    )
    assert code == 0, err
    assert "Test Town (a fictional demo city" in out
    counts = dict(re.findall(r"^  (\w+)\s+([\d,]+)$", out, flags=re.MULTILINE))
    assert (
        counts["incidents"] == "45" and counts["neighbourhoods"] == "9"
    )  # 1 + 2 + … + 9 incidents
    assert "not scored yet" in out
    # census: collected 2024-03 + P1Y → due 2025-03-01, 92 days overdue on 2025-06-01;
    # police: collected 2024-12 + P1Y → due 2025-12-01, not yet due.
    assert "1 sources are overdue" in out
    assert (
        "Test census (census): collected 2024-03, refresh P1Y, due 2025-03-01, 92 days overdue"
        in out
    )
    assert "police" not in out.split("overdue for review")[1]


def test_status_nothing_overdue(small_city: SmallCity, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(["ingest", str(small_city.config), "--store", str(small_city.store)], capsys)
    code, out, _ = run_cli(
        ["status", "--store", str(small_city.store), "--as-of", "2025-01-15"], capsys
    )
    assert code == 0
    assert "All sources are within their refresh cycle as of 2025-01-15" in out


def test_status_without_store(tmp_path, capsys):
    code, _, err = run_cli(["status", "--store", str(tmp_path / "none.duckdb")], capsys)
    assert code == 2 and "citygeo ingest" in err


def test_bad_refresh_duration_is_a_config_error(small_city: SmallCity, capsys) -> None:
    small_city.config.write_text(
        small_city.config.read_text().replace('refresh = "P1Y"', 'refresh = "yearly"', 1)
    )
    code, _, err = run_cli(
        ["ingest", str(small_city.config), "--store", str(small_city.store)], capsys
    )
    assert code == 2
    assert "[sources.census] refresh" in err and "'yearly'" in err
