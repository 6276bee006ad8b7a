"""CityJSON 1.0, 1.1 and 2.0 city models into a :class:`~cpted_sim.Scene` (own reader, ``json``).

Every surface of the chosen level of detail becomes triangles (polygons with holes are
triangulated, see ``_triangulate``); each face keeps the CityObject type and, where the file
has semantics, the semantic surface type as its group, e.g. ``"Building/WallSurface"``.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._files import MAX_MESH_BYTES, read_bytes_checked
from ..errors import CptedWarning, MeshError, ParameterError
from ..geometry.scene import Material, Scene
from ._cityjson_check import check_document, vertex_array
from ._triangulate import triangulate_polygon

__all__ = ["load_cityjson", "read_cityjson", "CityJSONMesh", "SUPPORTED_VERSIONS"]

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0")
_SURFACE_TYPES = ("MultiSurface", "CompositeSurface")
_SOLID_TYPES = ("Solid",)
_MULTI_SOLID_TYPES = ("MultiSolid", "CompositeSolid")
_IGNORED_TYPES = ("MultiPoint", "MultiLineString")


class CityJSONMesh(NamedTuple):
    """Triangles read from a CityJSON file, before they become a scene.

    Attributes
    ----------
    vertices : (v, 3) float
        World coordinates [m] (``transform`` applied).
    faces : (n, 3) int64
    groups : (n,) str
        Group name of each triangle.
    objects : (n,) str
        CityObject id of each triangle.
    epsg : int or None
        From ``metadata.referenceSystem``.
    lods : dict
        LoD used -> number of geometries read at it.
    available_lods : tuple of str
        Every LoD present in the file.
    version : str
    """

    vertices: np.ndarray
    faces: np.ndarray
    groups: np.ndarray
    objects: np.ndarray
    epsg: int | None
    lods: dict
    available_lods: tuple
    version: str


def lod_key(lod) -> str:
    """A LoD as a canonical string: ``2``, ``2.0`` and ``"2"`` -> ``"2"``; ``1.2`` -> ``"1.2"``."""
    try:
        return format(float(lod), "g")
    except (TypeError, ValueError):
        return str(lod)


def _lod_value(key: str) -> float:
    try:
        return float(key)
    except ValueError:
        return -1.0


def _epsg_of(data, name: str = "file") -> int | None:
    md = data.get("metadata") or {}
    ref = md.get("referenceSystem") or md.get("crs") or ""
    if isinstance(ref, dict):
        ref = ref.get("epsg", "")
    m = re.search(r"EPSG(?:/\d+/|::|:)?(\d+)\s*$", str(ref)[:200])
    code = int(m.group(1)) if m else ref if type(ref) is int else None
    if code is not None and not 0 < code < 2**31:
        raise MeshError(f"{name}: metadata.referenceSystem: EPSG code {code} is not a positive "
                        "integer code")
    return code


def _load_json(p: Path):
    raw = read_bytes_checked(p, what="CityJSON file", error=MeshError, max_bytes=MAX_MESH_BYTES)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MeshError(f"{p.name} line {exc.lineno}: not valid JSON ({exc.msg} at column "
                        f"{exc.colno})") from None
    except UnicodeDecodeError as exc:
        raise MeshError(f"{p.name}: not a JSON text file ({exc.reason})") from None
    except RecursionError:
        raise MeshError(f"{p.name}: JSON nested too deeply to be a CityJSON file") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise MeshError(f"{p.name}: not valid JSON ({' '.join(str(exc).split())[:120]})") \
            from None
    if not isinstance(data, dict) or data.get("type") != "CityJSON":
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise MeshError(f"{p.name}: not a CityJSON file (expected \"type\": \"CityJSON\", "
                        f"found {found!r})")
    version = str(data.get("version", ""))[:20]
    if version.split(".")[0] not in ("1", "2"):
        raise MeshError(f"{p.name}: CityJSON version {version!r} is not supported; expected one "
                        f"of {', '.join(SUPPORTED_VERSIONS)}")
    if "CityObjects" not in data or "vertices" not in data:
        missing = "CityObjects" if "CityObjects" not in data else "vertices"
        raise MeshError(f"{p.name}: the CityJSON file has no {missing!r} member")
    check_document(p.name, data)
    return data, version


def _world_vertices(p: Path, data, version: str = "1.0") -> np.ndarray:
    """``vertices`` in world coordinates: ``stored * scale + translate`` when the file has a
    ``transform``. CityJSON 1.1 and 2.0 require one (their vertices are integers); a file of
    those versions without it is read unscaled, with a :class:`CptedWarning`."""
    v = vertex_array(p.name, data["vertices"], "vertices")
    tr = data.get("transform")
    if tr is not None:
        v = v * np.asarray(tr["scale"], dtype=np.float64) + \
            np.asarray(tr["translate"], dtype=np.float64)
        if not np.all(np.isfinite(v)):
            raise MeshError(f"{p.name}: vertices: transform.scale and transform.translate give "
                            "infinite coordinates")
    elif len(v) and not (version == "1.0" or version.startswith("1.0.")):
        ext = np.ptp(v, axis=0) if len(v) else np.zeros(3)
        warnings.warn(f"{p.name}: CityJSON {version} requires a \"transform\" but the file has "
                      f"none; its {len(v)} vertices are read as coordinates in metres, unscaled "
                      f"(extent {ext[0]:.6g} x {ext[1]:.6g} x {ext[2]:.6g} m): if they are "
                      "integers in millimetres the scene is 1000 times too large",
                      CptedWarning, stacklevel=4)
    return v


class _Collector:
    """Accumulates triangles and their labels while the geometries are walked."""

    def __init__(self, name: str):
        self.name = name
        self.extra_vertices: list[np.ndarray] = []
        self.tri: list[tuple[int, int, int]] = []
        self.tri_label: list[int] = []
        self.poly_faces: list[np.ndarray] = []
        self.poly_label: list[int] = []
        self.labels: dict[tuple[str, str], int] = {}
        self.n_polygons_dropped = 0

    def label(self, group: str, obj: str) -> int:
        return self.labels.setdefault((group, obj), len(self.labels))

    def surface(self, rings, label: int, vertices: np.ndarray, base: int, obj: str):
        if len(rings) == 1 and len(rings[0]) == 3:
            a, b, c = rings[0]
            n = len(vertices)
            if not (0 <= a < n and 0 <= b < n and 0 <= c < n):
                raise MeshError(f"{self.name}: CityObject {obj!r} refers to vertex "
                                f"{max(a, b, c)} but the file has {n} vertices")
            self.tri.append((a + base, b + base, c + base))
            self.tri_label.append(label)
            return
        try:
            idx = np.fromiter((i for r in rings for i in r), dtype=np.int64)
        except OverflowError:
            raise MeshError(f"{self.name}: CityObject {obj!r} refers to vertex "
                            f"{max(i for r in rings for i in r)} but the file has "
                            f"{len(vertices)} vertices") from None
        if idx.size == 0:
            return
        if idx.min() < 0 or idx.max() >= len(vertices):
            raise MeshError(f"{self.name}: CityObject {obj!r} refers to vertex {int(idx.max())} "
                            f"but the file has {len(vertices)} vertices")
        ends = np.cumsum([len(r) for r in rings])
        tri = triangulate_polygon(vertices[idx], ends)
        if len(tri) == 0:
            self.n_polygons_dropped += 1
            return
        self.poly_faces.append(idx[tri] + base)
        self.poly_label.extend([label] * len(tri))


def _semantic_names(geom) -> tuple[list, object]:
    sem = geom.get("semantics") or {}
    names = [s.get("type", "") if isinstance(s, dict) else "" for s in sem.get("surfaces", [])]
    return names, sem.get("values")


def _at(values, i):
    if values is None or not isinstance(values, list) or i >= len(values):
        return None
    return values[i]


def _walk(geom, otype: str, oid: str, group_by: str, col: _Collector, vertices, base: int):
    gtype = geom.get("type")
    boundaries = geom.get("boundaries") or []
    names, values = _semantic_names(geom)

    def group_for(sem_index):
        if group_by == "object":
            return oid
        if isinstance(sem_index, int) and 0 <= sem_index < len(names) and names[sem_index]:
            return f"{otype}/{names[sem_index]}"
        return otype

    def shell(surfaces, shell_values):
        for k, rings in enumerate(surfaces):
            col.surface(rings, col.label(group_for(_at(shell_values, k)), oid), vertices, base, oid)

    if gtype in _SURFACE_TYPES:
        shell(boundaries, values)
    elif gtype in _SOLID_TYPES:
        for s, surfaces in enumerate(boundaries):
            shell(surfaces, _at(values, s))
    elif gtype in _MULTI_SOLID_TYPES:
        for d, solid in enumerate(boundaries):
            for s, surfaces in enumerate(solid):
                shell(surfaces, _at(_at(values, d), s))
    elif gtype in _IGNORED_TYPES:
        return
    else:
        raise MeshError(f"{col.name}: CityObject {oid!r} has geometry type {gtype!r}; expected "
                        f"MultiSurface, CompositeSurface, Solid, MultiSolid or CompositeSolid")


def _instance(p: Path, data, geom, vertices, oid: str):
    """A GeometryInstance: its template geometry, transformed and placed at its reference
    vertex; returns (template geometry, its world vertices)."""
    templates = data.get("geometry-templates") or {}
    try:
        tpl = templates["templates"][geom["template"]]
        tverts = np.asarray(templates["vertices-templates"], dtype=np.float64).reshape(-1, 3)
        i_ref = geom["boundaries"][0]
        if not 0 <= i_ref < len(vertices):
            raise MeshError(f"{p.name}: CityObject {oid!r} has a GeometryInstance whose "
                            f"reference point is vertex {i_ref} but the file has "
                            f"{len(vertices)} vertices")
        ref = vertices[i_ref]
        m = np.asarray(geom.get("transformationMatrix", np.eye(4).ravel()),
                       dtype=np.float64).reshape(4, 4)
    except MeshError:
        raise
    except (KeyError, IndexError, TypeError, ValueError):
        raise MeshError(f"{p.name}: CityObject {oid!r} has a GeometryInstance whose template, "
                        f"reference point or matrix is missing or malformed") from None
    world = tverts @ m[:3, :3].T + m[:3, 3] + ref
    return tpl, world


def _chosen_geometries(p: Path, data, lod):
    """(object id, object type, geometry) triples at the requested LoD, or each object's
    highest; a parent whose own best LoD is below its children's is left out (3D BAG keeps an
    LoD 0 footprint on the Building and the solids on its BuildingParts)."""
    objects = data["CityObjects"]
    if not isinstance(objects, dict):
        raise MeshError(f"{p.name}: \"CityObjects\" must be an object keyed by id")
    templates = (data.get("geometry-templates") or {}).get("templates") or []

    def geom_lod(g):
        if g.get("type") == "GeometryInstance":
            t = g.get("template")
            if isinstance(t, int) and 0 <= t < len(templates):
                return lod_key(templates[t].get("lod"))
        return lod_key(g.get("lod"))

    available = set()
    best: dict[str, str] = {}
    for oid, obj in objects.items():
        lods = [geom_lod(g) for g in obj.get("geometry") or [] if g.get("type") not in
                _IGNORED_TYPES]
        available.update(lods)
        if not lods:
            continue
        if lod is None:
            best[oid] = max(lods, key=_lod_value)
        elif lod in lods:
            best[oid] = lod
    if not available:
        raise MeshError(f"{p.name}: no CityObject has surface geometry (an empty scene)")
    if not best:
        raise MeshError(f"{p.name}: no geometry at LoD {lod}; the file has LoD "
                        f"{', '.join(sorted(available, key=_lod_value))}")
    if lod is None:
        for oid in list(best):
            kids = [best[c] for c in objects[oid].get("children") or [] if c in best]
            if kids and max(_lod_value(k) for k in kids) > _lod_value(best[oid]):
                del best[oid]
    chosen = []
    for oid, want in best.items():
        obj = objects[oid]
        for g in obj.get("geometry") or []:
            if g.get("type") not in _IGNORED_TYPES and geom_lod(g) == want:
                chosen.append((oid, str(obj.get("type", "CityObject")), g, want))
    return chosen, tuple(sorted(available, key=_lod_value))


def read_cityjson(path, *, lod=None, group_by: str = "material") -> CityJSONMesh:
    """Read the triangles of a CityJSON file (see :func:`load_cityjson`)."""
    p = Path(path)
    if group_by not in ("material", "object"):
        raise ParameterError(f"group_by: expected 'material' or 'object', got {group_by!r}")
    data, version = _load_json(p)
    vertices = _world_vertices(p, data, version)
    want = None if lod is None else lod_key(lod)
    chosen, available = _chosen_geometries(p, data, want)
    col = _Collector(p.name)
    n_total = len(vertices)
    extra = []
    lods: dict[str, int] = {}
    for oid, otype, g, glod in chosen:
        lods[glod] = lods.get(glod, 0) + 1
        try:
            if g.get("type") == "GeometryInstance":
                tpl, world = _instance(p, data, g, vertices, oid)
                extra.append(world)
                _walk(tpl, otype, oid, group_by, col, world, n_total)
                n_total += len(world)
            else:
                _walk(g, otype, oid, group_by, col, vertices, 0)
        except MeshError:
            raise
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise MeshError(f"{p.name}: CityObject {oid!r} has malformed {g.get('type')} "
                            f"boundaries (expected nested lists of vertex indices: {exc})") \
                from None
    if col.n_polygons_dropped:
        log.info("%s: %d polygons without area were skipped", p.name, col.n_polygons_dropped)
    all_vertices = np.vstack([vertices, *extra]) if extra else vertices
    tri = np.asarray(col.tri, dtype=np.int64).reshape(-1, 3)
    faces = np.vstack([tri, *col.poly_faces]) if col.poly_faces else tri
    label = np.asarray(col.tri_label + col.poly_label, dtype=np.int64)
    by_label = sorted(col.labels.items(), key=lambda kv: kv[1])
    group_names = np.asarray([g for (g, _), _ in by_label], dtype=object)
    object_names = np.asarray([o for (_, o), _ in by_label], dtype=object)
    return CityJSONMesh(all_vertices, faces, group_names[label], object_names[label],
                        _epsg_of(data, p.name), lods, available, version)


def load_cityjson(path, *, lod=None, origin=None, group_by: str = "material",
                  materials: Mapping[str, Material] | None = None,
                  epsg: int | None = None) -> Scene:
    """Read a CityJSON city model (1.0, 1.1, 2.0) into a scene.

    Parameters
    ----------
    path : str or path-like
        A ``.json`` / ``.city.json`` file.
    lod : str or float, optional
        Level of detail to read (``"2.2"``, ``2``, ``1.3``...). Default: each CityObject's
        highest; a parent whose only geometry is coarser than its children's (a 3D BAG
        Building's LoD 0 footprint over its BuildingParts' solids) is left out.
    origin : (3,) float, optional
        Local origin [m]; default the floor of the bounding-box minimum in x and y, 0 in z.
    group_by : {"material", "object"}
        ``"material"``: the CityObject type, with the semantic surface type where the file has
        semantics (``"Building/RoofSurface"``, ``"Road"``, ``"PlantCover"``); ``"object"``: the
        CityObject id.
    materials : mapping str -> Material, optional
        Materials by group name.
    epsg : int, optional
        Overrides the EPSG code read from ``metadata.referenceSystem``.

    Returns
    -------
    Scene

    Raises
    ------
    MeshError
        Missing or unreadable file, not CityJSON, an unsupported version, a malformed member
        (named by its JSON path), no geometry at the requested LoD, vertex indices out of
        range; the message names the file.

    Notes
    -----
    Vertices are ``stored * transform.scale + transform.translate`` in float64. CityJSON 1.1
    and 2.0 require ``transform``; a file of those versions without one is read with its
    vertices as coordinates in metres, unscaled, and a :class:`~cpted_sim.errors.CptedWarning`
    that gives the extent (integer millimetres would make the scene 1000 times too large).
    The structure is type-checked before it is read (``_cityjson_check``): a malformed
    member is a ``MeshError`` naming its JSON path; 2-D vertices and fractional vertex indices
    are errors. Solid,
    MultiSolid, CompositeSolid, MultiSurface and CompositeSurface boundaries are read, and
    GeometryInstances (templates); points and lines are ignored. Polygons are triangulated
    with ``mapbox_earcut`` when installed (``pip install cpted_sim[cityjson]``), otherwise by
    ear clipping with hole bridging.
    """
    from .mesh import _build, _check_path

    p = _check_path(path)
    mesh = read_cityjson(p, lod=lod, group_by=group_by)
    code = epsg if epsg is not None else mesh.epsg
    return _build(p, mesh.vertices, mesh.faces, mesh.groups, origin, materials, code)
