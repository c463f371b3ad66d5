"""Local Moran on two worker processes gives the same seeded results as on one (issue 16)."""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal import examples
from libpysal.weights import w_subset
from shapely.geometry import box

from citygeo.permutations import compute_chunk as light_compute_chunk
from citygeo.scoring.hotspots import (
    PARALLEL_MIN_UNITS,
    QUADRANT_CLASSES,
    _worker_count,
    gather_without_copy,
    local_moran_classes,
    moran_local_statistic,
    queen_weights,
    remember_permutations,
    stop_workers,
)


def columbus() -> tuple[pd.Series, object]:
    frame = gpd.read_file(examples.get_path("columbus.shp"))
    return pd.Series(frame["CRIME"].to_numpy(), index=frame["POLYID"]), queen_weights(
        frame, "POLYID"
    )


def serial_esda(values: pd.Series, w: object, seed: int) -> pd.Series:
    """The classes straight from esda on one process: the reference, written out by hand."""
    sub = w_subset(w, list(values.index), silence_warnings=True)
    sub.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        local = esda.Moran_Local(
            values.loc[sub.id_order].to_numpy(dtype=float),
            sub,
            transformation="r",
            permutations=999,
            seed=seed,
            n_jobs=1,
        )
    labels = [QUADRANT_CLASSES[q] if p < 0.05 else "none" for q, p in zip(local.q, local.p_sim)]
    return pd.Series(labels, index=sub.id_order, dtype=object).loc[values.index]


def test_columbus_two_workers_give_the_same_classes_as_one() -> None:
    values, w = columbus()
    one = local_moran_classes(values, w, seed=20, workers=1)
    two = local_moran_classes(values, w, seed=20, workers=2)
    pd.testing.assert_series_equal(one, two)
    pd.testing.assert_series_equal(one, serial_esda(values, w, seed=20), check_names=False)
    # Columbus crime is strongly clustered (Moran's I 0.50): both kinds of cluster show
    assert {"high-high", "low-low"} <= set(one)
    assert (one != "none").sum() >= 10


def test_local_moran_raises_no_warning_another_thread_could_unsilence() -> None:
    """esda 2.9 warns about its default alternative hypothesis on every call. Silenced with
    ``catch_warnings`` in the hot-spot thread, another thread leaving its own puts the filters
    back without it (a flaky CI failure: pytest turns warnings into errors). Asked for by name
    while Local Moran runs, the warning never happens, whatever the filters are."""
    import esda.moran

    values, w = columbus()
    sub = w_subset(w, list(values.index), silence_warnings=True)
    sub.transform = "r"
    y = values.loc[sub.id_order].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with gather_without_copy(esda.moran, esda.crand):
            local = esda.Moran_Local(y, sub, permutations=999, seed=20, n_jobs=1)
    assert esda.moran._crand_plus is esda.crand.crand  # put back afterwards
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        plain = esda.Moran_Local(y, sub, permutations=999, seed=20, n_jobs=1)
    np.testing.assert_array_equal(local.p_sim, plain.p_sim)  # esda's default: "directed"
    classes = local_moran_classes(values, w, seed=20, workers=1)
    pd.testing.assert_series_equal(classes, serial_esda(values, w, seed=20), check_names=False)


def square_grid(side: int) -> tuple[pd.Index, object, np.ndarray]:
    """A side × side grid of unit squares: their ids, queen weights and column numbers."""
    cells = gpd.GeoDataFrame(
        {"nid": [f"N{i:04d}" for i in range(side * side)]},
        geometry=[box(x, y, x + 1, y + 1) for y in range(side) for x in range(side)],
    )
    return pd.Index(cells["nid"]), queen_weights(cells), np.tile(np.arange(side), side)


def test_grid_with_gaps_split_between_two_workers() -> None:
    side = 24
    ids, w, xs = square_grid(side)
    rng = np.random.default_rng(4)
    values = pd.Series(np.where(xs < side // 2, 3.0, 0.0) + rng.normal(0, 1.5, side * side), ids)
    values.iloc[::17] = np.nan  # left out: the workers' halves are cut from the usable ones
    for seed in (1, 2):
        one = local_moran_classes(values, w, seed=seed, workers=1)
        two = local_moran_classes(values, w, seed=seed, workers=2)
        pd.testing.assert_series_equal(one, two)
    assert set(one[values.isna()]) == {"none"}
    # the permutations really are seeded: a borderline neighbourhood changes with the seed
    seeds = [local_moran_classes(values, w, seed=s, workers=1) for s in (1, 2, 3)]
    assert any(not seeds[0].equals(other) for other in seeds[1:])


def test_worker_count() -> None:
    assert _worker_count(PARALLEL_MIN_UNITS - 1, None) == 1
    assert _worker_count(PARALLEL_MIN_UNITS, None) in {1, 2}
    assert _worker_count(10, 4) == 4
    assert _worker_count(3, 4) == 3
    with pytest.raises(ValueError, match="at least 1"):
        _worker_count(10, 0)


def test_the_permutation_table_is_drawn_once_for_every_year_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """esda draws the same table for each year of a city (same neighbourhoods, same seed):
    it is drawn once, and the classes and the global random state are esda's own."""
    values, w = columbus()
    rng = np.random.default_rng(8)
    years = [
        values,
        values + rng.normal(0, 8, len(values)),
        pd.Series(rng.permutation(values.to_numpy()), index=values.index),
    ]
    remember_permutations(esda.crand)
    original = esda.crand.vec_permutations.citygeo_original
    calls: list[tuple[object, ...]] = []

    def counting(*args: object) -> np.ndarray:
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(esda.crand, "vec_permutations", counting)
    got = [local_moran_classes(v, w, seed=20, workers=1) for v in years]
    state = np.random.get_state()
    assert len(calls) == 1  # three years, one draw
    monkeypatch.setattr(esda.crand, "vec_permutations", original)
    expected = [serial_esda(v, w, seed=20) for v in years]
    for one, reference in zip(got, expected, strict=True):
        pd.testing.assert_series_equal(one, reference, check_names=False)
    assert not got[0].equals(got[2])  # the years really differ
    reference_state = np.random.get_state()
    assert state[0] == reference_state[0] and (state[1] == reference_state[1]).all()
    assert state[2:] == reference_state[2:]


def test_the_row_standardised_weights_are_built_once_for_years_with_the_same_neighbourhoods(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Years whose scores are all known share one subset of the weights; a year with a gap gets
    its own; every year's classes are esda's own on its own subset, and the city's weights are
    left as they were."""
    from citygeo.scoring import hotspots

    values, w = columbus()
    transform = w.transform
    rng = np.random.default_rng(3)
    gap = (values + rng.normal(0, 8, len(values))).astype(float)
    gap.iloc[[4, 17]] = np.nan
    years = [values, values + rng.normal(0, 8, len(values)), gap, values * 0.5]
    built: list[int] = []

    def counting(w_: object, ids: list[object], **kwargs: object) -> object:
        built.append(len(ids))
        return w_subset(w_, ids, **kwargs)

    monkeypatch.setattr("libpysal.weights.w_subset", counting)
    got = [local_moran_classes(v, w, seed=5, workers=1) for v in years]
    # one subset for the first two years, one for the year with a gap, one again after it
    assert built == [len(values), len(values) - 2, len(values)]
    monkeypatch.undo()
    for one, v in zip(got, years, strict=True):
        known = v.dropna()
        pd.testing.assert_series_equal(
            one.loc[known.index], serial_esda(known, w, seed=5), check_names=False
        )
        assert (one.loc[v.index.difference(known.index)] == "none").all()
    assert w.transform == transform  # the city's weights are not re-standardised
    assert hotspots._SUBSETS[w][0] == tuple(values.index)


def test_the_copy_free_statistic_is_esdas_own_for_every_site() -> None:
    """Each site's permuted statistics equal esda's ``_moran_local_crand`` bit for bit, on a
    table like the one esda draws, with neighbour counts from one to eight and self-weights."""
    import esda.moran

    rng = np.random.default_rng(11)
    n = 300
    z = rng.normal(size=n)
    table = np.stack([rng.choice(n - 1, size=8, replace=False) for _ in range(199)])
    original = esda.moran._moran_local_crand
    for i in range(n):
        weights_i = np.concatenate([[0.1 * (i % 3)], rng.uniform(0.1, 1, 1 + i % 8)])
        expected = original(i, z, table, weights_i, 0.9)
        assert np.array_equal(moran_local_statistic(i, z, table, weights_i, 0.9), expected)


def test_esdas_statistic_is_replaced_only_while_local_moran_runs() -> None:
    import esda.moran

    from citygeo.scoring import hotspots

    original = esda.moran._moran_local_crand
    seen: list[object] = []
    with gather_without_copy(esda.moran):
        seen.append(esda.moran._moran_local_crand)
        with gather_without_copy(esda.moran):  # another thread's call, nested
            seen.append(esda.moran._moran_local_crand)
        seen.append(esda.moran._moran_local_crand)
    assert seen == [moran_local_statistic] * 3
    assert esda.moran._moran_local_crand is original
    esdas_loop = esda.crand.compute_chunk
    with gather_without_copy(esda.moran, esda.crand):
        assert esda.crand.compute_chunk is light_compute_chunk
        assert esda.moran._moran_local_crand is moran_local_statistic
    assert esda.crand.compute_chunk is esdas_loop
    assert esda.moran._moran_local_crand is original

    def numba_like(*args: object) -> np.ndarray:
        return original(*args)

    numba_like.py_func = original  # type: ignore[attr-defined]
    module = type(esda)("fake_moran")
    module._moran_local_crand = numba_like  # type: ignore[attr-defined]
    with gather_without_copy(module):  # numba's compiled esda is left alone
        assert module._moran_local_crand is numba_like

    def different(i: int, z: np.ndarray, table: np.ndarray, w: np.ndarray, s: float) -> object:
        return original(i, z, table, w, s) + 1e-12

    module._moran_local_crand = different  # type: ignore[attr-defined]
    with gather_without_copy(module):  # an esda whose statistic is not this one: untouched
        assert module._moran_local_crand is different

    def other_loop(*args: object) -> tuple[np.ndarray, np.ndarray]:
        p_sims, rlocals = esdas_loop(*args)
        return np.minimum(p_sims * 2, 1).astype(np.float32), rlocals

    crand_like = type(esda)("fake_crand")
    crand_like.compute_chunk = other_loop  # type: ignore[attr-defined]
    with gather_without_copy(esda.moran, crand_like):  # a loop that is not esda's: untouched
        assert crand_like.compute_chunk is other_loop
        assert esda.moran._moran_local_crand is moran_local_statistic
    assert hotspots._GATHER_USERS == 0


def _chunk_case(seed: int, n: int = 400) -> tuple[np.ndarray, ...]:
    """A crand chunk's inputs: 0-8 neighbours (islands included), some self-weights, observed
    statistics of both signs, a permutation table like esda's."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    cardinalities = rng.integers(0, 9, n)
    other = rng.uniform(0.1, 1, int(cardinalities.sum()))
    self_weights = np.where(rng.random(n) < 0.2, 0.3, 0.0)
    table = np.stack([rng.choice(n - 1, size=8, replace=False) for _ in range(299)])
    observed = rng.normal(0, 0.8, n)
    return z, cardinalities, other, self_weights, table, observed


@pytest.mark.parametrize("start,stop", [(0, 400), (150, 290)])
@pytest.mark.parametrize("alternative", ["directed", "two-sided"])
def test_the_light_chunk_loop_gives_esdas_p_values_bit_for_bit(
    start: int, stop: int, alternative: str
) -> None:
    """citygeo.permutations.compute_chunk against esda's own, on a whole table and on a chunk
    in the middle (as a worker gets it), with islands weighted 0 and NaN."""
    z, cardinalities, other, self_weights, table, observed = _chunk_case(3)
    offset = int(cardinalities[:start].sum())
    for island in (0.0, np.nan):
        args = (
            start,
            z[start:stop],
            z,
            observed[start:stop],
            cardinalities[start:stop],
            self_weights[start:stop],
            other[offset:],
            table,
            1.7,
            True,
            moran_local_statistic,
            island,
            alternative,
        )
        theirs, ours = esda.crand.compute_chunk(*args), light_compute_chunk(*args)
        assert ours[0].dtype == theirs[0].dtype == np.float32
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])
        assert (ours[0] < 0.05).any() and (ours[0] > 0.2).any()
        if alternative == "directed":  # folded to the smaller tail: at most one half
            assert ours[0].max() <= 0.5


def test_worker_processes_import_numpy_not_esda() -> None:
    """What a worker unpickles (the chunk loop and the statistic) loads no esda, libpysal,
    scipy or pandas: each of those cost every worker ~2.5 s of CPU."""
    import subprocess
    import sys

    code = (
        "import sys, citygeo.permutations; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'esda', 'libpysal', 'scipy', 'pandas', 'sklearn', 'geopandas', 'shapely'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert light_compute_chunk.__module__ == moran_local_statistic.__module__
    assert moran_local_statistic.__module__ == "citygeo.permutations"


def test_two_workers_use_the_copy_free_statistic_with_esdas_classes() -> None:
    """On a 40 × 40 grid, one process and two worker processes give esda's own classes."""
    side = 40
    ids, w, xs = square_grid(side)
    rng = np.random.default_rng(2)
    values = pd.Series(np.sin(xs / 5.0) * 2 + rng.normal(0, 1, side * side), ids)
    reference = serial_esda(values, w, seed=9)
    for workers in (1, 2):
        pd.testing.assert_series_equal(
            local_moran_classes(values, w, seed=9, workers=workers), reference, check_names=False
        )
    assert (reference != "none").sum() > 100


def test_stopped_workers_end_and_the_next_local_moran_starts_new_ones() -> None:
    import os
    import time

    from joblib.externals.loky import reusable_executor

    values, w = columbus()
    first = local_moran_classes(values, w, seed=4, workers=2)
    pids = list(reusable_executor._executor._processes)
    assert pids
    stop_workers()
    stop_workers()  # twice, or with none running: nothing happens

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    deadline = time.monotonic() + 60
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in pids)
    pd.testing.assert_series_equal(local_moran_classes(values, w, seed=4, workers=2), first)
    assert not set(reusable_executor._executor._processes) & set(pids)
