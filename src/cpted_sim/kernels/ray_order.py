"""Ray ordering: large batches grouped by grid cell before they are traced.

Rays that start close together and head the same way, or segments that end at the same
light, traverse the same BVH nodes and triangles; traced one after another they find them in
cache, and shadow rays find the occluder that blocked their neighbour. The batch entry points
of ``bvh_query`` sort a batch with a stable counting sort into sequentially written copies
(:func:`sort_rays`, :func:`sort_segments`), trace the copies and scatter the answers back into
the caller's order (:func:`unsort_hits`, :func:`unsort_flags`), so the answers are the same
either way (``tests/kernels/test_ray_order.py``). Tracing the rays through the order instead
(each block gathered from the caller's rows, answers written back at once) was 1.5-1.8x
slower on one thread (W1, W2 on the 1M district): random reads in the traversal's way.

Every kernel here is serial: the sort runs in two passes (keys and counts, placing) and the
scatter in one, each over parts of the batch handed out to threads by
``workers.run_parts``.
"""

from __future__ import annotations

import numpy as np

from .._jit import ijit, jit
from .scratch import scratch
from .workers import n_threads, run_parts

ORDER_BITS = 3  # grid cells per axis of the ray-ordering buckets: 2**ORDER_BITS
TARGET_BITS = 5  # finer for segment targets, so that each light gets a bucket of its own
# When batches are reordered by default: only batches of at least ORDER_MIN_RAYS, on scenes
# of at least ORDER_MIN_TRIANGLES (smaller ones gain less than the copies cost). Closest
# hits gain from the order only through the cache, so they are sorted only once the tree
# and triangles exceed CLOSEST_SORT_MIN_BYTES (about the last-level cache: W2 on the 100k
# district, 10 MiB, was 3-5 % slower sorted, on the 1M district, 104 MiB, 1.6x faster);
# shadow rays also gain the occluder of their neighbour, on the 100k district as well.
ORDER_MIN_RAYS = 16_384
ORDER_MIN_TRIANGLES = 32_768
CLOSEST_SORT_MIN_BYTES = 16 * 2**20
# Larger batches are sorted and traced in chunks of this many rays, so the sorted copies
# (about 80 bytes a ray) stay bounded: 160 MiB however many rays are asked for.
ORDER_CHUNK = 2**21
RAY_COLUMNS = 8  # a sorted ray's row: ox, oy, oz, dx, dy, dz, tmin, tmax
SORT_PART = 2**16  # rows per part of the sorting passes (at least one part, at most 4 a thread)
BOUNDS_STEP = 61  # the grid is the bounding box of every BOUNDS_STEP-th row (a prime: no
# stride that matches a pattern of the batch, such as 8 segments a point)


def _spread_bits(bits):
    """``table[q]`` = the bits of ``q`` moved to every third place (bit ``b`` to ``3 b``)."""
    q = np.arange(2 ** bits, dtype=np.int64)
    return sum(((q >> b) & 1) << (3 * b) for b in range(bits))


_SPREAD = _spread_bits(max(ORDER_BITS, TARGET_BITS))  # a constant of the compiled kernels


@ijit
def _cell_key(points, i, lo, scale, bits):
    """Morton code of the grid cell of ``points[i]`` (``bits`` bits per axis)."""
    cells = 2 ** bits - 1
    c = 0
    for k in range(3):
        q = int((points[i, k] - lo[k]) * scale[k])
        q = cells if q > cells else (0 if q < 0 else q)
        c |= _SPREAD[q] << k
    return c


@jit
def sample_bounds(points, step, out):
    """``out`` (6,) = the minimum and maximum per axis of every ``step``-th row of ``points``
    (and the last): the grid of the buckets, from a sample; rows outside it are put in the
    cells at its edges."""
    for k in range(3):
        out[k] = np.inf
        out[3 + k] = -np.inf
    n = points.shape[0]
    for j in range(0, n + step, step):
        i = min(j, n - 1)
        if i < 0:
            break
        for k in range(3):
            v = points[i, k]
            out[k] = min(out[k], v)
            out[3 + k] = max(out[3 + k], v)


@jit
def ray_keys(origins, directions, a, b, lo, scale, key, count):
    """Bucket of rays ``a:b`` (origin cell, direction octant) into ``key``; ``count`` per bucket."""
    count[:] = 0
    for i in range(a, b):
        octant = ((1 if directions[i, 0] < 0.0 else 0)
                  | (2 if directions[i, 1] < 0.0 else 0)
                  | (4 if directions[i, 2] < 0.0 else 0))
        c = (_cell_key(origins, i, lo, scale, ORDER_BITS) << 3) | octant
        key[i] = c
        count[c] += 1


@jit
def segment_keys(targets, a, b, lo, scale, key, count):
    """Bucket of segments ``a:b`` (target cell) into ``key``; ``count`` per bucket."""
    count[:] = 0
    for i in range(a, b):
        c = _cell_key(targets, i, lo, scale, TARGET_BITS)
        key[i] = c
        count[c] += 1


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


@jit
def place_rays(key, a, b, start, order, origins, directions, tmin, tmax, rays):
    """Rays ``a:b`` (one part) copied to their sorted rows ``start[key[i]]++`` of ``rays``
    (``RAY_COLUMNS``); ``order`` gets each sorted row's input row. Reads sequentially; each
    bucket is written sequentially, one cache line a ray."""
    for i in range(a, b):
        c = key[i]
        j = start[c]
        start[c] = j + 1
        order[j] = i
        for k in range(3):
            rays[j, k] = origins[i, k]
            rays[j, 3 + k] = directions[i, k]
        rays[j, 6] = tmin[i]
        rays[j, 7] = tmax[i]


@jit
def place_segments(key, a, b, start, order, origins, targets, o, t):
    """Segments ``a:b`` copied to their sorted rows of ``o`` and ``t`` (see :func:`place_rays`)."""
    for i in range(a, b):
        c = key[i]
        j = start[c]
        start[c] = j + 1
        order[j] = i
        for k in range(3):
            o[j, k] = origins[i, k]
            t[j, k] = targets[i, k]


@jit
def scatter_hits(order, a, b, t, face, out_t, out_face):
    """``out[order[j]] = sorted[j]`` for ``j`` in ``a:b``: results back in the caller's order."""
    for j in range(a, b):
        out_t[order[j]] = t[j]
        out_face[order[j]] = face[j]


@jit
def scatter_flags(order, a, b, flag, out):
    """``out[order[j]] = flag[j]`` for ``j`` in ``a:b``."""
    for j in range(a, b):
        out[order[j]] = flag[j]


def _parts(n):
    """Boundaries of the parts of a sorting pass over ``n`` rows."""
    return np.linspace(0, n, max(1, min(4 * n_threads(), n // SORT_PART)) + 1).astype(np.int64)


def _bucket_rows(points, bits, n_keys, keys):
    """Each part's first sorted row per bucket ``(parts, n_keys)`` and the part boundaries.

    ``keys(a, b, lo, scale, count)`` writes the keys of rows ``a:b`` and counts them; the grid
    is the bounding box of a sample of ``points`` (:func:`sample_bounds`; a pass over every row
    made W1's sort 1.2x slower), ``2**bits`` cells per axis.
    """
    cuts = _parts(points.shape[0])
    box = np.empty(6)
    sample_bounds(points, BOUNDS_STEP, box)
    lo = box[:3]
    ext = box[3:] - lo
    scale = np.where(ext > 0, 2.0 ** bits / np.where(ext > 0, ext, 1.0), 0.0)
    count = scratch("count", (len(cuts) - 1, n_keys), np.int64)
    run_parts(len(count), lambda p: keys(cuts[p], cuts[p + 1], lo, scale, count[p]))
    _bucket_starts(count)
    return cuts, count


def sort_rays(origins, directions, tmin, tmax, key, order, rays):
    """Group the rays by origin cell and direction octant (a stable counting sort).

    The buckets are a coarse Morton grid (``2**ORDER_BITS`` cells per axis over the origins'
    bounding box) times the 8 direction octants. Rays that start close together and head the
    same way traverse the same nodes and triangles, so in this order they find them in cache
    (W2 on the 1M district: 457 -> 270 ns per ray).

    Fills ``order`` (n,) int64 with the input row of each sorted row and ``rays`` (n, 8) with
    the sorted rays, a row each (``RAY_COLUMNS``: origin, direction, ``tmin``, ``tmax``;
    64 bytes, so that placing writes one stream a bucket, not four: W2's sort on the 1M
    district 0.087 -> 0.071 CPU-s); ``key`` (n,) int32 is scratch.
    """
    cuts, start = _bucket_rows(origins, ORDER_BITS, 8 << (3 * ORDER_BITS),
                               lambda a, b, lo, scale, count: ray_keys(
                                   origins, directions, a, b, lo, scale, key, count))
    run_parts(len(cuts) - 1, lambda p: place_rays(key, cuts[p], cuts[p + 1], start[p], order,
                                                  origins, directions, tmin, tmax, rays))


def sort_segments(origins, targets, key, order, o, t):
    """Group segments by the grid cell of their target (a stable counting sort).

    Shadow rays come as a few segments per point, each to another light; grouped by light
    (and, within a light, in the given order of their points) consecutive segments run side by
    side, so they share nodes in cache and the occluder that blocked the previous one
    (W1 on the 1M district: 14.1 -> 20.3 Mrays/s before the cost of sorting). Fills
    ``order`` and the sorted copies ``o`` and ``t``; ``key`` is scratch (see
    :func:`sort_rays`).
    """
    cuts, start = _bucket_rows(targets, TARGET_BITS, 1 << (3 * TARGET_BITS),
                               lambda a, b, lo, scale, count: segment_keys(
                                   targets, a, b, lo, scale, key, count))
    run_parts(len(cuts) - 1, lambda p: place_segments(key, cuts[p], cuts[p + 1], start[p],
                                                      order, origins, targets, o, t))


def unsort_hits(order, t, face, out_t, out_face):
    """``out[order[j]] = sorted[j]`` (closest hits back in the caller's order), over threads."""
    cuts = _parts(order.shape[0])
    run_parts(len(cuts) - 1, lambda p: scatter_hits(order, cuts[p], cuts[p + 1], t, face,
                                                    out_t, out_face))


def unsort_flags(order, flag, out):
    """``out[order[j]] = flag[j]``, over threads."""
    cuts = _parts(order.shape[0])
    run_parts(len(cuts) - 1, lambda p: scatter_flags(order, cuts[p], cuts[p + 1], flag, out))
