"""Crash safety: a real ingest or score killed with SIGKILL leaves the store as before or after.

Each chain kills the real ``python -m citygeo`` a few times on one store path (seeded
delays: some counted from the start of the process, some from the moment its working copy
of the store appears, so that kills land in the middle of the write), then lets one run
finish. After every kill the store holds exactly the bytes it had before that run, or
exactly the tables of the complete run; the stale copies and the lock file of killed runs
never block the next run.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.city import SmallCity
from tests.robustness.city import Baseline
from tests.robustness.processes import REPO, fingerprint, start

SEED = 20250607


@dataclass
class Kill:
    when: str  # "start+2.31s" or "write+0.12s"
    mid_write: bool  # the run's working copy existed when it was killed
    returncode: int
    outcome: str = ""  # "before" or "after"


def _copies(store: Path) -> set[str]:
    return {p.name for p in store.parent.glob(store.name + ".tmp-*")}


def _run_and_kill(args: list[str], cwd: Path, store: Path, delay: float, mark: str) -> Kill:
    """Start ``args``; wait for ``mark`` ("start", "write": its working copy appears, "swap":
    the store file is replaced), then ``delay`` seconds; then SIGKILL it."""
    existing, inode = _copies(store), store.stat().st_ino
    proc = start(args, cwd)
    started = time.monotonic()
    reached = {
        "start": lambda: True,
        "write": lambda: bool(_copies(store) - existing),
        "swap": lambda: store.stat().st_ino != inode,
    }[mark]
    while proc.poll() is None and not reached() and time.monotonic() - started < 120:
        time.sleep(0.005)
    time.sleep(delay)
    mid_write = bool(_copies(store) - existing)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate()
    assert "Traceback" not in err
    return Kill(f"{mark}+{delay:.2f}s", mid_write, proc.returncode)


State = dict[str, tuple[int, str]]


def _chain(
    args: list[str], cwd: Path, store: Path, plan: list[tuple[float, str]]
) -> tuple[list[Kill], State, list[tuple[State, State | None]]]:
    """Kill ``args`` per ``plan``, then let one run complete.

    Returns the kills, the tables after the complete run, and for each kill the tables
    before that run and after the kill (None when the file kept its exact bytes).
    """
    kills, states = [], []
    before = fingerprint(store)
    for delay, mark in plan:
        before_bytes = store.read_bytes()
        kill = _run_and_kill(args, cwd, store, delay, mark)
        kills.append(kill)
        after = None if store.read_bytes() == before_bytes else fingerprint(store)
        states.append((before, after))
        before = after or before
    proc = start(args, cwd)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert _copies(store) == set(), "a stale working copy survived a complete run"
    return kills, fingerprint(store), states


def _without_reports(tables: State) -> State:
    return {t: v for t, v in tables.items() if t != "ingest_reports"}


def _reports(tables: State) -> int:
    return tables.get("ingest_reports", (0, ""))[0]


def _check(
    kills: list[Kill], final: State, states: list[tuple[State, State | None]], ingest: bool
) -> None:
    for kill, (before, after) in zip(kills, states, strict=True):
        if after is None:
            kill.outcome = "before (same bytes)"
            continue
        assert _without_reports(after) == _without_reports(final), (
            f"kill at {kill.when} left a store that is neither the old one nor the complete run"
        )
        assert _reports(after) == _reports(before) + (1 if ingest else 0)
        kill.outcome = "after (complete)"
    assert any(k.mid_write and k.returncode == -signal.SIGKILL for k in kills), kills
    assert any(k.outcome.startswith("after") for k in kills), kills


def test_killed_ingest_and_score_leave_store_before_or_after(
    tmp_path: Path, full_city: SmallCity, baseline: Baseline
) -> None:
    rng = random.Random(SEED)
    # Chain 1: ingest the demo city's first delivery over a store holding the small city (the
    # later deliveries carry a crosswalk from the demo's own earlier boundaries).
    ingest_store = tmp_path / "ingest" / "city.duckdb"
    ingest_store.parent.mkdir()
    ingest_store.write_bytes(baseline.ingested)
    ingest_args = ["ingest", str(REPO / "data" / "city-2024.toml"), "--store", str(ingest_store)]
    # (delay, counted from): in the write, from the start, just after the swap.
    ingest_plan = [
        (rng.uniform(0.0, 0.5), "write"),
        (rng.uniform(2.0, 6.0), "start"),
        (0.0, "swap"),
    ]
    # Chain 2: score the small city (its methodology, seeded Monte Carlo).
    baseline.install(full_city)
    score_args = ["score", "--store", str(full_city.store), "--draws", "50"]
    score_plan = [(rng.uniform(0.0, 0.3), "write"), (rng.uniform(0.3, 1.0), "write"), (0.0, "swap")]
    results: dict[str, tuple] = {}

    def run(name: str, args: list[str], store: Path, plan: list[tuple[float, str]]) -> None:
        results[name] = _chain(args, tmp_path, store, plan)

    threads = [
        threading.Thread(target=run, args=("ingest", ingest_args, ingest_store, ingest_plan)),
        threading.Thread(target=run, args=("score", score_args, full_city.store, score_plan)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"ingest", "score"}, "a chain failed; see the thread's exception above"
    for name, (kills, final, states) in results.items():
        _check(kills, final, states, ingest=name == "ingest")
        print(name, [(k.when, k.mid_write, k.returncode, k.outcome) for k in kills])
    ingest_final = results["ingest"][1]
    assert ingest_final["neighbourhoods"][0] > 100  # the demo city replaced the small one
    assert results["score"][1]["scores"][0] > 0
