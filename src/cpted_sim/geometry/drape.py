"""The walkable surface below a point, and points inside closed geometry (layer L2).

Heights in real places are relative to the walkable surface (the road, the pavement, the
terrain), never to a roof or a bridge deck above (docs/architecture.md §4). Everything here is found by
bulk ray casts through :func:`cpted_sim.geometry.query.closest_hit`: each pass casts one ray
per still-unresolved point, then the rays that met a face that does not count step past it and
go again. Python only loops over these passes (a few per point); the rays run in the engine.

Rules
-----
*Walkable face*: its normal is within ``max_slope_deg`` of the vertical (either sense, as mesh
files do not agree on winding) and, when ``walkable`` names groups, it belongs to one of them.

*Surface* (``reference="surface"``): the lowest walkable face in the vertical line through the
point (a ray cast up from below the scene), so a bridge deck or an arcade's roof above a street
is never taken for the street. *Deck* (``reference="deck"``): the highest walkable face (a ray
cast down from above the scene), for routes over a bridge or a podium; name the walkable groups
so that roofs do not count.

*Inside* (:func:`inside_volumes`): a point is inside closed geometry when a ray (nearly) straight
up crosses the faces an odd number of times **and** at least three of four nearly horizontal
rays (turned off the axes, tilted up 0.6 deg so none grazes an axis-aligned wall or the ground)
do too. A single ray's parity is fooled by an open sheet (the terrain, a bridge deck, a bank):
the sheet is crossed once going up but not sideways, and one sheet crossed sideways costs one
vote only. A point on a boundary has rays that leave at once, so it mostly counts as outside. A point
just under an open sheet (under the pavement) may vote inside, as the tilted rays come up
through the sheet: test "below the surface" (:func:`surface_below`) first, as the scenario
checks do. Hits nearer than the scene's
ray offset to a previous hit count once (a ray through a shared edge).
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .._validate import as_float
from ..errors import CptedWarning, GridError, ParameterError
from .grid import CalculationGrid
from .query import closest_hit
from .scene import Scene

__all__ = ["surface_below", "inside_volumes", "drape_grid", "walkable_faces",
           "REFERENCES", "DEFAULT_MAX_SLOPE_DEG"]

#: Height references of areas, routes and observers in scenario files.
REFERENCES = ("surface", "deck", "absolute")
#: Steepest face [deg from horizontal] that still counts as walkable (ramps, kerbs' tops).
DEFAULT_MAX_SLOPE_DEG = 30.0
#: Most faces a ray steps past before giving up.
MAX_PASSES = 64
#: The five rays of the inside vote: nearly up, and four nearly horizontal ones, turned off
#: the axes and tilted up a little so that none grazes an axis-aligned wall or the ground.
_VOTE_DIRECTIONS = tuple(
    tuple(v / np.linalg.norm(v)) for v in
    [np.array([0.0123, 0.0071, 1.0])]
    + [np.array([math.cos(a), math.sin(a), 0.01]) for a in 0.1234 + np.arange(4) * math.pi / 2])


def _check_scene(scene) -> Scene:
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
    return scene


def _group_codes(scene: Scene, names, what: str) -> np.ndarray:
    if isinstance(names, str):
        names = [names]
    codes = []
    for nm in names:
        if nm not in scene.groups:
            close = difflib.get_close_matches(str(nm), scene.groups, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(f"{what}: group {nm!r} is not in the scene{hint}; groups: "
                                 f"{list(scene.groups)}")
        codes.append(scene.groups.index(nm))
    return np.asarray(codes, dtype=np.int64)


def walkable_faces(scene: Scene, walkable: Sequence[str] | None = None,
                   max_slope_deg: float = DEFAULT_MAX_SLOPE_DEG) -> np.ndarray:
    """Which faces count as walkable.

    Parameters
    ----------
    scene : Scene
    walkable : sequence of str, optional
        Groups that may be walked on (default: every group).
    max_slope_deg : float
        Steepest walkable face [deg from horizontal], 0..90.

    Returns
    -------
    (n_faces,) bool
    """
    scene = _check_scene(scene)
    slope = as_float(max_slope_deg, "max_slope_deg", lo=0.0, hi=90.0)
    ok = np.abs(scene.face_normals[:, 2]) >= math.cos(math.radians(slope)) - 1e-12
    if walkable is not None:
        ok &= np.isin(scene.face_group, _group_codes(scene, walkable, "walkable"))
    return ok


def _as_xy(xy) -> np.ndarray:
    a = np.asarray(xy, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] not in (2, 3):
        raise ParameterError(f"xy: expected an (n, 2) array of plan positions [m], got shape "
                             f"{a.shape}")
    if not np.all(np.isfinite(a[:, :2])):
        raise ParameterError(f"xy: {int((~np.isfinite(a[:, :2])).any(axis=1).sum())} positions "
                             "are not finite")
    return np.ascontiguousarray(a[:, :2])


def _first_matching(scene, origins, direction, ok_face, tmax, engine):
    """Distance from each origin to the first face with ``ok_face`` along ``direction``.

    Steps past other faces, pass after pass. Returns (t, face), inf / -1 on a miss.
    """
    n = origins.shape[0]
    t_out = np.full(n, np.inf)
    f_out = np.full(n, -1, dtype=np.int64)
    travelled = np.zeros(n)
    active = np.arange(n)
    cur = origins.copy()
    d = np.asarray(direction, dtype=np.float64)
    for _ in range(MAX_PASSES):
        if active.size == 0:
            break
        dirs = np.broadcast_to(d, (active.size, 3))
        t, f = closest_hit(scene, cur[active], dirs, max_distance=tmax - travelled[active],
                           engine=engine)
        hit = f >= 0
        good = np.zeros(active.size, dtype=bool)
        good[hit] = ok_face[f[hit]]
        idx = active[good]
        t_out[idx] = travelled[idx] + t[good]
        f_out[idx] = f[good]
        step = hit & ~good
        nxt = active[step]
        travelled[nxt] += t[step]
        cur[nxt] += d * t[step][:, None]
        active = nxt
    return t_out, f_out


def surface_below(scene: Scene, xy, *, walkable: Sequence[str] | None = None,
                  max_slope_deg: float = DEFAULT_MAX_SLOPE_DEG, default: float = np.nan,
                  reference: str = "surface", engine: str | None = None) -> np.ndarray:
    """Height of the walkable surface at each plan position.

    Parameters
    ----------
    scene : Scene
    xy : (n, 2) float
        Plan positions, world coordinates [m] (a third column is ignored).
    walkable : sequence of str, optional
        Groups that may be walked on (default: every group); names the scene lacks are an
        error with a did-you-mean.
    max_slope_deg : float
        Steepest walkable face [deg from horizontal] (default 30).
    default : float
        Height returned where no walkable face lies in the vertical line [m] (default NaN).
    reference : {"surface", "deck"}
        ``"surface"``: the lowest walkable face (the street under a bridge); ``"deck"``: the
        highest (the bridge deck). See the module notes.
    engine : str, optional
        Ray engine (default ``"numba"``).

    Returns
    -------
    (n,) float
        Surface height z [m] per position.
    """
    scene = _check_scene(scene)
    p = _as_xy(xy)
    if reference not in ("surface", "deck"):
        raise ParameterError(f"reference: expected 'surface' or 'deck', got {reference!r}")
    ok = walkable_faces(scene, walkable, max_slope_deg)
    out = np.full(p.shape[0], float(default))
    if p.shape[0] == 0 or not ok.any():
        return out
    zlo, zhi = float(scene.bounds[0, 2]), float(scene.bounds[1, 2])
    margin = 1.0 + 1e-3 * max(1.0, zhi - zlo)
    z0 = zlo - margin if reference == "surface" else zhi + margin
    origins = np.column_stack([p, np.full(p.shape[0], z0)])
    sense = 1.0 if reference == "surface" else -1.0
    t, _ = _first_matching(scene, origins, (0.0, 0.0, sense), ok, (zhi - zlo) + 2 * margin,
                           engine)
    hit = np.isfinite(t)
    out[hit] = z0 + sense * t[hit]
    return out


def _crossings(scene, points, direction, in_set, engine) -> np.ndarray:
    """Number of faces of ``in_set`` crossed by a ray from each point (to the scene's end)."""
    n = points.shape[0]
    count = np.zeros(n, dtype=np.int64)
    active = np.arange(n)
    cur = points.copy()
    d = np.asarray(direction, dtype=np.float64)
    for _ in range(4 * MAX_PASSES):
        if active.size == 0:
            break
        t, f = closest_hit(scene, cur[active], np.broadcast_to(d, (active.size, 3)),
                           engine=engine)
        hit = f >= 0
        counted = np.zeros(active.size, dtype=bool)
        counted[hit] = in_set[f[hit]]
        np.add.at(count, active[counted], 1)
        nxt = active[hit]
        cur[nxt] += d * t[hit][:, None]
        active = nxt
    return count


def inside_volumes(scene: Scene, points, *, groups: Sequence[str] | None = None,
                   engine: str | None = None) -> np.ndarray:
    """Whether each point lies inside closed geometry (a building, a wall's solid).

    Parameters
    ----------
    scene : Scene
    points : (n, 3) float
        World coordinates [m].
    groups : sequence of str, optional
        Groups whose faces bound the volumes (default: every group). Leave out open sheets
        that a mesh stitches to its volumes when they confuse the vote.
    engine : str, optional
        Ray engine (default ``"numba"``).

    Returns
    -------
    (n,) bool

    Notes
    -----
    Parity vote: inside when the ray up and at least three of four nearly horizontal rays
    cross the faces an odd number of times (module notes).
    """
    scene = _check_scene(scene)
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ParameterError(f"points: expected an (n, 3) array [m], got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ParameterError("points: some coordinates are not finite")
    if groups is None:
        in_set = np.ones(scene.n_faces, dtype=bool)
    else:
        in_set = np.isin(scene.face_group, _group_codes(scene, groups, "groups"))
    out = np.zeros(pts.shape[0], dtype=bool)
    if pts.shape[0] == 0 or not in_set.any():
        return out
    up = _crossings(scene, pts, _VOTE_DIRECTIONS[0], in_set, engine) % 2 == 1
    cand = np.nonzero(up)[0]
    if cand.size == 0:
        return out
    votes = np.zeros(cand.size, dtype=np.int64)
    for d in _VOTE_DIRECTIONS[1:]:
        votes += _crossings(scene, pts[cand], d, in_set, engine) % 2
    out[cand[votes >= 3]] = True
    return out


def drape_grid(grid: CalculationGrid, scene: Scene, height: float = 0.0, *,
               reference: str = "surface", walkable: Sequence[str] | None = None,
               max_slope_deg: float = DEFAULT_MAX_SLOPE_DEG, missing: str = "drop",
               engine: str | None = None) -> CalculationGrid:
    """The grid put ``height`` metres above the walkable surface under each point.

    Parameters
    ----------
    grid : CalculationGrid
        A plan grid or route points; their x, y are kept, z is replaced.
    scene : Scene
    height : float
        Height above the surface [m] (0 for E_h; faces at 1.5 are lifted by the caller).
    reference : {"surface", "deck", "absolute"}
        Which walkable face (:func:`surface_below`); ``"absolute"``: z = ``height``.
    walkable, max_slope_deg, engine
        As in :func:`surface_below`.
    missing : {"drop", "raise"}
        Points with no walkable surface below: dropped with a :class:`CptedWarning` giving
        the count (the raster keeps their cells empty), or a :class:`GridError`.

    Returns
    -------
    CalculationGrid
    """
    if not isinstance(grid, CalculationGrid):
        raise ParameterError(f"grid: expected a CalculationGrid, got {type(grid).__name__}")
    if reference not in REFERENCES:
        raise ParameterError(f"reference: expected one of {REFERENCES}, got {reference!r}")
    if missing not in ("drop", "raise"):
        raise ParameterError(f"missing: expected 'drop' or 'raise', got {missing!r}")
    h = as_float(height, "height")
    pts = grid.points.copy()
    if reference == "absolute":
        pts[:, 2] = h
        return replace(grid, points=pts)
    z = surface_below(scene, pts[:, :2], walkable=walkable, max_slope_deg=max_slope_deg,
                      reference=reference, engine=engine)
    hit = np.isfinite(z)
    n_miss = int((~hit).sum())
    if n_miss:
        msg = (f"grid {grid.name!r}: {n_miss} of {hit.size} points have no walkable surface "
               f"below (first at x={pts[~hit][0, 0]:.2f}, y={pts[~hit][0, 1]:.2f})")
        if missing == "raise" or n_miss == hit.size:
            raise GridError(msg + "; check the area against the scene and its walkable groups")
        warnings.warn(msg + "; they are left out", CptedWarning, stacklevel=2)
    pts[:, 2] = z + h
    sel = np.nonzero(hit)[0]

    def take(a):
        return None if a is None else a[sel]

    return replace(grid, points=np.ascontiguousarray(pts[sel]), normals=take(grid.normals),
                   raster_index=take(grid.raster_index), areas=take(grid.areas),
                   face_index=take(grid.face_index))
