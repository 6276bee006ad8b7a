"""Diffuse interreflection: patch radiosity by Monte-Carlo gathering (layer L1, Numba).

Patches are sub-triangles of the scene's faces: face ``f`` is cut into ``k[f]**2`` equal
triangles (``k`` cuts per edge) numbered from ``patch_start[f]`` (see :func:`sub_index`). With
two-sided patches, patch ``p + n_front`` is the back side of patch ``p``.

Sampling is counter-based: every random number is a hash of (seed, index, sample, dimension), so
results do not depend on the thread count or on block boundaries. Directions use a randomly
shifted Hammersley set per patch or point (randomised quasi-Monte Carlo: unbiased, and its sample
variance bounds the error from above).

Hit codes stored by :func:`patch_gather`: ``>= 0`` the patch seen, ``-1`` nothing (sky),
``<= -2`` the back of face ``-code - 2`` of a one-sided scene (no reflection; light still passes
through with that face's transmittance).

All coordinates are scene-local; kernels trust their inputs (DESIGN.md §5).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import jit, pjit
from .bvh_query import STACK_SIZE, closest_hit_one, segment_transmittance
from .photometry import intensity_at

__all__ = ["hash_u01", "sub_index", "patch_of_hit", "patch_direct", "patch_gather",
           "jacobi_step", "patch_spread", "point_gather", "KIND_CODES"]

# Weighting of the final gather (see point_gather).
KIND_CODES = {"plane": 0, "cylindrical": 1, "semicylindrical": 2, "hemispherical": 3}

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@jit
def _mix(x):
    z = x + _M1
    z = (z ^ (z >> _S30)) * _M2
    z = (z ^ (z >> _S27)) * _M3
    return z ^ (z >> _S31)


@jit
def hash_u01(seed, a, b):
    """A uniform number in [0, 1) from the integers (seed, a, b) (splitmix64 chain)."""
    h = _mix(np.uint64(seed))
    h = _mix(h ^ np.uint64(a))
    h = _mix(h ^ np.uint64(b))
    return float(h >> _S11) * _INV53


@jit
def _radical_inverse2(i):
    """Van der Corput radical inverse of ``i`` in base 2."""
    x = 0.0
    f = 0.5
    while i > 0:
        if i & 1:
            x += f
        i >>= 1
        f *= 0.5
    return x


@jit
def _frame(nx, ny, nz):
    """Two unit tangents completing (nx, ny, nz) to a right-handed frame (Duff et al. 2017)."""
    s = 1.0 if nz >= 0.0 else -1.0
    a = -1.0 / (s + nz)
    b = nx * ny * a
    return (1.0 + s * nx * nx * a, s * b, -s * nx,
            b, s + ny * ny * a, -ny)


@jit
def _cosine_dir(nx, ny, nz, u1, u2):
    """Cosine-weighted direction about the unit normal n from two uniforms."""
    tx, ty, tz, bx, by, bz = _frame(nx, ny, nz)
    r = math.sqrt(u1)
    phi = 2.0 * math.pi * u2
    a = r * math.cos(phi)
    b = r * math.sin(phi)
    c = math.sqrt(max(0.0, 1.0 - u1))
    return (a * tx + b * bx + c * nx, a * ty + b * by + c * ny, a * tz + b * bz + c * nz)


@jit
def sub_index(k, i, j, upper):
    """Index of sub-triangle (i, j) of a face cut ``k`` times per edge.

    Lower triangles (corners (i, j), (i+1, j), (i, j+1) in units of 1/k of the edges from
    corner 0) come first, row by row, then the upper ones ((i+1, j), (i+1, j+1), (i, j+1)).
    """
    if upper:
        return k * (k + 1) // 2 + i * (k - 1) - i * (i - 1) // 2 + j
    return i * k - i * (i - 1) // 2 + j


@jit
def patch_of_hit(vertices, faces, patch_start, patch_k, f, px, py, pz):
    """The front patch of face ``f`` that contains the point p (on the face's plane)."""
    k = patch_k[f]
    if k == 1:
        return patch_start[f]
    a0 = faces[f, 0]
    a1 = faces[f, 1]
    a2 = faces[f, 2]
    e1x = vertices[a1, 0] - vertices[a0, 0]
    e1y = vertices[a1, 1] - vertices[a0, 1]
    e1z = vertices[a1, 2] - vertices[a0, 2]
    e2x = vertices[a2, 0] - vertices[a0, 0]
    e2y = vertices[a2, 1] - vertices[a0, 1]
    e2z = vertices[a2, 2] - vertices[a0, 2]
    wx = px - vertices[a0, 0]
    wy = py - vertices[a0, 1]
    wz = pz - vertices[a0, 2]
    d00 = e1x * e1x + e1y * e1y + e1z * e1z
    d01 = e1x * e2x + e1y * e2y + e1z * e2z
    d11 = e2x * e2x + e2y * e2y + e2z * e2z
    d20 = wx * e1x + wy * e1y + wz * e1z
    d21 = wx * e2x + wy * e2y + wz * e2z
    den = d00 * d11 - d01 * d01
    u = (d11 * d20 - d01 * d21) / den
    v = (d00 * d21 - d01 * d20) / den
    a = min(max(u, 0.0), 1.0) * k
    b = min(max(v, 0.0), 1.0) * k
    i = min(int(a), k - 1)
    j = min(int(b), k - 1 - i)
    if j < 0:
        j = 0
    upper = (a - i) + (b - j) > 1.0 and i + j <= k - 2
    return patch_start[f] + sub_index(k, i, j, upper)


@jit
def _trace_code(bvh, stack, vertices, faces, face_normal, patch_start, patch_k, n_front,
                two_sided, ox, oy, oz, dx, dy, dz, tmin):
    """Hit code of the ray o + t d (t > tmin) and its distance (see the module docstring)."""
    t, f = closest_hit_one(bvh, stack, ox, oy, oz, dx, dy, dz, tmin, np.inf)
    if f < 0:
        return -1, t
    back = dx * face_normal[f, 0] + dy * face_normal[f, 1] + dz * face_normal[f, 2] > 0.0
    if back and not two_sided:
        return -2 - f, t
    p = patch_of_hit(vertices, faces, patch_start, patch_k, f, ox + t * dx, oy + t * dy,
                     oz + t * dz)
    if back:
        p += n_front
    return p, t


@pjit
def patch_direct(bvh, face_trans, points, normals, lum, offset, cutoff, out):
    """Direct irradiance [lx] on each side-point ``points[i]`` with normal ``normals[i]``.

    Shadow rays are tested only for luminaires whose unshadowed contribution exceeds
    ``cutoff`` [lx]; transmittance of crossed faces is applied (hedges, glass).
    """
    n = points.shape[0]
    n_lum = lum.position.shape[0]
    block = 64
    for b in prange((n + block - 1) // block):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        for i in range(b * block, min(n, (b + 1) * block)):
            nx = normals[i, 0]
            ny = normals[i, 1]
            nz = normals[i, 2]
            px = points[i, 0] + offset * nx
            py = points[i, 1] + offset * ny
            pz = points[i, 2] + offset * nz
            e = 0.0
            for s in range(n_lum):
                lx = lum.position[s, 0]
                ly = lum.position[s, 1]
                lz = lum.position[s, 2]
                dx = px - lx
                dy = py - ly
                dz = pz - lz
                d2 = dx * dx + dy * dy + dz * dz
                if d2 <= 0.0:
                    continue
                d = math.sqrt(d2)
                dx /= d
                dy /= d
                dz /= d
                cos_i = -(dx * nx + dy * ny + dz * nz)
                if cos_i <= 0.0:
                    continue
                de = intensity_at(lum, s, dx, dy, dz) * cos_i / d2
                if de <= cutoff:
                    continue
                tr = segment_transmittance(bvh, stack, face_trans, lx, ly, lz, px, py, pz, offset)
                e += de * tr
            out[i] = e


@pjit
def patch_gather(bvh, vertices, faces, face_normal, face_trans, patch_start, patch_k, n_front,
                 two_sided, patch_trans, corners, normals, first, seed, offset, hits):
    """Cosine-weighted rays from random points of patches ``first .. first + len(hits)``.

    ``hits[p - first, r, l]`` receives the hit code of layer ``l`` of ray ``r`` (layers follow
    the ray through transmissive faces; -1 ends the chain).
    """
    n = hits.shape[0]
    n_rays = hits.shape[1]
    n_layers = hits.shape[2]
    inv_n = 1.0 / n_rays
    for q in prange(n):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        p = first + q
        nx = normals[p, 0]
        ny = normals[p, 1]
        nz = normals[p, 2]
        s1 = hash_u01(seed, p, 0x51)
        s2 = hash_u01(seed, p, 0x52)
        for r in range(n_rays):
            u1 = (r + 0.5) * inv_n + s1
            u1 -= math.floor(u1)
            u2 = _radical_inverse2(r) + s2
            u2 -= math.floor(u2)
            # A uniform point on the patch triangle (independent of the direction pair).
            a = hash_u01(seed, p, 4 * r + 1)
            c = hash_u01(seed, p, 4 * r + 2)
            if a + c > 1.0:
                a = 1.0 - a
                c = 1.0 - c
            ox = corners[p, 0] + a * (corners[p, 3] - corners[p, 0]) + c * (corners[p, 6] - corners[p, 0])
            oy = corners[p, 1] + a * (corners[p, 4] - corners[p, 1]) + c * (corners[p, 7] - corners[p, 1])
            oz = corners[p, 2] + a * (corners[p, 5] - corners[p, 2]) + c * (corners[p, 8] - corners[p, 2])
            dx, dy, dz = _cosine_dir(nx, ny, nz, u1, u2)
            tmin = offset
            for lay in range(n_layers):
                code, t = _trace_code(bvh, stack, vertices, faces, face_normal, patch_start,
                                      patch_k, n_front, two_sided, ox, oy, oz, dx, dy, dz, tmin)
                hits[q, r, lay] = code
                if code == -1:
                    for rest in range(lay + 1, n_layers):
                        hits[q, r, rest] = -1
                    break
                if code >= 0:
                    tr = patch_trans[code]
                else:
                    tr = face_trans[-code - 2]
                if tr <= 0.0:
                    for rest in range(lay + 1, n_layers):
                        hits[q, r, rest] = -1
                    break
                tmin = t + offset


@jit
def _code_value(code, patch_trans, face_trans, radiosity):
    """Radiosity seen through hit ``code`` and the transmittance the ray keeps beyond it."""
    if code >= 0:
        return radiosity[code], patch_trans[code]
    return 0.0, face_trans[-code - 2]


@pjit
def jacobi_step(hits, patch_trans, face_trans, reflectance, e_direct, b_in, b_out, h_out):
    """One bounce: H = mean radiosity seen by a patch's rays, B_out = rho (E_direct + H).

    ``patch_trans`` [-] is each patch's face transmittance (a ray crossing it keeps that
    fraction). Radiosity is in lm/m2 (the cosine-weighted mean of pi L is irradiance).
    """
    n = hits.shape[0]
    n_rays = hits.shape[1]
    n_layers = hits.shape[2]
    for p in prange(n):
        acc = 0.0
        for r in range(n_rays):
            w = 1.0
            for lay in range(n_layers):
                code = hits[p, r, lay]
                if code == -1:
                    break
                val, tr = _code_value(code, patch_trans, face_trans, b_in)
                acc += w * val
                w *= tr
                if w <= 0.0:
                    break
        h = acc / n_rays
        h_out[p] = h
        b_out[p] = reflectance[p] * (e_direct[p] + h)


@pjit
def patch_spread(hits, patch_trans, face_trans, radiosity, out_se):
    """Standard error [lx] of each patch's gathered irradiance (sample variance / n)."""
    n = hits.shape[0]
    n_rays = hits.shape[1]
    n_layers = hits.shape[2]
    for p in prange(n):
        s = 0.0
        s2 = 0.0
        for r in range(n_rays):
            w = 1.0
            acc = 0.0
            for lay in range(n_layers):
                code = hits[p, r, lay]
                if code == -1:
                    break
                val, tr = _code_value(code, patch_trans, face_trans, radiosity)
                acc += w * val
                w *= tr
                if w <= 0.0:
                    break
            s += acc
            s2 += acc * acc
        mean = s / n_rays
        var = max(0.0, s2 / n_rays - mean * mean)
        out_se[p] = math.sqrt(var / max(1, n_rays - 1))


@jit
def _pair_sum(ids, vals, m):
    """Sum over distinct ids of (count * val)**2 for the first ``m`` entries (sorts ``ids``)."""
    order = np.argsort(ids[:m])
    total = 0.0
    run_id = -1
    run = 0.0
    for k in range(m):
        j = order[k]
        if ids[j] != run_id:
            total += run * run
            run = 0.0
            run_id = ids[j]
        run += vals[j]
    total += run * run
    return total


@pjit
def point_gather(bvh, vertices, faces, face_normal, face_trans, patch_start, patch_k, n_front,
                 two_sided, patch_trans, radiosity, patch_se, patch_disc, points, normals, kind,
                 n_rays, max_layers, seed, first, offset, out_e, out_stat, out_patch, out_disc):
    """Indirect illuminance [lx] at points by gathering the patch radiosity.

    ``kind`` 0: plane with normal ``normals[i]`` (cosine-weighted rays about it);
    1: cylindrical (a random horizontal normal per ray); 2: semicylindrical facing
    ``normals[i]`` (random horizontal normal within +-90 deg of it); 3: hemispherical (a random
    normal on the upper hemisphere). In every case the estimator is the mean radiosity seen
    (pi times the mean radiance). Outputs per point: the estimate, its standard error, the
    propagated error of the patch solution and the discretisation term [lx].
    """
    n = points.shape[0]
    inv_n = 1.0 / n_rays
    block = 16
    for blk in prange((n + block - 1) // block):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        ids = np.empty(n_rays, dtype=np.int64)
        se_v = np.empty(n_rays)
        di_v = np.empty(n_rays)
        for i in range(blk * block, min(n, (blk + 1) * block)):
            gi = first + i
            ox = points[i, 0]
            oy = points[i, 1]
            oz = points[i, 2]
            s1 = hash_u01(seed, gi, 0x61)
            s2 = hash_u01(seed, gi, 0x62)
            s3 = hash_u01(seed, gi, 0x63)
            s = 0.0
            s2sum = 0.0
            m = 0
            for r in range(n_rays):
                u1 = (r + 0.5) * inv_n + s1
                u1 -= math.floor(u1)
                u2 = _radical_inverse2(r) + s2
                u2 -= math.floor(u2)
                u3 = r * 0.6180339887498949 + s3
                u3 -= math.floor(u3)
                if kind == 0:
                    nx = normals[i, 0]
                    ny = normals[i, 1]
                    nz = normals[i, 2]
                elif kind == 3:
                    # Uniform normal on the upper hemisphere.
                    ct = u3
                    st = math.sqrt(max(0.0, 1.0 - ct * ct))
                    ph = 2.0 * math.pi * hash_u01(seed, gi, 2 * r + 1)
                    nx = st * math.cos(ph)
                    ny = st * math.sin(ph)
                    nz = ct
                else:
                    if kind == 1:
                        ph = 2.0 * math.pi * u3
                    else:
                        ph = math.atan2(normals[i, 1], normals[i, 0]) + math.pi * (u3 - 0.5)
                    nx = math.cos(ph)
                    ny = math.sin(ph)
                    nz = 0.0
                dx, dy, dz = _cosine_dir(nx, ny, nz, u1, u2)
                tmin = offset
                w = 1.0
                val = 0.0
                for lay in range(max_layers):
                    code, t = _trace_code(bvh, stack, vertices, faces, face_normal, patch_start,
                                          patch_k, n_front, two_sided, ox, oy, oz, dx, dy, dz,
                                          tmin)
                    if code == -1:
                        break
                    if code >= 0:
                        val += w * radiosity[code]
                        if lay == 0:
                            ids[m] = code
                            se_v[m] = patch_se[code]
                            di_v[m] = patch_disc[code]
                            m += 1
                        w *= patch_trans[code]
                    else:
                        w *= face_trans[-code - 2]
                    if w <= 0.0:
                        break
                    tmin = t + offset
                s += val
                s2sum += val * val
            mean = s * inv_n
            var = max(0.0, s2sum * inv_n - mean * mean)
            out_e[i] = mean
            out_stat[i] = math.sqrt(var / max(1, n_rays - 1))
            if m > 0:
                out_patch[i] = math.sqrt(_pair_sum(ids, se_v, m)) * inv_n
                out_disc[i] = math.sqrt(_pair_sum(ids, di_v, m)) * inv_n
            else:
                out_patch[i] = 0.0
                out_disc[i] = 0.0
