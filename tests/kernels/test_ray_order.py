"""Large closest-hit and occlusion batches are reordered (by origin cell and octant, by target).

The reordering must not change any answer: the sorted paths are forced on a small scene and
compared ray by ray with the plain ones, and the counting sorts themselves are checked to be
stable permutations into bucket order.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from cpted_sim.kernels import bvh_query as q
from cpted_sim.kernels import ray_order
from cpted_sim.scenario.synthetic import district


@pytest.fixture(scope="module")
def scene():
    return district(12_000, seed=5).scene


def _random_rays(scene, n, seed):
    rng = np.random.default_rng(seed)
    lo, hi = scene.bounds - scene.origin
    o = rng.uniform(lo, hi, (n, 3))
    o[:, 2] = rng.uniform(0.5, 3.0, n)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    return np.ascontiguousarray(o), np.ascontiguousarray(d)


@pytest.mark.nojit
@pytest.mark.parametrize("threads", [1, 2])
def test_sort_rays_is_a_stable_permutation_into_bucket_order(monkeypatch, threads):
    monkeypatch.setattr(ray_order, "SORT_PART", 700)  # several parts per sorting pass
    rng = np.random.default_rng(3)
    n = 5_000
    o = rng.uniform(-50, 50, (n, 3))
    d = rng.normal(size=(n, 3))
    t0 = rng.uniform(0, 1, n)
    t1 = rng.uniform(2, 3, n)
    key = np.empty(n, dtype=np.int32)
    order = np.empty(n, dtype=np.int64)
    rays = np.empty((n, ray_order.RAY_COLUMNS))
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        ray_order.sort_rays(o, d, t0, t1, key, order, rays)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert np.array_equal(np.sort(order), np.arange(n))
    for got, given in zip((rays[:, :3], rays[:, 3:6], rays[:, 6], rays[:, 7]), (o, d, t0, t1)):
        np.testing.assert_array_equal(got, given[order])
    sorted_keys = key[order]
    assert np.all(np.diff(sorted_keys) >= 0)
    same = np.diff(sorted_keys) == 0
    assert np.all(np.diff(order)[same] > 0)  # stable within a bucket
    octant = (d[:, 0] < 0) * 1 + (d[:, 1] < 0) * 2 + (d[:, 2] < 0) * 4
    assert np.array_equal(key & 7, octant)
    assert len(np.unique(key >> 3)) > 100  # origins spread over many cells


@pytest.fixture(params=[None, 7_000], ids=["one-chunk", "chunks"])
def chunk(request, monkeypatch):
    """Sort in one go, or in chunks of 7 000 rays (the last one short), each in sorting
    passes of several parts."""
    if request.param:
        monkeypatch.setattr(ray_order, "ORDER_CHUNK", request.param)
        monkeypatch.setattr(ray_order, "SORT_PART", 1_500)


def test_sorted_closest_hits_equal_the_plain_ones(scene, chunk):
    o, d = _random_rays(scene, 40_000, seed=11)
    n = len(o)
    t0 = np.zeros(n)
    t1 = np.full(n, np.inf)
    t1[::7] = 5.0  # per-ray limits travel with their rays
    t0[::11] = 0.5
    plain_t, plain_f = np.empty(n), np.empty(n, dtype=np.int64)
    q.closest_hit_batch(scene.bvh, o, d, t0, t1, plain_t, plain_f, sort=False)
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            t, f = np.empty(n), np.empty(n, dtype=np.int64)
            q.closest_hit_batch(scene.bvh, o, d, t0, t1, t, f, sort=True)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        assert (plain_f >= 0).mean() > 0.3
        assert np.array_equal(f, plain_f)
        np.testing.assert_array_equal(t, plain_t)


@pytest.mark.nojit
def test_sort_segments_groups_by_target_cell_stably(monkeypatch):
    monkeypatch.setattr(ray_order, "SORT_PART", 1_000)
    rng = np.random.default_rng(4)
    n = 6_000
    o = rng.uniform(-80, 80, (n, 3))
    lights = rng.uniform(-80, 80, (40, 3))
    t = lights[rng.integers(0, len(lights), n)]
    key = np.empty(n, dtype=np.int32)
    order = np.empty(n, dtype=np.int64)
    so, st = np.empty((n, 3)), np.empty((n, 3))
    ray_order.sort_segments(o, t, key, order, so, st)
    assert np.array_equal(np.sort(order), np.arange(n))
    np.testing.assert_array_equal(so, o[order])
    np.testing.assert_array_equal(st, t[order])
    back = np.empty(n, dtype=bool)
    ray_order.unsort_flags(order, np.arange(n) % 3 == 0, back)  # sorted row j -> order[j]
    assert np.array_equal(back[order], np.arange(n) % 3 == 0)
    sorted_keys = key[order]
    assert np.all(np.diff(sorted_keys) >= 0)
    assert np.all(np.diff(order)[np.diff(sorted_keys) == 0] > 0)
    # Segments to one light are consecutive (each light has a cell of its own here).
    ids = np.unique(st, axis=0, return_inverse=True)[1].ravel()
    assert np.count_nonzero(np.diff(ids)) == len(np.unique(key)) - 1


def test_sorted_occlusion_equals_the_plain_one(scene, chunk):
    rng = np.random.default_rng(12)
    o, _ = _random_rays(scene, 30_000, seed=13)
    lo, hi = scene.bounds - scene.origin
    lights = rng.uniform(lo, hi, (25, 3))
    lights[:, 2] = 6.0
    t = np.ascontiguousarray(lights[rng.integers(0, len(lights), len(o))])
    plain = np.empty(len(o), dtype=bool)
    q.occluded_batch(scene.bvh, o, t, scene.ray_offset, plain, sort=False)
    assert 0.1 < plain.mean() < 0.9
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            got = np.empty(len(o), dtype=bool)
            q.occluded_batch(scene.bvh, o, t, scene.ray_offset, got, sort=True)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        assert np.array_equal(got, plain)


def test_forced_sorting_of_an_empty_batch_is_a_no_op(scene):
    e = np.empty((0, 3))
    t, f = np.empty(0), np.empty(0, dtype=np.int64)
    q.closest_hit_batch(scene.bvh, e, e, np.empty(0), np.empty(0), t, f, sort=True)
    out = np.empty(0, dtype=bool)
    q.occluded_batch(scene.bvh, e, e, 1e-6, out, sort=True)
    assert t.size == f.size == out.size == 0
