"""Settings of every layer: where things live, the public/analyst mode, the map's size limits."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

STORE_ENV = "CITYGEO_STORE"
DEFAULT_STORE_NAME = "citygeo.duckdb"
DEMO_STORE = Path(".citygeo") / "demo.duckdb"
REPO_ROOT = Path(__file__).resolve().parents[1]
# the dashboard's map files, served at /app/static/ (server.enableStaticServing)
STATIC_DIR = REPO_ROOT / "static"
DEMO_DATA_ENV = "CITYGEO_DEMO_DATA"


def resolve_store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The store to use: an explicit path, else ``$CITYGEO_STORE``, else ``./citygeo.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return Path(DEFAULT_STORE_NAME)


def dashboard_store_path() -> tuple[Path, bool]:
    """The store the dashboard opens, and whether it is the demo city built on first start.

    ``$CITYGEO_STORE`` wins, then ``./citygeo.duckdb``; when neither exists the demo city is
    (or will be) built into ``.citygeo/demo.duckdb`` under the current folder (DESIGN.md §7).
    """
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env), False
    if Path(DEFAULT_STORE_NAME).exists():
        return Path(DEFAULT_STORE_NAME), False
    return DEMO_STORE, True


def demo_data_dir() -> Path:
    """The folder holding the bundled fictional demo city (``data/`` of the repository)."""
    env = os.environ.get(DEMO_DATA_ENV)
    return Path(env) if env else REPO_ROOT / "data"


class Mode(StrEnum):
    """Who an output is for (DESIGN.md §6): the public (withheld values stay withheld, no
    incident points, no contacts) or analysts (everything, marked sensitive)."""

    PUBLIC = "public"
    ANALYST = "analyst"


def map_max_drawn() -> int:
    """Above this many neighbourhoods the map opens on the districts and draws one district at
    a time (``$CITYGEO_MAP_MAX_DRAWN``, default 8,000: software WebGL on 2 cores; a GPU takes
    more)."""
    return int(os.environ.get("CITYGEO_MAP_MAX_DRAWN", "8000"))


def map_max_outlined() -> int:
    """Above this many drawn neighbourhoods the map leaves out their outlines, which cost ~10×
    the fills in the browser (``$CITYGEO_MAP_MAX_OUTLINED``, default 2,000)."""
    return int(os.environ.get("CITYGEO_MAP_MAX_OUTLINED", "2000"))
