"""The scene as a binary PLY with vertex colours, for Blender, Rhino or MeshLab.

Each face gets its own three vertices so that a face's colour is exactly its value's colour
(no blending across faces). Vertex coordinates are written relative to the scene's local
origin (single precision loses centimetres at Dutch RD coordinates); the header says where
that origin lies, in lines other software can parse::

    comment origin 84616.000 447368.000 0.000
    comment crs EPSG:28992
    comment vertices are relative to the origin: world x y z = vertex + origin [m]

:func:`read_ply` returns them as ``origin`` and ``epsg`` (:func:`parse_georeference`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from ..errors import ParameterError

__all__ = ["write_ply", "read_ply", "face_values_from_field", "face_colors", "group_colors",
           "georeference_comments", "parse_georeference"]

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def _one_line(text) -> str:
    """``text`` on one header line: control characters (newlines) become one space."""
    return _CONTROL.sub(" ", str(text)).strip()


def group_colors(scene) -> np.ndarray:
    """(n, 3) uint8 colours by group: a light grey ramp, one shade per group."""
    k = max(len(scene.groups), 1)
    shades = np.linspace(150, 225, k).astype(np.uint8)
    return np.repeat(shades[scene.face_group][:, None], 3, axis=1)


def face_values_from_field(scene, field, *, max_distance: float | None = None) -> np.ndarray:
    """Sample a field at each face: the value at the grid point nearest the face centroid.

    Parameters
    ----------
    scene : Scene
        The faces.
    field : Field
        Values on grid points (world coordinates).
    max_distance : float, optional
        Faces farther than this from every grid point get NaN [m]. Default: 1.5 × the grid's
        cell size for plan grids, else 2 m.

    Returns
    -------
    (n_faces,) float
    """
    from scipy.spatial import cKDTree

    if max_distance is None:
        tr = field.grid.transform
        max_distance = 1.5 * max(tr[2], tr[3]) if tr is not None else 2.0
    tree = cKDTree(field.grid.points)
    dist, idx = tree.query(scene.face_centroids, k=1, distance_upper_bound=max_distance)
    out = np.full(scene.n_faces, np.nan)
    hit = np.isfinite(dist)
    out[hit] = np.asarray(field.values, dtype=np.float64)[idx[hit]]
    return out


def face_colors(scene, values=None, *, cmap="inferno", norm=None) -> np.ndarray:
    """(n, 3) uint8 face colours: ``values`` through a colour map, NaN faces by group.

    Parameters
    ----------
    values : (n_faces,) float, optional
        One value per face (NaN where the face has none); None colours every face by group.
    cmap : str or Colormap
        Matplotlib colour map.
    norm : matplotlib.colors.Normalize, optional
        Default: linear over the finite values.
    """
    cols = group_colors(scene)
    if values is None:
        return cols
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    v = np.asarray(values, dtype=np.float64)
    if v.shape != (scene.n_faces,):
        raise ParameterError(f"values: expected one value per face ({scene.n_faces}), got {v.shape}")
    ok = np.isfinite(v)
    if ok.any():
        cm = colormaps[cmap] if isinstance(cmap, str) else cmap
        if norm is None:
            lo, hi = float(v[ok].min()), float(v[ok].max())
            norm = Normalize(lo, hi if hi > lo else lo + 1.0)
        rgba = cm(norm(v[ok]))
        cols[ok] = np.round(np.asarray(rgba)[:, :3] * 255).astype(np.uint8)
    return cols


def _coordinate(x: float) -> str:
    """``x`` [m] with three decimals (``84616.000``), or all its digits when it has more."""
    s = f"{x:.3f}"
    return s if float(s) == x else repr(float(x))


def georeference_comments(origin, epsg=None) -> list[str]:
    """The header lines that georeference a PLY: ``comment origin X Y Z`` (world coordinates
    of the local origin [m], plain numbers), ``comment crs EPSG:N`` when the code is known,
    and one line that says how to use them.

    Examples
    --------
    >>> georeference_comments([84616.0, 447368.0, 0.0], 28992)[:2]
    ['comment origin 84616.000 447368.000 0.000', 'comment crs EPSG:28992']
    """
    o = np.asarray(origin, dtype=np.float64).reshape(3)
    lines = [f"comment origin {' '.join(_coordinate(float(v)) for v in o)}"]
    if epsg is not None:
        lines.append(f"comment crs EPSG:{int(epsg)}")
    lines.append("comment vertices are relative to the origin: world x y z = vertex + origin [m]")
    return lines


_ORIGIN = re.compile(r"^origin\s+(\S+)\s+(\S+)\s+(\S+)")
_CRS = re.compile(r"^(?:crs\s+EPSG:|epsg\s+)(\d+)\s*$", re.IGNORECASE)
_NP_FLOAT = re.compile(r"np\.float64\(([^()]*)\)")  # headers before 0.9 wrote repr(np.float64)


def parse_georeference(comments) -> tuple[np.ndarray | None, int | None]:
    """(origin (3,) float64 [m] or None, EPSG code or None) from a PLY's comment lines
    (without the ``comment`` keyword), as :func:`georeference_comments` writes them."""
    origin = epsg = None
    for c in comments:
        c = _NP_FLOAT.sub(r"\1", str(c).strip())
        m = _ORIGIN.match(c)
        if m and origin is None:
            try:
                o = np.array([float(v) for v in m.groups()], dtype=np.float64)
            except ValueError:
                continue
            if np.all(np.isfinite(o)):
                origin = o
        m = _CRS.match(c)
        if m and epsg is None:
            epsg = int(m.group(1))
    return origin, epsg


def write_ply(scene, path, colors=None, *, comment: str | None = None) -> Path:
    """Write the scene as a binary little-endian PLY with per-vertex colours.

    Parameters
    ----------
    scene : Scene
        The triangles (written in local coordinates, see the module docstring).
    path : path-like
        The ``.ply`` to write.
    colors : (n_faces, 3) uint8, optional
        Face colours; default by group (:func:`group_colors`).
    comment : str, optional
        An extra header comment (e.g. which field colours the faces).

    Returns
    -------
    pathlib.Path
    """
    n = scene.n_faces
    cols = group_colors(scene) if colors is None else np.asarray(colors)
    if cols.shape != (n, 3):
        raise ParameterError(f"colors: expected shape ({n}, 3), got {cols.shape}")
    cols = np.clip(cols, 0, 255).astype(np.uint8)
    vdt = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                    ("red", "u1"), ("green", "u1"), ("blue", "u1")])
    verts = np.empty(3 * n, dtype=vdt)
    xyz = scene.vertices[scene.faces].reshape(-1, 3)
    verts["x"], verts["y"], verts["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    rgb = np.repeat(cols, 3, axis=0)
    verts["red"], verts["green"], verts["blue"] = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    fdt = np.dtype([("n", "u1"), ("v", "<i4", (3,))])
    faces = np.empty(n, dtype=fdt)
    faces["n"] = 3
    faces["v"] = np.arange(3 * n, dtype=np.int32).reshape(n, 3)
    lines = ["ply", "format binary_little_endian 1.0",
             f"comment cpted_sim scene {_one_line(scene.name)}",
             *georeference_comments(scene.origin, scene.epsg)]
    if comment:
        lines += [f"comment {_one_line(c)}" for c in str(comment).splitlines()]
    lines += [f"element vertex {3 * n}", "property float x", "property float y",
              "property float z", "property uchar red", "property uchar green",
              "property uchar blue", f"element face {n}", "property list uchar int vertex_indices",
              "end_header"]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(("\n".join(lines) + "\n").encode("ascii", "replace"))
        fh.write(verts.tobytes())
        fh.write(faces.tobytes())
    log.debug("wrote %s (%d faces)", path, n)
    return path


def read_ply(path) -> dict:
    """Read a PLY written by :func:`write_ply` (the tests' and users' round trip).

    Returns
    -------
    dict
        ``vertices`` (v, 3) float32 local, ``colors`` (v, 3) uint8, ``faces`` (n, 3) int32,
        ``comments`` list of str, ``origin`` (3,) float64 [m] (None when the header has
        none), ``epsg`` int or None (:func:`parse_georeference`).
    """
    raw = Path(path).read_bytes()
    end = raw.index(b"end_header\n") + len(b"end_header\n")
    header = raw[:end].decode("ascii").splitlines()
    if header[:2] != ["ply", "format binary_little_endian 1.0"]:
        raise ParameterError(f"{path}: not a binary little-endian PLY written by cpted_sim")
    nv = nf = 0
    for line in header:
        if line.startswith("element vertex"):
            nv = int(line.split()[2])
        elif line.startswith("element face"):
            nf = int(line.split()[2])
    vdt = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                    ("red", "u1"), ("green", "u1"), ("blue", "u1")])
    fdt = np.dtype([("n", "u1"), ("v", "<i4", (3,))])
    verts = np.frombuffer(raw, dtype=vdt, count=nv, offset=end)
    faces = np.frombuffer(raw, dtype=fdt, count=nf, offset=end + nv * vdt.itemsize)
    comments = [ln[8:] for ln in header if ln.startswith("comment ")]
    origin, epsg = parse_georeference(comments)
    return {
        "vertices": np.column_stack([verts["x"], verts["y"], verts["z"]]),
        "colors": np.column_stack([verts["red"], verts["green"], verts["blue"]]),
        "faces": np.asarray(faces["v"]),
        "comments": comments,
        "origin": origin,
        "epsg": epsg,
    }
