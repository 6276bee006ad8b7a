"""Agreement with Radiance (rtrace -I -ab 0 through pyradiance) on scenes built here.

Issue #4 asked for a mean relative error <= 1 % and a 95th percentile <= 3 % on points where
Radiance gives more than 1 lx; the two agree far better than that (about 1e-5), so each
comparison is held to within 3 x of what it measured (the figures are in the calls below, the
test prints them). Radiance's sources are 1 mm spheres sampled at their centre (-ds 0), which
makes them the same point sources as ours. A distribution read from a manufacturer's file
reaches ``ies2rad`` as that file (see ``radiance_helpers.ies_source``), never through our reader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim import CalculationGrid, Luminaire, illuminance
from cpted_sim.photometry.builtin import canary, isotropic, street_light_optic

import radiance_helpers as rh
from lighting_scenes import assemble, box, box_scene, ground_scene, quad

pytestmark = pytest.mark.skipif(not rh.HAVE_RADIANCE, reason=rh.WHY_NOT)


def _compare(scene, lums, grid, tmp_path, tol, kind="horizontal", facing=None):
    """Compare with rtrace; ``tol`` = (mean, p95) relative above 1 lx, max absolute [lx] below."""
    ours = illuminance(scene, lums, grid, kind=kind, facing=facing, cutoff=0.0, quiet=True)
    octree = rh.build_octree(scene, lums, tmp_path)
    if kind == "horizontal":
        normals = np.tile([0.0, 0.0, 1.0], (grid.n_points, 1))
    else:
        normals = np.tile(np.asarray(facing, float), (grid.n_points, 1))
    theirs = rh.rtrace_illuminance(octree, scene.to_local(grid.points), normals)
    err = rh.relative_errors(ours.values, theirs, floor=1.0)
    assert err.size >= 0.3 * grid.n_points, "too few points above 1 lx for a meaningful check"
    low = theirs <= 1.0
    print(f"{err.size} points > 1 lx: mean {err.mean():.2e}, p95 {np.percentile(err, 95):.2e}, "
          f"max {err.max():.2e}; {low.sum()} points <= 1 lx: max abs "
          f"{np.abs(ours.values[low] - theirs[low]).max() if low.any() else 0:.2e}")
    mean_tol, p95_tol, low_tol = tol
    assert err.mean() <= mean_tol and np.percentile(err, 95) <= p95_tol, (err.mean(), err.max())
    # below 1 lx the two still agree in absolute terms (shadows land in the same places)
    assert np.all(np.abs(ours.values[low] - theirs[low]) <= low_tol)
    return ours.values, theirs


def test_point_source_over_a_plane(tmp_path):
    scene = ground_scene(60.0)
    lums = [Luminaire(isotropic(2000.0), [1.0, -2.0, 6.0], maintenance_factor=1.0),
            Luminaire(canary(1500.0), [-4.0, 3.0, 5.0], azimuth=60.0, tilt=15.0,
                      maintenance_factor=1.0)]
    grid = CalculationGrid.regular(-15, -15, 15, 15, 1.0, height=0.01)
    # measured: mean 9.3e-6, p95 2.3e-5 (no point below 1 lx)
    _compare(scene, lums, grid, tmp_path, (2.5e-5, 6e-5, 1e-9))


def test_box_casting_a_shadow(tmp_path):
    scene = box_scene()
    lums = [Luminaire(isotropic(3000.0), [0.0, 0.5, 6.0], maintenance_factor=1.0)]
    grid = CalculationGrid.regular(-4, -10, 20, 10, 0.5, height=0.01)
    # measured: mean 9.3e-6, p95 2.8e-5; below 1 lx (304 points, all in shadow) both exactly 0
    ours, theirs = _compare(scene, lums, grid, tmp_path, (2.5e-5, 7e-5, 1e-9))
    behind = (grid.points[:, 0] > 7) & (grid.points[:, 0] < 11) & (np.abs(grid.points[:, 1]) < 1)
    assert np.all(ours[behind] == 0.0) and np.all(theirs[behind] < 1e-6)


def canyon(length=80.0, width=12.0, height=15.0):
    """A street 12 m wide between two rows of buildings with gaps, along +X."""
    blocks = []
    for side in (-1, 1):
        y0 = side * width / 2
        for x0 in np.arange(0.0, length, 20.0):
            y_a, y_b = sorted((y0, y0 + side * 10.0))
            blocks.append(box(x0, y_a, 0.0, x0 + 16.0, y_b, height - 3.0 * (x0 % 40 > 0)))
    return assemble({"ground": quad(-10, -30, length + 10, 30), "buildings": blocks},
                    name="street canyon")


def _canyon_lights(dist, spacing=20.0, length=80.0, width=12.0):
    # poles on the south edge, arms over the road, the optic's street side (C90) turned
    # towards +Y, tilted 10 degrees
    return [Luminaire(dist, [x, -width / 2 + 1.5, 8.0], azimuth=0.0, tilt=10.0,
                      maintenance_factor=0.8) for x in np.arange(10.0, length, spacing)]


def test_street_canyon_with_an_asymmetric_optic(tmp_path):
    scene = canyon()
    lums = _canyon_lights(street_light_optic(12000.0))
    grid = CalculationGrid.regular(0, -6, 80, 6, 0.5, height=0.01)
    # measured: mean 1.6e-5, p95 2.3e-5 (no point below 1 lx)
    _compare(scene, lums, grid, tmp_path, (4e-5, 6e-5, 1e-9))
    # vertical illuminance on faces looking along the street, at 1.5 m
    (tmp_path / "vertical").mkdir()
    # measured: mean 1.8e-5, p95 6.2e-5; below 1 lx (499 points) at most 4.0e-4 lx apart
    _compare(scene, lums, grid.at_height(1.49), tmp_path / "vertical", (5e-5, 1.5e-4, 1e-3),
             kind="vertical",
             facing=(1.0, 0.0, 0.0))


def test_street_canyon_with_a_real_street_light_file(tmp_path, shared_data):
    dist = cs.load_photometry(shared_data / "photometry" / "ies" / "italo_1_5p5_s05_3140_3m.ies")
    scene = canyon()
    lums = _canyon_lights(dist)
    grid = CalculationGrid.regular(0, -6, 80, 6, 0.5, height=0.01)
    # measured: mean 9.0e-6, p95 2.0e-5 (no point below 1 lx)
    _compare(scene, lums, grid, tmp_path, (2.5e-5, 5e-5, 1e-9))
    # Radiance read the manufacturer's file itself, not an export of what our reader made of it
    read = [Path(p).resolve() for p in (tmp_path / "sources.txt").read_text().split()]
    assert read == [Path(dist.source).resolve()]
    # ... and a rescaled copy of it (same source, other candela) goes through our writer
    assert rh.ies_source(dist.scaled_to_flux(1000.0), "scaled", tmp_path) == tmp_path / "scaled.ies"
