"""Points lying exactly on a surface take their side from the grid, never lit through it."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim import CalculationGrid, Luminaire, illuminance
from cpted_sim.photometry.builtin import isotropic

from lighting_scenes import assemble, ground_scene, quad, wall_x

KINDS = ("horizontal", "plane", "vertical", "semicylindrical", "cylindrical", "hemispherical")
I_CD = 1000.0


def _lum(x, y, z):
    return Luminaire(isotropic(intensity_cd=I_CD), (x, y, z), maintenance_factor=1.0)


def _closed_form(kind, pts, light, normal):
    """Unobstructed illuminance [lx] of an isotropic source (docs/architecture.md §4)."""
    v = np.asarray(light, float) - pts
    d2 = np.sum(v * v, axis=1)
    u = v / np.sqrt(d2)[:, None]
    s = np.hypot(u[:, 0], u[:, 1])
    if kind in ("horizontal", "plane", "vertical"):
        g = np.maximum(0.0, u @ np.asarray(normal, float))
    elif kind == "semicylindrical":
        f = np.asarray(normal, float)
        cos_a = (u[:, :2] @ f[:2]) / s
        g = (1.0 + cos_a) * s / np.pi
    elif kind == "cylindrical":
        g = s / np.pi
    else:
        g = 0.25 * (1.0 + u[:, 2])
    return I_CD * g / d2


def _wall_grid():
    """Points on the zero-thickness wall x = 0, on its -x side (facing -x)."""
    pts = np.array([[0.0, y, z] for y in (-1.0, 0.0, 1.0) for z in (1.0, 2.0)])
    return CalculationGrid.from_points(pts, (-1.0, 0.0, 0.0), kind="vertical")


@pytest.mark.parametrize("kind", KINDS)
def test_zero_thickness_wall_with_a_light_behind_it_gives_zero(kind):
    scene = assemble({"wall": wall_x(0.0, -10.0, 10.0, 0.0, 4.0)})
    grid = _wall_grid()
    facing = (0.0, 1.0, 0.0) if kind == "semicylindrical" else None
    behind = illuminance(scene, _lum(3.0, 0.5, 3.5), grid, kind=kind, facing=facing).values
    assert np.all(behind == 0.0), behind   # physically exact: no path reaches the points
    # the same light on the points' own side gives the unobstructed value
    front = illuminance(scene, _lum(-3.0, 0.5, 3.5), grid, kind=kind, facing=facing).values
    normal = {"semicylindrical": (0.0, 1.0, 0.0), "horizontal": (0.0, 0.0, 1.0)}.get(
        kind, (-1.0, 0.0, 0.0))
    expected = _closed_form(kind, grid.points, (-3.0, 0.5, 3.5), normal)
    assert np.all(expected > 0.0)
    # measured: 4.4e-16 relative at most (only the shadow ray starts off the wall; distances
    # and angles keep the point itself)
    np.testing.assert_allclose(front, expected, rtol=1.3e-15)


@pytest.mark.parametrize("kind", ("horizontal", "cylindrical", "hemispherical"))
def test_plan_grid_at_ground_height_lit_from_above_equals_closed_form(kind):
    scene = ground_scene(40.0)
    grid = CalculationGrid.regular(-10, -10, 10, 10, 2.0, height=0.0)
    light = (1.0, -2.0, 6.0)
    e = illuminance(scene, _lum(*light), grid, kind=kind).values
    expected = _closed_form(kind, grid.points, light, (0.0, 0.0, 1.0))
    # measured: 4.4e-16 relative at most (the shadow rays start 8e-5 m up; the point stays)
    np.testing.assert_allclose(e, expected, rtol=1.3e-15)


@pytest.mark.parametrize("kind", KINDS)
def test_plan_grid_at_ground_height_lit_from_below_is_dark(kind):
    scene = ground_scene(40.0)
    grid = CalculationGrid.regular(-10, -10, 10, 10, 2.0, height=0.0)
    facing = (1.0, 0.0, 0.0) if kind in ("vertical", "semicylindrical") else None
    normals_kind = "plane" if kind == "plane" else kind
    g = grid.with_normals((0.0, 0.0, 1.0)) if kind == "plane" else grid
    e = illuminance(scene, _lum(1.0, -2.0, -6.0), g, kind=normals_kind, facing=facing).values
    assert np.all(e == 0.0), e.max()


def test_path_grid_on_the_ground_takes_the_upper_side():
    scene = ground_scene(40.0)
    grid = CalculationGrid.along_path([(-5.0, 0.0), (5.0, 0.0)], 1.0)
    assert np.allclose(grid.side_normals(), [0.0, 0.0, 1.0])
    e = illuminance(scene, _lum(0.0, 0.0, -4.0), grid, kind="hemispherical").values
    assert np.all(e == 0.0)


def test_interreflection_gather_on_a_wall_never_sees_through_it():
    # lit ground only on the +x side of a zero-thickness wall; points on its -x side
    scene = assemble({"ground": quad(0.0, -10.0, 10.0, 10.0),
                      "wall": wall_x(0.0, -10.0, 10.0, 0.0, 4.0)})
    grid = _wall_grid()
    e = illuminance(scene, _lum(3.0, 0.5, 2.0), grid, kind="hemispherical", bounces=1,
                    interreflection=dict(rays=256, seed=3)).values
    assert np.all(e == 0.0), e
    # control: the +x side of the same points sees the lit ground
    lit = grid.with_normals((1.0, 0.0, 0.0))
    e2 = illuminance(scene, _lum(3.0, 0.5, 2.0), lit, kind="hemispherical", bounces=1,
                     interreflection=dict(rays=256, seed=3)).values
    assert np.all(e2 > 1.0), e2
