"""The walkable surface below a point and points inside closed geometry (geometry/drape.py),
checked against a terraced street whose heights are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest
from _scene_parts import box, scene_from_parts

from cpted_sim.errors import CptedWarning, GridError, ParameterError
from cpted_sim.geometry.drape import drape_grid, inside_volumes, surface_below, walkable_faces
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.scene import Scene


def _quad(x0, y0, x1, y1, z0, z1=None):
    """A plane quad rising linearly in x from z0 to z1."""
    z1 = z0 if z1 is None else z1
    v = np.array([[x0, y0, z0], [x1, y0, z1], [x1, y1, z1], [x0, y1, z0]], dtype=np.float64)
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def _street() -> Scene:
    """Road at 0.1 m (x 0..20), pavement ramp 0.3 -> 0.5 m (x 20..30), a house on the
    pavement (x 24..28, y 4..8, 6 m), a bridge deck at 4 m over the road (y 10..12), a
    steep bank (x 30..31, 60 deg)."""
    parts = [("road", *_quad(0, 0, 20, 20, 0.1)), ("pavement", *_quad(20, 0, 30, 20, 0.3, 0.5)),
             ("house", *box((24, 4, 0.3), (28, 8, 6.0))), ("bridge", *_quad(0, 10, 20, 12, 4.0)),
             ("bank", *_quad(30, 0, 31, 20, 0.5, 0.5 + np.tan(np.radians(60))))]
    return scene_from_parts(parts, name="street")


@pytest.fixture(scope="module")
def street():
    return _street()


def _pavement_z(x):
    return 0.3 + 0.2 * (np.asarray(x) - 20.0) / 10.0


def test_surface_is_the_lowest_walkable_face_not_the_deck_above(street):
    xy = np.array([[5.0, 11.0], [5.0, 2.0], [25.0, 15.0], [22.5, 1.0]])
    z = surface_below(street, xy)
    np.testing.assert_allclose(z, [0.1, 0.1, _pavement_z(25.0), _pavement_z(22.5)], atol=1e-9)


def test_deck_is_the_highest_walkable_face(street):
    z = surface_below(street, np.array([[5.0, 11.0], [5.0, 2.0]]), reference="deck",
                      walkable=["road", "bridge", "pavement"])
    np.testing.assert_allclose(z, [4.0, 0.1], atol=1e-9)


def test_walkable_groups_and_slope_decide_what_counts(street):
    # in the house's plan: its floor (0.3 m) is the lowest face, its roof the highest
    at = np.array([[26.0, 6.0]])
    assert surface_below(street, at)[0] == pytest.approx(0.3, abs=1e-9)
    assert surface_below(street, at, reference="deck")[0] == pytest.approx(6.0, abs=1e-9)
    z_walk = surface_below(street, at, walkable=["pavement"], reference="deck")
    assert z_walk[0] == pytest.approx(_pavement_z(26.0), abs=1e-9)
    assert surface_below(street, at, walkable=["road"], default=-99.0)[0] == -99.0
    # the 60 deg bank is not walkable at 30 deg, it is at 70 deg
    assert np.isnan(surface_below(street, np.array([[30.5, 5.0]]))[0])
    assert surface_below(street, np.array([[30.5, 5.0]]), max_slope_deg=70)[0] == pytest.approx(
        0.5 + 0.5 * np.tan(np.radians(60)), abs=1e-9)
    ok = walkable_faces(street, ["road"])
    assert ok.sum() == 2


def test_points_off_the_scene_get_the_default(street):
    z = surface_below(street, np.array([[-5.0, 5.0], [5.0, 50.0]]), default=-1.0)
    np.testing.assert_array_equal(z, [-1.0, -1.0])


def test_a_misspelt_walkable_group_is_an_error_with_a_suggestion(street):
    with pytest.raises(ParameterError, match=r"walkable: group 'pavment' .*did you mean "
                                             r"'pavement'"):
        surface_below(street, np.zeros((1, 2)), walkable=["pavment"])


def test_surface_matches_an_independent_downward_ray_on_random_points(street):
    rng = np.random.default_rng(7)
    xy = rng.uniform([0.0, 0.0], [30.0, 20.0], (500, 2))
    z = surface_below(street, xy, walkable=["road", "pavement"])
    expected = np.where(xy[:, 0] < 20.0, 0.1, _pavement_z(xy[:, 0]))
    np.testing.assert_allclose(z, expected, atol=1e-9)   # measured 0 (exact planes)


def test_inside_volumes_by_parity_vote(street):
    pts = np.array([[26.0, 6.0, 1.0],    # in the house
                    [26.0, 6.0, 7.0],    # above it
                    [5.0, 11.0, 2.0],    # under the bridge deck (an open sheet)
                    [5.0, 2.0, 0.0],     # under the road (an open sheet)
                    [24.0, 6.0, 1.0],    # on the house's wall: a boundary counts as outside
                    [15.0, 15.0, 1.6]])  # in the street
    np.testing.assert_array_equal(inside_volumes(street, pts),
                                  [True, False, False, False, False, False])
    assert not inside_volumes(street, pts[:1], groups=["road"])[0]


def test_drape_grid_follows_the_surface_and_drops_points_with_none(street):
    grid = CalculationGrid.regular(18.0, 1.0, 32.0, 3.0, 1.0, name="strip")
    with pytest.warns(CptedWarning, match=r"grid 'strip': \d+ of \d+ points have no walkable"):
        g = drape_grid(grid, street, 0.0, walkable=["road", "pavement"])
    x = g.points[:, 0]
    np.testing.assert_allclose(g.points[:, 2], np.where(x < 20, 0.1, _pavement_z(x)), atol=1e-9)
    assert g.n_points == np.count_nonzero(grid.points[:, 0] <= 30.0)
    assert g.raster_index.shape == (g.n_points,)
    lifted = drape_grid(grid.at_height(3.0), street, 1.5, reference="absolute")
    np.testing.assert_allclose(lifted.points[:, 2], 1.5)
    with pytest.raises(GridError, match="no walkable surface"):
        drape_grid(grid, street, walkable=["road"], missing="raise")


def _heightfield(rng, n=8, cell=2.0):
    """A random triangulated heightfield [m] and its exact height by barycentric interpolation."""
    h = rng.uniform(-0.5, 1.5, (n + 1, n + 1))
    gx, gy = np.meshgrid(np.arange(n + 1) * cell, np.arange(n + 1) * cell, indexing="ij")
    v = np.column_stack([gx.ravel(), gy.ravel(), h.ravel()])
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    f = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])

    def exact(xy):
        i = np.minimum((xy[:, 0] // cell).astype(int), n - 1)
        j = np.minimum((xy[:, 1] // cell).astype(int), n - 1)
        u, w = xy[:, 0] / cell - i, xy[:, 1] / cell - j
        h00, h10, h11, h01 = h[i, j], h[i + 1, j], h[i + 1, j + 1], h[i, j + 1]
        lower = u >= w      # triangle (a, b, c) below the diagonal
        return np.where(lower, h00 + u * (h10 - h00) + w * (h11 - h10),
                        h00 + w * (h01 - h00) + u * (h11 - h01))

    return Scene.from_arrays(v, f, np.full(f.shape[0], "ground"), origin=(0.0, 0.0, 0.0)), exact


def test_surface_below_matches_barycentric_heights_on_a_random_heightfield():
    rng = np.random.default_rng(3)
    scene, exact = _heightfield(rng)
    xy = rng.uniform(0.01, 15.99, (2000, 2))
    z = surface_below(scene, xy, max_slope_deg=89.0)
    np.testing.assert_allclose(z, exact(xy), atol=1e-6)     # measured max 7e-16 m


def test_inside_volumes_matches_a_box_test_among_random_boxes_on_terrain():
    rng = np.random.default_rng(11)
    ground, _ = _heightfield(rng, n=6, cell=5.0)            # an open sheet below everything
    vs, fs, gs, boxes = [ground.to_world(ground.vertices)], [ground.faces], \
        ["ground"] * ground.n_faces, []
    off = vs[0].shape[0]
    for k in range(6):                                      # disjoint boxes on a 3 x 2 layout
        x0, y0 = 2.0 + 9.0 * (k % 3), 3.0 + 12.0 * (k // 3)
        lo = np.array([x0, y0, -1.0]) + rng.uniform(0, 1, 3) * [1, 1, 0]
        hi = lo + rng.uniform([3, 3, 4], [6, 8, 10])
        v, f = box(lo, hi)
        vs.append(v)
        fs.append(f + off)
        gs += [f"b{k}"] * 12
        off += 8
        boxes.append((lo, hi))
    scene = Scene.from_arrays(np.vstack(vs), np.vstack(fs), np.array(gs), origin=(0, 0, 0))
    # above the terrain (< 1.5 m) plus what a tilted horizontal ray rises across the scene
    pts = rng.uniform([0, 0, 2.0], [30, 30, 12], (3000, 3))
    expected = np.zeros(pts.shape[0], dtype=bool)
    margin = np.zeros(pts.shape[0], dtype=bool)            # too near a face to call
    for lo, hi in boxes:
        expected |= np.all((pts > lo) & (pts < hi), axis=1)
        margin |= np.all((pts > lo - 1e-3) & (pts < hi + 1e-3), axis=1) & \
            ~np.all((pts > lo + 1e-3) & (pts < hi - 1e-3), axis=1)
    got = inside_volumes(scene, pts)
    assert expected.sum() > 50                               # measured 99 inside, 0 wrong
    np.testing.assert_array_equal(got[~margin], expected[~margin])
