"""``triangulate_polygons``: many OBJ/PLY faces at once, concave ones covered exactly."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.io import _triangulate
from cpted_sim.io._triangulate import newell_normal, triangulate_polygons


def _star(rng, n):
    """A star-shaped (so simple, often concave) polygon of n corners in a random 3D plane."""
    # Every angular gap below pi keeps the centre inside, so the polygon is star-shaped.
    ang = (np.arange(n) + rng.uniform(0, 0.9, n)) * 2 * np.pi / n
    r = rng.uniform(0.3, 1.0, n) * 10
    pts = np.column_stack([r * np.cos(ang), r * np.sin(ang), np.zeros(n)])
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return pts @ q.T + rng.uniform(-1e3, 1e3, 3)


@pytest.mark.parametrize("use_earcut", [True, False])
def test_random_polygons_are_covered_exactly(rng, monkeypatch, use_earcut):
    if use_earcut and not _triangulate.HAVE_EARCUT:
        pytest.skip("mapbox_earcut is not installed (pip install mapbox-earcut)")
    monkeypatch.setattr(_triangulate, "HAVE_EARCUT", use_earcut)
    polys = [_star(rng, int(n)) for n in rng.integers(3, 13, 300)]
    verts = np.vstack(polys)
    counts = np.array([len(p) for p in polys])
    faces, poly = triangulate_polygons(verts, np.arange(len(verts)), counts)
    assert np.all(np.diff(poly) >= 0)
    np.testing.assert_array_equal(np.bincount(poly, minlength=len(polys)), counts - 2)
    a, b, c = (verts[faces[:, k]] for k in range(3))
    cross = np.cross(b - a, c - a)
    for k, p in enumerate(polys):
        want = newell_normal(p)  # twice the area, along the polygon's normal
        got = cross[poly == k]
        # Every triangle winds like its polygon, and they add up to its area: measured to
        # 3.5e-14 relative (rounding); a fan from a reflex corner would be off by percents.
        assert np.all(got @ want > 0)
        assert np.linalg.norm(got.sum(axis=0)) == pytest.approx(np.linalg.norm(want), rel=1e-13)


def test_concave_quads_split_along_their_inner_diagonal():
    # Darts pointing each way: the inner diagonal is 1-3 for the first, 0-2 for the second.
    verts = np.array([[0, 0, 0], [2, 1, 0], [4, 0, 0], [2, 3, 0],
                      [2, 1, 0], [4, 0, 0], [2, 3, 0], [0, 0, 0]], dtype=float)
    faces, poly = triangulate_polygons(verts, np.arange(8), [4, 4])
    a, b, c = (verts[faces[:, k]] for k in range(3))
    areas = 0.5 * np.cross(b - a, c - a)[:, 2]
    assert np.all(areas > 0)
    np.testing.assert_allclose(np.bincount(poly, weights=areas), [4.0, 4.0], rtol=1e-15)  # exact


def test_bow_tie_and_flat_quads():
    verts = np.array([[0, 0, 0], [1, 1, 0], [1, 0, 0], [0, 1, 0],
                      [0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]], dtype=float)
    faces, poly = triangulate_polygons(verts, np.arange(8), [4, 4])
    assert 1 not in poly  # a flat quad has no area and gives no triangle
    assert np.all(poly == 0)
