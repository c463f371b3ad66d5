"""Concurrent use: readers never see a half-ingested or stale city; writers never lose a write.

Two cities that differ in every table (3 × 3 and 4 × 4 grids) are ingested in turn while
reader threads count every table in one snapshot, as the dashboard reads (``Store.query``
and ``Store.reader``). Every snapshot must be exactly city A's counts or exactly city B's.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

from citygeo.ingest import ingest_city
from citygeo.store import Store, append_rows
from tests.robustness.city import write_full_city

TABLES = (
    "neighbourhoods",
    "indicator_values",
    "incidents",
    "survey_responses",
    "online_signals",
    "stakeholders",
    "consultations",
)
COUNT_ALL = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in TABLES)
# By construction (tests/robustness/city.py): n cells, 2 indicators, i incidents in cell i,
# 3 respondents × 1 item per cell, one online row per cell + one city-wide, size - 1 partners
# and consultations.
CITY_A = (9, 18, 45, 27, 10, 2, 2)
CITY_B = (16, 32, 136, 48, 17, 3, 3)


def _counts_one_query(store: Store) -> tuple[int, ...]:
    row = store.query(COUNT_ALL).iloc[0]
    return tuple(int(row[t]) for t in TABLES)


def _counts_one_reader(store: Store) -> tuple[int, ...]:
    with store.reader() as con:
        return tuple(int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES)


def test_readers_see_whole_cities_while_ingests_swap_them(tmp_path: Path) -> None:
    city_a = write_full_city(tmp_path / "a", size=3)
    city_b = write_full_city(tmp_path / "b", size=4)
    store = Store(tmp_path / "shared.duckdb")
    ingest_city(city_a.config, store)
    assert _counts_one_query(store) == CITY_A

    seen: list[tuple[int, ...]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_loop(read: object) -> None:
        try:
            while not stop.is_set():
                seen.append(read(store))  # type: ignore[operator]
                stop.wait(0.1)
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    readers = [
        threading.Thread(target=read_loop, args=(fn,))
        for fn in (_counts_one_query, _counts_one_reader)
    ]
    for thread in readers:
        thread.start()
    last = city_a
    try:
        for city in (city_b, city_a, city_b):
            ingest_city(city.config, store)
            last = city
            # A read that starts after the swap sees the new city, even while the reader
            # threads hold connections to the old file.
            expected = CITY_B if last is city_b else CITY_A
            assert _counts_one_query(store) == expected
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not errors, errors
    assert len(seen) >= 4 and CITY_A in seen
    assert set(seen) <= {CITY_A, CITY_B}, set(seen) - {CITY_A, CITY_B}
    assert last is city_b and _counts_one_reader(store) == CITY_B


def test_open_reader_keeps_its_snapshot_and_new_readers_see_the_new_file(tmp_path: Path) -> None:
    city_a = write_full_city(tmp_path / "a", size=3)
    city_b = write_full_city(tmp_path / "b", size=4)
    store = Store(tmp_path / "shared.duckdb")
    ingest_city(city_a.config, store)
    with store.reader() as held:  # e.g. another dashboard session mid-page
        ingest_city(city_b.config, store)
        # DuckDB would hand a second connection to the same path the instance of `held`,
        # i.e. the replaced file; Store.reader opens the current file instead.
        assert _counts_one_query(store) == CITY_B
        assert _counts_one_reader(store) == CITY_B
        assert held.execute(COUNT_ALL).fetchone() == CITY_A
    assert _counts_one_query(store) == CITY_B


def test_concurrent_writers_are_serialised_and_lose_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "shared.duckdb")
    store.initialise()
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for k in range(2):
                with store.writer() as con:
                    append_rows(
                        con,
                        "sources",
                        pd.DataFrame(
                            {"source_id": [f"w{writer}-{k}"], "name": [f"writer {writer}"]}
                        ),
                    )
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    ids = sorted(store.query("SELECT source_id FROM sources")["source_id"])
    assert ids == [f"w{w}-{k}" for w in (1, 2) for k in range(2)]
    assert not list(tmp_path.glob("shared.duckdb.tmp-*"))
