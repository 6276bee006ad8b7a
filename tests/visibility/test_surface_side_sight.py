"""Points lying exactly on a surface are seen only from their own side of it."""

from __future__ import annotations

import numpy as np

from cpted_sim import ObserverSet, Scene
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.visibility import surveillance_fields


def _scene():
    # ground z = 0 over 40 x 40 m and a zero-thickness wall x = 0 (y -10..10, z 0..4)
    v = np.array([[-20, -20, 0], [20, -20, 0], [20, 20, 0], [-20, 20, 0],
                  [0, -10, 0], [0, 10, 0], [0, 10, 4], [0, -10, 4]], float)
    f = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    return Scene.from_arrays(v, f, np.array(["ground"] * 2 + ["wall"] * 2))


def test_ground_points_are_not_seen_from_below_the_ground():
    scene = _scene()
    grid = CalculationGrid.regular(-15, 12, 15, 18, 3.0, height=0.0)   # clear of the wall
    obs = ObserverSet.from_points([[0.0, 15.0, 2.0], [0.0, 15.0, -2.0]])
    count = surveillance_fields(scene, obs, grid, target_height=0.0, quiet=True).count.values
    np.testing.assert_array_equal(count, 1.0)    # only the observer above sees them


def test_points_on_a_wall_are_not_seen_through_it():
    scene = _scene()
    pts = np.array([[0.0, y, 2.0] for y in (-4.0, 0.0, 4.0)])
    grid = CalculationGrid.from_points(pts, (-1.0, 0.0, 0.0), kind="vertical")
    behind = ObserverSet.from_points([[6.0, 0.0, 1.6]])
    front = ObserverSet.from_points([[-6.0, 0.0, 1.6]])
    c_behind = surveillance_fields(scene, behind, grid, target_height=0.0, quiet=True).count
    c_front = surveillance_fields(scene, front, grid, target_height=0.0, quiet=True).count
    np.testing.assert_array_equal(c_behind.values, 0.0)
    np.testing.assert_array_equal(c_front.values, 1.0)
