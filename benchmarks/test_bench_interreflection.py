"""Interreflection benchmarks: the Radiance canyon side by side, and the district's streets.

1. Canyon (``tests/lighting/interreflection_canyon.py``: 60 x 12 x 12 m, ground 0.2, walls 0.4,
   two 5000 lm sources, 100 street points): total illuminance by ``cs.illuminance(...,
   bounces="converged")`` at default and at accurate settings (``SETTINGS``) against
   ``rtrace -ab 5 -ad 4096 -n 2`` (Radiance's other settings at
   their defaults), both compared with a converged reference (``rtrace -ab 8 -ad 16384 -aa 0
   -lw 1e-7``, computed once). ``extra_info`` holds each one's mean relative difference.
2. District (``scenario.synthetic.district(size)``, street points on a 0.55 m grid, about
   290 000 for 1 M triangles; 252 street lights ``street_light_optic(10000)``), 2 threads:
   direct + interreflection, with the error estimate in ``extra_info``.

Run: ``PYTHONPATH=src python -m pytest benchmarks/test_bench_interreflection.py
--benchmark-only -s`` (``CPTED_BENCH_SIZES=100k`` for a quick run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim.config import threads

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lighting"))

import interreflection_canyon as canyon  # noqa: E402

REFERENCE = ["-ab", "8", "-ad", "16384", "-aa", "0", "-lw", "1e-7", "-dt", "0", "-dc", "1",
             "-ds", "0"]
PEER = ["-ab", "5", "-ad", "4096"]


@pytest.fixture(scope="module")
def canyon_case():
    if not canyon.have_radiance():
        pytest.skip(canyon.WHY_NO_RADIANCE)
    scene = canyon.canyon_scene()
    lums = canyon.canyon_luminaires()
    grid = canyon.canyon_grid(2.0)
    up = np.tile([0.0, 0.0, 1.0], (grid.n_points, 1))
    ref, _ = canyon.rtrace_illuminance(scene, grid.points, up, REFERENCE, processes=2)
    return scene, lums, grid, up, ref


def _mean_rel(values, ref):
    lit = ref > 1.0
    return float(np.mean(np.abs(values[lit] - ref[lit]) / ref[lit]))


#: default settings, and settings that match rtrace -ab 5 -ad 4096's agreement with the reference
SETTINGS = {"default": {},
            "accurate": {"rays": 8192, "solver": {"rays_per_patch": 128, "patch_size": 0.25}}}


@pytest.mark.benchmark(group="interreflection canyon")
@pytest.mark.parametrize("setting", list(SETTINGS))
def test_canyon_cpted_sim(benchmark, canyon_case, setting):
    scene, lums, grid, _, ref = canyon_case
    kw = dict(quiet=True, bounces="converged", interreflection=SETTINGS[setting])
    with threads(2):
        cs.illuminance(scene, lums, grid, **kw)  # warm-up
        total = benchmark.pedantic(cs.illuminance, args=(scene, lums, grid), kwargs=kw,
                                   rounds=3, iterations=1)
    benchmark.extra_info["mean_rel_diff_to_reference"] = _mean_rel(total.values, ref)
    benchmark.extra_info["indirect_error_mean_lx"] = total.provenance["indirect_error_mean_lx"]
    benchmark.extra_info["points"] = grid.n_points


@pytest.mark.benchmark(group="interreflection canyon")
def test_canyon_rtrace_ab5(benchmark, canyon_case):
    scene, _, grid, up, ref = canyon_case
    out = {}

    def run():
        out["e"], out["s"] = canyon.rtrace_illuminance(scene, grid.points, up, PEER, processes=2)

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["mean_rel_diff_to_reference"] = _mean_rel(out["e"], ref)
    benchmark.extra_info["rtrace_seconds"] = out["s"]
    benchmark.extra_info["points"] = grid.n_points


@pytest.mark.benchmark(group="interreflection district")
def test_district_streets_with_interreflection(benchmark, size):
    from cpted_sim.photometry.builtin import street_light_optic
    from cpted_sim.scenario.synthetic import district

    d = district(size)
    grid = cs.CalculationGrid.from_points(d.street_points(0.55, 0.0), kind="horizontal")
    optic = street_light_optic(10000.0)
    lums = [cs.Luminaire(optic, p) for p in d.street_lights]
    with threads(2):
        total = benchmark.pedantic(cs.illuminance, args=(d.scene, lums, grid),
                                   kwargs=dict(quiet=True, bounces="converged"), rounds=1,
                                   iterations=1)
    p = total.provenance
    info = p["interreflection"]
    benchmark.extra_info.update(
        triangles=d.scene.n_faces, points=grid.n_points, luminaires=len(lums),
        patches=info["n_patches"], bounces_done=p["bounces_done"],
        direct_seconds=p["elapsed_s"], patch_direct_seconds=info["direct_seconds"],
        patch_rays_seconds=info["patch_rays_seconds"], solve_seconds=info["seconds"],
        gather_seconds=info["gather_seconds"], mean_total_lx=float(total.values.mean()),
        indirect_mean_lx=p["indirect_mean_lx"], indirect_error_mean_lx=p["indirect_error_mean_lx"],
        indirect_error_max_lx=p["indirect_error_max_lx"])
