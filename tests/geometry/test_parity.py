"""Parity of the numba engine with Intel Embree on a ~100 000-triangle district.

Embree works in float32, so it is a peer, not a reference: the two must agree on >= 99.99 % of
hit/miss answers, and where both hit, on the distance (1e-4 relative or 1 mm) for >= 99.9 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim import closest_hit, engines_available, occluded
from cpted_sim.geometry.scene import Scene

pytestmark = pytest.mark.skipif("embree" not in engines_available(),
                                reason="embree (embreex) is not installed; nothing to compare to")


def local_district(seed=0, cells=140, n_boxes=1500, n_trees=140):
    """Ground grid, box buildings and icosphere crowns: ~102 000 triangles over 280 m."""
    import trimesh

    rng = np.random.default_rng(seed)
    size = 2.0 * cells
    g = np.arange(cells + 1) * 2.0
    gx, gy = np.meshgrid(g, g, indexing="ij")
    gz = 0.2 * np.sin(gx / 17.0) * np.cos(gy / 23.0)  # a gently rolling ground
    verts = [np.column_stack([gx.ravel(), gy.ravel(), gz.ravel()])]
    i, j = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    a = (i * (cells + 1) + j).ravel()
    faces = [np.vstack([np.column_stack([a, a + cells + 1, a + cells + 2]),
                        np.column_stack([a, a + cells + 2, a + 1])])]
    n = len(verts[0])
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    bv, bf = np.asarray(box.vertices) + [0.0, 0.0, 0.5], np.asarray(box.faces)
    ext = rng.uniform([4, 4, 3], [15, 15, 30], size=(n_boxes, 3))
    pos = np.column_stack([rng.uniform(0, size, size=(n_boxes, 2)), np.full(n_boxes, -0.3)])
    for e, p in zip(ext, pos):
        verts.append(bv * e + p)
        faces.append(bf + n)
        n += len(bv)
    ball = trimesh.creation.icosphere(subdivisions=2)
    sv, sf = np.asarray(ball.vertices), np.asarray(ball.faces)
    for _ in range(n_trees):
        c = np.array([*rng.uniform(0, size, 2), rng.uniform(4, 8)])
        verts.append(sv * rng.uniform(1.5, 4.0) + c)
        faces.append(sf + n)
        n += len(sv)
    return Scene.from_arrays(np.vstack(verts), np.vstack(faces), name="parity district")


@pytest.fixture(scope="module")
def district_scene():
    try:  # the project's synthetic district once it has landed
        from cpted_sim.scenario.synthetic import district
    except ImportError:
        return local_district()
    return district(100_000, seed=0).scene


def workload(scene, rng, n=200_000):
    """Rays down from the sky, at eye height along the streets, and from anywhere anywhere."""
    lo, hi = scene.bounds
    k = n // 3
    o = np.empty((n, 3))
    d = np.empty((n, 3))
    o[:k] = np.column_stack([rng.uniform(lo[0], hi[0], k), rng.uniform(lo[1], hi[1], k),
                             np.full(k, hi[2] + 10.0)])
    d[:k] = rng.normal(scale=0.2, size=(k, 3)) + [0.0, 0.0, -1.0]
    o[k:2 * k] = np.column_stack([rng.uniform(lo[0], hi[0], k), rng.uniform(lo[1], hi[1], k),
                                  np.full(k, 1.6)])
    az = rng.uniform(0, 2 * np.pi, k)
    el = rng.uniform(-0.2, 0.4, k)
    d[k:2 * k] = np.column_stack([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)])
    m = n - 2 * k
    o[2 * k:] = rng.uniform(lo, hi, size=(m, 3))
    d[2 * k:] = rng.normal(size=(m, 3))
    return scene.to_world(scene.to_local(o)), d


def test_closest_hit_parity_with_embree(district_scene):
    scene = district_scene
    assert 90_000 <= scene.n_faces <= 115_000
    o, d = workload(scene, np.random.default_rng(17))
    t_n, f_n = closest_hit(scene, o, d, engine="numba")
    t_e, f_e = closest_hit(scene, o, d, engine="embree")
    same = (f_n >= 0) == (f_e >= 0)
    assert 0.3 < (f_n >= 0).mean() < 0.97
    assert same.mean() >= 0.9999, f"{np.sum(~same)} of {len(same)} rays differ on hit/miss"
    both = (f_n >= 0) & (f_e >= 0)
    close = np.abs(t_n[both] - t_e[both]) <= np.maximum(1e-4 * t_n[both], 1e-3)
    assert close.mean() >= 0.999, f"{np.sum(~close)} of {both.sum()} distances differ"


def test_occluded_parity_with_embree(district_scene):
    """Shadow rays from ground-level points to lamps 6 m up."""
    scene = district_scene
    rng = np.random.default_rng(18)
    lo, hi = scene.bounds
    a = np.column_stack([rng.uniform(lo[0], hi[0], 100_000), rng.uniform(lo[1], hi[1], 100_000),
                         np.full(100_000, 0.5)])
    b = a + np.column_stack([rng.uniform(-30, 30, size=(100_000, 2)), np.full(100_000, 6.0)])
    o_n = occluded(scene, a, b, engine="numba")
    o_e = occluded(scene, a, b, engine="embree")
    assert 0.05 < o_n.mean() < 0.95
    assert np.mean(o_n == o_e) >= 0.9999, f"{np.sum(o_n != o_e)} segments differ"
