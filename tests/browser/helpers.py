"""Waiting for the deck.gl canvas to paint, and counting its colours."""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

MAP = '[data-testid="stDeckGlJsonChart"]'


def painted_colours(
    page: object, timeout: float = 90.0, min_colours: int = 2
) -> tuple[np.ndarray, int]:
    """Poll screenshots of the map until it shows several non-background colours."""
    page.wait_for_selector(f"{MAP} canvas", timeout=timeout * 1000)  # type: ignore[attr-defined]
    page.mouse.move(5, 5)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    colours, pixels = 0, np.zeros((1, 1, 3))
    while time.monotonic() < deadline:
        shot = page.locator(MAP).first.screenshot()  # type: ignore[attr-defined]
        pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))
        colours = distinct_fill_colours(pixels)
        if colours >= min_colours:
            return pixels, colours
        time.sleep(0.5)
    return pixels, colours


def distinct_fill_colours(pixels: np.ndarray) -> int:
    """How many distinct, clearly non-background colours cover a visible share of the map."""
    flat = pixels.reshape(-1, 3).astype(int)
    background = (flat.min(axis=1) > 245) | (flat.max(axis=1) < 10)
    flat = flat[~background]
    if flat.size == 0:
        return 0
    quantised = flat // 16
    _keys, counts = np.unique(quantised, axis=0, return_counts=True)
    return int((counts > 0.005 * len(pixels.reshape(-1, 3))).sum())


def full_screenshot(page: object, path: str, height: int = 3200) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside its main block, so grow the
    window)."""
    size = page.viewport_size  # type: ignore[attr-defined]
    page.set_viewport_size({"width": size["width"], "height": height})  # type: ignore[attr-defined]
    page.mouse.move(5, 5)  # type: ignore[attr-defined]
    time.sleep(2.0)
    page.screenshot(path=path, full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size(size)  # type: ignore[attr-defined]


def wait_text(page: object, text: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        body = page.inner_text("body")  # type: ignore[attr-defined]
        if text in body:
            return body
        time.sleep(0.3)
    raise AssertionError(f"{text!r} did not appear; the page shows: {body[:800]}")


def frozen_click(page: object, x: float, y: float) -> None:
    """A click deck.gl counts as a tap under software WebGL (see BROWSER-NOTES.md)."""
    page.evaluate("() => { window.__n = Date.now; const t = Date.now(); Date.now = () => t; }")  # type: ignore[attr-defined]
    page.mouse.click(x, y)  # type: ignore[attr-defined]
    page.evaluate("() => new Promise(r => setTimeout(r, 0))")  # type: ignore[attr-defined]
    page.evaluate("() => { Date.now = window.__n; }")  # type: ignore[attr-defined]
    page.mouse.move(5, 5)  # type: ignore[attr-defined]
