"""The parallel BVH build (kernels/bvh_build.py): the same tree whatever the split into tasks
and threads, and a valid one."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.geometry import bvh as gb
from cpted_sim.kernels.bvh_build import WIDE
from cpted_sim.scenario.synthetic import district


@pytest.fixture(scope="module")
def mesh():
    s = district(20_000, seed=3).scene  # 20 k triangles: several levels above the tasks
    return s.vertices, s.faces


def _build(mesh, monkeypatch, task_min, tasks):
    monkeypatch.setattr(gb, "TASK_MIN", task_min)
    monkeypatch.setattr(gb, "TASKS", tasks)
    return gb.build_bvh(*mesh)


def test_tasks_and_threads_do_not_change_the_tree(mesh, monkeypatch):
    serial, st = _build(mesh, monkeypatch, 10**9, 1)  # the root is the only task
    for task_min, tasks in ((16, 512), (256, 64)):  # wide levels, levels split in parallel
        for n_threads in (1, 2, 3):  # Python threads of the build (whatever Numba allows)
            monkeypatch.setattr(gb.numba, "get_num_threads", lambda: n_threads)
            par, pst = _build(mesh, monkeypatch, task_min, tasks)
            assert np.array_equal(par.nodes, serial.nodes)
            assert np.array_equal(par.face, serial.face)
            assert np.array_equal(par.tri, serial.tri)
            assert (pst.depth, pst.n_nodes, pst.n_leaves) == (st.depth, st.n_nodes, st.n_leaves)


def test_the_tree_is_valid(mesh, monkeypatch):
    b, st = _build(mesh, monkeypatch, 16, 512)
    n = len(mesh[1])
    links = b.nodes
    boxes = links.view(np.float32)[:, :6 * WIDE].reshape(-1, 6, WIDE)
    ref, cnt = links[:, 6 * WIDE:7 * WIDE], links[:, 7 * WIDE:]
    seen = np.zeros(n, dtype=np.int64)
    reached = np.zeros(len(links), dtype=np.int64)
    reached[0] = 1
    for w in range(len(links)):
        for k in range(WIDE):
            if cnt[w, k] > 0:
                rows = np.arange(ref[w, k], ref[w, k] + cnt[w, k])
                seen[rows] += 1
                corners = b.tri[rows].reshape(-1, 3, 3)
                assert np.all(corners.min(axis=1) >= boxes[w, :3, k])  # boxes contain
                assert np.all(corners.max(axis=1) <= boxes[w, 3:, k])  # their triangles
            elif cnt[w, k] == 0:
                reached[ref[w, k]] += 1
            else:
                assert np.all(cnt[w, k:] == -1) and np.all(np.isinf(boxes[w, :, k]))
    assert np.all(seen == 1)  # every triangle in exactly one leaf
    assert np.all(reached == 1)  # every wide node has exactly one parent (or is the root)
    assert np.array_equal(np.sort(b.face), np.arange(n))
    assert st.n_leaves == np.count_nonzero(cnt > 0) and st.n_nodes == 2 * st.n_leaves - 1
    assert links.ctypes.data % 64 == 0



@pytest.mark.parametrize("huge", [True, False])
def test_the_build_allocates_small_pages_and_restores_numpys_switch(mesh, monkeypatch, huge):
    core = getattr(np, "_core", None) or np.core  # NumPy 2 / NumPy 1
    setter = core.multiarray._set_madvise_hugepage
    seen = []
    boxes = gb.bvh_build.triangle_boxes

    def spy(*args):  # the switch as the build's first kernel finds it (read by setting it)
        seen.append(setter(False))
        return boxes(*args)

    monkeypatch.setattr(gb.bvh_build, "triangle_boxes", spy)
    old = setter(huge)
    try:
        gb.build_bvh(*mesh)
        assert setter(old) is huge  # restored on leaving
    finally:
        setter(old)
    assert seen and not any(seen)  # off during the build
