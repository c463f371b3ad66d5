"""How much the dashboard's map sends, and how fast it paints, for cities of 150, 5,000 (and 35,000)
neighbourhoods — against a naive pydeck page of the same map, measured in the same run.

    PYTHONPATH=. python benchmarks/dashboard.py            # 150 and 5,000
    PYTHONPATH=. python benchmarks/dashboard.py --large    # + 35,000 (one district drawn at a time)
    PYTHONPATH=. python benchmarks/dashboard.py --no-browser   # bytes only
    PYTHONPATH=. python benchmarks/dashboard.py --server --sizes 150,5000,35000  # server only

Synthetic cities: Voronoi cells with wiggly shared borders (every border vertex is moved by the
same deterministic offset in both neighbours, so borders stay shared), ~60 vertices per cell like
real boundaries. "Naive" is what a first pydeck page does: the full-precision GeoJSON with the
values inside, through ``st.pydeck_chart`` (pydeck's indented JSON over the uncompressed websocket).
Timings run in headless Chromium (Debian's, software WebGL) on this machine: they are ratios
against the 150-neighbourhood city and the naive page measured in the same run, not absolutes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from citygeo.ingest.outlines import write_outlines
from citygeo.scoring import parse_methodology
from citygeo.service.scoring import save_scores
from citygeo.store import Store, append_rows

NAIVE_APP = """
import json, os, pandas as pd, pydeck as pdk, streamlit as st
st.set_page_config(layout="wide")
frame = pd.read_parquet(os.environ["BENCH_VALUES"])
geo = json.load(open(os.environ["BENCH_GEOJSON"]))
column = st.selectbox("Show", ["risk_score", "protective_score"], key="measure")
ramp = [[254,240,217],[253,204,138],[252,141,89],[227,74,51],[179,0,0]]
blues = [[255,255,204],[161,218,180],[65,182,196],[44,127,184],[37,52,148]]
k = pd.qcut(frame[column], 5, labels=False).tolist()
for f, c, v in zip(geo["features"], k, frame[column]):
    f["properties"] = {"nid": f["properties"]["nid"], "value": float(v), \
"fill": (ramp if column == "risk_score" else blues)[c]}
layer = pdk.Layer("GeoJsonLayer", geo, id="n", pickable=True, get_fill_color="properties.fill", \
stroked=True,
                  get_line_color=[60,60,60], line_width_min_pixels=0.5)
b = frame.attrs
st.pydeck_chart(pdk.Deck(layers=[layer], map_provider=None, initial_view_state=pdk.ViewState(
    longitude=float(os.environ["BENCH_LON"]), latitude=float(os.environ["BENCH_LAT"]), \
zoom=float(os.environ["BENCH_ZOOM"])),
    tooltip={"text": "{nid}: {value}"}), height=580)
"""


# -- synthetic cities ---------------------------------------------------------------------------
def synthetic_city(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` Voronoi neighbourhoods with wiggly shared borders, in ~20 districts."""
    rng = np.random.default_rng(seed)
    side = 0.0085 * np.sqrt(n)  # ~0.9 km cells at 47° S (a fictional spot in the South Atlantic)
    x0, y0 = -20.0, -47.0
    pts = shapely.points(x0 + rng.random(n) * side, y0 + rng.random(n) * side)
    box = shapely.box(x0, y0, x0 + side, y0 + side)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box))
    cells = shapely.intersection(cells, box)
    cells = shapely.segmentize(cells, side / np.sqrt(n) / 14)
    coords = shapely.get_coordinates(cells)
    inner = (
        (coords[:, 0] > x0 + 1e-9)
        & (coords[:, 0] < x0 + side - 1e-9)
        & (coords[:, 1] > y0 + 1e-9)
        & (coords[:, 1] < y0 + side - 1e-9)
    )
    key = np.round(coords * 1e7).astype(np.int64)
    noise = np.sin(key[:, 0] * 12.9898 + key[:, 1] * 78.233) * 43758.5453
    amp = side / np.sqrt(n) / 60
    coords[:, 0] += inner * amp * np.sin(noise)
    coords[:, 1] += inner * amp * np.cos(noise * 1.3)
    cells = shapely.make_valid(shapely.set_coordinates(cells, coords))
    order = np.argsort(
        shapely.get_y(shapely.centroid(cells)) * 1e3 + shapely.get_x(shapely.centroid(cells))
    )
    cells = cells[order]
    codes = [f"S{i:05d}" for i in range(n)]
    district = (np.arange(n) * 20 // n).astype(int)
    return gpd.GeoDataFrame(
        {
            "nid": codes,
            "name": [f"Synthetic {i}" for i in range(n)],
            "district": [f"District {d + 1:02d}" for d in district],
            "population": rng.integers(800, 9000, n).astype(float),
        },
        geometry=cells,
        crs="EPSG:4326",
    )


def build_store(city: gpd.GeoDataFrame, path: Path) -> None:
    """A store holding the synthetic city and one year of made-up scores (fictional: flagged so)."""
    rng = np.random.default_rng(1)
    n = len(city)
    methodology = parse_methodology(
        {
            "version": "bench",
            "domains": [{"id": "a", "index": "risk"}, {"id": "p", "index": "protective"}],
            "measures": [
                {"id": "x", "domain": "a", "direction": "risk"},
                {"id": "q", "domain": "p", "direction": "protective"},
            ],
        }
    )
    risk = np.clip(rng.normal(50, 20, n) + np.linspace(-20, 20, n), 0, 100)
    prot = np.clip(rng.normal(50, 20, n), 0, 100)
    rank = pd.Series(risk).rank(ascending=False, method="min").astype(int)
    scores = pd.DataFrame(
        {
            "nid": city["nid"],
            "name": city["name"],
            "year": 2026,
            "methodology_version": "bench",
            "methodology_sha256": "",
            "risk_score": risk,
            "risk_rank": rank,
            "risk_decile": (rank - 1) * 10 // n + 1,
            "protective_score": prot,
            "protective_rank": pd.Series(prot).rank(ascending=False, method="min").astype(int),
            "protective_decile": 1,
            "typology": np.where(risk > 50, "priority", "resilient"),
            "risk_rank_p05": np.maximum(rank - 3, 1),
            "risk_rank_p95": rank + 3,
            "hotspot": "none",
            "flags": [[] for _ in range(n)],
            "grp": "all",
            "domain__a": risk,
            "domain__p": prot,
            "measure__x": risk,
            "measure__q": prot,
            "raw__x": risk / 10,
            "raw__q": prot / 10,
        }
    )
    from citygeo.scoring import methodology_sha256

    scores["methodology_sha256"] = methodology_sha256(methodology)
    frame = pd.DataFrame(city.drop(columns="geometry"))
    frame["area_km2"] = 1.0
    frame["geom_wkb"] = shapely.to_wkb(city.geometry.to_numpy())
    # made-up district scores too (a large city's map opens on its districts)
    names = sorted(city["district"].unique())
    d_risk = np.clip(rng.normal(50, 20, len(names)), 0, 100)
    d_rank = pd.Series(d_risk).rank(ascending=False, method="min").astype(int)
    districts = pd.DataFrame(
        {
            "nid": names,
            "name": names,
            "year": 2026,
            "methodology_version": "bench",
            "risk_score": d_risk,
            "risk_rank": d_rank,
            "risk_decile": 1,
            "protective_score": 100 - d_risk,
            "protective_rank": d_rank[::-1].to_numpy(),
            "protective_decile": 1,
            "typology": "priority",
            "risk_rank_p05": d_rank,
            "risk_rank_p95": d_rank,
            "hotspot": "none",
            "flags": [[] for _ in names],
            "grp": "all",
            "domain__a": d_risk,
            "domain__p": 100 - d_risk,
            "measure__x": d_risk,
            "measure__q": 100 - d_risk,
            "raw__x": d_risk / 10,
            "raw__q": (100 - d_risk) / 10,
        }
    )
    with Store(path).writer() as con:
        append_rows(con, "neighbourhoods", frame, {"geom": "geom_wkb"})
        write_outlines(con, city)  # as the ingest does: the first map only reads them
        con.execute(
            "INSERT INTO city VALUES ('name', 'Synthetic benchmark city'), ('fictional', 'True')"
        )
    save_scores(
        Store(path),
        methodology,
        scores,
        districts.assign(methodology_sha256=scores["methodology_sha256"].iloc[0]),
        "benchmark",
    )


# -- bytes -------------------------------------------------------------------------------------
def naive_bytes(city: gpd.GeoDataFrame) -> tuple[int, dict[str, object]]:
    """The chart message of the naive page: full-precision GeoJSON inside pydeck's JSON."""
    import pydeck as pdk

    geo = orjson.loads(city[["nid", "geometry"]].to_json(drop_id=True))
    for f in geo["features"]:
        f["properties"].update({"value": 50.123456, "fill": [252, 141, 89]})
    deck = pdk.Deck(
        layers=[pdk.Layer("GeoJsonLayer", geo, id="n", get_fill_color="properties.fill")],
        map_provider=None,
    )
    return len(deck.to_json().encode()), geo


def our_bytes(store: Path) -> tuple[int, int, int]:
    """(static file raw, gzipped, chart message) for the first map the dashboard shows of this store
    (the districts above 8,000 neighbourhoods).

    The static file holds the simplified outlines and the tooltip words of every field for the
    year (sent once); the chart message holds the colours (sent again on every field change).
    """
    from streamlit.runtime.caching import cache_data_api  # noqa: F401  (cache decorators run outside a server)

    from citygeo.service.city import current_methodology, district_scores, load, scores
    from citygeo.service.map import map_table
    from citygeo.settings import STATIC_DIR, Mode
    from citygeo.ui import cache as ui_data
    from citygeo.ui import components
    from citygeo.ui.maps import choropleth_layer, deck

    key = (str(store), Store(store).version())
    city = load(Store(store), mode=Mode.PUBLIC)
    year = int(city.current["year"].max())
    methodology = current_methodology(city, year)
    if (
        len(city.neighbourhoods) > 8000
    ):  # the map page opens on the districts above 8,000 neighbourhoods
        table = map_table(district_scores(city, year), "risk_score", None, methodology)
        url = ui_data.district_map_file(*key, Mode.PUBLIC, year, "all")
        layer_id, stroked = "districts", True
    else:
        table = map_table(scores(city, year), "risk_score", city.neighbourhoods, methodology)
        url = ui_data.map_file(*key, Mode.PUBLIC, year, "all", None)
        layer_id, stroked = "neighbourhoods", len(table) <= 2000
    fills, _, _ = components.colours_for(table["value"], "risk_score", "quantiles", methodology)
    body = (STATIC_DIR / url.rsplit("/", 1)[1]).read_bytes()
    layer = choropleth_layer(
        url,
        layer_id,
        colours=dict(zip(table["nid"], fills, strict=True)),
        trigger="risk_score",
        stroked=stroked,
    )
    message = deck(
        [layer], list(ui_data.display_geometry(*key).bounds), "{name} ({nid})\nRisk: {v0}\n{r0}"
    ).to_json()
    return len(body), len(gzip.compress(body, 6)), len(message.encode())


# -- browser -----------------------------------------------------------------------------------
def start(script: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    sys.path.insert(0, str(ROOT))
    from tests.browser.conftest import _free_port

    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    import urllib.request

    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(log.read_text())


def _shot(page: object) -> np.ndarray:
    from PIL import Image

    from tests.browser.helpers import MAP

    raw = page.locator(MAP).first.screenshot(timeout=240_000)  # type: ignore[attr-defined]
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB")).astype(int)


def _painted(page: object, timeout: float = 240) -> np.ndarray:
    from tests.browser.helpers import MAP, distinct_fill_colours

    page.wait_for_selector(f"{MAP} canvas", timeout=timeout * 1000)  # type: ignore[attr-defined]
    page.mouse.move(5, 5)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pixels = _shot(page)
        if distinct_fill_colours(pixels) >= 3:
            return pixels
        time.sleep(0.2)
    raise TimeoutError("the map did not paint")


def _changed(page: object, before: np.ndarray, timeout: float = 240) -> None:
    """Wait until the map shows the protective palette (blues; the risk palette has none).

    A plain "pixels differ" test fires too early: Streamlit fades stale elements during a rerun.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _shot(page)
        blue = (now[:, :, 2] > now[:, :, 0] + 60).mean()
        if blue > 0.08:
            return
        time.sleep(0.2)
    raise TimeoutError("the map did not repaint")


def time_page(browser: object, url: str, change_to: str) -> tuple[float, float]:
    """(navigation → painted, measure change → repainted) in seconds."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url)
        before = _painted(page)
        first = time.perf_counter() - t0
        time.sleep(1.0)
        before = _shot(page)
        # the field picker ("Show"), not the neighbourhood search above it
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Show").first
        t1 = time.perf_counter()
        box.click()
        page.get_by_role("option", name=change_to).first.click()
        page.mouse.move(5, 5)
        _changed(page, before)
        return first, time.perf_counter() - t1
    finally:
        context.close()


def browser_rows(
    sizes: list[int], stores: dict[int, Path], cities: dict[int, gpd.GeoDataFrame], work: Path
) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS

    (work / "naive_app.py").write_text(NAIVE_APP)
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for n in sizes:
            proc, url = start(
                ROOT / "app.py", {"CITYGEO_STORE": str(stores[n])}, work / f"ours-{n}.log"
            )
            try:
                ours = time_page(browser, url + "/?measure=risk_score", "Protective index (0–100)")
                ours_warm = time_page(
                    browser, url + "/?measure=risk_score", "Protective index (0–100)"
                )
            finally:
                proc.terminate()
                proc.wait()
            row: dict[str, object] = {
                "n": n,
                "ours_first_cold": ours[0],
                "ours_first": ours_warm[0],
                "ours_change": ours_warm[1],
            }
            if n <= 5000:
                city = cities[n]
                geo_path, values_path = work / f"naive-{n}.geojson", work / f"naive-{n}.parquet"
                geo_path.write_text(city[["nid", "geometry"]].to_json(drop_id=True))
                pd.DataFrame(
                    {
                        "risk_score": np.linspace(0, 100, n),
                        "protective_score": np.linspace(100, 0, n),
                    }
                ).to_parquet(values_path)
                minx, miny, maxx, maxy = city.total_bounds
                zoom = np.log2(360 / max(maxx - minx, (maxy - miny) * 1.5)) + 0.6
                proc, url = start(
                    work / "naive_app.py",
                    {
                        "BENCH_GEOJSON": str(geo_path),
                        "BENCH_VALUES": str(values_path),
                        "BENCH_LON": str((minx + maxx) / 2),
                        "BENCH_LAT": str((miny + maxy) / 2),
                        "BENCH_ZOOM": str(zoom),
                    },
                    work / f"naive-{n}.log",
                )
                try:
                    naive = time_page(browser, url + "/", "protective_score")
                except Exception as err:  # noqa: BLE001 - a benchmark reports a failed measurement and goes on
                    print(f"naive page at {n}: {err}", flush=True)
                    naive = (float("nan"), float("nan"))
                finally:
                    proc.terminate()
                    proc.wait()
                row |= {"naive_first": naive[0], "naive_change": naive[1]}
            rows.append(row)
            print(row, flush=True)
        browser.close()
    return rows


def server_rows(sizes: list[int], stores: dict[int, Path], work: Path) -> None:
    """The map page's delivery by a server that has shown nothing (no browser: a client of
    Streamlit's own protocol, as in benchmarks/load.py --server), then a second visit."""
    import asyncio

    from benchmarks.load import Delivery
    from citygeo.settings import map_max_drawn

    async def visits(url: str, text: str) -> list[tuple[float, float]]:
        times = []
        async with Delivery(url, 600) as official:
            for _ in range(2):
                t = time.perf_counter()
                await official.page("", "", [text], map_file=True)
                times.append((time.perf_counter() - t, official.fetched))
        return times

    for n in sizes:
        # a city above map_max_drawn() opens on its districts
        text = "click a district" if n > map_max_drawn() else "Click a neighbourhood"
        t = time.perf_counter()
        proc, url = start(ROOT / "app.py", {"CITYGEO_STORE": str(stores[n])}, work / f"s-{n}.log")
        up = time.perf_counter() - t
        try:
            (cold, cold_file), (warm, _) = asyncio.run(visits(url, text))
        finally:
            proc.terminate()
            proc.wait()
        print(
            f"{n:>7,} neighbourhoods: server up in {up:.1f} s; the map page delivered cold in "
            f"{cold:.2f} s (of which its outlines file {cold_file:.2f} s), again {warm:.2f} s"
        )


def outlines_first_request(sizes: list[int], work: Path) -> None:
    """The cold map's geometry step, before and after the outlines were kept in the store:
    simplifying and merging on the first request (what the page did) against reading what the
    ingest stored (what it does now), in the same run on the same store."""
    from citygeo.geo.display import display_outlines, district_outlines
    from citygeo.store import reads

    for n in sizes:
        city = synthetic_city(n)
        store = work / f"outlines-{n}.duckdb"
        build_store(city, store)
        t = time.perf_counter()
        with Store(store).reader() as con:
            frame = reads.neighbourhoods(con, geometry=True)
        shapes = gpd.GeoDataFrame(
            frame, geometry=shapely.from_wkb(frame.pop("geom_wkb").to_numpy()), crs="EPSG:4326"
        )
        outlines = display_outlines(shapes)
        district_outlines(outlines)
        computed = time.perf_counter() - t
        t = time.perf_counter()
        with Store(store).reader() as con:
            stored, districts = reads.display_outlines(con), reads.district_outlines(con)
        [orjson.loads(g) for g in stored["geometry"]]
        [orjson.loads(g) for g in districts["geometry"]]
        read = time.perf_counter() - t
        print(
            f"{n:>7,} neighbourhoods: outlines computed on the first request {computed:6.1f} s; "
            f"read from the store {read:5.2f} s ({computed / read:,.0f}× less)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--outlines",
        action="store_true",
        help="only the cold map's geometry step: computed on request vs read from the store",
    )
    parser.add_argument("--large", action="store_true", help="also the 35,000-neighbourhood city")
    parser.add_argument("--no-browser", action="store_true", help="bytes only")
    parser.add_argument(
        "--server",
        action="store_true",
        help="only the server's delivery of the map page, cold then again (no browser)",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        help="comma-separated city sizes (default 150,5000; --large adds 35000)",
    )
    args = parser.parse_args()
    sizes = args.sizes or [150, 5000] + ([35000] if args.large else [])
    work = Path(tempfile.mkdtemp(prefix="citygeo-bench-"))
    if args.outlines:
        outlines_first_request(sizes, work)
        return
    if args.server:
        stores = {}
        for n in sizes:
            stores[n] = work / f"city-{n}.duckdb"
            build_store(synthetic_city(n), stores[n])
        server_rows(sizes, stores, work)
        return
    stores, cities, rows = {}, {}, []
    for n in sizes:
        t = time.perf_counter()
        city = synthetic_city(n)
        stores[n] = work / f"city-{n}.duckdb"
        build_store(city, stores[n])
        cities[n] = city
        naive, _ = naive_bytes(city)
        t1 = time.perf_counter()
        raw, gz, msg = our_bytes(stores[n])
        prep = time.perf_counter() - t1
        rows.append(
            {
                "n": n,
                "vertices": int(shapely.get_num_coordinates(city.geometry.to_numpy()).sum()),
                "naive_bytes": naive,
                "static_raw": raw,
                "static_gzip": gz,
                "message": msg,
                "ratio": naive / (gz + msg),
                "prepare_s": prep,
            }
        )
        print(
            f"{n:>6} neighbourhoods ({rows[-1]['vertices']:,} vertices, "
            f"built in {time.perf_counter() - t:.1f} s): "
            f"naive chart message {naive / 1e6:,.1f} MB; "
            f"ours {msg / 1e3:.1f} KB message + static file "
            f"{raw / 1e6:,.2f} MB ({gz / 1e6:,.2f} MB gzipped) = {naive / (gz + msg):,.0f}× less; "
            f"a field change "
            f"sends the message only ({naive / msg:,.0f}× less than the naive page's); "
            f"simplify + write once per store {prep:.1f} s",
            flush=True,
        )
    if not args.no_browser:
        timings = browser_rows(sizes, stores, cities, work)
        base = next((t for t in timings if t["n"] == 150), timings[0])
        print(
            "\nheadless Chromium (software WebGL), seconds; "
            "ratios vs the 150 city and vs the naive page"
        )
        for t in timings:
            line = (
                f"{t['n']:>6}: ours first paint {t['ours_first']:.1f} s "
                f"(cold server {t['ours_first_cold']:.1f} s; "
                f"{t['ours_first'] / base['ours_first']:.1f}× the 150 city), "
                f"measure change → repaint "
                f"{t['ours_change']:.1f} s ({t['ours_change'] / base['ours_change']:.1f}×)"
            )
            if "naive_first" in t:
                line += (
                    f"; naive first paint {t['naive_first']:.1f} s "
                    f"(ours {t['ours_first'] / t['naive_first']:.2f}×), "
                    f"naive change {t['naive_change']:.1f} s "
                    f"(ours {t['ours_change'] / t['naive_change']:.2f}×)"
                )
            print(line, flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
