"""Scratch buffers reused across calls (kernels/scratch.py) and the sorted batch paths that use
them: one set per thread, grown as needed, and answers that do not depend on what a buffer
held before."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from cpted_sim.kernels import bvh_query as q
from cpted_sim.kernels import ray_order, scratch
from cpted_sim.scenario.synthetic import district


@pytest.mark.nojit
def test_buffers_are_reused_grown_and_per_thread():
    scratch.release()
    a = scratch.scratch("x", (10, 3))
    b = scratch.scratch("x", 20)
    assert np.shares_memory(a, b) and b.shape == (20,)
    big = scratch.scratch("x", 100)
    assert not np.shares_memory(a, big)  # grown: a new buffer
    assert np.shares_memory(scratch.scratch("x", 5), big)
    assert not np.shares_memory(scratch.scratch("y", 5), big)  # one buffer per name
    assert scratch.scratch("x", 5, np.int32).dtype == np.int32
    other = []
    t = threading.Thread(target=lambda: other.append(scratch.scratch("x", 100)))
    t.start()
    t.join()
    assert not np.shares_memory(other[0], big)  # another thread, other memory
    scratch.release()
    assert not np.shares_memory(scratch.scratch("x", 100), big)


def test_sorted_batches_of_changing_sizes_answer_as_unsorted(monkeypatch):
    scene = district(12_000, seed=5).scene
    bvh = scene.bvh
    rng = np.random.default_rng(11)
    lo, hi = scene.bounds - scene.origin
    monkeypatch.setattr(ray_order, "ORDER_CHUNK", 3_000)  # chunks and a last partial one
    for n in (7_000, 2_500, 9_100):  # grow, shrink, grow: stale contents must not leak
        o = np.ascontiguousarray(rng.uniform(lo, hi, (n, 3)))
        d = rng.normal(size=(n, 3))
        d = np.ascontiguousarray(d / np.linalg.norm(d, axis=1)[:, None])
        tg = np.ascontiguousarray(rng.uniform(lo, hi, (n, 3)))
        t0, t1 = np.zeros(n), np.full(n, np.inf)
        ref_t, ref_f = np.empty(n), np.empty(n, dtype=np.int64)
        q.closest_hit_batch(bvh, o, d, t0, t1, ref_t, ref_f, sort=False)
        got_t, got_f = np.empty(n), np.empty(n, dtype=np.int64)
        q.closest_hit_batch(bvh, o, d, t0, t1, got_t, got_f, sort=True)
        assert np.array_equal(got_t, ref_t) and np.array_equal(got_f, ref_f)
        ref_b, got_b = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
        q.occluded_batch(bvh, o, tg, scene.ray_offset, ref_b, sort=False)
        q.occluded_batch(bvh, o, tg, scene.ray_offset, got_b, sort=True)
        assert np.array_equal(got_b, ref_b) and 0 < ref_b.mean() < 1


@pytest.mark.parametrize("huge", [True, False])
def test_new_buffers_take_small_pages_and_numpys_switch_is_restored(monkeypatch, huge):
    sc = scratch
    core = getattr(np, "_core", None) or np.core  # NumPy 2 / NumPy 1
    setter = core.multiarray._set_madvise_hugepage
    seen = []
    empty = np.empty

    def spy(*args, **kw):  # the switch as the allocation finds it (read by setting it)
        seen.append(setter(False))
        return empty(*args, **kw)

    monkeypatch.setattr(sc.np, "empty", spy)
    old = setter(huge)
    try:
        sc.release()
        sc.scratch("test_small_pages", 1 << 20)
        assert setter(old) is huge  # restored on leaving
    finally:
        setter(old)
        monkeypatch.undo()
        sc.release()
    assert seen == [False]  # one new buffer, allocated with the switch off
