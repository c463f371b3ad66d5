"""Benchmark the scoring engine on a synthetic city (a grid of square neighbourhoods).

    PYTHONPATH=. python benchmarks/scoring.py            # 35,000 neighbourhoods × 30 measures
                                                         # × 3 years
    PYTHONPATH=. python benchmarks/scoring.py --small    # 2,500 neighbourhoods, a few seconds
    PYTHONPATH=. python benchmarks/scoring.py --no-service   # skip the in-memory whole
                                                             # `citygeo score` step
    PYTHONPATH=. python benchmarks/scoring.py --cli      # only the real `citygeo score`
                                                         # on a DuckDB store
    PYTHONPATH=. python benchmarks/scoring.py --no-cli   # everything but the real command
    PYTHONPATH=. python benchmarks/scoring.py --moran    # only Local Moran: 1 worker against 2

Prints the fastest wall time of N runs (``--repeats``) and the peak traced memory
(tracemalloc, one extra run) of each step, ratios against a baseline measured in the same
run (one plain pandas min-max normalisation pass of the same indicators), the load average
before and after, and then the figures against issue 3's targets (2 cores), all over the
three years: weight change < 100 ms, full recompute < 2 s, 1,000-draw Monte Carlo < 10 s,
whole `citygeo score` (in memory) < 60 s; and the real command (``--cli``) against issue 16's
≤ 15 s. One-year figures are printed as extra information.

The `citygeo score` step runs what ``service.score_store`` does after reading the store:
``score_methodology`` (all years; neighbourhoods with the Monte Carlo and hot spots,
districts with 200 draws, exact rates put back) and ``save_scores`` into a fresh DuckDB
store, plus building the queen weights. Reading the inputs from the store is not included.

The real command (run by default, or alone with ``--cli``) writes the same synthetic city into
a DuckDB store once (``/tmp/citygeo-bench-score-<n>/inputs.duckdb``, reused while its format
matches; about 40 s for 35,000 neighbourhoods, not part of the target): neighbourhood squares
in EPSG:4326, the indicator values, one point per incident (inside its square, dated in its
year) and per asset, and survey microdata (10–80 weighted respondents per neighbourhood and
year, every item, 1–5). The methodology is written as a TOML file with the same sha256 as
``synthetic_methodology()``. Each run copies the store (so it scores a store without scores)
and times ``python -m citygeo score --store … --methodology …`` in a subprocess: wall time,
CPU time (user + system) and peak RSS of that process (``os.wait4``); ``--profile`` adds one
run under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import box

from citygeo.scoring import (
    ScoringInputs,
    parse_methodology,
    prepare,
    queen_weights,
    recompute,
    score_prepared,
)
from citygeo.scoring.hotspots import local_moran_classes
from citygeo.scoring.robustness import rank_intervals

YEARS = [2024, 2025, 2026]
N_INDICATORS, N_INCIDENTS, N_ASSETS, N_SURVEY = 15, 8, 4, 3  # 30 measures


def measure(
    label: str, func: Callable[[], Any], baseline: float | None = None, repeats: int = 3
) -> tuple[Any, float]:
    """Time ``func`` untraced (fastest of ``repeats``), then run it once more under
    tracemalloc for its peak memory (tracing slows pandas several-fold, so the two are
    measured apart)."""
    seconds = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = func()
        seconds = min(seconds, time.perf_counter() - start)
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    ratio = f"  ({seconds / baseline:6.1f}× baseline)" if baseline else ""
    print(f"{label:<52} {seconds * 1000:10.1f} ms   peak {peak:8.1f} MiB{ratio}", flush=True)
    return result, seconds


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def verdict(seconds: float, target: float, *, inclusive: bool = False) -> str:
    met = seconds <= target if inclusive else seconds < target
    return f"{'meets' if met else 'MISSES'} target {'≤' if inclusive else '<'} {target:g} s"


def smooth_field(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """A spatially smooth random surface (gradient + blobs), flattened row-major."""
    y, x = np.mgrid[0:rows, 0:cols] / max(rows, cols)
    field = rng.normal() * x + rng.normal() * y
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
        field += rng.uniform(0.5, 2) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r**2)
    return (field + 0.3 * rng.normal(size=field.shape)).ravel()


def synthetic_city(rows: int, cols: int, seed: int = 1) -> tuple[ScoringInputs, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    n = rows * cols
    nids = np.array([f"N{i:06d}" for i in range(n)])
    population = rng.integers(300, 5000, size=n).astype(float)
    hoods = pd.DataFrame(
        {
            "nid": nids,
            "name": nids,
            "district": [f"D{i // (n // 40 + 1):02d}" for i in range(n)],
            "population": population,
            "area_km2": rng.uniform(0.1, 2.0, size=n),
        }
    )
    deprivation = smooth_field(rows, cols, rng)
    indicator_frames, incident_frames, survey_frames = [], [], []
    for year in YEARS:
        for k in range(N_INDICATORS):
            value = 20 + 5 * deprivation * rng.uniform(0.5, 1.5) + rng.normal(size=n)
            indicator_frames.append(
                pd.DataFrame(
                    {
                        "nid": nids,
                        "indicator": f"ind{k}",
                        "year": year,
                        "grp": "all",
                        "value": value,
                    }
                )
            )
        for k in range(N_INCIDENTS):
            lam = population / 1000 * np.exp(0.5 * deprivation) * rng.uniform(0.5, 3)
            incident_frames.append(
                pd.DataFrame(
                    {"nid": nids, "year": year, "category": f"cat{k}", "count": rng.poisson(lam)}
                )
            )
        for k in range(N_SURVEY):
            survey_frames.append(
                pd.DataFrame(
                    {
                        "nid": nids,
                        "year": year,
                        "item": f"item{k}",
                        "grp": "all",
                        "estimate": 3 - 0.3 * deprivation + rng.normal(0, 0.3, size=n),
                        "n_eff": rng.uniform(10, 80, size=n),
                    }
                )
            )
    incidents = pd.concat(incident_frames, ignore_index=True)
    assets = pd.DataFrame(
        {
            "nid": np.repeat(nids, N_ASSETS),
            "kind": np.tile([f"kind{k}" for k in range(N_ASSETS)], n),
            "theme": None,
            "count": rng.poisson(1.0, size=n * N_ASSETS),
        }
    )
    inputs = ScoringInputs(
        hoods,
        pd.concat(indicator_frames, ignore_index=True),
        incidents.loc[incidents["count"] > 0],
        assets,
        pd.concat(survey_frames, ignore_index=True),
    )
    cells = gpd.GeoDataFrame(
        {"nid": nids},
        geometry=box(
            np.tile(np.arange(cols), rows),
            np.repeat(np.arange(rows), cols),
            np.tile(np.arange(cols), rows) + 1,
            np.repeat(np.arange(rows), cols) + 1,
        ),
    )
    return inputs, cells


def synthetic_methodology_spec(weight_shift: float = 0.0) -> dict[str, Any]:
    """The synthetic methodology as the dict a methodology TOML file reads into."""
    domains = [
        {"id": f"risk{k}", "index": "risk", "weight": 1.0 + weight_shift * k} for k in range(3)
    ]
    domains += [{"id": f"prot{k}", "index": "protective", "weight": 1.0} for k in range(3)]
    measures: list[dict[str, Any]] = []
    for k in range(N_INDICATORS):
        measures.append(
            {
                "id": f"ind{k}",
                "domain": f"risk{k % 3}",
                "direction": "risk" if k % 4 else "protective",
                "weight": 1.0 + 0.1 * k,
            }
        )
    for k in range(N_INCIDENTS):
        measures.append(
            {
                "id": f"inc{k}",
                "domain": f"risk{k % 3}",
                "direction": "risk",
                "from": "incidents",
                "categories": [f"cat{k}"],
                "smoothing": "empirical_bayes" if k % 2 else None,
            }
        )
    for k in range(N_ASSETS):
        measures.append(
            {
                "id": f"asset{k}",
                "domain": f"prot{k % 2}",
                "direction": "protective",
                "from": "assets",
                "kinds": [f"kind{k}"],
            }
        )
    for k in range(N_SURVEY):
        measures.append(
            {
                "id": f"svy{k}",
                "domain": "prot2",
                "direction": "protective",
                "from": "survey",
                "item": f"item{k}",
            }
        )
    for m in measures:
        if m.get("smoothing") is None:
            m.pop("smoothing", None)
    return {"version": "bench", "domains": domains, "measures": measures}


def synthetic_methodology(weight_shift: float = 0.0) -> Any:
    return parse_methodology(synthetic_methodology_spec(weight_shift))


def whole_score(
    inputs: ScoringInputs, cells: gpd.GeoDataFrame, methodology: Any, draws: int
) -> None:
    """What ``citygeo score`` does once the inputs are read: weights, scores, write."""
    from citygeo.service import scoring as service
    from citygeo.store import Store

    with tempfile.TemporaryDirectory() as folder:
        weighted = ScoringInputs(
            inputs.neighbourhoods,
            inputs.indicator_values,
            inputs.incident_counts,
            inputs.asset_counts,
            inputs.survey_estimates,
            queen_weights(cells),
        )
        scores, districts = service.score_methodology(weighted, methodology, draws=draws)
        service.save_scores(Store(f"{folder}/bench.duckdb"), methodology, scores, districts)


# -- the real command on a real store --------------------------------------------------------
STORE_FORMAT = "4"  # bump when the store written below changes, so an old one is rebuilt
ORIGIN, CELL = (
    (-20.0, -47.0),
    0.005,
)  # square neighbourhoods of 0.005° (~0.4 × 0.55 km) in the South Atlantic
RESPONDENTS = (10, 81)  # respondents per neighbourhood and year (each answers every item)


def toml_text(spec: dict[str, Any]) -> str:
    """A methodology dict as TOML (strings, numbers, lists of strings, arrays of tables)."""

    def value(v: Any) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(float(v)) if isinstance(v, float) else str(v)

    lines = [f"{k} = {value(v)}" for k, v in spec.items() if not isinstance(v, list)]
    for table in ("domains", "measures"):
        for row in spec[table]:
            lines += ["", f"[[{table}]]", *(f"{k} = {value(v)}" for k, v in row.items())]
    return "\n".join(lines) + "\n"


def _insert(con: Any, table: str, frame: pd.DataFrame, select: str) -> None:
    """``INSERT INTO table SELECT <select> FROM frame`` (geometry and ids built in SQL)."""
    con.register("bench_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT {select} FROM bench_rows")
    finally:
        con.unregister("bench_rows")


def build_score_store(
    inputs: ScoringInputs, rows: int, cols: int, path: str, seed: int = 2
) -> None:
    """Write the synthetic city into a DuckDB store as a real ingest would leave it.

    Neighbourhoods as squares in EPSG:4326; the indicator values as they are; one point per
    incident (inside its neighbourhood's square, dated in its year) and per asset; survey
    microdata: 10–80 respondents per neighbourhood and year (weights 0.5–1.5) answering every
    item on a 1–5 scale around the in-memory city's estimate.
    """
    from citygeo.store import Store, append_rows

    rng = np.random.default_rng(seed)
    hoods = inputs.neighbourhoods
    n = len(hoods)
    index = np.arange(n)
    col, row = index % cols, index // cols
    x0, y0 = ORIGIN
    xs, ys = (
        x0 + CELL * np.arange(cols + 1),
        y0 + CELL * np.arange(rows + 1),
    )  # shared corners are equal floats
    frame = hoods.copy()
    frame["geom_wkb"] = shapely.to_wkb(box(xs[col], ys[row], xs[col + 1], ys[row + 1]))
    position = pd.Series(index, index=hoods["nid"].to_numpy())

    def points(nid: pd.Series, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One point per counted item, uniformly inside its neighbourhood's square."""
        where = np.repeat(position[nid.to_numpy()].to_numpy(), counts)
        lon = xs[col[where]] + CELL * rng.uniform(0.01, 0.99, len(where))
        lat = ys[row[where]] + CELL * rng.uniform(0.01, 0.99, len(where))
        return where, lon, lat

    inc = inputs.incident_counts
    counts = inc["count"].to_numpy(dtype=np.int64)
    where, lon, lat = points(inc["nid"], counts)
    year = np.repeat(inc["year"].to_numpy(dtype=np.int64), counts)
    incidents = pd.DataFrame(
        {
            "i": np.arange(len(where)),
            "hood": where,
            "lon": lon,
            "lat": lat,
            "cat": np.repeat(
                inc["category"].str.removeprefix("cat").astype(int).to_numpy(), counts
            ),
            "day": (
                pd.to_datetime(year.astype(str), format="%Y").to_numpy().astype("datetime64[D]")
                + rng.integers(0, 365, len(where)).astype("timedelta64[D]")
            ),
        }
    )
    assets_in = inputs.asset_counts
    a_counts = assets_in["count"].to_numpy(dtype=np.int64)
    where, lon, lat = points(assets_in["nid"], a_counts)
    assets = pd.DataFrame(
        {
            "i": np.arange(len(where)),
            "hood": where,
            "lon": lon,
            "lat": lat,
            "kind": np.repeat(assets_in["kind"].to_numpy(dtype=object), a_counts),
        }
    )
    # survey microdata: respondent r answers every item; values on 1–5 around the city's estimate
    est = inputs.survey_estimates
    assert est is not None
    per_hood_year = rng.integers(*RESPONDENTS, size=n * len(YEARS))
    hood = np.repeat(np.tile(index, len(YEARS)), per_hood_year)
    year = np.repeat(np.repeat(YEARS, n), per_hood_year)
    n_resp = len(hood)
    weight = rng.uniform(0.5, 1.5, n_resp)
    survey_parts = []
    for k in range(N_SURVEY):
        target = est.loc[est["item"] == f"item{k}"].pivot(
            index="nid", columns="year", values="estimate"
        )
        centre = target.to_numpy()[hood, np.searchsorted(np.array(YEARS), year)]
        value = np.clip(np.rint(centre + rng.normal(0, 1, n_resp)), 1, 5)
        survey_parts.append(
            pd.DataFrame(
                {
                    "r": np.arange(n_resp),
                    "hood": hood,
                    "year": year,
                    "weight": weight,
                    "item": k,
                    "value": value,
                }
            )
        )
    survey = pd.concat(survey_parts, ignore_index=True)

    with Store(path).writer() as con:
        append_rows(con, "neighbourhoods", frame, {"geom": "geom_wkb"})
        append_rows(
            con,
            "indicator_values",
            inputs.indicator_values[["nid", "indicator", "year", "grp", "value"]],
        )
        _insert(
            con,
            "incidents (incident_id, occurred_on, category, geom, nid, source_id)",
            incidents,
            "printf('I%09d', i), CAST(day AS DATE), 'cat' || cat, ST_Point(lon, lat), "
            "printf('N%06d', hood), 'bench'",
        )
        _insert(
            con,
            "assets (asset_id, kind, name, formal, themes, geom, nid, source_id)",
            assets,
            "printf('A%07d', i), kind, 'asset ' || i, TRUE, []::VARCHAR[], ST_Point(lon, lat), "
            "printf('N%06d', hood), 'bench'",
        )
        _insert(
            con,
            "survey_responses (response_id, nid, year, weight, item, value, source_id)",
            survey,
            "printf('R%09d', r), printf('N%06d', hood), year, weight, 'item' || item, value, "
            "'bench'",
        )
        con.execute(
            "INSERT INTO city VALUES ('name', 'Synthetic scoring benchmark city'), "
            "('fictional', 'True'), ('bench_format', ?)",
            [STORE_FORMAT],
        )
    print(
        f"  wrote {n:,} neighbourhoods, {len(inputs.indicator_values):,} indicator values, "
        f"{len(incidents):,} incidents, "
        f"{len(assets):,} assets, {len(survey):,} survey answers ({n_resp:,} respondent-years)",
        flush=True,
    )


def cached_store(
    inputs: ScoringInputs, rows: int, cols: int, folder: str
) -> tuple[str, float | None]:
    """The input store in ``folder`` (built once; reused while its format matches).
    Returns its path and the build time (None when reused)."""
    from citygeo.store import Store

    path = os.path.join(folder, "inputs.duckdb")
    store = Store(path)
    if store.exists() and "city" in store.tables():
        settings = dict(store.query("SELECT key, value FROM city").itertuples(index=False))
        if settings.get("bench_format") == STORE_FORMAT:
            return path, None
        os.remove(path)
    os.makedirs(folder, exist_ok=True)
    start = time.perf_counter()
    build_score_store(inputs, rows, cols, path)
    return path, time.perf_counter() - start


def run_score_command(
    store: str, methodology_file: str, draws: int, profile: str | None = None
) -> tuple[float, float, float]:
    """Run ``python -m citygeo score`` on ``store`` in a subprocess.
    Returns (wall seconds, CPU seconds user + system, peak RSS MiB) of that process."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runner = ["-m", "cProfile", "-o", profile] if profile else []
    cmd = [
        sys.executable,
        *runner,
        "-m",
        "citygeo",
        "score",
        "--store",
        store,
        "--methodology",
        methodology_file,
        "--draws",
        str(draws),
    ]
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (peak RSS, CPU)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed with exit code {proc.returncode}:\n{text}")
    log_line = next(
        (line for line in text.splitlines() if line.startswith("scored")), text.strip()[:200]
    )
    print(f"  {log_line}", flush=True)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def score_command_step(
    inputs: ScoringInputs, rows: int, cols: int, draws: int, repeats: int, profile: bool
) -> tuple[float, float, float, float | None]:
    """Build (or reuse) the store, then time the real `citygeo score` on a fresh copy of it each
    run. Returns (fastest wall s, its CPU s, largest peak RSS MiB, store build s or None)."""
    folder = f"/tmp/citygeo-bench-score-{rows * cols}"
    path, built = cached_store(inputs, rows, cols, folder)
    print(
        f"store {path} ({os.path.getsize(path) / 2**20:.0f} MiB): "
        + (f"built in {built:.1f} s (not part of the target)" if built is not None else "reused"),
        flush=True,
    )
    methodology_file = os.path.join(folder, "methodology.toml")
    with open(methodology_file, "w", encoding="utf-8") as fh:
        fh.write(toml_text(synthetic_methodology_spec()))
    from citygeo.scoring import load_methodology, methodology_sha256

    assert methodology_sha256(load_methodology(methodology_file)) == methodology_sha256(
        synthetic_methodology()
    )
    best, best_cpu, peak = float("inf"), 0.0, 0.0
    run = os.path.join(folder, "run.duckdb")
    for attempt in range(max(1, repeats) + (1 if profile else 0)):
        shutil.copyfile(path, run)  # every run scores a store that has no scores yet
        prof = os.path.join(folder, "score.prof") if profile and attempt == repeats else None
        seconds, cpu, rss = run_score_command(run, methodology_file, draws, prof)
        label = "profiled run (cProfile, not counted)" if prof else f"run {attempt + 1}"
        print(
            f"  {label}: wall {seconds:.1f} s, CPU {cpu:.1f} s, peak RSS {rss:.0f} MiB; "
            f"load {load_average()}",
            flush=True,
        )
        if prof:
            import pstats

            print(f"  profile written to {prof}; top 30 by cumulative time:")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            continue
        peak = max(peak, rss)
        if seconds < best:
            best, best_cpu = seconds, cpu
    for leftover in (run, run + ".lock"):
        if os.path.exists(leftover):
            os.remove(leftover)
    return best, best_cpu, peak, built


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's live children (the workers)."""
    total, me, tick = 0.0, str(os.getpid()), os.sysconf("SC_CLK_TCK")
    for stat in os.listdir("/proc"):
        if not stat.isdigit():
            continue
        try:
            fields = Path(f"/proc/{stat}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # fields[1] is the parent pid; utime, stime are fields 11 and 12
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def moran_workers(
    prepared: Any, scores: pd.DataFrame, w: Any, repeats: int
) -> tuple[float, float, float]:
    """Local Moran (999 permutations, every year) on 1 and on 2 worker processes, alternating.

    Returns the fastest wall time of each (1 worker, 2 workers) and the 2-worker figure again;
    stops if the two give different classes.
    """
    years = [
        pd.Series(scores["risk_score"].to_numpy()[rows], index=scores["nid"].to_numpy()[rows])
        for rows in prepared.year_rows.values()
    ]
    best = {1: float("inf"), 2: float("inf")}
    cpu = {1: 0.0, 2: 0.0}
    worker_cpu = {1: 0.0, 2: 0.0}
    classes: dict[int, list[pd.Series]] = {}
    local_moran_classes(years[0].iloc[:100], w, permutations=9, seed=1, workers=2)  # start the pool
    for _ in range(max(1, repeats)):
        for workers in (1, 2):
            start, start_cpu, start_children = (
                time.perf_counter(),
                time.process_time(),
                children_cpu(),
            )
            classes[workers] = [
                local_moran_classes(v, w, permutations=999, seed=1, workers=workers) for v in years
            ]
            seconds = time.perf_counter() - start
            if seconds < best[workers]:
                best[workers], cpu[workers] = seconds, time.process_time() - start_cpu
                worker_cpu[workers] = children_cpu() - start_children
    same = all(a.equals(b) for a, b in zip(classes[1], classes[2]))
    for workers in (1, 2):
        print(
            f"{'Local Moran 999 permutations, 3 years, ' + str(workers) + ' worker(s)':<52} "
            f"{best[workers] * 1000:10.1f} ms   (CPU: main process {cpu[workers]:.2f} s, "
            f"workers {worker_cpu[workers]:.2f} s)",
            flush=True,
        )
    # With two free cores the workers' share halves and the main process's does not.
    free = cpu[2] + worker_cpu[2] / 2
    print(
        f"  1 worker / 2 workers = {best[1] / best[2]:.2f}x by wall time; on two free cores "
        f"(CPU: main + workers / 2 = {free:.2f} s) {cpu[1] / free:.2f}x; classes identical: "
        f"{same}; load average {load_average()}"
    )
    if not same:
        raise SystemExit("Local Moran classes differ between 1 and 2 workers")
    return best[1], best[2], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--small", action="store_true", help="2,500 neighbourhoods instead of 35,000"
    )
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per step; the fastest is reported"
    )
    parser.add_argument(
        "--no-service", action="store_true", help="skip the in-memory whole `citygeo score` step"
    )
    parser.add_argument(
        "--cli", action="store_true", help="only the real `citygeo score` on a DuckDB store"
    )
    parser.add_argument(
        "--no-cli", action="store_true", help="skip the real `citygeo score` on a DuckDB store"
    )
    parser.add_argument(
        "--cli-repeats",
        type=int,
        default=2,
        help="runs of the real command; the fastest is reported",
    )
    parser.add_argument(
        "--profile", action="store_true", help="one more run of the real command under cProfile"
    )
    parser.add_argument("--moran", action="store_true", help="only Local Moran, 1 worker against 2")
    args = parser.parse_args()
    rows, cols = (50, 50) if args.small else (175, 200)
    inputs, cells = synthetic_city(rows, cols)
    if args.moran:
        prepared = prepare(inputs, synthetic_methodology())
        print(
            f"synthetic city: {rows * cols:,} neighbourhoods × {len(YEARS)} years; "
            f"fastest of {args.repeats}; load average before: {load_average()}",
            flush=True,
        )
        moran_workers(
            prepared,
            recompute(prepared, synthetic_methodology()),
            queen_weights(cells),
            args.repeats,
        )
        return
    if args.cli:
        print(
            f"synthetic city: {rows * cols:,} neighbourhoods × 30 measures × {len(YEARS)} years; "
            f"real `citygeo score` fastest of {args.cli_repeats}; "
            f"load average before: {load_average()}",
            flush=True,
        )
        cli_figures(
            score_command_step(inputs, rows, cols, args.draws, args.cli_repeats, args.profile),
            rows * cols,
        )
        return
    methodology = synthetic_methodology()
    changed = synthetic_methodology(weight_shift=0.5)
    reps = args.repeats
    print(
        f"synthetic city: {rows * cols:,} neighbourhoods × {len(methodology.measures)} measures "
        f"× {len(YEARS)} years; "
        f"fastest of {reps}; load average before: {load_average()}",
        flush=True,
    )

    raw = inputs.indicator_values.pivot_table(
        index=["year", "nid"], columns="indicator", values="value"
    )
    _, baseline = measure(
        "baseline: pandas min-max of the indicators",
        lambda: (
            (raw - raw.groupby(level=0).transform("min"))
            / (raw.groupby(level=0).transform("max") - raw.groupby(level=0).transform("min"))
        ),
        repeats=reps,
    )
    print("-- all 3 years (the figures against the targets)")
    prepared, t_prepare = measure(
        "prepare (raw measures + normalise)", lambda: prepare(inputs, methodology), baseline, reps
    )
    _, t_weight = measure(
        "weight change: recompute", lambda: recompute(prepared, changed), baseline, max(reps, 5)
    )
    _, t_full = measure(
        "full recompute: prepare + all indices, no MC/hot spots",
        lambda: score_prepared(prepare(inputs, methodology), None, draws=0),
        baseline,
        reps,
    )
    _, t_mc = measure(
        f"Monte Carlo {args.draws} draws",
        lambda: rank_intervals(prepared, draws=args.draws, seed=1),
        baseline,
        reps,
    )
    w, t_queen = measure(
        "queen contiguity weights (libpysal)", lambda: queen_weights(cells), baseline, 1
    )
    scores = recompute(prepared, methodology)

    t_moran = moran_workers(prepared, scores, w, 1)[2]
    print("-- one year (extra information)")
    one_year = prepare(inputs, methodology, [2026])
    _, t_weight_one = measure(
        "weight change: recompute, one year",
        lambda: recompute(one_year, changed),
        baseline,
        max(reps, 5),
    )
    _, t_full_one = measure(
        "full recompute, one year",
        lambda: score_prepared(prepare(inputs, methodology, [2026]), None, draws=0),
        baseline,
        reps,
    )
    _, t_mc_one = measure(
        f"Monte Carlo {args.draws} draws, one year",
        lambda: rank_intervals(one_year, draws=args.draws, seed=1),
        baseline,
        reps,
    )
    t_whole = None
    if not args.no_service:
        print("-- whole `citygeo score` (score_methodology + save_scores, 3 years)")
        _, t_whole = measure(
            "citygeo score: weights + scores + districts + write",
            lambda: whole_score(inputs, cells, methodology, args.draws),
            baseline,
            1,
        )
    print(
        "max RSS of the process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
        f"load average after: {load_average()}"
    )
    cli = None
    if not args.no_cli:
        print("-- the real `citygeo score` in a subprocess, on a DuckDB store of this city")
        cli = score_command_step(inputs, rows, cols, args.draws, args.cli_repeats, args.profile)
    print(f"\nTHE FIGURES (3 years, {rows * cols:,} neighbourhoods):")
    print(f"  weight change   {t_weight * 1000:8.0f} ms   {verdict(t_weight, 0.1)}")
    print(
        f"  full recompute  {t_full:8.2f} s    {verdict(t_full, 2.0)}  (prepare {t_prepare:.2f} s)"
    )
    print(f"  Monte Carlo     {t_mc:8.2f} s    {verdict(t_mc, 10.0)}  ({args.draws} draws)")
    print(
        f"  Local Moran     {t_moran:8.2f} s    (999 permutations × 3 years, 2 workers; "
        f"queen weights {t_queen:.2f} s)"
    )
    if t_whole is not None:
        print(
            f"  citygeo score   {t_whole:8.2f} s    {verdict(t_whole, 60.0)}  "
            "(store reading not included)"
        )
    print(
        f"  one year: weight change {t_weight_one * 1000:.0f} ms, full {t_full_one:.2f} s, "
        f"Monte Carlo {t_mc_one:.2f} s"
    )
    if cli is not None:
        cli_figures(cli, rows * cols)


def cli_figures(cli: tuple[float, float, float, float | None], n: int) -> None:
    seconds, cpu, rss, built = cli
    print(
        f"\nREAL COMMAND (`python -m citygeo score`, {n:,} neighbourhoods × 3 years, "
        f"{os.cpu_count()} cores):"
    )
    print(
        f"  citygeo score   {seconds:8.2f} s    {verdict(seconds, 15.0, inclusive=True)}  "
        f"(wall; CPU {cpu:.1f} s, "
        f"peak RSS {rss:.0f} MiB; load average {load_average()})"
    )
    print(
        "  store build     "
        + (f"{built:8.2f} s    (not part of the target)" if built is not None else "   reused")
    )


if __name__ == "__main__":
    main()
