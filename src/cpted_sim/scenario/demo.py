"""The demo: a residential street with a side path behind a hedge and an underpass (L5).

:func:`demo_street` builds the geometry procedurally (a few hundred triangles); the shipped
scenario file ``cpted_sim/data/demo_street.toml`` names it as ``[scene] builtin =
"demo_street"``, gives the materials, the street lights (the library's own parametric optic,
written as ``cpted_sim/data/demo_street_light.ies`` by ``tools/make_demo_data.py``), the
calculation areas, the window observers and three variants:

* ``A: base`` (the file's base scenario),
* ``B (path lights)`` - one extra light on the side path and one under the deck of the
  underpass,
* ``C (hedge trimmed, wall opened)`` - the hedge trimmed from 1.8 m to 1.0 m and the blank north
  wall of the southern block opened with windows.

Plan (x east along the street, y north, metres)::

    y 12 .. 22   northern houses, windows on the street side (ground and first floor)
    y 7 .. 9.5   north sidewalk
    y 0 .. 7     carriageway
    y -2.5 .. 0  south sidewalk with the street lights
    y -3.3 .. -2.5  hedge (x 0 .. 60), 1.8 m high
    y -5.5 .. -3.5  side path, x 0 .. 80; under a deck (the underpass) at x 62 .. 70
    y -16 .. -7  southern blocks with blank north walls
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..geometry.scene import Scene

__all__ = ["demo_street", "demo_scenario_path", "DEMO_SCENARIO_FILE", "DEMO_IES_FILE",
           "DEMO_REPORTS_FILE",
           "DEMO_OPTIC", "box_mesh", "demo_window_panes"]

DEMO_SCENARIO_FILE = "demo_street.toml"
DEMO_IES_FILE = "demo_street_light.ies"
#: The demo's synthetic citizens' reports (``tools/make_demo_reports.py``), for the triage.
DEMO_REPORTS_FILE = "demo_reports.geojson"
#: Parameters of :func:`cpted_sim.photometry.builtin.street_light_optic` for the demo file.
DEMO_OPTIC = {"flux": 5000.0, "throw": 4.0, "street_side": 2.2, "house_side": 0.6}

_BOX_FACES = np.array([
    [0, 2, 1], [0, 3, 2],          # bottom (z min), normal -z
    [4, 5, 6], [4, 6, 7],          # top, +z
    [0, 1, 5], [0, 5, 4],          # y min, -y
    [2, 3, 7], [2, 7, 6],          # y max, +y
    [1, 2, 6], [1, 6, 5],          # x max, +x
    [3, 0, 4], [3, 4, 7],          # x min, -x
], dtype=np.int64)


def box_mesh(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (8, 3) and outward-facing triangles (12, 3) of an axis-aligned box [m]."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                  [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], dtype=np.float64)
    return v, _BOX_FACES.copy()


def _quad(p0, p1, p2, p3) -> tuple[np.ndarray, np.ndarray]:
    """Two triangles of a planar quad, counter-clockwise seen from its front."""
    return np.array([p0, p1, p2, p3], dtype=np.float64), np.array([[0, 1, 2], [0, 2, 3]])


class _Builder:
    def __init__(self):
        self.verts: list[np.ndarray] = []
        self.faces: list[np.ndarray] = []
        self.groups: list[str] = []
        self.n = 0

    def add(self, vf, group: str):
        v, f = vf
        self.verts.append(v)
        self.faces.append(f + self.n)
        self.groups += [group] * f.shape[0]
        self.n += v.shape[0]

    def ground(self, x0, y0, x1, y1, group, step=10.0, z=0.0):
        """A ground strip split into tiles of about ``step`` metres (normal +z)."""
        xs = np.linspace(x0, x1, max(2, int(np.ceil((x1 - x0) / step)) + 1))
        for a, b in zip(xs[:-1], xs[1:]):
            self.add(_quad((a, y0, z), (b, y0, z), (b, y1, z), (a, y1, z)), group)

    def scene(self, name: str) -> Scene:
        return Scene.from_arrays(np.vstack(self.verts), np.vstack(self.faces),
                                 np.array(self.groups), origin=(0.0, 0.0, 0.0), name=name)


def demo_window_panes(facade_y: float, x_ranges, facing: float, *, sills=(0.9, 3.9),
                      width: float = 1.4, height: float = 1.4, pitch: float = 4.0,
                      gap: float = 0.05):
    """Window panes on a facade at ``y = facade_y`` facing ``+y`` (facing=1) or ``-y`` (-1).

    Returns a list of ``(vertices, faces)`` quads standing ``gap`` metres in front of the
    wall, one per window: every ``pitch`` metres along each x range, at each sill height.
    """
    out = []
    y = facade_y + facing * gap
    for xa, xb in x_ranges:
        n = max(1, int((xb - xa) // pitch))
        starts = xa + 0.5 * (xb - xa - n * pitch) + 0.5 * (pitch - width) + pitch * np.arange(n)
        for sill in sills:
            for x in starts:
                a, b = (x + width, x) if facing > 0 else (x, x + width)
                out.append(_quad((a, y, sill), (b, y, sill), (b, y, sill + height),
                                 (a, y, sill + height)))
    return out


def demo_street(length: float = 80.0, hedge_height: float = 1.8) -> Scene:
    """The demo street's geometry, with named groups.

    Parameters
    ----------
    length : float
        Street length [m] (the layout is made for the default 80 m).
    hedge_height : float
        Height of the hedge [m]; its part above 1.0 m is the group ``hedge_top``, so a
        variant can trim it by removing that group.

    Returns
    -------
    Scene
        Groups: ``road``, ``sidewalk``, ``verge``, ``path``, ``garden``, ``house``,
        ``window``, ``hedge``, ``hedge_top``, ``block``, ``blank_wall``, ``underpass``.
    """
    L = float(length)
    b = _Builder()
    b.ground(0, 0, L, 7, "road")
    b.ground(0, -2.5, L, 0, "sidewalk")
    b.ground(0, 7, L, 9.5, "sidewalk")
    b.ground(0, 9.5, L, 12, "garden")
    b.ground(0, -3.5, L, -2.5, "verge")
    b.ground(0, -5.5, L, -3.5, "path")
    b.ground(0, -7, L, -5.5, "verge")
    # northern houses with windows towards the street
    rows = [(2, 14), (18, 30), (34, 46), (50, 62), (66, 78)]
    rows = [(x0, min(x1, L - 2)) for x0, x1 in rows if x0 < L - 4]
    for x0, x1 in rows:
        b.add(box_mesh((x0, 12, 0), (x1, 22, 7)), "house")
    for pane in demo_window_panes(12.0, rows, -1.0):
        b.add(pane, "window")
    # hedge between the south sidewalk and the side path
    hx = min(60.0, L)
    b.add(box_mesh((0, -3.3, 0), (hx, -2.5, min(1.0, hedge_height))), "hedge")
    if hedge_height > 1.0:
        b.add(box_mesh((0, -3.3, 1.0), (hx, -2.5, hedge_height)), "hedge_top")
    # southern blocks: blank north walls (the wall of the second block is its own group)
    b.add(box_mesh((4, -16, 0), (26, -7, 6)), "block")
    b.add(box_mesh((30, -16, 0), (54, -7.25, 6)), "block")
    b.add(_quad((54, -7.2, 0), (30, -7.2, 0), (30, -7.2, 6), (54, -7.2, 6)), "blank_wall")
    # underpass: a deck over the path between an embankment wall and the south side
    if L >= 72:
        b.add(box_mesh((62, -8.5, 4.0), (70, -2.5, 4.8)), "underpass")      # deck
        b.add(box_mesh((62, -3.3, 0), (70, -2.5, 4.0)), "underpass")        # north wall
        b.add(box_mesh((62, -8.5, 0), (70, -6.0, 4.0)), "underpass")        # south wall
    return b.scene("demo_street")


def demo_scenario_path() -> Path:
    """Path of the shipped demo scenario file (package data)."""
    return Path(str(resources.files("cpted_sim").joinpath("data", DEMO_SCENARIO_FILE)))
