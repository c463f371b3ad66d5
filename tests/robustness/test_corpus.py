"""The bad-input corpus: every case loads with its warning or fails cleanly, store unchanged."""

from __future__ import annotations

import pytest

from citygeo.store import Store
from tests.conftest import SmallCity, file_digest, run_cli
from tests.robustness.city import Baseline
from tests.robustness.corpus import CASES, Case, command_args


def test_corpus_is_broad() -> None:
    kinds = {case.id.split("-")[0] for case in CASES}
    assert {"bnd", "ind", "pts", "survey", "online", "stakeholders", "consultations", "config",
            "meth"} <= kinds
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, full_city: SmallCity, baseline: Baseline,
                   capsys: pytest.CaptureFixture[str]) -> None:
    baseline.install(full_city, scored=case.command == "score")
    case.breaks(full_city)
    before = file_digest(full_city.store)
    code, out, err = run_cli(command_args(case, full_city), capsys)
    assert "Traceback" not in out + err
    if case.outcome == "fails":
        assert code == 2, f"expected exit 2, got {code}\nstdout:\n{out}\nstderr:\n{err}"
        assert "error: " in err
        for fragment in case.fragments:
            assert fragment in err, f"{fragment!r} not in the message:\n{err}"
        assert file_digest(full_city.store) == before, "a failed run changed the store"
    else:
        assert code == 0, f"expected success, got {code}\nstderr:\n{err}"
        for fragment in case.fragments:
            assert fragment in out, f"{fragment!r} not among the warnings:\n{out}"
        if case.check is not None:
            case.check(Store(full_city.store))
