"""The dashboard's map layers as static GeoJSON files (``static/``, served at ``/app/static/``):
written once under the hash of their content, the oldest pruned. No Streamlit here; the cached
functions that decide what goes in them are in ``cache.py``."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from citygeo.settings import STATIC_DIR

STATIC_KEEP = 200  # newest map files kept; older ones are removed


def static_geojson(features: Sequence[Mapping[str, Any]]) -> str:
    """Write ``features`` as a static GeoJSON file; return its URL (see :func:`static_file`)."""
    return static_file(orjson.dumps({"type": "FeatureCollection", "features": features}))


def static_file(body: bytes) -> str:
    """Write a GeoJSON ``body`` as a static file; return its URL.

    The browser fetches it gzipped over HTTP (``server.enableStaticServing``) instead of the
    uncompressed websocket. The file name is the hash of its content: an unchanged layer keeps
    its URL, so deck.gl neither fetches nor rebuilds it when the page reruns, and the chart
    message stays small.
    """
    name = hashlib.sha1(body).hexdigest()[:20] + ".geojson"
    target = STATIC_DIR / name
    if not target.exists():
        STATIC_DIR.mkdir(exist_ok=True)
        # one temporary name per process AND thread: Streamlit runs every session's script in a
        # thread of one process, and two officials opening the same map at once write the same
        # file (one shared name made the second rename fail with "No such file")
        tmp = target.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
        tmp.write_bytes(body)
        os.replace(tmp, target)
        prune()
    return f"app/static/{name}"


def prune() -> None:
    """Keep the newest ``STATIC_KEEP`` map files; safe while other threads or servers prune."""
    files = []
    for f in STATIC_DIR.glob("*.geojson"):
        try:
            files.append((f.stat().st_mtime, f))
        except FileNotFoundError:  # removed meanwhile by another session's prune
            continue
    for _mtime, old in sorted(files, reverse=True)[STATIC_KEEP:]:
        old.unlink(missing_ok=True)
