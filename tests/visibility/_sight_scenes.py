"""Small scenes for the sightline tests: rooms of vertical walls, pillars, boxes."""

from __future__ import annotations

import numpy as np
from _scene_parts import scene_from_parts

from cpted_sim.geometry.scene import Material


def wall_quads(ring, z0=0.0, z1=3.0, closed=True):
    """Vertices and faces of vertical quads along a polyline (2 triangles per edge)."""
    ring = np.asarray(ring, dtype=float)
    n = ring.shape[0]
    edges = n if closed else n - 1
    verts, faces = [], []
    for k in range(edges):
        a, b = ring[k], ring[(k + 1) % n]
        base = len(verts)
        verts += [[a[0], a[1], z0], [b[0], b[1], z0], [b[0], b[1], z1], [a[0], a[1], z1]]
        faces += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
    return np.array(verts, dtype=float), np.array(faces, dtype=np.int64)


def box(x0, y0, x1, y1, z0=0.0, z1=3.0):
    """A closed axis-aligned box (12 triangles, outward normals)."""
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                  [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], dtype=float)
    f = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
                  [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]],
                 dtype=np.int64)
    return v, f


def combine(*parts, groups=None, materials=None, name="test"):
    """Scene from (vertices, faces) parts; ``groups`` names one group per part."""
    return scene_from_parts([(groups[k] if groups else "default", v, f)
                             for k, (v, f) in enumerate(parts)],
                            name=name, origin=np.zeros(3), materials=materials)


def square_room(size=10.0):
    return combine(wall_quads([[0, 0], [size, 0], [size, size], [0, size]]))


def pillar_room():
    return combine(wall_quads([[0, 0], [10, 0], [10, 10], [0, 10]]), box(4.5, 4.5, 5.5, 5.5))


def l_room():
    return combine(wall_quads([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]))


__all__ = ["wall_quads", "box", "combine", "square_room", "pillar_room", "l_room", "Material"]
