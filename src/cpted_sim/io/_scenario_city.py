"""Scenario-file keys for city models and their windows (read by ``scenario_file``).

``[scene] cityjson = [...]``, ``lod``, ``crop = { bbox | polygon, margin }``;
``[[observers]] semantic = ["Window", "Door"]`` and ``generate = { storey_height, spacing,
ground_floor, sill_height, facing, max_distance, groups }``. Documented in
``docs/scenario_files.md`` ("City models and generated windows").
"""

from __future__ import annotations

import warnings
from typing import Any

from ..errors import CptedError, ScenarioDeprecationWarning
from ..scenario import model as m
from ..scenario.city_spec import (CITY_MODEL, GENERATE_KEYS, city_asset_key, city_params,
                                  facing_polygon)

__all__ = ["SCENE_KEYS", "CITY_OBSERVER_KEYS", "scene_geometry", "observer_spec",
           "load_city_assets"]

SCENE_KEYS = ("cityjson", "lod", "crop")
CROP_KEYS = ("bbox", "polygon", "margin")
#: No ``kind``: semantic surfaces give "window" / "door" by their type, generated ones "window".
CITY_OBSERVER_KEYS = ("name", "semantic", "generate", "weight", "fov", "max_distance",
                      "range")


def _join(key: str, k) -> str:
    return f"{key}.{k}" if key else str(k)


def scene_geometry(r, sd: dict):
    """The ``GeometrySpec`` of ``[scene] cityjson = ...``, or None when the scene has no
    city-model keys."""
    present = [k for k in SCENE_KEYS if k in sd]
    if not present:
        return None
    if "cityjson" not in sd:
        raise r.error(_join("scene", present[0]), "lod and crop apply to a city model: add "
                      "cityjson = [\"tile.city.json\", ...]")
    for other in ("mesh", "builtin", "params"):
        if other in sd:
            raise r.error(_join("scene", other), "give either cityjson or mesh / builtin, "
                          "not both")
    raw = sd["cityjson"]
    if isinstance(raw, list):
        files = [r.file(f, f"scene.cityjson[{i}]")
                 for i, f in enumerate(r.strs(raw, "scene.cityjson"))]
    else:
        files = [r.file(raw, "scene.cityjson")]
    if not files:
        raise r.error("scene.cityjson", "expected at least one CityJSON file")
    lod = None
    if "lod" in sd:
        v = sd["lod"]
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise r.error("scene.lod", "expected a level of detail such as \"2.2\" or 1")
        lod = format(float(v), "g") if isinstance(v, (int, float)) else v
    kw: dict[str, Any] = {}
    if "crop" in sd:
        c = r.table(sd["crop"], "scene.crop", CROP_KEYS)
        if ("bbox" in c) == ("polygon" in c):
            raise r.error("scene.crop", "give exactly one of bbox = [xmin, ymin, xmax, ymax] and "
                          "polygon = [[x, y], ...] (or the name of an area)")
        if "bbox" in c:
            bb = r.vec(c["bbox"], "scene.crop.bbox", 4)
            if not (bb[2] > bb[0] and bb[3] > bb[1]):
                raise r.error("scene.crop.bbox", f"expected [xmin, ymin, xmax, ymax] with max > "
                              f"min, got {list(bb)}")
            kw["crop_bbox"] = bb
        elif isinstance(c["polygon"], str):
            kw["crop_area"] = c["polygon"]
        else:
            kw["crop_polygon"] = r.points(c["polygon"], "scene.crop.polygon", 2, 3)
        if "margin" in c:
            kw["margin"] = r.num(c["margin"], "scene.crop.margin", lo=0.0)
    group = r.str(sd["group"], "scene.group") if "group" in sd else None
    return m.GeometrySpec(builtin=CITY_MODEL, params=city_params(files, lod, **kw), group=group)


def observer_spec(r, d: dict, key: str) -> m.ObserverSpec:
    """An ``[[observers]]`` table with ``semantic`` and / or ``generate``."""
    r.table(d, key, CITY_OBSERVER_KEYS, ("name",))
    kw: dict[str, Any] = dict(name=r.str(d["name"], _join(key, "name")))
    if "semantic" in d:
        sem = r.strs(d["semantic"], _join(key, "semantic"))
        for i, s in enumerate(sem):
            r.str(s, _join(key, f"semantic[{i}]"), ("Window", "Door"))
        if not sem:
            raise r.error(_join(key, "semantic"), "expected [\"Window\"], [\"Door\"] or both")
        kw["semantic"] = sem
    if "generate" in d:
        gk = _join(key, "generate")
        g = r.table(d["generate"], gk, GENERATE_KEYS)
        gen: dict[str, Any] = {}
        for k in ("storey_height", "spacing"):
            if k in g:
                gen[k] = r.num(g[k], _join(gk, k), lo=0.0, lo_open=True)
        for k in ("sill_height", "min_width", "eye_offset"):
            if k in g:
                gen[k] = r.num(g[k], _join(gk, k), lo=0.0)
        if "ground_floor" in g:
            gen["ground_floor"] = r.bool(g["ground_floor"], _join(gk, "ground_floor"))
        if "facing" in g:
            gen["facing"] = r.str(g["facing"], _join(gk, "facing"))
        if "max_distance" in g:
            if "facing" not in g:
                raise r.error(_join(gk, "max_distance"), "max_distance needs facing = \"<area>\"")
            gen["max_distance"] = r.num(g["max_distance"], _join(gk, "max_distance"), lo=0.0,
                                        lo_open=True)
        if "groups" in g:
            gen["groups"] = r.strs(g["groups"], _join(gk, "groups"))
        kw["generate"] = gen
    kw.update(observer_view(r, d, key))
    return m.ObserverSpec(**kw)


def observer_view(r, d: dict, key: str) -> dict[str, float]:
    """``weight``, ``fov`` and the longest sightline of an ``[[observers]]`` entry, as
    :class:`~cpted_sim.scenario.model.ObserverSpec` keywords.

    The longest sightline is ``max_distance`` [m], the library's one name for a distance limit
    (docs/architecture.md §10); ``range``, its old name, is read for one release with a
    :class:`DeprecationWarning` naming the file and line.
    """
    kw: dict[str, float] = {}
    if "weight" in d:
        kw["weight"] = r.num(d["weight"], _join(key, "weight"), lo=0.0)
    if "fov" in d:
        kw["fov"] = r.num(d["fov"], _join(key, "fov"), lo=0.0, hi=360.0, lo_open=True)
    if "range" in d and "max_distance" in d:
        raise r.error(_join(key, "range"), "give max_distance only (range is its old name)")
    if "max_distance" in d:
        kw["range"] = r.num(d["max_distance"], _join(key, "max_distance"), lo=0.0, lo_open=True)
    if "range" in d:
        kw["range"] = r.num(d["range"], _join(key, "range"), lo=0.0, lo_open=True)
        line = r.index.line_of(_join(key, "range"))
        warnings.warn(f"{r.path}{f' line {line}' if line else ''}: {_join(key, 'range')} is "
                      "deprecated and will be removed in the next release: write max_distance",
                      ScenarioDeprecationWarning, stacklevel=4)
    return kw


def _city_geometries(sc: m.Scenario):
    if sc.scene.geometry.builtin == CITY_MODEL:
        yield sc.scene.geometry, "scene.cityjson", sc.scene.origin
    for i, v in enumerate(sc.variants):
        for j, ch in enumerate(v.changes):
            if isinstance(ch, m.AddGeometry) and ch.geometry.builtin == CITY_MODEL:
                yield ch.geometry, f"variants[{i}].changes[{j}]", None


def load_city_assets(sc: m.Scenario, r, assets) -> dict:
    """Load the city models a scenario names (keyed by :func:`city_asset_key`) and check the
    areas its crop and window rules name; errors name the key and line."""
    out: dict = {}
    for i, o in enumerate(sc.observers):
        facing = (o.generate or {}).get("facing")
        if facing is not None:
            try:
                facing_polygon(sc, facing, f"observers {o.name!r}")
            except CptedError as exc:
                raise r.error(f"observers[{i}].generate.facing", str(exc)) from None
    for g, key, origin in _city_geometries(sc):
        akey = city_asset_key(g.params)
        if akey in assets or akey in out:
            continue
        from .citymodel import load_city_model

        p = g.params
        crop = None
        if "crop_bbox" in p:
            crop = {"bbox": list(p["crop_bbox"])}
        elif "crop_polygon" in p:
            crop = {"polygon": [list(q) for q in p["crop_polygon"]]}
        elif "crop_area" in p:
            try:
                crop = {"polygon": facing_polygon(sc, p["crop_area"], "crop.polygon")}
            except CptedError as exc:
                raise r.error("scene.crop.polygon", str(exc)) from None
        try:
            out[akey] = load_city_model(list(p["files"]), lod=p.get("lod"), crop=crop,
                                        margin=p.get("margin", 0.0), origin=origin)
        except CptedError as exc:
            raise r.error(key, f"cannot load the city model: {exc}") from None
    return out


# ---------------------------------------------------------------------- writing
def geometry_out(g: m.GeometrySpec, rel) -> dict | None:
    """The ``[scene]`` keys of a city-model geometry (None for any other geometry); ``rel``
    makes a path relative to where the file is written."""
    if g.builtin != CITY_MODEL:
        return None
    p = g.params
    crop: dict[str, Any] = {}
    if "crop_bbox" in p:
        crop["bbox"] = list(p["crop_bbox"])
    elif "crop_polygon" in p:
        crop["polygon"] = [list(q) for q in p["crop_polygon"]]
    elif "crop_area" in p:
        crop["polygon"] = p["crop_area"]
    if crop and p.get("margin"):
        crop["margin"] = p["margin"]
    return {"cityjson": [rel(f) for f in p["files"]], "lod": p.get("lod"),
            "crop": crop or None, "group": g.group}


def observer_out(o: m.ObserverSpec) -> dict | None:
    """The ``[[observers]]`` keys of a city-model observer set (None for any other)."""
    if not (o.semantic or o.generate is not None):
        return None
    gen = None if o.generate is None else {
        k: list(v) if isinstance(v, tuple) else v for k, v in o.generate.items()}
    return {"name": o.name, "semantic": list(o.semantic) or None,
            "generate": gen, "weight": o.weight, "fov": o.fov, "max_distance": o.range}
