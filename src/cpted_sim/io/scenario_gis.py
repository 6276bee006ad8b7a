"""Scenario keys that take their geometry from GIS layers (layer L6).

:func:`expand_gis` runs first when a scenario file is read: it turns

- ``source = { file, layer, where, filter, split, name_field }`` in ``[[areas]]``,
  ``[[observers]]`` and ``[[luminaires]]`` into the pasted coordinates the rest of the reader
  knows (``polygon``, ``path``, ``points``, ``position``), one item per feature (or part);
- ``[[lamp_registers]]`` (a point layer of lamp posts with height, fitting type and
  orientation fields) and ``[[pole_rows]]`` (poles generated along a road axis or a road
  polygon's centre line) into ``[[luminaires]]``.

Layers are read with :func:`cpted_sim.io.vector.read_vector` into ``scene.epsg``. Every error
is a :class:`~cpted_sim.errors.ScenarioFileError` naming the key, its line and the layer.
Without any of these keys nothing is imported (the core needs no GIS packages).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..errors import CptedError, CptedWarning, ParameterError, VectorLayerError
from ..scenario.poles import ARRANGEMENTS, aim_at_polyline, poles_along_road
from ..scenario.sources import VectorSource, item_names, map_fittings, mounting_heights

__all__ = ["expand_gis", "SOURCE_KEYS", "LAMP_REGISTER_KEYS", "POLE_ROW_KEYS"]

SOURCE_KEYS = ("file", "layer", "where", "filter", "bbox", "split", "name_field")
_LUM_COMMON = ("tilt", "spin", "maintenance_factor", "flux_scale")
LAMP_REGISTER_KEYS = ("name", "source", "photometry", "fitting_field", "fittings", "height",
                      "height_field", "azimuth", "orientation_field", "aim", "roads",
                      "foot_z", "height_reference") + _LUM_COMMON
POLE_ROW_KEYS = ("name", "axis", "road", "spacing", "arrangement", "side", "half_width",
                 "setback", "overhang", "height", "start", "photometry", "foot_z",
                 "height_reference", "tilt", "maintenance_factor", "flux_scale")
#: A lamp post aimed at the nearest road further than this from it gets a warning [m].
FAR_FROM_ROAD_M = 30.0
#: Extra keys a ``[[luminaires]]`` table with a ``source`` may have.
_LUM_SOURCE_KEYS = ("height", "foot_z")


def _needs_gis(data: dict) -> bool:
    if "lamp_registers" in data or "pole_rows" in data:
        return True
    for sec in ("areas", "observers", "luminaires"):
        items = data.get(sec)
        if isinstance(items, list) and any(isinstance(d, dict) and "source" in d
                                           for d in items):
            return True
    return False


class _Ctx:
    def __init__(self, r, data):
        self.r = r
        scene = data.get("scene", {}) if isinstance(data.get("scene"), dict) else {}
        e = scene.get("epsg")
        self.epsg = e if isinstance(e, int) and not isinstance(e, bool) and e > 0 else None
        self.layers: dict = {}

    def source(self, v, key: str) -> VectorSource:
        r = self.r
        d = r.table(v, key, SOURCE_KEYS, ("file",))
        filt = {}
        if "filter" in d:
            ft = r.table(d["filter"], f"{key}.filter", tuple(d["filter"]) if
                         isinstance(d["filter"], dict) else ())
            for k, val in ft.items():
                vals = val if isinstance(val, list) else [val]
                for x in vals:
                    if not isinstance(x, (str, int, float, bool)):
                        raise r.error(f"{key}.filter.{k}", "expected a value or a list of "
                                      f"values, got {type(x).__name__}")
                filt[k] = val
        bbox = None
        if "bbox" in d:
            bbox = r.vec(d["bbox"], f"{key}.bbox", 4)
            if not (bbox[2] > bbox[0] and bbox[3] > bbox[1]):
                raise r.error(f"{key}.bbox", f"expected [xmin, ymin, xmax, ymax] with max > "
                              f"min, got {list(bbox)}")
        return VectorSource(
            file=r.file(d["file"], f"{key}.file"), bbox=bbox,
            layer=r.str(d["layer"], f"{key}.layer") if "layer" in d else None,
            where=r.str(d["where"], f"{key}.where") if "where" in d else None,
            filter=filt,
            split=r.bool(d["split"], f"{key}.split") if "split" in d else False,
            name_field=r.str(d["name_field"], f"{key}.name_field") if "name_field" in d
            else None)

    def read(self, src: VectorSource, key: str):
        from .vector import read_vector

        ck = (src.file, src.layer, src.where, repr(sorted(src.filter.items())), src.bbox)
        if ck not in self.layers:
            try:
                lay = read_vector(src.file, layer=src.layer, where=src.where,
                                  filter=src.filter or None, target_epsg=self.epsg,
                                  bbox=src.bbox)
            except VectorLayerError as exc:
                raise self.r.error(key, str(exc)) from None
            if self.epsg is None and lay.source_crs is not None:
                self._own_crs(lay, key)
            self.layers[ck] = lay
        return self.layers[ck]

    def _own_crs(self, lay, key: str) -> None:
        """Without scene.epsg every layer stays in its own CRS: they must all agree."""
        first = getattr(self, "first_crs", None)
        if first is None:
            self.first_crs = (lay.epsg, lay.path, key)
            warnings.warn(f"{key}: scene.epsg is not set; the GIS layers are used in their own "
                          f"CRS (EPSG:{lay.epsg}, from {lay.path.rsplit('/', 1)[-1]}); set "
                          "scene.epsg so that they are checked against the scene",
                          CptedWarning, stacklevel=5)
        elif first[0] != lay.epsg:
            raise self.r.error(key, f"layers in different CRSs: EPSG:{lay.epsg} in "
                               f"{lay.path.rsplit('/', 1)[-1]} and EPSG:{first[0]} in "
                               f"{first[1].rsplit('/', 1)[-1]} ({first[2]}), and no scene.epsg "
                               "to transform them to; set scene.epsg")

    def names(self, base: str, src: VectorSource, layer, features, key: str) -> list[str]:
        try:
            values = None if src.name_field is None else layer.field(src.name_field)
            return item_names(base, features, values)
        except (ParameterError, VectorLayerError) as exc:
            raise self.r.error(f"{key}.name_field", str(exc)) from None

    def parts(self, fn, layer, src: VectorSource, key: str):
        try:
            return fn(layer, split=src.split)
        except VectorLayerError as exc:
            raise self.r.error(key, str(exc)) from None


def _geom_kind(layer) -> str:
    t = layer.geometries[0].geom_type
    return {"Polygon": "polygon", "MultiPolygon": "polygon", "LineString": "line",
            "MultiLineString": "line", "LinearRing": "line", "Point": "point",
            "MultiPoint": "point"}.get(t, t)


def _areas(ctx: _Ctx, items: list) -> list:
    from .vector import line_parts, polygon_parts

    out = []
    for i, d in enumerate(items):
        if not (isinstance(d, dict) and "source" in d):
            out.append(d)
            continue
        key = f"areas[{i}]"
        for k in ("polygon", "path"):
            if k in d:
                raise ctx.r.error(key, f"give either 'source' or '{k}', not both")
        kind = d.get("kind")
        if kind == "facade":
            raise ctx.r.error(f"{key}.source", "a facade area takes groups, not a source")
        src = ctx.source(d["source"], f"{key}.source")
        layer = ctx.read(src, f"{key}.source")
        base = ctx.r.str(d.get("name", "area"), f"{key}.name")
        rest = {k: v for k, v in d.items() if k != "source"}
        if kind == "route":
            parts = ctx.parts(line_parts, layer, src, f"{key}.source")
            names = ctx.names(base, src, layer, [p.feature for p in parts], f"{key}.source")
            out.extend({**rest, "name": n, "path": p.coords[:, :2].tolist()}
                       for n, p in zip(names, parts))
            continue
        parts = ctx.parts(polygon_parts, layer, src, f"{key}.source")
        names = ctx.names(base, src, layer, [p.feature for p in parts], f"{key}.source")
        holes = sum(len(p.holes) for p in parts)
        if holes:
            warnings.warn(f"areas[{i}] {base!r}: {holes} holes in {len(parts)} polygons of "
                          f"{layer.layer!r} are ignored (an area is one outline; grid points "
                          "in the holes count)", CptedWarning, stacklevel=4)
        out.extend({**rest, "name": n, "polygon": p.coords[:, :2].tolist()}
                   for n, p in zip(names, parts))
    return out


def _observers(ctx: _Ctx, items: list) -> list:
    from .vector import line_parts, point_coords

    out = []
    for i, d in enumerate(items):
        if not (isinstance(d, dict) and "source" in d):
            out.append(d)
            continue
        key = f"observers[{i}]"
        for k in ("tag", "groups", "points", "path"):
            if k in d:
                raise ctx.r.error(key, f"give either 'source' or '{k}', not both")
        src = ctx.source(d["source"], f"{key}.source")
        layer = ctx.read(src, f"{key}.source")
        base = ctx.r.str(d.get("name", "observers"), f"{key}.name")
        rest = {k: v for k, v in d.items() if k != "source"}
        if _geom_kind(layer) == "point":
            xyz, _ = ctx.parts(point_coords, layer, src, f"{key}.source")
            if xyz.shape[1] == 2:
                xyz = np.column_stack([xyz, np.zeros(len(xyz))])
                if "height" not in rest:   # eyes, not feet: 1.6 m above z = 0 (docs/architecture.md §4)
                    rest["height"] = 1.6
                    warnings.warn(f"{key}: the {len(xyz)} points of {layer.layer!r} have no z; "
                                  "eyes placed 1.6 m above z = 0 (give height, or z in the "
                                  "layer)", CptedWarning, stacklevel=4)
            out.append({**rest, "points": xyz.tolist()})
            continue
        parts = ctx.parts(line_parts, layer, src, f"{key}.source")
        names = ctx.names(base, src, layer, [p.feature for p in parts], f"{key}.source")
        out.extend({**rest, "name": n, "path": p.coords[:, :2].tolist()}
                   for n, p in zip(names, parts))
    return out


def _feet(ctx: _Ctx, d: dict, key: str, xyz: np.ndarray, what: str, warn: bool = True):
    """``(foot z, height_reference)`` of generated luminaires.

    ``foot_z`` or the layer's own z: absolute feet. Otherwise the feet stand on the walkable
    surface of the scene (``height_reference = "surface"``, or ``"deck"`` when asked), found
    when the run knows the scene (:func:`cpted_sim.scenario.terrain.place_luminaires`).
    ``height_reference = "absolute"`` without a z puts them at z = 0, with a warning.
    """
    ref = None
    if "height_reference" in d:
        from ..scenario.model import HEIGHT_REFERENCES

        ref = ctx.r.str(d["height_reference"], f"{key}.height_reference", HEIGHT_REFERENCES)
    if "foot_z" in d:
        if ref not in (None, "absolute"):
            raise ctx.r.error(key, f"give either foot_z or height_reference = {ref!r}, not "
                              "both")
        return np.full(len(xyz), ctx.r.num(d["foot_z"], f"{key}.foot_z")), None
    if xyz.shape[1] == 3 and ref is None:
        return xyz[:, 2], None
    if ref == "absolute":
        if warn:
            warnings.warn(f"{key}: {len(xyz)} {what} placed with their feet at z = 0 "
                          "(height_reference = \"absolute\" and no foot_z)", CptedWarning,
                          stacklevel=4)
        return np.zeros(len(xyz)), None
    return np.zeros(len(xyz)), ref or "surface"


def _lum(name, phot, pos, az, d: dict, ctx: _Ctx, key: str, tilt=None, ref=None) -> dict:
    out = {"name": name, "photometry": phot, "position": [float(c) for c in pos],
           "azimuth": float(az)}
    if ref is not None:
        out["height_reference"] = ref
    for k in _LUM_COMMON:
        if k in d:
            out[k] = d[k]
    if tilt is not None:
        out["tilt"] = float(tilt)
    return out


def _luminaires(ctx: _Ctx, items: list) -> list:
    from .vector import point_coords

    out = []
    for i, d in enumerate(items):
        if not (isinstance(d, dict) and "source" in d):
            out.append(d)
            continue
        key = f"luminaires[{i}]"
        if "position" in d:
            raise ctx.r.error(key, "give either 'source' or 'position', not both")
        if "height" not in d:
            raise ctx.r.error(key, "a luminaire with a source needs 'height' (of the "
                              "photometric centre above each point) [m]")
        h = ctx.r.num(d["height"], f"{key}.height", lo=0.0, lo_open=True)
        src = ctx.source(d["source"], f"{key}.source")
        layer = ctx.read(src, f"{key}.source")
        xyz, feats = ctx.parts(point_coords, layer, src, f"{key}.source")
        z, ref = _feet(ctx, d, key, xyz, "luminaires")
        base = ctx.r.str(d.get("name", "luminaire"), f"{key}.name")
        names = ctx.names(base, src, layer, feats, f"{key}.source")
        rest = {k: v for k, v in d.items() if k not in ("source",) + _LUM_SOURCE_KEYS}
        if ref is not None:
            rest["height_reference"] = ref
        out.extend({**rest, "name": n, "position": [float(p[0]), float(p[1]), float(zz + h)]}
                   for n, p, zz in zip(names, xyz, z))
    return out


def _road_axes(ctx: _Ctx, v, key: str) -> tuple[list, list]:
    """Axes (and road polygons, or None) from a line layer or a polygon layer."""
    from .roads import centre_line
    from .vector import line_parts, polygon_parts

    src = ctx.source(v, key)
    layer = ctx.read(src, key)
    if _geom_kind(layer) == "line":
        return [p.coords[:, :2] for p in ctx.parts(line_parts, layer, src, key)], None
    if _geom_kind(layer) != "polygon":
        raise ctx.r.error(key, f"expected a line or polygon layer, {layer.layer!r} holds "
                          f"{layer.geometries[0].geom_type}s")
    import shapely

    polys, axes = [], []
    for p in ctx.parts(polygon_parts, layer, src, key):
        g = shapely.Polygon(p.coords[:, :2], [h[:, :2] for h in p.holes])
        try:
            axes.append(centre_line(g))
        except ParameterError as exc:
            raise ctx.r.error(key, f"feature {p.feature}: {exc}") from None
        polys.append(g)
    return axes, polys


def _lamp_register(ctx: _Ctx, d, key: str) -> list:
    from .vector import point_coords

    r = ctx.r
    r.table(d, key, LAMP_REGISTER_KEYS, ("name", "source"))
    base = r.str(d["name"], f"{key}.name")
    src = ctx.source(d["source"], f"{key}.source")
    layer = ctx.read(src, f"{key}.source")
    xyz, feats = ctx.parts(point_coords, layer, src, f"{key}.source")
    n = len(xyz)
    names = ctx.names(base, src, layer, feats, f"{key}.source")

    def column(fkey):
        fname = r.str(d[fkey], f"{key}.{fkey}")
        try:
            return layer.field(fname)[feats]
        except VectorLayerError as exc:
            raise r.error(f"{key}.{fkey}", str(exc)) from None

    default_h = (r.num(d["height"], f"{key}.height", lo=0.0, lo_open=True)
                 if "height" in d else None)
    try:
        heights = mounting_heights(column("height_field") if "height_field" in d else None,
                                   default_h, n)
    except ParameterError as exc:
        raise r.error(f"{key}.height_field" if "height_field" in d else key, str(exc)) from None
    if ("fitting_field" in d) != ("fittings" in d):
        raise r.error(key, "fitting_field and fittings go together (the field, and the table "
                      "that maps its values to photometry)")
    if "fitting_field" in d:
        if "photometry" in d:
            raise r.error(key, "give either photometry or fitting_field + fittings")
        table = r.table(d["fittings"], f"{key}.fittings", tuple(d["fittings"]) if
                        isinstance(d["fittings"], dict) else ())
        try:
            phots = map_fittings(column("fitting_field"), table)
        except ParameterError as exc:
            raise r.error(f"{key}.fitting_field", str(exc)) from None
    elif "photometry" in d:
        phots = [d["photometry"]] * n
    else:
        raise r.error(key, "missing 'photometry' (or 'fitting_field' with 'fittings')")
    ways = [k for k in ("azimuth", "orientation_field", "aim") if k in d]
    if len(ways) > 1:
        raise r.error(key, f"give one of azimuth, orientation_field and aim, not "
                      f"{' and '.join(ways)}")
    if "roads" in d and "aim" not in d:
        raise r.error(f"{key}.roads", "roads are used with aim = \"nearest_road\"")
    if "aim" in d:
        r.str(d["aim"], f"{key}.aim", ("nearest_road",))
        if "roads" not in d:
            raise r.error(key, "aim = \"nearest_road\" needs roads = { file = ... } (a line "
                          "layer of road axes or a polygon layer of roads)")
        axes, _ = _road_axes(ctx, d["roads"], f"{key}.roads")
        az, dist = aim_at_polyline(xyz[:, :2], axes)
        far = dist > FAR_FROM_ROAD_M
        if far.any():
            warnings.warn(f"{key}: {int(far.sum())} of {n} lamp posts lie more than "
                          f"{FAR_FROM_ROAD_M:.0f} m from the nearest road axis (up to "
                          f"{dist.max():.0f} m); check the roads layer and its filter",
                          CptedWarning, stacklevel=4)
    elif "orientation_field" in d:
        col = column("orientation_field")
        try:
            az = np.array([float(v) for v in col])
        except (TypeError, ValueError):
            az = np.array([np.nan])
        if not np.isfinite(az).all():
            raise r.error(f"{key}.orientation_field", "every lamp needs a numeric "
                          "orientation [deg]; some values are empty or not numbers")
    else:
        az = np.full(n, r.num(d.get("azimuth", 0.0), f"{key}.azimuth"))
    z, ref = _feet(ctx, d, key, xyz, "lamp posts")
    return [_lum(nm, ph, (p[0], p[1], zz + h), a, d, ctx, key, ref=ref)
            for nm, ph, p, zz, h, a in zip(names, phots, xyz, z, heights, az)]


def _pole_row(ctx: _Ctx, d, key: str) -> list:
    from .roads import kerb_along

    r = ctx.r
    r.table(d, key, POLE_ROW_KEYS, ("name", "spacing", "height", "photometry"))
    if ("axis" in d) == ("road" in d):
        raise r.error(key, "give exactly one of 'axis' (a line layer) and 'road' (a polygon "
                      "layer whose centre line is the axis)")
    base = r.str(d["name"], f"{key}.name")
    which = "axis" if "axis" in d else "road"
    axes, polys = _road_axes(ctx, d[which], f"{key}.{which}")
    if which == "axis" and polys is not None:
        raise r.error(f"{key}.axis", "expected a line layer; for road polygons use 'road'")
    if which == "road" and polys is None:
        raise r.error(f"{key}.road", "expected a polygon layer; for road axes use 'axis'")
    if "half_width" in d:
        hw_given = r.num(d["half_width"], f"{key}.half_width", lo=0.0)
    elif which == "axis":
        raise r.error(key, "an axis row needs half_width (axis to kerb) [m]")
    else:
        hw_given = None
    kw: dict[str, Any] = dict(
        spacing=r.num(d["spacing"], f"{key}.spacing", lo=0.0, lo_open=True),
        arrangement=r.str(d.get("arrangement", "single"), f"{key}.arrangement", ARRANGEMENTS),
        side=r.str(d.get("side", "left"), f"{key}.side", ("left", "right")),
        setback=r.num(d.get("setback", 0.5), f"{key}.setback"),
        overhang=r.num(d.get("overhang", 1.0), f"{key}.overhang"),
        height=r.num(d["height"], f"{key}.height", lo=0.0, lo_open=True),
        tilt=r.num(d.get("tilt", 0.0), f"{key}.tilt", lo=-90.0, hi=90.0))
    if "start" in d:
        kw["start"] = r.num(d["start"], f"{key}.start", lo=0.0)
    fz, ref = _feet(ctx, d, key, np.zeros((1, 2)), "poles", warn=False)
    flat = "foot_z" not in d and ref is None
    kw["ground_z"] = lambda xy: np.full(len(xy), fz[0])
    out = []
    for j, axis in enumerate(axes):
        hw = hw_given if hw_given is not None else kerb_along(polys[j])
        try:
            lay = poles_along_road(axis, half_width=hw, **kw)
        except ParameterError as exc:
            raise r.error(key, f"axis {j}: {exc}") from None
        for k in range(len(lay)):
            nm = f"{base}:{len(out) + 1}"
            out.append(_lum(nm, d["photometry"], lay.positions[k], lay.azimuth[k], d, ctx,
                            key, tilt=lay.tilt[k], ref=ref))
    if not out:
        raise r.error(key, "no poles generated")
    if flat:
        warnings.warn(f"{key}: {len(out)} poles placed with their feet at z = 0 "
                      "(height_reference = \"absolute\" and no foot_z)", CptedWarning,
                      stacklevel=4)
    return out


def expand_gis(r, data: dict) -> dict:
    """The parsed scenario with every GIS source resolved (see the module docstring).

    Parameters
    ----------
    r : cpted_sim.io.scenario_file._Reader
        The reader (for key/line errors, typed access and file resolution).
    data : dict
        The parsed TOML.

    Returns
    -------
    dict
        ``data`` itself when it has no GIS keys, else a new dict with coordinates pasted in
        and ``lamp_registers`` / ``pole_rows`` turned into ``luminaires``.
    """
    if not isinstance(data, dict) or not _needs_gis(data):
        return data
    ctx = _Ctx(r, data)
    out = dict(data)
    try:
        for sec, fn in (("areas", _areas), ("observers", _observers),
                        ("luminaires", _luminaires)):
            if isinstance(out.get(sec), list):
                out[sec] = fn(ctx, out[sec])
        extra = []
        for sec, fn in (("lamp_registers", _lamp_register), ("pole_rows", _pole_row)):
            items = out.pop(sec, [])
            if not isinstance(items, list):
                raise r.error(sec, f"expected an array of tables [[{sec}]]")
            for i, d in enumerate(items):
                extra.extend(fn(ctx, d, f"{sec}[{i}]"))
    except CptedError as exc:
        if type(exc).__name__ == "ScenarioFileError":
            raise
        raise r.error("", str(exc)) from None
    if extra:
        lums = out.get("luminaires", [])
        if not isinstance(lums, list):
            raise r.error("luminaires", "expected an array of tables [[luminaires]]")
        out["luminaires"] = list(lums) + extra
    return out
