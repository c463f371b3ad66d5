"""Where the time of `citygeo ingest` goes, beside the analyst's script (issue 16).

Run from the repository root, after ``benchmarks/ingest.py`` has generated the city::

    PYTHONPATH=. python benchmarks/ingest_profile.py            # 5,000 x 1,000,000
    PYTHONPATH=. python benchmarks/ingest_profile.py --small    # 500 x 50,000

Three parts, each in this one process, one after the other (no code of citygeo is changed:
the steps are timed by wrapping the functions ``ingest_city`` calls; ``--workdir`` names
another folder made by ``benchmarks/ingest.py``):

1. ``ingest_city`` on the benchmark config into a fresh store, every step's wall and CPU time
   (process CPU, all threads). The grid runs in a worker thread while DuckDB reads the file,
   so its time overlaps the read.
2. The CSV read, both ways, on a scratch DuckDB file inside a transaction (as in the writer),
   alternating, fastest of ``--repeat``: citygeo's text read (``_stage_csv`` + ``_parse``:
   every value as text, then the casts) against a typed read (``read_csv`` with the column
   types given: VARCHAR ids and categories, DOUBLE coordinates, DATE dates), which a typed
   fast path would try first, re-reading as text only when it fails, to word the error.
3. The analyst's script, step by step: ``read_file``, ``read_csv(engine="pyarrow")``,
   ``points_from_xy``, ``sjoin``, ``to_parquet``.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROWS: list[tuple[str, float, float]] = []


@contextmanager
def timed(label: str) -> Iterator[None]:
    """Record the wall and process CPU time of the block under ``label``."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        ROWS.append((label, time.perf_counter() - wall, time.process_time() - cpu))


def wrap(module: Any, name: str, label: str) -> None:
    """Replace ``module.name`` by a version that records its time under ``label``."""
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with timed(label):
            return original(*args, **kwargs)

    setattr(module, name, wrapper)


def profile_ingest(folder: Path) -> None:
    """Part 1: ``ingest_city`` with every step timed."""
    from citygeo.ingest import boundaries, points
    from citygeo.ingest import city as ingest
    from citygeo.store import Store

    steps = [
        (ingest, "read_boundaries", "boundaries: read + validate (GeoPackage, pandas)"),
        (boundaries, "_warn_overlaps", "  of which the overlap check"),
        (ingest, "_write_frames", "boundaries: write neighbourhoods etc. to the store"),
        (ingest, "outline_tables", "  outlines (outlines.py, a thread beside the points)"),
        (ingest, "ingest_points", "incidents: whole ingest_points"),
        (points, "_stage_csv", "  sniff encoding + view over read_csv (text)"),
        (points, "_polygons", "  read the polygons back as WKB"),
        (points, "cell_grid", "  grid: classify cells (worker thread, overlaps the read)"),
        (points, "_parse_typed", "  typed read of the CSV (coordinates as DOUBLE)"),
        (points, "_parse", "  text read + parse of the CSV (all_varchar, casts)"),
        (points, "_validate", "  validation scan + duplicate ids"),
        (points, "_load_cells", "  upload the decided cells"),
        (points, "_assign", "  assignment: undecided points, GEOS prepared polygons"),
        (points, "assign_points", "    of which GEOS (points R-tree, prepared polygons)"),
        (points, "_insert", "  insert into incidents (one thread)"),
        (ingest, "_counts", "counts of what was loaded"),
    ]
    for module, name, label in steps:
        wrap(module, name, label)
    store_path = folder / "store_profile.duckdb"
    for leftover in (store_path, store_path.with_name(store_path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    with timed("WHOLE ingest_city (config to store committed)"):
        ingest.ingest_city(folder / "city.toml", Store(store_path))


def profile_reads(folder: Path, repeat: int) -> None:
    """Part 2: citygeo's text read against a typed read of the same CSV."""
    from citygeo.config import load_city_config
    from citygeo.ingest import points
    from citygeo.store import connect

    spec = load_city_config(folder / "city.toml").points[0]
    csv = str(spec.path).replace("'", "''")
    typed = (
        f"CREATE OR REPLACE TEMP TABLE typed AS SELECT incident_id, category, lon AS __x, "
        f"lat AS __y, date AS __date FROM read_csv('{csv}', header = true, columns = "
        "{'incident_id': 'VARCHAR', 'date': 'DATE', 'category': 'VARCHAR', "
        "'lon': 'DOUBLE', 'lat': 'DOUBLE'})"
    )
    scratch = folder / "scratch_reads.duckdb"
    scratch.unlink(missing_ok=True)
    con = connect(str(scratch))
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeat):
        for label in ("text", "typed"):
            con.execute("BEGIN")
            wall, cpu = time.perf_counter(), time.process_time()
            if label == "text":  # the real functions, not part 1's timing wrappers
                getattr(points._stage_csv, "__wrapped__", points._stage_csv)(con, spec, [])
                getattr(points._parse, "__wrapped__", points._parse)(con, spec, [])
            else:
                con.execute(typed)
            took = (time.perf_counter() - wall, time.process_time() - cpu)
            con.execute("ROLLBACK")
            if label not in best or took[0] < best[label][0]:
                best[label] = took
    con.close()
    scratch.unlink(missing_ok=True)
    for label, (wall, cpu) in best.items():
        ROWS.append((f"read: {label} (fastest of {repeat})", wall, cpu))


def profile_script(folder: Path) -> None:
    """Part 3: the analyst's script, step by step."""
    import geopandas as gpd  # imported by part 1 already: the CLI's start-up is not timed here
    import pandas as pd

    with timed("script: read_file (GeoPackage)"):
        hoods = gpd.read_file(folder / "neighbourhoods.gpkg")[["code", "geometry"]]
    with timed("script: read_csv(engine='pyarrow')"):
        table = pd.read_csv(folder / "incidents.csv", engine="pyarrow")
    with timed("script: points_from_xy"):
        pts = gpd.GeoDataFrame(
            table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=hoods.crs
        )
    with timed("script: sjoin(within, how=left)"):
        joined = gpd.sjoin(pts, hoods, predicate="within", how="left")
    with timed("script: to_parquet"):
        joined.drop(columns="index_right").to_parquet(folder / "script_profile.parquet")


PARTS: dict[str, Callable[..., None]] = {
    "ingest": profile_ingest,
    "reads": profile_reads,
    "script": profile_script,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="500 x 50,000 instead of 5,000 x 1 M")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each CSV read")
    parser.add_argument("--only", choices=list(PARTS), action="append", help="run only these parts")
    parser.add_argument("--workdir", type=Path, help="where benchmarks/ingest.py put the city")
    args = parser.parse_args()
    folder = args.workdir or Path(f"/tmp/citygeo-bench-{'small' if args.small else 'default'}")
    if not (folder / "city.toml").is_file():
        raise SystemExit(f"no city in {folder}: run benchmarks/ingest.py first")
    print(f"load average before: {os.getloadavg()}", flush=True)
    for name in args.only or list(PARTS):
        if name == "reads":
            profile_reads(folder, args.repeat)
        else:
            PARTS[name](folder)
    print(f"{'step':<72}{'wall s':>8}{'CPU s':>8}")
    for label, wall, cpu in ROWS:
        print(f"{label:<72}{wall:>8.2f}{cpu:>8.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
