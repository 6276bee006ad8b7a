"""Sightline kernels: surveillance counts, isovist fans, visibility graphs, route scans.

Pure Numba functions on flat arrays in scene-local metres (docs/architecture.md §5). Validation, sorting
and unit conversion happen in ``cpted_sim.visibility``; these kernels trust their inputs.
Every parallel kernel prange's over blocks of outputs and allocates one traversal stack per
block (``bvh_query.STACK_SIZE``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import ijit, jit, pjit
from .bvh_query import (
    STACK_SIZE,
    closest_hit_one,
    segment_occluded,
    segment_transmittance,
    segment_transmittance_floor,
)
from .occlusivity import fan_occlusivity, fan_traces

__all__ = [
    "PBLOCK",
    "sightline",
    "sightline_floor",
    "surveillance_kernel",
    "fan_radii_kernel",
    "isovist_kernel",
    "isovist_kernel_from_radii",
    "N_ISOVIST",
    "visibility_bits_kernel",
    "symmetrize_bits_kernel",
    "all_pairs_bits_kernel",
    "popcount64",
    "vga_kernel",
    "first_reveal_kernel",
    "first_reveal_ranges_kernel",
]

PBLOCK = 64
N_ISOVIST = 8  # area, perimeter, occlusivity, min, mean, max radial, drift, open fraction


@jit
def sightline(bvh, stack, face_tr, use_tr, ax, ay, az, bx, by, bz, offset):
    """Sight transmittance of the segment a-b: 1 clear, 0 blocked, in between through
    see-through faces (only when ``use_tr``; otherwise the faster any-hit test is used)."""
    if use_tr:
        return segment_transmittance(bvh, stack, face_tr, ax, ay, az, bx, by, bz, offset)
    if segment_occluded(bvh, stack, ax, ay, az, bx, by, bz, offset):
        return 0.0
    return 1.0


@jit
def sightline_floor(bvh, stack, face_tr, floor, ax, ay, az, bx, by, bz, offset):
    """Sight transmittance of the segment a-b, or 0 as soon as it falls below ``floor``.

    A visibility-graph link that needs 0.5 of the view is cut by the first hedge of 0.3
    (``bvh_query.segment_transmittance_floor``).
    """
    return segment_transmittance_floor(bvh, stack, face_tr, floor, ax, ay, az, bx, by, bz,
                                       offset)


@jit
def _required_lux(d, thr_table, thr_step):
    """Illuminance [lx] needed to recognise a face at distance ``d`` (linear in the table)."""
    x = d / thr_step
    i = int(x)
    n = thr_table.shape[0]
    if i >= n - 1:
        return thr_table[n - 1]
    f = x - i
    if f <= 0.0:
        return thr_table[i]
    return thr_table[i] * (1.0 - f) + thr_table[i + 1] * f


@pjit
def surveillance_kernel(bvh, face_tr, use_tr, obs, obs_dir, obs_cos, obs_range, obs_w, pts,
                        ends, offset, night, e_table, dir_cos, dir_sin, thr_table, thr_step,
                        out_count, out_weight, out_near):
    """Observers seeing each point: summed sight transmittance, summed weight, nearest distance.

    ``pts`` should be spatially sorted so that a block of ``PBLOCK`` points is compact; a
    block is skipped for an observer whose range cannot reach its bounding box. For each
    point and observer: range test (``d <= obs_range``), field-of-view test
    (``dot(obs_dir, p - o) >= obs_cos * d``; ``obs_cos <= -1`` sees all round), then, at
    night only, the recognition test (``e_table[p, k] >= thr(d)`` with ``k`` the facing
    direction closest to the observer), and finally the sightline, which ends at ``ends[p]``
    (the point on its own side of a surface it lies on, ``CalculationGrid.side_lift``).
    """
    n = pts.shape[0]
    n_obs = obs.shape[0]
    n_dirs = dir_cos.shape[0]
    n_blocks = (n + PBLOCK - 1) // PBLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        lo = b * PBLOCK
        hi = min(n, lo + PBLOCK)
        bx0 = pts[lo, 0]
        by0 = pts[lo, 1]
        bz0 = pts[lo, 2]
        bx1 = bx0
        by1 = by0
        bz1 = bz0
        for i in range(lo, hi):
            out_count[i] = 0.0
            out_weight[i] = 0.0
            out_near[i] = np.inf
            bx0 = min(bx0, pts[i, 0])
            by0 = min(by0, pts[i, 1])
            bz0 = min(bz0, pts[i, 2])
            bx1 = max(bx1, pts[i, 0])
            by1 = max(by1, pts[i, 1])
            bz1 = max(bz1, pts[i, 2])
        for j in range(n_obs):
            ox = obs[j, 0]
            oy = obs[j, 1]
            oz = obs[j, 2]
            # Distance from the observer to the block's box: skip the block when out of range.
            gx = max(bx0 - ox, 0.0, ox - bx1)
            gy = max(by0 - oy, 0.0, oy - by1)
            gz = max(bz0 - oz, 0.0, oz - bz1)
            rng = obs_range[j]
            if gx * gx + gy * gy + gz * gz > rng * rng:
                continue
            fx = obs_dir[j, 0]
            fy = obs_dir[j, 1]
            fz = obs_dir[j, 2]
            cs = obs_cos[j]
            for i in range(lo, hi):
                px = pts[i, 0]
                py = pts[i, 1]
                pz = pts[i, 2]
                dx = px - ox
                dy = py - oy
                dz = pz - oz
                d = np.sqrt(dx * dx + dy * dy + dz * dz)
                if d > rng:
                    continue
                if cs > -1.0 and fx * dx + fy * dy + fz * dz < cs * d:
                    continue
                if night:
                    need = _required_lux(d, thr_table, thr_step)
                    # Facing direction (from the point towards the observer) closest to k.
                    best = -2.0
                    k_best = 0
                    h = np.sqrt(dx * dx + dy * dy)
                    if h > 0.0:
                        ux = -dx / h
                        uy = -dy / h
                        for k in range(n_dirs):
                            c = ux * dir_cos[k] + uy * dir_sin[k]
                            if c > best:
                                best = c
                                k_best = k
                    if not e_table[i, k_best] >= need:
                        continue
                tr = sightline(bvh, stack, face_tr, use_tr, ox, oy, oz, ends[i, 0], ends[i, 1],
                               ends[i, 2], offset)
                if tr > 0.0:
                    out_count[i] += tr
                    out_weight[i] += tr * obs_w[j]
                    if d < out_near[i]:
                        out_near[i] = d


@jit
def _fan(bvh, stack, ox, oy, oz, cos_t, sin_t, tmin, rmax, r):
    """Cast the horizontal fan from (ox, oy, oz) into ``r``; returns the number of open rays.

    (Bounding each ray a little beyond its neighbour's hit, then retracing on a miss, was
    tried: no gain on the 1 M district, so rays are plain closest-hit queries.)
    """
    n_open = 0
    for k in range(cos_t.shape[0]):
        t, f = closest_hit_one(bvh, stack, ox, oy, oz, cos_t[k], sin_t[k], 0.0, tmin, rmax)
        if f < 0:
            r[k] = rmax
            n_open += 1
        else:
            r[k] = t
    return n_open


@pjit
def fan_radii_kernel(bvh, eyes, cos_t, sin_t, tmin, rmax, out_r):
    """``out_r[i, k]``: distance [m] to the first surface along ray k of eye i (``rmax`` if open)."""
    n = eyes.shape[0]
    n_blocks = (n + PBLOCK - 1) // PBLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        for i in range(b * PBLOCK, min(n, (b + 1) * PBLOCK)):
            _fan(bvh, stack, eyes[i, 0], eyes[i, 1], eyes[i, 2], cos_t, sin_t, tmin, rmax,
                 out_r[i])


@jit
def isovist_measures(r, cos_t, sin_t, n_open, out):
    """Benedikt's measures of the isovist polygon whose vertices are the fan's hit points.

    ``out``: area [m2], perimeter [m], occlusivity [m] (0 here: it needs the surfaces, see
    ``kernels.occlusivity``), min / mean / max radial [m], drift [m], open fraction.
    """
    n = r.shape[0]
    area = 0.0
    perim = 0.0
    cx = 0.0
    cy = 0.0
    rmin = np.inf
    rmx = 0.0
    rsum = 0.0
    for k in range(n):
        k2 = k + 1
        if k2 == n:
            k2 = 0
        r1 = r[k]
        r2 = r[k2]
        x1 = r1 * cos_t[k]
        y1 = r1 * sin_t[k]
        x2 = r2 * cos_t[k2]
        y2 = r2 * sin_t[k2]
        a = 0.5 * (x1 * y2 - x2 * y1)
        area += a
        cx += a * (x1 + x2) / 3.0
        cy += a * (y1 + y2) / 3.0
        ex = x2 - x1
        ey = y2 - y1
        seg = np.sqrt(ex * ex + ey * ey)
        perim += seg
        rsum += r1
        rmin = min(rmin, r1)
        rmx = max(rmx, r1)
    out[0] = area
    out[1] = perim
    out[2] = 0.0
    out[3] = rmin
    out[4] = rsum / n
    out[5] = rmx
    if area > 0.0:
        out[6] = np.sqrt(cx * cx + cy * cy) / area
    else:
        out[6] = 0.0
    out[7] = n_open / n


@pjit
def isovist_kernel(bvh, eyes, cos_t, sin_t, step, tmin, rmax, levels, tol, out):
    """Isovist measures (``N_ISOVIST`` columns, see :func:`isovist_measures`) of each eye,
    occlusivity from the occluding edges (``kernels.occlusivity.fan_occlusivity``; NaN when
    ``levels < 0``)."""
    n = eyes.shape[0]
    n_rays = cos_t.shape[0]
    n_blocks = (n + PBLOCK - 1) // PBLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        r = np.empty(n_rays)
        hit = np.empty(n_rays)
        rows = np.empty(n_rays, dtype=np.int64)
        for i in range(b * PBLOCK, min(n, (b + 1) * PBLOCK)):
            ox = eyes[i, 0]
            oy = eyes[i, 1]
            oz = eyes[i, 2]
            n_open = fan_traces(bvh, stack, ox, oy, oz, cos_t, sin_t, tmin, rmax, r, hit, rows)
            isovist_measures(r, cos_t, sin_t, n_open, out[i])
            if levels < 0:      # occlusivity not asked for
                out[i, 2] = np.nan
            else:
                out[i, 2] = fan_occlusivity(bvh, stack, ox, oy, oz, step, cos_t, sin_t, r, hit,
                                            rows, tmin, rmax, levels, tol)


@jit
def isovist_kernel_from_radii(radii, cos_t, sin_t, out):
    """Isovist measures of fans whose radii are given (open rays equal to the max radius
    count as open); without surfaces there is no occluding edge (occlusivity 0)."""
    rmax = 0.0
    for i in range(radii.shape[0]):
        for k in range(radii.shape[1]):
            rmax = max(rmax, radii[i, k])
    for i in range(radii.shape[0]):
        n_open = 0
        for k in range(radii.shape[1]):
            if radii[i, k] >= rmax:
                n_open += 1
        isovist_measures(radii[i], cos_t, sin_t, n_open, out[i])


@pjit
def visibility_bits_kernel(bvh, face_tr, use_tr, min_tr, pts, max_d, offset, h_lo, h_hi, bits):
    """Upper triangle of the visibility graph as bits: bit j of row i (j > i) set when
    ``|p_i - p_j| <= max_d`` and the sightline keeps at least ``min_tr`` of the view.

    Rows are processed in pairs (h, n-1-h), h in ``[h_lo, h_hi)`` of ``[0, (n + 1) // 2)``, so
    that every task tests about n pairs.
    """
    n = pts.shape[0]
    md2 = max_d * max_d
    for h in prange(h_lo, h_hi):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        hi = np.int64(h)
        for rep in range(2):
            i = hi if rep == 0 else n - 1 - hi
            if rep == 1 and i == hi:
                break
            ax = pts[i, 0]
            ay = pts[i, 1]
            az = pts[i, 2]
            for j in range(i + 1, n):
                dx = pts[j, 0] - ax
                dy = pts[j, 1] - ay
                dz = pts[j, 2] - az
                if dx * dx + dy * dy + dz * dz > md2:
                    continue
                if use_tr:
                    tr = sightline_floor(bvh, stack, face_tr, min_tr, ax, ay, az, pts[j, 0],
                                         pts[j, 1], pts[j, 2], offset)
                else:
                    tr = sightline(bvh, stack, face_tr, False, ax, ay, az, pts[j, 0],
                                   pts[j, 1], pts[j, 2], offset)
                if tr > 0.0 and tr >= min_tr:
                    bits[i, j >> 6] |= np.uint64(1) << np.uint64(j & 63)


@pjit
def all_pairs_bits_kernel(pts, max_d, bits):
    """Upper-triangle bits of every pair within ``max_d`` (a scene with nothing in the way)."""
    n = pts.shape[0]
    md2 = max_d * max_d
    for i_ in prange(n):
        i = np.int64(i_)
        for j in range(i + 1, n):
            dx = pts[j, 0] - pts[i, 0]
            dy = pts[j, 1] - pts[i, 1]
            dz = pts[j, 2] - pts[i, 2]
            if dx * dx + dy * dy + dz * dz <= md2:
                bits[i, j >> 6] |= np.uint64(1) << np.uint64(j & 63)


@pjit
def symmetrize_bits_kernel(bits, n):
    """Copy the upper triangle into the lower one: bit i of row j = bit j of row i (i < j)."""
    for j_ in prange(n):
        j = np.int64(j_)
        wj = j >> 6
        mj = np.uint64(1) << np.uint64(j & 63)
        for i in range(j):
            if bits[i, wj] & mj:
                bits[j, i >> 6] |= np.uint64(1) << np.uint64(i & 63)


@jit
def popcount64(x):
    """Number of set bits of a uint64 (SWAR)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@pjit
def vga_kernel(bits, n, s_lo, s_hi, out_conn, out_depth, out_reach, out_clust):
    """Connectivity, total depth, nodes reached and clustering of every node.

    Breadth-first search per node on bit-packed rows: a level's next frontier is the OR of the
    rows of its nodes, less the visited set (n * n / 64 word operations per search).
    ``out_depth[i]`` is the sum of the step depths to every node reached from i,
    ``out_reach[i]`` the number of nodes reached (i included). Sources ``[s_lo, s_hi)``.
    """
    n_words = bits.shape[1]
    for s_ in prange(s_lo, s_hi):
        s = np.int64(s_)
        visited = np.zeros(n_words, dtype=np.uint64)
        frontier = np.zeros(n_words, dtype=np.uint64)
        nxt = np.zeros(n_words, dtype=np.uint64)
        row_s = bits[s]
        # Connectivity and clustering.
        k = 0
        for w in range(n_words):
            k += popcount64(row_s[w])
        out_conn[s] = k
        if k >= 2:
            links = 0
            for w in range(n_words):
                word = row_s[w]
                while word:
                    low = word & (~word + np.uint64(1))
                    j = (w << 6) + popcount64(low - np.uint64(1))
                    word ^= low
                    row_j = bits[j]
                    for v in range(n_words):
                        links += popcount64(row_j[v] & row_s[v])
            out_clust[s] = links / (k * (k - 1.0))
        else:
            out_clust[s] = np.nan
        # Breadth-first search.
        visited[s >> 6] = np.uint64(1) << np.uint64(s & 63)
        frontier[s >> 6] = visited[s >> 6]
        depth = 0
        total = 0
        reached = 1
        while True:
            depth += 1
            for v in range(n_words):
                nxt[v] = 0
            for w in range(n_words):
                word = frontier[w]
                while word:
                    low = word & (~word + np.uint64(1))
                    j = (w << 6) + popcount64(low - np.uint64(1))
                    word ^= low
                    row_j = bits[j]
                    for v in range(n_words):
                        nxt[v] |= row_j[v]
            cnt = 0
            for v in range(n_words):
                x = nxt[v] & ~visited[v]
                frontier[v] = x
                visited[v] |= x
                cnt += popcount64(x)
            if cnt == 0:
                break
            total += depth * cnt
            reached += cnt
        out_depth[s] = total
        out_reach[s] = reached


@ijit
def _reveal_scan(bvh, stack, face_tr, use_tr, min_tr, stations, first, step, count, tx, ty, tz,
                 offset):
    """Eye-target distance at the first of ``count`` stations ``first, first + step, ...``
    whose sightline to (tx, ty, tz) keeps at least ``min_tr``; ``inf`` when none does."""
    for q in range(count):
        s = first + step * q
        if use_tr:
            tr = sightline_floor(bvh, stack, face_tr, min_tr, stations[s, 0],
                                 stations[s, 1], stations[s, 2], tx, ty, tz, offset)
        else:
            tr = sightline(bvh, stack, face_tr, False, stations[s, 0],
                           stations[s, 1], stations[s, 2], tx, ty, tz, offset)
        if tr > 0.0 and tr >= min_tr:
            dx = tx - stations[s, 0]
            dy = ty - stations[s, 1]
            dz = tz - stations[s, 2]
            return np.sqrt(dx * dx + dy * dy + dz * dz)
    return np.inf


def first_reveal_kernel(bvh, face_tr, use_tr, min_tr, targets, stations, closest, offset,
                        out_fwd, out_bwd):
    """Distance [m] at which a walker first sees each target, walking each way.

    ``stations`` are eye points in walking order; ``closest[i]`` is the station nearest to
    target i. Walking forward the stations 0..closest[i] are scanned in order; the first whose
    sightline keeps at least ``min_tr`` gives ``out_fwd[i]`` (the eye-target distance there,
    ``inf`` when none does). ``out_bwd`` scans from the last station down to ``closest[i]``.
    """
    n = targets.shape[0]
    first_reveal_ranges_kernel(bvh, face_tr, use_tr, min_tr, targets, stations,
                               np.zeros(n, np.int64), np.full(n, stations.shape[0], np.int64),
                               closest, offset, out_fwd, out_bwd)


@pjit
def first_reveal_ranges_kernel(bvh, face_tr, use_tr, min_tr, targets, stations, start, end,
                               closest, offset, out_fwd, out_bwd):
    """:func:`first_reveal_kernel` for many routes at once: target i belongs to the route
    whose stations are ``stations[start[i]:end[i]]`` (walking order), ``closest[i]`` (an index
    into ``stations``) in that range. Forward: stations ``start[i]..closest[i]``; backward:
    ``end[i] - 1`` down to ``closest[i]``."""
    n = targets.shape[0]
    n_blocks = (n + PBLOCK - 1) // PBLOCK
    for b in prange(n_blocks):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        for i in range(b * PBLOCK, min(n, (b + 1) * PBLOCK)):
            tx = targets[i, 0]
            ty = targets[i, 1]
            tz = targets[i, 2]
            out_fwd[i] = _reveal_scan(bvh, stack, face_tr, use_tr, min_tr, stations, start[i],
                                      1, closest[i] - start[i] + 1, tx, ty, tz, offset)
            out_bwd[i] = _reveal_scan(bvh, stack, face_tr, use_tr, min_tr, stations, end[i] - 1,
                                      -1, end[i] - closest[i], tx, ty, tz, offset)
