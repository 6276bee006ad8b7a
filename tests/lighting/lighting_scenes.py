"""Small scenes built in the lighting tests (ground planes, boxes, walls)."""

from __future__ import annotations

import numpy as np

from cpted_sim import Material, Scene


def quad(x0, y0, x1, y1, z=0.0):
    """Vertices and faces of a horizontal rectangle facing up."""
    v = np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]], float)
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def box(x0, y0, z0, x1, y1, z1):
    """Vertices and outward-facing faces of an axis-aligned box."""
    v = np.array([[x, y, z] for z in (z0, z1) for y in (y0, y1) for x in (x0, x1)], float)
    f = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                  [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
    return v, f


def wall_x(x, y0, y1, z0, z1):
    """A vertical rectangle in the plane x = const (both triangles)."""
    v = np.array([[x, y0, z0], [x, y1, z0], [x, y1, z1], [x, y0, z1]], float)
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def assemble(parts, origin=None, materials=None, name="test scene"):
    """A Scene from ``{group: (vertices, faces)}`` (several parts per group allowed)."""
    vs, fs, gs = [], [], []
    n = 0
    for group, items in parts.items():
        if isinstance(items, tuple):
            items = [items]
        for v, f in items:
            vs.append(v)
            fs.append(f + n)
            gs += [group] * len(f)
            n += len(v)
    return Scene.from_arrays(np.vstack(vs), np.vstack(fs), np.array(gs), origin=origin,
                             materials=materials, name=name)


def ground_scene(size=100.0, origin=None, z=0.0):
    """A square ground plane centred on the origin."""
    h = size / 2
    return assemble({"ground": quad(-h, -h, h, h, z)}, origin=origin)


def box_scene():
    """Ground 60 x 60 m with a 4 x 4 x 3 m box whose west face lies at x = 2."""
    return assemble({"ground": quad(-30, -30, 30, 30), "box": box(2.0, -2.0, 0.0, 6.0, 2.0, 3.0)})


def hedge_scene(transmittance, n_layers=1):
    """Ground with ``n_layers`` vertical hedge planes at x = 2, 2.5, ... (partly transparent)."""
    parts = {"ground": quad(-30, -30, 30, 30),
             "hedge": [wall_x(2.0 + 0.5 * k, -10, 10, 0, 4) for k in range(n_layers)]}
    return assemble(parts, materials={"hedge": Material(light_transmittance=transmittance)})
