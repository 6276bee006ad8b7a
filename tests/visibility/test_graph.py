"""Visibility graph: adjacency against brute force, VGA measures against scipy and numpy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import shortest_path

from _sight_reference import adjacency_reference
from _sight_scenes import box, combine, l_room, pillar_room, wall_quads
from cpted_sim import visibility_graph
from cpted_sim.errors import ParameterError
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.scene import Material
from cpted_sim.visibility import hh_integration


def _reference_measures(adj):
    n = adj.shape[0]
    dist = shortest_path(adj.astype(float), unweighted=True, directed=False)
    reach = np.isfinite(dist).sum(axis=1)
    total = np.where(np.isfinite(dist), dist, 0).sum(axis=1)
    md = np.where(reach > 1, total / np.maximum(reach - 1, 1), np.nan)
    k = adj.sum(axis=1)
    clust = np.full(n, np.nan)
    for i in range(n):
        nb = np.nonzero(adj[i])[0]
        if nb.size >= 2:
            clust[i] = adj[np.ix_(nb, nb)].sum() / (nb.size * (nb.size - 1))
    return k, md, reach, clust


def _scene():
    hedge = Material(sight_transmittance=0.3)
    # Off-grid coordinates: no sightline grazes a corner exactly (a measure-zero tie).
    return combine(wall_quads([[0, 0], [20, 0], [20, 12], [0, 12]]), box(6.137, 3.071, 9.213, 7.338),
                   box(13.171, 6.113, 15.037, 12), wall_quads([[2.093, 9.137], [10.119, 9.137]], 0, 2.0,
                                                            closed=False),
                   groups=["w", "b", "b", "hedge"], materials={"hedge": hedge})


def test_connectivity_and_measures_equal_references():
    scene = _scene()
    grid = CalculationGrid.regular(0, 0, 20, 12, 1.3)
    g = visibility_graph(scene, grid)
    eyes = grid.points + [0, 0, 1.6]
    ref = adjacency_reference(scene, eyes, min_transmittance=0.5)
    np.testing.assert_array_equal(g.adjacency(), ref)
    k, md, reach, clust = _reference_measures(ref)
    np.testing.assert_array_equal(g.connectivity.values, k)
    np.testing.assert_allclose(g.mean_depth.values, md, rtol=1e-12)
    np.testing.assert_array_equal(g.reached, reach)
    np.testing.assert_allclose(g.clustering.values, clust, rtol=1e-12)
    np.testing.assert_allclose(g.integration.values, hh_integration(md, reach))
    assert g.n_edges() == ref.sum() // 2
    i = 17
    np.testing.assert_array_equal(g.neighbours(i), np.nonzero(ref[i])[0])
    # Not trivial: depth > 1 somewhere and the hedge (0.3) cuts links a lower threshold keeps.
    assert np.nanmax(md) > 1.5
    g2 = visibility_graph(scene, grid, min_transmittance=0.2)
    assert g2.n_edges() > g.n_edges()
    np.testing.assert_array_equal(g2.adjacency(),
                                  adjacency_reference(scene, eyes, min_transmittance=0.2))


def test_max_distance_and_components(rng):
    # Two closed rooms: two components.
    scene = combine(wall_quads([[0, 0], [5, 0], [5, 5], [0, 5]]),
                    wall_quads([[10, 0], [15, 0], [15, 5], [10, 5]]))
    pts = np.vstack([np.column_stack([rng.uniform(0.5, 4.5, 30), rng.uniform(0.5, 4.5, 30)]),
                     np.column_stack([rng.uniform(10.5, 14.5, 40), rng.uniform(0.5, 4.5, 40)])])
    grid = CalculationGrid.from_points(np.column_stack([pts, np.zeros(70)]))
    g = visibility_graph(scene, grid)
    np.testing.assert_array_equal(g.reached, [30] * 30 + [40] * 40)
    np.testing.assert_array_equal(g.connectivity.values, [29] * 30 + [39] * 40)
    np.testing.assert_allclose(g.mean_depth.values, 1.0)
    assert np.all(np.isnan(g.integration.values))  # MD = 1: RA = 0
    np.testing.assert_allclose(g.clustering.values, 1.0)
    g3 = visibility_graph(scene, grid, max_distance=3.0)
    ref = adjacency_reference(scene, grid.points + [0, 0, 1.6], max_distance=3.0)
    np.testing.assert_array_equal(g3.adjacency(), ref)


def test_l_room_depth_two():
    """Points in the two arms of an L-shaped room that cannot see each other are two steps
    apart through the corner."""
    scene = combine(wall_quads([[0, 0], [20, 0], [20, 4], [4, 4], [4, 20], [0, 20]]))
    pts = np.array([[18, 2, 0], [2, 18, 0], [2, 2, 0.0]])
    g = visibility_graph(scene, CalculationGrid.from_points(pts))
    np.testing.assert_array_equal(g.connectivity.values, [1, 1, 2])
    np.testing.assert_allclose(g.mean_depth.values, [1.5, 1.5, 1.0])


def test_hh_integration_formula():
    # k = 10, MD = 2: RA = 2 / 8, D = 2 (10 (log2 4 - 1) + 1) / (9 * 8) = 22 / 72.
    assert hh_integration(2.0, 10) == pytest.approx((22 / 72) / 0.25)
    assert np.isnan(hh_integration(2.0, 3))


def test_many_points_bit_rows(rng):
    """More than 64 points (several words per row) in random order; graph is symmetric."""
    scene = pillar_room()
    pts = np.column_stack([rng.uniform(0.2, 9.8, 150), rng.uniform(0.2, 9.8, 150), np.zeros(150)])
    inside = ~((np.abs(pts[:, 0] - 5) < 0.6) & (np.abs(pts[:, 1] - 5) < 0.6))
    grid = CalculationGrid.from_points(pts[inside])
    g = visibility_graph(scene, grid)
    a = g.adjacency()
    np.testing.assert_array_equal(a, a.T)
    np.testing.assert_array_equal(a, adjacency_reference(scene, grid.points + [0, 0, 1.6]))


def test_bad_inputs():
    scene = l_room()
    with pytest.raises(ParameterError, match="grid"):
        visibility_graph(scene, [[0, 0, 0]])
    grid = CalculationGrid.from_points([[0.5, 0.5, 0], [1.5, 0.5, 0]])
    with pytest.raises(ParameterError, match="min_transmittance"):
        visibility_graph(scene, grid, min_transmittance=0)


def test_uneven_ground_and_empty_cross_section(rng):
    """Eyes at different heights: sightlines are not horizontal and run in the full tree."""
    scene = _scene()
    pts = np.column_stack([rng.uniform(0.5, 19.5, 80), rng.uniform(0.5, 11.5, 80),
                           rng.uniform(0.0, 0.8, 80)])
    grid = CalculationGrid.from_points(pts)
    g = visibility_graph(scene, grid)
    np.testing.assert_array_equal(g.adjacency(),
                                  adjacency_reference(scene, pts + [0, 0, 1.6]))
    # Eyes above every wall: all pairs within range are linked.
    flat = CalculationGrid.from_points(np.column_stack([pts[:, :2], np.zeros(80)]))
    high = visibility_graph(scene, flat, height=7.0, max_distance=6.0)
    d = np.linalg.norm(pts[:, None, :2] - pts[None, :, :2], axis=2)
    np.testing.assert_array_equal(high.adjacency(), (d <= 6.0) & ~np.eye(80, dtype=bool))


def test_blocks_give_the_same_graph(rng, monkeypatch):
    import cpted_sim.visibility.graph as gr

    scene = _scene()
    grid = CalculationGrid.from_points(np.column_stack([rng.uniform(0.5, 19.5, 130),
                                                        rng.uniform(0.5, 11.5, 130),
                                                        np.zeros(130)]))
    whole = visibility_graph(scene, grid)
    monkeypatch.setattr(gr, "BLOCK_ROWS", 7)
    monkeypatch.setattr(gr, "BLOCK_SOURCES", 16)
    parts = visibility_graph(scene, grid, quiet=False)
    np.testing.assert_array_equal(whole.bits, parts.bits)
    np.testing.assert_array_equal(whole.mean_depth.values, parts.mean_depth.values)
    np.testing.assert_array_equal(whole.clustering.values, parts.clustering.values)
