"""Run a scenario: build the scene, place the luminaires, compute every area (layer L5).

:func:`run` ties the two domains together: illuminance from :mod:`cpted_sim.lighting`,
surveillance, night-time surveillance and concealment from :mod:`cpted_sim.visibility`, and
the metrics of :mod:`cpted_sim.metrics` on the resulting fields.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import warnings
from dataclasses import replace

import numpy as np

from .._modules import callable_module
from ..config import max_memory, progress_enabled, threads as thread_context
from ..errors import CptedWarning, ParameterError, StrictWarningsError
from ..field import Field
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from . import model as m
from . import terrain
from .metrics import area_metrics, below, both, dark_threshold
from .preflight import check_scenario
from .provenance import run_provenance

__all__ = ["run", "check_scenario", "build_scene", "build_luminaires", "build_observers",
           "build_grid"]

log = logging.getLogger(__name__)

#: Facing azimuths [deg] (relative to an area's main direction) of the E_sc fields that
#: night-time surveillance picks from.
_NIGHT_FACINGS = (0.0, 90.0, 180.0, 270.0)


# ---------------------------------------------------------------------------- scene
def _geometry_scene(g: m.GeometrySpec, assets, origin=None) -> Scene:
    if g.builtin == "city_model":  # CityJSON files, loaded by io._scenario_city
        from .city_spec import city_scene

        return city_scene(g, assets, origin)
    if g.mesh is not None:
        if g.asset_key not in assets:
            raise ParameterError(f"mesh file {g.mesh} is not loaded; read the scenario with "
                                 "cpted_sim.load_scenario, or put the Scene in scenario.assets "
                                 f"under {g.asset_key!r}")
        scene = assets[g.asset_key]
        if g.group is None and origin is None:
            return scene
        groups = (np.array(scene.groups, dtype=object)[scene.face_group] if g.group is None
                  else np.full(scene.n_faces, g.group, dtype=object))
        return Scene.from_arrays(scene.to_world(scene.vertices), scene.faces, groups.astype(str),
                                 origin=origin if origin is not None else scene.origin,
                                 materials=scene.materials, epsg=scene.epsg, name=scene.name)
    params = dict(g.params)
    if g.builtin in ("box", "quads"):
        from .demo import box_mesh

        if g.builtin == "box":
            v, f = box_mesh(params["min"], params["max"])
        else:
            q = np.asarray(params["quads"], dtype=np.float64).reshape(-1, 4, 3)
            v = q.reshape(-1, 3)
            base = 4 * np.arange(q.shape[0])[:, None]
            f = np.vstack([base + [0, 1, 2], base + [0, 2, 3]])
        return Scene.from_arrays(v, f, np.full(f.shape[0], g.group),
                                 origin=origin if origin is not None else (0.0, 0.0, 0.0),
                                 name=g.group)
    if g.builtin == "demo_street":
        from .demo import demo_street as build
    else:
        from . import synthetic

        build = getattr(synthetic, g.builtin)
    try:
        scene = build(**params)
    except TypeError as exc:
        raise ParameterError(f"builtin scene {g.builtin!r}: bad params {params} ({exc})") from None
    scene = getattr(scene, "scene", scene)     # district() returns a SyntheticDistrict
    if g.group is not None:
        scene = Scene.from_arrays(scene.to_world(scene.vertices), scene.faces,
                                  np.full(scene.n_faces, g.group), origin=scene.origin,
                                  name=scene.name)
    if origin is not None and not np.allclose(origin, scene.origin):
        scene = Scene.from_arrays(scene.to_world(scene.vertices), scene.faces,
                                  np.array(scene.groups)[scene.face_group], origin=origin,
                                  materials=scene.materials, epsg=scene.epsg, name=scene.name)
    return scene


def build_scene(scenario: m.Scenario) -> Scene:
    """The scenario's scene: its geometry, plus added, minus removed groups, with materials.

    Raises
    ------
    ParameterError
        A removed group is not in the scene, or a mesh file was not loaded.
    """
    spec = scenario.scene
    scene = _geometry_scene(spec.geometry, scenario.assets, spec.origin)
    for add in scenario.added_geometry:
        scene = scene.merged(_geometry_scene(add, scenario.assets))
    if scenario.removed_groups:
        missing = [g for g in scenario.removed_groups if g not in scene.groups]
        if missing:
            raise ParameterError(f"remove_geometry: groups {missing} are not in the scene; "
                                 f"groups: {list(scene.groups)}")
        scene = scene.without_groups(list(scenario.removed_groups))
    # a material may name a group that only a variant adds (add_geometry); every other name
    # must match a group of this scene (with_materials says which do not)
    later = scenario.variant_groups() - set(scene.groups)
    scene = scene.with_materials({k: v for k, v in scenario.materials.items() if k not in later})
    return replace(scene, epsg=spec.epsg if spec.epsg is not None else scene.epsg,
                   name=spec.name or scenario.name)


# ---------------------------------------------------------------------------- luminaires
def _distribution(p: m.PhotometrySpec, assets, cache: dict):
    key = p.file or (p.builtin, tuple(sorted(p.params.items())))
    if key in cache:
        return cache[key]
    from ..photometry import builtin, load_photometry

    if p.file is not None:
        dist = assets[p.file] if p.file in assets else load_photometry(p.file)
    else:
        try:
            dist = getattr(builtin, p.builtin)(**p.params)
        except TypeError as exc:
            raise ParameterError(f"photometry builtin {p.builtin!r}: bad params {p.params} "
                                 f"({exc})") from None
    cache[key] = dist
    return dist


def build_luminaires(scenario: m.Scenario, scene: Scene | None = None) -> tuple:
    """The scenario's luminaires as :class:`cpted_sim.photometry.Luminaire` objects.

    Luminaires with a ``height_reference`` of ``"surface"`` or ``"deck"`` stand on the
    walkable surface of ``scene`` (built here when not given).
    """
    from ..photometry import Luminaire

    specs = scenario.luminaires
    if any(s.height_reference not in (None, "absolute") for s in specs):
        specs = terrain.place_luminaires(scenario, scene if scene is not None
                                         else build_scene(scenario))
    cache: dict = {}
    power = getattr(scenario.hours, "power", None) or {}      # issue 18: [W], for D_P, D_E
    return tuple(
        Luminaire(_distribution(s.photometry, scenario.assets, cache), np.array(s.position),
                  azimuth=s.azimuth, tilt=s.tilt, spin=s.spin,
                  maintenance_factor=s.maintenance_factor, flux_scale=s.flux_scale, name=s.name,
                  power=power.get(s.name))
        for s in specs)


# ---------------------------------------------------------------------------- observers
def build_observers(scenario: m.Scenario, scene: Scene):
    """All observer sets of the scenario joined into one ObserverSet (None when there are none).

    Tag and group sources use one observer per opening (faces sharing vertices); a tag no
    group carries gives no observers.
    """
    from ..visibility import ObserverSet

    sets = []
    for o in scenario.observers:
        common = dict(fov=o.fov, max_distance=o.range, weight=o.weight)
        if o.semantic or o.generate is not None:  # windows of a city model
            from .city_spec import city_observers

            sets.append(city_observers(o, scene, scenario))
        elif o.tag is not None or o.groups:
            groups = scene.tagged_groups(o.tag) if o.tag is not None else list(o.groups)
            if not groups:
                log.info("observers %r: no group is tagged %r", o.name, o.tag)
                continue
            if scene.group_faces(groups).size == 0:
                continue
            sets.append(ObserverSet.from_faces(scene, groups, kind=o.kind, **common))
        elif o.points is not None:
            pts = np.array(o.points, dtype=np.float64)
            pts[:, 2] += o.height or 0.0
            sets.append(ObserverSet.from_points(pts, None if o.fov >= 360 else _no_dir(o),
                                                kind=o.kind, **common))
        else:
            obs = ObserverSet.from_paths([np.array(o.path)], spacing=o.spacing,
                                         eye_height=1.6 if o.height is None else o.height,
                                         **common)
            obs = terrain.place_path_observers(o, obs, scene, scenario)
            if obs.n:
                sets.append(obs)
    if not sets:
        return None
    out = sets[0]
    for s in sets[1:]:
        out = out + s
    return out


def _no_dir(o: m.ObserverSpec):
    raise ParameterError(f"observers {o.name!r}: points with fov < 360 need a facing "
                         "direction; use fov = 360 or observers from faces")


# ---------------------------------------------------------------------------- grids
def _main_direction(area: m.AreaSpec) -> np.ndarray:
    if area.facing is not None:
        d = np.array([area.facing[0], area.facing[1], 0.0])
    else:
        poly = np.asarray(area.polygon)
        ext = poly.max(axis=0) - poly.min(axis=0)
        d = np.array([1.0, 0.0, 0.0]) if ext[0] >= ext[1] else np.array([0.0, 1.0, 0.0])
    return d / np.linalg.norm(d)


def build_grid(area: m.AreaSpec, scene: Scene) -> CalculationGrid:
    """The calculation grid of an area (plan grid, route points or facade points)."""
    if area.kind in ("en13201", "grid"):
        poly = np.asarray(area.polygon)
        lo, hi = poly.min(axis=0), poly.max(axis=0)
        return CalculationGrid.regular(lo[0], lo[1], hi[0], hi[1], area.spacing,
                                       height=area.height, polygon=poly, name=area.name)
    if area.kind == "route":
        return CalculationGrid.along_path(np.asarray(area.path), area.spacing,
                                          height=area.height, kind="horizontal", name=area.name)
    return CalculationGrid.on_faces(scene, list(area.groups), area.spacing, offset=0.02,
                                    kind="plane", name=area.name)


def point_weights(grid: CalculationGrid, area: m.AreaSpec) -> np.ndarray:
    """Area [m2] each point stands for (length [m] along a route)."""
    w = getattr(grid, "areas", None)
    if w is not None:
        return np.asarray(w, dtype=np.float64)
    if grid.transform is not None:
        return np.full(grid.n_points, grid.transform[2] * grid.transform[3])
    return np.full(grid.n_points, area.spacing ** 2)


# ---------------------------------------------------------------------------- areas
class _ConstantThreshold:
    """E_sc [lx] needed to recognise a face, the same at every distance."""

    def __init__(self, lx: float):
        self.lx = float(lx)

    def __call__(self, d):
        return np.full(np.shape(d), self.lx)

    def __repr__(self) -> str:
        return f"constant {self.lx} lx"


def _unwatched_fields(grid: CalculationGrid, night: bool) -> dict[str, Field]:
    """Surveillance fields of an area without observers: zero everywhere."""
    zero = np.zeros(grid.n_points)
    count = Field(zero, grid, "surveillance_count", "1", {"note": "no observers"})
    names = ["surveillance_weight"] + (["night_surveillance_count", "night_surveillance_weight"]
                                       if night else [])
    return {"surveillance_count": count,
            **{n: count.with_values(zero, quantity=n) for n in names}}


def _concealment_field(scene, routes, grid: CalculationGrid, th: m.Thresholds) -> Field:
    """1 where a point is a concealment spot for any route (NaN outside every route's band)."""
    from ..visibility import concealment

    spots = None
    for path in routes:
        # a body (1 m above the ground) hidden until the walker is close
        c = concealment(scene, np.asarray(path), grid, distance=th.concealment_distance,
                        close=th.concealment_distance, target_height=1.0)
        v = c.concealed.values
        spots = v if spots is None else np.where(np.isnan(spots), v,
                                                 np.where(np.isnan(v), spots,
                                                          np.maximum(spots, v)))
    return Field(spots, grid, "concealment", "1", c.concealed.provenance)


def _area_fields(area: m.AreaSpec, scene, lums, observers, routes, sc: m.Scenario,
                 grid: CalculationGrid, quiet: bool, solution=None) -> dict[str, Field]:
    from ..lighting.illuminance import illuminance

    th = sc.thresholds
    q = set(area.computed_quantities)
    kw = dict(max_distance=sc.settings.max_distance, quiet=quiet)
    if solution is not None:
        kw.update(bounces=sc.settings.bounces, interreflection={"solution": solution})
    fields: dict[str, Field] = {}
    if area.kind == "facade":
        if "E_v" in q or "E_h" in q:
            f = illuminance(scene, lums, grid, kind="plane", **kw)
            fields["E_v"] = f.with_values(f.values, quantity="E_v")
        return fields
    if "E_h" in q or "night_surveillance" in q:
        fields["E_h"] = illuminance(scene, lums, grid, kind="horizontal", **kw)
    face_grid = grid.at_height(th.target_height)
    esc_by_az: dict[float, Field] = {}
    if "E_sc" in q or "night_surveillance" in q:
        if area.kind == "route":
            ahead = face_grid.normals
            esc_by_az[0.0] = illuminance(scene, lums, face_grid, kind="semicylindrical",
                                         facing=ahead, **kw)
            esc_by_az[180.0] = illuminance(scene, lums, face_grid, kind="semicylindrical",
                                           facing=-ahead, **kw)
        else:
            d = _main_direction(area)
            az0 = math.degrees(math.atan2(d[1], d[0]))
            wanted = _NIGHT_FACINGS if "night_surveillance" in q else (0.0, 180.0)
            for rel in wanted:
                a = math.radians(az0 + rel)
                esc_by_az[rel] = illuminance(scene, lums, face_grid, kind="semicylindrical",
                                             facing=(math.cos(a), math.sin(a), 0.0), **kw)
        esc = np.minimum(esc_by_az[0.0].values, esc_by_az[180.0].values)
        fields["E_sc"] = Field(esc, grid, "E_sc", "lx",
                               {**esc_by_az[0.0].provenance, "facing": "min of both senses"})
    if ("surveillance" in q or "night_surveillance" in q) and observers is not None:
        from ..visibility import night_surveillance_fields, surveillance_fields

        day = surveillance_fields(scene, observers, grid, target_height=th.target_height,
                                  quiet=quiet)
        fields["surveillance_count"] = day.count
        fields["surveillance_weight"] = day.weight
        if "night_surveillance" in q:
            if area.kind == "route":
                # along a route the two senses of travel carry the light a face gets
                tang = grid.normals
                az_r = np.degrees(np.arctan2(tang[:, 1], tang[:, 0]))
                az_main = float(np.degrees(np.arctan2(np.mean(np.sin(np.radians(az_r))),
                                                      np.mean(np.cos(np.radians(az_r))))))
                fl = [esc_by_az[0.0], esc_by_az[180.0]]
                azs = [az_main, az_main + 180.0]
            else:
                fl = [esc_by_az[r] for r in _NIGHT_FACINGS]
                azs = [az0 + r for r in _NIGHT_FACINGS]
            extra = {}
            if th.night_lit_lx is not None:
                extra["threshold"] = _ConstantThreshold(th.night_lit_lx)
            night = night_surveillance_fields(scene, observers, grid, fl, facing_azimuths=azs,
                                              target_height=th.target_height, quiet=quiet,
                                              **extra)
            fields["night_surveillance_count"] = night.count
            fields["night_surveillance_weight"] = night.weight
    elif "surveillance" in q or "night_surveillance" in q:
        fields.update(_unwatched_fields(grid, night="night_surveillance" in q))
    if "concealment" in q and routes and area.kind != "route":
        fields["concealment"] = _concealment_field(scene, routes, grid, th)
    if "isovist" in q and area.kind != "facade":
        from ..visibility.isovist import isovist

        iso = isovist(scene, grid, n_rays=360, max_distance=sc.settings.max_distance, quiet=quiet)
        f = iso.fields(grid)
        fields["isovist_area"] = f["area"]
    # the CPTED masks
    if "E_h" in fields:
        fields["dark"] = below(fields["E_h"], dark_threshold(area, th), "dark")
    if "surveillance_weight" in fields:
        fields["unobserved"] = below(fields["surveillance_weight"], th.min_surveillance,
                                     "unobserved")
    if "dark" in fields and "unobserved" in fields:
        fields["dark_and_unseen"] = both(fields["dark"], fields["unobserved"], "dark_and_unseen")
    return fields


def _outline(area: m.AreaSpec):
    """(m, 2) world [m]: the polygon of a plan area, the path of a route; None for façades."""
    ring = area.polygon if area.polygon is not None else area.path
    return None if ring is None else np.array(ring, dtype=np.float64)[:, :2]


def _compute(scenario: m.Scenario, quiet: bool):
    """Scene, luminaires, observers and every area's result (threads already set)."""
    scene = build_scene(scenario)
    terrain.check_names(scenario, scene)
    terrain.check_extent(scenario, scene)
    lums = build_luminaires(scenario, scene)
    terrain.check_luminaires(scenario, scene, lums)
    wants_sight = any(q in a.computed_quantities for a in scenario.areas
                      for q in ("surveillance", "night_surveillance"))
    observers = build_observers(scenario, scene) if wants_sight else None
    observers = terrain.check_observers(observers, scene, scenario)
    routes = [terrain.route_polyline(a, scene, scenario) for a in scenario.areas
              if a.kind == "route"]
    solution = None
    if scenario.settings.bounces and lums:
        from ..lighting import radiosity

        b = scenario.settings.bounces
        solution = radiosity(scene, lums, bounces=None if b == "converged" else b, quiet=quiet)
    areas = {}
    for area in scenario.areas:
        ta = time.perf_counter()
        grid, excluded = terrain.place_grid(area, build_grid(area, scene), scene, scenario)
        fields = _area_fields(area, scene, lums, observers, routes, scenario, grid, quiet,
                              solution)
        metrics = area_metrics(area, fields, point_weights(grid, area), scenario.thresholds)
        areas[area.name] = m.AreaResult(area.name, area.kind, grid, fields, metrics,
                                        area.lighting_class, excluded=excluded,
                                        outline=_outline(area))
        log.info("%s / %s / %s: %d points in %.2f s", scenario.name, scenario.variant,
                 area.name, grid.n_points, time.perf_counter() - ta)
    return scene, lums, observers, areas


def run(scenario: m.Scenario, *, threads: int | None = None, quiet: bool | None = None,
        max_memory_gb: float | None = None, strict: bool = False):
    """Compute everything a scenario asks for.

    Parameters
    ----------
    scenario : Scenario
        A base scenario or a variant applied to one (:meth:`Scenario.apply`).
    threads : int, optional
        Kernel threads (default: ``scenario.settings.threads``, else the session setting).
    quiet : bool, optional
        Turn progress bars off (default: ``scenario.settings.quiet`` or the session setting).
    max_memory_gb : float, optional
        Memory limit [GB] (default: ``scenario.settings.max_memory_gb``, else
        :func:`cpted_sim.config.get_max_memory_gb`); estimated before anything is allocated
        (:func:`~cpted_sim.scenario.preflight.check_scenario`).
    strict : bool
        Raise :class:`~cpted_sim.errors.StrictWarningsError` when the run raised any
        :class:`~cpted_sim.errors.CptedWarning` (default: collect them in ``warnings``).

    Returns
    -------
    ScenarioResult
        Per area: the grid, the fields (``E_h``, ``E_sc``, ``E_v``, ``surveillance_count``,
        ``night_surveillance_count``, ``dark``, ``unobserved``, ``dark_and_unseen``,
        ``concealment``) and the metrics (:func:`cpted_sim.scenario.metrics.area_metrics`).

    Raises
    ------
    ParameterError
        A variant removes a group the scene lacks, a builtin gets bad parameters, a name is
        empty or holds ``/``, a tag or group matches nothing, ...
    MemoryLimitError
        The run would need more memory than the limit allows (checked before computing).
    StrictWarningsError
        ``strict`` and the run raised warnings.
    """
    if not isinstance(scenario, m.Scenario):
        raise ParameterError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    if max_memory_gb is None:
        max_memory_gb = scenario.settings.max_memory_gb
    check_scenario(scenario, max_memory_gb=max_memory_gb)
    t0 = time.perf_counter()
    n_threads = threads if threads is not None else scenario.settings.threads
    quiet = (not progress_enabled(None)) if quiet is None else quiet
    quiet = quiet or scenario.settings.quiet
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(thread_context(n_threads))
        except ParameterError as exc:
            raise ParameterError(f"run.threads (or the threads argument): {exc}") from None
        stack.enter_context(max_memory(max_memory_gb))
        caught = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        scene, lums, observers, areas = _compute(scenario, quiet)
        if scenario.hours is not None:  # issue 18: the hours of the night
            from .schedule import run_hours

            hours = run_hours(scenario, scene, lums, observers, areas, quiet)
    found = _replay(caught)
    if strict and found:
        raise StrictWarningsError(f"strict: {len(found)} warnings (first: {found[0]})")
    settings = {
        "threads": n_threads, "engine": "numba",
        "max_distance": scenario.settings.max_distance, "bounces": scenario.settings.bounces,
        "thresholds": m.spec_fields(scenario.thresholds),
        "n_faces": scene.n_faces, "n_luminaires": len(lums),
        "n_observers": 0 if observers is None else observers.n,
        "provenance": run_provenance(scenario),
    }
    return m.ScenarioResult(scenario.name, scenario.variant, scene, lums, areas, settings,
                            time.perf_counter() - t0, warnings=found, observers=observers,
                            hours=hours if scenario.hours is not None else None)


def _replay(caught) -> tuple[str, ...]:
    """Re-issue the warnings a run recorded; the CptedWarning messages, each once, in order."""
    found: list[str] = []
    for w in caught:
        if issubclass(w.category, CptedWarning):
            msg = str(w.message)
            if msg in found:
                continue
            found.append(msg)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return tuple(found)


callable_module(__name__)   # deprecated: the module called as its function (one release)
