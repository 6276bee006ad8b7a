"""Sightline speed on the 1 M triangle synthetic district, 2 threads (issue #5 acceptance).

- S1 surveillance: 1 000 windows x 100 000 ground points (10^8 observer-point pairs),
  ``surveillance_fields`` (window range 100 m, half-space view). Target: <= 60 s.
- S2 isovists: 720 rays at 10 000 street points (7.2 M rays). Target: <= 5 s.
- S3 visibility graph: 10 000 street points (5 x 10^7 sightlines, then VGA). Target: <= 60 s.

Peers in the same run: the core's ``visibility_matrix`` on a tenth of S1 (no field of view,
no culling: the plain sightline throughput), the same S2 fans cast with Embree, and the S2
fans in our full 3D tree instead of the eye-height cross-section.

``pytest benchmarks/test_bench_sightlines.py --benchmark-only``. ``CPTED_BENCH_SIGHT_TRIANGLES``
(default 1000000) sets the district size for quick runs. Each benchmark records its pair or
ray count and the rate in ``extra_info``.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim.visibility import surveillance_fields
from cpted_sim.visibility.isovist import build_slice_bvh, fan_radii

THREADS = 2
ROUNDS = 2
N_WINDOWS = 1_000
N_GROUND = 100_000
N_ISOVIST = 10_000
N_GRAPH = 10_000
SEED = 20261129


@lru_cache(maxsize=1)
def _work():
    from cpted_sim.scenario.synthetic import district

    n_tri = int(os.environ.get("CPTED_BENCH_SIGHT_TRIANGLES", "1000000"))
    d = district(n_tri, seed=1)
    rng = np.random.default_rng(SEED)
    windows = cs.ObserverSet.from_faces(d.scene, d.scene.tagged_groups("window"),
                                        max_distance=100.0)
    windows = windows.subset(np.sort(rng.choice(windows.n, min(N_WINDOWS, windows.n),
                                                replace=False)))
    street = d.street_points(spacing=0.8, height=0.0)
    ground = street[np.sort(rng.choice(street.shape[0], min(N_GROUND, street.shape[0]),
                                       replace=False))]
    coarse = d.street_points(spacing=2.0, height=0.0)
    iso = coarse[np.sort(rng.choice(coarse.shape[0], min(N_ISOVIST, coarse.shape[0]),
                                    replace=False))]
    graph = coarse[np.sort(rng.choice(coarse.shape[0], min(N_GRAPH, coarse.shape[0]),
                                      replace=False))]
    return {"district": d, "windows": windows,
            "ground": cs.CalculationGrid.from_points(ground),
            "iso": cs.CalculationGrid.from_points(iso),
            "graph": cs.CalculationGrid.from_points(graph)}


@pytest.fixture(scope="module")
def work():
    w = _work()
    small = cs.CalculationGrid.from_points(w["ground"].points[:500])
    with cs.threads(THREADS):  # compile outside the timings
        surveillance_fields(w["district"].scene, w["windows"].subset(np.arange(10)), small)
        cs.isovist(w["district"].scene, small.points[:50])
        cs.visibility_graph(w["district"].scene,
                            cs.CalculationGrid.from_points(w["graph"].points[:200]))
    return w


def _run(benchmark, fn, count, unit):
    def go():
        with cs.threads(THREADS):
            return fn()

    result = benchmark.pedantic(go, rounds=ROUNDS, iterations=1)
    benchmark.extra_info[unit] = count
    benchmark.extra_info[f"M{unit}_per_s"] = count / benchmark.stats.stats.min / 1e6
    benchmark.extra_info["threads"] = THREADS
    benchmark.extra_info["triangles"] = work_triangles()
    return result


def work_triangles() -> int:
    return int(_work()["district"].scene.n_faces)


def test_s1_surveillance(benchmark, work):
    benchmark.group = "S1 surveillance 1000 x 100k"
    scene, obs, grid = work["district"].scene, work["windows"], work["ground"]
    res = _run(benchmark, lambda: surveillance_fields(scene, obs, grid), obs.n * grid.n_points,
               "pairs")
    benchmark.extra_info["mean_count"] = float(res.count.values.mean())
    benchmark.extra_info["share_unobserved"] = float(np.mean(res.count.values == 0))


def test_s1_peer_visibility_matrix_tenth(benchmark, work):
    benchmark.group = "S1 surveillance 1000 x 100k"
    scene, obs, grid = work["district"].scene, work["windows"], work["ground"]
    targets = grid.points[: grid.n_points // 10] + [0, 0, 1.5]
    _run(benchmark, lambda: cs.visibility_matrix(scene, obs.positions, targets,
                                                 max_distance=100.0),
         obs.n * targets.shape[0], "pairs")


def test_s2_isovist(benchmark, work):
    benchmark.group = "S2 isovists 10k x 720"
    scene, grid = work["district"].scene, work["iso"]
    res = _run(benchmark, lambda: cs.isovist(scene, grid, n_rays=720), grid.n_points * 720,
               "rays")
    benchmark.extra_info["mean_area_m2"] = float(res.area.mean())
    # The eye-height cross-section tree is cached per scene and height (built in the warm-up);
    # a first call pays for it once:
    t0 = time.perf_counter()
    build_slice_bvh(scene, float(scene.to_local(grid.points[:1])[0, 2] + 1.6))
    benchmark.extra_info["cross_section_build_s"] = time.perf_counter() - t0


def test_s2_peer_full_tree(benchmark, work):
    """The same fans in the full 3D tree (the kernel the cross-section replaces)."""
    from cpted_sim.kernels.sightlines import fan_radii_kernel

    benchmark.group = "S2 isovists 10k x 720"
    scene, grid = work["district"].scene, work["iso"]
    eyes = scene.to_local(grid.points) + [0, 0, 1.6]
    th = 2 * np.pi * np.arange(720) / 720
    out = np.empty((eyes.shape[0], 720))
    _run(benchmark, lambda: fan_radii_kernel(scene.bvh, np.ascontiguousarray(eyes),
                                             np.cos(th), np.sin(th), scene.ray_offset, 100.0,
                                             out), eyes.shape[0] * 720, "rays")
    ours = fan_radii(scene, eyes, 720, 100.0)
    # Equal but for ties: rays passing exactly through the free end of a wall, which the
    # street grid lines up with the district's coordinates (the cross-section's 1e-9 overlap
    # turns them into hits). 316 of 7.2 M rays at 1 M triangles.
    same = np.abs(ours - out) <= 1e-6
    benchmark.extra_info["rays_differing"] = int(np.sum(~same))
    assert np.mean(same) > 0.9999


def test_s2_peer_embree(benchmark, work):
    pytest.importorskip("embreex", reason="Embree peer needs embreex (pip install embreex)")
    benchmark.group = "S2 isovists 10k x 720"
    scene, grid = work["district"].scene, work["iso"]
    th = 2 * np.pi * np.arange(720) / 720
    dirs = np.tile(np.column_stack([np.cos(th), np.sin(th), np.zeros(720)]), (grid.n_points, 1))
    origins = np.repeat(grid.points + [0, 0, 1.6], 720, axis=0)
    _run(benchmark, lambda: cs.closest_hit(scene, origins, dirs, max_distance=100.0,
                                           engine="embree"), origins.shape[0], "rays")


def test_s3_visibility_graph(benchmark, work):
    benchmark.group = "S3 visibility graph 10k"
    scene, grid = work["district"].scene, work["graph"]
    g = _run(benchmark, lambda: cs.visibility_graph(scene, grid),
             grid.n_points * (grid.n_points - 1) // 2, "pairs")
    benchmark.extra_info["mean_connectivity"] = float(g.connectivity.values.mean())
