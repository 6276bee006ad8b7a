"""Scenario-file keys of terrain: ``height_reference`` (areas, observers, luminaires) and
``[scene] walkable``, ``max_slope_deg`` (layer L6).

:func:`split_terrain_keys` takes these keys out of the parsed TOML before the main reader sees
it (so its tables stay strict) and checks them; :func:`apply_terrain_keys` puts them on the
:class:`~cpted_sim.scenario.model.Scenario` the main reader built. Keys are documented in
``docs/scenario_files.md`` ("Terrain and heights").
"""

from __future__ import annotations

from dataclasses import replace

from ..scenario import model as m
from ._scenario_walk import walk_changes, walk_items

__all__ = ["split_terrain_keys", "apply_terrain_keys", "SCENE_TERRAIN_KEYS"]

SCENE_TERRAIN_KEYS = ("walkable", "max_slope_deg")


def _reference(r, d: dict, key: str):
    if "height_reference" not in d:
        return None
    return r.str(d.pop("height_reference"), f"{key}.height_reference", m.HEIGHT_REFERENCES)


def split_terrain_keys(r, data: dict) -> tuple[dict, dict]:
    """``(data without the terrain keys, the terrain keys by item)``; ``r`` is the reader."""
    out: dict = {"scene": {}, "areas": {}, "observers": {}, "luminaires": {}, "changes": {}}
    scene = data.get("scene")
    if isinstance(scene, dict):
        scene = dict(scene)
        if "walkable" in scene:
            out["scene"]["walkable"] = r.strs(scene.pop("walkable"), "scene.walkable")
        if "max_slope_deg" in scene:
            out["scene"]["max_slope_deg"] = r.num(scene.pop("max_slope_deg"),
                                                  "scene.max_slope_deg", lo=0.0, hi=90.0)
        data = {**data, "scene": scene}
    for what in ("areas", "observers", "luminaires"):
        def visit(i, d, what=what):
            ref = _reference(r, d, f"{what}[{i}]")
            if ref is not None:
                out[what][i] = ref
        data = walk_items(data, what, visit)

    def visit_change(i, j, c):
        ref = _reference(r, c, f"variants[{i}].changes[{j}]")
        if ref is not None:
            out["changes"][(i, j)] = ref
    data = walk_changes(data, ("add_observers", "add_luminaire"), visit_change)
    return data, out


def apply_terrain_keys(terrain: dict, sc: m.Scenario) -> m.Scenario:
    """The scenario with the keys of :func:`split_terrain_keys` set."""
    scene = replace(sc.scene, **terrain["scene"]) if terrain["scene"] else sc.scene
    areas = tuple(replace(a, height_reference=terrain["areas"][i])
                  if i in terrain["areas"] else a for i, a in enumerate(sc.areas))
    observers = tuple(replace(o, height_reference=terrain["observers"][i])
                      if i in terrain["observers"] else o for i, o in enumerate(sc.observers))
    luminaires = tuple(replace(x, height_reference=terrain["luminaires"][i])
                       if i in terrain["luminaires"] else x for i, x in enumerate(sc.luminaires))
    variants = []
    for i, v in enumerate(sc.variants):
        changes = tuple(_with_reference(c, terrain["changes"][(i, j)])
                        if (i, j) in terrain["changes"] else c for j, c in enumerate(v.changes))
        variants.append(replace(v, changes=changes))
    return replace(sc, scene=scene, areas=areas, observers=observers, luminaires=luminaires,
                   variants=tuple(variants))


def _with_reference(change, ref: str):
    if isinstance(change, m.AddLuminaire):
        return m.AddLuminaire(replace(change.luminaire, height_reference=ref))
    return m.AddObservers(replace(change.observers, height_reference=ref))
