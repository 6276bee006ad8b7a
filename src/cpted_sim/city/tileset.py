"""CityJSON tile sets: a town's geometry as CityJSON files, indexed by plan bounds, read by box
(layer L6).

A tile set is a folder of CityJSON files (``*.city.json`` or ``*.json``): a real 3D BAG tile
set, or the synthetic town's tiles (:func:`write_cityjson_tiles`). Its ``index.json`` (the
shape of a geometry store's, :mod:`cpted_sim.city.store`, with ``"kind": "cityjson"``) gives
each file's plan bounds relative to the tile set's origin and its triangle count. A tile's
computation reads only the files whose bounds overlap its halo box (with the CityJSON reader
of :func:`cpted_sim.load_city_model`), and keeps the city objects whose plan bounding box
overlaps it: a process never holds the whole town, and the driver never reads it at once
(:func:`index_tileset` reads one file at a time).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..errors import ParameterError

__all__ = ["write_cityjson_tiles", "index_tileset", "read_tileset_box", "KIND",
           "TILESET_SUFFIXES"]

INDEX = "index.json"
#: The ``kind`` of a tile set's index.
KIND = "cityjson"
#: File names a tile set folder's CityJSON files end with.
TILESET_SUFFIXES = (".city.json", ".json")
#: Vertex resolution of the files written [m] (CityJSON ``transform.scale``).
SCALE = 0.001


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _crs_uri(epsg) -> dict:
    if epsg is None:
        return {}
    return {"referenceSystem": f"https://www.opengis.net/def/crs/EPSG/0/{int(epsg)}"}


def write_cityjson_tiles(folder, pieces, *, origin, types: dict, epsg=None, materials=None,
                         cell: float = 125.0, object_cell: float = 25.0) -> Path:
    """Write triangles as CityJSON 2.0 files of ``cell`` metres, one city object per group and
    ``object_cell`` plan cell, and the tile set's ``index.json``.

    Parameters
    ----------
    folder : path-like
        The tile set folder (created).
    pieces : iterable of (local (v, 3) float, faces (n, 3) int, groups (n,) str)
        Triangles with vertices relative to ``origin`` [m]; each piece is cut into files by
        triangle centroid.
    origin : (3,) float
        World coordinates of the local origin [m].
    types : mapping str -> (str, str or None)
        For every group, its CityObject type and semantic surface type (None: no semantics):
        read back, the group is ``"Type/Surface"`` (or ``"Type"``), the CityJSON reader's name.
    epsg : int, optional
    materials : mapping str -> Material, optional
        Materials by group (written into the index under the groups' read-back names).
    cell, object_cell : float
        File and city-object plan cells [m].

    Returns
    -------
    pathlib.Path
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    origin = np.asarray(origin, dtype=np.float64)
    read_name = {g: t if s is None else f"{t}/{s}" for g, (t, s) in types.items()}
    entries = []
    k = 0
    lo_all, hi_all = np.full(3, np.inf), np.full(3, -np.inf)
    for local, faces, groups in pieces:
        local = np.asarray(local, dtype=np.float64)
        faces = np.asarray(faces, dtype=np.int64)
        groups = np.asarray(groups).astype(str)
        missing = sorted(set(groups.tolist()) - set(types))
        if missing:
            raise ParameterError(f"write_cityjson_tiles: groups {missing} have no CityObject "
                                 "type in types")
        cen = local[faces].mean(axis=1)[:, :2]
        _, file_of = np.unique(np.floor(cen / cell).astype(np.int64), axis=0,
                               return_inverse=True)
        file_of = file_of.ravel()
        obj_key = np.floor(cen / object_cell).astype(np.int64)
        for c in range(int(file_of.max()) + 1 if file_of.size else 0):
            sel = np.flatnonzero(file_of == c)
            used, inv = np.unique(faces[sel].ravel(), return_inverse=True)
            world = local[used] + origin
            lo, hi = world.min(axis=0), world.max(axis=0)
            translate = np.floor(lo)
            ints = np.rint((world - translate) / SCALE).astype(np.int64)
            back = ints * SCALE + translate                   # what a reader gets
            lo_all, hi_all = np.minimum(lo_all, back.min(axis=0)), np.maximum(hi_all,
                                                                              back.max(axis=0))
            f = inv.reshape(-1, 3)
            objects = {}
            keys = np.column_stack([obj_key[sel], np.unique(groups[sel], return_inverse=True)[1]
                                    .ravel()])
            _, obj_of = np.unique(keys, axis=0, return_inverse=True)
            obj_of = obj_of.ravel()
            order = np.argsort(obj_of, kind="stable")
            starts = np.flatnonzero(np.r_[True, np.diff(obj_of[order]) != 0])
            for a, b in zip(starts, np.r_[starts[1:], order.size]):
                rows = order[a:b]
                g = groups[sel[rows[0]]]
                otype, sem = types[g]
                geom = {"type": "MultiSurface", "lod": "2.2",
                        "boundaries": f[rows].reshape(-1, 1, 3).tolist()}
                if sem is not None:
                    geom["semantics"] = {"surfaces": [{"type": sem}], "values": [0] * len(rows)}
                ox, oy = obj_key[sel[rows[0]]]
                objects[f"t{k}-{g}-{ox}-{oy}"] = {"type": otype, "geometry": [geom]}
            doc = {"type": "CityJSON", "version": "2.0",
                   "transform": {"scale": [SCALE] * 3, "translate": translate.tolist()},
                   "metadata": {**_crs_uri(epsg), "geographicalExtent": [*lo, *hi]},
                   "CityObjects": objects, "vertices": ints.tolist()}
            name = f"t_{k:05d}.city.json"
            _atomic_text(folder / name, json.dumps(doc, separators=(",", ":")))
            entries.append(_entry(name, len(sel), lo - origin, hi - origin))
            k += 1
    mats = {read_name[g]: {"reflectance": mt.reflectance,
                           "light_transmittance": mt.light_transmittance,
                           "sight_transmittance": mt.sight_transmittance,
                           "tags": list(mt.tags)}
            for g, mt in (materials or {}).items() if g in read_name}
    _write_index(folder, origin, epsg, mats, entries, lod=None,
                 extra={"ray_offset": _ray_offset(lo_all, hi_all)})
    return folder


def _ray_offset(lo, hi) -> float:
    """:attr:`cpted_sim.Scene.ray_offset` of the whole set (1e-6 of its extent, >= 1e-6 m)."""
    return max(1e-6 * float(np.max(np.asarray(hi) - np.asarray(lo))), 1e-6)


def _entry(name: str, n_faces: int, lo, hi) -> dict:
    return {"file": name, "n_faces": int(n_faces),
            "bounds": [float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])]}


def _write_index(folder: Path, origin, epsg, materials: dict, entries: list, lod,
                 extra: dict | None = None) -> None:
    _atomic_text(folder / INDEX, json.dumps(
        {"kind": KIND, "origin": [float(x) for x in origin], "epsg": epsg, "lod": lod,
         "materials": materials, "files": entries, **(extra or {})}, indent=1))


def tileset_files(folder) -> list[Path]:
    """The CityJSON files of a tile set folder, sorted by name (its ``index.json`` left out)."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != INDEX
                   and not p.name.startswith(".") and p.name.endswith(TILESET_SUFFIXES))
    if not files:
        raise ParameterError(f"{folder}: no CityJSON files (*.city.json, *.json) here")
    return files


def _read(path: Path, lod):
    """(world vertices, faces, groups, objects) of one file, with the city-model reader's LoD
    choice (each object's finest, or ``lod`` with the finest as fall-back)."""
    from ..io.citymodel import _read_file
    from ..io.cityjson import lod_key

    mesh, _ = _read_file(path, None if lod is None else lod_key(lod), "material", {})
    return (np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64),
            np.asarray(mesh.groups).astype(str), np.asarray(mesh.objects).astype(str), mesh.epsg)


def index_tileset(folder, out, *, lod=None, epsg=None, materials=None) -> Path:
    """Index a folder of CityJSON files (a 3D BAG tile set) into ``out/index.json``.

    The files are read one at a time (the driver holds at most one), their plan bounds and
    triangle counts noted. The origin is the floor of the smallest x and y, 0 in z, as
    :func:`cpted_sim.load_city_model` places it. An index already in ``out`` for the same
    files (names, sizes, modification times) and settings is kept.

    Parameters
    ----------
    folder : path-like
        The tile set.
    out : path-like
        Folder of the index (created).
    lod : str, optional
        Level of detail (default each object's finest).
    epsg : int, optional
        Overrides the files' reference system.
    materials : mapping str -> Material, optional
        Materials by group name (``"Building/RoofSurface"``...).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    from ..io.citymodel import _common_epsg

    files = tileset_files(folder)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    mats = {g: {"reflectance": mt.reflectance, "light_transmittance": mt.light_transmittance,
                "sight_transmittance": mt.sight_transmittance, "tags": list(mt.tags)}
            for g, mt in (materials or {}).items()}
    want = {"stamp": stamp, "epsg_override": epsg}
    if (out / INDEX).is_file():
        old = json.loads((out / INDEX).read_text(encoding="utf-8"))
        if all(old.get(k) == v for k, v in {**want, "lod": lod, "materials": mats}.items()):
            return out
    entries, codes = [], []
    lo_all, hi_all = np.full(3, np.inf), np.full(3, -np.inf)
    for p in files:
        v, f, _, _, code = _read(p, lod)
        codes.append(code)
        tri = v[f] if f.size else np.zeros((0, 3, 3))
        lo = tri.min(axis=(0, 1)) if f.size else np.full(3, np.inf)
        hi = tri.max(axis=(0, 1)) if f.size else np.full(3, -np.inf)
        lo_all, hi_all = np.minimum(lo_all, lo), np.maximum(hi_all, hi)
        entries.append((str(p.resolve()), f.shape[0], lo[:2], hi[:2]))
    if not np.all(np.isfinite(lo_all)):
        raise ParameterError(f"{folder}: the CityJSON files hold no surface geometry")
    code = _common_epsg([p.name for p in files], codes, epsg)
    origin = np.array([np.floor(lo_all[0]), np.floor(lo_all[1]), 0.0])
    rows = [_entry(name, n, lo - origin[:2], hi - origin[:2]) for name, n, lo, hi in entries
            if n]
    _write_index(out, origin, code, mats, rows, lod,
                 extra={**want, "ray_offset": _ray_offset(lo_all, hi_all)})
    return out


def _read_cached(path: Path, lod, cache):
    """(world vertices, faces, group names, group code per face, object names, object code per
    face) of one file; with a ``cache`` folder the parsed file is kept there as ``.npz`` (keyed
    by path, size, modification time and LoD) so that the tiles sharing a file parse it once."""
    c = None
    if cache is not None:
        st = path.stat()
        key = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{lod}".encode())
        c = Path(cache) / f"{key.hexdigest()[:24]}.npz"
        if c.is_file():
            with np.load(c) as z:
                return (z["vertices"], z["faces"], z["group_names"], z["group"],
                        z["object_names"], z["object"])
    v, f, g, obj, _ = _read(path, lod)
    gn, gi = np.unique(g, return_inverse=True)
    on, oi = np.unique(obj, return_inverse=True)
    out = (v, f, gn, gi.ravel().astype(np.int32), on, oi.ravel().astype(np.int32))
    if c is not None:
        c.parent.mkdir(parents=True, exist_ok=True)
        tmp = c.with_name(f".{c.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, vertices=out[0], faces=out[1], group_names=out[2], group=out[3],
                 object_names=out[4], object=out[5])
        os.replace(tmp, c)
    return out


def read_tileset_box(folder, box, index: dict, cache=None):
    """The triangles of the city objects whose plan bounding box overlaps ``box`` (local [m]).

    An object found in several files (3D BAG repeats objects on tile borders) is taken from
    the first file, in the index's order.

    Parameters
    ----------
    folder : path-like
        Folder of the index (file names in it are relative to it, or absolute).
    box : (xmin, ymin, xmax, ymax)
        Plan box relative to the index's origin [m].
    index : dict
        The tile set's ``index.json``.
    cache : path-like, optional
        Folder where parsed files are kept for the next tile (a run's own folder).

    Returns
    -------
    local : (v, 3) float
        Vertices relative to the index's origin [m].
    faces : (n, 3) int64
    groups : dict str -> (k,) int
        The faces of each group, by group name in sorted order (as
        :meth:`cpted_sim.Scene.from_arrays` takes them; no per-face strings).
    """
    folder = Path(folder)
    origin = np.asarray(index["origin"], dtype=np.float64)
    x0, y0, x1, y1 = box
    vs, fs, gs = [], [], []
    seen: set[str] = set()
    table: dict[str, int] = {}
    base = 0
    for e in index["files"]:
        b = e["bounds"]
        if b[2] < x0 or b[0] > x1 or b[3] < y0 or b[1] > y1:
            continue
        v, f, gnames, gcode, names, obj_of = _read_cached(folder / e["file"], index.get("lod"),
                                                          cache)
        if f.shape[0] == 0:
            continue
        tri = v[f][:, :, :2] - origin[:2]
        lo = np.full((names.size, 2), np.inf)
        hi = np.full((names.size, 2), -np.inf)
        np.minimum.at(lo, obj_of, tri.min(axis=1))
        np.maximum.at(hi, obj_of, tri.max(axis=1))
        keep_obj = (hi[:, 0] >= x0) & (lo[:, 0] <= x1) & (hi[:, 1] >= y0) & (lo[:, 1] <= y1)
        listed = names.tolist()
        if seen:
            keep_obj &= ~np.fromiter((n in seen for n in listed), bool, len(listed))
        seen.update(n for n, k in zip(listed, keep_obj.tolist()) if k)
        keep = keep_obj[obj_of]
        if not keep.any():
            continue
        used, inv = np.unique(f[keep].ravel(), return_inverse=True)
        vs.append(v[used] - origin)
        fs.append(inv.reshape(-1, 3) + base)
        to_table = np.array([table.setdefault(str(n), len(table)) for n in gnames.tolist()],
                            dtype=np.int32)
        gs.append(to_table[gcode[keep]])
        base += used.size
    if not fs:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), {}
    codes = np.concatenate(gs)
    groups = {name: np.flatnonzero(codes == table[name]) for name in sorted(table)}
    return np.vstack(vs), np.vstack(fs), {k: v for k, v in groups.items() if v.size}
