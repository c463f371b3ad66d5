"""The map's static files when many officials open pages at once.

Streamlit runs every session's script in a thread of one server process, so two sessions can
write the same map file, or prune old ones, at the same moment (found by benchmarks/load.py
--server: the second session's page showed "No such file or directory").
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from citygeo.ui import cache


def _features(k: int) -> list[dict[str, object]]:
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [k, i]},
            "properties": {"nid": f"N{i:03d}", "k": k},
        }
        for i in range(2000)
    ]


def _at_once(calls: list[object], workers: int) -> list[str]:
    barrier = threading.Barrier(workers)

    def run(call: object) -> str:
        barrier.wait()
        return call()  # type: ignore[operator]

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, calls))


def test_sessions_writing_the_same_map_file_at_once_all_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "STATIC_DIR", tmp_path / "static")
    for round_ in range(15):
        features = _features(round_)
        urls = _at_once([lambda f=features: cache.static_geojson(f)] * 8, workers=8)
        assert len(set(urls)) == 1
        written = tmp_path / "static" / urls[0].removeprefix("app/static/")
        assert orjson.loads(written.read_bytes())["features"] == features
    assert not list((tmp_path / "static").glob("*.tmp*"))  # no temporary file left behind


def test_pruning_while_others_write_keeps_the_newest_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "STATIC_DIR", tmp_path / "static")
    monkeypatch.setattr(cache, "STATIC_KEEP", 3)
    urls = _at_once([lambda k=k: cache.static_geojson(_features(k)) for k in range(12)], workers=6)
    assert len(set(urls)) == 12
    kept = sorted((tmp_path / "static").glob("*.geojson"))
    assert len(kept) == 3
