"""Ray robustness: no leaks through shared edges and vertices, no self-hits, determinism, and
answers that do not depend on where the city lies (large projected coordinates)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import trimesh

import reference as ref
from cpted_sim import closest_hit, occluded, threads, visibility_matrix
from cpted_sim.geometry.scene import Scene


def tessellated_box(n=4, size=2):
    """Closed box ``[0, n*size]^3`` of integer vertices; each side an n x n grid of squares, each
    square split along alternating diagonals. Returns vertices (float) and outward faces."""
    g = np.arange(n + 1) * size
    top = n * size
    verts = {}
    faces = []

    def vid(p):
        return verts.setdefault(p, len(verts))

    # Each side as (fixed axis, fixed value, outward sign).
    for axis in range(3):
        for value, sign in ((0, -1), (top, 1)):
            u_ax, v_ax = [a for a in range(3) if a != axis]
            for i in range(n):
                for j in range(n):
                    quad = []
                    for du, dv in ((0, 0), (1, 0), (1, 1), (0, 1)):
                        p = [0, 0, 0]
                        p[axis] = value
                        p[u_ax] = g[i + du]
                        p[v_ax] = g[j + dv]
                        quad.append(vid(tuple(p)))
                    a, b, c, d = quad
                    tris = [(a, b, c), (a, c, d)] if (i + j) % 2 == 0 else [(a, b, d), (b, c, d)]
                    faces.extend(tris)
    v = np.array(list(verts), dtype=np.float64)
    f = np.array(faces, dtype=np.int64)
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, uses = np.unique(edges, axis=0, return_counts=True)
    assert np.all(uses == 2)  # closed: every edge shared by exactly two triangles
    return v, f


def edge_and_vertex_targets(vertices, faces):
    """Every vertex and every edge midpoint (exact for integer coordinates)."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    edges = np.unique(edges, axis=0)
    mids = 0.5 * (vertices[edges[:, 0]] + vertices[edges[:, 1]])
    return np.vstack([vertices, mids])


def through_rays(targets, inside, ks=(1, 2, 3)):
    """Rays from outside through each target towards the interior point ``inside``.

    ``origin = target + k (target - inside)`` with small integer ``k`` keeps every number a
    small multiple of 1/2, so the ray passes EXACTLY through the target in floating point.
    """
    origins = np.vstack([targets + k * (targets - inside) for k in ks])
    tg = np.tile(targets, (len(ks), 1))
    return origins, tg


@pytest.mark.nojit
def test_tessellated_box_rays_through_edges_and_vertices_never_leak():
    v, f = tessellated_box()
    scene = Scene.from_arrays(v, f)
    targets = edge_and_vertex_targets(v, f)
    assert len(targets) > 300
    insides = [np.array([4.0, 4.0, 4.0]), np.array([1.0, 3.0, 5.0]), np.array([7.0, 0.5, 2.5])]
    for inside in insides:
        origins, tg = through_rays(targets, inside)
        directions = inside - origins
        dist, face = closest_hit(scene, origins, directions, engine="numba", offset=0.0)
        assert np.all(face >= 0), f"{np.sum(face < 0)} rays leaked through an edge or vertex"
        # The box is convex: the first hit is the target itself.
        np.testing.assert_allclose(dist, np.linalg.norm(tg - origins, axis=1), rtol=1e-14)
        blocked = occluded(scene, origins, np.tile(inside, (len(origins), 1)), engine="numba")
        assert blocked.all(), f"{np.sum(~blocked)} shadow rays leaked"
        vis = visibility_matrix(scene, inside[None, :], origins, engine="numba")
        assert not vis.any()


@pytest.mark.parametrize("subdivisions", [pytest.param(2, marks=pytest.mark.nojit), 3])
def test_icosphere_rays_through_edges_and_vertices_never_leak(subdivisions):
    """Irrational coordinates: aim from outside at every vertex and edge midpoint (as computed in
    float64) towards the centre; every ray must hit the closed sphere."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=7.3)
    v = np.asarray(sphere.vertices) + [155.25, -37.5, 12.0]
    f = np.asarray(sphere.faces, dtype=np.int64)
    centre = np.array([155.25, -37.5, 12.0])
    scene = Scene.from_arrays(v, f)
    targets = edge_and_vertex_targets(v, f)
    rng = np.random.default_rng(3)
    for k in (0.5, 2.0, 9.0):
        origins = targets + k * (targets - centre)
        inside = centre + rng.normal(scale=0.5, size=origins.shape)
        dist, face = closest_hit(scene, origins, inside - origins, engine="numba", offset=0.0)
        assert np.all(face >= 0), f"{np.sum(face < 0)} rays leaked"
        assert occluded(scene, origins, inside, engine="numba").all()
        # And from the inside out.
        assert occluded(scene, inside, origins, engine="numba").all()


def ground_grid(n=20, tilt=(0.0, 0.0), z0=0.0):
    """An open ground of 2 n² triangles over [0, n]², flat or tilted (z = z0 + a x + b y)."""
    xs, ys = np.meshgrid(np.arange(n + 1.0), np.arange(n + 1.0))
    z = z0 + tilt[0] * xs + tilt[1] * ys
    v = np.c_[xs.ravel(), ys.ravel(), z.ravel()]
    f = []
    for i in range(n):
        for j in range(n):
            a = i * (n + 1) + j
            f += [[a, a + 1, a + n + 2], [a, a + n + 2, a + n + 1]]
    return v, np.array(f, dtype=np.int64)


def points_on_faces(rng, v, f, n, alpha=1.0):
    pick = rng.integers(0, len(f), n)
    return np.einsum("ij,ijk->ik", rng.dirichlet([alpha] * 3, n), v[f[pick]])


@pytest.mark.parametrize("tilt", [(0.0, 0.0), (0.3, 0.17)])
def test_rays_leaving_a_surface_never_hit_it(tilt):
    """Shadow rays from points on an open ground (interiors, edges, vertices) to lights above."""
    v, f = ground_grid(tilt=tilt, z0=0.1)
    scene = Scene.from_arrays(v, f)
    rng = np.random.default_rng(5)
    p = np.vstack([points_on_faces(rng, v, f, 20000),
                   edge_and_vertex_targets(v, f)])  # edges, vertices: shared by faces
    normal = scene.face_normals[0]
    assert normal[2] > 0
    d = rng.normal(size=p.shape)
    d[d @ normal < 0] *= -1  # away from the surface, down to grazing angles
    lights = p + 7.0 * d / np.linalg.norm(d, axis=1)[:, None]
    assert not occluded(scene, p, lights, engine="numba").any()
    assert not occluded(scene, lights, p, engine="numba").any()
    dist, face = closest_hit(scene, p, d, engine="numba")
    assert np.all(face == -1), f"{np.sum(face >= 0)} rays hit the surface they leave"
    # Through the surface the other way they are blocked.
    below = p - 7.0 * d / np.linalg.norm(d, axis=1)[:, None]
    inside = np.all((below[:, :2] > 0) & (below[:, :2] < 20), axis=1) & np.all(
        (lights[:, :2] > 0) & (lights[:, :2] < 20), axis=1)
    assert occluded(scene, lights[inside], below[inside], engine="numba").all()


@pytest.mark.nojit
def test_shadow_rays_from_the_ground_peers(engine):
    """Every engine: points on a flat ground see lights at least 10 degrees above it."""
    v, f = ground_grid()
    scene = Scene.from_arrays(v, f)
    rng = np.random.default_rng(6)
    p = points_on_faces(rng, v, f, 3000)
    up = rng.uniform(-5, 5, size=p.shape)
    up[:, 2] = np.abs(up[:, 2]) + 1.0
    assert not occluded(scene, p, p + up, engine=engine).any()
    assert not occluded(scene, p + up, p, engine=engine).any()
    # From a light above to its mirror image below: the segment crosses the ground at p.
    keep = np.all((p[:, :2] + up[:, :2] > 0.5) & (p[:, :2] + up[:, :2] < 19.5) &
                  (p[:, :2] - up[:, :2] > 0.5) & (p[:, :2] - up[:, :2] < 19.5), axis=1)
    assert keep.sum() > 500
    assert occluded(scene, (p + up)[keep], (p - up)[keep], engine=engine).all()


def test_segments_along_an_exact_plane_are_not_blocked():
    """Along the surface (flat ground, an axis-aligned wall): the sightline grazes, never crosses.

    Only planes that floating point represents exactly are tested: on a tilted plane the
    rounded end points lie up to an ulp above or below it, and a segment between them may
    genuinely cross it.
    """
    rng = np.random.default_rng(12)
    v, f = ground_grid()
    ground = Scene.from_arrays(v, f)
    a = points_on_faces(rng, v, f, 5000)
    b = points_on_faces(rng, v, f, 5000)
    assert np.all(a[:, 2] == 0) and np.all(b[:, 2] == 0)
    assert not occluded(ground, a, b, engine="numba").any()
    dist, face = closest_hit(ground, a, b - a, engine="numba", offset=0.0)
    assert np.all(face == -1)
    wall = Scene.from_arrays(v[:, [2, 0, 1]] + [3.0, 0.0, 0.0], f)  # the plane x = 3
    assert not occluded(wall, a[:, [2, 0, 1]] + [3.0, 0, 0], b[:, [2, 0, 1]] + [3.0, 0, 0],
                        engine="numba").any()


def test_results_are_deterministic():
    rng = np.random.default_rng(13)
    v = rng.uniform(0, 10, size=(900, 3))
    f = np.arange(900).reshape(300, 3)
    scene = Scene.from_arrays(v, f)
    o = rng.uniform(-2, 12, size=(20000, 3))
    d = rng.normal(size=(20000, 3))
    first = closest_hit(scene, o, d)
    second = closest_hit(scene, o, d)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    with threads(1):  # and whatever the number of threads
        serial = closest_hit(scene, o, d)
    assert np.array_equal(first[0], serial[0]) and np.array_equal(first[1], serial[1])
    t = rng.uniform(-2, 12, size=(20000, 3))
    assert np.array_equal(occluded(scene, o, t), occluded(scene, o, t))
    assert np.array_equal(visibility_matrix(scene, o[:50], t[:300]),
                          visibility_matrix(scene, o[:50], t[:300]))
    again = Scene.from_arrays(v, f)  # the BVH build is deterministic too
    for a, b in zip(scene.bvh, again.bvh):
        assert np.array_equal(a, b)


SHIFT = np.array([155_000.0, 463_000.0, 0.0])


def quantised(x, step=2.0 ** -16):
    """Multiples of 2^-16 below 2^6: exact at the origin and after adding 155 000 / 463 000."""
    return np.round(x / step) * step


def test_large_coordinates_answer_as_at_the_origin():
    rng = np.random.default_rng(14)
    centres = rng.uniform(0.0, 40.0, size=(400, 1, 3))
    v = quantised((centres + rng.normal(scale=1.5, size=(400, 3, 3))).reshape(-1, 3))
    f = np.arange(len(v)).reshape(-1, 3)
    near = Scene.from_arrays(v, f)
    far = Scene.from_arrays(v + SHIFT, f)
    assert np.array_equal(v + SHIFT - SHIFT, v)  # the shift is exact
    o = quantised(rng.uniform(-5.0, 45.0, size=(5000, 3)))
    d = quantised(rng.normal(size=(5000, 3)))
    d[:2500] = quantised(v[rng.integers(0, len(v), 2500)] + rng.uniform(-1, 1, (2500, 3))
                         - o[:2500])  # aimed near vertices: many hits
    t0, f0 = closest_hit(near, o, d)
    t1, f1 = closest_hit(far, o + SHIFT, d)
    assert (f0 >= 0).mean() > 0.25
    assert np.array_equal(f0, f1)
    np.testing.assert_allclose(t1[f1 >= 0], t0[f0 >= 0], rtol=0, atol=1e-9)
    b = quantised(rng.uniform(-5.0, 45.0, size=(5000, 3)))
    assert np.array_equal(occluded(near, o, b), occluded(far, o + SHIFT, b + SHIFT))
    assert np.array_equal(visibility_matrix(near, o[:40], b[:200], max_distance=30.0),
                          visibility_matrix(far, o[:40] + SHIFT, b[:200] + SHIFT,
                                            max_distance=30.0))
    np.testing.assert_allclose(far.bounds - SHIFT, near.bounds, atol=0)
    # The reference, computed at the origin, agrees with the far scene ray by ray.
    rd, rf = ref.closest_hit(v, f, o[:500], d[:500], offset=near.ray_offset)
    np.testing.assert_allclose(t1[:500][rf >= 0], rd[rf >= 0], rtol=1e-9)
    assert np.array_equal(f1[:500] >= 0, rf >= 0)


def test_large_coordinates_without_a_local_origin_would_lose_precision():
    """Why the local origin matters: float32 at RD coordinates has a 1/64 m (16 mm) step, and
    the scene keeps millimetres because it stores vertices relative to its origin."""
    v = np.array([[155_000.001, 463_000.002, 0.0], [155_010.0, 463_000.0, 0.0],
                  [155_000.0, 463_010.0, 0.0]])
    scene = Scene.from_arrays(v, [[0, 1, 2]])
    assert np.all(scene.origin == [155_000.0, 463_000.0, 0.0])
    np.testing.assert_allclose(scene.vertices[0], [0.001, 0.002, 0.0], atol=1e-9)
    assert np.float32(155_000.001) == np.float32(155_000.0)


def _shared_edge_case():
    """Two ground triangles sharing the edge (9, 5)-(10, 6) and a segment through its midpoint
    that leaked through both when the triangle test ran with fastmath (found by the test above)."""
    tri = np.array([[9.0, 5.0, 0.1, 10.0, 5.0, 0.1, 10.0, 6.0, 0.1],
                    [9.0, 5.0, 0.1, 10.0, 6.0, 0.1, 9.0, 6.0, 0.1]])
    a = np.array([float.fromhex(x) for x in
                  ("0x1.d329167f32d24p+1", "0x1.c21f2e612b881p+2", "0x1.cff555fed570ep+1")])
    b = np.array([float.fromhex(x) for x in
                  ("0x1.eb35ba60334b7p+3", "0x1.fbc1a33da8efep+1", "-0x1.b65bbc653bd74p+1")])
    return tri, a, b - a


def _first_compiled_inside_fastmath(targetoptions):
    """A fresh copy of ``triangle_hit`` with these options, compiled FIRST as the callee of a
    fastmath kernel (the order in which the library's kernels compile it)."""
    import numba

    from cpted_sim._jit import FASTMATH
    from cpted_sim.kernels import intersect

    opts = {k: v for k, v in targetoptions.items() if k != "nopython"}
    opts["cache"] = False
    exact = numba.njit(**opts)(intersect.triangle_hit.py_func)
    shear = numba.njit(**opts)(intersect.ray_shear.py_func)

    @numba.njit(fastmath=FASTMATH)
    def hits(tri, ox, oy, oz, dx, dy, dz):
        kx, ky, kz, sx, sy, sz = shear(dx, dy, dz)
        out = np.empty(tri.shape[0])
        for i in range(tri.shape[0]):
            o = (ox, oy, oz)
            out[i] = exact(tri[i, kx], tri[i, ky], tri[i, kz], tri[i, 3 + kx], tri[i, 3 + ky],
                           tri[i, 3 + kz], tri[i, 6 + kx], tri[i, 6 + ky], tri[i, 6 + kz],
                           o[kx], o[ky], o[kz], sx, sy, sz)
        return out

    return hits


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="about compiled code (fastmath flags)")
def test_exact_triangle_test_stays_exact_inside_fastmath_kernels():
    """Regression: ``exact_jit`` left ``fastmath`` unset, so Numba compiled the triangle test
    with the fastmath flags of its first (fastmath) caller and rays leaked through edges."""
    from cpted_sim.kernels import intersect

    tri, o, d = _shared_edge_case()
    assert intersect.triangle_hit.targetoptions.get("fastmath") is False
    t = _first_compiled_inside_fastmath(intersect.triangle_hit.targetoptions)(tri, *o, *d)
    assert np.isfinite(t).any(), "the ray leaked through the shared edge"
    np.testing.assert_allclose(t[np.isfinite(t)], 0.5, rtol=1e-12)
    # With numba 0.68 the same code with fastmath left unset returns inf for both triangles.
