"""Draping a grid over the real Delft street (../shared, skipped where absent): our walkable-
surface search (``surface_below``, passes of bulk rays) on the numba and Embree engines, side by
side with one plain downward Embree / numba ray per point (what draping costs at the least).

``pytest benchmarks/test_bench_drape.py --benchmark-only``; figures in ``docs/performance.md``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from cpted_sim.errors import CptedWarning
from cpted_sim.geometry.drape import surface_below
from cpted_sim.geometry.query import closest_hit

OBJ = Path(__file__).resolve().parents[2] / "shared" / "data" / "city" / "delft_3dfier" / \
    "testarea.obj"
#: The BGT road layer's extent [m] (RD New), a 1 m grid: 314 x 201 = 63 114 points.
BBOX = (84760.0, 447434.0, 85073.0, 447635.0)
WALKABLE = ["Road", "Terrain"]
ROUNDS = 3


@pytest.fixture(scope="module")
def delft():
    if not OBJ.is_file():
        pytest.skip(f"{OBJ} not found: the Delft data lives in ../shared beside the checkout")
    from cpted_sim.io.mesh import load_scene

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        scene = load_scene(OBJ)
    x = np.arange(BBOX[0] + 0.5, BBOX[2], 1.0)
    y = np.arange(BBOX[1] + 0.5, BBOX[3], 1.0)
    xx, yy = np.meshgrid(x, y)
    return scene, np.column_stack([xx.ravel(), yy.ravel()])


def _bench(benchmark, fn, n):
    fn()        # warm-up: compilation, BVH / Embree scene build
    out = benchmark.pedantic(fn, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["points"] = n
    if benchmark.stats is not None:
        benchmark.extra_info["Mpoints_per_s"] = n / benchmark.stats.stats.min / 1e6
    return out


@pytest.mark.parametrize("engine", ["numba", "embree"])
def test_surface_below(benchmark, delft, engine):
    if engine == "embree":
        pytest.importorskip("embreex")
    scene, xy = delft
    benchmark.group = "drape Delft 63k points"
    z = _bench(benchmark, lambda: surface_below(scene, xy, walkable=WALKABLE, engine=engine),
               xy.shape[0])
    assert np.isfinite(z).sum() > 10_000


@pytest.mark.parametrize("engine", ["numba", "embree"])
def test_one_downward_ray(benchmark, delft, engine):
    if engine == "embree":
        pytest.importorskip("embreex")
    scene, xy = delft
    benchmark.group = "drape Delft 63k points"
    o = np.column_stack([xy, np.full(xy.shape[0], 100.0)])
    d = np.tile([0.0, 0.0, -1.0], (xy.shape[0], 1))
    t, _ = _bench(benchmark, lambda: closest_hit(scene, o, d, engine=engine), xy.shape[0])
    assert np.isfinite(t).sum() > 10_000
