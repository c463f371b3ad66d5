"""The typed fast path of the points CSV read and the text path give the same result (issue 16).

``citygeo.ingest.points`` reads a CSV's coordinates as numbers first and falls back to the
all-text read when any value is not one. Every case of the bad-input corpus is run through
both (``TYPED_READ`` on and off): the exit code, the whole message or report printed and the
store contents (per table, every row) must be identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citygeo.config import PointsSpec
from citygeo.ingest import points
from citygeo.store import Store
from tests.fixtures.city import SmallCity, file_digest, run_cli
from tests.robustness.city import Baseline
from tests.robustness.corpus import CASES, Case, command_args
from tests.robustness.processes import fingerprint

INGEST_CASES = [case for case in CASES if case.command == "ingest"]


def _run(
    case: Case,
    city: SmallCity,
    baseline: Baseline,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    typed: bool,
) -> tuple[int, str, str, object]:
    monkeypatch.setattr(points, "TYPED_READ", typed)
    baseline.install(city)
    code, out, err = run_cli(command_args(case, city), capsys)
    return code, out, err, fingerprint(city.store) if code == 0 else file_digest(city.store)


@pytest.mark.parametrize("case", INGEST_CASES, ids=[c.id for c in INGEST_CASES])
def test_typed_and_text_paths_agree(
    case: Case,
    full_city: SmallCity,
    baseline: Baseline,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case.breaks(full_city)
    typed = _run(case, full_city, baseline, capsys, monkeypatch, typed=True)
    text = _run(case, full_city, baseline, capsys, monkeypatch, typed=False)
    assert typed[0] == text[0]
    assert typed[1] == text[1], "the reports differ"
    assert typed[2] == text[2], "the messages differ"
    assert typed[3] == text[3], "the stores differ"


def _spec(path: Path) -> PointsSpec:
    return PointsSpec(kind="incidents", path=path, id="id", lon="lon", lat="lat", date="date")


@pytest.mark.parametrize(
    ("lon", "typed", "x"),
    [
        ("-29.5", True, -29.5),
        (" -29.5 ", True, -29.5),
        ("", True, None),
        ("-29,5", False, None),
        ("west", False, None),
        ("0x10", False, None),
    ],
)
def test_the_typed_read_is_taken_only_when_every_value_is_a_number(
    tmp_path: Path, lon: str, typed: bool, x: float | None
) -> None:
    """Otherwise the first test would compare the text path with itself."""
    path = tmp_path / "points.csv"
    value = f'"{lon}"' if "," in lon else lon
    path.write_text(f"id,lon,lat,date\na,-29.25,-40.5,2024-01-02\nb,{value},-40.5,2024-01-03\n")
    with Store(tmp_path / "store.duckdb").writer() as con:
        assert points._parse_typed(con, _spec(path), "utf-8") is typed
        if typed:
            rows = con.execute(
                f"SELECT id, __x, __y, __date_text, __commas FROM {points._PARSED} ORDER BY rowid"
            ).fetchall()
            assert rows[0] == ("a", -29.25, -40.5, "2024-01-02", 0)
            assert rows[1] == ("b", x, -40.5, "2024-01-03", 0)
        assert con.execute("SELECT 42").fetchone() == (42,)  # the transaction is still usable
