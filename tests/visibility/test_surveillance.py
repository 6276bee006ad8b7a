"""Surveillance counts against a brute-force reference; field of view and range at their edges."""

from __future__ import annotations

import numpy as np
import pytest

from _sight_reference import surveillance_reference
from _sight_scenes import box, combine, wall_quads
from cpted_sim import ObserverSet, surveillance
from cpted_sim.errors import ParameterError
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.scene import Material
from cpted_sim.visibility import surveillance_fields


def _block_scene():
    hedge = Material(sight_transmittance=0.4, tags=("hedge",))
    fence = Material(sight_transmittance=0.5, tags=("fence",))
    parts = [box(5, 5, 9, 9, 0, 6), box(12, 2, 14, 12, 0, 4), box(3, 14, 15, 14.3, 0, 1.2),
             wall_quads([[2, 11], [10, 11]], 0.0, 3.0, closed=False)]
    return combine(*parts, groups=["building", "building", "hedge", "fence"],
                   materials={"hedge": hedge, "fence": fence})


def test_counts_equal_brute_force(rng):
    scene = _block_scene()
    n_obs = 25
    pos = np.column_stack([rng.uniform(0, 20, n_obs), rng.uniform(0, 20, n_obs),
                           rng.uniform(0.5, 5, n_obs)])
    dirs = rng.normal(size=(n_obs, 3))
    obs = ObserverSet.from_points(pos, dirs, fov=rng.choice([60.0, 180.0, 360.0], n_obs),
                                  max_distance=rng.uniform(5, 25, n_obs),
                                  weight=rng.uniform(0, 1, n_obs))
    pts = np.column_stack([rng.uniform(0, 20, 300), rng.uniform(0, 20, 300),
                           rng.uniform(0.2, 2.0, 300)])
    grid = CalculationGrid.from_points(pts)
    res = surveillance_fields(scene, obs, grid, target_height=0.0)
    c, w, d = surveillance_reference(scene, obs, pts)
    np.testing.assert_allclose(res.count.values, c, atol=1e-12)
    np.testing.assert_allclose(res.weight.values, w, atol=1e-12)
    np.testing.assert_array_equal(np.isinf(res.nearest.values), np.isinf(d))
    fin = np.isfinite(d)
    np.testing.assert_allclose(res.nearest.values[fin], d[fin], rtol=1e-12)
    # The scene is not trivial: some points blocked, some through a hedge, some clear.
    assert (c == 0).any() and (c % 1 != 0).any() and (c >= 2).any()
    assert res.count.unit == "1" and res.nearest.unit == "m"
    assert res.count.quantity == "surveillance_count"


def test_field_of_view_edges():
    scene = combine(box(100, 100, 101, 101))  # nothing in the way
    obs = ObserverSet.from_points([[0.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]], fov=90.0,
                                  max_distance=50.0)
    ang = np.radians([44.9, 45.1, -44.9, -45.1, 0.0, 180.0])
    pts = np.column_stack([10 * np.cos(ang), 10 * np.sin(ang), np.zeros(ang.size)])
    got = surveillance(scene, obs, CalculationGrid.from_points(pts), target_height=0.0).values
    np.testing.assert_array_equal(got, [1, 0, 1, 0, 1, 0])


def test_window_sees_its_half_space_only():
    scene = combine(box(100, 100, 101, 101))
    obs = ObserverSet.from_points([[0.0, 0.0, 1.6]], [[0.0, 1.0, 0.0]], fov=180.0)
    pts = np.array([[5.0, 0.001, 1.6], [5.0, -0.001, 1.6], [-3.0, 0.0, 1.6], [0.0, -4.0, 0.0]])
    got = surveillance(scene, obs, CalculationGrid.from_points(pts), target_height=0.0).values
    # The edge of the half-space (y = 0) is inclusive.
    np.testing.assert_array_equal(got, [1, 0, 1, 0])


def test_range_edges():
    scene = combine(box(100, 100, 101, 101))
    obs = ObserverSet.from_points([[0.0, 0.0, 0.0]], max_distance=10.0)
    pts = np.array([[9.999, 0, 0], [10.0, 0, 0], [10.001, 0, 0], [0, 6.0, 8.0], [0, 6.0, 8.01]])
    got = surveillance(scene, obs, CalculationGrid.from_points(pts), target_height=0.0).values
    np.testing.assert_array_equal(got, [1, 1, 0, 1, 0])


def test_target_height_and_measures():
    # A 1.2 m hedge-high opaque wall hides a point on the ground but not a face at 1.5 m.
    scene = combine(box(4, -5, 4.2, 5, 0, 1.2))
    obs = ObserverSet.from_points([[0.0, 0.0, 1.6], [0.0, 1.0, 1.6]], weight=[0.5, 0.25])
    grid = CalculationGrid.from_points([[8.0, 0.0, 0.0]])
    assert surveillance(scene, obs, grid, target_height=0.0).values[0] == 0
    assert surveillance(scene, obs, grid).values[0] == 2
    assert surveillance(scene, obs, grid, measure="weight").values[0] == pytest.approx(0.75)
    assert surveillance(scene, obs, grid, measure="nearest").values[0] == pytest.approx(
        np.hypot(8.0, 0.1))
    with pytest.raises(ParameterError, match="measure"):
        surveillance(scene, obs, grid, measure="sum")


def test_large_grid_blocks_and_order(rng):
    """More points than a kernel block, in random order: results follow the grid's order."""
    scene = _block_scene()
    obs = ObserverSet.from_points([[1.0, 1.0, 2.0], [18.0, 18.0, 3.0]], max_distance=15.0)
    pts = np.column_stack([rng.uniform(0, 20, 1000), rng.uniform(0, 20, 1000), np.zeros(1000)])
    res = surveillance(scene, obs, CalculationGrid.from_points(pts), target_height=0.3).values
    c, _, _ = surveillance_reference(scene, obs, pts + [0, 0, 0.3])
    np.testing.assert_allclose(res, c, atol=1e-12)


def test_bad_inputs():
    scene = combine(box(0, 0, 1, 1))
    obs = ObserverSet.from_points([[0.0, 0.0, 0.0]])
    grid = CalculationGrid.from_points([[2.0, 0, 0]])
    with pytest.raises(ParameterError, match="observers"):
        surveillance(scene, [[0, 0, 0]], grid)
    with pytest.raises(ParameterError, match="grid"):
        surveillance(scene, obs, [[0, 0, 0]])
    with pytest.raises(ParameterError, match="scene"):
        surveillance(None, obs, grid)


def test_kernel_blocks_give_the_same_field(rng, monkeypatch):
    """The job runs in blocks of points (progress, Ctrl-C); small blocks change nothing."""
    import sys

    sv = sys.modules["cpted_sim.visibility.surveillance"]  # the attribute is the function

    scene = _block_scene()
    obs = ObserverSet.from_points(np.column_stack([rng.uniform(0, 20, 12), rng.uniform(0, 20, 12),
                                                   np.full(12, 1.6)]), max_distance=18.0)
    grid = CalculationGrid.from_points(np.column_stack([rng.uniform(0, 20, 700),
                                                        rng.uniform(0, 20, 700), np.zeros(700)]))
    whole = surveillance_fields(scene, obs, grid)
    monkeypatch.setattr(sv, "BLOCK_POINTS", 128)
    parts = surveillance_fields(scene, obs, grid, quiet=False)
    for a, b in zip(whole, parts):
        np.testing.assert_array_equal(a.values, b.values)
