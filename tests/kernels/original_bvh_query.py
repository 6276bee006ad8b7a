"""The first traversal kernels (main at 94e19ae), kept as the reference for the optimised ones.

``bvh`` is a :class:`BinaryBVH` named tuple of flat arrays (:func:`binary_bvh` makes it for a
scene: the binary tree its 8-wide ``FlatBVH`` was collapsed from): ``bounds`` (m, 6),
``child_or_first`` (m,), ``count`` (m,), ``tri`` (n, 9) triangle corners in leaf order and
``face`` (n,) the original face index of each. Single-ray functions take a preallocated
``stack`` (int64, length >= tree depth + 2) so that batch kernels allocate one per block of rays,
not one per ray; other kernels (lighting, sightlines) call them from their own loops.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from cpted_sim._jit import exact_jit, ijit, jit, pjit
from cpted_sim.kernels.intersect import fence, ray_shear, safe_inverse

STACK_SIZE = 160
BLOCK = 256


class BinaryBVH(NamedTuple):
    """The binary tree the traversal was first written for (the package keeps only the
    8-wide nodes collapsed from it)."""

    bounds: np.ndarray
    child_or_first: np.ndarray
    count: np.ndarray
    tri: np.ndarray
    face: np.ndarray


def binary_bvh(scene) -> BinaryBVH:
    """The binary tree of ``scene``, built as ``build_bvh`` builds it (same boxes, pad,
    leaf size and bins), with its triangles in the same leaf order as ``scene.bvh``."""
    from cpted_sim.geometry.bvh import MAX_LEAF, N_BINS, binary_tree
    from cpted_sim.kernels import bvh_build

    v = np.array(scene.vertices, dtype=np.float64)
    f = np.array(scene.faces, dtype=np.int64)
    n = f.shape[0]
    lo, hi, centroid = np.empty((n, 3)), np.empty((n, 3)), np.empty((n, 3))
    bvh_build.triangle_boxes(v, f, lo, hi, centroid, 0, n)
    pad = 1e-9 * max(float(np.max(v.max(axis=0) - v.min(axis=0))), 1.0)
    bounds, child, count, order, _ = binary_tree(lo, hi, centroid, MAX_LEAF, N_BINS, pad)
    assert np.array_equal(order, scene.bvh.face)  # the tree the scene's was collapsed from
    tri = np.empty((n, 9))
    bvh_build.gather_triangles(v, f, order, tri, 0, n)
    return BinaryBVH(bounds, child, count, tri, order)


# The watertight arithmetic as the first kernels had it, on an array row with branches
# (removed from intersect.py once ``triangle_hit`` became its one copy; kept here as the
# reference ``triangle_hit`` is checked against bit for bit, tests/kernels/test_nojit.py).
@exact_jit
def triangle_t(tri, i, ox, oy, oz, kx, ky, kz, sx, sy, sz):
    """Ray parameter of the hit with triangle ``i`` of ``tri`` ((n, 9) array), or ``inf``.

    ``t`` is in units of the direction's length. Hits exactly on an edge or vertex count.
    """
    o = (ox, oy, oz)
    ax_ = tri[i, kx] - o[kx]
    ay_ = tri[i, ky] - o[ky]
    az_ = tri[i, kz] - o[kz]
    bx_ = tri[i, 3 + kx] - o[kx]
    by_ = tri[i, 3 + ky] - o[ky]
    bz_ = tri[i, 3 + kz] - o[kz]
    cx_ = tri[i, 6 + kx] - o[kx]
    cy_ = tri[i, 6 + ky] - o[ky]
    cz_ = tri[i, 6 + kz] - o[kz]
    ax = ax_ - fence(sx * az_)
    ay = ay_ - fence(sy * az_)
    bx = bx_ - fence(sx * bz_)
    by = by_ - fence(sy * bz_)
    cx = cx_ - fence(sx * cz_)
    cy = cy_ - fence(sy * cz_)
    u = fence(cx * by) - fence(cy * bx)
    v = fence(ax * cy) - fence(ay * cx)
    w = fence(bx * ay) - fence(by * ax)
    if (u < 0.0 or v < 0.0 or w < 0.0) and (u > 0.0 or v > 0.0 or w > 0.0):
        return np.inf
    det = u + v + w
    if det == 0.0:
        return np.inf
    t = (fence(u * sz * az_) + fence(v * sz * bz_) + fence(w * sz * cz_)) / det
    return t


# The binary-node box test of the first kernels (removed from intersect.py once the 8-wide
# nodes replaced it; only this reference copy still reads binary boxes).
@ijit
def box_entry(bounds, n, ox, oy, oz, ix, iy, iz, tmin, tmax):
    """Entry parameter of the ray into box ``n`` of ``bounds`` ((m, 6)), or ``inf`` on a miss."""
    t0 = (bounds[n, 0] - ox) * ix
    t1 = (bounds[n, 3] - ox) * ix
    lo = min(t0, t1)
    hi = max(t0, t1)
    t0 = (bounds[n, 1] - oy) * iy
    t1 = (bounds[n, 4] - oy) * iy
    lo = max(lo, min(t0, t1))
    hi = min(hi, max(t0, t1))
    t0 = (bounds[n, 2] - oz) * iz
    t1 = (bounds[n, 5] - oz) * iz
    lo = max(lo, min(t0, t1))
    hi = min(hi, max(t0, t1))
    lo = max(lo, tmin)
    hi = min(hi, tmax)
    if lo <= hi:
        return lo
    return np.inf


@jit
def closest_hit_one(bvh, stack, ox, oy, oz, dx, dy, dz, tmin, tmax):
    """Closest hit along ``o + t d`` with ``tmin < t < tmax``.

    Returns ``(t, face)``; a miss is ``(inf, -1)``.
    """
    kx, ky, kz, sx, sy, sz = ray_shear(dx, dy, dz)
    ix, iy, iz = safe_inverse(dx, dy, dz)
    bounds = bvh.bounds
    child = bvh.child_or_first
    count = bvh.count
    tri = bvh.tri
    best = tmax
    hit = -1
    if box_entry(bounds, 0, ox, oy, oz, ix, iy, iz, tmin, best) == np.inf:
        return np.inf, -1
    sp = 0
    node = 0
    while True:
        c = count[node]
        if c > 0:
            first = child[node]
            for i in range(first, first + c):
                t = triangle_t(tri, i, ox, oy, oz, kx, ky, kz, sx, sy, sz)
                if t > tmin and t < best:
                    best = t
                    hit = i
        else:
            left = child[node]
            tl = box_entry(bounds, left, ox, oy, oz, ix, iy, iz, tmin, best)
            tr = box_entry(bounds, left + 1, ox, oy, oz, ix, iy, iz, tmin, best)
            if tl != np.inf and tr != np.inf:
                if tl <= tr:
                    stack[sp] = left + 1
                    node = left
                else:
                    stack[sp] = left
                    node = left + 1
                sp += 1
                continue
            if tl != np.inf:
                node = left
                continue
            if tr != np.inf:
                node = left + 1
                continue
        # Pop the next node still worth visiting.
        found = False
        while sp > 0:
            sp -= 1
            node = stack[sp]
            if box_entry(bounds, node, ox, oy, oz, ix, iy, iz, tmin, best) != np.inf:
                found = True
                break
        if not found:
            break
    if hit < 0:
        return np.inf, -1
    return best, bvh.face[hit]


@jit
def any_hit_one(bvh, stack, ox, oy, oz, dx, dy, dz, tmin, tmax):
    """Whether any triangle is hit along ``o + t d`` with ``tmin < t < tmax`` (early exit)."""
    kx, ky, kz, sx, sy, sz = ray_shear(dx, dy, dz)
    ix, iy, iz = safe_inverse(dx, dy, dz)
    bounds = bvh.bounds
    child = bvh.child_or_first
    count = bvh.count
    tri = bvh.tri
    if box_entry(bounds, 0, ox, oy, oz, ix, iy, iz, tmin, tmax) == np.inf:
        return False
    sp = 0
    stack[0] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        node = stack[sp]
        c = count[node]
        if c > 0:
            first = child[node]
            for i in range(first, first + c):
                t = triangle_t(tri, i, ox, oy, oz, kx, ky, kz, sx, sy, sz)
                if t > tmin and t < tmax:
                    return True
        else:
            left = child[node]
            if box_entry(bounds, left + 1, ox, oy, oz, ix, iy, iz, tmin, tmax) != np.inf:
                stack[sp] = left + 1
                sp += 1
            if box_entry(bounds, left, ox, oy, oz, ix, iy, iz, tmin, tmax) != np.inf:
                stack[sp] = left
                sp += 1
    return False


@jit
def transmittance_one(bvh, stack, face_transmittance, ox, oy, oz, dx, dy, dz, tmin, tmax):
    """Product of the transmittances of every face crossed with ``tmin < t < tmax``.

    1.0 when nothing is crossed, 0.0 as soon as an opaque face (transmittance 0) is crossed
    (early exit). ``face_transmittance`` is indexed by original face index.
    """
    kx, ky, kz, sx, sy, sz = ray_shear(dx, dy, dz)
    ix, iy, iz = safe_inverse(dx, dy, dz)
    bounds = bvh.bounds
    child = bvh.child_or_first
    count = bvh.count
    tri = bvh.tri
    face = bvh.face
    if box_entry(bounds, 0, ox, oy, oz, ix, iy, iz, tmin, tmax) == np.inf:
        return 1.0
    trans = 1.0
    stack[0] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        node = stack[sp]
        c = count[node]
        if c > 0:
            first = child[node]
            for i in range(first, first + c):
                t = triangle_t(tri, i, ox, oy, oz, kx, ky, kz, sx, sy, sz)
                if t > tmin and t < tmax:
                    trans *= face_transmittance[face[i]]
                    if trans <= 0.0:
                        return 0.0
        else:
            left = child[node]
            if box_entry(bounds, left + 1, ox, oy, oz, ix, iy, iz, tmin, tmax) != np.inf:
                stack[sp] = left + 1
                sp += 1
            if box_entry(bounds, left, ox, oy, oz, ix, iy, iz, tmin, tmax) != np.inf:
                stack[sp] = left
                sp += 1
    return trans


@jit
def segment_occluded(bvh, stack, ax, ay, az, bx, by, bz, offset):
    """Whether the segment from ``a`` to ``b`` is blocked, ignoring ``offset`` [m] at each end."""
    dx = bx - ax
    dy = by - ay
    dz = bz - az
    length = np.sqrt(dx * dx + dy * dy + dz * dz)
    if length <= 2.0 * offset:
        return False
    e = offset / length
    return any_hit_one(bvh, stack, ax, ay, az, dx, dy, dz, e, 1.0 - e)


@jit
def segment_transmittance(bvh, stack, face_transmittance, ax, ay, az, bx, by, bz, offset):
    """Transmittance of the segment from ``a`` to ``b`` (1 clear, 0 blocked)."""
    dx = bx - ax
    dy = by - ay
    dz = bz - az
    length = np.sqrt(dx * dx + dy * dy + dz * dz)
    if length <= 2.0 * offset:
        return 1.0
    e = offset / length
    return transmittance_one(bvh, stack, face_transmittance, ax, ay, az, dx, dy, dz, e, 1.0 - e)


@pjit
def closest_hit_batch(bvh, origins, directions, tmin, tmax, out_t, out_face):
    """Closest hits of many rays (directions of unit length give distances in metres)."""
    n = origins.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        for r in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            t, f = closest_hit_one(bvh, stack, origins[r, 0], origins[r, 1], origins[r, 2],
                                   directions[r, 0], directions[r, 1], directions[r, 2],
                                   tmin[r], tmax[r])
            out_t[r] = t
            out_face[r] = f


@pjit
def occluded_batch(bvh, origins, targets, offset, out):
    """``out[i]`` = whether the segment ``origins[i]`` -> ``targets[i]`` is blocked."""
    n = origins.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        for r in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            out[r] = segment_occluded(bvh, stack, origins[r, 0], origins[r, 1], origins[r, 2],
                                      targets[r, 0], targets[r, 1], targets[r, 2], offset)


@pjit
def transmittance_batch(bvh, face_transmittance, origins, targets, offset, out):
    """``out[i]`` = transmittance of the segment ``origins[i]`` -> ``targets[i]``."""
    n = origins.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        for r in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            out[r] = segment_transmittance(bvh, stack, face_transmittance,
                                           origins[r, 0], origins[r, 1], origins[r, 2],
                                           targets[r, 0], targets[r, 1], targets[r, 2], offset)


@pjit
def visibility_block(bvh, observers, targets, max_distance, offset, out):
    """``out[i, j]`` = observer ``i`` sees target ``j`` (unblocked and within ``max_distance``)."""
    n_obs = observers.shape[0]
    n_tg = targets.shape[0]
    md2 = max_distance * max_distance
    for i in prange(n_obs):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        ox = observers[i, 0]
        oy = observers[i, 1]
        oz = observers[i, 2]
        for j in range(n_tg):
            dx = targets[j, 0] - ox
            dy = targets[j, 1] - oy
            dz = targets[j, 2] - oz
            if dx * dx + dy * dy + dz * dz > md2:
                out[i, j] = False
                continue
            out[i, j] = not segment_occluded(bvh, stack, ox, oy, oz, targets[j, 0], targets[j, 1],
                                             targets[j, 2], offset)
