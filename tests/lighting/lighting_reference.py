"""Slow, obviously correct references for the direct illuminance kernel.

Intensities come from the distribution's own NumPy lookup (``IntensityDistribution.intensity``)
and the luminaire's ``world_to_angles``, not from the Numba kernel; the geometric factors of
semicylindrical, cylindrical and hemispherical illuminance are integrated numerically from
their definition (the mean illuminance over the surface of a very small solid), and shadows
come from the public ``cpted_sim.occluded`` query.
"""

from __future__ import annotations

import numpy as np

import cpted_sim as cs


def intensity(lum, points):
    """Intensity [cd] of ``lum`` towards world ``points`` (NumPy path)."""
    d = np.asarray(points, float) - lum.position
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    c, g = lum.world_to_angles(d)
    return lum.distribution.intensity(c, g) * lum.scale


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def mean_cosine_cylinder(u, facing=None, n_phi=20000):
    """Mean of ``max(0, n·u)`` over the curved surface of a vertical (semi)cylinder.

    ``facing`` None: the full cylinder; else the half facing that horizontal direction.
    """
    phi = (np.arange(n_phi) + 0.5) / n_phi * 2 * np.pi
    if facing is not None:
        f0 = np.arctan2(facing[1], facing[0])
        phi = f0 - np.pi / 2 + (np.arange(n_phi) + 0.5) / n_phi * np.pi
    n = np.column_stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)])
    return np.mean(np.maximum(0.0, n @ u))


def mean_cosine_hemisphere(u, n_theta=600, n_phi=1200):
    """Mean of ``max(0, n·u)`` over the surface of an upper hemisphere (area-weighted)."""
    th = (np.arange(n_theta) + 0.5) / n_theta * (np.pi / 2)
    ph = (np.arange(n_phi) + 0.5) / n_phi * 2 * np.pi
    t, p = np.meshgrid(th, ph, indexing="ij")
    n = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)
    w = np.sin(t)
    return np.sum(np.maximum(0.0, n @ u) * w) / np.sum(w)


def reference_illuminance(scene, luminaires, points, kind, normals=None):
    """Per-point, per-luminaire loop: ``I g / d²`` times visibility (opaque scenes)."""
    points = np.asarray(points, float)
    out = np.zeros(points.shape[0])
    for lum in luminaires:
        vis = ~cs.occluded(scene, points, np.broadcast_to(lum.position, points.shape))
        inten = intensity(lum, points)
        for k, p in enumerate(points):
            v = lum.position - p
            d2 = v @ v
            u = v / np.sqrt(d2)
            if kind in ("horizontal", "vertical", "plane"):
                g = max(0.0, float(u @ _unit(normals[k])))
            elif kind == "semicylindrical":
                f = normals[k].copy()
                f[2] = 0.0
                g = mean_cosine_cylinder(u, _unit(f))
            elif kind == "cylindrical":
                g = mean_cosine_cylinder(u)
            elif kind == "hemispherical":
                g = mean_cosine_hemisphere(u)
            else:
                raise ValueError(kind)
            out[k] += inten[k] * g / d2 * vis[k]
    return out
