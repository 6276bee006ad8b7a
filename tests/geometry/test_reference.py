"""The brute-force reference itself, on cases whose answers are known by hand."""

from __future__ import annotations

import numpy as np

import reference as ref

V = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0],   # z = 0
              [0.0, 0.0, 3.0], [2.0, 0.0, 3.0], [0.0, 2.0, 3.0]])  # z = 3
F = np.array([[0, 1, 2], [3, 5, 4]])


def test_distances_by_hand():
    t = ref.ray_triangle_distances(V, F, [0.5, 0.5, 5.0], [0.0, 0.0, -2.0])
    np.testing.assert_allclose(t, [2.5, 1.0])  # in units of |direction| = 2
    # Edges and vertices count; outside, parallel and behind do not.
    assert np.isfinite(ref.ray_triangle_distances(V, F, [1.0, 1.0, 5.0], [0, 0, -1])).all()
    assert np.isfinite(ref.ray_triangle_distances(V, F, [0.0, 0.0, 5.0], [0, 0, -1])).all()
    assert np.isinf(ref.ray_triangle_distances(V, F, [1.5, 1.5, 5.0], [0, 0, -1])).all()
    assert np.isinf(ref.ray_triangle_distances(V, F, [0.5, 0.5, 1.0], [1, 0, 0])).all()
    assert np.isinf(ref.ray_triangle_distances(V, F, [0.5, 0.5, 5.0], [0, 0, 1])).all()


def test_queries_by_hand():
    o = np.array([[0.5, 0.5, 5.0], [0.5, 0.5, 1.0], [5.0, 5.0, 1.0]])
    d = np.array([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0], [0.0, 0.0, -1.0]])
    dist, face = ref.closest_hit(V, F, o, d)
    assert dist.tolist() == [2.0, 1.0, np.inf] and face.tolist() == [1, 0, -1]
    dist, face = ref.closest_hit(V, F, o, d, max_distance=1.5)
    assert face.tolist() == [-1, 0, -1]
    dist, face = ref.closest_hit(V, F, o, d, offset=2.5)  # ignores the lid at 2 m
    assert face.tolist() == [0, -1, -1]
    ends = o + [0.0, 0.0, -4.0]
    assert ref.occluded(V, F, o, ends, offset=1e-6).tolist() == [True, True, False]
    # Ends on a surface do not count.
    assert ref.occluded(V, F, [[0.5, 0.5, 0.0]], [[0.5, 0.5, 3.0]], 1e-6).tolist() == [False]
    vis = ref.visibility_matrix(V, F, [[0.5, 0.5, 1.0]], [[0.5, 0.5, 2.0], [0.5, 0.5, 4.0],
                                                         [0.75, 0.75, 2.0]], 1.5, 1e-6)
    assert vis.tolist() == [[True, False, True]]
