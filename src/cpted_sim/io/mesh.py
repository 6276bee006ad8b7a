"""Load urban meshes (OBJ, PLY, STL, glTF/GLB, CityJSON) into a :class:`~cpted_sim.Scene`.

Every face keeps the name of its group, so that windows, hedges and walls can be given
materials by name. Coordinates are read as float64 and stored relative to a local origin, so
projected coordinates (Dutch RD New, Swiss LV95) keep millimetres.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import urllib.parse
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._files import MAX_MESH_BYTES, checked_input, read_bytes_checked
from ..errors import CptedError, CptedWarning, MeshError, ParameterError
from ..geometry.scene import DEFAULT_GROUP, Material, Scene
from ._ply import parse_ply
from ._stl import parse_stl
from ._triangulate import triangulate_polygons

__all__ = ["load_scene", "read_obj", "read_ply", "read_stl", "MESH_FORMATS", "GROUP_BY"]

log = logging.getLogger(__name__)

#: File endings read by :func:`load_scene` and the reader used for each.
MESH_FORMATS = {
    ".obj": "obj",
    ".ply": "ply",
    ".stl": "stl",
    ".glb": "gltf",
    ".gltf": "gltf",
    ".json": "cityjson",
}

GROUP_BY = ("material", "object")


def _check_path(path) -> Path:
    """``path`` as a Path after the checks every input file passes (``_files.checked_input``):
    it exists, is a regular file (not a FIFO or device, links followed) and is at most
    ``MAX_MESH_BYTES``. The returned path keeps the name the user gave (for messages and the
    format); :func:`_read_checked` reads it."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"path: expected a file path, got {type(path).__name__}")
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    checked_input(text, what="mesh", error=MeshError, max_bytes=MAX_MESH_BYTES)
    return Path(text)


def _read_checked(p: Path) -> bytes:
    """The whole file, read through ``_files.read_bytes_checked`` (same checks again)."""
    return read_bytes_checked(p, what="mesh", error=MeshError, max_bytes=MAX_MESH_BYTES)


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
    (``(x, y, z) -> (x, -z, y)``). Polygons with more than three corners (OBJ, PLY) are
    triangulated by ear clipping (concave ones correctly; PLY and STL are read by the
    project's own parsers, ``io._ply`` and ``io._stl``). Coordinates never pass through
    float32 (except where the file format itself stores float32: binary STL, most glTF).
    Every file is opened through ``_files.read_bytes_checked``: a FIFO, a device or a file
    over ``MAX_MESH_BYTES`` is refused before reading; glTF buffers must lie in the glTF's
    folder.
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
    elif kind == "ply":
        vertices, faces, groups = read_ply(p)
        vertices, epsg = _ply_georeference(p, vertices, epsg)
    elif kind == "stl":
        vertices, faces, groups = read_stl(p)
    else:
        vertices, faces, groups = _read_gltf(p, group_by)
    return _build(p, vertices, faces, groups, origin, materials, epsg)


def _ply_georeference(p: Path, vertices, epsg):
    """World coordinates and EPSG code of a PLY whose header places it (``comment origin X Y
    Z``, ``comment crs EPSG:N``, as :func:`cpted_sim.io.colored_mesh.write_ply` writes)."""
    from .colored_mesh import parse_georeference

    with open(checked_input(p, what="mesh", error=MeshError, max_bytes=MAX_MESH_BYTES),
              "rb") as fh:
        head = fh.read(1 << 16)
    end = head.find(b"end_header")
    lines = head[:end if end >= 0 else len(head)].decode("ascii", "replace").splitlines()
    origin, file_epsg = parse_georeference([ln[8:] for ln in lines if ln.startswith("comment ")])
    if origin is not None:
        log.info("%s: vertices relative to the origin %s in its header", p.name, origin.tolist())
        vertices = vertices + origin
    return vertices, (epsg if epsg is not None else file_epsg)


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

    Raises
    ------
    MeshError
        Naming the line: a vertex without three finite numbers, a face with fewer than three
        corners, a vertex reference that is not an integer, is 0, or lies outside the
        vertices (relative ones: before the first vertex). A leading UTF-8 byte-order mark is
        skipped.
    """
    p = Path(path) if isinstance(path, (str, os.PathLike)) else _check_path(path)
    data = _read_checked(p)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MeshError(f"{p.name}: not a text OBJ file ({exc.reason} at byte {exc.start})") \
            from None
    return _parse_obj(text.removeprefix("\ufeff"), p.name, group_by)


#: Largest vertex index accepted in a face (no file under MAX_MESH_BYTES has more vertices).
_MAX_INDEX = MAX_MESH_BYTES


def _parse_obj(text: str, fname: str, group_by: str):
    verts: list[tuple[float, float, float]] = []
    corners: list[int] = []
    counts: list[int] = []
    face_key: list[int] = []
    face_line: list[int] = []
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
                xyz = (float(parts[0]), float(parts[1]), float(parts[2]))
            except (ValueError, IndexError):
                raise MeshError(f"{fname} line {lineno}: expected three numbers after 'v', "
                                f"got {line[:60]!r}") from None
            if not all(math.isfinite(c) for c in xyz):
                raise MeshError(f"{fname} line {lineno}: vertex coordinates must be finite "
                                f"numbers, got {line[:60]!r}")
            verts.append(xyz)
        elif tag == "f":
            if key is None:
                key = keys.setdefault((mtl, obj, grp), len(keys))
            n_v = len(verts)
            toks = rest.split()
            if len(toks) < 3:
                raise MeshError(f"{fname} line {lineno}: a face needs at least 3 vertices, "
                                f"got {len(toks)}")
            for tok in toks:
                ref = tok.split("/", 1)[0]
                try:
                    i = int(ref)
                except ValueError:
                    raise MeshError(f"{fname} line {lineno}: bad vertex reference {tok[:30]!r} "
                                    f"in face (expected an integer index)") from None
                if i == 0:
                    raise MeshError(f"{fname} line {lineno}: vertex index 0 (OBJ indices start "
                                    f"at 1)")
                if i < 0:
                    i += n_v  # relative to the vertices read so far
                    if i < 0:
                        raise MeshError(f"{fname} line {lineno}: relative vertex reference "
                                        f"{ref[:30]} reaches before the first vertex "
                                        f"({n_v} read so far)")
                else:
                    i -= 1
                    if i >= _MAX_INDEX:
                        raise MeshError(f"{fname} line {lineno}: vertex index {ref[:30]} is "
                                        f"out of range")
                corners.append(i)
            counts.append(len(toks))
            face_key.append(key)
            face_line.append(lineno)
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
    idx = np.asarray(corners, dtype=np.int64)
    cnt = np.asarray(counts, dtype=np.int64)
    n_v = len(vertices)
    if idx.size and int(idx.max()) >= n_v:
        per_face = np.add.reduceat(idx >= n_v, np.cumsum(cnt) - cnt) > 0
        first = int(np.argmax(per_face))
        raise MeshError(f"{fname} line {face_line[first]}: face refers to a vertex outside "
                        f"1..{n_v} ({int(per_face.sum())} such faces)")
    faces, poly = triangulate_polygons(vertices, idx, cnt)
    _warn_dropped(fname, len(cnt), poly)
    names_by_key = [None] * len(keys)
    for (m, o, g), k in keys.items():
        names_by_key[k] = m if group_by == "material" else (o if seen_o else g)
    key_arr = np.asarray(face_key, dtype=np.int64)
    groups = np.asarray(names_by_key, dtype=object)[key_arr[poly]] if len(poly) else \
        np.empty(0, dtype=object)
    return vertices, faces, groups


def _warn_dropped(fname: str, n_polygons: int, poly: np.ndarray) -> None:
    """Warn, with counts, about polygons that gave no triangle (no area)."""
    n_kept = int(poly.size > 0) + int(np.count_nonzero(np.diff(poly)))  # poly is sorted
    n_lost = n_polygons - n_kept
    if n_lost:
        warnings.warn(f"{fname}: skipped {n_lost} polygons of {n_polygons} that have no area",
                      CptedWarning, stacklevel=4)


# ---------------------------------------------------------------------- PLY, STL
def _stem(p: Path) -> str:
    return p.name.split(".")[0] or p.name


def read_ply(path):
    """Read a PLY file (ASCII or binary) with the project's own parser (``io._ply``).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    vertices : (v, 3) float
    faces : (n, 3) int64
        Triangles; polygons of any size are triangulated (concave ones correctly).
    groups : (n,) str
        The file's name without its extension, for every face.

    Raises
    ------
    MeshError
        A malformed or truncated file (the message gives the counts expected and found), a
        face referring to a vertex the file does not have, non-finite coordinates.
    """
    p = Path(path) if isinstance(path, (str, os.PathLike)) else _check_path(path)
    mesh = parse_ply(_read_checked(p), p.name)
    v, idx, cnt = mesh.vertices, mesh.indices, mesh.counts
    bad = ~np.all(np.isfinite(v), axis=1)
    if bad.any():
        raise MeshError(f"{p.name}: {int(bad.sum())} vertices have NaN or infinite coordinates "
                        f"(first: vertex {int(np.argmax(bad))})")
    if cnt.size and cnt.min() < 3:
        k = int(np.argmax(cnt < 3))
        raise MeshError(f"{p.name}: face {k} has {int(cnt[k])} vertices, at least 3 needed")
    if idx.size and (idx.min() < 0 or idx.max() >= len(v)):
        k = int(np.argmax((idx < 0) | (idx >= len(v))))
        face = int(np.searchsorted(np.cumsum(cnt), k, side="right"))
        raise MeshError(f"{p.name}: face {face} refers to vertex {int(idx[k])}, outside "
                        f"0..{len(v) - 1}")
    faces, poly = triangulate_polygons(v, idx, cnt)
    _warn_dropped(p.name, len(cnt), poly)
    return v, faces, np.full(len(faces), _stem(p), dtype=object)


def read_stl(path):
    """Read a binary or ASCII STL file (``io._stl``); corners shared by position.

    Returns
    -------
    vertices : (v, 3) float
    faces : (n, 3) int64
    groups : (n,) str
        The file's name without its extension.
    """
    p = Path(path) if isinstance(path, (str, os.PathLike)) else _check_path(path)
    corners = parse_stl(_read_checked(p), p.name).reshape(-1, 3)
    if not np.all(np.isfinite(corners)):
        raise MeshError(f"{p.name}: {int((~np.isfinite(corners).all(axis=1)).sum())} triangle "
                        "corners have NaN or infinite coordinates")
    # Share corners by exact position (np.unique(axis=0) is ~10x slower than a lexsort).
    order = np.lexsort((corners[:, 2], corners[:, 1], corners[:, 0]))
    ranked = corners[order]
    new = np.ones(len(ranked), dtype=bool)
    new[1:] = np.any(ranked[1:] != ranked[:-1], axis=1)
    inverse = np.empty(len(ranked), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    vertices = ranked[new]
    faces = inverse.reshape(-1, 3)
    return vertices, faces, np.full(len(faces), _stem(p), dtype=object)


# ---------------------------------------------------------------------- glTF, GLB
def _read_gltf(p: Path, group_by: str):
    import trimesh
    from trimesh.resolvers import FilePathResolver

    folder = p.resolve().parent

    class _CheckedResolver(FilePathResolver):
        """External glTF buffers and images: only regular files inside the glTF's folder."""

        def get(self, name):
            return read_bytes_checked(urllib.parse.unquote(str(name)), what=f"{p.name} buffer",
                                      error=MeshError, max_bytes=MAX_MESH_BYTES,
                                      base_dir=folder)

    data = _read_checked(p)
    if p.suffix.lower() == ".gltf":
        # trimesh answers JSON it cannot parse by reading "model.gltf" from the folder instead
        # (trimesh.exchange.gltf.load_gltf): parse it here first.
        try:
            json.loads(data)
        except RecursionError:
            raise MeshError(f"{p.name}: cannot be read as GLTF (JSON nested too deeply)") \
                from None
        except ValueError as exc:
            raise MeshError(f"{p.name}: cannot be read as GLTF (not valid JSON: "
                            f"{' '.join(str(exc).split())[:120]})") from None
    try:
        loaded = trimesh.load_scene(io.BytesIO(data), file_type=p.suffix.lstrip(".").lower(),
                                    resolver=_CheckedResolver(folder), process=False)
    except (CptedError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - trimesh raises many kinds on bad content
        detail = " ".join(str(exc).split())[:160]
        raise MeshError(f"{p.name}: cannot be read as {p.suffix.lstrip('.').upper()} "
                        f"({type(exc).__name__}: {detail})") from None
    try:
        return _gltf_arrays(p, loaded, group_by, trimesh)
    except (CptedError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - malformed node graph or geometry
        detail = " ".join(str(exc).split())[:160]
        raise MeshError(f"{p.name}: malformed {p.suffix.lstrip('.').upper()} scene "
                        f"({type(exc).__name__}: {detail})") from None


def _gltf_arrays(p: Path, loaded, group_by: str, trimesh):
    verts, faces, groups = [], [], []
    offset = 0
    for node in loaded.graph.nodes_geometry:
        transform, geom_name = loaded.graph[node]
        geom = loaded.geometry[geom_name]
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue
        v = np.asarray(geom.vertices, dtype=np.float64)
        t = np.asarray(transform, dtype=np.float64)
        v = v @ t[:3, :3].T + t[:3, 3]
        v = np.column_stack([v[:, 0], -v[:, 2], v[:, 1]])  # Y-up -> Z-up
        f = np.asarray(geom.faces, dtype=np.int64)
        if f.ndim != 2 or f.shape[1] != 3 or (f.size and (f.min() < 0 or f.max() >= len(v))):
            raise MeshError(f"{p.name}: mesh {str(geom_name)[:40]!r} has face indices outside "
                            f"its {len(v)} vertices")
        if group_by == "object":
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
