"""The printable profile in real headless Chromium: it renders, runs no injected markup, and
prints to PDF through Chromium's own print engine (the `citygeo report --pdf` path)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from citygeo.outputs.report import render_profile_html
from citygeo.settings import REPO_ROOT
from citygeo.store import Store
from tests.fixtures.town import HOSTILE, build_city

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_city(
        tmp_path_factory.mktemp("print-town"), names={"N3": HOSTILE, "N4": "Kestrel Yard"}
    )


# -- a small, honest PDF text reader (pypdf is not installed) -------------------------------
def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number → (dictionary text, decompressed stream or None)."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    for match in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", pdf, re.DOTALL):
        body = match.group(2)
        stream = None
        head = re.match(rb"(.*?)stream\r?\n", body, re.DOTALL)
        if head:
            data = body[head.end() : body.rindex(b"endstream")]
            stream = (
                zlib.decompressobj().decompress(data) if b"FlateDecode" in head.group(1) else data
            )
            body = head.group(1)
        out[int(match.group(1))] = (body, stream)
    return out


def _cmap(stream: bytes) -> dict[int, str]:
    """A ToUnicode CMap: glyph code → text."""
    table: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.DOTALL):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.DOTALL):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int.from_bytes(bytes.fromhex(dst.decode()), "big")
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[code] = chr(start + offset)
    return table


def pdf_text(pdf: bytes) -> str:
    """The text layer: each content stream's glyphs decoded with the ToUnicode map of the
    font selected (``/Fn size Tf``) when they are shown (``<hex> Tj`` / ``[...] TJ``)."""
    objects = _objects(pdf)
    maps: dict[int, dict[int, str]] = {}
    for number, (body, _) in objects.items():
        found = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if found and objects.get(int(found.group(1)), (b"", None))[1]:
            maps[number] = _cmap(objects[int(found.group(1))][1] or b"")
    names: dict[bytes, int] = {}
    for body, _ in objects.values():
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            names[name] = int(number)
    text = []
    for body, stream in objects.values():
        if stream is None or b"BT" not in stream:
            continue
        font: dict[int, str] = {}
        for token in re.finditer(
            rb"/(F\d+) [\d.]+ Tf|<([0-9A-Fa-f]*)>|(T[jJ]|Td|TD|T\*|ET)", stream
        ):
            if token.group(1):
                font = maps.get(names.get(token.group(1), -1), {})
            elif token.group(2) is not None:
                hexed = token.group(2).decode()
                text += [font.get(int(hexed[i : i + 4], 16), "?") for i in range(0, len(hexed), 4)]
            elif token.group(3) == b"ET":
                text.append("\n")
    return "".join(text)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_profile_renders_in_chromium_without_running_injected_markup(
    browser: object, town: Store
) -> None:
    html_text = render_profile_html(town, "N3")
    context = browser.new_context(viewport={"width": 900, "height": 1200})  # type: ignore[attr-defined]
    requests: list[str] = []
    dialogs: list[str] = []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.set_content(html_text, wait_until="load")
        assert page.inner_text("h1") == HOSTILE  # shown as text, not parsed as markup
        assert page.locator("img").count() == 0
        assert page.locator("svg.map path.me").count() == 1
        assert page.locator("svg.map path.nb").count() == 2
        assert page.locator("svg.bars rect").count() == 1  # hate rate withheld (4 events), one bar
        assert "fewer than 5 events" in (page.locator("svg.bars").text_content() or "")
        box = page.locator("svg.map").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        assert not dialogs and not requests  # no script ran, nothing was fetched
    finally:
        context.close()


def test_profile_prints_to_pdf_through_chromium(
    browser: object, town: Store, tmp_path: Path
) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.set_content(render_profile_html(town, "N4"), wait_until="load")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) >= 1
    # A4 from the page's own @page rule: 595 × 842 points
    sizes = {
        tuple(round(float(v)) for v in m)
        for m in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    }
    assert sizes == {(595, 842)}
    text = pdf_text(pdf)
    squeezed = re.sub(r"\s+", "", text)
    assert "KestrelYard" in squeezed
    assert "Fictionalcity." in squeezed and "fewerthan" not in squeezed  # N4 has 5 events: shown
    assert "Hatecrimesper1,000" in squeezed


def test_cli_pdf_option(browser: object, town: Store, tmp_path: Path) -> None:
    """`citygeo report --pdf` in its own process (Playwright's sync API cannot nest inside
    the session's browser fixture, which is requested for its skip/fail rule)."""
    out = tmp_path / "n2.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "citygeo",
            "report",
            "--nid",
            "N2",
            "--out",
            str(out),
            "--store",
            str(town.path),
            "--pdf",
        ],
        check=False,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    pdf = out.with_suffix(".pdf").read_bytes()
    text = re.sub(r"\s+", "", pdf_text(pdf))
    assert page_count(pdf) >= 1 and "Cell2" in text
    assert "fewerthan5events" in text  # N2: 1 event, withheld in the public profile
