"""Walking a route: prospect, concealment spots and entrapment."""

from __future__ import annotations

import numpy as np
import pytest

from _sight_scenes import box, combine, wall_quads
from cpted_sim import concealment, entrapment, route_prospect
from cpted_sim.errors import ParameterError
from cpted_sim.geometry.grid import CalculationGrid


def _corridor(length=40.0, half_width=2.0, closed_end=True):
    north = wall_quads([[0, half_width], [length, half_width]], 0, 3.0, closed=False)
    south = wall_quads([[0, -half_width], [length, -half_width]], 0, 3.0, closed=False)
    parts = [north, south]
    if closed_end:
        parts.append(wall_quads([[length, -half_width], [length, half_width]], 0, 3.0,
                                closed=False))
    return combine(*parts)


def test_prospect_in_a_closed_corridor_matches_the_polar_radius():
    """In a corridor 4 m wide closed at x = 40, the radius along azimuth t from a station at
    (x, 0) is min(2 / |sin t|, (40 - x) / cos t) ahead; the sector means follow exactly."""
    scene = _corridor()
    n = 720
    res = route_prospect(scene, [[0.5, 0.0], [30.5, 0.0]], spacing=3.0, n_rays=n, cone=60.0)
    theta = 2 * np.pi * np.arange(n) / n
    for x, ahead, left, right in zip(res.eyes[:, 0], res.ahead, res.left, res.right):
        with np.errstate(divide="ignore"):
            side = 2.0 / np.abs(np.sin(theta))
            end = np.where(np.cos(theta) > 0, (40 - x) / np.cos(theta), np.inf)
            back = np.where(np.cos(theta) < 0, 100.0, np.inf)  # open behind: max radius
        r = np.minimum(np.minimum(side, end), np.minimum(back, 100.0))
        diff = np.angle(np.exp(1j * theta))
        sect = np.abs(diff) <= np.radians(30) + 1e-12
        assert ahead == pytest.approx(r[sect].mean(), rel=1e-6)
        sect_l = np.abs(np.angle(np.exp(1j * (theta - np.pi / 2)))) <= np.radians(30) + 1e-12
        assert left == pytest.approx(r[sect_l].mean(), rel=1e-6)
        assert right == pytest.approx(left, rel=1e-9)
    assert np.all(np.diff(res.ahead) < 0)  # the end wall comes closer
    np.testing.assert_allclose(res.eyes[:, 2], 1.6)
    np.testing.assert_allclose(res.heading, np.tile([1.0, 0, 0], (len(res.ahead), 1)))


def _niche_scene():
    """A 3 m wall along y = 2 with a 2 m wide, 2 m deep niche at x = 10..12."""
    wall = wall_quads([[-20, 2], [10, 2], [10, 4], [12, 4], [12, 2], [40, 2]], 0, 3.0,
                      closed=False)
    return combine(wall)


def test_concealment_spot_in_a_niche():
    scene = _niche_scene()
    path = [[-20.0, 0.0], [40.0, 0.0]]
    pts = np.array([[11.0, 3.5, 0], [11.0, -5.0, 0], [0.0, 8.0, 0], [11.0, 30.0, 0]])
    grid = CalculationGrid.from_points(pts)
    res = concealment(scene, path, grid, distance=10.0, close=5.0, spacing=0.5)
    rv = res.reveal_distance.values
    # Niche point (11, 3.5): seen through the opening only from x in [8.67, 13.33]; walking
    # either way it appears about 4.25 m away.
    d_expect = np.sqrt((11 - 8.667) ** 2 + 3.5 ** 2 + 0.6 ** 2)
    assert rv[0] == pytest.approx(d_expect, abs=0.3)
    assert rv[1] > 9.0  # open ground south of the path: seen from far away
    assert np.isinf(rv[2])  # behind the wall: never seen
    assert np.isnan(rv[3])  # farther than 10 m from the path: not tested
    np.testing.assert_array_equal(res.concealed.values[:3], [1, 0, 1])
    assert np.isnan(res.concealed.values[3])
    assert res.n_spots == 2
    assert res.reveal_distance.unit == "m"


def test_concealment_reveal_is_the_worse_direction():
    """A screen beside the path east of the target hides it from walkers coming from the
    east until close; walkers from the west see it early. The worse direction counts."""
    screen = box(12.0, 0.8, 12.2, 6.0, 0, 3.0)
    scene = combine(screen)
    grid = CalculationGrid.from_points([[11.0, 2.0, 0.0]])
    res = concealment(scene, [[-20.0, 0.0], [40.0, 0.0]], grid, spacing=0.25)
    assert res.reveal_distance.values[0] < 5.0
    # Walkers from the west alone would see it early: the screen only hides it from the east.
    moved = combine(box(9.8, 0.8, 10.0, 6.0, 0, 3.0))  # now it hides it from the west
    assert concealment(moved, [[-20.0, 0.0], [40.0, 0.0]], grid).reveal_distance.values[0] < 5
    free = combine(box(100, 100, 101, 101))
    assert concealment(free, [[-20.0, 0.0], [40.0, 0.0]], grid).reveal_distance.values[0] > 9


def test_entrapment_between_high_walls():
    # Walls 3 m apart and 3 m tall from x = 20 to 60; the path runs from 0 to 80.
    walls = combine(wall_quads([[20, 1.5], [60, 1.5]], 0, 3.0, closed=False),
                    wall_quads([[20, -1.5], [60, -1.5]], 0, 3.0, closed=False))
    res = entrapment(walls, [[0.0, 0.0], [80.0, 0.0]], spacing=0.5, min_length=20.0)
    assert res.stretches.shape == (1, 2)
    np.testing.assert_allclose(res.stretches[0], [20.0, 60.0], atol=0.5)
    assert res.total_length == pytest.approx(40.0, abs=1.0)
    # Low walls (1.2 m) do not trap; a 4 m side exit in the middle splits the run.
    low = combine(wall_quads([[20, 1.5], [60, 1.5]], 0, 1.2, closed=False),
                  wall_quads([[20, -1.5], [60, -1.5]], 0, 1.2, closed=False))
    assert entrapment(low, [[0.0, 0.0], [80.0, 0.0]]).stretches.shape == (0, 2)
    gap = combine(wall_quads([[20, 1.5], [38, 1.5]], 0, 3.0, closed=False),
                  wall_quads([[42, 1.5], [60, 1.5]], 0, 3.0, closed=False),
                  wall_quads([[20, -1.5], [60, -1.5]], 0, 3.0, closed=False))
    split = entrapment(gap, [[0.0, 0.0], [80.0, 0.0]], spacing=0.5, min_length=15.0)
    assert split.stretches.shape == (2, 2)
    assert entrapment(gap, [[0.0, 0.0], [80.0, 0.0]], min_length=20.0).stretches.shape == (0, 2)


def test_route_bad_inputs():
    scene = _corridor()
    with pytest.raises(ParameterError, match="path"):
        route_prospect(scene, [[0.0, 0.0]])
    with pytest.raises(ParameterError, match="cone"):
        route_prospect(scene, [[0.0, 0.0], [1.0, 0.0]], cone=0)
    with pytest.raises(ParameterError, match="grid"):
        concealment(scene, [[0.0, 0.0], [1.0, 0.0]], [[0, 0, 0]])
    with pytest.raises(ParameterError, match="side_distance"):
        entrapment(scene, [[0.0, 0.0], [1.0, 0.0]], side_distance=-1)
