"""The bundled fictional demo city: ingest and score it in one step (``citygeo demo``, the
dashboard's first start)."""

from __future__ import annotations

from pathlib import Path

from citygeo.errors import StoreError
from citygeo.ingest import IngestReport, ingest_city
from citygeo.service.scoring import Progress, score_store
from citygeo.settings import demo_data_dir
from citygeo.store import Store


def demo_config_path() -> Path:
    """The bundled fictional city's config file."""
    path = demo_data_dir() / "city.toml"
    if not path.is_file():
        raise StoreError(
            f"The demo city's files are missing ({path}). Run citygeo from a clone of "
            "the repository (pip install -e .) or regenerate them with "
            "`python -m citygeo.demo`."
        )
    return path


def build_demo(
    store: Store, *, progress: Progress | None = None, draws: int = 1000
) -> IngestReport:
    """Ingest and score the bundled fictional demo city."""
    report = ingest_city(demo_config_path(), store, progress=progress)
    score_store(store, draws=draws, progress=progress)
    return report


def city_settings(store: Store) -> dict[str, str]:
    """The ``[city]`` settings recorded by the last ingest (name, fictional, …)."""
    if not store.exists() or "city" not in store.tables():
        return {}
    frame = store.query("SELECT key, value FROM city")
    return dict(zip(frame["key"], frame["value"], strict=True))
