"""Triage speed (issue 14): 1,000 seeded reports on the synthetic district with context and
places (and three candidate measures for each of the top 10 places where
``cpted_sim.triage.measures`` is installed), on 2 threads. Target: <= 60 s at 1M triangles.

``pytest benchmarks/test_bench_triage.py --benchmark-only``; ``CPTED_BENCH_SIZES=100k`` for a
quick run. Figures in ``docs/performance.md``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from cpted_sim.config import threads as thread_context
from cpted_sim.errors import CptedWarning
from cpted_sim.scenario import model as m
from cpted_sim.scenario.synthetic import district
from cpted_sim.triage.pipeline import triage

N_REPORTS = 1000


@pytest.fixture(scope="module")
def study(size):
    d = district(size, seed=0)
    optic = m.PhotometrySpec(builtin="street_light_optic", params={"flux": 8000.0})
    lums = tuple(m.LuminaireSpec(f"L{k}", optic, tuple(p)) for k, p in enumerate(d.street_lights))
    eyes = d.windows_points + 0.3 * d.windows_normals
    obs = (m.ObserverSpec("windows", kind="window", points=tuple(map(tuple, eyes)), fov=360.0,
                          range=40.0),)
    sc = m.Scenario("bench district", m.SceneSpec(m.GeometrySpec(
        builtin="district", params={"target_triangles": size, "seed": 0})),
        luminaires=lums, observers=obs, settings=m.RunSettings(quiet=True))
    rng = np.random.default_rng(14)
    pts = d.street_points(spacing=1.0)[:, :2]
    # a third of the reports around 30 hot spots, the rest anywhere on the streets
    hot = pts[rng.choice(len(pts), 30, replace=False)]
    k = N_REPORTS // 3
    near = hot[rng.integers(0, 30, k)] + rng.normal(0.0, 4.0, (k, 2))
    xy = np.vstack([near, pts[rng.choice(len(pts), N_REPORTS - k, replace=False)]])
    times = np.datetime64("2025-01-10T21:00:00") + rng.integers(0, 3 * 3600, N_REPORTS) \
        * np.timedelta64(1, "s")
    return sc, d.scene, xy, times.astype("datetime64[s]")


def test_triage_1000_reports(benchmark, study):
    sc, scene, xy, times = study

    cpu = []

    def go():
        t0 = time.process_time()
        with thread_context(2), warnings.catch_warnings():
            warnings.simplefilter("ignore", CptedWarning)
            out = triage(sc, xy, None, times, scene=scene, top=10)
        cpu.append(time.process_time() - t0)    # both threads' CPU time: the load's share
        return out

    res = benchmark.pedantic(go, rounds=1, iterations=1, warmup_rounds=0)
    assert len(res.context) == N_REPORTS and res.places
    tested = [r for lst in (res.measures or {}).values() for r in lst]
    benchmark.extra_info.update(places=len(res.places), grid_points=res.context.grid.n_points,
                                places_measured=len(res.measures or {}),
                                measures=len(tested),
                                best={pid: lst[0].measure.kind for pid, lst in
                                      (res.measures or {}).items() if lst})
    benchmark.extra_info["cpu_s"] = cpu[0]
    print(f"\nCPU {cpu[0]:.1f} s; {len(res.places)} places, "
          f"{res.context.grid.n_points} grid points, "
          f"{len(res.measures or {})} places with {len(tested)} measures tested")
