"""Slow, obviously correct ray queries: the oracle for every ray engine.

Each ray (or segment) is checked against EVERY triangle with the plain Möller–Trumbore test
(both faces, edges and vertices inclusive), written out in float64 NumPy with one Python loop
per ray and no acceleration structure. Nothing here shares code with ``cpted_sim.kernels``.

All functions take vertices and faces in any frame and points in the same frame.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ray_triangle_distances", "closest_hit", "segment_blocked", "occluded",
           "visibility_matrix"]


def ray_triangle_distances(vertices, faces, origin, direction) -> np.ndarray:
    """Ray parameter ``t`` of the hit of ``origin + t * direction`` with every triangle.

    Möller & Trumbore (1997). ``t`` is in units of ``|direction|``; ``inf`` where the
    triangle is missed, parallel to the ray or behind the origin (``t <= 0``).

    Returns
    -------
    (n_faces,) float
    """
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    o = np.asarray(origin, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    a = v[f[:, 0]]
    e1 = v[f[:, 1]] - a
    e2 = v[f[:, 2]] - a
    p = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / det
        s = o - a
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        w = (q @ d) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        ok = (det != 0.0) & (u >= 0.0) & (w >= 0.0) & (u + w <= 1.0) & (t > 0.0)
    return np.where(ok, t, np.inf)


def closest_hit(vertices, faces, origins, directions, max_distance=np.inf, offset=0.0):
    """Distance and face of the first hit of each ray (directions normalised here).

    Hits farther than ``max_distance`` or not farther than ``offset`` are misses. Returns ``(distance, face)`` with
    ``(inf, -1)`` on a miss; on a tie the lowest face index.
    """
    origins = np.asarray(origins, dtype=np.float64)
    directions = np.asarray(directions, dtype=np.float64)
    tmax = np.broadcast_to(np.asarray(max_distance, dtype=np.float64), (len(origins),))
    dist = np.full(len(origins), np.inf)
    face = np.full(len(origins), -1, dtype=np.int64)
    for i in range(len(origins)):
        d = directions[i] / np.linalg.norm(directions[i])
        t = ray_triangle_distances(vertices, faces, origins[i], d)
        t[t <= offset] = np.inf
        j = int(np.argmin(t))
        if np.isfinite(t[j]) and t[j] <= tmax[i]:
            dist[i] = t[j]
            face[i] = j
    return dist, face


def segment_blocked(vertices, faces, a, b, offset) -> bool:
    """Whether any triangle crosses the segment ``a -> b`` more than ``offset`` from each end."""
    a = np.asarray(a, dtype=np.float64)
    d = np.asarray(b, dtype=np.float64) - a
    length = float(np.linalg.norm(d))
    if length <= 2.0 * offset:
        return False
    t = ray_triangle_distances(vertices, faces, a, d)
    e = offset / length
    return bool(np.any((t > e) & (t < 1.0 - e)))


def occluded(vertices, faces, origins, targets, offset) -> np.ndarray:
    """``out[i]`` = the segment ``origins[i] -> targets[i]`` is blocked (ends ignored)."""
    return np.array([segment_blocked(vertices, faces, a, b, offset)
                     for a, b in zip(origins, targets)], dtype=bool)


def visibility_matrix(vertices, faces, observers, targets, max_distance, offset) -> np.ndarray:
    """``out[i, j]`` = observer ``i`` sees target ``j``: within ``max_distance``, unblocked."""
    out = np.zeros((len(observers), len(targets)), dtype=bool)
    for i, a in enumerate(observers):
        for j, b in enumerate(targets):
            if np.linalg.norm(np.asarray(b, float) - np.asarray(a, float)) > max_distance:
                continue
            out[i, j] = not segment_blocked(vertices, faces, a, b, offset)
    return out
