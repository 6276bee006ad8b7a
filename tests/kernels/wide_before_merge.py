"""The 8-wide any-hit and transmittance walks as two hand-written loops (main at 87c1bf1).

``kernels/bvh_query.py`` now writes them once (``_walk`` with a hit policy); these frozen
copies (less the unused ``bounds`` argument) are the reference that the policy walk must
match bit for bit: the same rows found in the same order, the same products
(``tests/kernels/test_traversal_equivalence.py``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from cpted_sim._jit import ijit, pjit
from cpted_sim.kernels.bvh_build import WIDE
from cpted_sim.kernels.bvh_query import (CNT, REF, STACK_SIZE, _SCRATCH, _ray_setup,
                                         _segment)
from cpted_sim.kernels.intersect import child_entries, safe_inverse, triangle_t_sheared

BLOCK = 256


@ijit
def _any_row(nodes, links, tri, stack, ox, oy, oz, dx, dy, dz, tmin, tmax, hint):
    """Row in ``tri`` of some triangle hit with ``tmin < t < tmax``, or -1.

    ``hint`` (a row or -1) is tested first: shadow rays from nearby points tend to be blocked
    by the same triangle (the occluder cache).
    """
    kx, ky, kz, sx, sy, sz, okx, oky, okz = _ray_setup(ox, oy, oz, dx, dy, dz)
    if hint >= 0:
        t = triangle_t_sheared(tri, hint, okx, oky, okz, kx, ky, kz, sx, sy, sz)
        if t > tmin and t < tmax:
            return hint
    ix, iy, iz = safe_inverse(dx, dy, dz)
    fstack = stack.view(np.float64)
    stack[0] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        w = stack[sp]
        child_entries(nodes, w, ox, oy, oz, ix, iy, iz, tmin, tmax, fstack, _SCRATCH)
        for k in range(WIDE):
            c = links[w, CNT + k]
            if c < 0:
                break
            if fstack[_SCRATCH + k] == np.inf:
                continue
            r = links[w, REF + k]
            if c > 0:
                for i in range(r, r + c):
                    t = triangle_t_sheared(tri, i, okx, oky, okz, kx, ky, kz, sx, sy, sz)
                    if t > tmin and t < tmax:
                        return i
            else:
                stack[sp] = r
                sp += 1
    return -1


@ijit
def _transmit(nodes, links, tri, face, face_transmittance, stack, ox, oy, oz, dx, dy, dz,
              tmin, tmax, floor):
    """Product of the transmittances of the faces crossed with ``tmin < t < tmax``.

    0.0 as soon as the product reaches 0 or falls below ``floor`` (early exit).
    """
    kx, ky, kz, sx, sy, sz, okx, oky, okz = _ray_setup(ox, oy, oz, dx, dy, dz)
    ix, iy, iz = safe_inverse(dx, dy, dz)
    fstack = stack.view(np.float64)
    trans = 1.0
    stack[0] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        w = stack[sp]
        child_entries(nodes, w, ox, oy, oz, ix, iy, iz, tmin, tmax, fstack, _SCRATCH)
        for k in range(WIDE):
            c = links[w, CNT + k]
            if c < 0:
                break
            if fstack[_SCRATCH + k] == np.inf:
                continue
            r = links[w, REF + k]
            if c > 0:
                for i in range(r, r + c):
                    t = triangle_t_sheared(tri, i, okx, oky, okz, kx, ky, kz, sx, sy, sz)
                    if t > tmin and t < tmax:
                        trans *= face_transmittance[face[i]]
                        if trans <= 0.0 or trans < floor:
                            return 0.0
            else:
                stack[sp] = r
                sp += 1
    return trans


@pjit
def rows_and_transmittance(bvh, face_transmittance, origins, targets, offset, hint, rows, trans):
    """Per segment: the row the any-hit walk returns (``hint`` tested first) and the
    transmittance with a ``floor`` of 0.1."""
    n = origins.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        links = bvh.nodes
        nodes = links.view(np.float32)
        for r in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            ax, ay, az = origins[r, 0], origins[r, 1], origins[r, 2]
            dx, dy, dz, t0, t1 = _segment(ax, ay, az, targets[r, 0], targets[r, 1],
                                          targets[r, 2], offset)
            rows[r] = _any_row(nodes, links, bvh.tri, stack, ax, ay, az, dx, dy, dz, t0, t1,
                               hint[r])
            trans[r] = _transmit(nodes, links, bvh.tri, bvh.face, face_transmittance, stack,
                                 ax, ay, az, dx, dy, dz, t0, t1, 0.1)
