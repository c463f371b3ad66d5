"""Many officials at once: N browser sessions open the map, a profile and a compare page.

    PYTHONPATH=. python benchmarks/load.py                  # 20 sessions, 5,000 neighbourhoods
    PYTHONPATH=. python benchmarks/load.py --small          # 5 sessions, 500 neighbourhoods
    PYTHONPATH=. python benchmarks/load.py --sessions 10 --size 2000
    PYTHONPATH=. python benchmarks/load.py --server         # the server's delivery, not the paint
    PYTHONPATH=. python benchmarks/load.py --server --warm  # … after one warm-up session

One Streamlit server (app.py on a synthetic, fictional city built like benchmarks/dashboard.py's)
and ONE headless Chromium (Debian's, software WebGL) with N Playwright contexts driven
concurrently (asyncio). Each session opens `/` (until the map canvas paints), `/profile?nid=…`
(until the neighbourhood's name is the page title) and `/compare?nids=…` (until every name
shows). Prints p50/p95 of each page's time, the server's peak memory (VmHWM of the Streamlit
process) and whether every session got correct pages. Measured, never asserted.

``--server`` measures the SERVER's time to deliver each page's content, apart from the browser's
paint (twenty software-WebGL maps on two cores are the browser's limit, not the server's): no
browser runs; each official is a client of Streamlit's own WebSocket protocol (the messages the
browser's client sends and receives), and a page counts as delivered when its script run finished
successfully, its elements carry the texts the page must show (the map's legend line; the
profile's title and its drivers' heading; every compared name), no exception element came, and
for the map the outlines file the chart names has been fetched in full over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.dashboard import build_store, start, synthetic_city
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS
from tests.browser.helpers import MAP, distinct_fill_colours


def peak_memory_mb(pid: int) -> float:
    """VmHWM (peak resident memory) of the server process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


async def _painted(page: object, timeout: float) -> None:
    from PIL import Image

    await page.wait_for_selector(f"{MAP} canvas", timeout=timeout * 1000)  # type: ignore[attr-defined]
    await page.mouse.move(5, 5)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shot = await page.locator(MAP).first.screenshot(timeout=timeout * 1000)  # type: ignore[attr-defined]
        pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))
        if distinct_fill_colours(pixels) >= 3:
            return
        await asyncio.sleep(0.3)
    raise TimeoutError("map did not paint")


async def _text(page: object, texts: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = await page.inner_text("body")  # type: ignore[attr-defined]
        if all(t in body for t in texts):
            return
        await asyncio.sleep(0.3)
    raise TimeoutError(f"{texts} did not appear")


class Delivery:
    """One official's connection to the server over Streamlit's own protocol (no browser).

    The browser's client does the same: a WebSocket to ``/_stcore/stream``, a ``rerun_script``
    BackMsg naming the page and its query string, then ForwardMsgs (the page's elements) until
    ``script_finished``. A page counts as delivered when its run finished successfully, its
    elements carry the texts the page must show, no exception element came, and (for the map)
    the outlines file the chart names has been fetched in full over HTTP.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.url, self.timeout, self.socket, self.fetched = url, timeout, None, 0.0

    async def __aenter__(self) -> Self:
        import websockets

        ws = "ws" + self.url.removeprefix("http") + "/_stcore/stream"
        self.socket = await websockets.connect(  # type: ignore[assignment]
            ws, subprotocols=["streamlit"], max_size=None, open_timeout=self.timeout
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.socket.close()  # type: ignore[union-attr]

    async def page(self, name: str, query: str, texts: list[str], map_file: bool = False) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        back = BackMsg()
        back.rerun_script.query_string = query
        back.rerun_script.page_name = name
        await self.socket.send(back.SerializeToString())  # type: ignore[union-attr]
        received = bytearray()
        deadline = time.monotonic() + self.timeout
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), deadline - time.monotonic())  # type: ignore[union-attr]
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
                error = msg.delta.new_element.exception.message
                raise RuntimeError(f"the page shows an exception: {error}")
            if kind == "page_not_found":
                raise RuntimeError(f"page {name!r} not found")
            received += raw
            if kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the page asked for a rerun (st.rerun): its content follows
                if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"script finished with status {msg.script_finished}")
                break
        missing = [t for t in texts if t.encode() not in received]
        if missing:
            raise RuntimeError(f"{missing} were not delivered")
        if map_file:
            found = re.search(rb"app/static/[\w.-]+", bytes(received))
            if not found:
                raise RuntimeError("the map names no outlines file")
            t = time.monotonic()
            await asyncio.to_thread(_fetch, f"{self.url}/{found.group().decode()}", self.timeout)
            self.fetched = time.monotonic() - t


def _fetch(url: str, timeout: float) -> int:
    """GET ``url`` as a browser does (gzip accepted); the bytes received."""
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return len(response.read())


async def server_session(
    url: str, names: dict[str, str], index: int, timeout: float
) -> dict[str, float | str]:
    """One official's three pages, timed to the server's delivery (no browser, no paint)."""
    nids = sorted(names)
    one = nids[(index * 37) % len(nids)]
    many = [nids[(index * 53 + k * 11) % len(nids)] for k in range(3)]
    result: dict[str, float | str] = {}
    try:
        async with Delivery(url, timeout) as official:
            t = time.monotonic()
            await official.page("", "", ["Click a neighbourhood"], map_file=True)
            result["map"] = time.monotonic() - t
            result["map file"] = official.fetched  # of which: the outlines file over HTTP
            t = time.monotonic()
            await official.page(
                "profile", f"nid={one}", [f"{names[one]} ({one})", "What drives the risk score"]
            )
            result["profile"] = time.monotonic() - t
            t = time.monotonic()
            await official.page("compare", f"nids={','.join(many)}", [names[n] for n in many])
            result["compare"] = time.monotonic() - t
    except Exception as err:  # noqa: BLE001 — a benchmark reports a failed session, it does not stop
        result["error"] = f"{type(err).__name__}: {err}"[:200]
    return result


async def session(
    browser: object, url: str, names: dict[str, str], index: int, timeout: float
) -> dict[str, float | str]:
    nids = sorted(names)
    one = nids[(index * 37) % len(nids)]
    many = [nids[(index * 53 + k * 11) % len(nids)] for k in range(3)]
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = await context.new_page()
    result: dict[str, float | str] = {}
    try:
        t = time.monotonic()
        await page.goto(url + "/", timeout=timeout * 1000)
        await _painted(page, timeout)
        result["map"] = time.monotonic() - t
        t = time.monotonic()
        await page.goto(f"{url}/profile?nid={one}", timeout=timeout * 1000)
        await _text(page, [f"{names[one]} ({one})"], timeout)
        result["profile"] = time.monotonic() - t
        t = time.monotonic()
        await page.goto(f"{url}/compare?nids={','.join(many)}", timeout=timeout * 1000)
        await _text(page, [names[n] for n in many], timeout)
        result["compare"] = time.monotonic() - t
    except Exception as err:  # noqa: BLE001 — a benchmark reports a failed session, it does not stop
        result["error"] = f"{type(err).__name__}: {err}"[:200]
    finally:
        await context.close()
    return result


async def run(
    url: str, names: dict[str, str], sessions: int, timeout: float, server: bool = False
) -> list[dict[str, float | str]]:
    if server:
        return await asyncio.gather(
            *(server_session(url, names, i, timeout) for i in range(sessions))
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            return await asyncio.gather(
                *(session(browser, url, names, i, timeout) for i in range(sessions))
            )
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--small", action="store_true", help="5 sessions on 500 neighbourhoods")
    parser.add_argument("--timeout", type=float, default=600.0, help="per page, seconds")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="one official opens the three pages first (not counted), as after a deployment's "
        "warm-up request; without it the sessions meet a server that has shown nothing",
    )
    parser.add_argument(
        "--server",
        action="store_true",
        help="time the server's delivery of each page (protocol clients, no browser)",
    )
    parser.add_argument(
        "--script",
        default="app.py",
        help="what `streamlit run` starts: app.py, or serve.py (the map files gzipped once)",
    )
    args = parser.parse_args()
    sessions, size = (5, 500) if args.small else (args.sessions, args.size)
    work = Path(tempfile.mkdtemp(prefix="citygeo-load-"))
    city = synthetic_city(size)
    store = work / "city.duckdb"
    build_store(city, store)
    names = dict(zip(city["nid"], city["name"], strict=True))
    proc, url = start(ROOT / args.script, {"CITYGEO_STORE": str(store)}, work / "streamlit.log")
    try:
        t, server0, machine0 = time.monotonic(), process_cpu_s(proc.pid), machine_cpu_s()
        if args.warm:
            asyncio.run(run(url, names, 1, args.timeout, args.server))
            server0, machine0 = process_cpu_s(proc.pid), machine_cpu_s()
            t = time.monotonic()
        results = asyncio.run(run(url, names, sessions, args.timeout, args.server))
        wall = time.monotonic() - t
        server_cpu = process_cpu_s(proc.pid) - server0
        machine_cpu = machine_cpu_s() - machine0
        peak = peak_memory_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    failed = [r for r in results if "error" in r]
    what = (
        "protocol clients, no browser: the server's delivery of each page"
        if args.server
        else "one Chromium, until painted, software WebGL"
    )
    state = "warmed by one earlier session" if args.warm else "cold: it has shown nothing yet"
    print(
        f"{sessions} concurrent sessions on {size:,} neighbourhoods, one server "
        f"(`streamlit run {args.script}`; {what}; "
        f"{state}); all done in {wall:.1f} s"
    )
    for key in ("map", "map file", "profile", "compare"):
        times = [float(r[key]) for r in results if key in r]
        if key == "map file" and not times:
            continue  # browser sessions: the file is fetched by the page
        print(
            f"  {key:<9} p50 {percentile(times, 50):6.1f} s   p95 {percentile(times, 95):6.1f} s   "
            f"(n = {len(times)}, mean {statistics.mean(times) if times else float('nan'):.1f} s)"
        )
    print(f"  server peak memory (VmHWM): {peak:,.0f} MB")
    cores = os.cpu_count() or 1
    print(
        f"  CPU during the run: the server {server_cpu:.1f} s ({server_cpu / sessions:.2f} s per "
        f"session), everything else (the clients) {machine_cpu - server_cpu:.1f} s, of "
        f"{cores * wall:.1f} s the {cores} cores had"
    )
    print(
        f"  correct pages: {sessions - len(failed)} of {sessions} sessions "
        "got all three pages right"
    )
    for r in failed[:5]:
        print(f"    failed: {r['error']}")


if __name__ == "__main__":
    main()
