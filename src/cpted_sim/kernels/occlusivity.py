"""Isovist occlusivity from the real occluding edges (layer L1, Numba).

Occlusivity (Benedikt 1979) is the length of the isovist's *occluding radial boundaries*: the
parts of its boundary that are no surface but run along a sightline, from an occluding edge
(the end or silhouette of a nearer surface) to the surface seen behind it. On a fan of rays
they are the depth discontinuities of the distance ``r(theta)`` to the first surface.

A long wall seen obliquely also gives neighbouring rays very different distances, yet its
boundary is a surface. So the boundary between two neighbouring rays is *continuous* when
either hit lies on the other hit's surface trace (the line where the hit face cuts the
horizontal plane), and both rays open (the arc at the largest radius) is continuous too.

Any other pair brackets a corner or a discontinuity. The nearer end's surface is followed to
the end ``E`` of its cross-section inside the bracket (across the faces of the same plane) and
one ray is cast just past ``E``: when it sees the farther end's surface, the occluding radial
runs from ``E`` to that surface along the ray through ``E`` (exactly; 0 for a corner, where the
two surfaces meet at ``E``); when it sees a third, farther surface, that radial is counted and
the rest of the bracket is treated the same way. When the nearer surface recedes behind the
farther end's object, that object is followed from its own end instead. What this cannot
explain is bisected with extra rays for ``levels`` steps, always keeping the half that is not
continuous: across a corner the jump ``|r_b - r_a|`` halves with every step, across a
discontinuity it stays, and the pair counts the final jump when it is more than
``8 / 2**levels`` of the first one.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from .bvh_query import _closest

__all__ = ["trace_ray", "face_trace", "fan_traces", "continuous", "occluding_length",
           "fan_occlusivity"]


@jit
def trace_ray(bvh, stack, ox, oy, oz, c, s, tmin, rmax):
    """Closest hit of the horizontal ray ``(c, s, 0)``: ``(r, lx, ly, hit, row)``.

    ``r`` is the distance [m] (``rmax`` when open), ``(lx, ly)`` the unit direction of the hit
    face's trace in the horizontal plane (``(0, 0)`` for a face seen edge-on), ``hit`` 1.0 for
    a hit and 0.0 for an open ray, ``row`` the tree's triangle row (-1 when open).
    """
    row, t = _closest(bvh.nodes.view(np.float32), bvh.nodes, bvh.tri, stack,
                      ox, oy, oz, c, s, 0.0, tmin, rmax)
    if row < 0:
        return rmax, 0.0, 0.0, 0.0, -1
    lx, ly = face_trace(bvh.tri, row)
    return t, lx, ly, 1.0, row


@jit
def face_trace(tri, row):
    """Unit direction ``(lx, ly)`` of triangle ``row``'s trace in a horizontal plane
    (``(0, 0)`` for a horizontal triangle)."""
    e1x = tri[row, 3] - tri[row, 0]
    e1y = tri[row, 4] - tri[row, 1]
    e1z = tri[row, 5] - tri[row, 2]
    e2x = tri[row, 6] - tri[row, 0]
    e2y = tri[row, 7] - tri[row, 1]
    e2z = tri[row, 8] - tri[row, 2]
    nx = e1y * e2z - e1z * e2y
    ny = e1z * e2x - e1x * e2z
    h = math.sqrt(nx * nx + ny * ny)
    if h <= 0.0:
        return 0.0, 0.0
    return -ny / h, nx / h


@jit
def fan_traces(bvh, stack, ox, oy, oz, cos_t, sin_t, tmin, rmax, r, hit, rows):
    """Cast the horizontal fan into ``r``, ``hit`` and ``rows`` (the surface traces follow from
    the rows when needed, :func:`face_trace`); returns the open rays."""
    tri = bvh.tri
    n_open = 0
    for k in range(cos_t.shape[0]):
        row, t = _closest(bvh.nodes.view(np.float32), bvh.nodes, tri, stack,
                          ox, oy, oz, cos_t[k], sin_t[k], 0.0, tmin, rmax)
        rows[k] = row
        if row < 0:
            r[k] = rmax
            hit[k] = 0.0
            n_open += 1
        else:
            r[k] = t
            hit[k] = 1.0
    return n_open


@jit
def continuous(ra, ca, sa, lxa, lya, ha, rb, cb, sb, lxb, lyb, hb, tol):
    """Whether the isovist boundary between two rays' ends runs along a surface.

    True when both rays are open, or both hit and either end lies within ``tol`` times the
    larger distance of the other end's surface trace.
    """
    if ha == 0.0 and hb == 0.0:
        return True
    if ha == 0.0 or hb == 0.0:
        return False
    ex = rb * cb - ra * ca
    ey = rb * sb - ra * sa
    lim = tol * max(ra, rb)
    if (lxa != 0.0 or lya != 0.0) and abs(lxa * ey - lya * ex) <= lim:
        return True
    if (lxb != 0.0 or lyb != 0.0) and abs(lxb * ey - lyb * ex) <= lim:
        return True
    return False


@jit
def occluding_length(bvh, stack, ox, oy, oz, tha, ra, lxa, lya, ha, rowa, thb, rb, lxb, lyb,
                     hb, rowb, tmin, rmax, levels, tol):
    """Length [m] of the occluding radials between rays at angles ``tha < thb`` (0 if none).

    See the module notes: walk the nearer surface to its end and look past it (exact), as
    long as that explains the bracket; else bisect what is left.
    """
    total = 0.0
    eps = 1e-4 * (thb - tha)
    for _ in range(8):
        ca = math.cos(tha)
        sa = math.sin(tha)
        cb = math.cos(thb)
        sb = math.sin(thb)
        if continuous(ra, ca, sa, lxa, lya, ha, rb, cb, sb, lxb, lyb, hb, tol):
            return total
        near_a = hb == 0.0 or (ha != 0.0 and ra <= rb)
        from_a = near_a
        for attempt in range(2):
            if from_a:
                code, j, r2, pc, ps, lx2, ly2, h2, row2 = _walk(
                    bvh, stack, ox, oy, oz, ra, ca, sa, lxa, lya, rowa, rb, cb, sb, lxb, lyb,
                    hb, 1.0, eps, tmin, rmax, tol)
            else:
                code, j, r2, pc, ps, lx2, ly2, h2, row2 = _walk(
                    bvh, stack, ox, oy, oz, rb, cb, sb, lxb, lyb, rowb, ra, ca, sa, lxa, lya,
                    ha, -1.0, eps, tmin, rmax, tol)
            # the nearer end's surface may recede behind the farther end's object: walk that
            # object from its own end instead
            if code >= 0 or (ha == 0.0 or hb == 0.0):
                break
            from_a = not from_a
        near_a = from_a
        if code == 0:
            return total + j
        if code < 0:
            break
        # an occluding edge onto a third surface: go on with the rest of the bracket
        total += j
        th2 = math.atan2(ps, pc)
        while th2 < tha:
            th2 += 2.0 * math.pi
        if not tha < th2 < thb:
            break
        if near_a:
            tha, ra, lxa, lya, ha, rowa = th2, r2, lx2, ly2, h2, row2
        else:
            thb, rb, lxb, lyb, hb, rowb = th2, r2, lx2, ly2, h2, row2
    return total + _bisect(bvh, stack, ox, oy, oz, tha, ra, lxa, lya, ha, thb, rb, lxb, lyb,
                           hb, tmin, rmax, levels, tol)


@jit
def _bisect(bvh, stack, ox, oy, oz, tha, ra, lxa, lya, ha, thb, rb, lxb, lyb, hb, tmin, rmax,
            levels, tol):
    """Bisect a bracket towards its discontinuity, keeping the half that is not continuous;
    the final jump when it did not shrink with the bracket (a corner's does), else 0."""
    ca = math.cos(tha)
    sa = math.sin(tha)
    cb = math.cos(thb)
    sb = math.sin(thb)
    if continuous(ra, ca, sa, lxa, lya, ha, rb, cb, sb, lxb, lyb, hb, tol):
        return 0.0
    j0 = abs(rb - ra)
    limit = 8.0 * j0 * math.ldexp(1.0, -levels)
    for _ in range(levels):
        thm = 0.5 * (tha + thb)
        cm = math.cos(thm)
        sm = math.sin(thm)
        rm, lxm, lym, hm, _ = trace_ray(bvh, stack, ox, oy, oz, cm, sm, tmin, rmax)
        left = continuous(ra, ca, sa, lxa, lya, ha, rm, cm, sm, lxm, lym, hm, tol)
        right = continuous(rm, cm, sm, lxm, lym, hm, rb, cb, sb, lxb, lyb, hb, tol)
        if left and right:
            return 0.0
        go_right = left or (not right and abs(rb - rm) >= abs(rm - ra))
        if go_right:
            tha, ra, ca, sa, lxa, lya, ha = thm, rm, cm, sm, lxm, lym, hm
        else:
            thb, rb, cb, sb, lxb, lyb, hb = thm, rm, cm, sm, lxm, lym, hm
        if abs(rb - ra) <= limit:
            return 0.0        # the jump shrinks with the bracket: a corner, not an edge
    return abs(rb - ra)


@jit
def _section_end(tri, row, oz, ox, oy, cx, cy, sigma):
    """The end of triangle ``row``'s cross-section at height ``oz`` farthest to the side
    ``sigma`` (+1 counter-clockwise) of the direction ``(cx, cy)`` seen from ``(ox, oy)``;
    ``(x, y, ok)``."""
    best_x = 0.0
    best_y = 0.0
    best = -np.inf
    found = 0
    for e in range(3):
        i = 3 * e
        j = 3 * ((e + 1) % 3)
        zp = tri[row, i + 2] - oz
        zq = tri[row, j + 2] - oz
        if zp * zq > 0.0 or zp == zq:
            continue
        f = zp / (zp - zq)
        x = tri[row, i] + f * (tri[row, j] - tri[row, i])
        y = tri[row, i + 1] + f * (tri[row, j + 1] - tri[row, i + 1])
        side = sigma * (cx * (y - oy) - cy * (x - ox))
        found += 1
        if side > best:
            best = side
            best_x = x
            best_y = y
    return best_x, best_y, found >= 2


@jit
def _walk(bvh, stack, ox, oy, oz, rn, cn, sn, lxn, lyn, rown, rf, cf, sf, lxf, lyf, hf, sigma,
          eps, tmin, rmax, tol):
    """Follow the nearer end's surface to its end ``E`` inside the bracket (up to 8 faces of
    the same surface) and look just past it with one ray.

    Returns ``(code, j, r, c, s, lx, ly, hit, row)``: code 0 when the far end's surface is seen
    there (``j`` the radial from ``E`` to it along the ray through ``E``; 0 for a corner, where
    the two meet at ``E``); code 1 when a third, farther surface is seen (``j`` the radial onto
    it, and the ray past ``E`` in the rest, which the caller goes on with); code -1 when the
    bracket holds something else (the caller bisects).
    """
    tri = bvh.tri
    for _ in range(8):
        ex, ey, ok = _section_end(tri, rown, oz, ox, oy, cn, sn, sigma)
        if not ok:
            break
        vx = ex - ox
        vy = ey - oy
        de = math.sqrt(vx * vx + vy * vy)
        if de <= 0.0:
            break
        ux = vx / de
        uy = vy / de
        # E strictly between the current ray and the far ray
        if sigma * (cn * uy - sn * ux) <= 0.0:
            break
        if sigma * (ux * sf - uy * cf) <= 0.0:
            if hf == 0.0:   # the surface only recedes past max_radius: no occluding edge
                return 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1
            break
        if hf != 0.0 and (lxf != 0.0 or lyf != 0.0):
            # E on the far end's surface trace: a corner where the two surfaces meet, no ray
            if abs(lxf * (ey - oy - rf * sf) - lyf * (ex - ox - rf * cf)) <= tol * max(rn, rf):
                return 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1
        ce = math.cos(sigma * eps)
        se = math.sin(sigma * eps)
        pc = ux * ce - uy * se
        ps = ux * se + uy * ce
        r2, lx2, ly2, h2, row2 = trace_ray(bvh, stack, ox, oy, oz, pc, ps, tmin, rmax)
        to_far = continuous(rf, cf, sf, lxf, lyf, hf, r2, pc, ps, lx2, ly2, h2, tol)
        if not to_far and h2 != 0.0 and continuous(rn, cn, sn, lxn, lyn, 1.0, r2, pc, ps, lx2,
                                                   ly2, h2, tol):
            rn = r2
            cn = pc
            sn = ps
            lxn = lx2
            lyn = ly2
            rown = row2
            continue
        if h2 == 0.0:
            far = rmax
        else:
            den = ux * ly2 - uy * lx2
            if abs(den) <= 1e-12:
                break
            far = (r2 * pc * ly2 - r2 * ps * lx2) / den
        j = far - de
        if to_far:
            if j <= tol * max(rn, rf):
                j = 0.0
            return 0, j, r2, pc, ps, lx2, ly2, h2, row2
        if j <= tol * max(rn, rf):
            break       # a nearer surface begins at E: leave it to the bisection
        return 1, j, r2, pc, ps, lx2, ly2, h2, row2
    return -1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1


@jit
def fan_occlusivity(bvh, stack, ox, oy, oz, step, cos_t, sin_t, r, hit, rows, tmin, rmax,
                    levels, tol):
    """Occlusivity [m] of the fan of rays ``k step`` (k = 0 .. n-1) from ``(ox, oy, oz)``."""
    n = r.shape[0]
    tri = bvh.tri
    total = 0.0
    for k in range(n):
        k2 = k + 1
        if k2 == n:
            k2 = 0
        if hit[k] == 0.0 and hit[k2] == 0.0:
            continue
        if rows[k] == rows[k2]:
            continue            # the same triangle: one surface
        lxa = 0.0
        lya = 0.0
        lxb = 0.0
        lyb = 0.0
        if rows[k] >= 0:
            lxa, lya = face_trace(tri, rows[k])
        if rows[k2] >= 0:
            lxb, lyb = face_trace(tri, rows[k2])
        if continuous(r[k], cos_t[k], sin_t[k], lxa, lya, hit[k], r[k2], cos_t[k2],
                      sin_t[k2], lxb, lyb, hit[k2], tol):
            continue
        total += occluding_length(bvh, stack, ox, oy, oz, k * step, r[k], lxa, lya, hit[k],
                                  rows[k], (k + 1) * step, r[k2], lxb, lyb, hit[k2], rows[k2],
                                  tmin, rmax, levels, tol)
    return total
