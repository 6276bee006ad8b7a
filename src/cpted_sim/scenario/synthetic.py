"""Procedural, seeded test scenes: a ground plane, a street canyon and a city district.

Everything is built with vectorised NumPy (no loop per triangle), so a 4-million-triangle
district takes a few seconds. The scenes are the standard workloads of ``benchmarks/`` and the
fixtures of tests that need realistic geometry: buildings of several floors whose facades are
divided into window bays (each window recessed 0.15 m, its glass face in the ``"window"``
group), trees, street-light poles, streets and sidewalks.

Group names: ``"ground"`` (block interiors), ``"street"`` (carriageway), ``"sidewalk"``,
``"facade"`` (walls and window reveals), ``"window"`` (glass), ``"roof"``, ``"tree"``,
``"pole"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_float
from ..config import check_memory
from ..errors import ParameterError
from ..geometry.scene import Material, Scene

__all__ = ["SyntheticDistrict", "ground_plane", "street_canyon", "district",
           "DISTRICT_MATERIALS"]

SIDEWALK = 2.0       # sidewalk width [m]
STREET_WIDTH = 12.0  # carriageway + both sidewalks [m]
BLOCK = 80.0         # side of a city block [m]
ALLEY = 6.0          # gap between the buildings of a block [m]
FLOOR = 3.2          # floor height [m]
RECESS = 0.15        # window recess behind the facade plane [m]
LIGHT_HEIGHT = 6.0   # street-light height [m]
LIGHT_SPACING = BLOCK / 3.0
TREE_SPACING = BLOCK / 6.0
TRIS_PER_CELL = 18   # one bay of one floor: 4 wall quads, 4 reveal quads, 1 window quad
TRIS_BOX = 12
TRIS_TREE = 12 + 20  # trunk box + icosahedral crown

DISTRICT_MATERIALS = {
    "ground": Material(reflectance=0.15),
    "street": Material(reflectance=0.07),
    "sidewalk": Material(reflectance=0.2),
    "facade": Material(reflectance=0.35),
    "window": Material(reflectance=0.08, light_transmittance=0.6, sight_transmittance=0.7,
                       tags=("window",)),
    "roof": Material(reflectance=0.1),
    "tree": Material(reflectance=0.12, light_transmittance=0.3, sight_transmittance=0.3,
                     tags=("vegetation",)),
    "pole": Material(reflectance=0.3),
}


@dataclass(frozen=True, eq=False)
class SyntheticDistrict:
    """A procedural scene and what a lighting or sightline study needs to know about it.

    Attributes
    ----------
    scene : Scene
    street_lights : (l, 3) float
        Luminaire positions, world coordinates [m] (over the carriageway, 6 m high).
    street_polylines : tuple of (k, 3) float
        Street centrelines [m], one polyline per street.
    street_polygons : (s, 4, 2) float
        Street rectangles (carriageway and sidewalks) in plan [m], counter-clockwise.
    windows_points : (w, 3) float
        Centres of the window glass faces [m] (0.15 m behind the facade plane).
    windows_normals : (w, 3) float
        Outward unit normals of those windows.
    """

    scene: Scene
    street_lights: np.ndarray
    street_polylines: tuple
    street_polygons: np.ndarray
    windows_points: np.ndarray
    windows_normals: np.ndarray

    def on_street(self, xy) -> np.ndarray:
        """Whether plan points ``(n, 2+)`` [m] lie on a street rectangle (boundary included)."""
        p = np.asarray(xy, dtype=np.float64)[:, :2]
        inside = np.zeros(p.shape[0], dtype=bool)
        for poly in self.street_polygons:
            lo = poly.min(axis=0)
            hi = poly.max(axis=0)
            inside |= np.all((p >= lo) & (p <= hi), axis=1)
        return inside

    def street_points(self, spacing: float = 0.5, height: float = 0.05) -> np.ndarray:
        """Regular points over the streets (carriageway and sidewalks).

        Parameters
        ----------
        spacing : float
            Grid spacing [m].
        height : float
            Height above the ground [m].

        Returns
        -------
        (n, 3) float
            World coordinates [m], each street point once (intersections are not repeated).
        """
        spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
        height = as_float(height, "height")
        lo = self.street_polygons.reshape(-1, 2).min(axis=0)
        hi = self.street_polygons.reshape(-1, 2).max(axis=0)
        xs = np.arange(lo[0] + spacing / 2, hi[0], spacing)
        ys = np.arange(lo[1] + spacing / 2, hi[1], spacing)
        if xs.size * ys.size > 400_000_000:
            raise ParameterError(f"spacing: {spacing} m gives too many points; use a coarser grid")
        out = []
        for y in ys:  # one row at a time keeps memory at the size of the result
            row = np.column_stack([xs, np.full(xs.size, y)])
            keep = self.on_street(row)
            if keep.any():
                out.append(row[keep])
        pts = np.vstack(out)
        return np.column_stack([pts, np.full(pts.shape[0], height)])


    def shadow_segments(self, spacing: float = 0.5, height: float = 0.05, nearest: int = 8
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Segments from street points to their nearest street lights (shadow rays).

        Parameters
        ----------
        spacing, height : float
            Street point grid spacing and height [m] (see :meth:`street_points`).
        nearest : int
            Lights per point (fewer when the district has fewer).

        Returns
        -------
        origins, targets : (n * k, 3) float
            World coordinates [m]; the ``k`` segments of one point are consecutive.
        """
        from scipy.spatial import cKDTree

        pts = self.street_points(spacing, height)
        k = max(1, min(int(nearest), len(self.street_lights)))
        _, near = cKDTree(self.street_lights).query(pts, k=k)
        near = np.asarray(near).reshape(len(pts), k)
        return np.repeat(pts, k, axis=0), self.street_lights[near.ravel()]


# --------------------------------------------------------------------------- mesh pieces
class _Mesh:
    """Accumulates vertex and face arrays per group; vertices are world coordinates."""

    def __init__(self):
        self.parts: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []

    def add(self, group: str, vertices: np.ndarray, faces: np.ndarray) -> None:
        """Add triangles of one group over their own vertices."""
        self.add_shared(vertices, {group: faces})

    def add_shared(self, vertices: np.ndarray, faces: dict[str, np.ndarray]) -> None:
        """Add triangles of several groups that index the same vertex array."""
        self.parts.append((vertices, faces))

    def scene(self, name: str, materials) -> Scene:
        verts, faces, groups = [], [], {}
        nv = nf = 0
        for v, by_group in self.parts:
            verts.append(v)
            for group, f in by_group.items():
                faces.append(f + nv)
                groups.setdefault(group, []).append(np.arange(nf, nf + f.shape[0]))
                nf += f.shape[0]
            nv += v.shape[0]
        groups = {g: np.concatenate(i) for g, i in groups.items()}
        return Scene.from_arrays(np.vstack(verts), np.vstack(faces), groups,
                                 origin=np.zeros(3), materials=materials, name=name)


def _quads(q: np.ndarray) -> np.ndarray:
    """Split quads ``(k, 4)`` (counter-clockwise seen from their front) into triangles."""
    return np.stack([q[:, [0, 1, 2]], q[:, [0, 2, 3]]], axis=1).reshape(-1, 3)


def _boxes(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned boxes ``(k, 3)`` as 12 outward-facing triangles each."""
    k = lo.shape[0]
    bits = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                     [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=bool)
    v = np.where(bits[None], hi[:, None, :], lo[:, None, :]).reshape(-1, 3)
    q = np.array([[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4],
                  [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]])
    quads = (q[None] + 8 * np.arange(k)[:, None, None]).reshape(-1, 4)
    return v, _quads(quads)


def _icosahedra(centres: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Icosahedra (20 outward triangles each) around ``centres`` with circumradius ``radii``."""
    p = (1 + 5 ** 0.5) / 2
    base = np.array([[-1, p, 0], [1, p, 0], [-1, -p, 0], [1, -p, 0], [0, -1, p], [0, 1, p],
                     [0, -1, -p], [0, 1, -p], [p, 0, -1], [p, 0, 1], [-p, 0, -1], [-p, 0, 1]])
    base = base / np.linalg.norm(base, axis=1)[:, None]
    tri = np.array([[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9],
                    [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2],
                    [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10],
                    [8, 6, 7], [9, 8, 1]])
    k = centres.shape[0]
    v = (centres[:, None, :] + radii[:, None, None] * base[None]).reshape(-1, 3)
    f = (tri[None] + 12 * np.arange(k)[:, None, None]).reshape(-1, 3)
    return v, f


def _trees(mesh: _Mesh, xy: np.ndarray, rng: np.random.Generator) -> None:
    """Trees: a 0.3 m trunk box and an icosahedral crown (radius 1.6-2.2 m)."""
    if xy.shape[0] == 0:
        return
    k = xy.shape[0]
    trunk = rng.uniform(2.8, 3.6, k)
    r = rng.uniform(1.6, 2.2, k)
    lo = np.column_stack([xy - 0.15, np.zeros(k)])
    hi = np.column_stack([xy + 0.15, trunk + 0.5])
    v, f = _boxes(lo, hi)
    cv, cf = _icosahedra(np.column_stack([xy, trunk + r]), r)
    mesh.add("tree", np.vstack([v, cv]), np.vstack([f, cf + v.shape[0]]))


def _poles(mesh: _Mesh, base_xy: np.ndarray, light_xy: np.ndarray) -> np.ndarray:
    """Street-light poles (a 0.14 m box up to 6.2 m and an arm); returns the light positions."""
    k = base_xy.shape[0]
    lo = np.column_stack([base_xy - 0.07, np.zeros(k)])
    hi = np.column_stack([base_xy + 0.07, np.full(k, LIGHT_HEIGHT + 0.2)])
    a_lo = np.column_stack([np.minimum(base_xy, light_xy) - 0.04, np.full(k, LIGHT_HEIGHT + 0.05)])
    a_hi = np.column_stack([np.maximum(base_xy, light_xy) + 0.04, np.full(k, LIGHT_HEIGHT + 0.15)])
    v, f = _boxes(np.vstack([lo, a_lo]), np.vstack([hi, a_hi]))
    mesh.add("pole", v, f)
    return np.column_stack([light_xy, np.full(k, LIGHT_HEIGHT)])


def _buildings(mesh: _Mesh, foot: np.ndarray, floors: np.ndarray, bay: float):
    """Box buildings on counter-clockwise footprints ``(b, 4, 2)`` with window bays.

    Every facade of length L has ``max(1, round(L / bay))`` bays per floor; each bay of each floor
    is a cell with a window (45 % of the bay wide, 1.5 m high, sill 0.9 m) recessed by
    ``RECESS``. Positions are linear interpolations between the exact building corners, so
    neighbouring cells share bit-identical edges. Returns window centres and normals.
    """
    b = foot.shape[0]
    height = floors * FLOOR
    c0 = foot                                   # (b, 4, 2) facade start corners
    c1 = np.roll(foot, -1, axis=1)              # facade end corners
    length = np.linalg.norm(c1 - c0, axis=2)    # (b, 4)
    nb = np.maximum(1, np.rint(length / bay)).astype(np.int64)
    # One row per cell: building, facade, bay index, floor index.
    per_facade = nb * floors[:, None]
    fac_b = np.repeat(np.arange(b), 4)
    fac_k = np.tile(np.arange(4), b)
    counts = per_facade.ravel()
    cell_fac = np.repeat(np.arange(4 * b), counts)
    start = np.cumsum(counts) - counts
    local = np.arange(cell_fac.size) - start[cell_fac]
    nbf = nb.ravel()[cell_fac]
    bay_i = local % nbf
    floor_i = local // nbf
    cb = fac_b[cell_fac]
    ck = fac_k[cell_fac]
    a = c0[cb, ck]
    e = c1[cb, ck]
    u = (e - a) / length[cb, ck][:, None]
    normal = np.column_stack([u[:, 1], -u[:, 0]])
    # Fractions along the facade of the cell edges and of the window edges.
    s0 = bay_i / nbf
    s1 = (bay_i + 1) / nbf
    half = 0.225 / nbf
    smid = (bay_i + 0.5) / nbf
    fracs = np.column_stack([s0, s1, smid - half, smid + half])           # (c, 4)
    z0 = floor_i * FLOOR
    zs = np.column_stack([z0, z0 + FLOOR, z0 + 0.9, z0 + 2.4])             # (c, 4)
    xy = a[:, None, :] * (1.0 - fracs[:, :, None]) + e[:, None, :] * fracs[:, :, None]
    # Cell vertices: 0-3 wall corners, 4-7 window front ring, 8-11 window back ring.
    col = np.array([0, 1, 1, 0, 2, 3, 3, 2, 2, 3, 3, 2])
    row = np.array([0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3])
    vx = xy[:, col, :].copy()
    vx[:, 8:, :] -= RECESS * normal[:, None, :]
    vz = zs[:, row]
    verts = np.concatenate([vx, vz[:, :, None]], axis=2).reshape(-1, 3)
    wall_q = np.array([[0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7],
                       [4, 5, 9, 8], [5, 6, 10, 9], [6, 7, 11, 10], [7, 4, 8, 11]])
    win_q = np.array([[8, 9, 10, 11]])
    off = 12 * np.arange(cell_fac.size)[:, None, None]
    mesh.add_shared(verts, {"facade": _quads((wall_q[None] + off).reshape(-1, 4)),
                            "window": _quads((win_q[None] + off).reshape(-1, 4))})
    # Roofs: a flat quad at the top of each building.
    top = np.concatenate([foot, np.repeat(height[:, None], 4, axis=1)[:, :, None]], axis=2)
    mesh.add("roof", top.reshape(-1, 3), _quads(np.arange(4 * b).reshape(b, 4)))
    wc = np.column_stack([a + (e - a) * smid[:, None] - RECESS * normal, z0 + 1.65])
    wn = np.column_stack([normal, np.zeros(normal.shape[0])])
    return wc, wn


def _building_faces(floors: np.ndarray, foot: np.ndarray, bay: float) -> int:
    """Triangles ``_buildings`` makes for these footprints and floors (for sizing)."""
    length = np.linalg.norm(np.roll(foot, -1, axis=1) - foot, axis=2)
    nb = np.maximum(1, np.rint(length / bay))
    return int(TRIS_PER_CELL * (nb * floors[:, None]).sum() + 2 * foot.shape[0])


def _rect(x0, y0, x1, y1) -> np.ndarray:
    """Counter-clockwise rectangle corners ``(k, 4, 2)`` from corner arrays."""
    return np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y0]),
                     np.column_stack([x1, y1]), np.column_stack([x0, y1])], axis=1)


def _ground(mesh: _Mesh, breaks: np.ndarray, kind: np.ndarray) -> None:
    """Ground tiles on the tensor grid ``breaks x breaks``; ``kind`` codes each interval.

    Interval kinds: 0 block interior, 1 sidewalk, 2 carriageway. A tile is street if either of
    its intervals is carriageway, else sidewalk if either is sidewalk, else ground.
    """
    n = breaks.size - 1
    ix, iy = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ix = ix.ravel()
    iy = iy.ravel()
    cls = np.maximum(kind[ix], kind[iy])
    for code, group in ((0, "ground"), (1, "sidewalk"), (2, "street")):
        sel = cls == code
        r = _rect(breaks[ix[sel]], breaks[iy[sel]], breaks[ix[sel] + 1], breaks[iy[sel] + 1])
        k = r.shape[0]
        v = np.concatenate([r, np.zeros((k, 4, 1))], axis=2).reshape(-1, 3)
        mesh.add(group, v, _quads(np.arange(4 * k).reshape(k, 4)))


def _layout(n: int):
    """Breakpoints and interval kinds of an n x n block grid with streets around every block."""
    pitch = BLOCK + STREET_WIDTH
    starts = np.arange(n + 1) * pitch
    street = np.stack([starts, starts + SIDEWALK, starts + STREET_WIDTH - SIDEWALK,
                       starts + STREET_WIDTH], axis=1)
    breaks = street.ravel()
    kind = np.tile([1, 2, 1, 0], n + 1)[:-1]
    return breaks, kind, starts


def _district_plan(n: int, rng: np.random.Generator):
    """Building footprints and floors for an n x n grid of blocks (2 x 2 buildings each)."""
    pitch = BLOCK + STREET_WIDTH
    bi, bj, qi, qj = np.meshgrid(np.arange(n), np.arange(n), [0, 1], [0, 1], indexing="ij")
    bi, bj, qi, qj = (a.ravel() for a in (bi, bj, qi, qj))
    k = bi.size
    x0 = STREET_WIDTH + bi * pitch
    y0 = STREET_WIDTH + bj * pitch
    half = (BLOCK - ALLEY) / 2
    setback = rng.uniform(1.5, 4.0, (k, 2))
    bx0 = x0 + qi * (half + ALLEY) + np.where(qi == 0, setback[:, 0], 0.0)
    bx1 = x0 + qi * (half + ALLEY) + half - np.where(qi == 1, setback[:, 0], 0.0)
    by0 = y0 + qj * (half + ALLEY) + np.where(qj == 0, setback[:, 1], 0.0)
    by1 = y0 + qj * (half + ALLEY) + half - np.where(qj == 1, setback[:, 1], 0.0)
    floors = rng.integers(3, 10, k)
    return _rect(bx0, by0, bx1, by1), floors


def _street_furniture(n: int):
    """Pole bases, light positions and tree positions along every street of the grid."""
    pitch = BLOCK + STREET_WIDTH
    extent = n * pitch + STREET_WIDTH
    starts = np.arange(n + 1) * pitch
    # Positions along a street: within each stretch between crossings.
    stretch = STREET_WIDTH + np.arange(n)[:, None] * pitch
    light_s = (stretch + LIGHT_SPACING * (np.arange(3) + 0.5)[None]).ravel()
    tree_s = (stretch + TREE_SPACING * (np.arange(6) + 0.5)[None]).ravel()
    bases, lights, trees = [], [], []
    for axis in (0, 1):
        s_l, c_l = np.meshgrid(light_s, starts, indexing="ij")
        s_t, c_t = np.meshgrid(tree_s, starts, indexing="ij")
        pole_c = c_l.ravel() + SIDEWALK - 0.5
        lamp_c = c_l.ravel() + SIDEWALK + 1.0
        tree_c = c_t.ravel() + STREET_WIDTH - SIDEWALK / 2
        if axis == 0:  # streets running along x
            bases.append(np.column_stack([s_l.ravel(), pole_c]))
            lights.append(np.column_stack([s_l.ravel(), lamp_c]))
            trees.append(np.column_stack([s_t.ravel(), tree_c]))
        else:
            bases.append(np.column_stack([pole_c, s_l.ravel()]))
            lights.append(np.column_stack([lamp_c, s_l.ravel()]))
            trees.append(np.column_stack([tree_c, s_t.ravel()]))
    # Keep the outermost streets' trees and lights inside the district.
    trees = np.vstack(trees)
    trees = trees[np.all(trees < extent, axis=1)]
    return np.vstack(bases), np.vstack(lights), trees


def _streets(n: int):
    pitch = BLOCK + STREET_WIDTH
    extent = n * pitch + STREET_WIDTH
    starts = np.arange(n + 1) * pitch
    zeros = np.zeros(n + 1)
    full = np.full(n + 1, extent)
    polys = np.concatenate([_rect(zeros, starts, full, starts + STREET_WIDTH),
                            _rect(starts, zeros, starts + STREET_WIDTH, full)])
    mid = starts + STREET_WIDTH / 2
    lines = tuple(np.array([[0.0, m, 0.0], [extent, m, 0.0]]) for m in mid) + \
        tuple(np.array([[m, 0.0, 0.0], [m, extent, 0.0]]) for m in mid)
    return polys, lines


def _fixed_faces(n: int) -> int:
    """Triangles of a district of n x n blocks other than facades and roofs."""
    tiles = (4 * (n + 1) - 1) ** 2
    bases, _, trees = _street_furniture(n)
    return 2 * tiles + 2 * TRIS_BOX * bases.shape[0] + TRIS_TREE * (trees.shape[0] + n * n)


# --------------------------------------------------------------------------- public scenes
#: Bytes [B] per cell of :func:`ground_plane`, scene and BVH included (peak measured with
#: tracemalloc for 300 x 300 cells: 1,702 B), for the memory check.
GROUND_BYTES_PER_CELL = 1800


def ground_plane(size: float = 100.0, cells: int = 1, *, height: float = 0.0) -> Scene:
    """A square ground plane centred on the origin, split into ``cells x cells`` tiles.

    Parameters
    ----------
    size : float
        Side length [m].
    cells : int
        Tiles per side (2 triangles each).
    height : float
        Height of the plane [m].

    Returns
    -------
    Scene
        One group, ``"ground"``.
    """
    size = as_float(size, "size", lo=0.0, lo_open=True)
    if int(cells) < 1:
        raise ParameterError(f"cells: expected an integer >= 1, got {cells!r}")
    cells = int(cells)
    check_memory(cells * cells * GROUND_BYTES_PER_CELL, f"ground_plane: {cells} x {cells} cells",
                 "use fewer cells (one cell is a flat plane too)")
    t = np.linspace(-size / 2, size / 2, cells + 1)
    i, j = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    r = _rect(t[i.ravel()], t[j.ravel()], t[i.ravel() + 1], t[j.ravel() + 1])
    k = r.shape[0]
    v = np.concatenate([r, np.full((k, 4, 1), float(height))], axis=2).reshape(-1, 3)
    mesh = _Mesh()
    mesh.add("ground", v, _quads(np.arange(4 * k).reshape(k, 4)))
    return mesh.scene("ground_plane", {"ground": DISTRICT_MATERIALS["ground"]})


def street_canyon(length: float = 100.0, width: float = STREET_WIDTH, height: float = 15.0, *,
                  building_depth: float = 12.0, bay: float = 3.0, seed: int = 0
                  ) -> SyntheticDistrict:
    """A straight street along x between two rows of buildings.

    Parameters
    ----------
    length : float
        Street length [m] (x from 0).
    width : float
        Street width between the building rows [m], sidewalks of 2 m included.
    height : float
        Building height [m] (rounded to whole floors of 3.2 m).
    building_depth : float
        Depth of the building rows [m].
    bay : float
        Window bay width [m].
    seed : int
        Unused randomness seed kept for a uniform signature (the canyon is regular).

    Returns
    -------
    SyntheticDistrict
        The street runs along y = width / 2; lights every ~27 m on the y = 0 side.
    """
    length = as_float(length, "length", lo=1.0)
    width = as_float(width, "width", lo=2 * SIDEWALK + 1.0)
    height = as_float(height, "height", lo=FLOOR)
    depth = as_float(building_depth, "building_depth", lo=1.0)
    bay = as_float(bay, "bay", lo=0.5)
    mesh = _Mesh()
    floors = np.full(2, max(1, int(round(height / FLOOR))))
    foot = _rect(np.zeros(2), np.array([-depth, width]), np.full(2, length),
                 np.array([0.0, width + depth]))
    wc, wn = _buildings(mesh, foot, floors, bay)
    street = wn[:, 1] * np.sign(width / 2 - wc[:, 1]) > 0     # windows facing the street
    ys = np.array([0.0, SIDEWALK, width - SIDEWALK, width])
    for (y0, y1), group in zip(zip(ys[:-1], ys[1:]), ("sidewalk", "street", "sidewalk")):
        r = _rect(np.zeros(1), np.array([y0]), np.array([length]), np.array([y1]))
        mesh.add(group, np.concatenate([r, np.zeros((1, 4, 1))], axis=2).reshape(-1, 3),
                 _quads(np.arange(4).reshape(1, 4)))
    n_l = max(1, int(round(length / LIGHT_SPACING)))
    s = (np.arange(n_l) + 0.5) * length / n_l
    lights = _poles(mesh, np.column_stack([s, np.full(n_l, SIDEWALK - 0.5)]),
                    np.column_stack([s, np.full(n_l, SIDEWALK + 1.0)]))
    scene = mesh.scene("street_canyon", DISTRICT_MATERIALS)
    poly = _rect(np.zeros(1), np.zeros(1), np.array([length]), np.array([width]))
    line = (np.array([[0.0, width / 2, 0.0], [length, width / 2, 0.0]]),)
    return SyntheticDistrict(scene, lights, line, poly, wc[street], wn[street])


def district(target_triangles: int = 100_000, seed: int = 0) -> SyntheticDistrict:
    """A grid of city blocks separated by 12 m streets, sized to about ``target_triangles``.

    Each 80 m block holds 2 x 2 buildings of 3-9 floors (3.2 m) with recessed windows in
    every bay of every floor, set back 1.5-4 m from the sidewalk around a 6 m alley, and a
    tree where the alleys cross. Every street has light poles on one sidewalk (lights at 6 m,
    about 27 m apart) and trees every ~13 m on the other. The number of blocks follows the
    target (about 30 000 triangles per block); the window bay width (1-12 m) is then chosen so
    that the triangle count is within a few per cent of the target.

    Parameters
    ----------
    target_triangles : int
        Wanted number of triangles (>= 2000).
    seed : int
        Seed of the building heights, setbacks and tree sizes.

    Returns
    -------
    SyntheticDistrict
    """
    try:
        target = int(target_triangles)
    except (TypeError, ValueError):
        raise ParameterError(f"target_triangles: expected an integer, got {target_triangles!r}") from None
    if target < 2000 or target > 50_000_000:
        raise ParameterError(f"target_triangles: expected 2000..50000000, got {target}")
    n = max(1, int(round(np.sqrt(target / 30_000))))
    rng = np.random.default_rng(seed)
    foot, floors = _district_plan(n, rng)
    fixed = _fixed_faces(n)
    lo_b, hi_b = 1.0, 12.0
    for _ in range(40):  # more bays -> more triangles: bisect the bay width
        mid = 0.5 * (lo_b + hi_b)
        if fixed + _building_faces(floors, foot, mid) > target:
            lo_b = mid
        else:
            hi_b = mid
    bay = hi_b if abs(fixed + _building_faces(floors, foot, hi_b) - target) <= \
        abs(fixed + _building_faces(floors, foot, lo_b) - target) else lo_b
    mesh = _Mesh()
    breaks, kind, _ = _layout(n)
    _ground(mesh, breaks, kind)
    wc, wn = _buildings(mesh, foot, floors, bay)
    bases, lamp_xy, tree_xy = _street_furniture(n)
    lights = _poles(mesh, bases, lamp_xy)
    centres = STREET_WIDTH + np.arange(n) * (BLOCK + STREET_WIDTH) + BLOCK / 2
    cx, cy = np.meshgrid(centres, centres, indexing="ij")
    _trees(mesh, np.vstack([tree_xy, np.column_stack([cx.ravel(), cy.ravel()])]), rng)
    scene = mesh.scene(f"district_{target}", DISTRICT_MATERIALS)
    polys, lines = _streets(n)
    return SyntheticDistrict(scene, lights, lines, polys, wc, wn)
