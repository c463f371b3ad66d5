"""``serve.py``'s middleware: map files gzipped once, every other request left to Streamlit."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from citygeo.ui.precompressed import PREFIX, PrecompressedMaps

NAME = "0123456789abcdef0123.geojson"


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a thread of its own (the browser tests' Playwright keeps an event
    loop running in the main thread of the same pytest process)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


class Downstream:
    """Stands for Streamlit's app: records what reached it and answers 404."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"streamlit"})


def request(
    app: PrecompressedMaps, path: str, *, gzip_ok: bool = True, method: str = "GET"
) -> tuple[int, dict[bytes, bytes], bytes]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    headers = [(b"accept-encoding", b"gzip, deflate, br")] if gzip_ok else []
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    run(app(scope, receive, send))
    start, body = messages
    return start["status"], dict(start["headers"]), body["body"]


@pytest.fixture
def static(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / NAME).write_bytes(b'{"type":"FeatureCollection","features":[]}' * 500)
    return folder


def test_a_map_file_is_sent_gzipped_and_compressed_only_once(static: Path) -> None:
    downstream = Downstream()
    app = PrecompressedMaps(downstream, static)
    first = request(app, PREFIX + NAME)
    second = request(app, PREFIX + NAME)
    status, headers, body = first
    assert status == 200 and second == first
    assert headers[b"content-encoding"] == b"gzip"
    assert headers[b"content-type"] == b"application/geo+json"
    assert int(headers[b"content-length"]) == len(body) < (static / NAME).stat().st_size
    assert gzip.decompress(body) == (static / NAME).read_bytes()
    assert app.compressions == 1 and downstream.paths == []
    # HEAD: the same headers, no body
    status, head, body = request(app, PREFIX + NAME, method="HEAD")
    assert (status, head, body) == (200, headers, b"")


def test_officials_opening_a_new_map_at_once_wait_for_one_compression(static: Path) -> None:
    app = PrecompressedMaps(Downstream(), static)

    async def many() -> list[bytes]:
        async def one() -> bytes:
            sent: list[dict[str, Any]] = []

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            scope = {
                "type": "http",
                "method": "GET",
                "path": PREFIX + NAME,
                "headers": [(b"accept-encoding", b"gzip")],
            }
            await app(scope, None, send)
            return bytes(sent[1]["body"])

        return list(await asyncio.gather(*(one() for _ in range(20))))

    bodies = run(many())
    assert len(set(bodies)) == 1
    assert app.compressions == 1


@pytest.mark.parametrize(
    ("path", "gzip_ok"),
    [
        (PREFIX + NAME, False),  # the client takes no gzip: Streamlit serves the file itself
        (PREFIX + "0123456789abcdef012.geojson", True),  # not a name the dashboard writes
        (PREFIX + "../" + NAME, True),
        ("/_stcore/health", True),
        (PREFIX + "fedcba98765432100123.geojson", True),  # no such file: Streamlit's 404
    ],
)
def test_other_requests_reach_streamlit_unchanged(static: Path, path: str, gzip_ok: bool) -> None:
    downstream = Downstream()
    app = PrecompressedMaps(downstream, static)
    status, _headers, body = request(app, path, gzip_ok=gzip_ok)
    assert (status, body, downstream.paths) == (404, b"streamlit", [path])
    assert app.compressions == 0


def test_a_rewritten_file_is_compressed_again_and_the_memory_is_bounded(static: Path) -> None:
    app = PrecompressedMaps(Downstream(), static, max_bytes=1)
    request(app, PREFIX + NAME)
    other = "ffffffffffffffffffff.geojson"
    (static / other).write_bytes(b"[1, 2, 3]" * 100)
    assert gzip.decompress(request(app, PREFIX + other)[2]) == b"[1, 2, 3]" * 100
    assert list(app._cache) == [other]  # over max_bytes: the least recently used left
    (static / other).write_bytes(b"[4]" * 100)  # same name, new content (a new mtime/size)
    assert gzip.decompress(request(app, PREFIX + other)[2]) == b"[4]" * 100
    assert app.compressions == 3
