"""City models and their windows in scenarios, as data (layer L5; no file I/O).

A scenario's scene may be a set of CityJSON / 3D BAG files (:class:`CityModelSpec`, carried
as ``GeometrySpec(builtin="city_model", params=...)`` and loaded by
:mod:`cpted_sim.io._scenario_city`); an observer set may take its eyes from the model's
``Window`` / ``Door`` surfaces or generate windows on the walls by a rule
(:func:`city_observers`, called by :func:`cpted_sim.scenario.run.build_observers`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..geometry.scene import Scene

__all__ = ["CITY_MODEL", "RULE_KEYS", "GENERATE_KEYS", "city_params", "city_asset_key",
           "city_scene",
           "city_observers", "facing_polygon"]

#: ``GeometrySpec.builtin`` of a scene read from city-model files.
CITY_MODEL = "city_model"
#: Keys of ``generate = {...}`` that go into :class:`cpted_sim.visibility.openings.WindowRule`.
RULE_KEYS = ("storey_height", "spacing", "ground_floor", "sill_height", "min_width",
             "eye_offset")
#: Every key of ``generate = {...}``.
GENERATE_KEYS = RULE_KEYS + ("facing", "max_distance", "groups")


def city_params(files, lod=None, crop_bbox=None, crop_polygon=None, crop_area=None,
                margin: float = 0.0) -> dict[str, Any]:
    """The ``params`` of a city-model ``GeometrySpec`` (plain, comparable data)."""
    if not files:
        raise ParameterError("city model: expected at least one CityJSON file")
    if sum(x is not None for x in (crop_bbox, crop_polygon, crop_area)) > 1:
        raise ParameterError("city model crop: give one of bbox, polygon and area")
    out: dict[str, Any] = {"files": tuple(str(f) for f in files)}
    if lod is not None:
        out["lod"] = str(lod)
    if crop_bbox is not None:
        out["crop_bbox"] = tuple(float(v) for v in crop_bbox)
    if crop_polygon is not None:
        out["crop_polygon"] = tuple(tuple(float(c) for c in p) for p in crop_polygon)
    if crop_area is not None:
        out["crop_area"] = str(crop_area)
    if margin:
        out["margin"] = float(margin)
    return out


def city_asset_key(params: Mapping[str, Any]) -> str:
    """Key of the loaded city scene in ``Scenario.assets``."""
    return "city_model?" + "&".join(f"{k}={params[k]}" for k in sorted(params))


def _area(scenario, name: str, what: str):
    names = [a.name for a in scenario.areas]
    for a in scenario.areas:
        if a.name == name:
            return a
    near = difflib.get_close_matches(name, names, n=2, cutoff=0.6)
    hint = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
    raise ParameterError(f"{what}: no area is named {name!r}{hint}; areas: {names}")


def facing_polygon(scenario, name: str, what: str) -> np.ndarray:
    """(m, 2) outline of the named area: its polygon, or for a route its path."""
    a = _area(scenario, name, what)
    ring = a.polygon if a.polygon is not None else a.path
    if ring is None:
        raise ParameterError(f"{what}: area {name!r} has no polygon or path to face")
    return np.asarray(ring, dtype=np.float64)[:, :2]


def city_observers(spec, scene: Scene, scenario):
    """Observers of an ``ObserverSpec`` with ``semantic`` and / or ``generate``.

    ``semantic`` (``("Window", "Door")``) takes the model's opening surfaces where it has any;
    otherwise ``generate`` lays windows on the walls by its rule, facing the named area. A
    model without openings and no ``generate`` is an error.
    """
    from ..visibility.openings import (WindowRule, generate_windows, opening_groups,
                                       semantic_openings)

    what = f"observers {spec.name!r}"
    common = dict(fov=spec.fov, max_distance=spec.range, weight=spec.weight)
    if spec.semantic:
        found = opening_groups(scene, spec.semantic)
        if any(found.values()):
            return semantic_openings(scene, spec.semantic, **common)
        if spec.generate is None:
            raise ParameterError(f"{what}: the model has no {'/'.join(spec.semantic)} surfaces "
                                 f"(LoD 3 only; 3D BAG and 3dfier models have none); add "
                                 f"generate = {{ storey_height = 3, spacing = 4, ... }}")
    g = dict(spec.generate or {})
    rule = WindowRule(**{k: g[k] for k in RULE_KEYS if k in g})
    facing = g.get("facing")
    poly = None if facing is None else facing_polygon(scenario, facing, f"{what}.generate.facing")
    groups = g.get("groups")
    if groups:
        missing = [x for x in groups if x not in scene.groups]
        if missing:
            raise ParameterError(f"{what}.generate.groups: {missing} are not groups of the "
                                 f"scene; groups: {list(scene.groups)[:12]}")
    obs = generate_windows(scene, rule, groups=list(groups) if groups else None, facing=poly,
                           max_distance=g.get("max_distance"), fov=spec.fov, range=spec.range,
                           weight=spec.weight)
    return obs


def city_scene(g, assets, origin=None) -> Scene:
    """The loaded city scene of a ``GeometrySpec(builtin="city_model")`` (from ``assets``)."""
    key = city_asset_key(g.params)
    if key not in assets:
        raise ParameterError(f"the city model {list(g.params.get('files', ()))} is not loaded; "
                             f"read the scenario with cpted_sim.load_scenario, or put the Scene "
                             f"in scenario.assets under {key!r}")
    scene = assets[key]
    moved = origin is not None and not np.allclose(origin, scene.origin)
    if g.group is None and not moved:
        return scene
    groups = (np.array(scene.groups, dtype=object)[scene.face_group] if g.group is None
              else np.full(scene.n_faces, g.group, dtype=object))
    return Scene.from_arrays(scene.to_world(scene.vertices), scene.faces, groups.astype(str),
                             origin=origin if moved else scene.origin,
                             materials=scene.materials if g.group is None else None,
                             epsg=scene.epsg, name=scene.name)
