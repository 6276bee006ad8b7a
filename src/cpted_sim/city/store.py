"""Geometry tiles on disk: a city's triangles cut into plan cells, read back by box (layer L6).

A store is a folder with ``index.json`` (origin, EPSG code, materials, one entry per file
with the plan bounds of its triangles) and ``g_<k>.npz`` files (vertices relative to the
city origin, faces, group names). A tile's computation reads only the files whose bounds
overlap its halo box, and keeps only the triangles whose bounding box overlaps it, so a
process never holds the whole town.

Vertices are stored *relative to the origin* (not in world coordinates), so a scene rebuilt
from a store has bit-for-bit the same local vertices as the scene it was written from.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..geometry.scene import Material, Scene

__all__ = ["write_store", "store_index", "read_box", "box_scene"]

INDEX = "index.json"


def _atomic_json(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _atomic_npz(path: Path, **arrays) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def write_store(folder, pieces, *, origin, epsg=None, materials=None, cell: float = 250.0,
                meta: dict | None = None) -> Path:
    """Write triangles as plan-cell files.

    Parameters
    ----------
    folder : path-like
        The store folder (created).
    pieces : iterable of (local (v, 3) float, faces (n, 3) int, groups (n,) str)
        Triangles with vertices relative to ``origin`` [m]; each piece is cut into cells of
        ``cell`` metres by triangle centroid.
    origin : (3,) float
        World coordinates of the local origin [m].
    epsg : int, optional
    materials : mapping str -> Material, optional
    cell : float
        Plan cell size [m].
    meta : dict, optional
        Further JSON entries of the index (e.g. the hash of the scene it was written from).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    k = 0
    for local, faces, groups in pieces:
        local = np.ascontiguousarray(local, dtype=np.float64)
        faces = np.asarray(faces, dtype=np.int64)
        groups = np.asarray(groups).astype(str)
        cen = local[faces].mean(axis=1)[:, :2]
        key = np.floor(cen / cell).astype(np.int64)
        _, cell_of = np.unique(key, axis=0, return_inverse=True)
        cell_of = cell_of.ravel()
        for c in range(int(cell_of.max()) + 1 if cell_of.size else 0):
            sel = np.flatnonzero(cell_of == c)
            f = faces[sel]
            used, inv = np.unique(f.ravel(), return_inverse=True)
            v = local[used]
            tri = v[inv.reshape(-1, 3)]
            name = f"g_{k:05d}.npz"
            _atomic_npz(folder / name, vertices=v, faces=inv.reshape(-1, 3).astype(np.int64),
                        groups=groups[sel])
            lo = tri.min(axis=(0, 1))
            hi = tri.max(axis=(0, 1))
            entries.append({"file": name, "n_faces": int(sel.size),
                            "bounds": [float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])]})
            k += 1
    mats = {g: {"reflectance": mt.reflectance, "light_transmittance": mt.light_transmittance,
                "sight_transmittance": mt.sight_transmittance, "tags": list(mt.tags)}
            for g, mt in (materials or {}).items()}
    _atomic_json(folder / INDEX, {"origin": [float(x) for x in origin], "epsg": epsg,
                                  "materials": mats, "files": entries, **(meta or {})})
    return folder


def store_index(folder) -> dict:
    """The parsed ``index.json`` of a store (bounds are local [m], relative to the origin)."""
    path = Path(folder) / INDEX
    if not path.is_file():
        raise ParameterError(f"{path}: no geometry store index (write one with write_store)")
    return json.loads(path.read_text(encoding="utf-8"))


def read_box(folder, box, index: dict | None = None):
    """The triangles whose plan bounding box overlaps ``box`` (local [m]: xmin, ymin, xmax, ymax).

    Returns
    -------
    local : (v, 3) float
    faces : (n, 3) int64
    groups : (n,) str
    """
    folder = Path(folder)
    index = store_index(folder) if index is None else index
    x0, y0, x1, y1 = box
    vs, fs, gs = [], [], []
    base = 0
    for e in index["files"]:
        b = e["bounds"]
        if b[2] < x0 or b[0] > x1 or b[3] < y0 or b[1] > y1:
            continue
        with np.load(folder / e["file"]) as z:
            v, f, g = z["vertices"], z["faces"], z["groups"]
        if b[0] >= x0 and b[2] <= x1 and b[1] >= y0 and b[3] <= y1:   # the whole file
            vs.append(v)
            fs.append(f + base)
            gs.append(g)
            base += v.shape[0]
            continue
        tri = v[f]
        lo = tri[:, :, :2].min(axis=1)
        hi = tri[:, :, :2].max(axis=1)
        keep = (hi[:, 0] >= x0) & (lo[:, 0] <= x1) & (hi[:, 1] >= y0) & (lo[:, 1] <= y1)
        if not keep.any():
            continue
        vs.append(v)
        fs.append(f[keep] + base)
        gs.append(g[keep])
        base += v.shape[0]
    if not fs:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=str)
    return np.vstack(vs), np.vstack(fs), np.concatenate(gs)


def box_scene(folder, box, index: dict | None = None, name: str = "tile",
              cache=None) -> Scene | None:
    """A :class:`Scene` of the triangles overlapping ``box`` (None when there are none), from a
    geometry store or a CityJSON tile set (:mod:`cpted_sim.city.tileset`: the city objects
    overlapping ``box``).

    The scene keeps the store's origin and its local vertices exactly, and the whole set's
    ray offset when the index gives one (``ray_offset``). ``cache``: a folder where a tile set's
    parsed files are kept for the next tile.
    """
    index = store_index(folder) if index is None else index
    if index.get("kind") == "cityjson":      # a CityJSON tile set (cpted_sim.city.tileset)
        from .tileset import read_tileset_box

        local, faces, groups = read_tileset_box(folder, box, index, cache)
        present = set(groups)
    else:
        local, faces, groups = read_box(folder, box, index)
        present = set(np.unique(groups).tolist())
    if faces.shape[0] == 0:
        return None
    mats = {g: Material(d["reflectance"], d["light_transmittance"], d["sight_transmittance"],
                        tuple(d["tags"])) for g, d in index["materials"].items()}
    scene = Scene.from_arrays(local, faces, groups, origin=(0.0, 0.0, 0.0),
                              materials={g: mt for g, mt in mats.items() if g in present},
                              epsg=index["epsg"], name=name)
    scene = replace(scene, origin=np.array(index["origin"], dtype=np.float64))
    if index.get("ray_offset") is not None:
        # Rays leave surfaces by the whole town's offset, not the tile's own (1e-6 of the
        # scene's extent): a tile's rays then meet exactly what the uncut town's meet.
        # ``Scene.ray_offset`` is a cached property: its cache is this instance's __dict__.
        scene.__dict__["ray_offset"] = float(index["ray_offset"])
    return scene
