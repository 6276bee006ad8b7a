"""Candidate measures at a reported place, each tested as a variant of the scene (layer L5).

For a place with a physical deficit (an object with ``xy`` [m], ``radius`` [m],
``dominant_deficit`` and ``id``, such as :class:`cpted_sim.triage.places.Place`), the
neighbourhood of the place becomes a scenario of its own
(:func:`cpted_sim.triage.neighbourhood.neighbourhood`: a plan grid of ``radius`` around the
place, the scene cropped to ``radius + margin``, the luminaires, observers and routes inside
it). :func:`candidate_measures` proposes changes to it, each a
:class:`~cpted_sim.scenario.model.Variant` built from the ordinary scenario changes:

``add_pole``
    A pole with a luminaire of the scenario's own catalogue (each distinct photometry and
    mounting height of the luminaires around the place, with their maintenance factor and
    tilt; the scenario's other photometries at 6 m), the best of them at the
    best of a few positions along the nearest road axis (the one that lifts most of the grid
    above the dark threshold, from its illuminance alone, added to the base by superposition).
``raise_light`` / ``aim_light``
    The nearest existing luminaire raised by ``raise_by`` metres, or turned so that its road
    side (C90) faces the place.
``trim_vegetation``
    The faces of groups tagged ``vegetation`` or ``hedge`` near the place cut down to
    ``trim_height`` metres above their foot (the group is replaced by a clipped copy); groups
    taller than ``max_hedge_height`` there are trees and are left alone.
``open_facade``
    Windows on the blank walls facing the place (laid by
    :func:`cpted_sim.visibility.openings.window_layout`, none within 2 m of an existing
    opening), added as window faces with observers behind them.
``remove_obstacle``
    The small object group (plan extent <= ``max_obstacle_m2``) nearest the place removed.
``close_niche``
    For concealment and entrapment places: the concealed spots' plan box filled up to 3 m
    (a niche closed flush with the facade, :mod:`cpted_sim.triage.niche`).

:func:`evaluate_measures` runs the base and every variant through
:func:`cpted_sim.scenario.run.run` and ranks them by effect per cost. The effect is in square
metres of the place's grid: night-time dark-and-unseen area removed (a face there neither lit
enough to be recognised nor recognised by any watcher,
:func:`cpted_sim.scenario.metrics.night_dark_unseen`), night-surveyed area gained and
concealed area removed (for concealment and entrapment places, along the scenario's routes or
the place's approach path); E_min and E_sc,min gains are reported beside it. The cost is a
proxy in euros from :data:`COST_RATES` (a nominal price per pole, per metre of hedge, per m2
of facade...), with the physical quantities (lumens and watts added, metres of hedge, m2 of
facade, m2 removed) kept on each measure so that a user can price them differently.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import CptedError, CptedWarning, ParameterError
from ..geometry.scene import DEFAULT_MATERIAL, Scene
from ..scenario import model as m
from ..scenario.poles import azimuth_facing
from ..scenario.run import build_luminaires, build_scene, point_weights, run
from .niche import niche_fill
from .neighbourhood import (PLACE_AREA, circle, clip_below, faces_near, nearest_on_axes,
                            neighbourhood, place_fields, road_axes, surface_z)

__all__ = ["Measure", "MeasureResult", "COST_RATES", "MEASURE_KINDS", "PREFERENCE",
           "EFFICACY_LM_PER_W", "neighbourhood",
           "candidate_measures", "evaluate_measures", "measures_for_place",
           "measures_for_places", "road_axes"]

#: Measure kinds, and the order in which they are tried for each dominant deficit.
MEASURE_KINDS = ("add_pole", "raise_light", "aim_light", "trim_vegetation", "open_facade",
                 "remove_obstacle", "close_niche")
PREFERENCE = {
    "dark": ("add_pole", "raise_light", "aim_light", "trim_vegetation", "open_facade",
             "remove_obstacle"),
    "unwatched": ("open_facade", "trim_vegetation", "add_pole", "remove_obstacle",
                  "raise_light", "aim_light"),
    "concealment": ("remove_obstacle", "close_niche", "trim_vegetation", "add_pole",
                    "open_facade", "raise_light", "aim_light"),
    "entrapment": ("remove_obstacle", "close_niche", "open_facade", "trim_vegetation",
                   "add_pole", "raise_light", "aim_light"),
}

#: Nominal costs [EUR] of the cost proxy: a new pole with its luminaire, raising a light (a
#: taller mast), re-aiming one, per metre of hedge trimmed, per m2 of facade opened (windows in
#: a blank wall), per m2 of plan removed plus a fixed part.
COST_RATES = {"pole": 3000.0, "raise_light": 1500.0, "aim_light": 200.0, "hedge_m": 25.0,
              "facade_m2": 800.0, "remove_fixed": 500.0, "remove_m2": 100.0}
#: Luminous efficacy [lm/W] used to turn added lumens into watts (an LED street light).
EFFICACY_LM_PER_W = 130.0
#: Window size [m] of an opened facade (width, height) and the sill above each floor.
WINDOW_W, WINDOW_H = 1.2, 1.5


@dataclass(frozen=True)
class Measure:
    """A candidate measure at a place.

    Attributes
    ----------
    place_id : str
    kind : str
        One of ``MEASURE_KINDS``.
    label : str
        One line for a report ("pole at (12.0, 3.0), 6.0 m, 8000 lm").
    variant : Variant
        The changes, applied to the place's neighbourhood scenario.
    lumens_added, watts_added : float
        Luminous flux [lm] and power [W] added.
    hedge_m : float
        Length of hedge trimmed [m].
    facade_m2 : float
        Area of facade opened [m2].
    removed_m2 : float
        Plan area of the geometry removed [m2].
    cost : float
        Cost proxy [EUR] (``COST_RATES``).
    assets : dict
        Meshes the variant adds (clipped vegetation), by asset key.
    """

    place_id: str
    kind: str
    label: str
    variant: m.Variant
    lumens_added: float = 0.0
    watts_added: float = 0.0
    hedge_m: float = 0.0
    facade_m2: float = 0.0
    removed_m2: float = 0.0
    cost: float = 0.0
    assets: Mapping = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class MeasureResult:
    """A measure and its tested effect on the place's grid.

    Attributes
    ----------
    measure : Measure
    dark_unseen_m2_removed : float
        Night-time dark-and-unseen area [m2] before minus after (a face unlit and not
        recognised by anyone; the daytime-sightline one where the grid lacks E_sc).
    night_surveyed_m2_gained : float
        Area [m2] recognisably watched at night, after minus before.
    concealment_m2_removed : float
        Concealed area [m2] before minus after (0 without routes).
    E_min_gain, E_sc_min_gain : float
        Gain of the minimum horizontal and semicylindrical illuminance [lx].
    effect_m2 : float
        The sum of the three areas [m2].
    effect_per_cost : float
        ``effect_m2`` per 1000 EUR of ``measure.cost`` [m2 / kEUR].
    rank : int
        1 = best at this place.
    """

    measure: Measure
    dark_unseen_m2_removed: float
    night_surveyed_m2_gained: float
    concealment_m2_removed: float
    E_min_gain: float
    E_sc_min_gain: float
    effect_m2: float
    effect_per_cost: float
    rank: int = 0


# ---------------------------------------------------------------------------- candidates
def _nearest_luminaire(lums, xy, reach):
    if not lums:
        return None
    pos = np.array([lum.position[:2] for lum in lums])
    d = np.hypot(*(pos - xy).T)
    k = int(np.argmin(d))
    return (k, float(d[k])) if d[k] <= reach else None


def _catalogue(nb, scene, lums, xy, height, others):
    """Luminaire types ``(photometry, height, maintenance, tilt, flux_scale)`` for a new pole:
    each distinct photometry and mounting height of the neighbourhood's luminaires, nearest
    first, then the ``others`` photometries (the rest of the scenario's) at 6 m."""
    def pkey(ph):
        return ph.file, ph.builtin, tuple(sorted(ph.params.items()))

    out, seen = [], set()
    if lums:
        pos = np.array([lum.position for lum in lums])
        feet = surface_z(scene, nb, pos[:, :2])
        for k in np.argsort(np.hypot(*(pos[:, :2] - xy).T), kind="stable"):
            spec = nb.luminaires[k]
            h = height or float(pos[k, 2] - (feet[k] if np.isfinite(feet[k]) else 0.0))
            if (pkey(spec.photometry), round(h, 1)) not in seen:
                seen.add((pkey(spec.photometry), round(h, 1)))
                out.append((spec.photometry, h, spec.maintenance_factor, spec.tilt,
                            spec.flux_scale))
    known = {k for k, _ in seen}
    for ph in others:
        if pkey(ph) not in known:
            known.add(pkey(ph))
            out.append((ph, height or 6.0, 0.8, 0.0, 1.0))
    return out or [(m.PhotometrySpec(builtin="street_light_optic"), height or 6.0, 0.8, 0.0,
                    1.0)]


def _pole_candidates(nb, scene, lums, xy, radius, axes, height, n_positions, e0, grid, thr,
                     fallback=()):
    """The best pole, as (LuminaireSpec, Luminaire): each type of the catalogue
    (:func:`_catalogue`) at ``n_positions`` positions along the nearest axis.

    Each candidate's horizontal illuminance on the grid is added to the base's ``e0`` [lx]
    (superposition); the best lifts most points above ``thr`` [lx], then has the highest
    E_min, then the fewest lumens.
    """
    from ..lighting.illuminance import illuminance

    q, tangent, dist = nearest_on_axes(axes, xy) if axes else (None, None, np.inf)
    if q is None or dist > radius + 30.0:
        q, tangent = xy.copy(), np.array([1.0, 0.0])
    side = xy - q
    off = min(3.0, float(np.hypot(*side)))
    if off > 1e-9:        # the pole stands beside the axis, on the place's side
        q = q + side / np.hypot(*side) * off
    ks = np.arange(n_positions) - (n_positions - 1) / 2.0
    cand = q + np.outer(ks * max(radius / 2.0, 2.0), tangent)
    z = surface_z(scene, nb, cand)
    best, best_score = None, None
    for photometry, h, mf, tilt, scale in _catalogue(nb, scene, lums, xy, height, fallback):
        for i, c in enumerate(cand):
            if not np.isfinite(z[i]):
                continue
            aim = xy - c
            az = float(azimuth_facing(aim)[0]) if np.hypot(*aim) > 1e-6 else 0.0
            spec = m.LuminaireSpec(f"new_pole_{i}", photometry,
                                   (float(c[0]), float(c[1]), float(z[i]) + h), azimuth=az,
                                   tilt=tilt, maintenance_factor=mf, flux_scale=scale)
            lum = build_luminaires(replace(nb, luminaires=(spec,)), scene)
            e = e0 + illuminance(scene, lum, grid, kind="horizontal", quiet=True,
                                 max_distance=nb.settings.max_distance).values
            score = (float(np.sum((e >= thr) & (e0 < thr))), float(np.min(e)),
                     -float(lum[0].distribution.flux) * scale)
            if best_score is None or score > best_score:
                best, best_score = (spec, lum[0]), score
    return best


def _trim(pid, scene, xy, reach, trim_height, max_height):
    veg = sorted(set(scene.tagged_groups("vegetation")) | set(scene.tagged_groups("hedge")))
    near = faces_near(scene, xy, reach)
    world = scene.to_world(scene.vertices)
    changed, verts, faces, names, hedge_m = [], [], [], [], 0.0
    for g in veg:
        fg = scene.group_faces(g)
        close = fg[near[fg]]
        if close.size == 0:
            continue
        tri = world[scene.faces[close]]
        h = float(tri[:, :, 2].min()) + trim_height
        if tri[:, :, 2].max() <= h + 1e-6 or np.ptp(tri[:, :, 2]) > max_height:
            continue        # low enough already, or a tree (cutting it down is no trim)
        far = world[scene.faces[fg[~near[fg]]]]
        cut = clip_below(tri, h)
        hedge_m += float(np.max(np.ptp(tri[:, :, :2].reshape(-1, 2), axis=0)))
        new = np.concatenate([far, cut])
        changed.append(g)
        faces.append(np.arange(3 * len(new)).reshape(-1, 3) + sum(len(v) for v in verts))
        verts.append(new.reshape(-1, 3))
        names += [f"{g}/trimmed"] * len(new)
    if not changed:
        return None
    mats = {f"{g}/trimmed": scene.materials.get(g, DEFAULT_MATERIAL) for g in changed}
    trimmed = Scene.from_arrays(np.vstack(verts), np.vstack(faces), np.array(names),
                                origin=scene.origin, materials=mats, name="trimmed")
    key = f"triage-trimmed:{pid}"
    changes = (m.RemoveGeometry(tuple(changed)), m.AddGeometry(m.GeometrySpec(mesh=key)))
    changes += tuple(m.SetMaterial(k, v.reflectance, v.light_transmittance,
                                   v.sight_transmittance, v.tags) for k, v in mats.items())
    return changes, {key: trimmed}, hedge_m


def _facade(pid, scene, xy, radius, reach, max_windows):
    from ..visibility.openings import WindowRule, window_layout

    nrm = scene.face_normals
    cen = scene.to_world(scene.face_centroids)
    skip = set(scene.tagged_groups("window")) | set(scene.tagged_groups("door")) \
        | set(scene.tagged_groups("vegetation")) | set(scene.tagged_groups("hedge"))
    skip_idx = [scene.groups.index(g) for g in skip]
    toward = ((xy - cen[:, :2]) * nrm[:, :2]).sum(1) > 0
    wall = (np.abs(nrm[:, 2]) < 0.17) & toward & faces_near(scene, xy, reach) \
        & ~np.isin(scene.face_group, skip_idx)
    if not wall.any():
        return None
    idx = np.nonzero(wall)[0]
    sub = Scene.from_arrays(scene.to_world(scene.vertices), scene.faces[idx],
                            np.full(idx.size, "wall"), origin=scene.origin)
    try:
        lay = window_layout(sub, WindowRule(), groups=["wall"], facing=circle(xy, radius),
                            max_distance=reach)
    except ParameterError:
        return None
    pos, nor = lay.positions, lay.normals
    openings = np.isin(scene.face_group, [scene.groups.index(g) for g in skip
                                          if g not in scene.tagged_groups("vegetation")
                                          and g not in scene.tagged_groups("hedge")])
    if openings.any() and len(pos):       # a blank wall: no opening within 2 m
        from scipy.spatial import cKDTree

        d, _ = cKDTree(cen[openings]).query(pos, k=1)
        pos, nor = pos[d > 2.0], nor[d > 2.0]
    if len(pos) == 0:
        return None
    order = np.argsort(np.hypot(*(pos[:, :2] - xy).T), kind="stable")[:max_windows]
    pos, nor = pos[order], nor[order]
    u = np.column_stack([-nor[:, 1], nor[:, 0], np.zeros(len(pos))])
    zc = np.array([0.0, 0.0, 1.0])
    # the glass 2 cm in front of the wall, from the sill (eye - 1.2 m) up WINDOW_H
    c = pos - nor * (WindowRule().eye_offset - 0.02) + zc * (WINDOW_H / 2 - 1.2)
    hw, hh = WINDOW_W / 2, WINDOW_H / 2
    quads = np.stack([c - u * hw - zc * hh, c + u * hw - zc * hh, c + u * hw + zc * hh,
                      c - u * hw + zc * hh], axis=1)
    group = f"opened_windows_{pid}"
    changes = (m.AddGeometry(m.GeometrySpec(builtin="quads", params={"quads": quads.tolist()},
                                            group=group)),
               m.SetMaterial(group, reflectance=0.08),
               m.AddObservers(m.ObserverSpec(f"opened_windows_{pid}", kind="window",
                                             groups=(group,))))
    return changes, len(pos), len(pos) * WINDOW_W * WINDOW_H


def _obstacle(scene, nb, xy, radius, max_obstacle_m2):
    walk = set(nb.scene.walkable or ())
    skip = walk | set(scene.tagged_groups("window")) | set(scene.tagged_groups("door"))
    world = scene.to_world(scene.vertices)
    best = None
    for gi, g in enumerate(scene.groups):
        if g in skip:
            continue
        v = world[np.unique(scene.faces[scene.face_group == gi])]
        if v.size == 0:
            continue
        ext = np.ptp(v, axis=0)
        plan = float(ext[0] * ext[1])
        if plan > max_obstacle_m2 or ext[2] < 0.5:
            continue
        lo, hi = v[:, :2].min(axis=0), v[:, :2].max(axis=0)
        d = float(np.hypot(*(np.clip(xy, lo, hi) - xy)))     # to its plan bounding box
        if d <= radius and (best is None or d < best[1]):
            best = (g, d, max(plan, 0.0))
    return best


def candidate_measures(nb: m.Scenario, place, *, axes: Sequence | None = None,
                       kinds: Sequence[str] | None = None, max_measures: int | None = None,
                       pole_height: float | None = None, n_positions: int = 5,
                       raise_by: float = 2.0, trim_height: float = 1.0,
                       max_hedge_height: float = 4.0, max_windows: int = 6,
                       max_obstacle_m2: float = 50.0, scene: Scene | None = None,
                       base=None, catalogue: Sequence = ()) -> list[Measure]:
    """Candidate measures for a place, as variants of its neighbourhood scenario.

    Parameters
    ----------
    nb : Scenario
        The place's neighbourhood (:func:`neighbourhood`).
    place : object with ``xy``, ``radius``, ``id`` and ``dominant_deficit``
    axes : sequence of (k, 2) float, optional
        Road axes [m] for a new pole (default :func:`road_axes` of ``nb``; none, or none
        within ``radius + 30`` m: around the place itself).
    kinds : sequence of str, optional
        Which of ``MEASURE_KINDS`` to try (default: all, in the order of the place's deficit).
    max_measures : int, optional
        Keep the first so many of the applicable candidates.
    pole_height : float, optional
        Mounting height of a new pole [m] (default: that of each luminaire type).
    catalogue : sequence of PhotometrySpec
        Photometries for a new pole besides those of the neighbourhood's luminaires (each
        distinct photometry and mounting height of those is tried; these at 6 m or
        ``pole_height``); :func:`measures_for_place` passes those of the whole scenario.
    n_positions : int
        Pole positions tried along the axis.
    raise_by : float
        Raise of an existing light [m].
    trim_height : float
        Vegetation is cut to this height [m] above its foot.
    max_hedge_height : float
        Vegetation taller than this [m] near the place is a tree, left alone.
    max_windows : int
        Most windows an opened facade gets.
    max_obstacle_m2 : float
        Largest plan extent [m2] of a group that counts as an obstacle.
    scene : Scene, optional
        ``build_scene(nb)`` when given.
    base : ScenarioResult, optional
        The run of ``nb`` (its E_h picks the pole position; run here when needed).

    Returns
    -------
    list of Measure
        Possibly empty (a place without deficit, or nothing applicable).
    """
    pid, xy, radius = place_fields(place)
    deficit = getattr(place, "dominant_deficit", "dark")
    if deficit not in PREFERENCE:
        return []
    order = [k for k in PREFERENCE[deficit] if kinds is None or k in kinds]
    bad = [k for k in (kinds or ()) if k not in MEASURE_KINDS]
    if bad:
        raise ParameterError(f"kinds: unknown measures {bad}; expected some of {MEASURE_KINDS}")
    scene = build_scene(nb) if scene is None else scene
    lums = build_luminaires(nb, scene)
    axes = road_axes(nb) if axes is None else list(axes)
    reach = radius + 10.0
    near = _nearest_luminaire(lums, xy, radius + 30.0)
    r = COST_RATES
    out: list[Measure] = []
    for kind in order:
        if max_measures is not None and len(out) >= max_measures:
            break
        name = f"{pid}: {kind}"
        if kind == "add_pole":
            if base is None:
                base = run(nb, quiet=True)
            fl = base.areas[PLACE_AREA].fields
            best = _pole_candidates(nb, scene, lums, xy, radius, axes, pole_height,
                                    n_positions, fl["E_h"].values, fl["E_h"].grid,
                                    float(fl["dark"].provenance["threshold"]), catalogue)
            if best is None:
                continue
            spec, lum = best
            spec = replace(spec, name=f"new_pole_{pid}")
            lm = float(lum.distribution.flux) * float(spec.flux_scale)
            x, y, z = spec.position
            out.append(Measure(pid, kind, f"pole at ({x:.1f}, {y:.1f}), lamp at z {z:.1f} m, "
                               f"{lm:.0f} lm", m.Variant(name, (m.AddLuminaire(spec),)),
                               lumens_added=lm, watts_added=lm / EFFICACY_LM_PER_W,
                               cost=r["pole"]))
        elif kind in ("raise_light", "aim_light") and near is not None:
            spec = nb.luminaires[near[0]]
            if kind == "raise_light":
                ch = m.MoveLuminaire(spec.name, offset=(0.0, 0.0, float(raise_by)))
                label = f"raise {spec.name} by {raise_by:g} m"
            else:
                d = xy - lums[near[0]].position[:2]
                if np.hypot(*d) < 1.0:
                    continue
                az = float(azimuth_facing(d)[0])
                ch = m.AimLuminaire(spec.name, azimuth=az)
                label = f"turn {spec.name} to azimuth {az:.0f} deg (towards the place)"
            out.append(Measure(pid, kind, label, m.Variant(name, (ch,)), cost=r[kind]))
        elif kind == "trim_vegetation":
            got = _trim(pid, scene, xy, reach, trim_height, max_hedge_height)
            if got is not None:
                changes, assets, hedge_m = got
                out.append(Measure(pid, kind, f"trim vegetation to {trim_height:g} m over "
                                   f"{hedge_m:.1f} m", m.Variant(name, changes),
                                   hedge_m=hedge_m, cost=r["hedge_m"] * hedge_m, assets=assets))
        elif kind == "open_facade":
            got = _facade(pid, scene, xy, radius, reach, max_windows)
            if got is not None:
                changes, n, area = got
                out.append(Measure(pid, kind, f"open the facade: {n} windows, {area:.1f} m2",
                                   m.Variant(name, changes), facade_m2=area,
                                   cost=r["facade_m2"] * area))
        elif kind == "remove_obstacle":
            got = _obstacle(scene, nb, xy, radius, max_obstacle_m2)
            if got is not None:
                g, _, plan = got
                out.append(Measure(pid, kind, f"remove {g} ({plan:.1f} m2)",
                                   m.Variant(name, (m.RemoveGeometry((g,)),)), removed_m2=plan,
                                   cost=r["remove_fixed"] + r["remove_m2"] * plan))
        elif kind == "close_niche":                  # :mod:`cpted_sim.triage.niche`
            base = run(nb, quiet=True) if base is None else base
            got = niche_fill(pid, base, PLACE_AREA, xy, radius, scene=scene,
                             max_m2=max_obstacle_m2)
            if got is not None:
                out.append(Measure(pid, kind, got[2], m.Variant(name, got[0]),
                                   removed_m2=got[1], cost=r["remove_fixed"]
                                   + r["remove_m2"] * got[1]))
    return out


# ---------------------------------------------------------------------------- evaluation
def _metric(res, name, default=np.nan):
    met = res.areas[PLACE_AREA].metrics.get(name)
    return default if met is None else float(met.value)


def _grid_area(res, nb) -> float:
    """Area [m2] of the place's grid (the points outside buildings)."""
    a = res.areas[PLACE_AREA]
    spec = next(x for x in nb.areas if x.name == PLACE_AREA)
    return float(np.sum(point_weights(a.grid, spec)))


def evaluate_measures(nb: m.Scenario, measures: Sequence[Measure], *, base=None,
                      threads: int | None = None) -> list[MeasureResult]:
    """Run each measure as a variant of ``nb`` and rank them by effect per cost.

    Returns
    -------
    list of MeasureResult
        Best first; measures with no positive effect last, in their given order.

    Warns
    -----
    CptedWarning
        A measure that could not be run (a :class:`~cpted_sim.errors.CptedError` in its
        variant); it is left out, the others are ranked.
    """
    base = run(nb, threads=threads, quiet=True) if base is None else base
    # night-time dark-and-unseen (a face unlit and no one recognising it; issue 14 build 5),
    # the daytime-sightline one only where the place's grid lacks the night-time fields
    du_key = ("night_dark_unseen_area" if "night_dark_unseen_area"
              in base.areas[PLACE_AREA].metrics else "dark_unseen_area")
    b_du, b_ns = _metric(base, du_key, 0.0), _metric(base, "night_surveyed_pct", 0.0)
    b_co = _metric(base, "concealment_area", 0.0)
    b_e, b_sc = _metric(base, "E_min"), _metric(base, "E_sc_min")
    area0 = _grid_area(base, nb)
    out = []
    for ms in measures:
        sc = ms.variant.apply(nb)
        if ms.assets:
            sc = replace(sc, assets={**sc.assets, **ms.assets})
        try:
            res = run(sc, threads=threads, quiet=True)
        except CptedError as exc:
            warnings.warn(f"measure {ms.variant.name!r} could not be tested: {exc}",
                          CptedWarning, stacklevel=2)
            continue
        du = b_du - _metric(res, du_key, 0.0)
        ns = (_metric(res, "night_surveyed_pct", 0.0) * _grid_area(res, nb) - b_ns * area0) / 100.0
        co = b_co - _metric(res, "concealment_area", 0.0)
        effect = du + ns + co
        per = effect / (ms.cost / 1000.0) if ms.cost > 0 else (np.inf if effect > 0 else 0.0)
        out.append(MeasureResult(ms, du, ns, co, _metric(res, "E_min") - b_e,
                                 _metric(res, "E_sc_min") - b_sc, effect, per))
    order = sorted(range(len(out)), key=lambda i: (out[i].effect_m2 <= 1e-9,
                                                   -out[i].effect_per_cost, i))
    return [replace(out[i], rank=k + 1) for k, i in enumerate(order)]


def measures_for_place(scenario: m.Scenario, place, *, scene: Scene | None = None,
                       spacing: float = 1.0, margin: float = 50.0, threads: int | None = None,
                       **kw) -> list[MeasureResult]:
    """Neighbourhood, candidates and their tested effects at one place, best first.

    ``kw`` goes to :func:`candidate_measures` (``axes`` default: the road axes of the whole
    ``scenario``). An empty list for a place without a physical deficit.
    """
    if getattr(place, "dominant_deficit", "dark") not in PREFERENCE:
        return []
    pid = place_fields(place)[0]
    kw.setdefault("axes", road_axes(scenario))
    kw.setdefault("catalogue", tuple(s.photometry for s in scenario.luminaires))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nb = neighbourhood(scenario, place, spacing=spacing, margin=margin, scene=scene)
        nb_scene = build_scene(nb)
        base = run(nb, threads=threads, quiet=True)
        cands = candidate_measures(nb, place, scene=nb_scene, base=base, **kw)
        out = evaluate_measures(nb, cands, base=base, threads=threads)
    seen: dict[str, int] = {}
    for w in caught:          # the base and each variant repeat the same warnings: once each
        if issubclass(w.category, CptedWarning):
            seen[str(w.message)] = seen.get(str(w.message), 0) + 1
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for msg in seen:
        warnings.warn(f"measures at place {pid}: {msg}", CptedWarning, stacklevel=2)
    return out


def measures_for_places(scenario: m.Scenario, places: Sequence, *, top: int | None = 10,
                        max_measures: int | None = 3, **kw) -> dict[str, list[MeasureResult]]:
    """:func:`measures_for_place` for the first ``top`` places with a deficit, by place id.

    Each place gets its first ``max_measures`` applicable candidates in the order of its
    dominant deficit (``PREFERENCE``; None: all). The scenario's scene is built once and
    shared. A place whose neighbourhood cannot be run gets an empty list and a
    :class:`~cpted_sim.errors.CptedWarning` saying why.
    """
    kw["max_measures"] = max_measures
    scene = kw.pop("scene", None) or build_scene(scenario)
    chosen = [p for p in places if getattr(p, "dominant_deficit", "none") in PREFERENCE]
    chosen = chosen if top is None else chosen[:top]
    out = {}
    for p in chosen:
        pid = place_fields(p)[0]
        try:
            out[pid] = measures_for_place(scenario, p, scene=scene, **kw)
        except CptedError as exc:       # one place must not stop the triage of the others
            warnings.warn(f"measures at place {pid}: not tested ({exc})", CptedWarning,
                          stacklevel=2)
            out[pid] = []
    return out
