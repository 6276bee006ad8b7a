"""Frontiers: where the walks of a run of neighbouring segments can start instead of the root.

Segments that run side by side (shadow rays from neighbouring points to one light, sightlines
from one window to neighbouring street points) lie in a box much smaller than the scene; the
nodes whose boxes meet it are found once for the run (:func:`run_frontier`), and each segment's
walk (``bvh_query._walk``) starts from them, skipping the top of the tree. On W1 (1M
district) that took the trace from 0.26 to 0.20 CPU-s on one thread (``docs/performance.md``,
issue 16).

A walk's stack entry is a node row in the low 32 bits and, above, the mask of the slots to
test: every slot for a node reached by descending (``ALL_SLOTS``), fewer for a frontier's
entries.
"""

from __future__ import annotations

import numpy as np

from .._jit import ijit
from .bvh_build import CNT, REF, WIDE

ROW_MASK = (1 << 32) - 1  # the node row of a stack entry
ALL_SLOTS = ((1 << WIDE) - 1) << 32  # the slot mask of an entry reached by descending
# Segment batches start each run of FRONT_GROUP consecutive segments from the run's frontier
# of at most FRONT_CAP entries. Chosen on W1, 1M district, one thread (CPU-s of the trace;
# root start 0.26): runs of 16 / 32 / 64 / 128 with a cap of 4: 0.21 / 0.195 / 0.20 / 0.21;
# 32 with a cap of 2 / 3 / 4 / 8: 0.215 / 0.21 / 0.195 / 0.24.
FRONT_GROUP = 32
FRONT_CAP = 4


@ijit
def _slots_meeting(nodes, w, x0, y0, z0, x1, y1, z1):
    """Mask of the slots of node ``w`` whose boxes meet the box ``[x0, x1] x [y0, y1] x
    [z0, z1]`` (closed boxes; empty slots, at +inf, never do)."""
    m = 0
    for k in range(WIDE):
        if (nodes[w, k] <= x1 and nodes[w, 3 * WIDE + k] >= x0
                and nodes[w, WIDE + k] <= y1 and nodes[w, 4 * WIDE + k] >= y0
                and nodes[w, 2 * WIDE + k] <= z1 and nodes[w, 5 * WIDE + k] >= z0):
            m |= 1 << k
    return m


@ijit
def grown(box, x, y, z):
    """``box`` ``(x0, y0, z0, x1, y1, z1)`` grown to hold ``(x, y, z)``; start from
    ``(inf, inf, inf, -inf, -inf, -inf)``. A tuple of scalars, so that a run's box stays in
    registers (the same box in an array made W1's trace 10 % slower)."""
    x0, y0, z0, x1, y1, z1 = box
    return min(x0, x), min(y0, y), min(z0, z), max(x1, x), max(y1, y), max(z1, z)


@ijit
def _widened(lo, hi):
    """``[lo, hi]`` widened by a relative 1e-9 plus 1e-9 m (see :func:`run_frontier`)."""
    return lo - 1e-9 * (1.0 + abs(lo)), hi + 1e-9 * (1.0 + abs(hi))


@ijit
def run_frontier(nodes, links, front, cap, x0, y0, z0, x1, y1, z1):
    """The frontier of the segments inside the box ``[x0, x1] x [y0, y1] x [z0, z1]``: where
    their walks can start instead of at the root. Returns its length ``n`` (0: nothing can
    be hit) and fills ``front[:n]``.

    Each entry is a node row and a mask of its slots (``_walk``'s stack entries). Starting
    from the root, an entry is replaced by the interior children it holds whose boxes meet
    the box (and by itself, restricted to its leaf slots that meet it), as long as the
    frontier stays within ``cap`` entries. Every slot left out of it, or left out of a mask,
    has a box that does not meet the box, so no segment inside it can hit a triangle under
    it. The box is first widened by a relative 1e-9 (plus 1e-9 m), far more than the
    rounding of the triangle test, so that a hit it reports just outside the exact segment
    is never cut off. Segments that run side by side (shadow rays to one light, sightlines
    from one window to neighbouring points) skip the top of the tree together.
    """
    x0, x1 = _widened(x0, x1)
    y0, y1 = _widened(y0, y1)
    z0, z1 = _widened(z0, z1)
    front[0] = ALL_SLOTS
    n = 1
    e = 0
    while e < n:
        w = front[e] & ROW_MASK
        meet = _slots_meeting(nodes, w, x0, y0, z0, x1, y1, z1) & (front[e] >> 32)
        if meet == 0:
            n -= 1
            front[e] = front[n]
            continue
        leaves = 0
        inner = 0
        for k in range(WIDE):
            if (meet >> k) & 1:
                if links[w, CNT + k] > 0:
                    leaves |= 1 << k
                elif links[w, CNT + k] == 0:
                    inner += 1
        if inner == 0 or n - 1 + inner + (1 if leaves else 0) > cap:
            front[e] = np.int64(w) | (np.int64(meet) << 32)
            e += 1
            continue
        n -= 1
        front[e] = front[n]  # an entry not yet looked at, or e == n
        if leaves:
            front[n] = np.int64(w) | (np.int64(leaves) << 32)
            n += 1
        for k in range(WIDE):
            if (meet >> k) & 1 and links[w, CNT + k] == 0:
                front[n] = np.int64(links[w, REF + k]) | ALL_SLOTS
                n += 1
    return n
