"""Type checks of a parsed CityJSON document, before the reader walks it.

The reader (:mod:`.cityjson`) then trusts the structure: every error here is a
:class:`~cpted_sim.errors.MeshError` naming the file and the JSON path of the first wrong
member (``CityObjects["b1"].geometry[0].boundaries[0][2][1]``), what was expected and what
was found. Checked: the members the reader uses (``CityObjects``, each object's ``type``,
``geometry``, ``children``; each geometry's ``type``, ``lod``, ``boundaries`` nesting and
integer vertex indices, ``semantics``; ``vertices``, ``transform``, ``geometry-templates``,
``metadata``). Vertex indices are checked to be integers here, their range by the reader.

References: CityJSON specifications 1.0.2, 1.1.3 and 2.0.1, https://www.cityjson.org/specs/
(section "Geometry Objects": the depth of ``boundaries`` per geometry type).
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..errors import MeshError

__all__ = ["check_document", "vertex_array", "BOUNDARY_DEPTH"]

#: Nesting of ``boundaries`` down to the vertex indices, per geometry type.
BOUNDARY_DEPTH = {
    "MultiPoint": 1, "MultiLineString": 2, "MultiSurface": 3, "CompositeSurface": 3,
    "Solid": 4, "MultiSolid": 5, "CompositeSolid": 5,
}
_NESTING = {1: "vertex indices", 2: "lines of vertex indices",
            3: "surfaces, each a list of rings of vertex indices",
            4: "shells of surfaces of rings of vertex indices",
            5: "solids of shells of surfaces of rings of vertex indices"}


def _key(k) -> str:
    return json.dumps(k, ensure_ascii=False)[:60]


def _found(value) -> str:
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    if value is None:
        return "null"
    return f"{type(value).__name__} {json.dumps(value, ensure_ascii=False)[:40]}"


def _is_int(v) -> bool:
    return type(v) is int  # not bool, not float: 1.5 and true are not vertex indices


def _is_number(v) -> bool:
    return type(v) in (int, float)


def vertex_array(name: str, value, where: str, *, finite: bool = True) -> np.ndarray:
    """``value`` (a JSON array of ``[x, y, z]`` numbers) as an (n, 3) float64 array."""
    if not isinstance(value, list):
        raise MeshError(f"{name}: {where}: expected an array of [x, y, z] numbers, found "
                        f"{_found(value)}")
    if not value:
        return np.empty((0, 3))
    try:
        arr = np.asarray(value)
        ok = arr.ndim == 2 and arr.shape[1] == 3 and arr.dtype.kind in "iuf"
    except (ValueError, TypeError, OverflowError):
        ok = False
    if not ok:  # find the first bad vertex, for the message
        for i, vtx in enumerate(value):
            if not isinstance(vtx, list) or len(vtx) != 3:
                n = f"{len(vtx)} coordinates" if isinstance(vtx, list) else _found(vtx)
                raise MeshError(f"{name}: {where}[{i}]: expected [x, y, z] (3 numbers), found "
                                f"{n}")
            for j, c in enumerate(vtx):
                if not _is_number(c):
                    raise MeshError(f"{name}: {where}[{i}][{j}]: expected a number, found "
                                    f"{_found(c)}")
        raise MeshError(f"{name}: {where}: expected an array of [x, y, z] numbers")
    arr = arr.astype(np.float64)
    if finite and not np.all(np.isfinite(arr)):
        i = int(np.argmax(~np.isfinite(arr).all(axis=1)))
        raise MeshError(f"{name}: {where}[{i}]: coordinates must be finite numbers, found "
                        f"{arr[i].tolist()}")
    return arr


def _numbers(name: str, value, where: str, n: int) -> list[float]:
    if (not isinstance(value, list) or len(value) != n
            or not all(_is_number(c) and math.isfinite(c) for c in value)):
        raise MeshError(f"{name}: {where}: expected {n} finite numbers, found {_found(value)}"
                        + (f" of length {len(value)}" if isinstance(value, list) else ""))
    return [float(c) for c in value]


def _obj(name: str, value, where: str, *, optional: bool = True) -> dict:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise MeshError(f"{name}: {where}: expected a JSON object, found {_found(value)}")
    return value


def _nested_ok(node, depth: int) -> bool:
    """Whether ``node`` is nested lists ``depth`` deep with integer leaves (fast, no paths)."""
    if type(node) is not list:
        return False
    if depth == 1:
        return all(type(i) is int for i in node)
    return all(_nested_ok(child, depth - 1) for child in node)


def _boundaries(name: str, value, depth: int, where: str, label: str, gtype: str) -> None:
    """Nested lists ``depth`` deep with integer leaves; raise naming the first bad member."""
    if _nested_ok(value, depth):
        return
    stack = [(value, depth, where)]
    while stack:
        node, d, path = stack.pop()
        if not isinstance(node, list):
            raise MeshError(f"{name}: {label} has malformed {gtype} boundaries at {path}: "
                            f"expected a list of {_NESTING[d]}, found {_found(node)}")
        if d == 1:
            if not all(_is_int(i) for i in node):
                k = next(k for k, i in enumerate(node) if not _is_int(i))
                raise MeshError(f"{name}: {label} has malformed {gtype} boundaries at "
                                f"{path}[{k}]: expected an integer vertex index, found "
                                f"{_found(node[k])}")
            continue
        stack.extend((node[k], d - 1, f"{path}[{k}]") for k in range(len(node) - 1, -1, -1))


def _semantics(name: str, geom: dict, where: str) -> None:
    sem = geom.get("semantics")
    if sem is None:
        return
    sem = _obj(name, sem, f"{where}.semantics")
    surfaces = sem.get("surfaces", [])
    if not isinstance(surfaces, list):
        raise MeshError(f"{name}: {where}.semantics.surfaces: expected an array, found "
                        f"{_found(surfaces)}")
    for k, s in enumerate(surfaces):
        if not isinstance(s, dict) or not isinstance(s.get("type", ""), str):
            raise MeshError(f"{name}: {where}.semantics.surfaces[{k}]: expected an object with "
                            f"a string \"type\", found {_found(s)}")
    values = sem.get("values")
    if values is not None and not isinstance(values, list):
        raise MeshError(f"{name}: {where}.semantics.values: expected an array or null, found "
                        f"{_found(values)}")


def _geometry(name: str, geom, where: str, label: str, n_templates: int | None) -> None:
    if not isinstance(geom, dict):
        raise MeshError(f"{name}: {where}: expected a geometry object, found {_found(geom)}")
    gtype = geom.get("type")
    if not isinstance(gtype, str):
        raise MeshError(f"{name}: {where}.type: expected a geometry type string, found "
                        f"{_found(gtype)}")
    lod = geom.get("lod")
    if lod is not None and not (isinstance(lod, str) or _is_number(lod)):
        raise MeshError(f"{name}: {where}.lod: expected a string such as \"2.2\", found "
                        f"{_found(lod)}")
    if gtype == "GeometryInstance" and n_templates is not None:
        tpl = geom.get("template")
        if not _is_int(tpl) or not 0 <= tpl < n_templates:
            raise MeshError(f"{name}: {where}.template: expected the index of one of the "
                            f"{n_templates} geometry templates, found {_found(tpl)}")
        b = geom.get("boundaries")
        if not isinstance(b, list) or len(b) != 1 or not _is_int(b[0]):
            raise MeshError(f"{name}: {where}.boundaries: expected [one vertex index] (the "
                            f"reference point), found {_found(b)}")
        if "transformationMatrix" in geom:
            _numbers(name, geom["transformationMatrix"], f"{where}.transformationMatrix", 16)
        return
    if gtype == "GeometryInstance":
        raise MeshError(f"{name}: {where}: a geometry template cannot be a GeometryInstance")
    if gtype not in BOUNDARY_DEPTH:
        raise MeshError(f"{name}: {label} has geometry type {gtype[:40]!r} at {where}; expected "
                        "MultiSurface, CompositeSurface, Solid, MultiSolid or CompositeSolid")
    if BOUNDARY_DEPTH[gtype] <= 2:
        return  # points and lines are not read
    _boundaries(name, geom.get("boundaries"), BOUNDARY_DEPTH[gtype], f"{where}.boundaries",
                label, gtype)
    _semantics(name, geom, where)


def check_document(name: str, data: dict) -> None:
    """Raise :class:`MeshError` at the first member of ``data`` the reader cannot use.

    Parameters
    ----------
    name : str
        The file's name, for messages.
    data : dict
        The parsed document (its ``type``, ``version`` and required members already checked).
    """
    _obj(name, data.get("metadata"), "metadata")
    tr = data.get("transform")
    if tr is not None:
        tr = _obj(name, tr, "transform", optional=False)
        _numbers(name, tr.get("scale"), "transform.scale", 3)
        _numbers(name, tr.get("translate"), "transform.translate", 3)
    templates = data.get("geometry-templates")
    n_templates = 0
    if templates is not None:
        templates = _obj(name, templates, "geometry-templates", optional=False)
        tlist = templates.get("templates")
        if not isinstance(tlist, list):
            raise MeshError(f"{name}: geometry-templates.templates: expected an array, found "
                            f"{_found(tlist)}")
        vertex_array(name, templates.get("vertices-templates"),
                     "geometry-templates.vertices-templates")
        for k, t in enumerate(tlist):
            _geometry(name, t, f"geometry-templates.templates[{k}]", f"template {k}", None)
        n_templates = len(tlist)
    objects = data["CityObjects"]
    if not isinstance(objects, dict):
        raise MeshError(f"{name}: CityObjects: expected an object keyed by id, found "
                        f"{_found(objects)}")
    for oid, obj in objects.items():
        where = f"CityObjects[{_key(oid)}]"
        if not isinstance(obj, dict):
            raise MeshError(f"{name}: {where}: expected a CityObject, found {_found(obj)}")
        otype = obj.get("type", "CityObject")
        if not isinstance(otype, str):
            raise MeshError(f"{name}: {where}.type: expected a string, found {_found(otype)}")
        for member in ("children", "parents"):
            ids = obj.get(member)
            if ids is not None and (not isinstance(ids, list)
                                    or not all(isinstance(c, str) for c in ids)):
                raise MeshError(f"{name}: {where}.{member}: expected an array of CityObject "
                                f"ids (strings), found {_found(ids)}")
        geoms = obj.get("geometry")
        if geoms is None:
            continue
        if not isinstance(geoms, list):
            raise MeshError(f"{name}: {where}.geometry: expected an array of geometries, found "
                            f"{_found(geoms)}")
        for k, g in enumerate(geoms):
            _geometry(name, g, f"{where}.geometry[{k}]", f"CityObject {oid!r}", n_templates)
