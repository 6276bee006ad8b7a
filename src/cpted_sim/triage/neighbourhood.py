"""The neighbourhood of a reported place as a scenario of its own (layer L5).

:func:`neighbourhood` restricts a scenario to a place: one plan grid area ``"place"`` of the
place's radius, the scene cropped to the faces within ``radius + margin`` metres (a plan box),
the luminaires, observer points and paths, and the routes inside that box. Measures
(:mod:`cpted_sim.triage.measures`) are variants of it, so each runs on a small scene: adding or
removing geometry rebuilds a small BVH, not the city's. :func:`road_axes` lists the road axes a
scenario knows (its routes and the long axes of its EN 13201 areas).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..errors import ParameterError
from ..geometry.scene import Scene
from ..scenario import model as m
from ..scenario.run import build_scene

__all__ = ["neighbourhood", "approach_path", "road_axes", "surface_z", "faces_near",
           "clip_below", "nearest_on_axes", "place_fields", "PLACE_AREA", "MAX_RADIUS"]

#: Name of the grid area around the place.
PLACE_AREA = "place"

#: Largest radius [m] of the grid around a place (a place's radius holds all its reports).
MAX_RADIUS = 30.0


def place_fields(place):
    """``(id, xy (2,), radius)`` of a place object (``id``, ``xy`` [m], ``radius`` [m]);
    the radius is capped at ``MAX_RADIUS``."""
    try:
        xy = np.asarray(place.xy, dtype=np.float64).reshape(-1)[:2]
        radius = float(getattr(place, "radius", 15.0) or 15.0)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ParameterError(f"place: expected an object with xy (2,) [m] and radius [m] "
                             f"({exc})") from None
    if xy.size != 2 or not np.all(np.isfinite(xy)) or not radius > 0:
        raise ParameterError(f"place {getattr(place, 'id', '?')!r}: xy must be 2 finite numbers "
                             f"and radius > 0, got {place.xy!r}, {radius!r}")
    return str(getattr(place, "id", "place")), xy, min(radius, MAX_RADIUS)


def circle(xy, r, n: int = 24) -> tuple:
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return tuple((float(xy[0] + r * np.cos(a)), float(xy[1] + r * np.sin(a))) for a in t)


def _crop_scene(scene: Scene, lo, hi) -> Scene:
    """The faces of ``scene`` whose plan bounding box overlaps the box ``lo``..``hi`` [m]."""
    tri = scene.to_world(scene.vertices)[scene.faces][:, :, :2]
    keep = np.all(tri.max(axis=1) >= lo, axis=1) & np.all(tri.min(axis=1) <= hi, axis=1)
    if not keep.any():
        raise ParameterError(f"the place's neighbourhood x {lo[0]:.1f}..{hi[0]:.1f}, y "
                             f"{lo[1]:.1f}..{hi[1]:.1f} holds no geometry of the scene")
    faces = scene.faces[keep]
    used, inv = np.unique(faces, return_inverse=True)
    names = np.array(scene.groups, dtype=object)[scene.face_group[keep]].astype(str)
    return Scene.from_arrays(scene.to_world(scene.vertices[used]), inv.reshape(-1, 3), names,
                             origin=scene.origin, materials=scene.materials, epsg=scene.epsg,
                             name=scene.name)


def _clip_path(path, lo, hi, step: float = 0.5):
    """The longest stretch of a polyline inside the box, resampled every ``step`` m."""
    p = np.asarray(path, dtype=np.float64)[:, :2]
    seg = np.diff(p, axis=0)
    n = np.maximum(1, np.ceil(np.hypot(*seg.T) / step)).astype(int)
    pts = np.vstack([p[i] + seg[i] * np.linspace(0, 1, n[i], endpoint=False)[:, None]
                     for i in range(len(seg))] + [p[-1:]])
    inside = np.all((pts >= lo) & (pts <= hi), axis=1)
    if inside.sum() < 2:
        return None
    d = np.diff(np.r_[0, inside.astype(np.int8), 0])
    starts, stops = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    k = int(np.argmax(stops - starts))
    run_ = pts[starts[k]:stops[k]]
    return tuple(map(tuple, run_)) if len(run_) >= 2 else None


def neighbourhood(scenario: m.Scenario, place, *, spacing: float = 1.0, margin: float = 50.0,
                  scene: Scene | None = None, routes: bool | None = None) -> m.Scenario:
    """The scenario restricted to a place: one grid area ``"place"`` of the place's radius.

    Parameters
    ----------
    scenario : Scenario
        The base scenario (its variants are dropped).
    place : object with ``xy`` (2,) [m], ``radius`` [m] and ``id``
    spacing : float
        Grid spacing [m].
    margin : float
        The scene is cropped to the faces within ``radius + margin`` [m] of the place (plan
        box); luminaires and observer paths are cropped with it.
    scene : Scene, optional
        The scenario's built scene (built here when not given; pass it for many places).
    routes : bool, optional
        Keep the scenario's routes (cropped to ``radius`` plus twice the concealment
        distance, E_h only) so that concealment is computed on the grid; without any there,
        the place's approach path (:func:`approach_path`) is the route. Default: only when
        the place's ``dominant_deficit`` is concealment or entrapment (routes cost time).

    Returns
    -------
    Scenario
        Computes E_h, E_sc, surveillance, night-time surveillance and (with routes)
        concealment on the grid; the cropped scene lies in its ``assets``.
    """
    pid, xy, radius = place_fields(place)
    if scene is None:
        scene = build_scene(scenario)
    reach = radius + float(margin)
    lo, hi = xy - reach, xy + reach
    crop = _crop_scene(scene, lo, hi)
    key = f"triage-neighbourhood:{pid}"
    ref = "surface" if scenario.scene.geometry.mesh is not None else "absolute"
    groups = set(crop.groups)

    def inside(p) -> bool:
        return bool(np.all((np.asarray(p[:2]) >= lo) & (np.asarray(p[:2]) <= hi)))

    lums = tuple(s for s in scenario.luminaires if inside(s.position))
    observers = []
    for o in scenario.observers:
        if o.path is not None:
            path = _clip_path(o.path, lo, hi)
            if path is None:
                continue
            o = replace(o, path=path, height_reference=o.height_reference or ref)
        elif o.groups:
            kept = tuple(g for g in o.groups if g in groups)
            if not kept:
                continue
            o = replace(o, groups=kept)
        elif o.points is not None:
            pts = tuple(p for p in o.points if inside(p))
            if not pts:
                continue
            o = replace(o, points=pts)
        observers.append(o)
    areas = []
    if routes is None:
        routes = getattr(place, "dominant_deficit", None) in ("concealment", "entrapment")
    near = radius + 2.0 * scenario.thresholds.concealment_distance
    for a in scenario.areas if routes else ():
        if a.kind == "route":
            path = _clip_path(a.path, xy - near, xy + near)
            if path is not None:
                areas.append(replace(a, path=path, quantities=("E_h",),
                                     height_reference=a.height_reference or ref))
    if routes and len(areas) == 0:
        path = approach_path(crop, xy, near, scenario)
        if path is not None:
            areas.append(m.AreaSpec(f"approach_{pid}", "route", path=path, spacing=1.0,
                                    quantities=("E_h",), height_reference=ref))
    quantities = ("E_h", "E_sc", "surveillance", "night_surveillance", "concealment")
    areas.insert(0, m.AreaSpec(PLACE_AREA, "grid", polygon=circle(xy, radius),
                               spacing=float(spacing), quantities=quantities,
                               height_reference=ref))
    spec = scenario.scene
    walkable = None if spec.walkable is None else tuple(g for g in spec.walkable if g in groups)
    sc_spec = m.SceneSpec(m.GeometrySpec(mesh=key), origin=None, epsg=crop.epsg,
                          name=f"{spec.name or scenario.name} around {pid}",
                          walkable=walkable or None, max_slope_deg=spec.max_slope_deg)
    mats = {g: v for g, v in scenario.materials.items() if g in groups}
    return replace(scenario, scene=sc_spec, materials=mats, luminaires=lums, areas=tuple(areas),
                   observers=tuple(observers), variants=(), removed_groups=(),
                   added_geometry=(), variant="base", assets={**scenario.assets, key: crop},
                   settings=replace(scenario.settings, quiet=True),
                   hours=None)    # measures are tested at full light: no hourly curves


def approach_path(scene: Scene, xy, reach: float, scenario: m.Scenario, n_rays: int = 72):
    """The longest free line through a place, at eye height, at most ``reach`` [m] each way
    (as the triage's context takes a report's approach path); None where the place has no
    walkable surface or the line is shorter than 2 m.

    Returns
    -------
    tuple of two (x, y) or None
    """
    from ..geometry.drape import surface_below
    from ..visibility.isovist import fan_radii

    walk = scenario.scene.walkable
    kw = {} if scenario.scene.max_slope_deg is None else {
        "max_slope_deg": scenario.scene.max_slope_deg}
    z = surface_below(scene, np.asarray(xy, dtype=np.float64)[None],
                      walkable=None if walk is None else [g for g in walk if g in scene.groups],
                      **kw)[0]
    if not np.isfinite(z):
        return None
    eye = scene.to_local(np.array([[xy[0], xy[1], z + 1.6]]))
    r = fan_radii(scene, np.ascontiguousarray(eye), n_rays, float(reach))[0]
    half = n_rays // 2
    k = int(np.argmax(r[:half] + r[half:]))
    u = np.array([math.cos(2 * math.pi * k / n_rays), math.sin(2 * math.pi * k / n_rays)])
    a = np.asarray(xy) - max(r[k + half] - 0.3, 0.0) * u
    b = np.asarray(xy) + max(r[k] - 0.3, 0.0) * u
    if np.hypot(*(b - a)) < 2.0:
        return None
    return (tuple(map(float, a)), tuple(map(float, b)))


def road_axes(scenario: m.Scenario) -> list[np.ndarray]:
    """Road axes [m] the scenario knows: its routes, and the long axis of each en13201 area."""
    out = [np.asarray(a.path, dtype=np.float64)[:, :2] for a in scenario.areas
           if a.kind == "route"]
    for a in scenario.areas:
        if a.kind == "en13201":
            p = np.asarray(a.polygon, dtype=np.float64)
            lo, hi = p.min(axis=0), p.max(axis=0)
            c = 0.5 * (lo + hi)
            out.append(np.array([[lo[0], c[1]], [hi[0], c[1]]]) if hi[0] - lo[0] >= hi[1] - lo[1]
                       else np.array([[c[0], lo[1]], [c[0], hi[1]]]))
    return out


def nearest_on_axes(axes, xy):
    """(point, tangent, distance) of the nearest point of any polyline to ``xy``."""
    best = (None, None, np.inf)
    for a in axes:
        a = np.asarray(a, dtype=np.float64)[:, :2]
        p0, seg = a[:-1], np.diff(a, axis=0)
        ll = np.maximum((seg * seg).sum(1), 1e-300)
        t = np.clip(((xy - p0) * seg).sum(1) / ll, 0.0, 1.0)
        q = p0 + seg * t[:, None]
        d = np.hypot(*(q - xy).T)
        k = int(np.argmin(d))
        if d[k] < best[2]:
            best = (q[k], seg[k] / math.sqrt(ll[k]), float(d[k]))
    return best


def surface_z(scene: Scene, nb: m.Scenario, xy) -> np.ndarray:
    """Height [m] of the walkable surface of ``nb`` at plan points ``xy`` (NaN: none)."""
    from ..geometry.drape import surface_below

    walk = nb.scene.walkable
    kw = {} if nb.scene.max_slope_deg is None else {"max_slope_deg": nb.scene.max_slope_deg}
    return surface_below(scene, xy, walkable=None if walk is None else list(walk), **kw)


def faces_near(scene: Scene, xy, reach: float) -> np.ndarray:
    """(n_faces,) bool: face centroid within ``reach`` [m] of ``xy`` in plan."""
    c = scene.to_world(scene.face_centroids)[:, :2]
    return np.hypot(*(c - xy).T) <= reach


def clip_below(tri: np.ndarray, h: float) -> np.ndarray:
    """Triangles (k, 3, 3) clipped to z <= h (Sutherland-Hodgman on one plane)."""
    out = []
    for t in tri:
        poly = []
        for a, b in zip(t, np.roll(t, -1, axis=0)):
            da, db = a[2] - h, b[2] - h
            if da <= 0:
                poly.append(a)
            if (da < 0 < db) or (db < 0 < da):
                poly.append(a + (b - a) * (da / (da - db)))
        out += [(poly[0], poly[i], poly[i + 1]) for i in range(1, len(poly) - 1)]
    return np.array(out, dtype=np.float64).reshape(-1, 3, 3)
