"""Shared fixtures: the small hand-built city (tests/fixtures/city.py), the demo city."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.city import (  # noqa: F401  (re-exported for the test modules)
    BASE_CONFIG,
    ORIGIN,
    STEP,
    SmallCity,
    cell_centre,
    file_digest,
    grid_city,
    run_cli,
    write_small_city,
)


@pytest.fixture
def small_city(tmp_path: Path) -> SmallCity:
    """A valid 9-neighbourhood city with indicators and incidents, as files."""
    return write_small_city(tmp_path)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fictional demo city built once per test session, as `citygeo demo` does."""
    from citygeo.service.demo import build_demo
    from citygeo.store import Store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(Store(path))
    return path
