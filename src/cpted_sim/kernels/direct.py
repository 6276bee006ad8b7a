"""Direct illuminance from point sources with shadow rays (layer L1, Numba).

For every point and every luminaire in range: the direction, the luminaire's intensity
(``kernels.photometry.intensity_at``), the geometric factor of the requested kind, and the
transmittance of the shadow ray through the BVH (partly transparent faces multiply).

Kinds (``u`` = unit vector from the point towards the luminaire, ``n`` = the point's normal or
facing direction, ``ε`` = angle between ``u`` and the upward vertical, ``α`` = horizontal angle
between ``n`` and ``u``), each times ``I / d²``:

- ``KIND_PLANE`` (horizontal, vertical, any plane): ``max(0, u·n)``;
- ``KIND_SEMICYLINDRICAL``: ``(1 + cos α) sin ε / π`` (EN 13201-3, CIE 140);
- ``KIND_CYLINDRICAL``: ``sin ε / π``;
- ``KIND_HEMISPHERICAL``: ``(1 + cos ε) / 4``.

The range cut-off: a pair is skipped when an upper bound of its contribution, ``I_env g / d²``,
is below ``cutoff`` (``I_env`` the luminaire's largest intensity over the band of gamma the
direction falls in, ``envelope``; ``g`` the geometric factor), when its exact contribution
``I g / d²`` is below ``cutoff``, or when it is farther than ``max_distance``. Each skipped
pair therefore carries less than ``cutoff`` lux. Candidate luminaires are found once per tile
of ``TILE`` points from the tile's bounding box and each luminaire's radius
``sqrt(I_max g_max / cutoff)``. All coordinates are scene-local; kernels trust their inputs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import jit, pjit
from .bvh_query import STACK_SIZE, segment_transmittance
from .photometry import intensity_at

__all__ = ["KIND_PLANE", "KIND_SEMICYLINDRICAL", "KIND_CYLINDRICAL", "KIND_HEMISPHERICAL",
           "G_MAX", "TILE", "N_BANDS", "geometric_factor", "direct_illuminance",
           "luminaire_peaks", "intensity_envelope"]

KIND_PLANE = 0
KIND_SEMICYLINDRICAL = 1
KIND_CYLINDRICAL = 2
KIND_HEMISPHERICAL = 3

#: Largest value of each kind's geometric factor (index = kind).
G_MAX = (1.0, 2.0 / math.pi, 1.0 / math.pi, 0.5)

TILE = 32
N_BANDS = 64
INV_PI = 1.0 / math.pi


@jit
def geometric_factor(kind, ux, uy, uz, nx, ny, nz):
    """Geometric factor [-] for a unit direction ``u`` (point to source) and normal ``n``.

    ``n`` is the plane normal (plane kind) or the horizontal unit facing direction
    (semicylindrical); the other kinds ignore it.
    """
    if kind == 0:
        c = ux * nx + uy * ny + uz * nz
        return c if c > 0.0 else 0.0
    if kind == 3:
        return 0.25 * (1.0 + uz)
    s = math.sqrt(ux * ux + uy * uy)
    if kind == 2:
        return s * INV_PI
    if s <= 0.0:
        return 0.0
    cos_a = (ux * nx + uy * ny) / s
    return (1.0 + cos_a) * s * INV_PI


@jit
def luminaire_peaks(lum):
    """Largest intensity [cd] of each luminaire (table maximum times its scale), (n,)."""
    n = lum.scale.shape[0]
    out = np.empty(n)
    for i in range(n):
        start = lum.table_start[i]
        size = lum.n_c[i] * lum.n_g[i]
        m = 0.0
        for k in range(start, start + size):
            if lum.candela[k] > m:
                m = lum.candela[k]
        out[i] = m * lum.scale[i]
    return out


@jit
def intensity_envelope(lum, n_bands):
    """Upper bound [cd] of each luminaire's intensity in bands of cos(gamma), (l, n_bands).

    Band ``b`` holds ``cos(gamma)`` from ``1 - 2 b / n_bands`` down to ``1 - 2 (b + 1) /
    n_bands``. The bilinear lookup never exceeds the corners of its table cell, so the bound
    is the largest table value over every gamma cell that overlaps the band (widened by 1e-9
    rad for rounding), over all C, times the luminaire's scale.
    """
    n = lum.scale.shape[0]
    out = np.zeros((n, n_bands))
    for i in range(n):
        n_c = lum.n_c[i]
        n_g = lum.n_g[i]
        g0 = lum.g_start[i]
        t0 = lum.table_start[i]
        col = np.zeros(n_g)
        for j in range(n_g):
            m = 0.0
            for c in range(n_c):
                v = lum.candela[t0 + c * n_g + j]
                if v > m:
                    m = v
            col[j] = m
        for b in range(n_bands):
            c_hi = 1.0 - 2.0 * b / n_bands
            c_lo = 1.0 - 2.0 * (b + 1) / n_bands
            ga = math.acos(min(1.0, max(-1.0, c_hi))) - 1e-9
            gb = math.acos(min(1.0, max(-1.0, c_lo))) + 1e-9
            m = 0.0
            for j in range(n_g - 1):
                lo = lum.g_rad[g0 + j]
                hi = lum.g_rad[g0 + j + 1]
                if lo <= gb and hi >= ga:
                    m = max(m, col[j], col[j + 1])
            # directions beyond the table's gamma range are clamped to its end rows
            if ga < lum.g_rad[g0]:
                m = max(m, col[0])
            if gb > lum.g_rad[g0 + n_g - 1]:
                m = max(m, col[n_g - 1])
            out[i, b] = m * lum.scale[i]
    return out


@pjit
def direct_illuminance(bvh, face_transmittance, lum, peaks, envelope, tail, points, starts,
                       normals, kind, cutoff, max_distance, offset, shadows, out, pairs, rays):
    """Direct illuminance [lx] at ``points`` from every luminaire in range.

    Parameters
    ----------
    bvh : FlatBVH
    face_transmittance : (f,) float
        Light transmittance of each face [-].
    lum : LuminaireArrays
        Positions in scene-local coordinates.
    peaks : (l,) float
        ``luminaire_peaks(lum)`` [cd].
    envelope : (l, b) float
        Upper bound of each luminaire's intensity [cd] (scale included) in ``b`` equal bands
        of ``cos(gamma)`` from 1 (band 0, straight down) to -1 (straight up).
    tail : (l, b) float
        ``tail[i, b] = max(envelope[i, b:])``: the bound for every gamma beyond band ``b``.
    points : (n, 3) float
        Scene-local points [m] (distances and angles).
    starts : (n, 3) float
        Where each point's shadow rays start [m]: the point moved to its own side of a surface
        it lies on (``CalculationGrid.side_lift``), so it is never lit through that surface.
    normals : (n, 3) float
        Unit normals (plane) or horizontal unit facing directions (semicylindrical).
    kind : int
        One of the ``KIND_*`` constants.
    cutoff : float
        Smallest contribution kept [lx]; 0 keeps every pair.
    max_distance : float
        Largest point-luminaire distance [m] (``inf`` for none).
    offset : float
        Distance [m] ignored at both ends of a shadow ray.
    shadows : bool
        Trace shadow rays (``False``: unobstructed illuminance).
    out : (n,) float
        Written: illuminance [lx].
    pairs : (n_tiles,) int64
        Written: point-luminaire pairs in range (``I_max g / d² >= cutoff``), per tile.
    rays : (n_tiles,) int64
        Written: shadow rays traced, per tile.
    """
    n = points.shape[0]
    n_lum = peaks.shape[0]
    n_tiles = (n + TILE - 1) // TILE
    g_max = 1.0
    if kind == 1:
        g_max = 2.0 * INV_PI
    elif kind == 2:
        g_max = INV_PI
    elif kind == 3:
        g_max = 0.5
    md2 = max_distance * max_distance
    n_bands = envelope.shape[1]
    half_bands = 0.5 * n_bands
    rot = lum.rotation
    for b in prange(n_tiles):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        cand = np.empty(n_lum, dtype=np.int64)
        lo = b * TILE
        hi = min(n, lo + TILE)
        x0 = points[lo, 0]
        x1 = x0
        y0 = points[lo, 1]
        y1 = y0
        z0 = points[lo, 2]
        z1 = z0
        for k in range(lo + 1, hi):
            x0 = min(x0, points[k, 0])
            x1 = max(x1, points[k, 0])
            y0 = min(y0, points[k, 1])
            y1 = max(y1, points[k, 1])
            z0 = min(z0, points[k, 2])
            z1 = max(z1, points[k, 2])
        cx = 0.5 * (x0 + x1)
        cy = 0.5 * (y0 + y1)
        cz = 0.5 * (z0 + z1)
        rb = 0.5 * math.sqrt((x1 - x0) ** 2 + (y1 - y0) ** 2 + (z1 - z0) ** 2)
        n_cand = 0
        for i in range(n_lum):
            if peaks[i] <= 0.0:
                continue
            lx = lum.position[i, 0]
            ly = lum.position[i, 1]
            lz = lum.position[i, 2]
            ex = max(x0 - lx, 0.0, lx - x1)
            ey = max(y0 - ly, 0.0, ly - y1)
            ez = max(z0 - lz, 0.0, lz - z1)
            d2 = ex * ex + ey * ey + ez * ez
            if d2 > md2:
                continue
            if cutoff > 0.0:
                if peaks[i] * g_max < cutoff * d2:
                    continue
                # smallest gamma over the tile: the angle from the luminaire's axis to the
                # tile's centre less the tile's angular radius; above it the intensity is at
                # most the envelope's tail maximum
                vx = cx - lx
                vy = cy - ly
                vz = cz - lz
                dc = math.sqrt(vx * vx + vy * vy + vz * vz)
                if dc > rb:
                    # cos(theta - delta) with cos(theta) = axis . v / |v| and sin(delta) =
                    # rb / |v|, when theta > delta (else the axis points into the tile)
                    ct = -(rot[i, 2, 0] * vx + rot[i, 2, 1] * vy + rot[i, 2, 2] * vz) / dc
                    ct = min(1.0, max(-1.0, ct))
                    st = math.sqrt(1.0 - ct * ct)
                    sd = rb / dc
                    cd = math.sqrt(1.0 - sd * sd)
                    if st * cd > ct * sd:      # sin(theta - delta) > 0: theta > delta
                        cmin = ct * cd + st * sd
                        band = int((1.0 - cmin) * half_bands)
                        if band >= n_bands:
                            band = n_bands - 1
                        if band > 0 and tail[i, band] * g_max < cutoff * d2:
                            continue
            cand[n_cand] = i
            n_cand += 1
        n_pairs = 0
        n_rays = 0
        for k in range(lo, hi):
            px = points[k, 0]
            py = points[k, 1]
            pz = points[k, 2]
            nx = normals[k, 0]
            ny = normals[k, 1]
            nz = normals[k, 2]
            e = 0.0
            for c in range(n_cand):
                i = cand[c]
                vx = lum.position[i, 0] - px
                vy = lum.position[i, 1] - py
                vz = lum.position[i, 2] - pz
                d2 = vx * vx + vy * vy + vz * vz
                if d2 > md2 or d2 <= 0.0:
                    continue
                inv_d = 1.0 / math.sqrt(d2)
                ux = vx * inv_d
                uy = vy * inv_d
                uz = vz * inv_d
                g = geometric_factor(kind, ux, uy, uz, nx, ny, nz)
                if g <= 0.0:
                    continue
                scale = g / d2
                # cos(gamma) in the luminaire frame of the direction luminaire -> point (-u)
                cg = (rot[i, 2, 0] * ux + rot[i, 2, 1] * uy + rot[i, 2, 2] * uz)
                band = int((1.0 - cg) * half_bands)
                if band < 0:
                    band = 0
                elif band >= n_bands:
                    band = n_bands - 1
                if envelope[i, band] * scale < cutoff:
                    continue
                n_pairs += 1
                contrib = intensity_at(lum, i, -ux, -uy, -uz) * scale
                if contrib <= 0.0 or contrib < cutoff:
                    continue
                if shadows:
                    n_rays += 1
                    contrib *= segment_transmittance(
                        bvh, stack, face_transmittance, starts[k, 0], starts[k, 1], starts[k, 2],
                        lum.position[i, 0], lum.position[i, 1], lum.position[i, 2], offset)
                e += contrib
            out[k] = e
        pairs[b] = n_pairs
        rays[b] = n_rays
