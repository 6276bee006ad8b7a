"""Load urban meshes (OBJ, PLY, STL, glTF/GLB, CityJSON) into a :class:`~cpted_sim.Scene`.

Every face keeps the name of its group, so that windows, hedges and walls can be given
materials by name. Coordinates are read as float64 and stored relative to a local origin, so
projected coordinates (Dutch RD New, Swiss LV95) keep millimetres.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import MeshError, ParameterError
from ..geometry.scene import DEFAULT_GROUP, Material, Scene
from ._triangulate import triangulate_polygon

__all__ = ["load_scene", "read_obj", "MESH_FORMATS", "GROUP_BY"]

log = logging.getLogger(__name__)

#: File endings read by :func:`load_scene` and the reader used for each.
MESH_FORMATS = {
    ".obj": "obj",
    ".ply": "trimesh",
    ".stl": "trimesh",
    ".glb": "gltf",
    ".gltf": "gltf",
    ".json": "cityjson",
}

GROUP_BY = ("material", "object")


def _check_path(path) -> Path:
    try:
        p = Path(os.fspath(path))
    except TypeError:
        raise ParameterError(f"path: expected a file path, got {type(path).__name__}") from None
    if not p.exists():
        raise MeshError(f"{p}: no such file")
    if p.is_dir():
        raise MeshError(f"{p}: is a directory, expected a mesh or CityJSON file")
    return p


def _format_of(p: Path) -> str:
    suffix = p.suffix.lower()
    if suffix not in MESH_FORMATS:
        raise MeshError(f"{p.name}: unknown mesh format {suffix or '(no extension)'!r}; "
                        f"expected one of {', '.join(sorted(MESH_FORMATS))} "
                        f"(.city.json and .json are CityJSON)")
    return MESH_FORMATS[suffix]


def load_scene(path, *, origin=None, group_by: str = "material",
               materials: Mapping[str, Material] | None = None, epsg: int | None = None,
               lod=None) -> Scene:
    """Read a mesh or CityJSON file into a scene.

    Parameters
    ----------
    path : str or path-like
        ``.obj`` (with ``usemtl`` materials and ``o``/``g`` objects), ``.ply``, ``.stl``,
        ``.glb`` / ``.gltf``, or CityJSON ``.json`` / ``.city.json`` (see
        :func:`cpted_sim.io.cityjson.load_cityjson`).
    origin : (3,) float, optional
        World coordinates [m] of the scene's local origin; default: the floor of the
        bounding-box minimum in x and y, 0 in z.
    group_by : {"material", "object"}
        What names each face's group: the material (OBJ ``usemtl``, glTF material; CityJSON
        "CityObjectType/SemanticSurface" such as ``"Building/WallSurface"``) or the object
        (OBJ ``o`` or ``g``, glTF node; CityJSON CityObject id). PLY and STL files hold one
        group named after the file.
    materials : mapping str -> Material, optional
        Materials by group name.
    epsg : int, optional
        EPSG code of the coordinates (CityJSON: read from the file when not given).
    lod : str or float, optional
        CityJSON only: the level of detail to read (default: each object's highest).

    Returns
    -------
    Scene

    Raises
    ------
    MeshError
        Missing file, unknown format, unreadable content, bad face indices or an empty mesh;
        the message names the file (and the line for OBJ).

    Notes
    -----
    glTF is Y-up by specification; its coordinates are turned to this library's Z-up frame
    (``(x, y, z) -> (x, -z, y)``). Polygons with more than three corners (OBJ) are
    triangulated by ear clipping. Coordinates never pass through float32 (except where the
    file format itself stores float32: STL, most glTF).
    """
    p = _check_path(path)
    if group_by not in GROUP_BY:
        raise ParameterError(f"group_by: expected one of {list(GROUP_BY)}, got {group_by!r}")
    kind = _format_of(p)
    if kind == "cityjson":
        from .cityjson import load_cityjson

        return load_cityjson(p, lod=lod, origin=origin, group_by=group_by, materials=materials,
                             epsg=epsg)
    if lod is not None:
        raise ParameterError(f"lod: only CityJSON files have levels of detail, not {p.suffix}")
    if kind == "obj":
        vertices, faces, groups = read_obj(p, group_by=group_by)
        if group_by == "material":  # .mtl Kd as reflectance; explicit materials win
            from .mtl import obj_materials

            materials = {**obj_materials(p, sorted(set(groups))), **(materials or {})}
    else:
        vertices, faces, groups = _read_with_trimesh(p, kind, group_by)
    return _build(p, vertices, faces, groups, origin, materials, epsg)


def _build(p: Path, vertices, faces, groups, origin, materials, epsg) -> Scene:
    """Scene.from_arrays with the file's name on every MeshError."""
    if len(faces) == 0:
        raise MeshError(f"{p.name}: the file holds no faces (an empty scene)")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scene = Scene.from_arrays(vertices, faces, groups, origin=origin,
                                      materials=materials, epsg=epsg, name=p.name)
    except MeshError as exc:
        raise MeshError(f"{p.name}: {exc}") from None
    for w in caught:  # name the file in the scene's warnings (zero-area faces dropped)
        warnings.warn(f"{p.name}: {w.message}", w.category, stacklevel=3)
    return scene


# ---------------------------------------------------------------------- OBJ
def read_obj(path, *, group_by: str = "material"):
    """Parse a Wavefront OBJ file in float64.

    trimesh is not used for OBJ: its ``split_object`` loses the ``o`` names (every part is
    named after the first object), and the group names are the point here.

    Parameters
    ----------
    path : path-like
    group_by : {"material", "object"}
        ``usemtl`` names, or ``o`` names (``g`` names when the file has no ``o`` lines).

    Returns
    -------
    vertices : (v, 3) float
    faces : (n, 3) int64
        Triangles (polygons are triangulated).
    groups : (n,) str
        Group name of each face (``"default"`` before any ``usemtl`` / ``o``).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise MeshError(f"{p.name}: not a text OBJ file ({exc.reason} at byte {exc.start})") \
            from None
    except OSError as exc:
        raise MeshError(f"{p.name}: cannot be read ({exc.strerror})") from None
    verts: list[tuple[float, float, float]] = []
    tri_rows: list[tuple[int, int, int]] = []
    tri_keys: list[int] = []
    tri_lines: list[int] = []
    polys: list[tuple[list[int], int, int]] = []  # (indices, key, line)
    keys: dict[tuple[str, str, str], int] = {}
    key = None
    mtl = obj = grp = DEFAULT_GROUP
    seen_o = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        tag, *tail = line.split(None, 1)
        rest = tail[0] if tail else ""
        if tag == "v":
            parts = rest.split()
            try:
                verts.append((float(parts[0]), float(parts[1]), float(parts[2])))
            except (ValueError, IndexError):
                raise MeshError(f"{p.name} line {lineno}: expected three numbers after 'v', "
                                f"got {raw.strip()[:60]!r}") from None
        elif tag == "f":
            if key is None:
                key = keys.setdefault((mtl, obj, grp), len(keys))
            idx = []
            n_v = len(verts)
            for tok in rest.split():
                try:
                    i = int(tok.split("/", 1)[0])
                except ValueError:
                    raise MeshError(f"{p.name} line {lineno}: bad vertex reference {tok!r} in "
                                    f"face") from None
                if i == 0:
                    raise MeshError(f"{p.name} line {lineno}: vertex index 0 (OBJ indices start "
                                    f"at 1)")
                idx.append(i - 1 if i > 0 else n_v + i)
            if len(idx) < 3:
                raise MeshError(f"{p.name} line {lineno}: a face needs at least 3 vertices, "
                                f"got {len(idx)}")
            if len(idx) == 3:
                tri_rows.append((idx[0], idx[1], idx[2]))
                tri_keys.append(key)
                tri_lines.append(lineno)
            else:
                polys.append((idx, key, lineno))
        elif tag == "usemtl":
            mtl = rest.strip() or DEFAULT_GROUP
            key = None
        elif tag == "o":
            obj = rest.strip() or DEFAULT_GROUP
            seen_o = True
            key = None
        elif tag == "g":
            grp = rest.strip() or DEFAULT_GROUP
            key = None
        # vt, vn, s, mtllib, l, p ... carry nothing we use.
    vertices = np.array(verts, dtype=np.float64).reshape(-1, 3)
    faces = np.array(tri_rows, dtype=np.int64).reshape(-1, 3)
    face_key = np.array(tri_keys, dtype=np.int64)
    n_v = len(vertices)
    bad = np.any((faces < 0) | (faces >= n_v), axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise MeshError(f"{p.name} line {tri_lines[first]}: face refers to a vertex outside "
                        f"1..{n_v} ({int(bad.sum())} such faces)")
    if polys:
        extra, extra_key = [], []
        for idx, k, lineno in polys:
            arr = np.asarray(idx, dtype=np.int64)
            if np.any((arr < 0) | (arr >= n_v)):
                raise MeshError(f"{p.name} line {lineno}: face refers to a vertex outside "
                                f"1..{n_v}")
            tri = triangulate_polygon(vertices[arr], [len(arr)])
            extra.append(arr[tri])
            extra_key.extend([k] * len(tri))
        faces = np.vstack([faces, *extra])
        face_key = np.concatenate([face_key, np.asarray(extra_key, dtype=np.int64)])
    names_by_key = [None] * len(keys)
    for (m, o, g), k in keys.items():
        if group_by == "material":
            names_by_key[k] = m
        else:
            names_by_key[k] = o if seen_o else g
    groups = np.asarray(names_by_key, dtype=object)[face_key] if len(face_key) else \
        np.empty(0, dtype=object)
    return vertices, faces, groups


# ---------------------------------------------------------------------- PLY, STL, glTF
def _read_with_trimesh(p: Path, kind: str, group_by: str):
    import trimesh

    try:
        loaded = trimesh.load(str(p), force="scene", process=False)
    except Exception as exc:  # trimesh raises many kinds on bad content
        raise MeshError(f"{p.name}: cannot be read as {p.suffix.lstrip('.').upper()} "
                        f"({type(exc).__name__}: {exc})") from None
    verts, faces, groups = [], [], []
    offset = 0
    for node in loaded.graph.nodes_geometry:
        transform, geom_name = loaded.graph[node]
        geom = loaded.geometry[geom_name]
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue
        v = np.asarray(geom.vertices, dtype=np.float64)
        v = v @ np.asarray(transform, dtype=np.float64)[:3, :3].T + transform[:3, 3]
        if kind == "gltf":
            v = np.column_stack([v[:, 0], -v[:, 2], v[:, 1]])  # Y-up -> Z-up
        f = np.asarray(geom.faces, dtype=np.int64)
        if kind != "gltf":
            name = p.name.split(".")[0]
        elif group_by == "object":
            name = str(node)
        else:
            mat = getattr(getattr(geom, "visual", None), "material", None)
            name = getattr(mat, "name", None) or str(geom_name)
        verts.append(v)
        faces.append(f + offset)
        groups.extend([name] * len(f))
        offset += len(v)
    if not faces:
        raise MeshError(f"{p.name}: the file holds no triangle faces (an empty scene)")
    return np.vstack(verts), np.vstack(faces), np.asarray(groups, dtype=object)
