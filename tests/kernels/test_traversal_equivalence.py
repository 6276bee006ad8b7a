"""The optimised traversal answers exactly as the first, plain traversal did.

``original_bvh_query.py`` is the traversal as first written (binary nodes read from float64
boxes, no occluder cache, no ordering); the optimised kernels must give the same hits on
random rays through a synthetic district, and the float32 8-wide node boxes must nest and
contain their triangles. The watertightness test pins down the arithmetic fence of the
triangle test.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

import original_bvh_query as ref
from cpted_sim._jit import FASTMATH
from cpted_sim.kernels import bvh_query as q
from cpted_sim.kernels.bvh_build import WIDE
from cpted_sim.kernels.intersect import ray_shear, triangle_hit
from cpted_sim.scenario.synthetic import district


@pytest.fixture(scope="module")
def scene():
    return district(15_000, seed=2).scene


@pytest.fixture(scope="module")
def rays(scene):
    rng = np.random.default_rng(7)
    lo, hi = scene.bounds - scene.origin
    n = 20_000
    o = rng.uniform(lo - 5, hi + 5, (n, 3))
    o[:, 2] = rng.uniform(0.1, hi[2] + 5, n)
    t = rng.uniform(lo, hi, (n, 3))
    return np.ascontiguousarray(o), np.ascontiguousarray(t)


def test_wide_nodes_nest_and_cover_every_triangle_once(scene):
    b = scene.bvh
    n = WIDE
    assert b.nodes.dtype == np.int32 and b.nodes.shape[1] == 8 * n
    assert b.nodes.ctypes.data % 64 == 0
    ref, cnt = b.nodes[:, 6 * n:7 * n], b.nodes[:, 7 * n:]
    # (w, bound, slot)
    box = b.nodes.view(np.float32)[:, :6 * n].astype(np.float64).reshape(-1, 6, n)
    seen = np.zeros(b.tri.shape[0], dtype=np.int64)
    for w in range(b.nodes.shape[0]):
        for k in range(n):
            if cnt[w, k] < 0:
                assert np.all(cnt[w, k:] < 0)  # empty slots last
                assert np.all(box[w, :, k:] == np.inf)  # and never entered
                break
            lo, hi = box[w, :3, k], box[w, 3:, k]
            if cnt[w, k] > 0:
                rows = np.arange(ref[w, k], ref[w, k] + cnt[w, k])
                seen[rows] += 1
                corners = b.tri[rows].reshape(-1, 3)
                assert np.all(corners >= lo) and np.all(corners <= hi)
            else:
                kid = box[ref[w, k]]
                used = cnt[ref[w, k]] >= 0
                assert np.all(kid[:3, used] >= lo[:, None]) and np.all(kid[3:, used] <= hi[:, None])
    assert np.all(seen == 1)
    # The collapse fills the slots: most wide nodes use more than half of them.
    assert (cnt >= 0).sum(axis=1).mean() > n / 2


def test_closest_hit_matches_original(scene, rays):
    o, t = rays
    d = t - o
    d /= np.linalg.norm(d, axis=1)[:, None]
    n = len(o)
    out = [(np.empty(n), np.empty(n, dtype=np.int64)) for _ in range(2)]
    for mod, bvh, (tt, ff) in zip((ref, q), (ref.binary_bvh(scene), scene.bvh), out):
        mod.closest_hit_batch(bvh, o, d, np.zeros(n), np.full(n, np.inf), tt, ff)
    assert (out[0][1] >= 0).mean() > 0.5
    assert np.array_equal(out[0][1], out[1][1])
    # Same triangle; the distance may differ in the last bit between compiled call sites.
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-12, atol=1e-12)


def test_occluded_and_visibility_match_original(scene, rays):
    o, t = rays
    a = np.empty(len(o), dtype=bool)
    b = np.empty(len(o), dtype=bool)
    ref.occluded_batch(ref.binary_bvh(scene), o, t, 1e-6, a)
    q.occluded_batch(scene.bvh, o, t, 1e-6, b)
    assert 0.1 < a.mean() < 0.9
    assert np.array_equal(a, b)
    va = np.empty((50, 400), dtype=bool)
    vb = np.empty((50, 400), dtype=bool)
    ref.visibility_block(ref.binary_bvh(scene), o[:50], t[:400], 300.0, 1e-6, va)
    q.visibility_block(scene.bvh, o[:50], t[:400], 300.0, 1e-6, vb)
    assert np.array_equal(va, vb)


def test_transmittance_matches_original(scene, rays):
    o, t = rays
    rng = np.random.default_rng(3)
    ft = rng.choice([0.0, 0.5, 0.9], scene.n_faces)
    a = np.empty(len(o))
    b = np.empty(len(o))
    ref.transmittance_batch(ref.binary_bvh(scene), ft, o, t, 1e-6, a)
    q.transmittance_batch(scene.bvh, ft, o, t, 1e-6, b)
    np.testing.assert_allclose(b, a, rtol=1e-12)


@numba.njit(fastmath=FASTMATH)
def _user_kernel(bvh, o, t, offset, out):
    # How another engineer's kernel calls the single-segment query.
    stack = np.empty(q.STACK_SIZE, dtype=np.int64)
    for i in range(o.shape[0]):
        out[i] = q.segment_occluded(bvh, stack, o[i, 0], o[i, 1], o[i, 2],
                                    t[i, 0], t[i, 1], t[i, 2], offset)


def test_single_segment_query_from_a_user_kernel(scene, rays):
    o, t = rays
    a = np.empty(len(o), dtype=bool)
    b = np.empty(len(o), dtype=bool)
    q.occluded_batch(scene.bvh, o, t, 1e-6, a)
    _user_kernel(scene.bvh, o, t, 1e-6, b)
    assert np.array_equal(a, b)


@numba.njit(fastmath=FASTMATH)
def _edge_misses(P, Q, R, S, O, T):
    # Two triangles P-Q-R and Q-P-S share the edge P-Q; every ray passes through a point of
    # that edge. Called from a fastmath kernel, where LLVM would fuse unfenced products.
    misses = 0
    for r in range(O.shape[0]):
        dx = T[r, 0] - O[r, 0]
        dy = T[r, 1] - O[r, 1]
        dz = T[r, 2] - O[r, 2]
        kx, ky, kz, sx, sy, sz = ray_shear(dx, dy, dz)
        o = (O[r, 0], O[r, 1], O[r, 2])
        hit = False
        for k in range(2):
            a = (P[r, 0], P[r, 1], P[r, 2]) if k == 0 else (Q[r, 0], Q[r, 1], Q[r, 2])
            b = (Q[r, 0], Q[r, 1], Q[r, 2]) if k == 0 else (P[r, 0], P[r, 1], P[r, 2])
            c = (R[r, 0], R[r, 1], R[r, 2]) if k == 0 else (S[r, 0], S[r, 1], S[r, 2])
            t = triangle_hit(a[kx], a[ky], a[kz], b[kx], b[ky], b[kz], c[kx], c[ky], c[kz],
                             o[kx], o[ky], o[kz], sx, sy, sz)
            if t < np.inf:
                hit = True
        if not hit:
            misses += 1
    return misses


def test_no_ray_leaks_through_a_shared_edge_in_a_fastmath_caller():
    # Without the arithmetic fence about 1 % of these rays missed both triangles.
    rng = np.random.default_rng(11)
    n = 200_000
    P = rng.uniform(-10, 10, (n, 3))
    Q = rng.uniform(-10, 10, (n, 3))
    R = (P + Q) / 2 + rng.normal(size=(n, 3))
    S = P + Q - R  # R mirrored through the edge midpoint: a planar quad split on P-Q
    E = P + rng.uniform(0, 1, (n, 1)) * (Q - P)
    O = E + rng.uniform(-30, 30, (n, 3))
    T = 2 * E - O
    assert _edge_misses(P, Q, R, S, O, T) == 0


@pytest.mark.slow
def test_policy_walk_equals_the_two_loops_it_replaced_bit_for_bit(scene, rays):
    """``_walk`` with the any-hit and the transmittance policies finds the same rows in the same
    order and multiplies the same factors in the same order as the hand-written loops did."""
    import wide_before_merge as before

    o, t = rays
    rng = np.random.default_rng(5)
    ft = rng.choice([0.0, 0.35, 0.5, 0.9, 1.0], scene.n_faces)
    hint = np.where(rng.random(len(o)) < 0.5, rng.integers(0, scene.n_faces, len(o)), -1)
    out = [(np.empty(len(o), dtype=np.int64), np.empty(len(o))) for _ in range(2)]
    for kernel, (rows, trans) in zip((before.rows_and_transmittance, _rows_and_transmittance),
                                     out):
        kernel(scene.bvh, ft, o, t, 1e-6, hint, rows, trans)
    (rows_a, trans_a), (rows_b, trans_b) = out
    assert 0.5 < (rows_a >= 0).mean() < 0.95  # 0.79 of the segments blocked with these seeds
    assert 0.15 < ((trans_a > 0) & (trans_a < 1)).mean() < 0.8  # 0.38 partly see-through
    assert np.array_equal(rows_a, rows_b)
    assert np.array_equal(trans_a, trans_b)


@numba.njit(parallel=True, fastmath=FASTMATH)
def _rows_and_transmittance(bvh, face_transmittance, origins, targets, offset, hint, rows, trans):
    for r in numba.prange(origins.shape[0]):
        stack = np.empty(q.STACK_SIZE, dtype=np.int64)
        links = bvh.nodes
        nodes = links.view(np.float32)
        ax, ay, az = origins[r, 0], origins[r, 1], origins[r, 2]
        dx, dy, dz, t0, t1 = q._segment(ax, ay, az, targets[r, 0], targets[r, 1],
                                        targets[r, 2], offset)
        rows[r] = q._any_row(nodes, links, bvh.tri, stack, ax, ay, az, dx, dy, dz, t0, t1,
                             hint[r])
        trans[r] = q._transmit(nodes, links, bvh.tri, bvh.face, face_transmittance, stack,
                               ax, ay, az, dx, dy, dz, t0, t1, 0.1)
