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
    """The bundled fictional city's config as it stands (its latest yearly delivery)."""
    path = demo_data_dir() / "city.toml"
    if not path.is_file():
        raise StoreError(
            f"The demo city's files are missing ({path}). Run citygeo from a clone of "
            "the repository (pip install -e .) or regenerate them with "
            "`python -m citygeo.demo`."
        )
    return path


def demo_deliveries() -> list[Path]:
    """The demo city's yearly deliveries, oldest first (``city-2024.toml`` … ``city.toml``)."""
    latest = demo_config_path()
    earlier = sorted(latest.parent.glob("city-[0-9][0-9][0-9][0-9].toml"))
    return [*earlier, latest]


def build_demo(
    store: Store, *, progress: Progress | None = None, draws: int = 1000
) -> list[IngestReport]:
    """Build the bundled fictional demo city from scratch as a city would: ingest each year's
    delivery in turn (the annual update, with a boundary change in 2026), then score every
    year."""
    reports = [
        ingest_city(path, store, progress=progress, rebuild=i == 0)
        for i, path in enumerate(demo_deliveries())
    ]
    score_store(store, draws=draws, progress=progress)
    return reports


def city_settings(store: Store) -> dict[str, str]:
    """The ``[city]`` settings recorded by the last ingest (name, fictional, …)."""
    if not store.exists() or "city" not in store.tables():
        return {}
    frame = store.query("SELECT key, value FROM city")
    return dict(zip(frame["key"], frame["value"], strict=True))
