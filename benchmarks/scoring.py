"""Benchmark the scoring engine on a synthetic city (a grid of square neighbourhoods).

    PYTHONPATH=. python benchmarks/scoring.py            # 35,000 neighbourhoods × 30 measures × 3 years
    PYTHONPATH=. python benchmarks/scoring.py --small    # 2,500 neighbourhoods, a few seconds
    PYTHONPATH=. python benchmarks/scoring.py --no-service   # skip the whole `citygeo score` step

Prints the fastest wall time of N runs (``--repeats``) and the peak traced memory
(tracemalloc, one extra run) of each step, ratios against a baseline measured in the same
run (one plain pandas min-max normalisation pass of the same indicators), the load average
before and after, and then the figures against issue 3's targets (2 cores), all over the
three years: weight change < 100 ms, full recompute < 2 s, 1,000-draw Monte Carlo < 10 s,
whole `citygeo score` < 60 s. One-year figures are printed as extra information.

The `citygeo score` step runs what ``service.score_store`` does after reading the store:
``score_methodology`` (all years; neighbourhoods with the Monte Carlo and hot spots,
districts with 200 draws, exact rates put back) and ``save_scores`` into a fresh DuckDB
store, plus building the queen weights. Reading the inputs from the store is not included.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import box

from citygeo.scoring import ScoringInputs, parse_methodology, prepare, queen_weights, recompute, score_prepared
from citygeo.scoring.hotspots import local_moran_classes
from citygeo.scoring.robustness import rank_intervals

YEARS = [2024, 2025, 2026]
N_INDICATORS, N_INCIDENTS, N_ASSETS, N_SURVEY = 15, 8, 4, 3  # 30 measures


def measure(label: str, func: Callable[[], Any], baseline: float | None = None, repeats: int = 3) -> tuple[Any, float]:
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


def verdict(seconds: float, target: float) -> str:
    return f"{'meets' if seconds < target else 'MISSES'} target < {target:g} s"


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
    hoods = pd.DataFrame({"nid": nids, "name": nids, "district": [f"D{i // (n // 40 + 1):02d}" for i in range(n)],
                          "population": population, "area_km2": rng.uniform(0.1, 2.0, size=n)})
    deprivation = smooth_field(rows, cols, rng)
    indicator_frames, incident_frames, survey_frames = [], [], []
    for year in YEARS:
        for k in range(N_INDICATORS):
            value = 20 + 5 * deprivation * rng.uniform(0.5, 1.5) + rng.normal(size=n)
            indicator_frames.append(pd.DataFrame({"nid": nids, "indicator": f"ind{k}", "year": year, "grp": "all", "value": value}))
        for k in range(N_INCIDENTS):
            lam = population / 1000 * np.exp(0.5 * deprivation) * rng.uniform(0.5, 3)
            incident_frames.append(pd.DataFrame({"nid": nids, "year": year, "category": f"cat{k}", "count": rng.poisson(lam)}))
        for k in range(N_SURVEY):
            survey_frames.append(pd.DataFrame({"nid": nids, "year": year, "item": f"item{k}", "grp": "all",
                                               "estimate": 3 - 0.3 * deprivation + rng.normal(0, 0.3, size=n),
                                               "n_eff": rng.uniform(10, 80, size=n)}))
    incidents = pd.concat(incident_frames, ignore_index=True)
    assets = pd.DataFrame({"nid": np.repeat(nids, N_ASSETS), "kind": np.tile([f"kind{k}" for k in range(N_ASSETS)], n),
                           "theme": None, "count": rng.poisson(1.0, size=n * N_ASSETS)})
    inputs = ScoringInputs(hoods, pd.concat(indicator_frames, ignore_index=True), incidents.loc[incidents["count"] > 0],
                           assets, pd.concat(survey_frames, ignore_index=True))
    cells = gpd.GeoDataFrame({"nid": nids}, geometry=box(np.tile(np.arange(cols), rows), np.repeat(np.arange(rows), cols),
                                                         np.tile(np.arange(cols), rows) + 1, np.repeat(np.arange(rows), cols) + 1))
    return inputs, cells


def synthetic_methodology(weight_shift: float = 0.0) -> Any:
    domains = [{"id": f"risk{k}", "index": "risk", "weight": 1.0 + weight_shift * k} for k in range(3)]
    domains += [{"id": f"prot{k}", "index": "protective", "weight": 1.0} for k in range(3)]
    measures: list[dict[str, Any]] = []
    for k in range(N_INDICATORS):
        measures.append({"id": f"ind{k}", "domain": f"risk{k % 3}", "direction": "risk" if k % 4 else "protective", "weight": 1.0 + 0.1 * k})
    for k in range(N_INCIDENTS):
        measures.append({"id": f"inc{k}", "domain": f"risk{k % 3}", "direction": "risk", "from": "incidents",
                         "categories": [f"cat{k}"], "smoothing": "empirical_bayes" if k % 2 else None})
    for k in range(N_ASSETS):
        measures.append({"id": f"asset{k}", "domain": f"prot{k % 2}", "direction": "protective", "from": "assets", "kinds": [f"kind{k}"]})
    for k in range(N_SURVEY):
        measures.append({"id": f"svy{k}", "domain": "prot2", "direction": "protective", "from": "survey", "item": f"item{k}"})
    for m in measures:
        if m.get("smoothing") is None:
            m.pop("smoothing", None)
    return parse_methodology({"version": "bench", "domains": domains, "measures": measures})


def whole_score(inputs: ScoringInputs, cells: gpd.GeoDataFrame, methodology: Any, draws: int) -> None:
    """What ``citygeo score`` does once the inputs are read: weights, scores, write."""
    from citygeo import service
    from citygeo.store import Store

    with tempfile.TemporaryDirectory() as folder:
        weighted = ScoringInputs(inputs.neighbourhoods, inputs.indicator_values, inputs.incident_counts,
                                 inputs.asset_counts, inputs.survey_estimates, queen_weights(cells))
        scores, districts = service.score_methodology(weighted, methodology, draws=draws)
        service.save_scores(Store(f"{folder}/bench.duckdb"), methodology, scores, districts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="2,500 neighbourhoods instead of 35,000")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="runs per step; the fastest is reported")
    parser.add_argument("--no-service", action="store_true", help="skip the whole `citygeo score` step")
    args = parser.parse_args()
    rows, cols = (50, 50) if args.small else (175, 200)
    inputs, cells = synthetic_city(rows, cols)
    methodology = synthetic_methodology()
    changed = synthetic_methodology(weight_shift=0.5)
    reps = args.repeats
    print(f"synthetic city: {rows * cols:,} neighbourhoods × {len(methodology.measures)} measures × {len(YEARS)} years; "
          f"fastest of {reps}; load average before: {load_average()}", flush=True)

    raw = inputs.indicator_values.pivot_table(index=["year", "nid"], columns="indicator", values="value")
    _, baseline = measure("baseline: pandas min-max of the indicators",
                          lambda: (raw - raw.groupby(level=0).transform("min")) / (raw.groupby(level=0).transform("max") - raw.groupby(level=0).transform("min")), repeats=reps)
    print("-- all 3 years (the figures against the targets)")
    prepared, t_prepare = measure("prepare (raw measures + normalise)", lambda: prepare(inputs, methodology), baseline, reps)
    _, t_weight = measure("weight change: recompute", lambda: recompute(prepared, changed), baseline, max(reps, 5))
    _, t_full = measure("full recompute: prepare + all indices, no MC/hot spots",
                        lambda: score_prepared(prepare(inputs, methodology), None, draws=0), baseline, reps)
    _, t_mc = measure(f"Monte Carlo {args.draws} draws", lambda: rank_intervals(prepared, draws=args.draws, seed=1), baseline, reps)
    w, t_queen = measure("queen contiguity weights (libpysal)", lambda: queen_weights(cells), baseline, 1)
    scores = recompute(prepared, methodology)

    def moran_all_years() -> None:
        for year_rows in prepared.year_rows.values():
            values = pd.Series(scores["risk_score"].to_numpy()[year_rows], index=scores["nid"].to_numpy()[year_rows])
            local_moran_classes(values, w, permutations=999, seed=1)

    _, t_moran = measure("Local Moran 999 permutations, 3 years", moran_all_years, baseline, 1)
    print("-- one year (extra information)")
    one_year = prepare(inputs, methodology, [2026])
    _, t_weight_one = measure("weight change: recompute, one year", lambda: recompute(one_year, changed), baseline, max(reps, 5))
    _, t_full_one = measure("full recompute, one year",
                            lambda: score_prepared(prepare(inputs, methodology, [2026]), None, draws=0), baseline, reps)
    _, t_mc_one = measure(f"Monte Carlo {args.draws} draws, one year", lambda: rank_intervals(one_year, draws=args.draws, seed=1), baseline, reps)
    t_whole = None
    if not args.no_service:
        print("-- whole `citygeo score` (score_methodology + save_scores, 3 years)")
        _, t_whole = measure("citygeo score: weights + scores + districts + write",
                             lambda: whole_score(inputs, cells, methodology, args.draws), baseline, 1)
    print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"load average after: {load_average()}")
    print(f"\nTHE FIGURES (3 years, {rows * cols:,} neighbourhoods):")
    print(f"  weight change   {t_weight * 1000:8.0f} ms   {verdict(t_weight, 0.1)}")
    print(f"  full recompute  {t_full:8.2f} s    {verdict(t_full, 2.0)}  (prepare {t_prepare:.2f} s)")
    print(f"  Monte Carlo     {t_mc:8.2f} s    {verdict(t_mc, 10.0)}  ({args.draws} draws)")
    print(f"  Local Moran     {t_moran:8.2f} s    (999 permutations × 3 years; queen weights {t_queen:.2f} s)")
    if t_whole is not None:
        print(f"  citygeo score   {t_whole:8.2f} s    {verdict(t_whole, 60.0)}  (store reading not included)")
    print(f"  one year: weight change {t_weight_one * 1000:.0f} ms, full {t_full_one:.2f} s, Monte Carlo {t_mc_one:.2f} s")


if __name__ == "__main__":
    main()
