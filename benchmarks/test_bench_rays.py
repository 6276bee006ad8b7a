"""Ray-core speed: our numba engine against Embree (1 and 2 Python threads) in the same run.

Each benchmark records ``rays`` and ``Mrays_per_s`` in ``extra_info``; ``docs/performance.md``
has the table and the history. ``pytest benchmarks --benchmark-only`` runs it; see
``conftest.py`` for the size variables. Our engine and Embree on 2 threads are measured twice:
on the machine as it is ("quiet") and while one other CPU-bound process runs, started and
stopped by the benchmark itself ("loaded", issue 16: >= 0.9x Embree on the 1M district).
"""

from __future__ import annotations


import numpy as np
import pytest

import workloads as wl

ROUNDS = 3


def _run(benchmark, fn, rays):
    fn()  # warm-up: compilation and first touch are not part of the figure
    result = benchmark.pedantic(fn, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["rays"] = rays
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["Mrays_per_s"] = rays / benchmark.stats.stats.min / 1e6
    return result


@pytest.fixture(params=["quiet", "loaded"])
def load(request):
    """The machine as it is, or with one competing CPU-bound process for the test's length."""
    if request.param == "quiet":
        yield request.param
        return
    with wl.competing_process():
        yield request.param


@pytest.mark.parametrize("workload", ["W1", "W2", "W3"])
def test_numba(benchmark, size, work, workload, load):
    benchmark.group = f"{workload} {wl.size_label(size)} {load}"
    fn = getattr(wl, f"numba_{workload.lower()}")
    _run(benchmark, lambda: fn(work), wl.ray_counts(work)[workload])


@pytest.mark.parametrize("workload", ["W1", "W2", "W3"])
def test_embree_1thread(benchmark, size, embree1, work, workload):
    benchmark.group = f"{workload} {wl.size_label(size)} quiet"
    _run(benchmark, getattr(embree1, f"{workload.lower()}_run"), wl.ray_counts(work)[workload])


@pytest.mark.parametrize("workload", ["W1", "W2", "W3"])
def test_embree_2threads(benchmark, size, embree2, work, workload, load):
    benchmark.group = f"{workload} {wl.size_label(size)} {load}"
    _run(benchmark, getattr(embree2, f"{workload.lower()}_run"), wl.ray_counts(work)[workload])


def test_trimesh_w1_subset(benchmark, size, work):
    pytest.importorskip("rtree", reason="trimesh's ray engine needs rtree (pip install rtree)")
    n = min(wl.TRIMESH_SUBSET, len(work.w1_origins))
    benchmark.group = f"W1 {wl.size_label(size)} quiet"
    benchmark.extra_info["rays"] = n
    benchmark.pedantic(lambda: wl.trimesh_subset(work, n), rounds=1, iterations=1)
    if benchmark.stats is not None:
        benchmark.extra_info["Mrays_per_s"] = n / benchmark.stats.stats.min / 1e6


def test_bvh_build(benchmark, work):
    from cpted_sim.geometry.bvh import build_bvh

    s = work.scene
    benchmark.group = "BVH build"
    benchmark.pedantic(lambda: build_bvh(s.vertices, s.faces), rounds=ROUNDS, iterations=1)
    benchmark.extra_info["triangles"] = s.n_faces


def test_embree_build(benchmark, work):
    pytest.importorskip("embreex")
    from embreex import rtcore_scene
    from embreex.mesh_construction import TriangleMesh

    s = work.scene
    v = s.vertices.astype(np.float32)
    f = s.faces.astype(np.int32)
    o = np.zeros((1, 3), np.float32)
    d = np.ones((1, 3), np.float32)

    def build():
        es = rtcore_scene.EmbreeScene()
        TriangleMesh(scene=es, vertices=v, indices=f)
        es.run(o, d)  # the build happens at the first commit
        return es

    benchmark.group = "BVH build"
    benchmark.pedantic(build, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["triangles"] = s.n_faces


def test_numba_agrees_with_embree_on_w1(work, embree1):
    # Not a timing: the two engines must answer the same shadow rays (float32 Embree may
    # differ on rays grazing an edge within its rounding, so a tiny fraction is allowed).
    n = min(200_000, len(work.w1_origins))
    ours = wl.numba_w1(work)[:n]
    res = embree1.es.run(embree1.w1[0][:n], embree1.w1[1][:n], dists=embree1.w1[2][:n].copy(),
                         query="OCCLUDED")
    theirs = np.asarray(res) >= 0
    assert np.mean(ours != theirs) < 1e-3

