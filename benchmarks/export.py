"""Benchmark citygeo's export writers on a synthetic city, against geopandas in the same run.

    PYTHONPATH=. python benchmarks/export.py            # 35,000 neighbourhoods × ~42 columns
    PYTHONPATH=. python benchmarks/export.py --small    # 2,500 neighbourhoods, a few seconds

The frame is built directly (no store): polygons of 33 vertices with coordinates at full
double precision, one per cell of a grid in the South Atlantic (no real place), and the
columns of DESIGN.md §5 (16 contract columns, 6 domain__, 10 measure__, 10 raw__). For
each format it times citygeo's writer (``citygeo.outputs.formats.write_frame``: RFC 7946 rounding,
orientation and validity for GeoJSON, chunked writes with progress, temp file + replace)
and the baseline ``GeoDataFrame.to_file`` (pyogrio) / ``to_parquet`` / ``to_csv`` of the
same frame, and prints seconds, the ratio and the file sizes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygeo.outputs.formats import FLAG_SEPARATOR, write_frame

DOMAINS, MEASURES = 6, 10


def synthetic_city(n: int, seed: int = 20261128) -> gpd.GeoDataFrame:
    """``n`` neighbourhoods on a grid, ~42 attribute columns like a scores export."""
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(n)))
    step = 0.004
    ix, iy = np.arange(n) % cols, np.arange(n) // cols
    centres = shapely.points(
        -25.0 + ix * step + rng.uniform(-1e-4, 1e-4, n),
        -40.0 + iy * step + rng.uniform(-1e-4, 1e-4, n),
    )
    polygons = shapely.buffer(centres, step * 0.45, quad_segs=8)  # 33 vertices each
    risk, prot = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
    flags_pool = np.array(
        ["", "missing:income", "suppressed:hate_rate", "extreme:unemployed_pct"], dtype=object
    )
    frame = pd.DataFrame(
        {
            "nid": [f"N{i:05d}" for i in range(n)],
            "name": [f"Neighbourhood {i}" for i in range(n)],
            "year": 2026,
            "methodology_version": "2026.1",
            "methodology_sha256": "ab" * 32,
            "risk_score": risk,
            "risk_rank": pd.Series(risk).rank(ascending=False).astype(int),
            "risk_decile": rng.integers(1, 11, n),
            "protective_score": prot,
            "protective_rank": pd.Series(prot).rank(ascending=False).astype(int),
            "protective_decile": rng.integers(1, 11, n),
            "typology": rng.choice(["priority", "watch", "strengthen", "resilient"], n),
            "risk_rank_p05": rng.integers(1, n, n).astype(float),
            "risk_rank_p95": rng.integers(1, n, n).astype(float),
            "hotspot": rng.choice(["high-high", "low-low", "none"], n),
            "flags": [[f for f in rng.choice(flags_pool, 2) if f] for _ in range(n)],
        }
    )
    for d in range(DOMAINS):
        frame[f"domain__d{d}"] = rng.uniform(0, 100, n)
    for m in range(MEASURES):
        frame[f"measure__m{m}"] = rng.uniform(0, 100, n)
    for m in range(MEASURES):
        frame[f"raw__m{m}"] = np.where(rng.random(n) < 0.03, np.nan, rng.gamma(2.0, 3.0, n))
    return gpd.GeoDataFrame(frame, geometry=polygons, crs="EPSG:4326")


def timed(func: object) -> float:
    start = time.perf_counter()
    func()  # type: ignore[operator]
    return time.perf_counter() - start


def baseline(frame: gpd.GeoDataFrame, fmt: str, path: Path) -> None:
    """geopandas' own writer of the same frame (flags as text where lists are not supported)."""
    if fmt == "parquet":
        frame.to_parquet(path)
        return
    text = frame.assign(flags=[FLAG_SEPARATOR.join(f) for f in frame["flags"]])
    if fmt == "csv":
        pd.DataFrame(text.drop(columns="geometry")).to_csv(path, index=False)
    else:
        text.to_file(path, driver={"geojson": "GeoJSON", "gpkg": "GPKG"}[fmt], engine="pyogrio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="2,500 neighbourhoods")
    args = parser.parse_args()
    n = 2_500 if args.small else 35_000
    frame = synthetic_city(n)
    print(
        f"{n:,} neighbourhoods × {frame.shape[1] - 1} attribute columns, "
        f"{int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum()):,} vertices"
    )
    print(
        f"{'format':<9}{'citygeo s':>11}{'baseline s':>12}{'ratio':>8}{'citygeo MB':>12}"
        f"{'baseline MB':>13}   baseline"
    )
    names = {
        "geojson": "to_file(GeoJSON)",
        "gpkg": "to_file(GPKG)",
        "parquet": "to_parquet",
        "csv": "DataFrame.to_csv (no geometry)",
    }
    with tempfile.TemporaryDirectory(prefix="citygeo-bench-") as folder:
        for fmt, ext in (
            ("geojson", ".geojson"),
            ("gpkg", ".gpkg"),
            ("parquet", ".parquet"),
            ("csv", ".csv"),
        ):
            mine, theirs = Path(folder) / f"mine{ext}", Path(folder) / f"base{ext}"
            ours = timed(lambda fmt=fmt, mine=mine: write_frame(frame, fmt, mine, force=True))
            base = timed(lambda fmt=fmt, theirs=theirs: baseline(frame, fmt, theirs))
            print(
                f"{fmt:<9}{ours:>11.2f}{base:>12.2f}{ours / base:>7.2f}×"
                f"{mine.stat().st_size / 2**20:>12.1f}{theirs.stat().st_size / 2**20:>13.1f}   "
                f"{names[fmt]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
