"""Brute-force radiosity in closed diffuse enclosures: an independent derivation of the
closed form ``E_ind = rho Phi / (A (1 - rho))`` that the interreflection tests use.

NumPy only, nothing from cpted_sim. The enclosure (a sphere, a cube) is cut into patches, each
with quadrature sub-points; the form factors come from their definition,
``F_ij = 1/A_i ∫∫ cos θ_i cos θ_j / (π r²) dA_j dA_i``, summed over the sub-points of both
patches (a patch with itself over distinct sub-points: on a sphere it sees itself); the direct
irradiance of an isotropic point source from ``I cos θ / d²`` at the sub-points; the radiosity
from ``B = rho (E0 + F B)`` by iteration, and the indirect irradiance ``F B``. Nothing here
assumes that all the flux lands on the walls or that each bounce spreads it evenly, which is
what the closed form rests on, so the two agree only if both are right.
"""

from __future__ import annotations

import functools

import numpy as np


class Patches:
    """Patches of an enclosure: sub-points (P, S, 3), their area weights (P, S) [m2], the
    inward unit normal at each sub-point (P, S, 3), and for flat patches their corners
    (P, 4, 3)."""

    def __init__(self, points, weights, normals, corners=None):
        self.points = np.asarray(points, float)
        self.weights = np.asarray(weights, float)
        self.normals = np.asarray(normals, float)
        self.corners = None if corners is None else np.asarray(corners, float)
        self.areas = self.weights.sum(axis=1)


def sphere_patches(radius: float, n_theta: int, sub: int = 4) -> Patches:
    """A sphere cut into ``n_theta`` x ``2 n_theta`` latitude-longitude cells, each with
    ``sub`` x ``sub`` sub-cells (their exact areas as weights); normals point inward."""
    th = np.linspace(0.0, np.pi, n_theta * sub + 1)
    ph = np.linspace(0.0, 2 * np.pi, 2 * n_theta * sub + 1)
    tc, pc = 0.5 * (th[1:] + th[:-1]), 0.5 * (ph[1:] + ph[:-1])
    band = radius ** 2 * (np.cos(th[:-1]) - np.cos(th[1:])) * (ph[1] - ph[0])  # sub-cell areas
    t, p = np.meshgrid(tc, pc, indexing="ij")
    w = np.broadcast_to(band[:, None], t.shape)
    u = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)

    def cells(a):  # (n_theta sub, 2 n_theta sub, ...) -> (cells, sub * sub, ...)
        a = a.reshape(n_theta, sub, 2 * n_theta, sub, *a.shape[2:])
        a = np.moveaxis(a, 2, 1)
        return a.reshape(n_theta * 2 * n_theta, sub * sub, *a.shape[4:])

    return Patches(cells(radius * u), cells(w), cells(-u))


def cube_patches(size: float, n: int, sub: int = 3) -> Patches:
    """The six faces of a cube of edge ``size`` centred on the origin, each cut into ``n`` x
    ``n`` patches of ``sub`` x ``sub`` midpoint sub-points; normals point inward."""
    h = size / 2.0
    edges = np.linspace(-h, h, n * sub + 1)
    c = 0.5 * (edges[1:] + edges[:-1])
    a, b = np.meshgrid(c, c, indexing="ij")
    w = np.full(a.shape, (size / (n * sub)) ** 2)
    lo = np.linspace(-h, h, n + 1)
    ca, cb = np.meshgrid(lo[:-1], lo[:-1], indexing="ij")
    step = size / n
    pts, wts, nrm, cor = [], [], [], []
    for axis in range(3):
        others = [k for k in range(3) if k != axis]
        for sign in (-1.0, 1.0):
            p = np.zeros((*a.shape, 3))
            p[..., others[0]], p[..., others[1]], p[..., axis] = a, b, sign * h
            q = np.zeros(3)
            q[axis] = -sign
            pts.append(p)
            wts.append(w)
            nrm.append(np.broadcast_to(q, p.shape))
            k = np.zeros((n * n, 4, 3))
            for m, (da, db) in enumerate(((0, 0), (1, 0), (1, 1), (0, 1))):
                k[:, m, others[0]] = (ca + da * step).ravel()
                k[:, m, others[1]] = (cb + db * step).ravel()
                k[:, m, axis] = sign * h
            cor.append(k)

    def cells(x):
        x = x.reshape(n, sub, n, sub, *x.shape[2:])
        x = np.moveaxis(x, 2, 1)
        return x.reshape(n * n, sub * sub, *x.shape[4:])

    return Patches(np.concatenate([cells(x) for x in pts]),
                   np.concatenate([cells(x) for x in wts]),
                   np.concatenate([cells(x) for x in nrm]), np.concatenate(cor))


def form_factors(pt: Patches) -> np.ndarray:
    """``F[i, j]``: the share of what patch ``i`` sees that comes from patch ``j`` (P, P)."""
    n_p, n_s = pt.weights.shape
    xj = pt.points.reshape(-1, 3)
    nj = pt.normals.reshape(-1, 3)
    wj = pt.weights.reshape(-1)
    out = np.empty((n_p, n_p))
    block = max(1, 2_000_000 // (n_s * n_s * n_p))  # about 50 MB per temporary
    for i0 in range(0, n_p, block):
        i1 = min(i0 + block, n_p)
        d = xj[None, None, :, :] - pt.points[i0:i1, :, None, :]          # (b, S, P S, 3)
        r2 = np.einsum("...k,...k->...", d, d)
        same = r2 == 0.0                                                 # a sub-point itself
        r2 = np.where(same, 1.0, r2)
        ci = np.einsum("bsk,bsqk->bsq", pt.normals[i0:i1], d)
        cj = -np.einsum("qk,bsqk->bsq", nj, d)
        k = np.where(same | (ci <= 0) | (cj <= 0), 0.0, ci * cj / (np.pi * r2 * r2)) * wj
        # mean over the sub-points of patch i (weighted), summed over the sub-points of j
        k = np.einsum("bs,bsq->bq", pt.weights[i0:i1], k) / pt.areas[i0:i1, None]
        out[i0:i1] = k.reshape(i1 - i0, n_p, n_s).sum(axis=2)
    return out


def polygon_form_factors(pt: Patches) -> np.ndarray:
    """``F[i, j]`` for flat patches, from the exact form factor of a point to a polygon
    (Lambert's contour integral, ``F = 1/(2π) Σ_k γ_k n·(R_k × R_k+1)/|R_k × R_k+1|``)
    averaged over the sub-points of patch ``i``: exact in ``j``, so that edges shared by
    perpendicular patches (where the kernel of :func:`form_factors` is singular) cost nothing."""
    n_p, n_s = pt.weights.shape
    out = np.empty((n_p, n_p))
    block = max(1, 1_000_000 // (n_s * n_p * 4))
    nxt = np.roll(np.arange(4), -1)
    for i0 in range(0, n_p, block):
        i1 = min(i0 + block, n_p)
        r = pt.corners[None, None, :, :, :] - pt.points[i0:i1, :, None, None, :]  # (b,S,P,4,3)
        r /= np.linalg.norm(r, axis=-1, keepdims=True)
        r2 = r[..., nxt, :]
        gamma = np.arccos(np.clip(np.einsum("...k,...k->...", r, r2), -1.0, 1.0))
        cr = np.cross(r, r2)
        norm = np.linalg.norm(cr, axis=-1)
        dirn = np.einsum("bsk,bspmk->bspm", pt.normals[i0:i1], cr) / np.where(norm > 0, norm, 1)
        f = np.abs(np.sum(gamma * dirn, axis=-1)) / (2 * np.pi)                  # (b, S, P)
        # a polygon in the point's own plane is not seen (the formula would give 1 for the
        # polygon that holds the point)
        plane = np.cross(pt.corners[:, 1] - pt.corners[:, 0], pt.corners[:, 3] - pt.corners[:, 0])
        plane /= np.linalg.norm(plane, axis=-1, keepdims=True)
        height = np.einsum("pk,bspk->bsp", plane,
                           pt.points[i0:i1, :, None, :] - pt.corners[None, None, :, 0, :])
        f[np.abs(height) < 1e-9] = 0.0
        out[i0:i1] = np.einsum("bs,bsp->bp", pt.weights[i0:i1], f) / pt.areas[i0:i1, None]
    return out


def direct_irradiance(pt: Patches, source, flux: float) -> np.ndarray:
    """Mean irradiance [lx] on each patch from an isotropic point source of ``flux`` [lm]."""
    d = np.asarray(source, float) - pt.points
    r2 = np.einsum("psk,psk->ps", d, d)
    cos = np.maximum(0.0, np.einsum("psk,psk->ps", pt.normals, d)) / np.sqrt(r2)
    e = flux / (4 * np.pi) * cos / r2
    return np.sum(e * pt.weights, axis=1) / pt.areas


def direct_irradiance_exact(pt: Patches, source, flux: float) -> np.ndarray:
    """Mean irradiance [lx] on each flat patch from an isotropic point source: its intensity
    times the solid angle the patch subtends (two triangles, Van Oosterom and Strackee's
    ``tan(Ω/2) = |a·(b×c)| / (abc + (a·b)c + (a·c)b + (b·c)a)``), over the patch's area."""
    r = pt.corners - np.asarray(source, float)                                   # (P, 4, 3)
    omega = np.zeros(len(r))
    for i, j, k in ((0, 1, 2), (0, 2, 3)):
        a, b, c = r[:, i], r[:, j], r[:, k]
        la, lb, lc = (np.linalg.norm(x, axis=1) for x in (a, b, c))
        num = np.abs(np.einsum("pk,pk->p", a, np.cross(b, c)))
        den = (la * lb * lc + np.einsum("pk,pk->p", a, b) * lc
               + np.einsum("pk,pk->p", a, c) * lb + np.einsum("pk,pk->p", b, c) * la)
        omega += 2 * np.arctan2(num, den)
    return flux / (4 * np.pi) * omega / pt.areas


def indirect_irradiance(F: np.ndarray, e_direct: np.ndarray, rho: float,
                        tol: float = 1e-13) -> np.ndarray:
    """``F B`` with ``B = rho (E0 + F B)``, iterated until it stops changing [lx]."""
    b = rho * e_direct
    for _ in range(10_000):
        e = F @ b
        new = rho * (e_direct + e)
        if np.max(np.abs(new - b)) <= tol * np.max(np.abs(new)):
            return F @ new
        b = new
    raise RuntimeError("radiosity did not converge")


def irradiance_at(pt: Patches, radiosity: np.ndarray, point, normal) -> float:
    """Irradiance [lx] at an interior ``point`` facing ``normal`` from patch radiosities."""
    d = pt.points - np.asarray(point, float)
    r2 = np.einsum("psk,psk->ps", d, d)
    r = np.sqrt(r2)
    cp = np.maximum(0.0, d @ np.asarray(normal, float)) / r
    cj = np.maximum(0.0, -np.einsum("psk,psk->ps", pt.normals, d)) / r
    return float(np.sum(radiosity[:, None] * cp * cj / (np.pi * r2) * pt.weights))


def _richardson(coarse, fine, h_coarse, h_fine, order):
    """Extrapolate two results with error ~ h^order to h = 0."""
    k = (h_coarse / h_fine) ** order
    return (k * np.asarray(fine) - np.asarray(coarse)) / (k - 1.0)


@functools.lru_cache(maxsize=None)
def sphere_indirect(radius: float, rho: float, flux: float, points: tuple, normals: tuple,
                    resolutions=((12, 2), (16, 2))) -> np.ndarray:
    """Indirect irradiance [lx] at interior ``points`` facing ``normals`` inside a diffuse
    sphere with an isotropic source of ``flux`` [lm] at its centre: radiosity on two
    latitude-longitude meshes, extrapolated to zero patch size (the error goes as 1 / P)."""
    out = []
    for n_theta, sub in resolutions:
        pt = sphere_patches(radius, n_theta, sub)
        F = form_factors(pt)
        e0 = direct_irradiance(pt, (0.0, 0.0, 0.0), flux)
        b = rho * (e0 + indirect_irradiance(F, e0, rho))
        # gather from the same cells through many more points (a point may be near the wall)
        gather = sphere_patches(radius, n_theta, 16)
        out.append([irradiance_at(gather, b, p, np.asarray(n) / np.linalg.norm(n))
                    for p, n in zip(points, normals)])
    (n0, _), (n1, _) = resolutions
    return _richardson(out[0], out[1], 1.0 / n0, 1.0 / n1, 2)


@functools.lru_cache(maxsize=None)
def cube_mean_indirect(size: float, rho: float, flux: float, n: int = 4,
                       subs=(4, 6)) -> float:
    """Mean indirect irradiance [lx] over the walls of a diffuse cube with an isotropic source
    of ``flux`` [lm] at its centre: radiosity with exact point-to-patch form factors and
    exact direct flux per patch, averaged over ``sub`` x ``sub`` points of each receiving
    patch; two ``sub`` extrapolated to zero spacing (the error goes as 1 / sub²)."""
    out = []
    for sub in subs:
        pt = cube_patches(size, n, sub)
        F = polygon_form_factors(pt)
        e0 = direct_irradiance_exact(pt, (0.0, 0.0, 0.0), flux)
        out.append(np.average(indirect_irradiance(F, e0, rho), weights=pt.areas))
    return float(_richardson(out[0], out[1], 1.0 / subs[0], 1.0 / subs[1], 2))
