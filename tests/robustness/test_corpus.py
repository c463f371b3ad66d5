"""The bad-input corpus: every case loads with its warning or fails cleanly, store unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.city import SmallCity, file_digest, run_cli
from tests.robustness.city import Baseline, write_full_city
from tests.robustness.corpus import CASES, Case, command_args
from tests.robustness.processes import PlainStore, start


def test_corpus_is_broad() -> None:
    kinds = {case.id.split("-")[0] for case in CASES}
    assert {
        "bnd",
        "ind",
        "pts",
        "survey",
        "online",
        "stakeholders",
        "consultations",
        "config",
        "meth",
    } <= kinds
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case, full_city: SmallCity, baseline: Baseline, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline.install(full_city, scored=case.command == "score")
    case.breaks(full_city)
    before = file_digest(full_city.store)
    code, out, err = run_cli(command_args(case, full_city), capsys)
    assert "Traceback" not in out + err
    if case.outcome == "fails":
        assert code == 2, f"expected exit 2, got {code}\nstdout:\n{out}\nstderr:\n{err}"
        assert err.lstrip().startswith("error: ")
        for fragment in case.fragments:
            assert fragment in err, f"{fragment!r} not in the message:\n{err}"
        assert file_digest(full_city.store) == before, "a failed run changed the store"
    else:
        assert code == 0, f"expected success, got {code}\nstderr:\n{err}"
        for fragment in case.fragments:
            assert fragment in out, f"{fragment!r} not among the warnings:\n{out}"
        if case.check is not None:
            case.check(PlainStore(full_city.store))


SUBPROCESS_CASES = [
    "ind-overflow-1e400",
    "pts-duplicate-ids",
    "config-unknown-projected-crs",
    "bnd-mixed-geometry-types",
]


def test_bad_input_in_real_processes(tmp_path: Path, baseline: Baseline) -> None:
    """A few corpus cases through the real ``python -m citygeo ingest``: exit 2, no traceback."""
    cases = {case.id: case for case in CASES}
    runs = []
    for name in SUBPROCESS_CASES:
        city = write_full_city(tmp_path / name / "city")
        baseline.install(city)
        cases[name].breaks(city)
        runs.append(
            (
                cases[name],
                city,
                file_digest(city.store),
                start(command_args(cases[name], city), tmp_path),
            )
        )
    for case, city, before, proc in runs:  # all four run at once
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 2, err
        assert "Traceback" not in err
        assert err.lstrip().startswith("error: "), err
        for fragment in case.fragments:
            assert fragment in err, f"{case.id}: {fragment!r} not in:\n{err}"
        assert file_digest(city.store) == before
