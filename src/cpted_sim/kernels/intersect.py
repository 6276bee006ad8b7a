"""Watertight ray-triangle and ray-box tests (Woop, Benthin and Wald 2013).

All functions work on scalars so that traversal kernels can inline them. The triangle test is
compiled without fastmath: edge functions of a shared edge are then exact negatives of each
other, so a ray through an edge or a vertex of a closed mesh always hits at least one triangle.
``exact_jit`` sets ``fastmath=False`` explicitly; left unset, Numba would compile these with the
fastmath flags of the first fastmath kernel that calls them, and rays leaked through edges
(``tests/geometry/test_robustness.py``).
"""

from __future__ import annotations

import numpy as np

from .._jit import exact_jit, jit

TINY = 1e-300


@exact_jit
def ray_shear(dx, dy, dz):
    """Per-ray constants of the watertight test.

    Returns ``(kx, ky, kz, sx, sy, sz)``: the axis permutation that makes ``kz`` the dominant
    direction axis (with winding preserved) and the shear that maps the ray onto +z.
    """
    ax = abs(dx)
    ay = abs(dy)
    az = abs(dz)
    if ax > ay and ax > az:
        kz = 0
    elif ay > az:
        kz = 1
    else:
        kz = 2
    kx = kz + 1
    if kx == 3:
        kx = 0
    ky = kx + 1
    if ky == 3:
        ky = 0
    d = (dx, dy, dz)
    dkz = d[kz]
    if dkz < 0.0:
        kx, ky = ky, kx
    sx = d[kx] / dkz
    sy = d[ky] / dkz
    sz = 1.0 / dkz
    return kx, ky, kz, sx, sy, sz


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
    ax = ax_ - sx * az_
    ay = ay_ - sy * az_
    bx = bx_ - sx * bz_
    by = by_ - sy * bz_
    cx = cx_ - sx * cz_
    cy = cy_ - sy * cz_
    u = cx * by - cy * bx
    v = ax * cy - ay * cx
    w = bx * ay - by * ax
    if (u < 0.0 or v < 0.0 or w < 0.0) and (u > 0.0 or v > 0.0 or w > 0.0):
        return np.inf
    det = u + v + w
    if det == 0.0:
        return np.inf
    t = (u * sz * az_ + v * sz * bz_ + w * sz * cz_) / det
    return t


@jit
def safe_inverse(dx, dy, dz):
    """Inverse direction with zero components replaced by a huge finite value (no NaN)."""
    ix = 1.0 / dx if abs(dx) > TINY else (1.0 / TINY if dx >= 0.0 else -1.0 / TINY)
    iy = 1.0 / dy if abs(dy) > TINY else (1.0 / TINY if dy >= 0.0 else -1.0 / TINY)
    iz = 1.0 / dz if abs(dz) > TINY else (1.0 / TINY if dz >= 0.0 else -1.0 / TINY)
    return ix, iy, iz


@jit
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
