"""Municipal city models (CityJSON, 3D BAG tiles) into one scene: several files, one LoD,
cropped to the study area.

:func:`load_city_model` reads each file with :func:`cpted_sim.io.cityjson.read_cityjson` (so
each file's own ``transform`` is applied to its own vertices before anything is merged), checks
that all files share one coordinate reference system, keeps or drops whole CityObjects by a
bounding box or polygon plus a margin, and builds one :class:`~cpted_sim.Scene` whose local
origin is chosen over all files together.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .._files import MAX_MESH_BYTES, checked_input
from ..errors import CptedWarning, MeshError, ParameterError
from ..geometry.scene import Material, Scene
from .cityjson import lod_key, read_cityjson

__all__ = ["CityModel", "load_city_model", "read_city_model", "horizontal_epsg",
           "COMPOUND_HORIZONTAL"]

log = logging.getLogger(__name__)

#: Compound (horizontal + height) EPSG codes and their horizontal part, for when pyproj is not
#: installed: 7415 = Amersfoort / RD New + NAP height, 9286 = ETRS89 + NAP height.
COMPOUND_HORIZONTAL = {7415: 28992, 9286: 4258}


class CityModel(NamedTuple):
    """A scene read from city-model files, with the object of every face.

    Attributes
    ----------
    scene : Scene
        The triangles; groups are ``"CityObjectType/SemanticSurface"`` (``"Building"``,
        ``"Building/WallSurface"``, ``"Building/Window"``...).
    face_object : (n,) str
        CityObject id of each face of ``scene``.
    epsg : int or None
        Horizontal EPSG code of the scene (``7415`` read as ``28992``).
    source_epsg : tuple of (int or None)
        The code each file states, in file order.
    lods : dict
        LoD -> number of geometries read at it, over all files.
    available_lods : tuple of str
        Every LoD present in any file.
    n_objects : int
        CityObjects kept.
    n_dropped_by_crop : int
        CityObjects left out by the crop.
    """

    scene: Scene
    face_object: np.ndarray
    epsg: int | None
    source_epsg: tuple
    lods: dict
    available_lods: tuple
    n_objects: int
    n_dropped_by_crop: int


def horizontal_epsg(code: int | None) -> int | None:
    """The horizontal part of an EPSG code: a compound CRS (``7415``) -> its projected CRS
    (``28992``); a 2-D code is returned as it is.

    Uses pyproj when it is installed, otherwise :data:`COMPOUND_HORIZONTAL`.
    """
    if code is None:
        return None
    if code in COMPOUND_HORIZONTAL:
        return COMPOUND_HORIZONTAL[code]
    try:
        from pyproj import CRS
        from pyproj.exceptions import CRSError
    except ImportError:
        return code
    try:
        crs = CRS.from_epsg(code)
    except CRSError:
        return code
    if crs.is_compound and crs.sub_crs_list:
        h = crs.sub_crs_list[0].to_epsg()
        return int(h) if h is not None else code
    return code


# ---------------------------------------------------------------------- crop
def _crop_region(crop, margin: float):
    """('bbox', (xmin, ymin, xmax, ymax)) or ('polygon', (m, 2) array), margin checked."""
    if crop is None:
        return None
    if isinstance(crop, Mapping):
        keys = set(crop)
        if keys - {"bbox", "polygon"} or len(keys) != 1:
            raise ParameterError(f"crop: expected {{'bbox': [...]}} or {{'polygon': [...]}}, "
                                 f"got keys {sorted(keys)}")
        kind, value = next(iter(crop.items()))
    else:
        arr = np.asarray(crop, dtype=np.float64) if not hasattr(crop, "exterior") else None
        if arr is None:  # a shapely polygon
            kind, value = "polygon", np.asarray(crop.exterior.coords)[:, :2]
        elif arr.shape == (4,):
            kind, value = "bbox", arr
        else:
            kind, value = "polygon", arr
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"crop.{kind}: expected numbers, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"crop.{kind}: has NaN or infinite coordinates")
    if kind == "bbox":
        if arr.shape != (4,) or not (arr[2] > arr[0] and arr[3] > arr[1]):
            raise ParameterError(f"crop.bbox: expected [xmin, ymin, xmax, ymax] with max > min, "
                                 f"got {arr.tolist()}")
        return "bbox", arr + np.array([-margin, -margin, margin, margin])
    if arr.ndim != 2 or arr.shape[1] < 2 or arr.shape[0] < 3:
        raise ParameterError(f"crop.polygon: expected at least 3 points [[x, y], ...], got shape "
                             f"{arr.shape}")
    return "polygon", arr[:, :2]


def _triangles_in_bbox(tri_xy: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(n,) bool: each 2-D triangle (n, 3, 2) overlaps the box (separating-axis test)."""
    lo = tri_xy.min(axis=1)
    hi = tri_xy.max(axis=1)
    hit = (hi[:, 0] >= box[0]) & (lo[:, 0] <= box[2]) & (hi[:, 1] >= box[1]) & (lo[:, 1] <= box[3])
    corners = np.array([[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]])
    for k in range(3):
        a = tri_xy[:, k]
        b = tri_xy[:, (k + 1) % 3]
        c = tri_xy[:, (k + 2) % 3]
        n = np.column_stack([-(b[:, 1] - a[:, 1]), b[:, 0] - a[:, 0]])
        side_c = np.einsum("ij,ij->i", n, c - a)
        proj = np.einsum("ij,ikj->ik", n, corners[None, :, :] - a[:, None, :])
        # the box lies wholly beyond this edge, on the side away from the third corner; for a
        # flat triangle (a vertical wall seen from above) on either side of its line
        below, above = (proj < 0).all(axis=1), (proj > 0).all(axis=1)
        away = np.where(side_c > 0, below, np.where(side_c < 0, above, below | above))
        hit &= ~away
    return hit


def _triangles_near_polygon(tri_xy: np.ndarray, poly: np.ndarray, margin: float) -> np.ndarray:
    try:
        import shapely
    except ImportError:
        raise ParameterError("crop.polygon needs shapely: pip install cpted_sim[gis] "
                             "(or crop with a bbox)") from None
    region = shapely.Polygon(poly)
    if not region.is_valid:
        region = shapely.make_valid(region)
    if margin > 0:
        region = region.buffer(margin)
    shapely.prepare(region)
    closed = np.concatenate([tri_xy, tri_xy[:, :1]], axis=1)
    tris = shapely.polygons(closed)  # vertical walls are zero-area rings: shapely still
    hit = shapely.intersects(region, tris)  # tests them as their outline
    return np.asarray(hit, dtype=bool)


def _objects_kept(vertices, faces, face_obj_code, n_obj, region, margin) -> np.ndarray:
    """(n_obj,) bool: objects with at least one triangle in the crop region."""
    tri_xy = vertices[faces][:, :, :2]
    if region[0] == "bbox":
        hit = _triangles_in_bbox(tri_xy, region[1])
    else:
        hit = _triangles_near_polygon(tri_xy, region[1], margin)
    return np.bincount(face_obj_code[hit], minlength=n_obj) > 0


# ---------------------------------------------------------------------- loading
def _paths(paths) -> list:
    if isinstance(paths, (str, bytes)) or not isinstance(paths, Sequence):
        paths = [paths]
    if len(paths) == 0:
        raise ParameterError("paths: expected at least one CityJSON file")
    return [checked_input(p, what="city model", error=MeshError, max_bytes=MAX_MESH_BYTES)
            for p in paths]


def _common_epsg(names, codes, epsg) -> int | None:
    horiz = [horizontal_epsg(c) for c in codes]
    known = {h for h in horiz if h is not None}
    if epsg is not None:
        want = horizontal_epsg(int(epsg))
        bad = [(n, c) for n, c, h in zip(names, codes, horiz) if h is not None and h != want]
        if bad:
            raise MeshError(f"epsg={epsg} given, but {bad[0][0]} states EPSG:{bad[0][1]}; "
                            f"reproject the file or leave epsg out")
        return want
    if len(known) > 1:
        listing = ", ".join(f"{n}: EPSG:{c}" for n, c in zip(names, codes) if c is not None)
        raise MeshError(f"the city-model files are in different coordinate reference systems "
                        f"({listing}); reproject them to one (e.g. cjio reproject)")
    unknown = [n for n, c in zip(names, codes) if c is None]
    if unknown and known:
        warnings.warn(f"{len(unknown)} city-model files state no CRS and are taken to be in "
                      f"EPSG:{next(iter(known))} like the others: {unknown[:3]}", CptedWarning,
                      stacklevel=3)
    return next(iter(known)) if known else None


def _read_file(p, want, group_by, fallback: dict):
    """One file at LoD ``want``; objects without that LoD at their finest (counted by type in
    ``fallback``). Returns (mesh, the reader's message when the file lacks ``want``)."""
    if want is None:
        return read_cityjson(p, group_by=group_by), None
    try:
        at = read_cityjson(p, lod=want, group_by=group_by)
    except MeshError as exc:
        if "no geometry at LoD" not in str(exc):
            raise
        at, miss = None, str(exc)
    else:
        miss = None
        if tuple(at.available_lods) == (want,):  # every object has only this LoD
            return at, None
    finest = read_cityjson(p, group_by=group_by)
    have = set() if at is None else set(np.asarray(at.objects).tolist())
    extra = ~np.isin(np.asarray(finest.objects, dtype=object), list(have)) if have else \
        np.ones(len(finest.objects), dtype=bool)
    if extra.any():
        first = {}
        for o, g in zip(np.asarray(finest.objects)[extra], np.asarray(finest.groups)[extra]):
            first.setdefault(o, str(g).split("/", 1)[0])
        for t in first.values():
            fallback[t] = fallback.get(t, 0) + 1
    if at is None:
        return finest, miss
    n_at = len(at.vertices)
    lods = dict(at.lods)
    return at._replace(
        vertices=np.vstack([at.vertices, finest.vertices]),
        faces=np.vstack([at.faces, finest.faces[extra] + n_at]),
        groups=np.concatenate([np.asarray(at.groups, dtype=object),
                               np.asarray(finest.groups, dtype=object)[extra]]),
        objects=np.concatenate([np.asarray(at.objects, dtype=object),
                                np.asarray(finest.objects, dtype=object)[extra]]),
        lods=lods), None


def read_city_model(paths, *, lod=None, crop=None, margin: float = 0.0, origin=None,
                    group_by: str = "material", materials: Mapping[str, Material] | None = None,
                    epsg: int | None = None, name: str | None = None) -> CityModel:
    """Read CityJSON / 3D BAG files into one scene, keeping each face's CityObject id.

    Parameters are those of :func:`load_city_model`.

    Returns
    -------
    CityModel
    """
    files = _paths(paths)
    margin = float(margin)
    if not np.isfinite(margin) or margin < 0:
        raise ParameterError(f"margin: expected a distance >= 0 [m], got {margin}")
    region = _crop_region(crop, margin)
    want = None if lod is None else lod_key(lod)
    meshes, missing, fallback = [], [], {}
    for p in files:
        mesh, miss = _read_file(p, want, group_by, fallback)
        meshes.append((p, mesh))
        if miss:
            missing.append(miss)
    if want is not None and len(missing) == len(files):
        raise MeshError(f"no file has geometry at LoD {want}: " + "; ".join(missing))
    if fallback:
        shown = ", ".join(f"{n} {t}" for t, n in sorted(fallback.items()))
        msg = (f"LoD {want}: {sum(fallback.values())} CityObjects have no geometry at LoD "
               f"{want} and are kept at their finest LoD ({shown})")
        if any(t.startswith("Building") for t in fallback):
            warnings.warn(msg, CptedWarning, stacklevel=2)
        else:  # terrain, roads, water: 3D BAG's LoDs are building LoDs
            log.info(msg)
    names = [p.name for p, _ in meshes]
    codes = [mesh.epsg for _, mesh in meshes]
    scene_epsg = _common_epsg(names, codes, epsg)

    verts, faces, groups, objs = [], [], [], []
    seen: set[str] = set()
    n_dup = 0
    offset = 0
    lods: dict[str, int] = {}
    available: set[str] = set()
    for p, mesh in meshes:
        for k, v in mesh.lods.items():
            lods[k] = lods.get(k, 0) + v
        available.update(mesh.available_lods)
        obj = np.asarray(mesh.objects, dtype=object)
        uniq = set(obj.tolist()) if obj.size else set()
        dup = uniq & seen
        keep = np.ones(len(obj), dtype=bool)
        if dup:  # a CityObject in two tiles: the first file's copy is kept
            n_dup += len(dup)
            keep = ~np.isin(obj, list(dup))
        seen |= uniq
        verts.append(mesh.vertices)
        faces.append(mesh.faces[keep] + offset)
        groups.append(np.asarray(mesh.groups, dtype=object)[keep])
        objs.append(obj[keep])
        offset += len(mesh.vertices)
    if n_dup:
        warnings.warn(f"{n_dup} CityObjects appear in more than one file; the copy in the first "
                      f"file is kept", CptedWarning, stacklevel=2)
    v = np.vstack(verts)
    f = np.vstack(faces)
    g = np.concatenate(groups)
    o = np.concatenate(objs)
    obj_names, obj_code = np.unique(o.astype(str), return_inverse=True)
    obj_code = obj_code.ravel()
    n_dropped = 0
    if region is not None:
        kept = _objects_kept(v, f, obj_code, len(obj_names), region, margin)
        n_dropped = int((~kept).sum())
        if not kept.any():
            lo = v.min(axis=0)
            hi = v.max(axis=0)
            raise MeshError(f"crop: no CityObject lies within the crop region (plus margin "
                            f"{margin} m); the model spans x {lo[0]:.1f}..{hi[0]:.1f}, "
                            f"y {lo[1]:.1f}..{hi[1]:.1f}")
        sel = kept[obj_code]
        f, g, obj_code = f[sel], g[sel], obj_code[sel]
    # drop zero-area faces here (Scene.from_arrays would, but then face_object would not follow)
    if origin is None:
        lo = v[np.unique(f)].min(axis=0)
        origin = np.array([np.floor(lo[0]), np.floor(lo[1]), 0.0])
    local = v - np.asarray(origin, dtype=np.float64).reshape(3)
    a = local[f[:, 1]] - local[f[:, 0]]
    b = local[f[:, 2]] - local[f[:, 0]]
    area2 = np.linalg.norm(np.cross(a, b), axis=1)
    scale = np.maximum(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    good = area2 > 1e-12 * np.maximum(scale * scale, 1e-300)
    if not good.all():
        log.info("%d zero-area faces of %d dropped", int((~good).sum()), len(good))
        if not good.any():
            raise MeshError(f"{', '.join(names)}: every face has zero area (an empty scene)")
        f, g, obj_code = f[good], g[good], obj_code[good]
    used = np.unique(f)
    remap = np.full(len(v), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    scene = Scene.from_arrays(v[used], remap[f], g.astype(str), origin=origin,
                              epsg=scene_epsg, name=name or "+".join(names))
    if materials:
        scene = scene.with_materials(materials)
    n_kept = len(np.unique(obj_code))
    return CityModel(scene, obj_names[obj_code].astype(object), scene_epsg, tuple(codes), lods,
                     tuple(sorted(available, key=lambda s: float(s) if _isnum(s) else -1)),
                     n_kept, n_dropped)


def _isnum(s) -> bool:
    try:
        float(s)
    except (TypeError, ValueError):
        return False
    return True


def load_city_model(paths, lod=None, crop=None, margin: float = 0.0, *, origin=None,
                    group_by: str = "material", materials: Mapping[str, Material] | None = None,
                    epsg: int | None = None, name: str | None = None) -> Scene:
    """Several CityJSON / 3D BAG files as one scene, at one LoD, cropped to the study area.

    Parameters
    ----------
    paths : path or sequence of paths
        CityJSON files (1.0, 1.1, 2.0), e.g. the 3D BAG tiles around a street. Each file's own
        ``transform`` (scale, translate) is applied to its own vertices before merging.
    lod : str or float, optional
        Level of detail: ``"1.2"``, ``"1.3"``, ``"2.2"`` (3D BAG), ``1``, ``2``... Default:
        each CityObject's finest. An LoD that no file has is an error listing those they have.
    crop : {"bbox": [xmin, ymin, xmax, ymax]} or {"polygon": [[x, y], ...]}, optional
        The study area [m, in the files' CRS]; also accepted bare: four numbers (a bbox) or an
        (m, 2) ring. Whole CityObjects are kept when any of their triangles lies within the
        area plus ``margin``, otherwise dropped; none is cut. A polygon needs shapely.
    margin : float
        Distance [m] added around the crop area (buildings across the street stay).
    origin : (3,) float, optional
        Local origin [m]; default the floor of the kept geometry's minimum x, y; z = 0.
    group_by : {"material", "object"}
        As in :func:`cpted_sim.io.cityjson.load_cityjson`.
    materials : mapping str -> Material, optional
        Materials by group name (every name must be a group of the scene).
    epsg : int, optional
        The CRS of files that state none; a file that states another is an error.
    name : str, optional
        The scene's label (default the file names joined by ``+``).

    Returns
    -------
    Scene
        ``scene.epsg`` is the horizontal EPSG code (``7415`` -> ``28992``).

    Raises
    ------
    MeshError
        Files in different CRSs, no file with the LoD, nothing inside the crop, and every
        error of the CityJSON reader (naming the file).
    ParameterError
        A malformed ``crop`` or ``margin``.

    Warns
    -----
    CptedWarning
        Files without a CRS taken to be in the others', files without the LoD (skipped),
        CityObjects present in more than one file (counts in the message).
    """
    return read_city_model(paths, lod=lod, crop=crop, margin=margin, origin=origin,
                           group_by=group_by, materials=materials, epsg=epsg, name=name).scene
