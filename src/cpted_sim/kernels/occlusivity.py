"""Isovist occlusivity from the real occluding edges (layer L1, Numba).

Occlusivity (Benedikt 1979) is the length of the isovist's *occluding radial boundaries*: the
parts of its boundary that are no surface but run along a sightline, from an occluding edge
(the end or silhouette of a nearer surface) to the surface seen behind it. On a fan of rays
they are the depth discontinuities of the distance ``r(theta)`` to the first surface.

A long wall seen obliquely also gives neighbouring rays very different distances, yet its
boundary is a surface. So the boundary between two neighbouring rays is *continuous* when
either hit lies on the other hit's surface trace (the line where the hit face cuts the
horizontal plane), and both rays open (the arc at the largest radius) is continuous too.
Any other pair brackets either a corner (continuous) or a discontinuity; it is bisected with
extra rays, always keeping the half that is not continuous, for ``levels`` steps. Across a
corner the jump ``|r_b - r_a|`` halves with every step; across a discontinuity it stays the
gap between the two surfaces. The pair is an occluding radial when the final jump is more than
``8 / 2**levels`` of the first one, and its length is that final jump, measured within
``2**-levels`` of a ray step of the occluding edge; the result converges to the exact
occlusivity as the fan and the bisection are refined.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from .bvh_query import _closest

__all__ = ["trace_ray", "fan_traces", "continuous", "occluding_length", "fan_occlusivity"]


@jit
def trace_ray(bvh, stack, ox, oy, oz, c, s, tmin, rmax):
    """Closest hit of the horizontal ray ``(c, s, 0)``: ``(r, lx, ly, hit)``.

    ``r`` is the distance [m] (``rmax`` when open), ``(lx, ly)`` the unit direction of the hit
    face's trace in the horizontal plane (``(0, 0)`` for a face seen edge-on), ``hit`` 1.0 for
    a hit and 0.0 for an open ray.
    """
    row, t = _closest(bvh.bounds, bvh.nodes.view(np.float32), bvh.nodes, bvh.tri, stack,
                      ox, oy, oz, c, s, 0.0, tmin, rmax)
    if row < 0:
        return rmax, 0.0, 0.0, 0.0
    tri = bvh.tri
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
        return t, 0.0, 0.0, 1.0
    return t, -ny / h, nx / h, 1.0


@jit
def fan_traces(bvh, stack, ox, oy, oz, cos_t, sin_t, tmin, rmax, r, lx, ly, hit):
    """Cast the horizontal fan into ``r``, ``lx``, ``ly``, ``hit``; returns the open rays."""
    n_open = 0
    for k in range(cos_t.shape[0]):
        rk, a, b, h = trace_ray(bvh, stack, ox, oy, oz, cos_t[k], sin_t[k], tmin, rmax)
        r[k] = rk
        lx[k] = a
        ly[k] = b
        hit[k] = h
        if h == 0.0:
            n_open += 1
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
def occluding_length(bvh, stack, ox, oy, oz, tha, ra, lxa, lya, ha, thb, rb, lxb, lyb, hb,
                     tmin, rmax, levels, tol):
    """Length [m] of the occluding radial between rays at angles ``tha < thb`` (0 if none).

    See the module notes: bisect towards the discontinuity, keep the part that is not
    continuous, and compare the final jump with the first one.
    """
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
        rm, lxm, lym, hm = trace_ray(bvh, stack, ox, oy, oz, cm, sm, tmin, rmax)
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
def fan_occlusivity(bvh, stack, ox, oy, oz, step, r, lx, ly, hit, tmin, rmax, levels, tol):
    """Occlusivity [m] of the fan of rays ``k step`` (k = 0 .. n-1) from ``(ox, oy, oz)``."""
    n = r.shape[0]
    total = 0.0
    for k in range(n):
        k2 = k + 1
        if k2 == n:
            k2 = 0
        if hit[k] == 0.0 and hit[k2] == 0.0:
            continue
        if r[k] == r[k2] and lx[k] == lx[k2] and ly[k] == ly[k2]:
            continue
        total += occluding_length(bvh, stack, ox, oy, oz, k * step, r[k], lx[k], ly[k],
                                  hit[k], (k + 1) * step, r[k2], lx[k2], ly[k2], hit[k2],
                                  tmin, rmax, levels, tol)
    return total
