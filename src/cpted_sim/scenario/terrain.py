"""Terrain and the "no silent traps" checks of a scenario run (layer L5).

:func:`cpted_sim.scenario.run.run` calls these: grids, routes and observer paths are put on
the walkable surface (:mod:`cpted_sim.geometry.drape`) according to their
``height_reference``; names that match nothing are errors with a did-you-mean; points and
observers below the surface or inside buildings, luminaires inside or just behind a surface and
areas outside the scene are :class:`~cpted_sim.errors.CptedWarning` with counts. The run
collects those warnings into :attr:`ScenarioResult.warnings`.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np

from ..errors import CptedWarning, ParameterError
from ..geometry.drape import (DEFAULT_MAX_SLOPE_DEG, drape_grid, inside_volumes,
                              surface_below)
from ..geometry.grid import CalculationGrid
from ..geometry.query import closest_hit
from ..geometry.scene import DEFAULT_MATERIAL, Scene
from . import model as m

__all__ = ["height_reference", "place_grid", "route_polyline", "place_path_observers",
           "place_luminaires", "check_observers",
           "check_names", "check_luminaires", "check_extent", "check_crs", "did_you_mean",
           "BELOW_TOLERANCE", "LUMINAIRE_CLEARANCE"]

#: A point this far [m] under the walkable surface counts as below it.
BELOW_TOLERANCE = 0.02
#: A draped point this far [m] above its area's median surface is reported (a roof?).
ROOF_STEP = 2.5
#: A luminaire centre nearer than this [m] to a surface is reported.
LUMINAIRE_CLEARANCE = 0.05


def _warn(msg: str) -> None:
    warnings.warn(msg, CptedWarning, stacklevel=3)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def height_reference(spec, scenario: m.Scenario) -> str:
    """The height reference of an area or observer set: its own, else the scenario's default.

    Mesh files and city models (real places) default to ``"surface"``; built-in scenes to
    ``"absolute"``, so the demo and the synthetic scenes keep their numbers.
    """
    ref = getattr(spec, "height_reference", None)
    if ref is not None:
        return ref
    g = scenario.scene.geometry
    return "surface" if g.mesh is not None or g.builtin == "city_model" else "absolute"


def _walk(scenario: m.Scenario):
    s = scenario.scene
    return dict(walkable=None if s.walkable is None else list(s.walkable),
                max_slope_deg=DEFAULT_MAX_SLOPE_DEG if s.max_slope_deg is None
                else s.max_slope_deg)


def volume_groups(scene: Scene, scenario: m.Scenario) -> list[str] | None:
    """Groups that bound closed volumes: every group that is not walkable (None: all)."""
    w = scenario.scene.walkable
    if w is None:
        return None
    rest = [g for g in scene.groups if g not in set(w)]
    return rest


def _pct(k: int, n: int) -> str:
    return f"{k} of {n} ({100.0 * k / max(n, 1):.0f} %)"


def place_grid(area: m.AreaSpec, grid: CalculationGrid, scene: Scene,
               scenario: m.Scenario) -> tuple[CalculationGrid, int]:
    """Put an area's grid on its height reference and take out the points inside buildings.

    Returns
    -------
    grid : CalculationGrid
        The points kept.
    excluded : int
        How many points lie inside closed geometry (left out of the statistics).
    """
    if area.kind == "facade":
        return grid, 0
    ref = height_reference(area, scenario)
    walk = _walk(scenario)
    if ref != "absolute":
        grid = drape_grid(grid, scene, area.height, reference=ref, **walk)
        low = np.zeros(grid.n_points, dtype=bool)
        z = grid.points[:, 2] - area.height
        high = z > np.median(z) + ROOF_STEP
        if ref == "surface" and high.any():
            _warn(f"area {area.name!r}: {_pct(int(high.sum()), grid.n_points)} points lie on "
                  f"surfaces more than {ROOF_STEP:g} m above the area's median (roofs over a "
                  "hole in the terrain?); name the ground in [scene] walkable")
    else:
        z = surface_below(scene, grid.points[:, :2], **walk)
        low = np.isfinite(z) & (grid.points[:, 2] < z - BELOW_TOLERANCE)
        if low.any():
            _warn(f"area {area.name!r}: {_pct(int(low.sum()), grid.n_points)} points lie below "
                  f"the walkable surface (up to {float(np.max(z[low] - grid.points[low, 2])):.2f}"
                  " m); they get no light. Use height_reference = \"surface\"")
    # a point under the surface is reported above; the vote would take the ground for a roof
    inside = np.zeros(grid.n_points, dtype=bool)
    inside[~low] = inside_volumes(scene, grid.points[~low], groups=volume_groups(scene, scenario))
    k = int(inside.sum())
    if k == 0:
        return grid, 0
    if k == grid.n_points:
        raise ParameterError(f"area {area.name!r}: all {k} points lie inside closed geometry "
                             "(buildings); check its polygon or path and its height")
    _warn(f"area {area.name!r}: {_pct(k, grid.n_points)} points lie inside buildings; they "
          "are left out of the statistics")
    keep = np.nonzero(~inside)[0]

    def take(a):
        return None if a is None else a[keep]

    grid = replace(grid, points=np.ascontiguousarray(grid.points[keep]),
                   normals=take(grid.normals), raster_index=take(grid.raster_index),
                   areas=take(grid.areas), face_index=take(grid.face_index))
    return grid, k


def route_polyline(area: m.AreaSpec, scene: Scene, scenario: m.Scenario) -> np.ndarray:
    """A route's polyline for concealment: (m, 2) as given for absolute heights, else (m, 3)
    sampled every metre and put ``height`` above the walkable surface."""
    path = np.asarray(area.path, dtype=np.float64)
    ref = height_reference(area, scenario)
    if ref == "absolute":
        return path
    pts = [path[:1]]
    for a, b in zip(path[:-1], path[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a))))
        pts.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    xy = np.vstack(pts)
    z = surface_below(scene, xy, reference=ref, **_walk(scenario))
    ok = np.isfinite(z)
    if ok.sum() < 2:
        return path
    return np.column_stack([xy[ok], z[ok] + area.height])


def place_path_observers(spec: m.ObserverSpec, obs, scene: Scene, scenario: m.Scenario):
    """Observers of a path put ``height`` (default 1.6 m) above the walkable surface."""
    ref = height_reference(spec, scenario)
    if ref == "absolute" or obs.n == 0:
        return obs
    eye = 1.6 if spec.height is None else spec.height
    z = surface_below(scene, obs.positions[:, :2], reference=ref, **_walk(scenario))
    ok = np.isfinite(z)
    if not ok.all():
        _warn(f"observers {spec.name!r}: {_pct(int((~ok).sum()), obs.n)} walkers have no "
              "walkable surface below; they are left out")
    pos = obs.positions.copy()
    pos[ok, 2] = z[ok] + eye
    obs = replace(obs, positions=pos)
    return obs.subset(np.nonzero(ok)[0])


def check_observers(obs, scene: Scene, scenario: m.Scenario, names=None):
    """Leave out observers inside buildings or below the surface, with one warning each."""
    if obs is None or obs.n == 0:
        return obs
    walk = _walk(scenario)
    z = surface_below(scene, obs.positions[:, :2], **walk)
    below = np.isfinite(z) & (obs.positions[:, 2] < z - BELOW_TOLERANCE)
    inside = ~below & inside_volumes(scene, obs.positions, groups=volume_groups(scene, scenario))
    what = "observers" if names is None else f"observers {names}"
    if below.any():
        _warn(f"{what}: {_pct(int(below.sum()), obs.n)} eyes lie below the walkable surface; "
              "they are left out")
    if inside.any():
        _warn(f"{what}: {_pct(int(inside.sum()), obs.n)} eyes lie inside buildings; they are "
              "left out (observers from groups sit at face centres: use windows or doors)")
    d = np.asarray(obs.directions, dtype=np.float64)
    steep = (np.abs(d[:, 2]) > np.cos(np.radians(45.0))) & (np.asarray(obs.fov) < 360.0) & ~below \
        & ~inside
    if steep.any():
        _warn(f"{what}: {_pct(int(steep.sum()), obs.n)} eyes look up or down (faces of roofs or "
              "floors?); they cannot watch the street. Windows and doors lie on walls")
    bad = below | inside
    if bad.all():
        raise ParameterError(f"{what}: all {obs.n} eyes lie inside buildings or below the "
                             "surface; no observer is left")
    return obs.subset(np.nonzero(~bad)[0]) if bad.any() else obs


def check_names(scenario: m.Scenario, scene: Scene) -> None:
    """Tags, groups and material names that match nothing: errors with a did-you-mean.

    A tag must be carried by some material of the scene; a group or a material's group must be
    a group of the scene or one its variants add (a variant that removed the group's faces is
    not an error; materials are checked on the base scenario).
    """
    removed = set(scenario.removed_groups)
    added = [ch.geometry for v in scenario.variants for ch in v.changes
             if isinstance(ch, m.AddGeometry)]
    known = set(scene.groups) | removed | {g.group for g in added if g.group is not None}
    if any(g.group is None for g in added):
        known |= set(scenario.materials)        # groups a variant's mesh brings: not known yet
    tags = sorted({t for g in scene.groups
                   for t in scene.materials.get(g, DEFAULT_MATERIAL).tags}
                  | {t for mat in scenario.materials.values() for t in mat.tags})
    for o in scenario.observers:
        if o.tag is not None and o.tag not in tags:
            hint = (f"the scene's tags: {tags}" if tags else "no material of the scene has "
                    "tags; give [materials.<group>] tags = [\"window\"]")
            raise ParameterError(f"observers {o.name!r}: tag {o.tag!r} matches no material"
                                 f"{did_you_mean(o.tag, tags)}; {hint}")
        for g in o.groups:
            if g not in known:
                raise ParameterError(f"observers {o.name!r}: group {g!r} is not in the scene"
                                     f"{did_you_mean(g, scene.groups)}; groups: "
                                     f"{list(scene.groups)}")
    for a in scenario.areas:
        for g in a.groups:
            if g not in known:
                raise ParameterError(f"area {a.name!r}: group {g!r} is not in the scene"
                                     f"{did_you_mean(g, scene.groups)}; groups: "
                                     f"{list(scene.groups)}")
    for g in scenario.materials if scenario.variant == "base" else ():
        if g not in known:        # (a variant forgets the groups its siblings add)
            raise ParameterError(f"materials: group {g!r} is not in the scene"
                                 f"{did_you_mean(g, scene.groups)}; groups: {list(scene.groups)}")
    for g in scenario.scene.walkable or ():
        if g not in scene.groups:
            raise ParameterError(f"scene.walkable: group {g!r} is not in the scene"
                                 f"{did_you_mean(g, scene.groups)}; groups: {list(scene.groups)}")


def _directions() -> np.ndarray:
    d = np.array([[x, y, z] for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)
                  if (x, y, z) != (0, 0, 0)], dtype=np.float64)
    return d / np.linalg.norm(d, axis=1)[:, None]


def place_luminaires(scenario: m.Scenario, scene: Scene) -> tuple[m.LuminaireSpec, ...]:
    """The luminaire specs with ``position[2]`` above the walkable surface turned into world z
    for those whose ``height_reference`` is ``"surface"`` or ``"deck"`` (pole feet).

    Raises
    ------
    ParameterError
        A pole stands where there is no walkable surface (the message names the luminaires).
    """
    out = list(scenario.luminaires)
    for ref in ("surface", "deck"):
        idx = [i for i, s in enumerate(out) if s.height_reference == ref]
        if not idx:
            continue
        xy = np.array([out[i].position[:2] for i in idx], dtype=np.float64)
        z = surface_below(scene, xy, reference=ref, **_walk(scenario))
        missing = [out[i].name for i, zi in zip(idx, z) if not np.isfinite(zi)]
        if missing:
            raise ParameterError(f"luminaires {missing[:10]}: no walkable surface under the "
                                 f"pole ({len(missing)} of {len(idx)} with height_reference "
                                 f"= {ref!r}); check their x, y and [scene] walkable")
        for i, zi in zip(idx, z):
            x, y, h = out[i].position
            out[i] = replace(out[i], position=(x, y, float(zi) + h), height_reference="absolute")
    return tuple(out)


def check_luminaires(scenario: m.Scenario, scene: Scene, luminaires=None) -> None:
    """Warn about luminaires whose centre is below the walkable surface, inside a building, or
    within 5 cm behind a surface (on the side its normal points away from; 26 short rays)."""
    lums = scenario.luminaires if luminaires is None else luminaires
    if not lums or scene.n_faces == 0:
        return
    pos = np.array([np.asarray(lum.position, dtype=np.float64) for lum in lums])
    names = [lum.name for lum in lums]
    dirs = _directions()
    o = np.repeat(pos, dirs.shape[0], axis=0)
    d = np.tile(dirs, (pos.shape[0], 1))
    t, f = closest_hit(scene, o, d, max_distance=LUMINAIRE_CLEARANCE, offset=0.0)
    # behind a face: the ray leaves through its back (direction along the face's normal)
    behind = np.zeros(t.shape[0], dtype=bool)
    hit = f >= 0
    behind[hit] = np.einsum("ij,ij->i", d[hit], scene.face_normals[f[hit]]) > 0.0
    near = behind.reshape(pos.shape[0], -1).any(axis=1)
    z = surface_below(scene, pos[:, :2], **_walk(scenario))
    low = np.isfinite(z) & (pos[:, 2] < z - BELOW_TOLERANCE)
    inside = np.zeros(pos.shape[0], dtype=bool)
    inside[~low] = inside_volumes(scene, pos[~low], groups=volume_groups(scene, scenario))
    bad_low = [n for n, b in zip(names, low) if b]
    bad_in = [n for n, b in zip(names, inside) if b]
    bad_near = [n for n, b, i in zip(names, near, inside | low) if b and not i]
    if bad_low:
        _warn(f"luminaires: {len(bad_low)} of {len(names)} centres lie below the walkable "
              f"surface, their light is blocked: {bad_low[:10]}")
    if bad_in:
        _warn(f"luminaires: {len(bad_in)} of {len(names)} centres lie inside buildings, their "
              f"light is blocked: {bad_in[:10]}")
    if bad_near:
        _warn(f"luminaires: {len(bad_near)} of {len(names)} centres lie within "
              f"{LUMINAIRE_CLEARANCE * 100:.0f} cm behind a surface, their light is blocked "
              f"on that side: {bad_near[:10]}")


def check_extent(scenario: m.Scenario, scene: Scene) -> None:
    """Areas and routes outside the scene's plan bounding box: a warning, or an error if wholly
    outside."""
    if scene.n_faces == 0:
        return
    lo, hi = scene.bounds[0, :2], scene.bounds[1, :2]
    items = [(f"area {a.name!r}", a.polygon if a.polygon is not None else a.path)
             for a in scenario.areas if a.kind != "facade"]
    items += [(f"observers {o.name!r}", o.path) for o in scenario.observers
              if o.path is not None]
    for what, pts in items:
        if pts is None:
            continue
        p = np.asarray(pts, dtype=np.float64)[:, :2]
        out = np.any((p < lo - 1e-6) | (p > hi + 1e-6), axis=1)
        if np.any(p.max(axis=0) < lo) or np.any(p.min(axis=0) > hi):
            raise ParameterError(
                f"{what} lies outside the scene: its points span x {p[:, 0].min():.1f}.."
                f"{p[:, 0].max():.1f}, y {p[:, 1].min():.1f}..{p[:, 1].max():.1f}; the "
                f"scene spans x {lo[0]:.1f}..{hi[0]:.1f}, y {lo[1]:.1f}..{hi[1]:.1f} "
                "(check the coordinates and the CRS)")
        if out.any():
            _warn(f"{what}: {_pct(int(out.sum()), out.size)} vertices lie outside the scene's "
                  f"bounding box (x {lo[0]:.1f}..{hi[0]:.1f}, y {lo[1]:.1f}..{hi[1]:.1f})")


def check_crs(layers: Mapping[str, int | None], scene_epsg: int | None) -> int | None:
    """The check hook for vector layers' coordinate systems.

    Parameters
    ----------
    layers : mapping str -> int or None
        EPSG code of each layer by name (None: the layer states none).
    scene_epsg : int or None
        The scene's EPSG code.

    Returns
    -------
    int or None
        The common EPSG code (the scene's when it has one).

    Raises
    ------
    ParameterError
        Layers in different CRSs with no scene CRS to transform them into.
    """
    stated = {k: v for k, v in layers.items() if v is not None}
    codes = sorted(set(stated.values()))
    target = scene_epsg if scene_epsg is not None else (codes[0] if len(codes) == 1 else None)
    if target is None and len(codes) > 1:
        raise ParameterError(f"layers in different CRSs and no scene CRS to reconcile them: "
                             f"{ {k: f'EPSG:{v}' for k, v in stated.items()} }; set scene.epsg")
    none = [k for k, v in layers.items() if v is None]
    if none and target is not None:
        _warn(f"{len(none)} layers state no CRS and are taken as EPSG:{target}: {none[:10]}")
    return target
