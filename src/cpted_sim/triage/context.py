"""Context at each citizen's report: the simulated quantities around its location (issue 14,
build 3).

The fields are computed once, in bulk, on one grid over the reports' neighbourhoods (the union
of the discs of ``radius`` around the reports, on a lattice of ``spacing``, draped onto the
walkable surface with :func:`cpted_sim.geometry.drape.drape_grid`, points inside buildings left
out), through the same lighting and visibility functions a scenario run uses; then each report
takes the statistics of the grid points within ``radius`` of it.

Per report:

===================  ====  ==========================================================
``E_h_min/mean``     lx    horizontal illuminance on the ground
``E_sc_min/mean``    lx    semicylindrical illuminance at the target height (1.5 m), the
                           least of four facings (E, N, W, S) at each point
``dark_share``       1     share of the points with E_h below the dark threshold
``surveillance``     1     mean weighted daytime surveillance count
``night_surveillance`` 1   mean weighted night-time surveillance count (a face recognised)
``unwatched_day``    1     share of the points with daytime surveillance below
                           ``min_surveillance``
``unwatched_night``  1     the same at night
``concealed_m2``     m2    area of concealment spots (hidden from a walker until closer
                           than ``concealment_distance``) near the report's approach path
``entrapment``       1     share of the approach path walled in on both sides (3 m)
``isovist_area``     m2    isovist area at the report (eye height 1.6 m)
``light_distance``   m     plan distance to the nearest luminaire (inf: none)
``at_night``         1     1 when reported with the sun below -6 deg (civil twilight), 0 by
                           day, NaN without a time
===================  ====  ==========================================================

The approach path of a report is the longest free line through it (from a fan of 72
horizontal rays at eye height), cut to ``radius`` plus twice the concealment distance either
side: on a street it runs along the
street, on a path along the path.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import CptedWarning, ParameterError
from ..geometry.drape import drape_grid, inside_volumes, surface_below
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..scenario import model as m
from ..scenario import terrain

__all__ = ["ReportContext", "report_context", "neighbourhood_grid", "sun_elevation",
           "CONTEXT_QUANTITIES", "NIGHT_SUN_ELEVATION"]

#: Sun elevation [deg] below which a report counts as made at night (civil twilight).
NIGHT_SUN_ELEVATION = -6.0

CONTEXT_QUANTITIES = ("E_h_min", "E_h_mean", "E_sc_min", "E_sc_mean", "dark_share",
                      "surveillance", "night_surveillance", "unwatched_day", "unwatched_night",
                      "concealed_m2", "entrapment", "isovist_area", "light_distance", "at_night")

#: Units of :data:`CONTEXT_QUANTITIES`.
CONTEXT_UNITS = {"E_h_min": "lx", "E_h_mean": "lx", "E_sc_min": "lx", "E_sc_mean": "lx",
                 "dark_share": "1", "surveillance": "1", "night_surveillance": "1",
                 "unwatched_day": "1", "unwatched_night": "1", "concealed_m2": "m2",
                 "entrapment": "1", "isovist_area": "m2", "light_distance": "m",
                 "at_night": "1"}

_FACINGS = (0.0, 90.0, 180.0, 270.0)
_FAN_RAYS = 72
_EYE = 1.6


@dataclass(frozen=True, eq=False)
class ReportContext:
    """The context of each report.

    Attributes
    ----------
    ids : (n,) str array
    xy : (n, 2) float
        Report locations [m] (world).
    values : dict of str -> (n,) float
        :data:`CONTEXT_QUANTITIES` per report (units in :data:`CONTEXT_UNITS`).
    grid : CalculationGrid
        The neighbourhood grid the fields were computed on.
    fields : dict of str -> (g,) float
        ``E_h``, ``E_sc``, ``surveillance``, ``night_surveillance`` on ``grid``.
    settings : dict
        ``radius``, ``spacing``, the thresholds used.
    notes : tuple of str
        What the user should know (no observers, no luminaires, ...).
    """

    ids: np.ndarray
    xy: np.ndarray
    values: dict
    grid: CalculationGrid | None
    fields: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    notes: tuple = ()

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self) -> list[dict]:
        """One dict per report: ``id`` and the quantities."""
        return [{"id": str(self.ids[i]), **{q: float(self.values[q][i])
                                             for q in CONTEXT_QUANTITIES}}
                for i in range(len(self.ids))]


# ---------------------------------------------------------------------------- sun
def sun_elevation(times, latitude: float, longitude: float) -> np.ndarray:
    """Solar elevation [deg] at UTC ``times`` (datetime64) and a place [deg]; NaN for NaT.

    Notes
    -----
    The low-precision formulas of the Astronomical Almanac (about 0.01 deg from 1950 to 2050),
    without refraction.
    """
    t = np.asarray(times, dtype="datetime64[s]")
    ok = ~np.isnat(t)
    d = (t.astype("datetime64[s]").astype(np.int64) - 946728000) / 86400.0  # days from J2000
    g = np.radians(357.529 + 0.98560028 * d)
    q = 280.459 + 0.98564736 * d
    lam = np.radians(q + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    eps = np.radians(23.439 - 0.00000036 * d)
    ra = np.arctan2(np.cos(eps) * np.sin(lam), np.cos(lam))
    dec = np.arcsin(np.sin(eps) * np.sin(lam))
    gmst = 18.697374558 + 24.06570982441908 * d
    ha = np.radians((gmst * 15.0 + longitude) % 360.0) - ra
    la = np.radians(latitude)
    s = np.sin(la) * np.sin(dec) + np.cos(la) * np.cos(dec) * np.cos(ha)
    out = np.degrees(np.arcsin(np.clip(s, -1.0, 1.0)))
    return np.where(ok, out, np.nan)


# ---------------------------------------------------------------------------- grid
def neighbourhood_grid(scene: Scene, xy, radius: float, spacing: float, *,
                       scenario: m.Scenario | None = None) -> CalculationGrid:
    """Ground points on a lattice of ``spacing`` within ``radius`` of any of ``xy``, on the
    walkable surface (lowest walkable face), without the points inside buildings."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    k = int(np.ceil(radius / spacing))
    o = np.arange(-k, k + 1)
    oi, oj = np.meshgrid(o, o, indexing="ij")
    disc = np.column_stack([oi.ravel(), oj.ravel()])
    base = np.round(xy / spacing).astype(np.int64)
    cells = (base[:, None, :] + disc[None, :, :]).reshape(-1, 2)
    cells = np.unique(cells, axis=0)
    pts = cells * spacing
    from scipy.spatial import cKDTree

    d, _ = cKDTree(xy).query(pts, distance_upper_bound=radius + 1e-9)
    lo, hi = scene.bounds[0, :2], scene.bounds[1, :2]
    pts = pts[np.isfinite(d) & np.all((pts >= lo) & (pts <= hi), axis=1)]
    if pts.shape[0] == 0:
        raise ParameterError("reports: no grid point within the radius of any report")
    top = float(scene.bounds[1, 2]) + 1.0
    grid = CalculationGrid.from_points(np.column_stack([pts, np.full(len(pts), top)]),
                                       kind="horizontal", name="report neighbourhoods")
    walk = terrain._walk(scenario) if scenario is not None else {}
    grid = drape_grid(grid, scene, 0.0, reference="surface", **walk)
    vg = terrain.volume_groups(scene, scenario) if scenario is not None else None
    inside = inside_volumes(scene, grid.points + [0.0, 0.0, 0.5], groups=vg)
    if inside.all():
        raise ParameterError("reports: every neighbourhood point lies inside buildings")
    keep = np.nonzero(~inside)[0]
    return CalculationGrid.from_points(grid.points[keep], kind="horizontal",
                                       name="report neighbourhoods")


# ---------------------------------------------------------------------------- context
def _fields(scene, lums, observers, grid, th: m.Thresholds, max_distance: float, quiet,
            traced=None):
    from ..lighting.illuminance import illuminance
    from ..visibility import night_surveillance_fields, surveillance_fields

    n = grid.n_points
    kw = dict(max_distance=max_distance, quiet=quiet)
    if lums and traced is not None:     # the schedule groups' light, summed at full output
        from ..scenario.schedule import _full

        esc = [_full(h) for h in traced[2]]
        e_h = _full(traced[1]).values
        e_sc = np.min([f.values for f in esc], axis=0)
    elif lums:
        eh = illuminance(scene, lums, grid, kind="horizontal", **kw)
        face = grid.at_height(th.target_height)
        esc = []
        for az in _FACINGS:
            a = np.radians(az)
            esc.append(illuminance(scene, lums, face, kind="semicylindrical",
                                   facing=(np.cos(a), np.sin(a), 0.0), **kw))
        e_h = eh.values
        e_sc = np.min([f.values for f in esc], axis=0)
    else:
        e_h = np.zeros(n)
        e_sc = np.zeros(n)
        esc = None
    day = night = np.zeros(n)
    if observers is not None and observers.n:
        day = surveillance_fields(scene, observers, grid, target_height=th.target_height,
                                  quiet=quiet).weight.values
        if esc is not None:
            extra = {}
            if th.night_lit_lx is not None:
                from ..scenario.run import _ConstantThreshold

                extra["threshold"] = _ConstantThreshold(th.night_lit_lx)
            night = night_surveillance_fields(scene, observers, grid, esc,
                                              facing_azimuths=list(_FACINGS),
                                              target_height=th.target_height, quiet=quiet,
                                              **extra).weight.values
    return {"E_h": e_h, "E_sc": e_sc, "surveillance": day, "night_surveillance": night}


def _approach_paths(scene, eyes_world, radius):
    """(start, end) of the longest free line through each eye, at most ``radius`` each way."""
    from ..visibility.isovist import fan_radii

    r = fan_radii(scene, scene.to_local(eyes_world), _FAN_RAYS, float(radius))
    half = _FAN_RAYS // 2
    both = r[:, :half] + r[:, half:]
    k = np.argmax(both, axis=1)
    rows = np.arange(len(k))
    theta = 2 * np.pi * k / _FAN_RAYS
    u = np.column_stack([np.cos(theta), np.sin(theta)])
    fwd = np.maximum(r[rows, k] - 0.3, 0.0)
    bwd = np.maximum(r[rows, k + half] - 0.3, 0.0)
    return eyes_world[:, :2] - bwd[:, None] * u, eyes_world[:, :2] + fwd[:, None] * u


def _stations(a, b, z, step: float = 1.0):
    """Walker stations every ``step`` metres along each report's approach path (paths shorter
    than 2 m get none). Returns (stations (s, 3) on the ground, start (n,), count (n,))."""
    length = np.hypot(*(b - a).T)
    cnt = np.where(length >= 2.0, np.ceil(length / step).astype(np.int64) + 1, 0)
    start = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    owner = np.repeat(np.arange(len(cnt)), cnt)
    k = np.arange(int(cnt.sum())) - start[owner]
    t = k / np.maximum(cnt[owner] - 1, 1)
    xy = a[owner] + t[:, None] * (b - a)[owner]
    return np.column_stack([xy, z[owner]]), start, cnt


def _hiding_and_walls(scene, grid, near, a, b, z, th):
    """Per report: concealment spots near its approach path (count) and the walled share of
    the path, for all reports in two bulk ray calls."""
    from ..geometry.query import closest_hit
    from ..kernels import sightlines as K
    from ..visibility.surveillance import spatial_order

    n = a.shape[0]
    st, start, cnt = _stations(a, b, z)
    conc = np.zeros(n)
    trap = np.zeros(n)
    if st.shape[0] == 0:
        return conc, trap
    # concealment: every (report, point) pair near the report's path, one kernel call
    lens = np.array([len(v) for v in near], dtype=np.int64)
    rep = np.repeat(np.arange(n), lens)
    pts = np.concatenate([np.asarray(v, dtype=np.int64) for v in near]) if lens.sum() else \
        np.zeros(0, dtype=np.int64)
    keep = cnt[rep] > 0
    rep, pts = rep[keep], pts[keep]
    seg = (b - a)[rep]
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    u = seg / seg_len[:, None]
    rel = grid.points[pts, :2] - a[rep]
    along = np.clip(np.einsum("ij,ij->i", rel, u), 0.0, seg_len)
    off = np.hypot(*(rel - along[:, None] * u).T)
    band = off <= th.concealment_distance
    rep, pts, along, seg_len = rep[band], pts[band], along[band], seg_len[band]
    if rep.size:
        k = np.rint(along / seg_len * (cnt[rep] - 1)).astype(np.int64)
        closest = start[rep] + k
        tg = scene.to_local(grid.points[pts])
        tg[:, 2] += 1.0                                   # a body, 1 m above the ground
        eyes = scene.to_local(st)
        eyes[:, 2] += _EYE
        order = spatial_order(tg[:, :2])
        fwd = np.empty(rep.size)
        bwd = np.empty(rep.size)
        face_tr = np.ascontiguousarray(scene.sight_transmittance)
        K.first_reveal_ranges_kernel(
            scene.bvh, face_tr, bool(np.any(face_tr > 0)), 0.5,
            np.ascontiguousarray(tg[order]), np.ascontiguousarray(eyes),
            np.ascontiguousarray(start[rep][order]),
            np.ascontiguousarray((start + cnt)[rep][order]),
            np.ascontiguousarray(closest[order]), float(scene.ray_offset), fwd, bwd)
        reveal = np.minimum(fwd, bwd)
        spot = (reveal < th.concealment_distance) | np.isinf(reveal)
        conc = np.bincount(rep[order][spot], minlength=n).astype(np.float64)
    # entrapment: walls within 3 m left and right at 0.5 m and 2 m, one ray call
    owner = np.repeat(np.arange(n), cnt)
    head = (b - a)[owner]
    head /= np.hypot(head[:, 0], head[:, 1])[:, None]
    left = np.column_stack([-head[:, 1], head[:, 0], np.zeros(len(owner))])
    o = np.vstack([st + [0.0, 0.0, h] for h in (0.5, 2.0) for _ in (1, -1)])
    d = np.vstack([sg * left for _ in (0.5, 2.0) for sg in (1.0, -1.0)])
    _, face = closest_hit(scene, o, d, max_distance=3.0)
    walled = (face >= 0).reshape(4, -1).all(axis=0).astype(np.float64)
    sums = np.bincount(owner, weights=walled, minlength=n)
    trap = np.where(cnt > 0, sums / np.maximum(cnt, 1), 0.0)
    return conc, trap


def report_context(scenario: m.Scenario, xy, ids=None, times=None, *, radius: float = 15.0,
                   spacing: float = 2.0, latitude: float = 52.0, longitude: float = 5.0,
                   scene: Scene | None = None, luminaires=None, observers=None,
                   timezone: str = "Europe/Amsterdam", quiet: bool = True) -> ReportContext:
    """The simulated context of each report (module docstring).

    Parameters
    ----------
    scenario : Scenario
        The place: scene, luminaires, observers and thresholds (its areas are not used).
    xy : (n, 2) float
        Report locations [m] in the scene's CRS (world coordinates).
    ids : (n,) str, optional
        Report ids (default ``R0001``, ...).
    times : (n,) datetime64, optional
        Report times in UTC (NaT: unknown).
    radius : float
        Neighbourhood radius [m] (default 15).
    spacing : float
        Lattice spacing of the neighbourhood grid [m] (default 2).
    latitude, longitude : float
        Where the sun is computed for ``at_night`` [deg] (default the Netherlands).
    scene, luminaires, observers
        Already built ones (default: built from ``scenario``); ``observers=False``: none.
    timezone : str
        Time zone of the scenario's schedules (default Europe/Amsterdam): with ``[hours]``
        a report made at night is judged at its local hour (:mod:`cpted_sim.triage.at_hour`).
    quiet : bool
        No progress bars.

    Returns
    -------
    ReportContext
    """
    from scipy.spatial import cKDTree

    from ..scenario.run import build_luminaires, build_observers, build_scene
    from ..visibility.isovist import isovist

    xy = np.ascontiguousarray(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
    n = xy.shape[0]
    if not (radius > 0 and spacing > 0):
        raise ParameterError(f"radius and spacing must be > 0, got {radius}, {spacing}")
    ids = (np.array([f"R{i + 1:04d}" for i in range(n)], dtype=object) if ids is None
           else np.asarray(ids, dtype=object))
    th = scenario.thresholds
    scene = build_scene(scenario) if scene is None else scene
    lums = build_luminaires(scenario, scene) if luminaires is None else tuple(luminaires)
    if observers is None:
        observers = build_observers(scenario, scene) if scenario.observers else None
    elif observers is False:
        observers = None
    notes, keys = [], []
    if not lums:
        notes.append("the scenario has no luminaires: every report's surroundings are dark")
        keys.append("note_no_luminaires")
    if observers is None:
        notes.append("the scenario has no observers: surveillance is 0 everywhere")
        keys.append("note_no_observers")
    vals = {q: np.full(n, np.nan) for q in CONTEXT_QUANTITIES}
    if n == 0:
        return ReportContext(ids, xy, vals, None, {},
                             {"radius": radius, "note_keys": tuple(keys)}, tuple(notes))
    grid = neighbourhood_grid(scene, xy, radius, spacing, scenario=scenario)
    from .at_hour import hourly_context, trace_hourly

    traced = trace_hourly(scenario, scene, lums, grid, times, _FACINGS, timezone=timezone,
                          quiet=quiet)
    f = _fields(scene, lums, observers, grid, th, scenario.settings.max_distance, quiet,
                traced)
    gxy = grid.points[:, :2]
    tree = cKDTree(gxy)
    # reports inside buildings (geocoded to an address) move to the nearest point outside
    walk = terrain._walk(scenario)
    z = surface_below(scene, xy, **walk)
    z = np.where(np.isfinite(z), z, 0.0)
    inside = inside_volumes(scene, np.column_stack([xy, z + 0.5]),
                            groups=terrain.volume_groups(scene, scenario))
    moved = 0.0
    if inside.any():
        dist, j = tree.query(xy[inside])
        xy = xy.copy()
        xy[inside] = gxy[j]
        z[inside] = grid.points[j, 2]
        moved = float(dist.max())
        msg = (f"{int(inside.sum())} of {n} reports lie inside buildings (address points?); "
               f"they were moved to the nearest walkable point outside, at most {moved:.1f} m")
        notes.append(msg)
        keys.append("note_moved")
        warnings.warn(msg, CptedWarning, stacklevel=2)
    near = tree.query_ball_point(xy, radius)
    dark_lx = th.dark_lx
    cell = spacing * spacing
    ground = np.column_stack([xy, z])
    iso = isovist(scene, ground, n_rays=360, max_distance=scenario.settings.max_distance,
                  quiet=True)
    vals["isovist_area"] = np.asarray(iso.area, dtype=np.float64)
    eyes = ground + [0.0, 0.0, _EYE]
    # the walker comes from up to 2 concealment distances beyond the neighbourhood, so that
    # points near its edge are not "revealed late" only because the path starts there
    a, b = _approach_paths(scene, eyes, radius + 2.0 * th.concealment_distance)
    from ..lighting.hours import format_hour

    hc = hourly_context(scenario, scene, lums, observers, grid, near, traced, _FACINGS,
                        quiet=quiet)
    for i in range(n):
        idx = np.asarray(near[i], dtype=np.int64)
        if idx.size == 0:
            continue
        fi = f if hc is None or hc.key[i] < 0 else {**f, **hc.fields[hc.key[i]]}
        eh, esc = fi["E_h"][idx], fi["E_sc"][idx]
        vals["E_h_min"][i], vals["E_h_mean"][i] = eh.min(), eh.mean()
        vals["E_sc_min"][i], vals["E_sc_mean"][i] = esc.min(), esc.mean()
        vals["dark_share"][i] = np.mean(eh < dark_lx)
        d, nt = fi["surveillance"][idx], fi["night_surveillance"][idx]
        vals["surveillance"][i], vals["night_surveillance"][i] = d.mean(), nt.mean()
        vals["unwatched_day"][i] = np.mean(d < th.min_surveillance)
        vals["unwatched_night"][i] = np.mean(nt < th.min_surveillance)
    conc, trap = _hiding_and_walls(scene, grid, near, a, b, z, th)
    vals["concealed_m2"] = conc * cell
    vals["entrapment"] = trap
    if lums:
        lp = np.array([lum.position[:2] for lum in lums], dtype=np.float64)
        vals["light_distance"] = cKDTree(lp).query(xy)[0]
    else:
        vals["light_distance"] = np.full(n, np.inf)
    if times is not None:
        el = sun_elevation(times, latitude, longitude)
        vals["at_night"] = np.where(np.isnan(el), np.nan, (el < NIGHT_SUN_ELEVATION) * 1.0)
    settings = {"radius": float(radius), "spacing": float(spacing),
                "dark_lx": float(dark_lx), "min_surveillance": float(th.min_surveillance),
                "concealment_distance": float(th.concealment_distance),
                "target_height": float(th.target_height), "n_grid_points": grid.n_points,
                "latitude": float(latitude), "longitude": float(longitude),
                "note_keys": tuple(keys), "n_moved": int(inside.sum()),
                "max_move_m": moved,
                "judged_at": (tuple("" if not np.isfinite(h) else format_hour(h)
                                    for h in hc.hours) if hc is not None else ("",) * n)}
    return ReportContext(ids, xy, vals, grid, f, settings, tuple(notes))
