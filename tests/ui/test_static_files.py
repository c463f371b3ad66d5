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

from citygeo.ui import cache, static_files


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
    monkeypatch.setattr(static_files, "STATIC_DIR", tmp_path / "static")
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
    monkeypatch.setattr(static_files, "STATIC_DIR", tmp_path / "static")
    monkeypatch.setattr(static_files, "STATIC_KEEP", 3)
    urls = _at_once([lambda k=k: cache.static_geojson(_features(k)) for k in range(12)], workers=6)
    assert len(set(urls)) == 12
    kept = sorted((tmp_path / "static").glob("*.geojson"))
    assert len(kept) == 3


def test_a_map_file_written_from_the_stored_text_is_the_geojson_of_its_features(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outlines' stored JSON text is spliced into the map file without parsing it: the file
    must be byte for byte what serialising the features would give (same name, same content),
    with the neighbourhoods a page leaves out (None) absent."""
    from citygeo.geo.display import Outlines

    geometries = [
        {"type": "Polygon", "coordinates": [[[0.1, 0.2], [1.00001, 0.2], [1.0, -3.5], [0.1, 0.2]]]},
        {"type": "MultiPolygon", "coordinates": [[[[5, 5], [6, 5], [6, 6], [5, 5]]]]},
        {"type": "Polygon", "coordinates": [[[9, 9], [10, 9], [10, 10], [9, 9]]]},
    ]
    outlines = Outlines(
        ["A", "B", "C"],
        ["d1", None, "d2"],
        [orjson.dumps(g).decode() for g in geometries],
        None,
        (0.0, -3.5, 10.0, 10.0),
        [[0, 0, 1, 1]] * 3,
    )
    monkeypatch.setattr(static_files, "STATIC_DIR", tmp_path / "static")
    monkeypatch.setattr(cache, "display_geometry", lambda *args: outlines)
    props = [{"nid": "A", "v0": "12,5 é"}, None, {"nid": "C", "v0": None, "fill": [1, 2, 3]}]
    url = cache.static_map_url("store.duckdb", (1, 2), props)
    expected = [
        {"type": "Feature", "geometry": g, "properties": p}
        for g, p in zip(geometries, props, strict=True)
        if p is not None
    ]
    assert url == cache.static_geojson(expected)
    written = (tmp_path / "static" / url.removeprefix("app/static/")).read_bytes()
    assert written == orjson.dumps({"type": "FeatureCollection", "features": expected})
    assert outlines.geometries == geometries
