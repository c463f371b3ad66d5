"""Fixtures of the robustness tests: a full small city and its clean stores, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.city import SmallCity
from tests.robustness.city import Baseline, build_baseline, write_full_city


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    return build_baseline(tmp_path_factory.mktemp("baseline"))


@pytest.fixture
def full_city(tmp_path: Path) -> SmallCity:
    """The small grid city with survey, online signals, registers and methodology, as files."""
    return write_full_city(tmp_path / "city")
