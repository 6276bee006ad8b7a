"""Isovist measures against closed forms (Benedikt 1979) in rooms built from wall quads."""

from __future__ import annotations

import numpy as np
import pytest

from _sight_scenes import box, combine, l_room, pillar_room, square_room, wall_quads
from cpted_sim import isovist
from cpted_sim.errors import ParameterError
from cpted_sim.geometry.grid import CalculationGrid

REL = 0.005  # acceptance: within 0.5 % at 3,600 rays


def _iso(scene, xy, n_rays=3600, **kw):
    return isovist(scene, [[xy[0], xy[1], 0.0]], n_rays=n_rays, **kw)


@pytest.mark.parametrize("xy", [(5.0, 5.0), (2.0, 5.0), (1.0, 8.5), (9.0, 0.5)])
def test_convex_room_sees_the_whole_room(xy):
    r = _iso(square_room(), xy)
    assert r.area[0] == pytest.approx(100.0, rel=REL)
    assert r.perimeter[0] == pytest.approx(40.0, rel=REL)
    assert r.occlusivity[0] == 0.0
    # Drift: the room's centroid is (5, 5).
    assert r.drift[0] == pytest.approx(np.hypot(5 - xy[0], 5 - xy[1]), abs=0.05)
    assert r.open_fraction[0] == 0.0


def test_convex_room_radials_from_the_centre():
    r = _iso(square_room(), (5.0, 5.0))
    assert r.min_radial[0] == pytest.approx(5.0, rel=1e-9)
    assert r.max_radial[0] == pytest.approx(5.0 * np.sqrt(2), rel=1e-6)
    # Mean of 5 / cos(theta) over |theta| <= 45 deg: (4 / pi) 5 ln(1 + sqrt 2).
    assert r.mean_radial[0] == pytest.approx(20 / np.pi * np.log(1 + np.sqrt(2)), rel=1e-3)
    assert r.compactness[0] == pytest.approx(4 * np.pi * 100 / 40 ** 2, rel=REL)


def test_pillar_room_from_2_5():
    """10 x 10 m room, 1 x 1 m pillar at its centre, seen from (2, 5).

    The pillar's front corners (4.5, 4.5) and (4.5, 5.5) cast the shadow: their rays reach the
    far wall x = 10 at y = 5 -+ 0.5 * 8 / 2.5 = 3.4 and 6.6. Hidden: the trapezoid from
    x = 4.5 (width 1) to x = 10 (width 3.2), 5.5 * 4.2 / 2 = 11.55 m2 (the pillar inside it),
    so the area is 100 - 11.55 = 88.45 m2. Perimeter: the outer walls less the 3.2 m hidden,
    the pillar's front face (1 m) and two occluding radials of sqrt(5.5^2 + 1.1^2) m each.
    """
    r = _iso(pillar_room(), (2.0, 5.0))
    radial = np.hypot(5.5, 1.1)
    assert r.area[0] == pytest.approx(88.45, rel=REL)
    assert r.perimeter[0] == pytest.approx(40 - 3.2 + 1 + 2 * radial, rel=REL)
    assert r.occlusivity[0] == pytest.approx(2 * radial, rel=REL)
    assert r.min_radial[0] == pytest.approx(2.0, rel=1e-9)


def test_l_room_from_1_5_0_5():
    """[0, 2] x [0, 1] with [0, 1] x [1, 2] on top, seen from (1.5, 0.5).

    The ray through the re-entrant corner (1, 1) ends in the corner (0, 2): the visible part of
    the upper arm is the triangle (0, 1), (1, 1), (0, 2) of 0.5 m2, so 2.5 of 3 m2 are seen.
    Boundary: bottom 2 + right 1 + top of the lower arm 1 + left wall 2 + occluding radial
    from (1, 1) to (0, 2) of sqrt(2).
    """
    r = _iso(l_room(), (1.5, 0.5))
    assert r.area[0] == pytest.approx(2.5, rel=REL)
    assert r.perimeter[0] == pytest.approx(6 + np.sqrt(2), rel=REL)
    assert r.occlusivity[0] == pytest.approx(np.sqrt(2), rel=REL)


def test_error_shrinks_with_more_rays():
    errs = [abs(_iso(pillar_room(), (2.0, 5.0), n_rays=n).area[0] - 88.45) for n in (360, 3600)]
    assert errs[1] < errs[0]


def test_open_isovist_is_the_inscribed_polygon_of_the_max_radius():
    # A small box far away: almost every ray escapes.
    scene = combine(box(500, 500, 501, 501))
    n = 720
    r = _iso(scene, (0.0, 0.0), n_rays=n, max_distance=30.0)
    exact = 0.5 * n * 30.0 ** 2 * np.sin(2 * np.pi / n)
    assert r.area[0] == pytest.approx(exact, rel=1e-9)
    assert r.open_fraction[0] == 1.0
    assert r.occlusivity[0] == 0.0
    assert r.compactness[0] == pytest.approx(1.0, rel=1e-3)
    assert r.drift[0] == pytest.approx(0.0, abs=1e-9)


def test_fans_run_through_3d_geometry():
    """A tree crown above eye height and a low wall below it do not block the view; a wall
    reaching above eye height does."""
    room = wall_quads([[0, 0], [10, 0], [10, 10], [0, 10]])
    crown = box(4, 4, 6, 6, z0=2.5, z1=5.0)
    low = box(2, 1, 8, 1.2, z0=0.0, z1=1.0)
    high = box(2, 1, 8, 1.2, z0=0.0, z1=2.0)
    open_r = _iso(combine(room, crown, low), (5.0, 3.0))
    blocked = _iso(combine(room, crown, high), (5.0, 3.0))
    assert open_r.area[0] == pytest.approx(100.0, rel=REL)
    assert blocked.area[0] < 95.0
    # Arcade: a slab on pillars; at eye height one sees under it.
    slab = box(0, 0, 10, 10, z0=2.8, z1=3.0)
    arc = _iso(combine(room, slab), (5.0, 5.0))
    assert arc.area[0] == pytest.approx(100.0, rel=REL)


def test_height_and_grid_input():
    room = square_room()
    grid = CalculationGrid.from_points([[5.0, 5.0, 0.0], [2.0, 2.0, 0.0]])
    a = isovist(room, grid, n_rays=360)
    b = isovist(room, grid.points + [0, 0, 1.6], n_rays=360, height=0.0)
    np.testing.assert_allclose(a.area, b.area)
    np.testing.assert_allclose(a.eyes[:, 2], 1.6)
    # Above the 3 m walls nothing is hit.
    c = isovist(room, grid, n_rays=360, height=5.0, max_distance=20.0)
    assert np.all(c.open_fraction == 1.0)
    f = a.fields(grid)
    assert f["area"].unit == "m2" and f["area"].quantity == "isovist_area"
    np.testing.assert_allclose(f["drift"].values, a.drift)


@pytest.mark.parametrize("n_rays", [0, 7, 3.5, "720", True])
def test_bad_ray_count(n_rays):
    with pytest.raises(ParameterError, match="n_rays"):
        isovist(square_room(), [[5.0, 5.0, 0.0]], n_rays=n_rays)


def test_bad_arguments():
    with pytest.raises(ParameterError, match="scene"):
        isovist("room", [[5.0, 5.0, 0.0]])
    with pytest.raises(ParameterError, match="points"):
        isovist(square_room(), [[5.0, np.nan, 0.0]])
    with pytest.raises(ParameterError, match="max_distance"):
        isovist(square_room(), [[5.0, 5.0, 0.0]], max_distance=0)


def test_cross_section_trees_equal_the_full_tree(rng):
    """Eyes at a few heights use a tree of the scene's cross-section; at more than
    MAX_SLICES heights the full tree. Both give the same fans."""
    from cpted_sim.visibility.isovist import MAX_SLICES

    scene = combine(wall_quads([[0, 0], [30, 0], [30, 20], [0, 20]]), box(5, 5, 9, 8, 0, 2.2),
                    box(14, 3, 16, 15, 1.0, 4.0), box(20, 12, 26, 17, 0.0, 0.9))
    n = 3 * MAX_SLICES
    pts = np.column_stack([rng.uniform(1, 29, n), rng.uniform(1, 19, n),
                           np.repeat(np.linspace(0.2, 2.0, n // 3), 3)])
    together = isovist(scene, pts, n_rays=360, height=0.0)
    apart = [isovist(scene, pts[k:k + 1], n_rays=360, height=0.0) for k in range(n)]
    for name in ("area", "perimeter", "occlusivity", "min_radial", "max_radial", "drift"):
        np.testing.assert_allclose(getattr(together, name),
                                   [getattr(a, name)[0] for a in apart], rtol=1e-9, atol=1e-9)


def test_max_radius_is_the_deprecated_name_of_max_distance():
    room = square_room()
    with pytest.warns(DeprecationWarning, match="max_radius is deprecated.*use max_distance"):
        old = isovist(room, [[5.0, 5.0, 0.0]], n_rays=90, max_radius=3.0, quiet=True)
    new = isovist(room, [[5.0, 5.0, 0.0]], n_rays=90, max_distance=3.0, quiet=True)
    np.testing.assert_allclose(old.area, new.area, rtol=1e-12)
