"""Writing scenario files: the TOML text of a base scenario with its variants.

Paths of meshes and photometric files are written relative to the file's folder, so a
scenario and its assets move together. Reading is in :mod:`cpted_sim.io.scenario_file`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ScenarioFileError
from ..geometry.scene import Material
from ..scenario import model as m
from . import _scenario_city
from ._scenario_hours import add_hours_keys
from ._toml import dumps

__all__ = ["dumps_scenario", "save_scenario"]


def _rel(p: str, base: Path) -> str:
    try:
        return Path(os.path.relpath(p, base)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(p).as_posix()


def _phot_out(ps: m.PhotometrySpec, base: Path):
    return _rel(ps.file, base) if ps.file else {"builtin": ps.builtin, **ps.params}


def _geom_out(g: m.GeometrySpec, base: Path) -> dict:
    city = _scenario_city.geometry_out(g, lambda f: _rel(f, base))
    if city is not None:
        return city
    return {"mesh": _rel(g.mesh, base) if g.mesh else None, "builtin": g.builtin,
            "params": dict(g.params) if g.params else None, "group": g.group}


def _lum_out(lum: m.LuminaireSpec, base: Path) -> dict:
    return {"name": lum.name, "photometry": _phot_out(lum.photometry, base),
            "position": list(lum.position), "azimuth": lum.azimuth, "tilt": lum.tilt,
            "spin": lum.spin, "maintenance_factor": lum.maintenance_factor,
            "flux_scale": lum.flux_scale, "height_reference": lum.height_reference}


def _pts(v):
    return None if v is None else [list(p) for p in v]


def _area_out(a: m.AreaSpec) -> dict:
    return {"name": a.name, "kind": a.kind, "class": a.lighting_class, "polygon": _pts(a.polygon),
            "path": _pts(a.path), "groups": list(a.groups) or None, "spacing": a.spacing,
            "height": a.height, "quantities": list(a.quantities) or None,
            "facing": list(a.facing) if a.facing else None, "dark_lx": a.dark_lx,
            "height_reference": a.height_reference}


def _obs_out(o: m.ObserverSpec) -> dict:
    city = _scenario_city.observer_out(o)
    if city is not None:
        return city
    return {"name": o.name, "kind": o.kind, "tag": o.tag, "groups": list(o.groups) or None,
            "points": _pts(o.points), "path": _pts(o.path), "weight": o.weight, "fov": o.fov,
            "max_distance": o.range, "spacing": o.spacing, "height": o.height,
            "height_reference": o.height_reference}


def _mat_out(mat: Material) -> dict:
    return {"reflectance": mat.reflectance, "light_transmittance": mat.light_transmittance,
            "sight_transmittance": mat.sight_transmittance, "tags": list(mat.tags)}


def _change_out(ch, base: Path) -> dict:
    op = {"op": ch.op}
    if isinstance(ch, m.AddLuminaire):
        return {**op, **_lum_out(ch.luminaire, base)}
    if isinstance(ch, m.AddGeometry):
        return {**op, **_geom_out(ch.geometry, base)}
    if isinstance(ch, m.AddObservers):
        return {**op, **_obs_out(ch.observers)}
    if isinstance(ch, m.ReplacePhotometry):
        return {**op, "name": ch.name, "photometry": _phot_out(ch.photometry, base)}
    out = dict(op)
    for k, v in m.spec_fields(ch).items():
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


def dumps_scenario(scenario: m.Scenario, base_dir=None) -> str:
    """TOML text of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        A base scenario; an applied variant keeps no record of its changes and is refused.
    base_dir : str or Path, optional
        Folder that mesh and photometry paths are written relative to (default: cwd).

    Raises
    ------
    ScenarioFileError
        ``scenario`` has a variant applied.
    """
    if scenario.removed_groups or scenario.added_geometry or scenario.variant != "base":
        raise ScenarioFileError(f"scenario {scenario.name!r} is variant {scenario.variant!r} "
                                "applied; write the base scenario (its variants come along)")
    base = Path(base_dir or Path.cwd()).resolve()
    sc = scenario
    scene = {**_geom_out(sc.scene.geometry, base),
             "origin": list(sc.scene.origin) if sc.scene.origin else None,
             "epsg": sc.scene.epsg, "name": sc.scene.name,
             "walkable": None if sc.scene.walkable is None else list(sc.scene.walkable),
             "max_slope_deg": sc.scene.max_slope_deg}
    data = {
        "name": sc.name, "description": sc.description or None, "scene": scene,
        "materials": {g: _mat_out(mat) for g, mat in sc.materials.items()} or None,
        "thresholds": m.spec_fields(sc.thresholds),
        "run": m.spec_fields(sc.settings),
        "luminaires": [_lum_out(x, base) for x in sc.luminaires] or None,
        "areas": [_area_out(a) for a in sc.areas] or None,
        "observers": [_obs_out(o) for o in sc.observers] or None,
        "variants": [{"name": v.name, "description": v.description or None,
                      "changes": [_change_out(c, base) for c in v.changes] or None}
                     for v in sc.variants] or None,
    }
    data, extra = add_hours_keys(data, sc)  # issue 18: schedules, presence, obtrusive, power
    return dumps(data, sections=("scene", "materials", "thresholds", "run") + extra)


def save_scenario(scenario: m.Scenario, path) -> Path:
    """Write ``scenario`` (the base, with its variants) as a TOML file.

    Parameters
    ----------
    scenario : Scenario
        A base scenario (not one with a variant applied).
    path : str or Path
        The file to write; asset paths are written relative to its folder.

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    p.write_text(dumps_scenario(scenario, base_dir=p.resolve().parent), encoding="utf-8")
    return p
