"""A second annual delivery killed with SIGKILL mid-write leaves the first year's store
exactly as it was (the same bytes); the next complete run adds the second year."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from citygeo.store import Store
from tests.fixtures.annual import contents, deliver
from tests.fixtures.city import SmallCity, run_cli
from tests.robustness.processes import start


def _copies(store: Path) -> set[str]:
    return {p.name for p in store.parent.glob(store.name + ".tmp-*")}


def _kill_mid_write(args: list[str], cwd: Path, store: Path, delay: float) -> bool:
    """Run ``args``, SIGKILL it ``delay`` s after its working copy appears; whether it was
    killed while the copy existed."""
    proc = start(args, cwd)
    started = time.monotonic()
    while proc.poll() is None and not _copies(store) and time.monotonic() - started < 120:
        time.sleep(0.002)
    time.sleep(delay)
    mid_write = bool(_copies(store))
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate()
    assert "Traceback" not in err
    return mid_write and proc.returncode == -signal.SIGKILL


def test_killed_second_delivery_leaves_the_first_year_as_it_was(
    small_city: SmallCity, capsys: pytest.CaptureFixture[str]
) -> None:
    deliver(small_city, 2024)
    code, _, err = run_cli(
        ["ingest", str(small_city.config), "--store", str(small_city.store)], capsys
    )
    assert code == 0, err
    first = small_city.store.read_bytes()
    deliver(small_city, 2025)
    args = ["ingest", str(small_city.config), "--store", str(small_city.store)]
    killed = 0
    for delay in (0.0, 0.05, 0.2):
        if _kill_mid_write(args, small_city.folder, small_city.store, delay):
            killed += 1
            assert small_city.store.read_bytes() == first, (
                f"kill at write+{delay}s changed the store"
            )
    assert killed >= 1, "no kill landed in the middle of the write"
    store = Store(small_city.store)
    assert store.query("SELECT DISTINCT year FROM indicator_values")["year"].tolist() == [2024]
    proc = start(args, small_city.folder)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert _copies(small_city.store) == set()
    years = store.query("SELECT DISTINCT year FROM indicator_values ORDER BY 1")["year"].tolist()
    assert years == [2024, 2025]
    assert len(contents(store)["incidents"]) == 45 + 54
