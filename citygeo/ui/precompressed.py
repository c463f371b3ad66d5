"""The map files compressed once, not once per official (ASGI middleware for ``serve.py``).

The dashboard writes each map layer as a static GeoJSON file named by the hash of its content
(``static_files.static_file``), so a file never changes. Streamlit's static route gzips it again for
every request: at 5,000 neighbourhoods that is 7 MB compressed per official on the event loop
that also carries every websocket (issue 16). This middleware answers those requests with the
file gzipped once, kept in memory (least recently used first out, up to ``max_bytes``), and
passes every other request to Streamlit unchanged. A nginx ``gzip_static`` in front of the
server does the same job (``docs/scale-out.md``).
"""

from __future__ import annotations

import asyncio
import gzip
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import anyio.to_thread

Scope = dict[str, Any]
Message = dict[str, Any]

PREFIX = "/app/static/"
# what static_files.static_file writes: 20 hex digits of the content's hash
MAP_FILE = re.compile(r"[0-9a-f]{20}\.geojson")
COMPRESS_LEVEL = 6


class PrecompressedMaps:
    """Serve ``{PREFIX}<hash>.geojson`` gzipped once to clients that accept gzip."""

    def __init__(self, app: Any, static_dir: Path | str, max_bytes: int = 64 * 2**20) -> None:
        self.app = app
        self.static_dir = Path(static_dir)
        self.max_bytes = max_bytes
        self.compressions = 0  # how many times a file was compressed (tests, benchmarks)
        self._cache: OrderedDict[str, tuple[int, int, bytes]] = OrderedDict()
        self._held = 0
        self._locks: dict[str, asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        name = self._map_file(scope)
        if name is None:
            await self.app(scope, receive, send)
            return
        path = self.static_dir / name
        try:
            stat = path.stat()
        except OSError:  # not there (pruned, or never written): Streamlit answers 404
            await self.app(scope, receive, send)
            return
        body = await self._compressed(name, path, stat.st_mtime_ns, stat.st_size)
        headers = [
            (b"content-type", b"application/geo+json"),
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(body)).encode()),
            (b"vary", b"Accept-Encoding"),
            # the name is the content's hash: the file at this URL never changes
            (b"cache-control", b"public, max-age=31536000, immutable"),
            (b"access-control-allow-origin", b"*"),
            (b"x-content-type-options", b"nosniff"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    @staticmethod
    def _map_file(scope: Scope) -> str | None:
        """The map file's name when ``scope`` asks for one, gzipped; else None."""
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return None
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path.startswith(PREFIX) or not MAP_FILE.fullmatch(path[len(PREFIX) :]):
            return None
        accepted = b",".join(v for k, v in scope.get("headers", ()) if k == b"accept-encoding")
        if b"gzip" not in accepted.lower():
            return None
        return path[len(PREFIX) :]

    async def _compressed(self, name: str, path: Path, mtime: int, size: int) -> bytes:
        held = self._cache.get(name)
        if held is not None and held[:2] == (mtime, size):
            self._cache.move_to_end(name)
            return held[2]
        # twenty officials opening the same new map at once: one compresses, the others wait
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            held = self._cache.get(name)
            if held is not None and held[:2] == (mtime, size):
                return held[2]
            body = await anyio.to_thread.run_sync(_gzip_file, path)
            self.compressions += 1
            self._keep(name, (mtime, size, body))
            self._locks.pop(name, None)
            return body

    def _keep(self, name: str, entry: tuple[int, int, bytes]) -> None:
        old = self._cache.pop(name, None)
        if old is not None:
            self._held -= len(old[2])
        self._cache[name] = entry
        self._held += len(entry[2])
        while self._held > self.max_bytes and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._held -= len(dropped[2])


def _gzip_file(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=COMPRESS_LEVEL, mtime=0)
