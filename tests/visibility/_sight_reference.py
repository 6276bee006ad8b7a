"""Brute-force references for the sightline kernels: every segment against every triangle."""

from __future__ import annotations

import numpy as np


def segment_transmittance(scene, a, b, eps=1e-9):
    """Product of the sight transmittances of the faces the segment a-b (world) crosses.

    Möller-Trumbore against every triangle, with numpy; no BVH. Hits within ``eps`` of
    either end (as a fraction of the segment) are ignored.
    """
    v = scene.vertices[scene.faces] + scene.origin  # (m, 3, 3) world
    a = np.asarray(a, dtype=float)
    d = np.asarray(b, dtype=float) - a
    e1 = v[:, 1] - v[:, 0]
    e2 = v[:, 2] - v[:, 0]
    p = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-14
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = a - v[:, 0]
    u = np.einsum("ij,ij->i", s, p) * inv
    q = np.cross(s, e1)
    w = (q @ d) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    hit = ok & (u >= 0) & (w >= 0) & (u + w <= 1) & (t > eps) & (t < 1 - eps)
    return float(np.prod(scene.sight_transmittance[hit])) if hit.any() else 1.0


def surveillance_reference(scene, observers, points):
    """(count, weight, nearest) by testing every observer-point pair in Python."""
    n = points.shape[0]
    count = np.zeros(n)
    weight = np.zeros(n)
    near = np.full(n, np.inf)
    for j in range(observers.n):
        o = observers.positions[j]
        f = observers.directions[j]
        half = np.radians(observers.fov[j]) / 2
        for i in range(n):
            d = points[i] - o
            dist = np.linalg.norm(d)
            if dist > observers.max_distance[j]:
                continue
            if observers.fov[j] < 360 and np.degrees(np.arccos(np.clip(f @ d / dist, -1, 1))) > \
                    observers.fov[j] / 2 + 1e-9:
                continue
            tr = segment_transmittance(scene, o, points[i])
            if tr > 0:
                count[i] += tr
                weight[i] += tr * observers.weight[j]
                near[i] = min(near[i], dist)
    return count, weight, near


def adjacency_reference(scene, eyes, min_transmittance=0.5, max_distance=np.inf):
    """Dense visibility graph adjacency by testing every pair."""
    n = eyes.shape[0]
    adj = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(i + 1, n):
            if np.linalg.norm(eyes[j] - eyes[i]) > max_distance:
                continue
            tr = segment_transmittance(scene, eyes[i], eyes[j])
            adj[i, j] = adj[j, i] = tr > 0 and tr >= min_transmittance
    return adj
