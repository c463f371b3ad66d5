"""AppTest fixtures: the app on the session's demo store, or on an empty store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citygeo.settings import REPO_ROOT
from citygeo.store import Store

APP = str(REPO_ROOT / "app.py")
PAGES = "citygeo/ui/pages/"
TIMEOUT = 180


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    Store(path).initialise()
    return path


Run = Callable[..., AppTest]


def _runner(store: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("CITYGEO_STORE", str(store))
    monkeypatch.chdir(REPO_ROOT)

    def run(page: str = "map.py", **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in params.items():
            at.query_params[key] = value
        if page != "map.py":
            at.switch_page(PAGES + page)
        at.run()
        return at

    return run


@pytest.fixture
def demo_app(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    return _runner(demo_store, monkeypatch)


@pytest.fixture
def empty_app(empty_store: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    return _runner(empty_store, monkeypatch)
