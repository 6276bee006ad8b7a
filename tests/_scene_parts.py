"""Scenes assembled from named parts, for the tests."""

from __future__ import annotations

import numpy as np

from cpted_sim.geometry.scene import Scene

__all__ = ["scene_from_parts"]


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
