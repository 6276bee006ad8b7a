"""Scenes assembled from named parts, for the tests."""

from __future__ import annotations

import numpy as np

from cpted_sim.geometry.scene import Scene

__all__ = ["scene_from_parts", "box"]


def scene_from_parts(parts, *, name: str, origin=(0.0, 0.0, 0.0), materials=None) -> Scene:
    """Scene from ``(group, vertices, faces)`` parts, each part's faces indexing its own
    vertices."""
    vs, fs, gs, off = [], [], [], 0
    for group, v, f in parts:
        vs.append(v)
        fs.append(f + off)
        gs += [group] * f.shape[0]
        off += v.shape[0]
    return Scene.from_arrays(np.vstack(vs), np.vstack(fs), np.array(gs), origin=origin,
                             materials=materials, name=name)


def box(lo, hi):
    """A closed axis-aligned box from corner ``lo`` to ``hi``: 8 vertices, 12 triangles
    (outward normals)."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                  [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], dtype=np.float64)
    f = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
                  [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]],
                 dtype=np.int64)
    return v, f
