"""Patches for interreflection: square cells laid on every face in its own plane.

A grid of square cells of at most ``patch_size`` is laid on every face, aligned with its
longest edge; each cell's part inside the face (clipped exactly, ``kernels.interreflection.
build_cells``) is a patch. Long thin faces get near-square patches, faces smaller than a cell
are one patch, and a ray's hit point maps back to its patch in constant time
(``kernels.interreflection.patch_of_hit``).
"""

from __future__ import annotations

import logging
import math
from typing import NamedTuple

import numpy as np

from ..geometry.scene import Scene
from ..kernels import interreflection as K
from ..photometry.luminaire import Luminaire

__all__ = ["PatchCells", "Patches", "make_patches", "hot_emitters"]

log = logging.getLogger(__name__)


class PatchCells(NamedTuple):
    """Square cells laid on every face in its own plane; non-empty cells are the patches.

    Face ``f`` is the triangle (0, 0), (flen, 0), (fcu, fh) in the frame
    ``origin + u axis_u + v axis_v`` (``u`` along its longest edge); cell (i, j) of its
    ``nu x nv`` cells of ``du x dv`` [m] has index ``cell_start[f] + i nv + j``.
    """

    origin: np.ndarray       # (n_faces, 3) float, scene-local [m]
    axis_u: np.ndarray       # (n_faces, 3) float, unit
    axis_v: np.ndarray       # (n_faces, 3) float, unit
    flen: np.ndarray         # (n_faces,) float [m]
    fcu: np.ndarray          # (n_faces,) float [m]
    fh: np.ndarray           # (n_faces,) float [m]
    du: np.ndarray           # (n_faces,) float [m]
    dv: np.ndarray           # (n_faces,) float [m]
    nu: np.ndarray           # (n_faces,) int64
    nv: np.ndarray           # (n_faces,) int64
    cell_start: np.ndarray   # (n_faces,) int64
    cell_patch: np.ndarray   # (n_cells,) int64, -1 outside the face
    patch_face: np.ndarray   # (n_front,) int64
    patch_cell: np.ndarray   # (n_front,) int64
    patch_uv: np.ndarray     # (n_front, 2) float, centroid in the face frame [m]


class Patches(NamedTuple):
    """The patches: front sides first, then (when two-sided) the back sides in the same order."""

    cells: PatchCells
    centres: np.ndarray      # (n, 3) float, scene-local [m]
    normals: np.ndarray      # (n, 3) float
    areas: np.ndarray        # (n,) float [m2]
    face: np.ndarray         # (n,) int64
    samples: np.ndarray      # (n_front, 4, 3) float, direct-light sample points [m]
    n_front: int
    two_sided: bool
    patch_size: float        # the size actually used near the luminaires [m]


def make_patches(scene: Scene, patch_size: float, *, max_patches: int = 2_000_000,
                 two_sided: bool = False, sources: np.ndarray | None = None,
                 adaptive: bool = True) -> Patches:
    """Lay square cells of at most ``patch_size`` [m] on every face; faces smaller are one patch.

    With ``adaptive`` and ``sources`` (scene-local luminaire positions), faces far from every
    luminaire get larger cells: ``patch_size x clip(d / 20 m, 1, 4)`` with ``d`` the distance
    from the face to the nearest luminaire; radiosity varies slowly there. A cap
    ``max_patches`` raises the size for the whole scene when needed.
    """
    v = scene.vertices
    f = scene.faces
    corner = np.stack([v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]], axis=1)       # (n, 3, 3)
    edge_len = np.linalg.norm(corner[:, [1, 2, 0]] - corner, axis=2)     # edge k: k -> k+1
    m = np.argmax(edge_len, axis=1)
    rows = np.arange(f.shape[0])
    a_pt = corner[rows, m]
    b_pt = corner[rows, (m + 1) % 3]
    c_pt = corner[rows, (m + 2) % 3]
    flen = edge_len[rows, m]
    axis_u = (b_pt - a_pt) / flen[:, None]
    w = c_pt - a_pt
    fcu = np.einsum("ij,ij->i", w, axis_u)
    perp = w - fcu[:, None] * axis_u
    fh = np.linalg.norm(perp, axis=1)
    axis_v = perp / fh[:, None]
    grow = np.ones(f.shape[0])
    if adaptive and sources is not None and len(sources):
        from scipy.spatial import cKDTree

        dist, _ = cKDTree(sources).query(corner.mean(axis=1))
        grow = np.clip((dist - 0.5 * flen) / 20.0, 1.0, 4.0)
    size = float(patch_size)
    for _ in range(80):
        cell = size * grow
        nu = np.maximum(1, np.ceil(flen / cell - 1e-9)).astype(np.int64)
        nv = np.maximum(1, np.ceil(fh / cell - 1e-9)).astype(np.int64)
        estimate = int(np.sum(nu * nv // 2 + nu + nv - 1))
        if estimate <= max_patches or (np.all(nu == 1) and np.all(nv == 1)):
            break
        size *= max(1.05, math.sqrt(estimate / max_patches))
    if size > patch_size:
        log.info("patch size raised from %.3g m to %.3g m to stay under %d patches",
                 patch_size, size, max_patches)
    du = flen / nu
    dv = fh / nv
    counts = nu * nv
    cell_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    n_cells = int(counts.sum())
    area = np.zeros(n_cells)
    c2 = np.zeros((n_cells, 2))
    s2 = np.zeros((n_cells, 8))
    K.build_cells(flen, fcu, fh, nu, nv, du, dv, cell_start, area, c2, s2)
    full = area > 0.0
    n_front = int(full.sum())
    cell_patch = np.full(n_cells, -1, dtype=np.int64)
    cell_patch[full] = np.arange(n_front)
    patch_cell = np.nonzero(full)[0].astype(np.int64)
    face = np.repeat(np.arange(f.shape[0], dtype=np.int64), counts)[full]
    uv = np.ascontiguousarray(c2[full])
    cells = PatchCells(np.ascontiguousarray(a_pt), np.ascontiguousarray(axis_u),
                       np.ascontiguousarray(axis_v), flen, fcu, fh, du, dv, nu, nv, cell_start,
                       cell_patch, face, patch_cell, uv)
    o, au, av = a_pt[face], axis_u[face], axis_v[face]
    centres = o + uv[:, :1] * au + uv[:, 1:] * av
    s4 = s2[full].reshape(-1, 4, 2)
    samples = (o[:, None, :] + s4[:, :, :1] * au[:, None, :] + s4[:, :, 1:] * av[:, None, :])
    normals = scene.face_normals[face]
    areas = area[full]
    if two_sided:
        centres = np.vstack([centres, centres])
        normals = np.vstack([normals, -normals])
        areas = np.concatenate([areas, areas])
        face = np.concatenate([face, face])
    return Patches(cells, np.ascontiguousarray(centres), np.ascontiguousarray(normals), areas,
                   face, np.ascontiguousarray(samples), n_front, bool(two_sided), size)


def hot_emitters(scene: Scene, pt: Patches, b: np.ndarray, factor: float,
                 max_count: int) -> tuple[np.ndarray, list[Luminaire]]:
    """Small patches far brighter than the rest, as Lambertian point emitters.

    A patch just under a lamp (a pole's top) can be thousands of times brighter than the
    street; a gather ray finds it rarely and then dominates the estimate (a "firefly"). Patches
    with ``B > factor x`` the area-weighted mean ``B`` and an area below a full cell are taken
    out of the random gather and added exactly, by the direct engine, as emitters of intensity
    ``B A cos(theta) / pi`` [cd] with shadow rays: the two parts partition the integral, so the
    sum stays unbiased and the fireflies are gone.

    Returns the indices of those patches and their emitters (``b`` is the radiosity [lm/m2]).
    """
    from ..photometry.builtin import cosine_distribution

    mean_b = float(np.average(b, weights=pt.areas)) if pt.areas.sum() > 0 else 0.0
    if factor <= 0 or mean_b <= 0 or max_count == 0:
        return np.zeros(0, dtype=np.int64), []
    cand = np.nonzero((b > factor * mean_b) & (pt.areas <= pt.patch_size ** 2))[0]
    if cand.size > max_count:
        cand = cand[np.argsort(b[cand] * pt.areas[cand])[::-1][:max_count]]
    if cand.size == 0:
        return cand, []
    unit = cosine_distribution(1.0)
    n = pt.normals[cand]
    pos = scene.to_world(pt.centres[cand] + 2.0 * scene.ray_offset * n)
    tilt = np.degrees(np.arccos(np.clip(-n[:, 2], -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(-n[:, 0], n[:, 1]))
    scale = b[cand] * pt.areas[cand] / math.pi
    return cand, [Luminaire(unit, pos[k], azimuth=azimuth[k], tilt=tilt[k],
                            maintenance_factor=1.0, flux_scale=scale[k],
                            name="interreflection emitter")
                  for k in range(cand.size)]
