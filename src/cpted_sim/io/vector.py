"""GIS vector layers: GeoPackage, GeoJSON, Shapefile read with pyogrio, moved into the scene's
CRS with pyproj (layer L6; needs the ``gis`` extra: ``pip install cpted_sim[gis]``).

:func:`read_vector` reads one layer, keeps the features an SQL ``where`` clause and/or a simple
attribute ``filter`` select, reads the layer's CRS and transforms the coordinates into the
scene's (``target_epsg``). The rules:

- a layer in the scene's horizontal CRS is kept as it is; EPSG:7415 (RD New + NAP) and
  EPSG:28992 (RD New) share their horizontal CRS, so either reads into the other unchanged;
- a layer in a geographic CRS (WGS84, ETRS89) or another projected CRS is transformed, when
  pyproj knows a real (not "ballpark") transformation;
- a layer without a CRS takes the scene's, with a :class:`~cpted_sim.errors.CptedWarning`;
- everything else (no known transformation, a vertical datum that differs from the scene's, an
  engineering CRS, a geographic layer with no scene CRS to go to) is a
  :class:`~cpted_sim.errors.VectorLayerError` naming the file and layer.

Only x and y are transformed; z values are kept (heights are the scene's business).
:func:`polygon_parts`, :func:`line_parts` and :func:`point_coords` turn the geometries into
numpy arrays, splitting multi-geometries or refusing them (``split``).
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._files import MAX_MESH_BYTES, checked_input
from ..errors import CptedWarning, VectorLayerError

__all__ = ["VectorLayer", "Part", "read_vector", "polygon_parts", "line_parts", "point_coords",
           "require_gis", "GIS_INSTALL_HINT"]

GIS_INSTALL_HINT = "pip install cpted_sim[gis]"


def require_gis(what: str = "reading GIS vector layers"):
    """Import and return ``(shapely, pyproj, pyogrio)``, or raise one clear error.

    Raises
    ------
    VectorLayerError
        One of them is not installed; the message gives the install command.
    """
    missing = []
    mods = []
    for name in ("shapely", "pyproj", "pyogrio"):
        try:
            mods.append(__import__(name))
        except ImportError:
            missing.append(name)
    if missing:
        raise VectorLayerError(f"{what} needs the gis extra ({', '.join(missing)} not "
                               f"installed): {GIS_INSTALL_HINT}")
    return tuple(mods)


@dataclass(frozen=True)
class VectorLayer:
    """The features of one vector layer, in the scene's CRS.

    Attributes
    ----------
    path : str
        The file read.
    layer : str
        The layer's name in it.
    geometries : (n,) object array of shapely geometries
        The selected features' geometries, transformed [m]; features without a geometry are
        dropped (with a warning).
    attributes : dict of str -> (n,) array
        Attribute columns of the selected features.
    epsg : int or None
        The EPSG code of the coordinates (the scene's, or the layer's own when no scene CRS
        was given).
    source_crs : str or None
        The layer's own CRS as read from the file (None: the file has none).
    feature_ids : (n,) int array
        Index of each kept feature in the file's layer order (after ``where``).
    """

    path: str
    layer: str
    geometries: np.ndarray
    attributes: dict = field(default_factory=dict)
    epsg: int | None = None
    source_crs: str | None = None
    feature_ids: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.geometries)

    def field(self, name: str) -> np.ndarray:
        """The attribute column ``name``; a :class:`VectorLayerError` lists the fields there
        are when it is missing."""
        if name not in self.attributes:
            raise VectorLayerError(f"no such field; the layer has {_listing(self.attributes)}",
                                   self.path, self.layer, name)
        return self.attributes[name]


@dataclass(frozen=True)
class Part:
    """One simple geometry taken from a feature.

    Attributes
    ----------
    feature : int
        Index of the feature in :attr:`VectorLayer.geometries`.
    coords : (n, 2) or (n, 3) float array
        Point, line vertices, or a polygon's exterior ring (closing vertex dropped) [m].
    holes : tuple of (k, 2|3) float arrays
        A polygon's interior rings (closing vertex dropped); empty otherwise.
    """

    feature: int
    coords: np.ndarray
    holes: tuple = ()


def _listing(names) -> str:
    names = list(names)
    if not names:
        return "no attribute fields"
    shown = ", ".join(repr(n) for n in names[:20])
    return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def _epsg_of(crs) -> int | None:
    try:
        return crs.to_epsg(min_confidence=70)
    except Exception:  # pragma: no cover - pyproj raises CRSError on odd definitions
        return None


def _horizontal(crs):
    """The horizontal part of a (possibly compound) CRS."""
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if not sub.is_vertical:
                return sub
    return crs


def _vertical(crs):
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if sub.is_vertical:
                return sub
    return crs if crs.is_vertical else None


def _same(a, b) -> bool:
    ea, eb = _epsg_of(a), _epsg_of(b)
    if ea is not None and eb is not None:
        return ea == eb
    return a.equals(b, ignore_axis_order=True)


def _describe(crs) -> str:
    e = _epsg_of(crs)
    return f"EPSG:{e} ({crs.name})" if e is not None else repr(crs.name)


@functools.lru_cache(maxsize=32)
def _cached_transformer(src_wkt: str, dst_wkt: str):
    import pyproj

    return pyproj.Transformer.from_crs(pyproj.CRS.from_wkt(src_wkt), pyproj.CRS.from_wkt(dst_wkt),
                                       always_xy=True)


def _transformer(src, dst, path, layer, probe=None):
    """A transformer src -> dst (horizontal CRSs, x/y order), or None when they are the same.

    ``probe`` is one (x, y) of the layer: PROJ picks the operation on the first use, so the
    "ballpark" check runs after transforming it."""
    import pyproj

    src_h, dst_h = _horizontal(src), _horizontal(dst)
    sv, dv = _vertical(src), _vertical(dst)
    if sv is not None and dv is not None and not _same(sv, dv):
        raise VectorLayerError(f"its vertical datum {_describe(sv)} differs from the scene's "
                               f"{_describe(dv)}; heights cannot be reconciled. Write the layer "
                               "in the scene's CRS or without heights", path, layer)
    if _same(src_h, dst_h):
        return None
    for crs, who in ((src_h, "the layer"), (dst_h, "the scene")):
        if not (crs.is_geographic or crs.is_projected):
            raise VectorLayerError(f"{who}'s CRS {_describe(crs)} is neither geographic nor "
                                   "projected (an engineering or local CRS); it cannot be "
                                   "transformed", path, layer)
    if not dst_h.is_projected:
        raise VectorLayerError(f"the scene's CRS {_describe(dst_h)} is not projected; scenes "
                               "work in metres", path, layer)
    try:
        tr = _cached_transformer(src_h.to_wkt(), dst_h.to_wkt())
    except pyproj.exceptions.ProjError as exc:
        raise VectorLayerError(f"no transformation from {_describe(src_h)} to "
                               f"{_describe(dst_h)}: {exc}", path, layer) from None
    if probe is not None:
        tr.transform(*probe)
    if "ballpark" in (tr.description or "").lower():
        raise VectorLayerError(f"pyproj knows no datum transformation from {_describe(src_h)} "
                               f"to {_describe(dst_h)} (only a ballpark one, off by up to "
                               "hundreds of metres); reproject the layer to the scene's CRS "
                               "with the right grid first", path, layer)
    return tr


def _apply_filter(attrs: dict, filt: dict, path, layer) -> np.ndarray:
    """Boolean mask of the features whose fields equal the filter's values (a list: any)."""
    n = len(next(iter(attrs.values()))) if attrs else 0
    keep = np.ones(n, dtype=bool)
    for name, want in filt.items():
        if name not in attrs:
            raise VectorLayerError(f"filter on a missing field; the layer has "
                                   f"{_listing(attrs)}", path, layer, name)
        col = attrs[name]
        wanted = list(want) if isinstance(want, (list, tuple, set)) else [want]
        m = np.zeros(n, dtype=bool)
        for w in wanted:
            eq = col == w
            m |= (np.asarray(eq, dtype=bool) if np.shape(eq) == (n,)
                  else np.array([v == w for v in col], dtype=bool))
        if not m.any():
            values = sorted({str(v) for v in col})
            raise VectorLayerError(f"filter {name} = {want!r} matches none of the {n} "
                                   f"features; values there: {_listing(values)}",
                                   path, layer, name)
        keep &= m
    return keep


def read_vector(path, layer: str | None = None, where: str | None = None,
                filter: dict | None = None, target_epsg: int | None = None, *,
                bbox=None, base_dir=None) -> VectorLayer:
    """Read one layer of a GeoPackage, GeoJSON or Shapefile into the scene's CRS.

    Parameters
    ----------
    path : str or path-like
        The file (relative paths are taken from ``base_dir`` when given).
    layer : str, optional
        The layer's name; required when the file has more than one.
    where : str, optional
        An OGR SQL ``WHERE`` clause, e.g. ``"function = 'voetpad'"``.
    filter : dict, optional
        Simple attribute filter ``{field: value}`` (a list of values: any of them); every
        entry must hold. A filter that matches nothing is an error.
    target_epsg : int, optional
        The scene's EPSG code. None: keep a projected layer's own CRS (a geographic layer
        is then an error).
    bbox : (4,) float, optional
        ``(xmin, ymin, xmax, ymax)`` in the scene's CRS [m]: keep only the features that
        meet this box (after the transformation); none left is an error.
    base_dir : str or path-like, optional
        Folder of relative paths (the scenario file's).

    Returns
    -------
    VectorLayer

    Raises
    ------
    VectorLayerError
        Missing extra, unreadable file, unknown layer, a bad ``where``, a filter on a
        missing field or matching nothing, no features left, CRSs that cannot be
        reconciled.

    Warns
    -----
    CptedWarning
        The layer has no CRS (it takes the scene's), or some features have no geometry.
    """
    shapely, pyproj, pyogrio = require_gis()
    p = checked_input(path, what="vector layer", error=VectorLayerError,
                      max_bytes=MAX_MESH_BYTES, base_dir=base_dir, allow_outside=True)
    spath = str(p)
    try:
        layers = pyogrio.list_layers(spath)
    except Exception as exc:
        raise VectorLayerError(f"not a vector file GDAL can read ({exc})", spath) from None
    names = [str(n) for n, _ in layers]
    if layer is None:
        if len(names) != 1:
            raise VectorLayerError(f"the file has {len(names)} layers ({_listing(names)}); "
                                   "name one with layer", spath)
        layer = names[0]
    elif layer not in names:
        raise VectorLayerError(f"no such layer; the file has {_listing(names)}", spath, layer)
    try:
        meta, _fids, wkb, values = pyogrio.raw.read(spath, layer=layer, where=where)
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        what = f"where {where!r} cannot be applied" if where else "cannot be read"
        raise VectorLayerError(f"{what} ({msg})", spath, layer) from None
    attrs = {str(k): np.asarray(v) for k, v in zip(meta["fields"], values)}
    try:
        geoms = np.asarray(shapely.from_wkb(wkb) if len(wkb) else np.empty(0, dtype=object),
                           dtype=object)
    except shapely.errors.GEOSException as exc:
        raise VectorLayerError(f"a geometry in the file is malformed ({exc})", spath,
                               layer) from None
    ids = np.arange(len(geoms))
    if where and len(geoms) == 0:
        raise VectorLayerError(f"where {where!r} matches no feature", spath, layer)
    if filter:
        keep = _apply_filter(attrs, filter, spath, layer)
        geoms, ids = geoms[keep], ids[keep]
        attrs = {k: v[keep] for k, v in attrs.items()}
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else \
        np.zeros(0, dtype=bool)
    if not present.all():
        warnings.warn(f"{os.path.basename(spath)} layer {layer!r}: {int((~present).sum())} of "
                      f"{len(geoms)} features have no geometry and were skipped",
                      CptedWarning, stacklevel=2)
        geoms, ids = geoms[present], ids[present]
        attrs = {k: v[present] for k, v in attrs.items()}
    if len(geoms) == 0:
        raise VectorLayerError("no features to read (the layer is empty after filtering)",
                               spath, layer)
    src = meta.get("crs")
    epsg = target_epsg
    if src is None:
        warnings.warn(f"{os.path.basename(spath)} layer {layer!r} has no CRS; its "
                      f"coordinates are taken as the scene's "
                      f"({'EPSG:%d' % target_epsg if target_epsg else 'unstated'})",
                      CptedWarning, stacklevel=2)
    else:
        src_crs = pyproj.CRS.from_user_input(src)
        if _horizontal(src_crs).is_geographic:
            _check_degrees(shapely, geoms, src_crs, spath, layer)
        if target_epsg is None:
            if not _horizontal(src_crs).is_projected:
                raise VectorLayerError(f"the layer is in {_describe(src_crs)}, not in metres, "
                                       "and the scene states no CRS to transform it to; set "
                                       "scene.epsg", spath, layer)
            epsg = _epsg_of(_horizontal(src_crs))
        else:
            probe = tuple(shapely.get_coordinates(geoms[0])[0, :2])
            tr = _transformer(src_crs, pyproj.CRS.from_epsg(int(target_epsg)), spath, layer,
                              probe)
            if tr is not None:
                geoms = _transform(shapely, tr, geoms, spath, layer)
    if bbox is not None:
        box = np.asarray(bbox, dtype=np.float64).reshape(-1)
        if box.shape != (4,) or not np.isfinite(box).all() or not (box[2] > box[0] and
                                                                   box[3] > box[1]):
            raise VectorLayerError(f"bbox: expected (xmin, ymin, xmax, ymax) with max > min, "
                                   f"got {bbox!r}", spath, layer)
        keep = shapely.intersects(geoms, shapely.box(*box))
        if not keep.any():
            raise VectorLayerError(f"none of the {len(geoms)} features meets the bbox "
                                   f"{tuple(float(v) for v in box)} (scene CRS)", spath, layer)
        geoms, ids = geoms[keep], ids[keep]
        attrs = {k: v[keep] for k, v in attrs.items()}
    return VectorLayer(path=spath, layer=layer, geometries=geoms, attributes=attrs, epsg=epsg,
                       source_crs=None if src is None else str(src), feature_ids=ids)


def _check_degrees(shapely, geoms, crs, path, layer) -> None:
    """A layer that says it is in degrees must hold degrees: a GeoJSON file without a
    ``crs`` member is WGS84 by definition, and projected coordinates in one are a common
    slip."""
    c = shapely.get_coordinates(geoms)
    lon, lat = np.abs(c[:, 0]).max(), np.abs(c[:, 1]).max()
    if lon > 360.0 or lat > 90.0:
        raise VectorLayerError(f"the layer is in {_describe(crs)} (degrees; a GeoJSON file "
                               "without a 'crs' member is WGS84 by definition) but holds "
                               f"coordinates up to x = {lon:.6g}, y = {lat:.6g}, which are "
                               "not degrees: write the file with its real CRS", path, layer)


def _transform(shapely, tr, geoms, path, layer):
    def fn(c):
        out = np.array(c, dtype=np.float64, copy=True)
        x, y = tr.transform(out[:, 0], out[:, 1])
        out[:, 0], out[:, 1] = x, y
        return out

    res = shapely.transform(geoms, fn, include_z=None)
    coords = shapely.get_coordinates(res)
    if not np.isfinite(coords).all():
        raise VectorLayerError("some coordinates fall outside the area where the "
                               "transformation to the scene's CRS is defined", path, layer)
    return np.asarray(res, dtype=object)


def _simple_parts(layer: VectorLayer, kinds: tuple[str, ...], multi: str, split: bool,
                  what: str) -> list[tuple[int, Any]]:
    import shapely

    out = []
    for i, g in enumerate(layer.geometries):
        t = g.geom_type
        if t in kinds:
            out.append((i, g))
        elif t == multi or t == "GeometryCollection":
            subs = list(shapely.get_parts(g))
            if any(s.geom_type not in kinds for s in subs):
                raise VectorLayerError(f"feature {i} is a {t} holding other than {what}s",
                                       layer.path, layer.layer)
            if len(subs) > 1 and not split:
                raise VectorLayerError(f"feature {i} is a {t} of {len(subs)} parts; set "
                                       "split = true to take each part on its own",
                                       layer.path, layer.layer)
            out.extend((i, s) for s in subs)
        else:
            raise VectorLayerError(f"feature {i} is a {t}, expected {what}s", layer.path,
                                   layer.layer)
    return out


def _ring(coords) -> np.ndarray:
    c = np.asarray(coords, dtype=np.float64)
    if len(c) > 1 and np.array_equal(c[0], c[-1]):
        c = c[:-1]
    return np.ascontiguousarray(c)


def polygon_parts(layer: VectorLayer, split: bool = False) -> list[Part]:
    """Each polygon of the layer as an exterior ring and its holes.

    Parameters
    ----------
    layer : VectorLayer
    split : bool
        Take each polygon of a MultiPolygon on its own; False: a MultiPolygon of more than
        one polygon is an error.

    Returns
    -------
    list of Part
        ``coords`` the exterior ring (n, 2|3) [m] without its closing vertex; ``holes``.
    """
    out = []
    for i, g in _simple_parts(layer, ("Polygon",), "MultiPolygon", split, "polygon"):
        out.append(Part(i, _ring(g.exterior.coords),
                        tuple(_ring(r.coords) for r in g.interiors)))
    return out


def line_parts(layer: VectorLayer, split: bool = False) -> list[Part]:
    """Each line of the layer as a (n, 2|3) vertex array [m] (MultiLineStrings split when
    ``split``, refused otherwise)."""
    return [Part(i, np.ascontiguousarray(np.asarray(g.coords, dtype=np.float64)))
            for i, g in _simple_parts(layer, ("LineString", "LinearRing"), "MultiLineString",
                                      split, "line")]


def point_coords(layer: VectorLayer, split: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The layer's points as ``(coords (n, 2|3) [m], feature index (n,))``.

    MultiPoints are split when ``split``, refused otherwise. Points with and without z in
    one layer give z = 0 for those without.
    """
    parts = _simple_parts(layer, ("Point",), "MultiPoint", split, "point")
    dim = 3 if any(g.has_z for _, g in parts) else 2
    xyz = np.zeros((len(parts), dim))
    for k, (_, g) in enumerate(parts):
        c = np.asarray(g.coords, dtype=np.float64)[0]
        xyz[k, :len(c)] = c[:dim]
    return xyz, np.array([i for i, _ in parts], dtype=np.int64)
