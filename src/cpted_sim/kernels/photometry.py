"""Intensity lookup I(C, gamma) of packed luminaires (layer L1, Numba).

``lum`` is the ``LuminaireArrays`` NamedTuple of ``cpted_sim.photometry.luminaire`` (flat,
C-contiguous arrays; angles in radians). Kernels trust their inputs (docs/architecture.md §5).

Frame: the world direction d (from the luminaire to the lit point, unit length) is turned into
the luminaire frame by ``rotation[i]`` (world to local); there gamma = acos(-d_z) and
C = atan2(d_y, d_x) mod 2 pi. The table is bilinear in C and gamma; C wraps at 2 pi (the
table holds both C = 0 and C = 2 pi rows), gamma is clamped to 0 .. pi.
"""

from __future__ import annotations

import math

from numba import prange

from .._jit import jit, pjit

__all__ = ["intensity_at", "intensity_local", "intensity_batch", "intensity_towards_points"]

TWO_PI = 2.0 * math.pi


@jit
def _locate_uniform(x, n, inv_step):
    """Cell index k (0 .. n-2) of ``x`` on a uniform grid from 0, and the fraction in it."""
    u = x * inv_step
    k = int(u)
    if k > n - 2:
        k = n - 2
    elif k < 0:
        k = 0
    t = u - k
    if t > 1.0:
        t = 1.0
    return k, t


@jit
def _locate_binned(x, grid, start, n, lut, lut_start, lut_n, lut_inv):
    """Cell index k (0 .. n-2) of ``x`` in a non-uniform grid[start:start+n], and the fraction.

    Starts from the uniform bin table ``lut[lut_start : lut_start + lut_n]`` (the cell holding
    each bin's left edge) and steps forward, a step or two at most.
    """
    b = int(x * lut_inv)
    if b > lut_n - 1:
        b = lut_n - 1
    elif b < 0:
        b = 0
    k = lut[lut_start + b]
    while k < n - 2 and grid[start + k + 1] <= x:
        k += 1
    a = grid[start + k]
    t = (x - a) / (grid[start + k + 1] - a)
    if t < 0.0:
        t = 0.0
    elif t > 1.0:
        t = 1.0
    return k, t


@jit
def intensity_local(lum, i, lx, ly, lz):
    """Intensity [cd] of luminaire ``i`` towards the LOCAL unit direction (lx, ly, lz).

    Includes ``lum.scale[i]`` (flux scale x maintenance factor).
    """
    cg = -lz
    if cg > 1.0:
        cg = 1.0
    elif cg < -1.0:
        cg = -1.0
    g = math.acos(cg)
    c = math.atan2(ly, lx)
    if c < 0.0:
        c += TWO_PI
    n_c = lum.n_c[i]
    n_g = lum.n_g[i]
    if lum.c_inv_step[i] > 0.0:
        kc, tc = _locate_uniform(c, n_c, lum.c_inv_step[i])
    else:
        kc, tc = _locate_binned(c, lum.c_rad, lum.c_start[i], n_c, lum.lut, lum.c_lut_start[i],
                                lum.c_lut_n[i], lum.c_lut_inv[i])
    if lum.g_inv_step[i] > 0.0:
        kg, tg = _locate_uniform(g, n_g, lum.g_inv_step[i])
    else:
        kg, tg = _locate_binned(g, lum.g_rad, lum.g_start[i], n_g, lum.lut, lum.g_lut_start[i],
                                lum.g_lut_n[i], lum.g_lut_inv[i])
    base = lum.table_start[i] + kc * n_g + kg
    cd = lum.candela
    lo = cd[base] + (cd[base + 1] - cd[base]) * tg
    hi = cd[base + n_g] + (cd[base + n_g + 1] - cd[base + n_g]) * tg
    return (lo + (hi - lo) * tc) * lum.scale[i]


@jit
def intensity_at(lum, i, dx, dy, dz):
    """Intensity [cd] of luminaire ``i`` towards the WORLD unit direction (dx, dy, dz).

    The direction points from the luminaire to the lit point. Includes ``lum.scale[i]``.
    """
    r = lum.rotation
    lx = r[i, 0, 0] * dx + r[i, 0, 1] * dy + r[i, 0, 2] * dz
    ly = r[i, 1, 0] * dx + r[i, 1, 1] * dy + r[i, 1, 2] * dz
    lz = r[i, 2, 0] * dx + r[i, 2, 1] * dy + r[i, 2, 2] * dz
    return intensity_local(lum, i, lx, ly, lz)


@pjit
def intensity_batch(lum, lum_index, directions, out):
    """``out[k] = intensity_at(lum, lum_index[k], *directions[k])`` in parallel.

    Parameters
    ----------
    lum : LuminaireArrays
    lum_index : (m,) int64
    directions : (m, 3) float64, unit world directions from the luminaire
    out : (m,) float64, written [cd]
    """
    for k in prange(lum_index.shape[0]):
        out[k] = intensity_at(lum, lum_index[k], directions[k, 0], directions[k, 1],
                              directions[k, 2])


@pjit
def intensity_towards_points(lum, i, points, out):
    """Intensity [cd] of luminaire ``i`` towards each point (same frame as ``lum.position``).

    A point at the luminaire itself gets the intensity straight down the luminaire's axis.
    """
    px = lum.position[i, 0]
    py = lum.position[i, 1]
    pz = lum.position[i, 2]
    for k in prange(points.shape[0]):
        dx = points[k, 0] - px
        dy = points[k, 1] - py
        dz = points[k, 2] - pz
        d = math.sqrt(dx * dx + dy * dy + dz * dz)
        if d > 0.0:
            out[k] = intensity_at(lum, i, dx / d, dy / d, dz / d)
        else:
            out[k] = intensity_local(lum, i, 0.0, 0.0, -1.0)

