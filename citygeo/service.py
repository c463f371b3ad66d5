"""Use cases shared by the CLI and the dashboard (L3): build the demo, ingest, score."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from citygeo.errors import StoreError
from citygeo.ingest import IngestReport, ingest_city
from citygeo.settings import demo_data_dir
from citygeo.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def demo_config_path() -> Path:
    """The bundled fictional city's config file."""
    path = demo_data_dir() / "city.toml"
    if not path.is_file():
        raise StoreError(f"The demo city's files are missing ({path}). Run citygeo from a clone of "
                         "the repository (pip install -e .) or regenerate them with "
                         "`python -m citygeo.demo`.")
    return path


def build_demo(store: Store, *, progress: Progress | None = None) -> IngestReport:
    """Ingest (and score, once scoring exists) the bundled fictional demo city."""
    return ingest_city(demo_config_path(), store, progress=progress)


def city_settings(store: Store) -> dict[str, str]:
    """The ``[city]`` settings recorded by the last ingest (name, fictional, …)."""
    if not store.exists() or "city" not in store.tables():
        return {}
    frame = store.query("SELECT key, value FROM city")
    return dict(zip(frame["key"], frame["value"], strict=True))
