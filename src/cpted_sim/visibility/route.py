"""Walking a route: prospect, concealment spots and entrapment (Fisher and Nasar 1992)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validate import as_float, renamed
from ..config import get_threads
from ..errors import ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..kernels import bvh_query
from ..kernels import sightlines as K
from .isovist import DEFAULT_MAX_RADIUS, fan_radii
from .observers import DEFAULT_EYE_HEIGHT, as_polyline, sample_polyline
from .surveillance import spatial_order

__all__ = ["route_prospect", "RouteProspect", "concealment", "Concealment", "entrapment",
           "Entrapment", "distance_to_polyline"]


def _check_scene(scene) -> Scene:
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
    return scene


def distance_to_polyline(xy: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Plan distance [m] from (n, 2) points to an (m, 2+) polyline."""
    a = line[:-1, :2]
    b = line[1:, :2]
    ab = b - a
    len2 = np.einsum("ij,ij->i", ab, ab)
    out = np.full(xy.shape[0], np.inf)
    for lo in range(0, xy.shape[0], 4096):
        p = xy[lo:lo + 4096, None, :2]
        t = np.clip(np.einsum("nmk,mk->nm", p - a[None], ab) / len2[None], 0.0, 1.0)
        q = a[None] + t[..., None] * ab[None]
        out[lo:lo + 4096] = np.sqrt(((p - q) ** 2).sum(axis=2)).min(axis=1)
    return out


# ---------------------------------------------------------------------- prospect
@dataclass(frozen=True, eq=False)
class RouteProspect:
    """What a walker sees along a route, station by station.

    Attributes
    ----------
    chainage : (k,) float
        Distance along the route [m].
    eyes : (k, 3) float
        Eye points [m] (world).
    heading : (k, 3) float
        Walking direction (unit).
    ahead, left, right : (k,) float
        Mean distance [m] to the first surface over the rays within ``cone / 2`` of the
        heading, of its left normal and of its right normal (``max_radius`` where open).
    area : (k,) float
        Isovist area [m2] at each station.
    """

    chainage: np.ndarray
    eyes: np.ndarray
    heading: np.ndarray
    ahead: np.ndarray
    left: np.ndarray
    right: np.ndarray
    area: np.ndarray
    settings: dict = field(default_factory=dict)


def route_prospect(scene: Scene, path, *, spacing: float = 2.0,
                   height: float = DEFAULT_EYE_HEIGHT, n_rays: int = 360, cone: float = 60.0,
                   max_distance: float = DEFAULT_MAX_RADIUS,
                   max_radius: float | None = None) -> RouteProspect:
    """Prospect along a route: how far ahead and to the sides a walker sees.

    Parameters
    ----------
    scene : Scene
    path : (m, 2|3) float
        Route polyline [m] on the ground, in walking order.
    spacing : float
        Distance between stations [m].
    height : float
        Eye height [m].
    n_rays : int
        Rays of each station's horizontal fan.
    cone : float
        Full angle [deg] of the sectors averaged for ahead, left and right.
    max_distance : float
        Longest ray [m] (``max_radius``: its old name, deprecated, removed in the next
        release).

    Returns
    -------
    RouteProspect

    Notes
    -----
    Prospect is Appleton's and Fisher and Nasar's (1992) "open view": ``ahead`` is the mean
    radial of the isovist (see :func:`cpted_sim.isovist`) over the rays with
    ``|azimuth - heading| <= cone / 2``; ``left`` and ``right`` the same about
    ``heading +- 90 deg``.
    """
    _check_scene(scene)
    spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
    cone = as_float(cone, "cone", lo=0.0, hi=180.0, lo_open=True)
    max_radius = as_float(renamed(max_radius, "max_radius", max_distance, "max_distance"),
                          "max_distance", lo=0.0, lo_open=True)
    pts, head, s = sample_polyline(path, spacing, "path")
    pts[:, 2] += as_float(height, "height")
    r = fan_radii(scene, scene.to_local(pts), n_rays, max_radius)
    theta = 2.0 * np.pi * np.arange(r.shape[1]) / r.shape[1]
    phi = np.arctan2(head[:, 1], head[:, 0])

    def sector(offset):
        diff = np.angle(np.exp(1j * (theta[None, :] - phi[:, None] - offset)))
        m = np.abs(diff) <= np.radians(cone) / 2 + 1e-12
        return (r * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1)

    area = 0.5 * np.sin(2 * np.pi / r.shape[1]) * (r * np.roll(r, -1, axis=1)).sum(axis=1)
    return RouteProspect(s, pts, head, sector(0.0), sector(np.pi / 2), sector(-np.pi / 2), area,
                         {"spacing": spacing, "height": float(height), "n_rays": int(n_rays),
                          "cone": cone, "max_radius": max_radius})


# ---------------------------------------------------------------------- concealment
@dataclass(frozen=True, eq=False)
class Concealment:
    """Concealment spots near a route.

    Attributes
    ----------
    reveal_distance : Field
        ``reveal_distance`` [m] on the grid: the shorter, over both walking directions, of the
        distances at which an approaching walker first sees the point; ``inf`` when the
        walker never sees it before passing it; NaN farther than ``distance`` from the route.
    concealed : Field
        ``concealment_spot`` [1]: 1 where ``reveal_distance < close`` or the walker never
        sees the point before passing it, 0 elsewhere near the route, NaN far from it.
    """

    reveal_distance: Field
    concealed: Field

    @property
    def n_spots(self) -> int:
        """Number of concealment spots."""
        return int(np.nansum(self.concealed.values))


def concealment(scene: Scene, path, grid: CalculationGrid, *, distance: float = 10.0,
                close: float = 5.0, spacing: float = 1.0, height: float = DEFAULT_EYE_HEIGHT,
                target_height: float = 1.0, min_transmittance: float = 0.5) -> Concealment:
    """Places near a route that stay hidden from a walker until close: recesses, corners, the
    back of a hedge.

    Parameters
    ----------
    scene : Scene
    path : (m, 2|3) float
        Route polyline [m] on the ground.
    grid : CalculationGrid
        Candidate points [m] on the ground; those within ``distance`` (plan) of the route are
        tested.
    distance : float
        Search band either side of the route [m] (default 10).
    close : float
        A point first seen nearer than this [m] is a concealment spot (default 5 m, about
        the distance at which a face is recognised at low light).
    spacing : float
        Distance between walker stations [m].
    height : float
        Walker's eye height [m].
    target_height : float
        Height above the grid point that must be seen [m] (1.0: a crouching or standing
        person's body).
    min_transmittance : float
        Least sight transmittance [-] for a point to count as seen.

    Returns
    -------
    Concealment

    Notes
    -----
    Walking forward, the stations from the route's start up to the one nearest to the point
    are scanned in order; the first with a sightline to the point gives the forward reveal
    distance. Backward likewise from the end. The point's reveal distance is the smaller:
    a spot is concealed when either approach reveals it late (Fisher and Nasar 1992's
    "refuge" for an offender, low prospect for the walker).
    """
    _check_scene(scene)
    if not isinstance(grid, CalculationGrid):
        raise ParameterError(f"grid: expected a CalculationGrid, got {type(grid).__name__}")
    distance = as_float(distance, "distance", lo=0.0, lo_open=True)
    close = as_float(close, "close", lo=0.0)
    spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
    min_tr = as_float(min_transmittance, "min_transmittance", lo=0.0, hi=1.0, lo_open=True)
    t0 = time.perf_counter()
    line = as_polyline(path, "path")
    st, _, _ = sample_polyline(line, spacing, "path")
    st[:, 2] += as_float(height, "height")
    near = distance_to_polyline(grid.points[:, :2], line) <= distance
    idx = np.nonzero(near)[0]
    reveal = np.full(grid.n_points, np.nan)
    if idx.size:
        from scipy.spatial import cKDTree

        tg = grid.local_points(scene)[idx]
        tg[:, 2] += as_float(target_height, "target_height")
        closest = cKDTree(st[:, :2]).query(grid.points[idx, :2])[1].astype(np.int64)
        order = spatial_order(tg[:, :2])
        fwd = np.empty(idx.size)
        bwd = np.empty(idx.size)
        face_tr = np.ascontiguousarray(scene.sight_transmittance)
        K.first_reveal_kernel(scene.bvh, face_tr, bool(np.any(face_tr > 0)), min_tr,
                              np.ascontiguousarray(tg[order]), scene.to_local(st),
                              np.ascontiguousarray(closest[order]), float(scene.ray_offset),
                              fwd, bwd)
        rv = np.empty(idx.size)
        rv[order] = np.minimum(fwd, bwd)
        reveal[idx] = rv
    spot = np.where(near, ((reveal < close) | np.isinf(reveal)).astype(np.float64), np.nan)
    prov = provenance(function="concealment", distance=distance, close=close, spacing=spacing,
                      height=float(height), target_height=float(target_height),
                      min_transmittance=min_tr, threads=get_threads(),
                      elapsed_s=time.perf_counter() - t0)
    return Concealment(Field(reveal, grid, "reveal_distance", "m", prov),
                       Field(spot, grid, "concealment_spot", "1", prov))


# ---------------------------------------------------------------------- entrapment
@dataclass(frozen=True, eq=False)
class Entrapment:
    """Stretches of a route walled in on both sides.

    Attributes
    ----------
    chainage : (k,) float
        Station distances along the route [m].
    walled : (k,) bool
        Both sides closed by a wall at the station.
    stretches : (s, 2) float
        Start and end chainage [m] of each walled run at least ``min_length`` long.
    """

    chainage: np.ndarray
    walled: np.ndarray
    stretches: np.ndarray
    settings: dict = field(default_factory=dict)

    @property
    def total_length(self) -> float:
        """Summed length of the entrapment stretches [m]."""
        return float(np.sum(self.stretches[:, 1] - self.stretches[:, 0])) if self.stretches.size else 0.0


def entrapment(scene: Scene, path, *, spacing: float = 1.0, side_distance: float = 3.0,
               wall_height: float = 2.0, min_length: float = 20.0) -> Entrapment:
    """Route stretches with high walls on both sides and no way out.

    At each station, horizontal rays go left and right (perpendicular to the heading) at
    0.5 m and at ``wall_height`` above the path. A side is closed when both rays meet a
    surface within ``side_distance``; a station is walled when both sides are closed. Runs
    of walled stations at least ``min_length`` long are entrapment stretches (no side exit,
    no escape: Fisher and Nasar's 1992 "escape" at its lowest).

    Parameters
    ----------
    scene : Scene
    path : (m, 2|3) float
        Route polyline [m].
    spacing : float
        Station spacing [m].
    side_distance : float
        How far a wall may stand from the path [m].
    wall_height : float
        Height a wall must reach to trap [m] (one cannot see or climb over it).
    min_length : float
        Shortest stretch reported [m].

    Returns
    -------
    Entrapment
    """
    _check_scene(scene)
    spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
    side_distance = as_float(side_distance, "side_distance", lo=0.0, lo_open=True)
    wall_height = as_float(wall_height, "wall_height", lo=0.5)
    min_length = as_float(min_length, "min_length", lo=0.0)
    pts, head, s = sample_polyline(path, spacing, "path")
    loc = scene.to_local(pts)
    hxy = head[:, :2] / np.maximum(np.linalg.norm(head[:, :2], axis=1), 1e-12)[:, None]
    left = np.column_stack([-hxy[:, 1], hxy[:, 0], np.zeros(len(s))])
    origins, dirs = [], []
    for z in (0.5, wall_height):
        for sgn in (1.0, -1.0):
            o = loc.copy()
            o[:, 2] += z
            origins.append(o)
            dirs.append(sgn * left)
    o = np.ascontiguousarray(np.vstack(origins))
    d = np.ascontiguousarray(np.vstack(dirs))
    m = o.shape[0]
    t = np.empty(m)
    f = np.empty(m, dtype=np.int64)
    bvh_query.closest_hit_batch(scene.bvh, o, d, np.full(m, float(scene.ray_offset)),
                                np.full(m, side_distance), t, f)
    closed = (f >= 0).reshape(4, len(s))
    walled = closed.all(axis=0)
    stretches = []
    half = 0.5 * (s[1] - s[0]) if len(s) > 1 else 0.5 * spacing
    k = 0
    while k < len(s):
        if walled[k]:
            j = k
            while j + 1 < len(s) and walled[j + 1]:
                j += 1
            a, b = max(0.0, s[k] - half), s[j] + half
            if b - a >= min_length:
                stretches.append((a, b))
            k = j + 1
        else:
            k += 1
    return Entrapment(s, walled, np.array(stretches, dtype=np.float64).reshape(-1, 2),
                      {"spacing": spacing, "side_distance": side_distance,
                       "wall_height": wall_height, "min_length": min_length})
