"""Ray ordering: large batches grouped by grid cell before they are traced.

Rays that start close together and head the same way, or segments that end at the same
light, traverse the same BVH nodes and triangles; traced one after another they find them in
cache, and shadow rays find the occluder that blocked their neighbour. The batch entry points
of ``bvh_query`` sort a batch with a stable parallel counting sort into sequentially written
copies, trace the copies and scatter the answers back into the caller's order, so the
answers are the same either way (``tests/kernels/test_ray_order.py``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import ijit, jit, pjit

ORDER_BITS = 3  # grid cells per axis of the ray-ordering buckets: 2**ORDER_BITS
TARGET_BITS = 5  # finer for segment targets, so that each light gets a bucket of its own
# When batches are reordered by default: only batches of at least ORDER_MIN_RAYS, on scenes
# of at least ORDER_MIN_TRIANGLES (smaller ones gain less than the copies cost). Closest
# hits gain from the order only through the cache, so they are sorted only once the tree
# and triangles exceed CLOSEST_SORT_MIN_BYTES (about the last-level cache: W2 on the 100k
# district, 10 MiB, was 3-5 % slower sorted, on the 1M district, 104 MiB, 1.6x faster);
# shadow rays also gain the occluder of their neighbour, on the 100k district as well.
ORDER_MIN_TRIANGLES = 32_768
ORDER_MIN_RAYS = 16_384
CLOSEST_SORT_MIN_BYTES = 16 * 2**20
# Larger batches are sorted and traced in chunks of this many rays, so the sorted copies
# (about 80 bytes a ray) stay bounded: 160 MiB however many rays are asked for.
ORDER_CHUNK = 2**21


@ijit
def _cell_key(points, i, lo, scale, bits):
    """Morton code of the grid cell of ``points[i]`` (``bits`` bits per axis)."""
    cells = 2 ** bits - 1
    c = 0
    for k in range(3):
        q = int((points[i, k] - lo[k]) * scale[k])
        q = cells if q > cells else q
        for bit in range(bits):
            c |= ((q >> bit) & 1) << (3 * bit + k)
    return c


@pjit
def _grid(points, n_parts, bits):
    """Origin and scale [cells/m] of the grid of ``2**bits`` cells per axis over ``points``."""
    n = points.shape[0]
    size = (n + n_parts - 1) // n_parts
    part_lo = np.full((n_parts, 3), np.inf)
    part_hi = np.full((n_parts, 3), -np.inf)
    for p in prange(n_parts):
        for i in range(p * size, min(n, (p + 1) * size)):
            for k in range(3):
                v = points[i, k]
                part_lo[p, k] = min(part_lo[p, k], v)
                part_hi[p, k] = max(part_hi[p, k], v)
    lo = np.empty(3)
    scale = np.empty(3)
    for k in range(3):
        mn = part_lo[:, k].min()
        mx = part_hi[:, k].max()
        lo[k] = mn
        scale[k] = (2 ** bits) / (mx - mn) if mx > mn else 0.0
    return lo, scale


@jit
def _bucket_starts(count):
    """Per-part counts ``(n_parts, n_keys)`` turned into each part's first row per bucket.

    Buckets in key order, parts in order within a bucket: a stable counting sort.
    """
    total = 0
    for c in range(count.shape[1]):
        for p in range(count.shape[0]):
            m = count[p, c]
            count[p, c] = total
            total += m


@pjit
def _bucket_rows(key, n_keys, n_parts, order, a, b, a_out, b_out):
    """Stable parallel counting sort of the rows of ``a`` and ``b`` ((n, 3)) by ``key``.

    Each of ``n_parts`` contiguous parts of the input is counted, then scattered by its own
    thread: every read is sequential and each bucket is written sequentially. Fills
    ``order`` with the input row of each sorted row and ``a_out``, ``b_out`` with the rows.
    """
    n = key.shape[0]
    size = (n + n_parts - 1) // n_parts
    start = np.zeros((n_parts, n_keys), dtype=np.int64)
    for p in prange(n_parts):
        for i in range(p * size, min(n, (p + 1) * size)):
            start[p, key[i]] += 1
    _bucket_starts(start)
    for p in prange(n_parts):
        for i in range(p * size, min(n, (p + 1) * size)):
            c = key[i]
            j = start[p, c]
            start[p, c] = j + 1
            order[j] = i
            for k in range(3):
                a_out[j, k] = a[i, k]
                b_out[j, k] = b[i, k]


@pjit
def sort_rays(origins, directions, tmin, tmax, n_parts, key, order, o, d, t0, t1):
    """Group the rays by origin cell and direction octant (a parallel counting sort).

    The buckets are a coarse Morton grid (``2**ORDER_BITS`` cells per axis over the
    origins' bounding box) times the 8 direction octants. Rays that start close together and
    head the same way traverse the same nodes and triangles, so in this order they find them
    in cache (W2 on the 1M district: 457 -> 270 ns per ray).

    Fills ``order`` (n,) with the input row of each sorted row and ``o``, ``d``, ``t0``,
    ``t1`` with the sorted origins, directions, ``tmin`` and ``tmax``; ``key`` (n,) int32 is
    scratch. The caller allocates them: NumPy asks the kernel for transparent huge pages,
    which makes first touching them several times cheaper than Numba's own allocation.
    """
    n = origins.shape[0]
    size = (n + n_parts - 1) // n_parts
    lo, scale = _grid(origins, n_parts, ORDER_BITS)
    for p in prange(n_parts):
        for i in range(p * size, min(n, (p + 1) * size)):
            octant = ((1 if directions[i, 0] < 0.0 else 0)
                      | (2 if directions[i, 1] < 0.0 else 0)
                      | (4 if directions[i, 2] < 0.0 else 0))
            key[i] = (_cell_key(origins, i, lo, scale, ORDER_BITS) << 3) | octant
    _bucket_rows(key, 8 << (3 * ORDER_BITS), n_parts, order, origins, directions, o, d)
    for j in prange(n):
        t0[j] = tmin[order[j]]
        t1[j] = tmax[order[j]]


@pjit
def sort_segments(origins, targets, n_parts, key, order, o, t):
    """Group segments by the grid cell of their target (a stable parallel counting sort).

    Shadow rays come as a few segments per point, each to another light; grouped by light
    (and, within a light, in the given order of their points) consecutive segments run side by
    side, so they share nodes in cache and the occluder that blocked the previous one
    (W1 on the 1M district: 14.1 -> 20.3 Mrays/s before the cost of sorting). Fills
    ``order`` and the sorted copies ``o`` and ``t``; ``key`` is scratch (see
    :func:`sort_rays`).
    """
    n = origins.shape[0]
    size = (n + n_parts - 1) // n_parts
    lo, scale = _grid(targets, n_parts, TARGET_BITS)
    for p in prange(n_parts):
        for i in range(p * size, min(n, (p + 1) * size)):
            key[i] = _cell_key(targets, i, lo, scale, TARGET_BITS)
    _bucket_rows(key, 1 << (3 * TARGET_BITS), n_parts, order, origins, targets, o, t)


@pjit
def scatter_hits(order, t, face, out_t, out_face):
    """``out[order[i]] = sorted[i]``: results back in the caller's ray order."""
    for i in prange(order.shape[0]):
        out_t[order[i]] = t[i]
        out_face[order[i]] = face[i]


@pjit
def scatter_flags(order, flag, out):
    """``out[order[i]] = flag[i]``."""
    for i in prange(order.shape[0]):
        out[order[i]] = flag[i]
