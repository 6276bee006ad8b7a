"""BVH traversal: closest hit, any hit and transmittance along rays and segments.

``bvh`` is a ``FlatBVH`` named tuple of flat arrays (``geometry/bvh.py``). Traversal reads
``nodes`` (int32 words), the tree collapsed to 8-wide nodes of 256 bytes (eight float32 child
boxes rounded outward, then per child its node or first triangle and its triangle count);
``tri`` (n, 9) float64 triangle corners in leaf order; ``face`` (n,) their original face
indices. ``intersect.child_entries`` tests all eight boxes of a node as one vector.

Two traversal orders: ``_closest`` visits the nearest child entered first (closest hit);
``_walk`` walks depth first in slot order and hands every hit to a policy, a jitted function
passed as an argument that Numba specialises and inlines per policy (``_stop_at_first`` for
any hit, ``_attenuate`` for transmittance). Why two and not one: ``docs/architecture.md`` §11.

Single-ray functions take a preallocated ``stack`` (int64, ``STACK_SIZE``) so that batch
kernels allocate one per block of rays, not one per ray; other kernels (lighting, sightlines)
call them from their own loops. The traversal cores are inlined at Numba IR level (``ijit``)
into the batch kernels and into these single-ray functions, which are ordinary compiled
functions for other kernels to call: inlining them into every caller made a cold start three
times slower (Numba's inliner re-types the body at each site). The exact triangle test is a
scalar-only call (``intersect.triangle_hit``).

Performance notes (history in ``docs/performance.md``): the cores ``_closest`` and ``_walk``
(under ``_any_hit`` and ``_transmit``) take the arrays themselves, which batch kernels unpack
once per call, so that no reference counting happens per ray; closest hit descends straight
into the nearest child entered and prefetches the others. Large batches are first sorted by
grid cell (rays by origin and direction octant, segments by target) so that consecutive rays
share nodes in cache (``ray_order.py``). Segment batches (shadow rays, sightlines) go in runs
of neighbouring segments: each run starts its walks from the run's frontier, the few nodes
below which everything the run can hit lies (``frontier.py``), instead of at the root; and
each segment first tests the triangle, then the node, that blocked the previous one (the
occluder cache, :func:`_any_hit`). Visibility matrices are traced in tiles of neighbouring
observers by neighbouring targets (:func:`_visibility_tiles`).

Batches are not ``prange`` loops: each batch kernel is serial, runs on several Python threads
at once (it releases the GIL) and takes blocks of rays from a shared atomic counter
(``workers``), so a thread that the OS preempts takes fewer blocks instead of holding up a
barrier (issue 16; ``docs/performance.md``).

The triangle test is a call into ``intersect`` (exact arithmetic, see there). The batch entry
points check that ``nodes`` meets the alignment its vector loads assume (:func:`check_nodes`).
"""

from __future__ import annotations

import numpy as np

from .._jit import bjit, ijit, jit
from ..errors import AlignmentError
from . import ray_order as ro
from .bvh_build import CNT, REF, WIDE
from .frontier import ALL_SLOTS, FRONT_CAP, FRONT_GROUP, ROW_MASK, grown, run_frontier
from .intersect import (child_entries, lowest_bit, prefetch,
                        ray_shear, safe_inverse, triangle_t_sheared)
from .scratch import scratch
from .workers import fetch_add, n_threads, run_threads

STACK_SIZE = 1024
BLOCK = 256  # rays a thread takes at a time from a batch
_FSTACK = STACK_SIZE // 2  # closest hit keeps entry distances in the upper half of the stack
_SCRATCH = STACK_SIZE - WIDE  # the child entry distances of the node being visited
# Visibility matrices are traced in tiles of VIS_TILE (observers, targets), each observer's
# targets in runs of VIS_GROUP from their frontier. W3 (1 000 x 10 000), one thread, CPU-s:
# one observer at a time, runs of 32: 1M 1.76-1.86, 4M 3.05-3.40; tiles of 64 x 1 024,
# runs of 64 / 256: 1M 1.57 / 1.58, 4M 2.44 / 2.46; tiles of 32 x 512: 1M 1.57, 4M 2.62.
VIS_TILE = (64, 1024)
VIS_GROUP = 128


NODE_ALIGN = 32  # bytes: ``child_entries`` loads each row's box planes as aligned <8 x float>


def check_nodes(bvh) -> None:
    """Raise :class:`AlignmentError` unless ``bvh.nodes`` is what the traversal kernels assume.

    C-contiguous int32 rows of ``8 * WIDE`` words starting on a ``NODE_ALIGN``-byte boundary
    (``child_entries`` loads them as aligned vectors: anything else is undefined behaviour,
    which may read the wrong boxes or crash). ``geometry.bvh`` builds such arrays and restores
    them aligned when a scene is unpickled. Cheap: no data is read.
    """
    nodes = bvh.nodes
    if (not isinstance(nodes, np.ndarray) or nodes.dtype != np.int32 or nodes.ndim != 2
            or nodes.shape[1] != 8 * WIDE or not nodes.flags.c_contiguous):
        raise AlignmentError(f"bvh.nodes: expected C-contiguous int32 rows of {8 * WIDE} words, "
                             f"got {getattr(nodes, 'dtype', type(nodes).__name__)} "
                             f"{getattr(nodes, 'shape', '')}")
    offset = nodes.ctypes.data % NODE_ALIGN
    if offset:
        raise AlignmentError(f"bvh.nodes: data starts {offset} bytes past a {NODE_ALIGN}-byte "
                             f"boundary (rebuild it with geometry.bvh.wide_nodes, or "
                             f"geometry.bvh.aligned_copy)")


@ijit
def _ray_setup(ox, oy, oz, dx, dy, dz):
    kx, ky, kz, sx, sy, sz = ray_shear(dx, dy, dz)
    o = (ox, oy, oz)
    return kx, ky, kz, sx, sy, sz, o[kx], o[ky], o[kz]


@ijit
def _prefetch_children(links, tri, w, mask):
    """Start loading what the children of node ``w`` set in ``mask`` will read.

    Their node rows (four cache lines) or leaf triangles, all at once, so that the loads
    overlap each other and the work on this node instead of waiting one after another.
    """
    while mask != 0:
        k = lowest_bit(mask)
        mask &= mask - 1
        c = links[w, CNT + k]
        r = links[w, REF + k]
        if c > 0:
            prefetch(tri, r, 0)
            prefetch(tri, r + c - 1, 8)
        else:
            prefetch(links, r, 0)
            prefetch(links, r, 16)
            prefetch(links, r, 32)
            prefetch(links, r, 48)


@ijit
def _closest(nodes, links, tri, stack, ox, oy, oz, dx, dy, dz, tmin, tmax):
    """Row of ``tri`` of the closest hit with ``tmin < t < tmax`` and its ``t`` (-1, inf).

    Leaf children are tested as soon as their box is entered; of the interior children
    entered, the nearest is visited next and the others are pushed farthest first, so the
    stack pops them nearest first; a popped node is skipped when its entry lies beyond the
    closest hit found meanwhile.
    """
    kx, ky, kz, sx, sy, sz, okx, oky, okz = _ray_setup(ox, oy, oz, dx, dy, dz)
    ix, iy, iz = safe_inverse(dx, dy, dz)
    fstack = stack.view(np.float64)
    best = tmax
    hit = -1
    sp = 0
    w = 0
    while True:
        mask = child_entries(nodes, w, ox, oy, oz, ix, iy, iz, tmin, best, fstack, _SCRATCH)
        nxt = -1
        nxt_t = np.inf
        base = sp
        _prefetch_children(links, tri, w, mask)
        while mask != 0:
            k = lowest_bit(mask)
            mask &= mask - 1
            c = links[w, CNT + k]
            r = links[w, REF + k]
            if c > 0:
                for i in range(r, r + c):
                    t = triangle_t_sheared(tri, i, okx, oky, okz, kx, ky, kz, sx, sy, sz)
                    if t > tmin and t < best:
                        best = t
                        hit = i
                continue
            te = fstack[_SCRATCH + k]
            if nxt < 0:
                nxt = r
                nxt_t = te
                continue
            if te < nxt_t:
                r, nxt = nxt, r
                te, nxt_t = nxt_t, te
            # Insert keeping the pushed run sorted by decreasing entry (nearest on top).
            j = sp
            while j > base and fstack[_FSTACK + j - 1] < te:
                stack[j] = stack[j - 1]
                fstack[_FSTACK + j] = fstack[_FSTACK + j - 1]
                j -= 1
            stack[j] = r
            fstack[_FSTACK + j] = te
            sp += 1
        if nxt >= 0 and nxt_t <= best:
            w = nxt
            continue
        w = -1
        while sp > 0:
            sp -= 1
            if fstack[_FSTACK + sp] <= best:
                w = stack[sp]
                break
        if w < 0:
            break
    return hit, best


@ijit
def _stop_at_first(i, acc, ctx):
    """Any-hit policy of :func:`_walk`: the first triangle hit ends the walk."""
    return acc, True


@ijit
def _attenuate(i, acc, ctx):
    """Transmittance policy of :func:`_walk`: multiply by the transmittance of the face hit.

    ``ctx`` is ``(face, face_transmittance, floor)``; the walk ends with 0.0 as soon as the
    product reaches 0 or falls below ``floor``.
    """
    face, face_transmittance, floor = ctx
    acc *= face_transmittance[face[i]]
    if acc <= 0.0 or acc < floor:
        return 0.0, True
    return acc, False


@ijit
def _walk(nodes, links, tri, stack, ray, ox, oy, oz, dx, dy, dz, tmin, tmax, on_hit, ctx,
          front, n_front):
    """Depth-first walk of the tree, calling ``on_hit`` for every triangle hit on the way.

    ``ray`` is :func:`_ray_setup`'s tuple. The walk starts from the stack entries
    ``front[:n_front]`` (``ALL_SLOTS``: the root; a frontier, ``frontier.run_frontier``; or
    any node, to search only its subtree). Children are visited in slot order (those entered within
    ``[tmin, tmax]``), leaves tested as soon as their box is entered. For each triangle hit
    with ``tmin < t < tmax``, ``acc, stop = on_hit(row, acc, ctx)`` (``acc`` starts at 1.0);
    ``stop`` ends the walk. Returns ``(row, acc, node)``: the row of the last hit (-1 if none),
    the final ``acc`` and the node whose leaf held that row.

    The policy is a compile-time argument: Numba specialises (and inlines) the walk for each
    policy function, so the any-hit and transmittance walks are as fast as the two
    hand-written loops they replace (figures in ``docs/architecture.md`` §11).
    """
    kx, ky, kz, sx, sy, sz, okx, oky, okz = ray
    ix, iy, iz = safe_inverse(dx, dy, dz)
    fstack = stack.view(np.float64)
    acc = 1.0
    row = -1
    at = -1
    for e in range(n_front):
        stack[e] = front[e]
    sp = n_front
    while sp > 0:
        sp -= 1
        w = stack[sp] & ROW_MASK
        mask = child_entries(nodes, w, ox, oy, oz, ix, iy, iz, tmin, tmax, fstack,
                             _SCRATCH) & (stack[sp] >> 32)
        for k in range(WIDE):
            c = links[w, CNT + k]
            if c < 0:
                break
            if (mask >> k) & 1 == 0:
                continue
            r = links[w, REF + k]
            if c > 0:
                for i in range(r, r + c):
                    t = triangle_t_sheared(tri, i, okx, oky, okz, kx, ky, kz, sx, sy, sz)
                    if t > tmin and t < tmax:
                        row = i
                        at = w
                        acc, stop = on_hit(i, acc, ctx)
                        if stop:
                            return row, acc, at
            else:
                stack[sp] = np.int64(r) | ALL_SLOTS
                sp += 1
    return row, acc, at


@ijit
def _blocks(tri, row, ray, tmin, tmax):
    """Whether triangle ``row`` (or -1: none) is hit with ``tmin < t < tmax``."""
    if row < 0:
        return False
    kx, ky, kz, sx, sy, sz, okx, oky, okz = ray
    t = triangle_t_sheared(tri, row, okx, oky, okz, kx, ky, kz, sx, sy, sz)
    return t > tmin and t < tmax


@ijit
def _any_row(nodes, links, tri, stack, ox, oy, oz, dx, dy, dz, tmin, tmax, hint):
    """Row in ``tri`` of some triangle hit with ``tmin < t < tmax``, or -1.

    ``hint`` (a row or -1) is tested first: shadow rays from nearby points tend to be blocked
    by the same triangle (the occluder cache). One walk from the root: the single-segment
    queries that other kernels call compile this, and a second inlined walk (the node cache
    of :func:`_any_hit`) made the lighting kernels slower to compile (cold first
    ``illuminance`` 9.5 -> 10.0 s).
    """
    ray = _ray_setup(ox, oy, oz, dx, dy, dz)
    if _blocks(tri, hint, ray, tmin, tmax):
        return hint
    stack[0] = ALL_SLOTS  # the root
    row, _, _ = _walk(nodes, links, tri, stack, ray, ox, oy, oz, dx, dy, dz, tmin, tmax,
                      _stop_at_first, 0.0, stack, 1)
    return row


@ijit
def _any_hit(nodes, links, tri, stack, ox, oy, oz, dx, dy, dz, tmin, tmax, hint, hint_node,
             front, n_front):
    """Some triangle hit with ``tmin < t < tmax``: ``(row, node)``, its row in ``tri`` and the
    node whose leaf holds it, or ``(-1, -1)``. For the batch kernels of runs of segments.

    The occluder cache of a run of neighbouring segments: the triangle ``hint`` that blocked
    the previous one is tested first, then the subtree of ``hint_node`` (its neighbours on
    the same facade), and only then the tree from ``front[:n_front]`` (the run's frontier).
    A row or node of -1 is skipped. Any hit answers an any-hit query, so the order changes
    which row is found, never whether one is.
    """
    ray = _ray_setup(ox, oy, oz, dx, dy, dz)
    if _blocks(tri, hint, ray, tmin, tmax):
        return hint, hint_node
    if hint_node >= 0:
        stack[0] = np.int64(hint_node) | ALL_SLOTS
        row, _, at = _walk(nodes, links, tri, stack, ray, ox, oy, oz, dx, dy, dz, tmin, tmax,
                           _stop_at_first, 0.0, stack, 1)
        if row >= 0:
            return row, at
    row, _, at = _walk(nodes, links, tri, stack, ray, ox, oy, oz, dx, dy, dz, tmin, tmax,
                       _stop_at_first, 0.0, front, n_front)
    return row, at


@ijit
def _transmit(nodes, links, tri, face, face_transmittance, stack, ox, oy, oz, dx, dy, dz,
              tmin, tmax, floor):
    """Product of the transmittances of the faces crossed with ``tmin < t < tmax``.

    0.0 as soon as the product reaches 0 or falls below ``floor`` (early exit).
    """
    ray = _ray_setup(ox, oy, oz, dx, dy, dz)
    stack[0] = ALL_SLOTS  # start at the root
    _, trans, _ = _walk(nodes, links, tri, stack, ray, ox, oy, oz, dx, dy, dz, tmin, tmax,
                        _attenuate, (face, face_transmittance, floor), stack, 1)
    return trans


@ijit
def _segment(ax, ay, az, bx, by, bz, offset):
    """Direction ``b - a`` and the parameter range that skips ``offset`` at both ends.

    Returns ``(dx, dy, dz, tmin, tmax)``; ``tmin > tmax`` when the segment is too short.
    """
    dx = bx - ax
    dy = by - ay
    dz = bz - az
    length = np.sqrt(dx * dx + dy * dy + dz * dz)
    if length <= 2.0 * offset:
        return dx, dy, dz, 1.0, 0.0
    e = offset / length
    return dx, dy, dz, e, 1.0 - e


# --------------------------------------------------------------------------- public, one ray
@jit
def closest_hit_one(bvh, stack, ox, oy, oz, dx, dy, dz, tmin, tmax):
    """Closest hit along ``o + t d`` with ``tmin < t < tmax``.

    Returns ``(t, face)``; a miss is ``(inf, -1)``. Children are visited nearest first; a
    deferred child is skipped when its entry lies beyond the closest hit found meanwhile.
    """
    row, t = _closest(bvh.nodes.view(np.float32), bvh.nodes, bvh.tri, stack,
                      ox, oy, oz, dx, dy, dz, tmin, tmax)
    if row < 0:
        return np.inf, -1
    return t, bvh.face[row]


@jit
def segment_occluded(bvh, stack, ax, ay, az, bx, by, bz, offset):
    """Whether the segment from ``a`` to ``b`` is blocked, ignoring ``offset`` [m] at each end."""
    dx, dy, dz, t0, t1 = _segment(ax, ay, az, bx, by, bz, offset)
    if t0 > t1:
        return False
    return _any_row(bvh.nodes.view(np.float32), bvh.nodes, bvh.tri, stack,
                    ax, ay, az, dx, dy, dz, t0, t1, -1) >= 0


@jit
def segment_transmittance(bvh, stack, face_transmittance, ax, ay, az, bx, by, bz, offset):
    """Transmittance of the segment from ``a`` to ``b`` (1 clear, 0 blocked)."""
    dx, dy, dz, t0, t1 = _segment(ax, ay, az, bx, by, bz, offset)
    if t0 > t1:
        return 1.0
    return _transmit(bvh.nodes.view(np.float32), bvh.nodes, bvh.tri, bvh.face,
                     face_transmittance, stack, ax, ay, az, dx, dy, dz, t0, t1, 0.0)


@jit
def segment_transmittance_floor(bvh, stack, face_transmittance, floor, ax, ay, az, bx, by, bz,
                                offset):
    """Transmittance of the segment from ``a`` to ``b``, or 0 as soon as it falls below ``floor``.

    A sightline that needs ``floor`` of the view is cut by the first see-through face that
    takes it below, without tracing the rest of the segment.
    """
    dx, dy, dz, t0, t1 = _segment(ax, ay, az, bx, by, bz, offset)
    if t0 > t1:
        return 1.0
    return _transmit(bvh.nodes.view(np.float32), bvh.nodes, bvh.tri, bvh.face,
                     face_transmittance, stack, ax, ay, az, dx, dy, dz, t0, t1, floor)


# --------------------------------------------------------------------------- batches
# Each batch kernel runs at once on every thread of ``workers.run_threads``; the threads take
# blocks of BLOCK rays from the shared counter ``next_block[0]`` (``workers.fetch_add``) until
# none is left, so they trace neighbouring blocks side by side.
@ijit
def _store_closest(nodes, links, tri, face, stack, ox, oy, oz, dx, dy, dz, tmin, tmax, r, out_t,
                   out_face):
    """``out_t[r], out_face[r]`` = the closest hit of one ray, ``(inf, -1)`` on a miss."""
    row, t = _closest(nodes, links, tri, stack, ox, oy, oz, dx, dy, dz, tmin, tmax)
    if row < 0:
        out_t[r] = np.inf
        out_face[r] = -1
    else:
        out_t[r] = t
        out_face[r] = face[row]


@bjit
def _closest_blocks(bvh, origins, directions, tmin, tmax, next_block, out_t, out_face):
    """Closest hits of the rays ``origins``, ``directions`` (unit length: distances in metres)."""
    stack = np.empty(STACK_SIZE, dtype=np.int64)
    links = bvh.nodes
    nodes = links.view(np.float32)
    tri = bvh.tri
    face = bvh.face
    n = origins.shape[0]
    while True:
        a = fetch_add(next_block, 0, 1) * BLOCK
        if a >= n:
            return
        for r in range(a, min(n, a + BLOCK)):
            _store_closest(nodes, links, tri, face, stack, origins[r, 0], origins[r, 1],
                           origins[r, 2], directions[r, 0], directions[r, 1], directions[r, 2],
                           tmin[r], tmax[r], r, out_t, out_face)


@bjit
def _closest_sorted_blocks(bvh, rays, next_block, out_t, out_face):
    """:func:`_closest_blocks` on rays sorted by ``ray_order.sort_rays``, a row each."""
    stack = np.empty(STACK_SIZE, dtype=np.int64)
    links = bvh.nodes
    nodes = links.view(np.float32)
    tri = bvh.tri
    face = bvh.face
    n = rays.shape[0]
    while True:
        a = fetch_add(next_block, 0, 1) * BLOCK
        if a >= n:
            return
        for r in range(a, min(n, a + BLOCK)):
            _store_closest(nodes, links, tri, face, stack, rays[r, 0], rays[r, 1], rays[r, 2],
                           rays[r, 3], rays[r, 4], rays[r, 5], rays[r, 6], rays[r, 7], r, out_t,
                           out_face)


@bjit
def _occluded_blocks(bvh, origins, targets, offset, next_block, out):
    """``out[i]`` = whether the segment ``origins[i]`` -> ``targets[i]`` is blocked; each
    group of ``FRONT_GROUP`` segments starts from its frontier."""
    stack = np.empty(STACK_SIZE, dtype=np.int64)
    links = bvh.nodes
    nodes = links.view(np.float32)
    tri = bvh.tri
    n = origins.shape[0]
    front = np.empty(FRONT_CAP, dtype=np.int64)
    while True:
        a = fetch_add(next_block, 0, 1) * BLOCK
        if a >= n:
            return
        hint = -1
        hint_node = -1
        b = min(n, a + BLOCK)
        for g in range(a, b, FRONT_GROUP):
            ge = min(b, g + FRONT_GROUP)
            box = (np.inf, np.inf, np.inf, -np.inf, -np.inf, -np.inf)
            for r in range(g, ge):
                box = grown(box, origins[r, 0], origins[r, 1], origins[r, 2])
                box = grown(box, targets[r, 0], targets[r, 1], targets[r, 2])
            x0, y0, z0, x1, y1, z1 = box
            n_front = run_frontier(nodes, links, front, FRONT_CAP, x0, y0, z0, x1, y1, z1)
            for r in range(g, ge):
                ax = origins[r, 0]
                ay = origins[r, 1]
                az = origins[r, 2]
                dx, dy, dz, t0, t1 = _segment(ax, ay, az, targets[r, 0], targets[r, 1],
                                              targets[r, 2], offset)
                row = -1
                if t0 <= t1 and n_front > 0:
                    row, at = _any_hit(nodes, links, tri, stack, ax, ay, az, dx, dy, dz, t0, t1,
                                       hint, hint_node, front, n_front)
                out[r] = row >= 0
                if row >= 0:
                    hint = row
                    hint_node = at


@bjit
def _transmittance_blocks(bvh, face_transmittance, origins, targets, offset, next_block, out):
    """``out[i]`` = transmittance of the segment ``origins[i]`` -> ``targets[i]``."""
    stack = np.empty(STACK_SIZE, dtype=np.int64)
    links = bvh.nodes
    nodes = links.view(np.float32)
    tri = bvh.tri
    face = bvh.face
    n = origins.shape[0]
    while True:
        a = fetch_add(next_block, 0, 1) * BLOCK
        if a >= n:
            return
        for r in range(a, min(n, a + BLOCK)):
            ax = origins[r, 0]
            ay = origins[r, 1]
            az = origins[r, 2]
            dx, dy, dz, t0, t1 = _segment(ax, ay, az, targets[r, 0], targets[r, 1],
                                          targets[r, 2], offset)
            if t0 > t1:
                out[r] = 1.0
            else:
                out[r] = _transmit(nodes, links, tri, face, face_transmittance, stack,
                                   ax, ay, az, dx, dy, dz, t0, t1, 0.0)


@bjit
def _visibility_tiles(bvh, observers, targets, observer_order, target_order, max_distance,
                      offset, tile_observers, tile_targets, next_tile, out):
    """``out[i, j]`` = observer ``i`` sees target ``j`` (unblocked and within ``max_distance``).

    The matrix is cut into tiles of ``tile_observers`` neighbouring observers by
    ``tile_targets`` neighbouring targets (both in their :func:`spatial_order`), taken one at
    a time from ``next_tile[0]`` in a serpentine order. Within a tile each observer looks at
    the tile's targets in runs of ``VIS_GROUP``, each run from its frontier
    (``frontier.run_frontier``); the segments of a tile run between two small regions, so
    they share nodes in cache.
    """
    md2 = max_distance * max_distance
    stack = np.empty(STACK_SIZE, dtype=np.int64)
    links = bvh.nodes
    nodes = links.view(np.float32)
    tri = bvh.tri
    front = np.empty(FRONT_CAP, dtype=np.int64)
    n_obs = observer_order.shape[0]
    n_tg = target_order.shape[0]
    rows = (n_obs + tile_observers - 1) // tile_observers
    cols = (n_tg + tile_targets - 1) // tile_targets
    while True:
        tile = fetch_add(next_tile, 0, 1)
        if tile >= rows * cols:
            return
        row_of_tiles = tile // cols
        col = tile % cols
        if row_of_tiles % 2 == 1:
            col = cols - 1 - col
        p0 = row_of_tiles * tile_observers
        p1 = min(n_obs, p0 + tile_observers)
        q0 = col * tile_targets
        q1 = min(n_tg, q0 + tile_targets)
        hint = -1
        hint_node = -1
        for p in range(p0, p1):
            i = observer_order[p]
            ox = observers[i, 0]
            oy = observers[i, 1]
            oz = observers[i, 2]
            for g in range(q0, q1, VIS_GROUP):
                ge = min(q1, g + VIS_GROUP)
                box = (ox, oy, oz, ox, oy, oz)
                for q in range(g, ge):
                    j = target_order[q]
                    box = grown(box, targets[j, 0], targets[j, 1], targets[j, 2])
                x0, y0, z0, x1, y1, z1 = box
                n_front = run_frontier(nodes, links, front, FRONT_CAP, x0, y0, z0, x1, y1, z1)
                for q in range(g, ge):
                    j = target_order[q]
                    dx, dy, dz, t0, t1 = _segment(ox, oy, oz, targets[j, 0], targets[j, 1],
                                                  targets[j, 2], offset)
                    if dx * dx + dy * dy + dz * dz > md2:
                        out[i, j] = False
                        continue
                    row = -1
                    if t0 <= t1 and n_front > 0:
                        row, at = _any_hit(nodes, links, tri, stack, ox, oy, oz, dx, dy, dz, t0,
                                           t1, hint, hint_node, front, n_front)
                    out[i, j] = row < 0
                    if row >= 0:
                        hint = row
                        hint_node = at


@jit
def spatial_order(points):
    """Order of ``points`` ((n, 3)) along a Morton (Z-order) curve of their x, y, z.

    Visiting targets in this order keeps consecutive sightlines close together, so their
    traversals touch the same nodes (cache reuse) and often the same occluder.
    """
    n = points.shape[0]
    if n == 0:
        return np.arange(0)
    lo = np.empty(3)
    ext = np.empty(3)
    for k in range(3):
        mn = np.inf
        mx = -np.inf
        for i in range(n):
            mn = min(mn, points[i, k])
            mx = max(mx, points[i, k])
        lo[k] = mn
        ext[k] = mx - mn if mx > mn else 1.0
    code = np.empty(n, dtype=np.int64)
    for i in range(n):
        c = 0
        q0 = min(1023, int((points[i, 0] - lo[0]) / ext[0] * 1024.0))
        q1 = min(1023, int((points[i, 1] - lo[1]) / ext[1] * 1024.0))
        q2 = min(1023, int((points[i, 2] - lo[2]) / ext[2] * 1024.0))
        for bit in range(10):
            c |= ((q0 >> bit) & 1) << (3 * bit)
            c |= ((q1 >> bit) & 1) << (3 * bit + 1)
            c |= ((q2 >> bit) & 1) << (3 * bit + 2)
        code[i] = c
    return np.argsort(code, kind="mergesort")






# --------------------------------------------------------------------------- batch entry points
def _counter():
    """The shared block counter of one batch kernel run (``workers.fetch_add``)."""
    return np.zeros(1, dtype=np.int64)


def closest_hit_batch(bvh, origins, directions, tmin, tmax, out_t, out_face, sort=None):
    """Closest hits of many rays (directions of unit length give distances in metres).

    Writes ``out_t`` (inf on a miss) and ``out_face`` (-1 on a miss). Called from Python.
    ``sort`` groups the rays by origin and direction first (``ray_order.sort_rays``); by
    default only for batches and scenes large enough to gain from it. Either way the answers
    are the same.
    """
    check_nodes(bvh)
    n = origins.shape[0]
    if sort is None:
        size = bvh.tri.nbytes + bvh.nodes.nbytes
        sort = n >= ro.ORDER_MIN_RAYS and size >= ro.CLOSEST_SORT_MIN_BYTES
    if not sort or n == 0:
        c = _counter()
        run_threads(lambda: _closest_blocks(bvh, origins, directions, tmin, tmax, c, out_t,
                                            out_face))
        return
    m = min(n, ro.ORDER_CHUNK)  # one set of buffers, reused by every chunk and every call
    key = scratch("key", m, np.int32)
    order = scratch("order", m, np.int64)
    rays = scratch("rays", (m, ro.RAY_COLUMNS))
    t = scratch("t", m)
    face = scratch("face", m, np.int64)
    for a in range(0, n, m):
        b = min(n, a + m)
        k = b - a
        ro.sort_rays(origins[a:b], directions[a:b], tmin[a:b], tmax[a:b], key[:k], order[:k],
                     rays[:k])
        c = _counter()
        run_threads(lambda: _closest_sorted_blocks(bvh, rays[:k], c, t[:k], face[:k]))
        ro.unsort_hits(order[:k], t[:k], face[:k], out_t[a:b], out_face[a:b])


def occluded_batch(bvh, origins, targets, offset, out, sort=None):
    """``out[i]`` = whether the segment ``origins[i]`` -> ``targets[i]`` is blocked.

    ``sort`` groups the segments by target first (``ray_order.sort_segments``); by default
    only for batches and scenes large enough to gain from it. Either way the answers are the
    same.
    """
    check_nodes(bvh)
    n = origins.shape[0]
    if sort is None:
        sort = n >= ro.ORDER_MIN_RAYS and bvh.tri.shape[0] >= ro.ORDER_MIN_TRIANGLES
    if not sort or n == 0:
        c = _counter()
        run_threads(lambda: _occluded_blocks(bvh, origins, targets, offset, c, out))
        return
    m = min(n, ro.ORDER_CHUNK)
    key = scratch("key", m, np.int32)
    order = scratch("order", m, np.int64)
    o, t = scratch("o", (m, 3)), scratch("d", (m, 3))
    blocked = scratch("blocked", m, np.bool_)
    for a in range(0, n, m):
        b = min(n, a + m)
        k = b - a
        ro.sort_segments(origins[a:b], targets[a:b], key[:k], order[:k], o[:k], t[:k])
        c = _counter()
        run_threads(lambda: _occluded_blocks(bvh, o[:k], t[:k], offset, c, blocked[:k]))
        ro.unsort_flags(order[:k], blocked[:k], out[a:b])


def transmittance_batch(bvh, face_transmittance, origins, targets, offset, out):
    """``out[i]`` = transmittance of the segment ``origins[i]`` -> ``targets[i]``."""
    check_nodes(bvh)
    c = _counter()
    run_threads(lambda: _transmittance_blocks(bvh, face_transmittance, origins, targets, offset,
                                              c, out))


def visibility_block(bvh, observers, targets, max_distance, offset, out):
    """``out[i, j]`` = observer ``i`` sees target ``j`` (unblocked and within ``max_distance``)."""
    check_nodes(bvh)
    n_obs, n_tg = observers.shape[0], targets.shape[0]
    if n_obs == 0 or n_tg == 0:
        return
    tile_obs, tile_tg = vis_tile_shape(n_obs, n_tg, n_threads())
    observer_order = spatial_order(observers)
    target_order = spatial_order(targets)
    c = _counter()
    run_threads(lambda: _visibility_tiles(bvh, observers, targets, observer_order, target_order,
                                          max_distance, offset, tile_obs, tile_tg, c, out))


def vis_tile_shape(n_obs, n_tg, threads):
    """Observers and targets per tile of :func:`_visibility_tiles`.

    ``VIS_TILE`` unless that leaves fewer than ``8 x threads`` tiles to share out, in which
    case the tiles are halved (observers first, then targets down to ``VIS_GROUP``) until it
    does not or they cannot shrink further.
    """
    tile_obs, tile_tg = VIS_TILE
    while -(-n_obs // tile_obs) * -(-n_tg // tile_tg) < 8 * threads:
        if tile_obs > 1:
            tile_obs //= 2
        elif tile_tg > VIS_GROUP:
            tile_tg //= 2
        else:
            break
    return tile_obs, tile_tg
