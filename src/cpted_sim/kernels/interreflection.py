"""Diffuse interreflection: patch radiosity by Monte-Carlo gathering (layer L1, Numba).

Patches are cells of a square grid laid on each face in its own plane (``cells``, the
``PatchCells`` named tuple of ``lighting/interreflection.py``): face ``f`` is the triangle
(0, 0), (flen, 0), (fcu, fh) of the frame ``origin + u axis_u + v axis_v`` with ``u`` along its
longest edge; cell (i, j) of its ``nu x nv`` cells of ``du x dv`` [m] is ``cell_start[f] +
i nv + j``, and ``cell_patch`` maps cells to patches (-1 for cells outside the triangle). So a
long, thin face gets near-square patches and a small face is one patch. With two-sided patches,
patch ``p + n_front`` is the back side of patch ``p``.

Sampling is counter-based: every random number is a hash of (seed, index, sample, dimension), so
results do not depend on the thread count or on block boundaries. Directions use randomised
quasi-Monte Carlo (:func:`rqmc`): four independently shifted Hammersley sets per patch or point,
unbiased, and the spread of the four replicate means estimates the standard error honestly
(the i.i.d. formula would overstate a stratified set's error several times).

Hit codes stored by :func:`patch_gather`: ``>= 0`` the patch seen, ``-1`` nothing (sky),
``<= -2`` the back of face ``-code - 2`` of a one-sided scene (no reflection; light still passes
through with that face's transmittance).

All coordinates are scene-local; kernels trust their inputs (docs/architecture.md §5).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import jit, pjit
from .bvh_query import STACK_SIZE, closest_hit_one, segment_transmittance

__all__ = ["hash_u01", "build_cells", "patch_of_hit", "patch_gather",
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
def _radical_inverse3(i):
    """Radical inverse of ``i`` in base 3."""
    x = 0.0
    f = 1.0 / 3.0
    while i > 0:
        x += (i % 3) * f
        i //= 3
        f /= 3.0
    return x


@jit
def n_replicates(n_rays):
    """Independent randomised replicates the ``n_rays`` samples are split into (4, or 1)."""
    return 4 if n_rays >= 4 else 1


@jit
def rqmc(seed, index, r, n_rays, dim):
    """Uniform number ``dim`` (0, 1, 2) of sample ``r`` of ``n_rays`` for point/patch ``index``.

    The samples form ``n_replicates`` independent replicates; each is a 3-D Hammersley set
    ((q + 1/2) / m, radical inverses of q in bases 2 and 3) shifted modulo 1 by a random vector
    (Cranley-Patterson rotation), so the spread of the replicate means estimates the error.
    """
    n_rep = n_replicates(n_rays)
    m = n_rays // n_rep
    k = min(r // m, n_rep - 1)
    q = r - k * m
    if dim == 0:
        x = (q + 0.5) / m
    elif dim == 1:
        x = _radical_inverse2(q)
    else:
        x = _radical_inverse3(q)
    x += hash_u01(seed, index, 0x7000000000 + 16 * k + dim)
    return x - math.floor(x)


@jit
def rqmc_shifts(seed, index, out):
    """The random shifts of :func:`rqmc` for one point or patch: ``out[k, dim]`` (4, 3)."""
    for k in range(out.shape[0]):
        for dim in range(3):
            out[k, dim] = hash_u01(seed, index, 0x7000000000 + 16 * k + dim)


@jit
def rqmc_fast(shifts, r, n_rays, dim):
    """:func:`rqmc` with the shifts computed once by :func:`rqmc_shifts` (same numbers)."""
    n_rep = n_replicates(n_rays)
    m = n_rays // n_rep
    k = min(r // m, n_rep - 1)
    q = r - k * m
    if dim == 0:
        x = (q + 0.5) / m
    elif dim == 1:
        x = _radical_inverse2(q)
    else:
        x = _radical_inverse3(q)
    x += shifts[k, dim]
    return x - math.floor(x)


@jit
def replicate_se(sums, n_rays):
    """Standard error of the mean from per-replicate sums (``sums[k]`` over its samples)."""
    n_rep = n_replicates(n_rays)
    m = n_rays // n_rep
    total = 0.0
    for k in range(n_rep):
        total += sums[k]
    mean = total / n_rays
    if n_rep == 1:
        return abs(mean)  # too few samples to tell: the whole value
    acc = 0.0
    for k in range(n_rep):
        cnt = m if k < n_rep - 1 else n_rays - m * (n_rep - 1)
        d = sums[k] / cnt - mean
        acc += d * d
    return math.sqrt(acc / (n_rep * (n_rep - 1)))


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
def _clip(xs, ys, n, axis, bound, keep_below, ox, oy):
    """Clip polygon (xs, ys)[:n] by the half-plane coordinate[axis] <= or >= bound."""
    m = 0
    for k in range(n):
        ax = xs[k]
        ay = ys[k]
        bx = xs[(k + 1) % n]
        by = ys[(k + 1) % n]
        ca = ax if axis == 0 else ay
        cb = bx if axis == 0 else by
        ina = ca <= bound if keep_below else ca >= bound
        inb = cb <= bound if keep_below else cb >= bound
        if ina:
            ox[m] = ax
            oy[m] = ay
            m += 1
        if ina != inb:
            t = (bound - ca) / (cb - ca)
            ox[m] = ax + t * (bx - ax)
            oy[m] = ay + t * (by - ay)
            m += 1
    return m


@jit
def _inside(length, cu, h, u, v):
    """Whether (u, v) lies in the face triangle (0, 0), (length, 0), (cu, h) of its frame."""
    if v < 0.0:
        return False
    if (cu - length) * v - h * (u - length) < 0.0:
        return False
    return -cu * (v - h) + h * (u - cu) >= 0.0


@pjit
def build_cells(flen, fcu, fh, nu, nv, du, dv, cell_start, out_area, out_c, out_s):
    """Area, centroid and 4 sample points (u, v) of every cell of every face.

    Face ``f`` is the triangle (0, 0), (flen, 0), (fcu, fh) of its own plane frame, covered by
    ``nu x nv`` cells of ``du x dv`` [m]; cell (i, j) is ``cell_start[f] + i nv + j``. Sample
    points are the 2 x 2 sub-cell centres, or the centroid of the clipped cell when outside.
    """
    for f in prange(flen.shape[0]):
        xs = np.empty(8)
        ys = np.empty(8)
        bx = np.empty(8)
        by = np.empty(8)
        for i in range(nu[f]):
            for j in range(nv[f]):
                c = cell_start[f] + i * nv[f] + j
                xs[0] = 0.0
                ys[0] = 0.0
                xs[1] = flen[f]
                ys[1] = 0.0
                xs[2] = fcu[f]
                ys[2] = fh[f]
                n = 3
                u0 = i * du[f]
                v0 = j * dv[f]
                n = _clip(xs, ys, n, 0, u0, False, bx, by)
                n = _clip(bx, by, n, 0, u0 + du[f], True, xs, ys)
                n = _clip(xs, ys, n, 1, v0, False, bx, by)
                n = _clip(bx, by, n, 1, v0 + dv[f], True, xs, ys)
                area = 0.0
                cx = 0.0
                cy = 0.0
                for k in range(n):
                    x1 = xs[k]
                    y1 = ys[k]
                    x2 = xs[(k + 1) % n]
                    y2 = ys[(k + 1) % n]
                    cr = x1 * y2 - x2 * y1
                    area += cr
                    cx += (x1 + x2) * cr
                    cy += (y1 + y2) * cr
                area *= 0.5
                if n < 3 or area <= 1e-12 * du[f] * dv[f]:
                    out_area[c] = 0.0
                    continue
                cx /= 6.0 * area
                cy /= 6.0 * area
                out_area[c] = area
                out_c[c, 0] = cx
                out_c[c, 1] = cy
                for q in range(4):
                    su = u0 + (0.25 + 0.5 * (q // 2)) * du[f]
                    sv = v0 + (0.25 + 0.5 * (q % 2)) * dv[f]
                    if not _inside(flen[f], fcu[f], fh[f], su, sv):
                        su = cx
                        sv = cy
                    out_s[c, 2 * q] = su
                    out_s[c, 2 * q + 1] = sv


@jit
def patch_of_hit(cells, f, px, py, pz):
    """The front patch of face ``f`` containing the point p (on the face's plane)."""
    wx = px - cells.origin[f, 0]
    wy = py - cells.origin[f, 1]
    wz = pz - cells.origin[f, 2]
    u = wx * cells.axis_u[f, 0] + wy * cells.axis_u[f, 1] + wz * cells.axis_u[f, 2]
    v = wx * cells.axis_v[f, 0] + wy * cells.axis_v[f, 1] + wz * cells.axis_v[f, 2]
    nu = cells.nu[f]
    nv = cells.nv[f]
    i = min(max(int(u / cells.du[f]), 0), nu - 1)
    j = min(max(int(v / cells.dv[f]), 0), nv - 1)
    p = cells.cell_patch[cells.cell_start[f] + i * nv + j]
    if p >= 0:
        return p
    # A point on the boundary of an empty cell: take a non-empty neighbour.
    for di in range(-1, 2):
        for dj in range(-1, 2):
            a = i + di
            b = j + dj
            if 0 <= a < nu and 0 <= b < nv:
                p = cells.cell_patch[cells.cell_start[f] + a * nv + b]
                if p >= 0:
                    return p
    return cells.cell_patch[cells.cell_start[f]]


@jit
def _sample_in_patch(cells, p, seed, key):
    """A uniform point (scene-local) of patch ``p`` (rejection in its cell; centroid fallback)."""
    f = cells.patch_face[p]
    c = cells.patch_cell[p] - cells.cell_start[f]
    i = c // cells.nv[f]
    j = c - i * cells.nv[f]
    u = cells.patch_uv[p, 0]
    v = cells.patch_uv[p, 1]
    for attempt in range(16):
        su = (i + hash_u01(seed, p, key + 64 * attempt)) * cells.du[f]
        sv = (j + hash_u01(seed, p, key + 64 * attempt + 32)) * cells.dv[f]
        if _inside(cells.flen[f], cells.fcu[f], cells.fh[f], su, sv):
            u = su
            v = sv
            break
    x = cells.origin[f, 0] + u * cells.axis_u[f, 0] + v * cells.axis_v[f, 0]
    y = cells.origin[f, 1] + u * cells.axis_u[f, 1] + v * cells.axis_v[f, 1]
    z = cells.origin[f, 2] + u * cells.axis_u[f, 2] + v * cells.axis_v[f, 2]
    return x, y, z


@jit
def _trace_code(bvh, stack, cells, face_normal, n_front, two_sided, ox, oy, oz, dx, dy, dz,
                tmin):
    """Hit code of the ray o + t d (t > tmin) and its distance (see the module docstring)."""
    t, f = closest_hit_one(bvh, stack, ox, oy, oz, dx, dy, dz, tmin, np.inf)
    if f < 0:
        return -1, t
    back = dx * face_normal[f, 0] + dy * face_normal[f, 1] + dz * face_normal[f, 2] > 0.0
    if back and not two_sided:
        return -2 - f, t
    p = patch_of_hit(cells, f, ox + t * dx, oy + t * dy, oz + t * dz)
    if back:
        p += n_front
    return p, t


@pjit
def patch_gather(bvh, cells, face_normal, face_trans, n_front, two_sided, patch_trans, normals,
                 patch_rays, first, seed, offset, hits):
    """Cosine-weighted rays from random points of patches ``first .. first + len(hits)``.

    Patch ``p`` casts ``patch_rays[p]`` rays (at most ``hits.shape[1]``);
    ``hits[p - first, r, l]`` receives the hit code of layer ``l`` of ray ``r`` (layers follow
    the ray through transmissive faces; -1 ends the chain).
    """
    n = hits.shape[0]
    n_layers = hits.shape[2]
    for q in prange(n):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        shifts = np.empty((4, 3))
        p = first + q
        nx = normals[p, 0]
        ny = normals[p, 1]
        nz = normals[p, 2]
        n_rays = patch_rays[p]
        rqmc_shifts(seed, p, shifts)
        for r in range(n_rays):
            u1 = rqmc_fast(shifts, r, n_rays, 0)
            u2 = rqmc_fast(shifts, r, n_rays, 1)
            # A uniform point on the patch triangle (independent of the direction pair).
            ox, oy, oz = _sample_in_patch(cells, p % n_front, seed, 1 + 2048 * r)
            dx, dy, dz = _cosine_dir(nx, ny, nz, u1, u2)
            tmin = offset
            for lay in range(n_layers):
                code, t = _trace_code(bvh, stack, cells, face_normal, n_front, two_sided,
                                      ox, oy, oz, dx, dy, dz, tmin)
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
def jacobi_step(hits, patch_rays, patch_trans, face_trans, reflectance, e_direct, b_in, b_out,
                h_out):
    """One bounce: H = mean radiosity seen by a patch's rays, B_out = rho (E_direct + H).

    ``patch_trans`` [-] is each patch's face transmittance (a ray crossing it keeps that
    fraction). Radiosity is in lm/m2 (the cosine-weighted mean of pi L is irradiance).
    """
    n = hits.shape[0]
    n_layers = hits.shape[2]
    for p in prange(n):
        acc = 0.0
        n_rays = patch_rays[p]
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
def patch_spread(hits, patch_rays, patch_trans, face_trans, radiosity, out_se):
    """Standard error [lx] of each patch's gathered irradiance (spread of replicate means)."""
    n = hits.shape[0]
    n_layers = hits.shape[2]
    for p in prange(n):
        n_rays = patch_rays[p]
        n_rep = n_replicates(n_rays)
        m_rep = n_rays // n_rep
        sums = np.zeros(n_rep)
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
            sums[min(r // m_rep, n_rep - 1)] += acc
        out_se[p] = replicate_se(sums, n_rays)


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
def point_gather(bvh, cells, face_normal, face_trans, n_front, two_sided, patch_trans,
                 radiosity, patch_se, patch_disc, points, normals, kind, n_rays, max_layers,
                 seed, first, offset, out_e, out_stat, out_patch, out_disc):
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
    n_rep = n_replicates(n_rays)
    m_rep = n_rays // n_rep
    block = 16
    for blk in prange((n + block - 1) // block):
        stack = np.empty(STACK_SIZE, dtype=np.int64)
        sums = np.empty(n_rep)
        shifts = np.empty((4, 3))
        ids = np.empty(n_rays, dtype=np.int64)
        se_v = np.empty(n_rays)
        di_v = np.empty(n_rays)
        for i in range(blk * block, min(n, (blk + 1) * block)):
            gi = first + i
            ox = points[i, 0]
            oy = points[i, 1]
            oz = points[i, 2]
            s = 0.0
            sums[:] = 0.0
            m = 0
            rqmc_shifts(seed, gi, shifts)
            for r in range(n_rays):
                u1 = rqmc_fast(shifts, r, n_rays, 0)
                u2 = rqmc_fast(shifts, r, n_rays, 1)
                u3 = rqmc_fast(shifts, r, n_rays, 2)
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
                    code, t = _trace_code(bvh, stack, cells, face_normal, n_front, two_sided,
                                          ox, oy, oz, dx, dy, dz, tmin)
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
                sums[min(r // m_rep, n_rep - 1)] += val
            out_e[i] = s * inv_n
            out_stat[i] = replicate_se(sums, n_rays)
            if m > 0:
                out_patch[i] = math.sqrt(_pair_sum(ids, se_v, m)) * inv_n
                out_disc[i] = math.sqrt(_pair_sum(ids, di_v, m)) * inv_n
            else:
                out_patch[i] = 0.0
                out_disc[i] = 0.0
