"""Benchmark: citygeo's incident ingest against a bare DuckDB spatial join and geopandas.sjoin.

Run from the repository root (so the checkout's own ``citygeo`` is measured)::

    PYTHONPATH=. python benchmarks/ingest.py            # 5,000 neighbourhoods x 1,000,000 points
    PYTHONPATH=. python benchmarks/ingest.py --small    # 500 x 50,000, a quick check
    PYTHONPATH=. python benchmarks/ingest.py --large    # 35,000 x 10,000,000

It generates (deterministic seed) a synthetic city in the open South Atlantic around
lon -25, lat -40: Voronoi neighbourhoods clipped to a wobbly outline, their shared edges densified
and bent by one smooth displacement field (so neighbours still share their borders exactly), and
an incidents CSV (``incident_id,date,category,lon,lat``) with hot spots and a few points outside
the city. Then every measured step runs in its own fresh Python process, so each peak RSS
(``ru_maxrss``) belongs to that step alone:

``citygeo``            ``ingest_city`` end to end, with the ``[[points]]`` entry
``citygeo-nopoints``   the same config without it; the difference is the incident part
``duckdb-join``        ``SELECT count(*) … JOIN … ON ST_Intersects`` on in-memory tables
``geopandas-sjoin``    ``geopandas.sjoin(points, hoods, predicate="within")``

and, with ``--whole`` (issue 16), three whole jobs from the same files on disk, each timed from
outside its own process (interpreter start and imports included; CPU and peak RSS by
``os.wait4``):

``citygeo-cli``        ``python -m citygeo ingest city.toml --store …``: boundaries and incidents,
                       every check, the store committed
``analyst-script``     what an analyst writes instead: ``geopandas.read_file`` →
                       ``pd.read_csv(engine="pyarrow")`` → ``points_from_xy`` →
                       ``sjoin(predicate="within", how="left")`` → ``to_parquet``
``sedonadb``           SedonaDB (Apache Sedona's single-node engine) reads the same GeoPackage and
                       CSV and runs ``PIP_SQL`` (the point-in-polygon statement below, the same text
                       DuckDB runs in ``duckdb-join``), written to Parquet

``--whole-only`` runs just those three.

The data live in ``--workdir`` (default ``/tmp/citygeo-bench-<size>``) and are reused when a
run with the same size and seed made them already.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CENTRE = (-25.0, -40.0)  # open ocean, South Atlantic: no real place
HALF = (0.6, 0.45)  # half-width in degrees of lon and lat: a city about 100 km across
CATEGORIES = ["hate_crime", "hate_incident", "graffiti", "online_threat", "harassment", "vandalism"]
STEPS = ("citygeo-nopoints", "citygeo", "duckdb-join", "geopandas-sjoin")
WHOLE = ("citygeo-cli", "analyst-script", "sedonadb")
TARGET_VS_SCRIPT = 1.5
# The point-in-polygon statement both engines run, on the views `incidents` (the CSV's
# columns) and `hoods` (nid, geom): each engine reads the files its own way, the join is
# this text. DuckDB spatial and SedonaDB (like Sedona on Spark) plan it as a spatial join.
PIP_SQL = """SELECT p.incident_id, p.date, p.category, n.nid
FROM incidents AS p
LEFT JOIN hoods AS n ON ST_Intersects(n.geom, ST_Point(p.lon, p.lat))"""
PIP_COUNTS_SQL = """SELECT n.nid, count(*) AS n
FROM incidents AS p
JOIN hoods AS n ON ST_Intersects(n.geom, ST_Point(p.lon, p.lat))
GROUP BY n.nid"""
TARGET_VS_JOIN = 0.5
TARGET_VS_SJOIN = 1.5
TARGET_PEAK_GB = 4.0


@dataclass(frozen=True)
class Size:
    """How big a synthetic city is."""

    name: str
    hoods: int
    points: int


SIZES = {
    "small": Size("small", 500, 50_000),
    "default": Size("default", 5_000, 1_000_000),
    "large": Size("large", 35_000, 10_000_000),
}


# -- generating the city -------------------------------------------------------------------------


def outline(rng: np.random.Generator) -> Any:
    """A wobbly ellipse around ``CENTRE`` (the city limits)."""
    import shapely

    theta = np.linspace(0, 2 * np.pi, 721)[:-1]
    phase = rng.uniform(0, 2 * np.pi, 3)
    radius = (
        1
        + 0.08 * np.sin(3 * theta + phase[0])
        + 0.05 * np.sin(5 * theta + phase[1])
        + 0.02 * np.sin(11 * theta + phase[2])
    )
    xs = CENTRE[0] + HALF[0] * 0.88 * radius * np.cos(theta)
    ys = CENTRE[1] + HALF[1] * 0.88 * radius * np.sin(theta)
    return shapely.Polygon(np.column_stack([xs, ys]))


def inside(rng: np.random.Generator, limits: Any, count: int) -> np.ndarray:
    """``count`` random points inside ``limits``, denser towards the centre."""
    import shapely

    chosen: list[np.ndarray] = []
    have = 0
    while have < count:
        n = 2 * count
        dense = rng.normal(CENTRE, (HALF[0] * 0.35, HALF[1] * 0.35), size=(n, 2))
        spread = rng.uniform(np.subtract(CENTRE, HALF), np.add(CENTRE, HALF), size=(n, 2))
        pick = np.where(rng.random(n)[:, None] < 0.35, dense, spread)
        keep = shapely.contains_xy(limits, pick[:, 0], pick[:, 1])
        chosen.append(pick[keep])
        have += int(keep.sum())
    return np.concatenate(chosen)[:count]


def seeds(rng: np.random.Generator, limits: Any, count: int) -> np.ndarray:
    """Distinct Voronoi seeds inside ``limits`` (about ``count``; rounding may merge a few)."""
    return np.unique(np.round(inside(rng, limits, count), 7), axis=0)


def displace(coords: np.ndarray, cell: float) -> np.ndarray:
    """Bend coordinates with one smooth field (Lipschitz < 1, so borders never cross)."""
    out = coords.copy()
    x, y = coords[:, 0] - CENTRE[0], coords[:, 1] - CENTRE[1]
    # (wavelength in cells, amplitude as a fraction of wavelength / 2 pi): sum of k*A = 0.45
    for i, (waves, share) in enumerate([(3.0, 0.2), (1.1, 0.15), (0.37, 0.1)]):
        k = 2 * np.pi / (waves * cell)
        amp = share / k
        out[:, 0] += amp * np.sin(k * (y * 0.8 + x * 0.6) + 1.3 * i)
        out[:, 1] += amp * np.sin(k * (x * 0.8 - y * 0.6) + 0.7 * i)
    return out


def neighbourhoods(rng: np.random.Generator, limits: Any, count: int) -> Any:
    """``count`` Voronoi neighbourhoods with densified, bent shared borders (EPSG:4326)."""
    import geopandas as gpd
    import shapely

    points = seeds(rng, limits, count)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=limits, ordered=True)
    )
    cells = shapely.intersection(cells, limits)
    cell = float(np.sqrt(limits.area / len(points)))  # typical neighbourhood width
    cells = shapely.segmentize(cells, cell / 25)
    cells = shapely.transform(cells, lambda c: np.round(c, 9))  # shared vertices stay identical
    cells = shapely.transform(cells, lambda c: displace(c, cell))
    cells = cells[~shapely.is_empty(cells)]
    order = np.lexsort(
        (
            shapely.get_x(shapely.centroid(cells)),
            -np.round(shapely.get_y(shapely.centroid(cells)), 2),
        )
    )
    cells = cells[order]
    codes = [f"N{i:05d}" for i in range(1, len(cells) + 1)]
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [f"Neighbourhood {c[1:]}" for c in codes],
            "district": [f"D{int(i * 20 / len(cells)) + 1:02d}" for i in range(len(cells))],
            "pop": rng.integers(300, 9000, len(cells)),
        },
        geometry=cells,
        crs="EPSG:4326",
    )


def incident_points(rng: np.random.Generator, limits: Any, count: int) -> pd.DataFrame:
    """``count`` incidents: hot spots plus a spread over the city, about 2 % outside it."""
    hot = inside(rng, limits, 40)
    which = rng.integers(0, len(hot), count)
    clustered = hot[which] + rng.normal(0, 1, (count, 2)) * rng.uniform(0.003, 0.04, (count, 1))
    spread = inside(rng, limits, count)
    stray = rng.uniform(np.subtract(CENTRE, HALF), np.add(CENTRE, HALF), size=(count, 2))
    kind = rng.random(count)[:, None]
    xy = np.where(kind < 0.55, clustered, np.where(kind < 0.985, spread, stray))
    days = rng.integers(0, 3 * 365, count)
    dates = (np.datetime64("2023-01-01") + days.astype("timedelta64[D]")).astype(str)
    return pd.DataFrame(
        {
            "incident_id": np.char.add("I", np.arange(1, count + 1).astype(str)),
            "date": dates,
            "category": np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), count)],
            "lon": np.round(xy[:, 0], 7),
            "lat": np.round(xy[:, 1], 7),
        }
    )


CITY_TOML = """\
# A SYNTHETIC benchmark city in the open South Atlantic (benchmarks/ingest.py).

[city]
name = "Benchmark City ({size})"
fictional = true
projected_crs = "EPSG:32727"

[boundaries]
path = "neighbourhoods.gpkg"
id = "code"
name = "name"
district = "district"
population = "pop"
{points}
[sources.police]
name = "Synthetic incidents"
"""

POINTS_TOML = """
[[points]]
kind = "incidents"
path = "incidents.csv"
id = "incident_id"
lon = "lon"
lat = "lat"
date = "date"
category = "category"
source = "police"
"""


def generate(folder: Path, size: Size, seed: int) -> None:
    """Write ``neighbourhoods.gpkg``, ``incidents.csv``, ``city.toml`` and
    ``city_nopoints.toml``."""
    import duckdb

    manifest = folder / "manifest.json"
    wanted = {"hoods": size.hoods, "points": size.points, "seed": seed, "version": 2}
    if manifest.is_file() and json.loads(manifest.read_text()) == wanted:
        print(f"reusing the city in {folder}")
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    limits = outline(rng)
    hoods = neighbourhoods(rng, limits, size.hoods)
    hoods.to_file(folder / "neighbourhoods.gpkg", driver="GPKG")
    table = incident_points(rng, limits, size.points)
    con = duckdb.connect()
    con.register("incidents", table)
    con.execute(
        f"COPY (SELECT * FROM incidents) TO '{folder / 'incidents.csv'}' (HEADER, DELIMITER ',')"
    )
    con.close()
    (folder / "city.toml").write_text(CITY_TOML.format(size=size.name, points=POINTS_TOML))
    (folder / "city_nopoints.toml").write_text(CITY_TOML.format(size=size.name, points=""))
    vertices = int(sum(len(g.exterior.coords) for g in hoods.geometry))
    manifest.write_text(json.dumps(wanted))
    print(
        f"generated {len(hoods):,} neighbourhoods ({vertices / len(hoods):.0f} vertices each on "
        f"average) and {len(table):,} incidents in {time.perf_counter() - started:.0f} s"
    )


# -- the measured steps (each in a fresh process) --------------------------------------------


def _rss_now_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """This process's peak RSS (``VmHWM``; ``ru_maxrss`` would inherit the parent's peak on
    exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_citygeo(folder: Path, with_points: bool) -> dict[str, Any]:
    """``ingest_city`` into a fresh store, timing the incident part from the inside.

    The incident part runs from the start of ``ingest_points`` (CSV still on disk) to the end
    of ``ingest_city`` (the store committed, checkpointed, fsynced and swapped in), so it
    also carries the small commit of the boundaries: a conservative figure.
    """
    from citygeo import ingest
    from citygeo.store import Store

    store_path = folder / ("store.duckdb" if with_points else "store_nopoints.duckdb")
    for leftover in (store_path, store_path.with_name(store_path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    marks: list[tuple[float, float]] = []
    original = ingest.ingest_points

    def timed_points(*args: Any, **kwargs: Any) -> Any:
        marks.append((time.perf_counter(), time.process_time()))
        return original(*args, **kwargs)

    ingest.ingest_points = timed_points  # type: ignore[assignment]
    config = folder / ("city.toml" if with_points else "city_nopoints.toml")
    before = _rss_now_mb()
    started, cpu = time.perf_counter(), time.process_time()
    report = ingest.ingest_city(config, Store(store_path))
    ended, cpu_ended = time.perf_counter(), time.process_time()
    result: dict[str, Any] = {
        "seconds": ended - started,
        "cpu": cpu_ended - cpu,
        "rss_before_mb": before,
        "peak_mb": _peak_mb(),
        "store_mb": store_path.stat().st_size / 2**20,
        "citygeo": str(Path(ingest.__file__).parent.parent),
    }
    if with_points:
        result["incident_seconds"] = ended - marks[0][0]
        result["incident_cpu"] = cpu_ended - marks[0][1]
        counts = Store(store_path).query(
            "SELECT nid, count(*) AS n FROM incidents WHERE nid IS NOT NULL GROUP BY nid"
        )
        counts.to_parquet(folder / "counts-citygeo.parquet")
        result["rows"] = report.points[0]["rows"]
        result["assigned"] = report.points[0]["assigned"]
    return result


def _hoods_frame(folder: Path) -> Any:
    """The neighbourhoods exactly as citygeo stored them (after validation, in EPSG:4326)."""
    from citygeo.store import Store

    return Store(folder / "store.duckdb").neighbourhoods()[["nid", "geometry"]]


def step_duckdb_join(folder: Path) -> dict[str, Any]:
    """A bare DuckDB spatial join on in-memory tables (built before timing)."""
    import shapely

    from citygeo.store import connect

    hoods = _hoods_frame(folder)
    con = connect(":memory:")
    con.register(
        "hoods_frame",
        pd.DataFrame(
            {
                "nid": hoods["nid"].to_numpy(dtype=object),
                "wkb": shapely.to_wkb(hoods.geometry.to_numpy()),
            }
        ),
    )
    con.execute("CREATE TABLE hoods AS SELECT nid, ST_GeomFromWKB(wkb) AS geom FROM hoods_frame")
    con.unregister("hoods_frame")
    del hoods
    con.execute(
        "CREATE TABLE pts AS SELECT incident_id, ST_Point(lon, lat) AS geom FROM "
        "read_csv(?, header = true, columns = {'incident_id': 'VARCHAR', 'date': 'VARCHAR', "
        "'category': 'VARCHAR', 'lon': 'DOUBLE', 'lat': 'DOUBLE'})",
        [str(folder / "incidents.csv")],
    )
    rows = con.execute("SELECT count(*) FROM pts").fetchone()[0]
    before = _rss_now_mb()
    started, cpu = time.perf_counter(), time.process_time()
    matched = con.execute(
        "SELECT count(*) FROM pts p JOIN hoods n ON ST_Intersects(n.geom, p.geom)"
    ).fetchone()[0]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _peak_mb()
    plan = "\n".join(
        r[1]
        for r in con.execute(
            "EXPLAIN SELECT count(*) FROM pts p JOIN hoods n ON ST_Intersects(n.geom, p.geom)"
        ).fetchall()
    )
    csv = str(folder / "incidents.csv").replace("'", "''")
    con.execute(f"CREATE VIEW incidents AS SELECT * FROM read_csv('{csv}', header = true)")
    counts = con.execute(PIP_COUNTS_SQL).df()  # the statement SedonaDB runs, word for word
    counts.to_parquet(folder / "counts-duckdb.parquet")
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": rows,
        "matched": matched,
        "rss_before_mb": before,
        "peak_mb": peak,
        "spatial_join_operator": "SPATIAL_JOIN" in plan,
    }


def step_geopandas_sjoin(folder: Path) -> dict[str, Any]:
    """``geopandas.sjoin(points, hoods, predicate="within")`` on frames built before timing."""
    import geopandas as gpd

    hoods = _hoods_frame(folder)
    table = pd.read_csv(
        folder / "incidents.csv",
        usecols=["incident_id", "lon", "lat"],
        dtype={"incident_id": str, "lon": float, "lat": float},
        engine="pyarrow",
    )
    points = gpd.GeoDataFrame(
        {"incident_id": table["incident_id"]},
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs="EPSG:4326",
    )
    del table
    before = _rss_now_mb()
    started, cpu = time.perf_counter(), time.process_time()
    joined = gpd.sjoin(points, hoods, predicate="within")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _peak_mb()
    joined.groupby("nid").size().rename("n").reset_index().to_parquet(
        folder / "counts-geopandas.parquet"
    )
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": len(points),
        "matched": len(joined),
        "rss_before_mb": before,
        "peak_mb": peak,
    }


def step_analyst_script(folder: Path) -> dict[str, Any]:
    """The script an analyst writes instead of citygeo, from the files on disk to Parquet.

    Run in its own process and timed from outside (imports included), like the CLI.
    """
    import geopandas as gpd

    hoods = gpd.read_file(folder / "neighbourhoods.gpkg")[["code", "geometry"]]
    table = pd.read_csv(folder / "incidents.csv", engine="pyarrow")
    points = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=hoods.crs
    )
    joined = gpd.sjoin(points, hoods, predicate="within", how="left")
    joined.drop(columns="index_right").to_parquet(folder / "script.parquet")
    return {"rows": len(table), "matched": int(joined["code"].notna().sum())}


def step_sedonadb(folder: Path) -> dict[str, Any]:
    """SedonaDB: read the GeoPackage and the CSV, run ``PIP_SQL``, write GeoParquet-free Parquet.

    The neighbourhoods' geometry is read as WKB without its CRS: the points built by
    ``ST_Point`` carry none, and SedonaDB refuses to compare geometries of different CRS.
    """
    import sedonadb

    sd = sedonadb.connect()
    sd.read_pyogrio(str(folder / "neighbourhoods.gpkg")).to_view("hoods_file")
    sd.sql("SELECT code AS nid, ST_GeomFromWKB(ST_AsBinary(geom)) AS geom FROM hoods_file").to_view(
        "hoods"
    )
    sd.read.csv(str(folder / "incidents.csv")).to_view("incidents")
    out = folder / "sedonadb.parquet"
    sd.sql(PIP_SQL).to_parquet(str(out), single_file_output=True)
    return {"out": str(out)}


RUNNERS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "analyst-script": step_analyst_script,
    "sedonadb": step_sedonadb,
    "citygeo": lambda folder: step_citygeo(folder, True),
    "citygeo-nopoints": lambda folder: step_citygeo(folder, False),
    "duckdb-join": step_duckdb_join,
    "geopandas-sjoin": step_geopandas_sjoin,
}


def run_step(name: str, folder: Path) -> dict[str, Any]:
    """Run one step in a fresh interpreter that imports this checkout's ``citygeo``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        ),
    }
    done = subprocess.run(
        [sys.executable, __file__, "--step", name, "--workdir", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_whole(name: str, folder: Path) -> dict[str, Any]:
    """One whole job in its own process, timed from outside: wall, CPU and peak RSS of it."""
    if name == "citygeo-cli":
        store = folder / "store_cli.duckdb"
        for leftover in (store, store.with_name(store.name + ".wal")):
            leftover.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "citygeo",
            "ingest",
            str(folder / "city.toml"),
            "--store",
            str(store),
        ]
    else:
        command = [sys.executable, __file__, "--step", name, "--workdir", str(folder)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        ),
    }
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    out, err = child.stdout.read(), child.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed:\n{out}\n{err}")
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "load": os.getloadavg()[0],
    }


def whole_counts(folder: Path) -> None:
    """Incidents per neighbourhood from each whole job's output, for the agreement check."""
    from citygeo.store import Store

    cli = Store(folder / "store_cli.duckdb").query(
        "SELECT nid, count(*) AS n FROM incidents WHERE nid IS NOT NULL GROUP BY nid"
    )
    cli.to_parquet(folder / "counts-citygeo-cli.parquet")
    script = pd.read_parquet(folder / "script.parquet", columns=["code"])
    script.groupby("code").size().rename("n").rename_axis("nid").reset_index().to_parquet(
        folder / "counts-script.parquet"
    )
    sedona = pd.read_parquet(folder / "sedonadb.parquet", columns=["nid"])
    sedona.groupby("nid").size().rename("n").reset_index().to_parquet(
        folder / "counts-sedonadb.parquet"
    )


def report_whole(size: Size, results: dict[str, dict[str, Any]], folder: Path) -> bool:
    """Print the three whole jobs side by side, with ratios against the analyst's script."""
    script = results["analyst-script"]["seconds"]
    print(
        f"\n== whole jobs, {size.hoods:,} neighbourhoods x {size.points:,} incidents, from the "
        "files on disk (interpreter start and imports included) =="
    )
    print(f"{'':<16}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}{'script / it':>13}{'load 1 min':>12}")
    for name in WHOLE:
        r = results[name]
        print(
            f"{name:<16}{r['seconds']:>9.2f}{r['cpu']:>9.2f}{r['peak_mb']:>9,.0f}"
            f"{script / r['seconds']:>12.2f}x{r['load']:>12.1f}"
        )
    ratio = script / results["citygeo-cli"]["seconds"]
    print(
        f"citygeo ingest is {ratio:.2f}x as fast as the analyst's script (target >= "
        f"{TARGET_VS_SCRIPT}: {'met' if ratio >= TARGET_VS_SCRIPT else 'MISSED'}); "
        f"SedonaDB {script / results['sedonadb']['seconds']:.2f}x"
    )
    whole_counts(folder)
    frames = {
        name: pd.read_parquet(folder / f"counts-{name}.parquet").set_index("nid")["n"]
        for name in ("citygeo-cli", "script", "sedonadb", "duckdb")
        if (folder / f"counts-{name}.parquet").is_file()
    }
    table = pd.DataFrame(frames).fillna(0).astype(int)
    differ = table[(table.nunique(axis=1) > 1)]
    print(
        f"agreement ({', '.join(frames)}): "
        + (
            f"counts identical in all {len(table):,} neighbourhoods"
            if differ.empty
            else f"{len(differ)} neighbourhoods differ, e.g.\n{differ.head(10)}"
        )
    )
    return differ.empty


# -- the report ------------------------------------------------------------------------------


def agreement(folder: Path) -> tuple[bool, str]:
    """Do the three methods put the same number of incidents in every neighbourhood?"""
    frames = {
        name: pd.read_parquet(folder / f"counts-{name}.parquet").set_index("nid")["n"]
        for name in ("citygeo", "duckdb", "geopandas")
    }
    table = pd.DataFrame(frames).fillna(0).astype(int)
    differ = table[(table["citygeo"] != table["duckdb"]) | (table["citygeo"] != table["geopandas"])]
    text = f"{len(table):,} neighbourhoods with incidents; " + (
        "counts per neighbourhood identical in all three"
        if differ.empty
        else f"{len(differ)} neighbourhoods differ, e.g.\n{differ.head(10)}"
    )
    return differ.empty, text


def report(size: Size, results: dict[str, dict[str, Any]], folder: Path) -> None:
    """Print rows/s, peaks, ratios against the targets, and agreement."""
    full, base = results["citygeo"], results["citygeo-nopoints"]
    join, sjoin = results["duckdb-join"], results["geopandas-sjoin"]
    rows = full["rows"]
    rates = {
        "citygeo": rows / full["incident_seconds"],
        "duckdb": join["rows"] / join["seconds"],
        "geopandas": sjoin["rows"] / sjoin["seconds"],
    }
    print(
        f"\n== {size.name}: {size.hoods:,} neighbourhoods x {rows:,} incidents "
        f"(citygeo from {full['citygeo']}) =="
    )
    print("rows/s = input points per second of wall time; cpu = process CPU time (all threads)")
    print(
        f"1. citygeo end-to-end incident ingest  {rates['citygeo']:>12,.0f} rows/s   "
        f"({full['incident_seconds']:.2f} s, cpu {full['incident_cpu']:.2f} s: from the start "
        "of ingest_points, CSV on disk, to the store committed and swapped in)"
    )
    difference = full["seconds"] - base["seconds"]
    print(
        f"   cross-check: ingest_city with points {full['seconds']:.2f} s - without "
        f"{base['seconds']:.2f} s = {difference:.2f} s"
    )
    print(
        f"2. bare DuckDB spatial join            {rates['duckdb']:>12,.0f} rows/s   "
        f"({join['seconds']:.2f} s, cpu {join['cpu']:.2f} s, {join['matched']:,} matches, "
        f"SPATIAL_JOIN operator: {join['spatial_join_operator']})"
    )
    print(
        f"3. geopandas.sjoin(within)             {rates['geopandas']:>12,.0f} rows/s   "
        f"({sjoin['seconds']:.2f} s, cpu {sjoin['cpu']:.2f} s, {sjoin['matched']:,} matches)"
    )
    print(
        "4. peak RSS: "
        + "; ".join(
            f"{name} {results[name]['peak_mb']:,.0f} MB (before the timed part "
            f"{results[name]['rss_before_mb']:,.0f} MB)"
            for name in STEPS
        )
    )
    vs_join = rates["citygeo"] / rates["duckdb"]
    vs_sjoin = rates["citygeo"] / rates["geopandas"]
    peak_gb = full["peak_mb"] / 1024
    print(
        f"5. citygeo / bare join  = {vs_join:.2f}  (target >= {TARGET_VS_JOIN}: "
        f"{'met' if vs_join >= TARGET_VS_JOIN else 'MISSED'})"
    )
    print(
        f"   citygeo / sjoin      = {vs_sjoin:.2f}  (target >= {TARGET_VS_SJOIN}: "
        f"{'met' if vs_sjoin >= TARGET_VS_SJOIN else 'MISSED'})"
    )
    print(
        f"   citygeo peak memory  = {peak_gb:.2f} GB  (target < {TARGET_PEAK_GB} GB for --large: "
        f"{'met' if peak_gb < TARGET_PEAK_GB else 'MISSED'})"
    )
    print(f"   store file: {full['store_mb']:,.0f} MB")
    same, text = agreement(folder)
    print(f"6. agreement: {text}")
    if join["matched"] != full["assigned"]:
        print(
            f"   note: the bare join matched {join['matched']:,} pairs, citygeo assigned "
            f"{full['assigned']:,} points (a point on a shared border matches twice)"
        )
    if not same:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--small", action="store_true", help="500 neighbourhoods x 50,000 points")
    group.add_argument(
        "--large", action="store_true", help="35,000 neighbourhoods x 10,000,000 points"
    )
    parser.add_argument("--seed", type=int, default=20260214)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every step this many times; keep the fastest (default 1)",
    )
    parser.add_argument("--workdir", type=Path, help="where the city and the stores go")
    parser.add_argument(
        "--whole",
        action="store_true",
        help="also time the whole CLI, the analyst's script and SedonaDB",
    )
    parser.add_argument(
        "--whole-only",
        action="store_true",
        help="only the whole CLI, the analyst's script and SedonaDB",
    )
    parser.add_argument("--step", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = SIZES["small" if args.small else "large" if args.large else "default"]
    folder = args.workdir or Path(f"/tmp/citygeo-bench-{size.name}")
    if args.step:
        print(json.dumps(RUNNERS[args.step](folder)))
        return
    if args.generate_only:
        generate(folder, size, args.seed)
        return
    # In a child process: a process forked from a parent that built 10 M points in memory
    # reports the parent's peak RSS as its own (Linux keeps the high-water mark over exec).
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--generate-only",
            "--seed",
            str(args.seed),
            "--workdir",
            str(folder),
            *(["--small"] if args.small else []),
            *(["--large"] if args.large else []),
        ],
        check=True,
    )
    results: dict[str, dict[str, Any]] = {}
    if args.whole or args.whole_only:
        print(f"whole jobs; load average before {os.getloadavg()}", flush=True)
        for _ in range(args.repeat):
            for name in WHOLE:
                run = run_whole(name, folder)
                print(
                    f"  {name}: {run['seconds']:.2f} s (cpu {run['cpu']:.2f} s), "
                    f"peak {run['peak_mb']:,.0f} MB, load {run['load']:.1f}",
                    flush=True,
                )
                best = results.get(name)
                results[name] = run if best is None or run["seconds"] < best["seconds"] else best
        if args.whole_only:
            if not report_whole(size, results, folder):
                raise SystemExit(1)
            return
    whole = {name: results.pop(name) for name in WHOLE if name in results}
    for _ in range(args.repeat):
        for name in STEPS:  # one at a time: the machine is shared, and peaks must not mix
            run = run_step(name, folder)
            print(
                f"  {name}: {run['seconds']:.2f} s (cpu {run['cpu']:.2f} s), "
                f"peak {run['peak_mb']:,.0f} MB",
                flush=True,
            )
            key = "incident_seconds" if name == "citygeo" else "seconds"
            best = results.get(name)
            peak = max(run["peak_mb"], best["peak_mb"] if best else 0.0)
            results[name] = {
                **(run if best is None or run[key] < best[key] else best),
                "peak_mb": peak,
            }
    print(
        f"{os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f}; "
        f"fastest of {args.repeat} run(s) per step, largest peak"
    )
    report(size, results, folder)
    if whole and not report_whole(size, whole, folder):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
