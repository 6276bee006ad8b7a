"""Ray queries of every engine (the ``engine`` fixture of conftest.py) against the brute-force reference (tests/reference.py).

Small seeded random scenes (a few hundred triangles of a soup that intersects itself) and random
rays; every ray is checked. The numba engine must agree on every ray; Embree works in float32
and trimesh is a numpy engine that misses some edge hits, so both get float tolerances and a
small allowance of hit/miss disagreements on rays that graze an edge.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference as ref
from cpted_sim import closest_hit, occluded, visibility_matrix
from cpted_sim.geometry.scene import Scene

# Allowed fraction of hit/miss disagreements, relative distance tolerance, absolute tolerance [m].
TOLERANCE = {
    "numba": (0.0, 1e-9, 1e-12),
    "embree": (2e-3, 1e-4, 1e-4),
    "trimesh": (2e-3, 1e-8, 1e-9),
}


def random_soup(rng, n_tri=300, box=10.0, size=2.0):
    """``n_tri`` random triangles of edge ~``size`` [m] inside a ``box`` [m] cube."""
    centres = rng.uniform(0.0, box, size=(n_tri, 1, 3))
    corners = centres + rng.normal(scale=size / 2, size=(n_tri, 3, 3))
    vertices = corners.reshape(-1, 3)
    faces = np.arange(3 * n_tri).reshape(n_tri, 3)
    return vertices, faces


def random_rays(rng, vertices, faces, n=1500, box=10.0):
    """Half aimed at interior points of random triangles, half in random directions."""
    origins = rng.uniform(-0.5 * box, 1.5 * box, size=(n, 3))
    half = n // 2
    bary = rng.dirichlet([3.0, 3.0, 3.0], size=half)
    pick = rng.integers(0, len(faces), size=half)
    aims = np.einsum("ij,ijk->ik", bary, vertices[faces[pick]])
    directions = np.empty((n, 3))
    directions[:half] = aims - origins[:half]
    directions[half:] = rng.normal(size=(n - half, 3))
    return origins, directions


@pytest.fixture(scope="module")
def soup():
    rng = np.random.default_rng(1129)
    vertices, faces = random_soup(rng)
    scene = Scene.from_arrays(vertices, faces)
    assert scene.n_faces == len(faces)  # nothing dropped: face indices match the reference
    return scene, vertices, faces, rng


def _check_hits(engine, vertices, faces, origins, directions, dist, face, ref_dist, ref_face,
                min_hits=0.4):
    frac, rtol, atol = TOLERANCE[engine]
    hit, ref_hit = face >= 0, ref_face >= 0
    disagree = hit != ref_hit
    assert disagree.sum() <= frac * len(face), (
        f"{engine}: {disagree.sum()} of {len(face)} rays disagree on hit/miss "
        f"(first {np.nonzero(disagree)[0][:5].tolist()})")
    assert np.all(np.isinf(dist[~hit])) and np.all(face[~hit] == -1)
    both = hit & ref_hit
    assert both.sum() > min_hits * len(face)  # the test really exercises hits
    np.testing.assert_allclose(dist[both], ref_dist[both], rtol=rtol, atol=atol)
    # Face: the same, or another face at the same reference distance (a tie).
    for i in np.nonzero(both & (face != ref_face))[0]:
        d = directions[i] / np.linalg.norm(directions[i])
        t = ref.ray_triangle_distances(vertices, faces, origins[i], d)
        if engine == "numba":
            assert t[face[i]] == pytest.approx(ref_dist[i], rel=1e-12), (
                f"ray {i}: face {face[i]} at {t[face[i]]} but reference face {ref_face[i]} "
                f"at {ref_dist[i]}")
        else:
            assert abs(t[face[i]] - ref_dist[i]) <= rtol * ref_dist[i] + atol


def test_closest_hit_matches_reference(engine, soup):
    scene, vertices, faces, _ = soup
    rng = np.random.default_rng(7)
    origins, directions = random_rays(rng, vertices, faces)
    dist, face = closest_hit(scene, origins, directions, engine=engine)
    ref_dist, ref_face = ref.closest_hit(vertices, faces, origins, directions,
                                        offset=scene.ray_offset)
    _check_hits(engine, vertices, faces, origins, directions, dist, face, ref_dist, ref_face)


def test_closest_hit_max_distance_matches_reference(engine, soup):
    scene, vertices, faces, _ = soup
    rng = np.random.default_rng(8)
    origins, directions = random_rays(rng, vertices, faces, n=1000)
    max_distance = rng.uniform(0.0, 12.0, size=len(origins))
    max_distance[::10] = np.inf
    dist, face = closest_hit(scene, origins, directions, max_distance=max_distance, engine=engine)
    ref_dist, ref_face = ref.closest_hit(vertices, faces, origins, directions, max_distance,
                                        offset=scene.ray_offset)
    _check_hits(engine, vertices, faces, origins, directions, dist, face, ref_dist, ref_face,
                min_hits=0.25)
    assert np.all(dist[face >= 0] <= max_distance[face >= 0] * (1 + 1e-6))
    # Some rays do hit something beyond their limit: the limit is really tested.
    unlimited, _ = ref.closest_hit(vertices, faces, origins, directions)
    assert np.sum(np.isfinite(unlimited) & (unlimited > max_distance)) > 50


def test_occluded_matches_reference(engine, soup):
    scene, vertices, faces, _ = soup
    rng = np.random.default_rng(9)
    a = rng.uniform(-2.0, 12.0, size=(1500, 3))
    b = rng.uniform(-2.0, 12.0, size=(1500, 3))
    # Some segments end exactly on a triangle (a light on a wall, a point on the ground).
    pick = rng.integers(0, len(faces), size=300)
    b[:300] = np.einsum("ij,ijk->ik", rng.dirichlet([3, 3, 3], size=300), vertices[faces[pick]])
    got = occluded(scene, a, b, engine=engine)
    want = ref.occluded(vertices, faces, a, b, scene.ray_offset)
    frac = TOLERANCE[engine][0]
    assert 0.2 < want.mean() < 0.95
    assert np.sum(got != want) <= frac * len(want), np.nonzero(got != want)[0][:10]


def test_visibility_matrix_matches_reference(engine, soup):
    scene, vertices, faces, _ = soup
    rng = np.random.default_rng(10)
    obs = rng.uniform(-2.0, 12.0, size=(25, 3))
    tg = rng.uniform(-2.0, 12.0, size=(40, 3))
    for max_distance in (None, 9.0):
        got = visibility_matrix(scene, obs, tg, max_distance=max_distance, engine=engine)
        md = np.inf if max_distance is None else max_distance
        want = ref.visibility_matrix(vertices, faces, obs, tg, md, scene.ray_offset)
        assert got.shape == (25, 40)
        assert 0.05 < want.mean() < 0.95
        assert np.sum(got != want) <= TOLERANCE[engine][0] * want.size


def test_visibility_max_distance_edge(engine):
    """A target exactly at ``max_distance`` is seen; one ulp less and it is not."""
    # A wall far away from the 3-4-5 sightline, so nothing blocks it.
    v = np.array([[50.0, 0, 0], [50, 10, 0], [50, 0, 10]])
    scene = Scene.from_arrays(v, [[0, 1, 2]])
    obs = np.array([[0.0, 0.0, 1.0]])
    tg = np.array([[3.0, 4.0, 1.0], [3.0, 4.0, 1.5]])  # at 5 m, and just beyond
    got = visibility_matrix(scene, obs, tg, max_distance=5.0, engine=engine)
    assert got.tolist() == [[True, False]]
    assert visibility_matrix(scene, obs, tg, max_distance=np.nextafter(5.0, 0.0),
                             engine=engine).tolist() == [[False, False]]
    assert visibility_matrix(scene, obs, tg, engine=engine).tolist() == [[True, True]]
    assert ref.visibility_matrix(v, [[0, 1, 2]], obs, tg, 5.0, scene.ray_offset).tolist() == \
        [[True, False]]


def test_visibility_matrix_equals_pairwise_occluded(engine, soup):
    scene, _, _, _ = soup
    rng = np.random.default_rng(11)
    obs = rng.uniform(0.0, 10.0, size=(12, 3))
    tg = rng.uniform(0.0, 10.0, size=(30, 3))
    vis = visibility_matrix(scene, obs, tg, engine=engine)
    pairs = ~occluded(scene, np.repeat(obs, 30, axis=0), np.tile(tg, (12, 1)), engine=engine)
    assert np.array_equal(vis.ravel(), pairs)


def _awkward_scenes():
    rng = np.random.default_rng(19)
    # 600 triangles rotated about one common centroid: the BVH cannot split by centroid.
    ang = rng.uniform(0, np.pi, 600)
    axis = rng.normal(size=(600, 3))
    axis /= np.linalg.norm(axis, axis=1)[:, None]
    base = np.array([[1.0, 0, 0], [-0.5, 0.866, 0], [-0.5, -0.866, 0]]) * 3.0
    tris = []
    for a, k in zip(ang, axis):
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        r = np.eye(3) + np.sin(a) * kx + (1 - np.cos(a)) * kx @ kx
        tris.append(base @ r.T + 5.0)
    fan = np.array(tris).reshape(-1, 3)
    # Mixed scales: one 1 km triangle among 300 centimetre ones.
    small = rng.uniform(0, 10, size=(300, 1, 3)) + rng.normal(scale=0.02, size=(300, 3, 3))
    big = np.array([[[-500.0, -500.0, 4.0], [600.0, -400.0, 6.0], [0.0, 700.0, 5.0]]])
    mixed = np.vstack([small, big]).reshape(-1, 3)
    return {"common centroid": fan, "mixed scales": mixed}


@pytest.mark.parametrize("name", ["common centroid", "mixed scales"])
def test_awkward_scenes_match_reference(name):
    vertices = _awkward_scenes()[name]
    faces = np.arange(len(vertices)).reshape(-1, 3)
    scene = Scene.from_arrays(vertices, faces)
    assert scene.n_faces == len(faces)
    rng = np.random.default_rng(20)
    origins, directions = random_rays(rng, vertices, faces, n=800)
    dist, face = closest_hit(scene, origins, directions)
    ref_dist, ref_face = ref.closest_hit(vertices, faces, origins, directions,
                                         offset=scene.ray_offset)
    _check_hits("numba", vertices, faces, origins, directions, dist, face, ref_dist, ref_face,
                min_hits=0.3)
    b = rng.uniform(-2, 12, size=(800, 3))
    assert np.array_equal(occluded(scene, origins, b),
                          ref.occluded(vertices, faces, origins, b, scene.ray_offset))
