"""Lighting speed: cs.illuminance against Radiance rtrace -ab 0, side by side in one run.

The job: horizontal illuminance at every street point of the synthetic district (0.5 m grid,
5 cm above the ground) from its street lights (a parametric asymmetric road optic, 8000 lm,
maintenance factor 0.8, the road side turned towards the carriageway), with shadows.

- ours: ``cs.illuminance(..., threads=2)`` on all the points; ``extra_info`` holds the points,
  the point-luminaire pairs in range (pairs whose luminaire could give at least the 0.001 lx
  cut-off there) and the shadow rays, and their rates.
- Radiance: ``rtrace -h -I -ab 0 -n 2`` with its default source settings, on a seeded random
  subset of the same points (``CPTED_BENCH_RADIANCE_POINTS``, default 4000; Radiance manages
  a few hundred to a few thousand points per second here, all points would take many minutes),
  after converting the scene (``obj2mesh``) and luminaires (``ies2rad``) itself. The
  conversion is not timed. The two answers are compared on that subset too.

Run: ``PYTHONPATH=src python -m pytest benchmarks/test_bench_lighting.py --benchmark-only``, or
``PYTHONPATH=src python benchmarks/test_bench_lighting.py`` for the table of
``docs/performance.md``. ``CPTED_BENCH_LIGHTING_TRIANGLES`` sets the district size (default
1M).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import radiance_helpers as rh  # noqa: E402

import cpted_sim as cs  # noqa: E402
from cpted_sim.photometry.builtin import street_light_optic  # noqa: E402

THREADS = 2
ROUNDS = 3


def _triangles() -> int:
    t = os.environ.get("CPTED_BENCH_LIGHTING_TRIANGLES", "1M").strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t.rstrip("km")) * mult)


def _radiance_points() -> int:
    return int(os.environ.get("CPTED_BENCH_RADIANCE_POINTS", "4000"))


def _street_azimuths(polylines, lights_xy) -> np.ndarray:
    """Azimuth [deg] turning each light's C0 along its nearest street and C90 towards it."""
    a = np.vstack([pl[:-1, :2] for pl in polylines])
    b = np.vstack([pl[1:, :2] for pl in polylines])
    ab = b - a
    out = np.empty(len(lights_xy))
    for k, p in enumerate(lights_xy):
        t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
        j = int(np.argmin(np.linalg.norm(a + t[:, None] * ab - p, axis=1)))
        az = np.degrees(np.arctan2(ab[j, 1], ab[j, 0]))
        side = ab[j, 0] * (p[1] - a[j, 1]) - ab[j, 1] * (p[0] - a[j, 0])
        out[k] = az if side <= 0 else az + 180.0   # C90 (street side) towards the centreline
    return out


def _fallback_district(blocks: int = 6, block: float = 60.0, street: float = 12.0):
    """A small grid of box buildings with streets, for when scenario.synthetic is absent."""
    from types import SimpleNamespace

    pitch = block + street
    size = blocks * pitch + street
    verts = [np.array([[0, 0, 0], [size, 0, 0], [size, size, 0], [0, size, 0]], float)]
    faces = [np.array([[0, 1, 2], [0, 2, 3]])]
    rng = np.random.default_rng(4)
    n = 4
    bf = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                   [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
    for i in range(blocks):
        for j in range(blocks):
            x0, y0 = street + i * pitch, street + j * pitch
            h = rng.uniform(6, 20)
            verts.append(np.array([[x, y, z] for z in (0, h) for y in (y0, y0 + block)
                                   for x in (x0, x0 + block)], float))
            faces.append(bf + n)
            n += 8
    scene = cs.Scene.from_arrays(np.vstack(verts), np.vstack(faces), name="fallback district")
    centres = street / 2 + pitch * np.arange(blocks + 1)
    along = np.arange(12.5, size, 25.0)
    lights = np.vstack([np.column_stack([along, np.full(along.size, c - 3), np.full(along.size, 6)])
                        for c in centres])
    polylines = tuple(np.array([[0, c, 0], [size, c, 0]]) for c in centres)
    xs = np.arange(0.25, size, 0.5)
    gx, gy = np.meshgrid(xs, xs)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    on = (np.mod(xy[:, 0], pitch) < street) | (np.mod(xy[:, 1], pitch) < street)
    pts = np.column_stack([xy[on], np.full(int(on.sum()), 0.05)])
    return SimpleNamespace(scene=scene, street_lights=lights, street_polylines=polylines,
                           street_points=lambda spacing, height: pts)


@lru_cache(maxsize=1)
def street_job(n_triangles: int):
    """(scene, luminaires, street points [world]) of the benchmark."""
    try:
        from cpted_sim.scenario.synthetic import district

        d = district(n_triangles, seed=4)
    except ImportError:  # until the synthetic district lands: a small stand-in
        d = _fallback_district()
    pts = d.street_points(0.5, 0.05)
    az = _street_azimuths(d.street_polylines, d.street_lights[:, :2])
    optic = street_light_optic(8000.0)
    lums = [cs.Luminaire(optic, p, azimuth=a, maintenance_factor=0.8)
            for p, a in zip(d.street_lights, az)]
    return d.scene, lums, pts


def _subset(n_points: int, k: int) -> np.ndarray:
    return np.sort(np.random.default_rng(20261129).choice(n_points, min(k, n_points),
                                                          replace=False))


@pytest.fixture(scope="module")
def job():
    return street_job(_triangles())


@pytest.fixture(scope="module")
def radiance_octree(job):
    if not rh.HAVE_RADIANCE:
        pytest.skip(rh.WHY_NOT)
    scene, lums, _ = job
    tmp = tempfile.TemporaryDirectory(prefix="cpted_bench_rad_")
    octree = rh.build_octree(scene, lums, Path(tmp.name))
    yield octree
    tmp.cleanup()


RESULTS: dict[str, float] = {}


def test_illuminance_cpted_sim(benchmark, job):
    scene, lums, pts = job
    grid = cs.CalculationGrid.from_points(pts)
    cs.illuminance(scene, lums, cs.CalculationGrid.from_points(pts[:1000]), quiet=True)
    field = benchmark.pedantic(cs.illuminance, args=(scene, lums, grid),
                               kwargs={"threads": THREADS, "quiet": True},
                               rounds=ROUNDS, iterations=1)
    t = benchmark.stats.stats.min
    p = field.provenance
    benchmark.group = "lighting: street illuminance"
    benchmark.extra_info.update(points=len(pts), luminaires=len(lums), triangles=scene.n_faces,
                                pairs=p["pairs"], shadow_rays=p["shadow_rays"],
                                points_per_s=len(pts) / t, Mpairs_per_s=p["pairs"] / t / 1e6,
                                Mrays_per_s=p["shadow_rays"] / t / 1e6)
    RESULTS["ours_points_per_s"] = len(pts) / t


def test_illuminance_radiance_rtrace(benchmark, job, radiance_octree):
    scene, lums, pts = job
    sel = _subset(len(pts), _radiance_points())
    local = scene.to_local(pts[sel])
    normals = np.tile([0.0, 0.0, 1.0], (len(sel), 1))
    theirs = benchmark.pedantic(rh.rtrace_illuminance, args=(radiance_octree, local, normals),
                                kwargs={"options": ["-ab", "0"], "processes": THREADS},
                                rounds=1, iterations=1)
    t = benchmark.stats.stats.min
    ours = cs.illuminance(scene, lums, cs.CalculationGrid.from_points(pts[sel]), quiet=True)
    err = rh.relative_errors(ours.values, theirs, floor=1.0)
    benchmark.group = "lighting: street illuminance"
    benchmark.extra_info.update(points=len(sel), points_per_s=len(sel) / t,
                                mean_rel_error=float(err.mean()),
                                p95_rel_error=float(np.percentile(err, 95)))
    RESULTS["radiance_points_per_s"] = len(sel) / t
    if "ours_points_per_s" in RESULTS:
        benchmark.extra_info["speedup_ours_vs_radiance"] = (RESULTS["ours_points_per_s"]
                                                            / RESULTS["radiance_points_per_s"])
    # the comparison is only meaningful when both compute the same thing
    assert err.mean() <= 0.01 and np.percentile(err, 95) <= 0.03


def main() -> None:
    """Print the Lighting table of docs/performance.md (best of ROUNDS after a warm-up)."""
    import numba

    n_tri = _triangles()
    t0 = time.perf_counter()
    scene, lums, pts = street_job(n_tri)
    print(f"district {scene.n_faces} triangles, {len(lums)} street lights, {len(pts)} street "
          f"points, built in {time.perf_counter() - t0:.1f} s; numba threads available "
          f"{numba.config.NUMBA_NUM_THREADS}, cpus {os.cpu_count()}", flush=True)
    grid = cs.CalculationGrid.from_points(pts)
    cs.illuminance(scene, lums, cs.CalculationGrid.from_points(pts[:1000]), quiet=True)
    for threads in (1, THREADS):
        best, field = np.inf, None
        for _ in range(ROUNDS):
            t = time.perf_counter()
            field = cs.illuminance(scene, lums, grid, threads=threads, quiet=True)
            best = min(best, time.perf_counter() - t)
        p = field.provenance
        print(f"cpted_sim {threads} thread(s): {best:.3f} s, {len(pts) / best:,.0f} points/s, "
              f"{p['pairs']} pairs in range ({p['pairs'] / best / 1e6:.2f} M/s), "
              f"{p['shadow_rays']} shadow rays ({p['shadow_rays'] / best / 1e6:.2f} M/s)",
              flush=True)
    ours_rate = len(pts) / best
    if not rh.HAVE_RADIANCE:
        print(f"Radiance: skipped ({rh.WHY_NOT})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        octree = rh.build_octree(scene, lums, Path(tmp))
        print(f"Radiance conversion (obj2mesh, ies2rad, oconv): {time.perf_counter() - t:.1f} s",
              flush=True)
        sel = _subset(len(pts), _radiance_points())
        normals = np.tile([0.0, 0.0, 1.0], (len(sel), 1))
        t = time.perf_counter()
        theirs = rh.rtrace_illuminance(octree, scene.to_local(pts[sel]), normals,
                                       options=["-ab", "0"], processes=THREADS)
        dt = time.perf_counter() - t
    ours = cs.illuminance(scene, lums, cs.CalculationGrid.from_points(pts[sel]), quiet=True)
    err = rh.relative_errors(ours.values, theirs, floor=1.0)
    print(f"rtrace -ab 0 -n {THREADS}: {len(sel)} points in {dt:.2f} s, {len(sel) / dt:,.0f} "
          f"points/s; cpted_sim is {ours_rate / (len(sel) / dt):,.0f} x faster; relative "
          f"difference on points > 1 lx: mean {err.mean():.1e}, p95 "
          f"{np.percentile(err, 95):.1e}, max {err.max():.1e}")


if __name__ == "__main__":
    main()
