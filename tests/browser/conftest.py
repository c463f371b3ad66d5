"""Real dashboard in real headless Chromium (Debian's /usr/bin/chromium through Playwright).

Set CITYGEO_REQUIRE_BROWSER=1 (CI does) to make these tests fail instead of skip when
Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from citygeo.settings import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-unsafe-swiftshader",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _require_or_skip(reason: str) -> None:
    if os.environ.get("CITYGEO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (CITYGEO_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pdf_tools() -> None:
    """poppler's ``pdftotext`` and ``pdftoppm``, which read the printed PDFs back."""
    missing = [tool for tool in ("pdftotext", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        _require_or_skip(f"{' and '.join(missing)} missing (apt-get install poppler-utils)")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        _require_or_skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require_or_skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dashboard:
    def __init__(
        self, url: str, process: subprocess.Popen[bytes], log: Path, handle: object
    ) -> None:
        self.url = url
        self.process = process
        self.log = log
        self._handle = handle

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._handle.close()  # type: ignore[attr-defined]


def start_dashboard(store: Path, workdir: Path, script: str = "app.py") -> Dashboard:
    """Run ``streamlit run <script>`` (``app.py``, or ``serve.py``) on ``store`` and wait until
    it answers."""
    port = _free_port()
    log = workdir / "streamlit.log"
    env = {**os.environ, "CITYGEO_STORE": str(store)}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO_ROOT / script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    handle = log.open("wb")
    process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            handle.close()
            raise RuntimeError(f"streamlit exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return Dashboard(url, process, log, handle)
        except OSError:
            time.sleep(0.3)
    process.kill()
    process.wait()
    handle.close()
    raise RuntimeError(f"streamlit did not start: {log.read_text()}")


@pytest.fixture(scope="session")
def dashboard(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    app = start_dashboard(demo_store, tmp_path_factory.mktemp("dashboard"))
    yield app
    app.stop()


@pytest.fixture
def page(browser: object, dashboard: Dashboard) -> Iterator[object]:
    """A page whose every request must stay on 127.0.0.1 (proves the dashboard works offline)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    outside: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", guard)
    page = context.new_page()
    yield page
    context.close()
    assert not outside, f"the page tried to reach outside 127.0.0.1: {outside[:5]}"
