"""Windows and doors of a city model as observers: from semantic surfaces, or generated.

A CityJSON LoD 3 model marks its openings (``Window``, ``Door`` semantic surfaces, read as the
groups ``"Building/Window"``, ``"Building/Door"``); each becomes an observer 0.3 m out along its
outward normal. 3D BAG and 3dfier models have none: :func:`generate_windows` then lays windows
on the building walls (``WallSurface`` groups, or the vertical faces of ``Building*`` groups)
by a rule, storey by storey and bay by bay, keeps those on facades facing a study area, and
drops every eye that would lie inside a building (party walls between adjacent buildings).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._validate import as_float
from ..errors import CptedWarning, ParameterError
from ..geometry.query import closest_hit
from ..geometry.scene import Scene
from .observers import DEFAULT_RANGE, ObserverSet

__all__ = ["WindowRule", "WindowLayout", "semantic_openings", "generate_windows",
           "window_layout", "wall_groups", "opening_groups", "OPENING_KINDS", "EYE_ABOVE_SILL"]

log = logging.getLogger(__name__)

#: CityJSON semantic surface types read as openings, and the observer kind of each.
OPENING_KINDS = {"Window": "window", "Door": "door"}
#: Eye height above a window sill [m] (docs/architecture.md §4: windows at their sill plus 1.2 m).
EYE_ABOVE_SILL = 1.2


@dataclass(frozen=True)
class WindowRule:
    """How windows are laid on walls that have none.

    Attributes
    ----------
    storey_height : float
        Floor-to-floor height [m].
    spacing : float
        Bay width [m]: a facade ``w`` metres wide gets ``floor(w / spacing)`` windows per
        storey (at least one when ``w >= min_width``), evenly spread.
    ground_floor : bool
        Whether the ground floor has windows.
    sill_height : float
        Sill above each floor [m]; the eye is ``sill_height + 1.2`` m above the floor.
    min_width : float
        Walls narrower than this [m] get no window.
    eye_offset : float
        Distance [m] of the eye in front of the wall, along its outward normal.
    """

    storey_height: float = 3.0
    spacing: float = 4.0
    ground_floor: bool = True
    sill_height: float = 0.4
    min_width: float = 1.0
    eye_offset: float = 0.3

    def __post_init__(self):
        as_float(self.storey_height, "storey_height", lo=0.0, lo_open=True)
        as_float(self.spacing, "spacing", lo=0.0, lo_open=True)
        as_float(self.sill_height, "sill_height", lo=0.0)
        as_float(self.min_width, "min_width", lo=0.0)
        as_float(self.eye_offset, "eye_offset", lo=0.0)
        if not isinstance(self.ground_floor, (bool, np.bool_)):
            raise ParameterError(f"ground_floor: expected True or False, got {self.ground_floor!r}")


class WindowLayout(NamedTuple):
    """Generated window eyes and what was left out.

    Attributes
    ----------
    positions : (n, 3) float
        Eye points [m], world coordinates.
    normals : (n, 3) float
        Outward horizontal unit normals of their walls.
    n_candidates : int
        Positions laid on the walls before any filter.
    n_not_facing : int
        Left out because their facade does not face the area or is beyond ``max_distance``.
    n_inside : int
        Left out because the eye lies inside a building.
    """

    positions: np.ndarray
    normals: np.ndarray
    n_candidates: int
    n_not_facing: int
    n_inside: int


def _leaf(group: str) -> str:
    return group.rsplit("/", 1)[-1]


def opening_groups(scene: Scene, kinds: Sequence[str] = ("Window", "Door")) -> dict[str, list]:
    """Semantic opening groups of the scene by type: ``{"Window": ["Building/Window"], ...}``.

    Raises
    ------
    ParameterError
        A type that is not a CityJSON opening (``Window``, ``Door``).
    """
    out: dict[str, list] = {}
    for k in kinds:
        if k not in OPENING_KINDS:
            raise ParameterError(f"semantic: expected Window or Door, got {k!r}")
        out[k] = [g for g in scene.groups if _leaf(g) == k]
    return out


def semantic_openings(scene: Scene, kinds: Sequence[str] = ("Window", "Door"), *,
                      eye_offset: float = 0.3, fov=180.0, max_distance=DEFAULT_RANGE,
                      weight=1.0) -> ObserverSet:
    """One observer per window or door surface of the model (CityJSON semantics, LoD 3).

    Parameters
    ----------
    scene : Scene
        Read with ``group_by="material"`` so that semantic surfaces are groups
        (``"Building/Window"``).
    kinds : sequence of {"Window", "Door"}
    eye_offset : float
        Distance [m] of the eye in front of the opening, along its outward normal.
    fov, max_distance, weight
        As in :meth:`ObserverSet.from_points`.

    Raises
    ------
    ParameterError
        The scene has no surface of these types (the message lists its groups and points to
        :func:`generate_windows`).
    """
    found = opening_groups(scene, kinds)
    sets = [ObserverSet.from_faces(scene, groups, eye_offset=eye_offset, fov=fov,
                                   max_distance=max_distance, weight=weight,
                                   kind=OPENING_KINDS[k])
            for k, groups in found.items() if groups]
    if not sets:
        raise ParameterError(f"semantic {list(kinds)}: the model has no such semantic surfaces "
                             f"(LoD 3 only; 3D BAG and 3dfier models have none), groups: "
                             f"{list(scene.groups)[:12]}; generate windows with a rule instead")
    out = sets[0]
    for s in sets[1:]:
        out = out + s
    return out


def wall_groups(scene: Scene) -> list[str]:
    """The groups windows are laid on: ``*/WallSurface`` where the model has them, otherwise
    every group whose name begins with ``Building`` (their vertical faces are the walls)."""
    walls = [g for g in scene.groups if _leaf(g) == "WallSurface"]
    if walls:
        return walls
    return [g for g in scene.groups if g.split("/", 1)[0].lower().startswith("building")]


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for every (s, c) pair, without a loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + np.arange(total) - offs


def _facing(pos_xy, normal_xy, polygon, max_distance) -> np.ndarray:
    """(n,) bool: the nearest point of the area polygon is in front of the wall and within
    ``max_distance`` (points inside the area face it)."""
    poly = np.asarray(polygon, dtype=np.float64)[:, :2]
    a = poly
    b = np.roll(poly, -1, axis=0)
    ab = b - a
    ap = pos_xy[:, None, :] - a[None, :, :]
    t = np.clip(np.einsum("nmk,mk->nm", ap, ab) / np.maximum((ab * ab).sum(1), 1e-300), 0, 1)
    near = a[None] + t[..., None] * ab[None]
    d2 = ((near - pos_xy[:, None, :]) ** 2).sum(-1)
    k = np.argmin(d2, axis=1)
    q = near[np.arange(len(pos_xy)), k]
    dist = np.sqrt(d2[np.arange(len(pos_xy)), k])
    # inside the polygon (even-odd rule on a horizontal ray)
    x, y = pos_xy[:, 0:1], pos_xy[:, 1:2]
    cross = ((a[None, :, 1] > y) != (b[None, :, 1] > y)) & (
        x < a[None, :, 0] + (y - a[None, :, 1]) * (b[None, :, 0] - a[None, :, 0])
        / np.where(b[None, :, 1] != a[None, :, 1], b[None, :, 1] - a[None, :, 1], 1.0))
    inside = (cross.sum(1) % 2) == 1
    toward = np.einsum("nk,nk->n", q - pos_xy, normal_xy) > 0
    ok = inside | toward
    if max_distance is not None:
        ok &= inside | (dist <= max_distance)
    return ok


def _inside_buildings(scene: Scene, eyes: np.ndarray) -> np.ndarray:
    """(n,) bool: an eye lies inside a closed volume. A vertical ray up from it leaves through
    a face whose normal points up (a roof seen from below, or the ground from under it)."""
    if len(eyes) == 0:
        return np.zeros(0, dtype=bool)
    up = np.tile([0.0, 0.0, 1.0], (len(eyes), 1))
    _, face = closest_hit(scene, eyes, up)
    hit = face >= 0
    inside = np.zeros(len(eyes), dtype=bool)
    inside[hit] = scene.face_normals[face[hit], 2] > 0
    return inside


def _building_base(faces, scene: Scene, plane, n_planes: int, plane_zmin) -> np.ndarray:
    """(n_planes,) lowest z of the connected wall faces (one building or a terraced block)
    each wall plane belongs to [m, local]."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = faces.size
    corners = scene.faces[faces].ravel()
    key = np.round(scene.vertices[corners] * 1000).astype(np.int64)
    _, vid = np.unique(key, axis=0, return_inverse=True)
    vid = vid.ravel()
    n_v = int(vid.max()) + 1
    # faces to their welded corners, and each face to its plane (so a plane is one piece)
    rows = np.concatenate([np.repeat(np.arange(m), 3), np.arange(m)])
    cols = np.concatenate([m + vid, m + n_v + plane])
    size = m + n_v + n_planes
    g = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(size, size))
    _, lab = connected_components(g, directed=False)
    comp_of_plane = lab[m + n_v:]
    low = np.full(int(lab.max()) + 1, np.inf)
    np.minimum.at(low, comp_of_plane, plane_zmin)
    return low[comp_of_plane]


def window_layout(scene: Scene, rule: WindowRule | None = None, *, groups=None,
                  facing=None, max_distance: float | None = None,
                  min_tilt: float = 80.0) -> WindowLayout:
    """Window eyes laid on the walls by ``rule`` (see :func:`generate_windows`), with counts of
    what was left out. Vectorised: no Python loop over walls or windows."""
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
    rule = WindowRule() if rule is None else rule
    if groups is None:
        groups = wall_groups(scene)
        if not groups:
            raise ParameterError(f"no wall groups: the scene has no '*/WallSurface' and no "
                                 f"'Building*' group; name the wall groups; groups: "
                                 f"{list(scene.groups)[:12]}")
    faces = scene.group_faces(groups)
    nrm = scene.face_normals[faces]
    steep = np.abs(nrm[:, 2]) <= np.cos(np.radians(as_float(min_tilt, "min_tilt", lo=0, hi=90)))
    faces, nrm = faces[steep], nrm[steep]
    if faces.size == 0:
        raise ParameterError(f"groups {list(groups)[:6]}: no vertical wall faces")
    h = nrm[:, :2] / np.linalg.norm(nrm[:, :2], axis=1)[:, None]
    tri = scene.vertices[scene.faces[faces]]                      # (m, 3, 3) local
    off = np.einsum("ij,ij->i", h, tri[:, 0, :2])
    key = np.column_stack([np.round(h * 1000), np.round(off * 100)]).astype(np.int64)
    _, plane = np.unique(key, axis=0, return_inverse=True)
    plane = plane.ravel()
    order = np.argsort(plane, kind="stable")
    plane, tri, h, off = plane[order], tri[order], h[order], off[order]
    n_planes = int(plane[-1]) + 1
    start = np.searchsorted(plane, np.arange(n_planes))
    ntri = np.diff(np.append(start, len(plane)))
    u_dir = np.column_stack([-h[:, 1], h[:, 0]])
    u = np.einsum("mkj,mj->mk", tri[:, :, :2], u_dir)            # (m, 3)
    z = tri[:, :, 2]
    umin = np.minimum.reduceat(u.min(1), start)
    umax = np.maximum.reduceat(u.max(1), start)
    zmin = np.minimum.reduceat(z.min(1), start)
    zmax = np.maximum.reduceat(z.max(1), start)
    width = umax - umin
    n_u = np.where(width >= rule.min_width, np.maximum(1, np.floor(width / rule.spacing)), 0)
    n_u = n_u.astype(np.int64)
    eye = rule.sill_height + EYE_ABOVE_SILL
    # storeys count from the foot of the whole building (its walls welded at shared corners),
    # so a wall above a lower roof gets the upper floors, not a ground floor of its own
    base = _building_base(faces[order], scene, plane, n_planes, zmin)
    k0 = 0 if rule.ground_floor else 1
    k_lo = np.maximum(k0, np.ceil((zmin - base - eye) / rule.storey_height - 1e-9))
    k_hi = np.floor((zmax - base - eye) / rule.storey_height)
    n_z = np.maximum(k_hi - k_lo + 1, 0).astype(np.int64)
    per = n_u * n_z
    cand_plane = np.repeat(np.arange(n_planes), per)
    idx = _ranges(np.zeros(n_planes, dtype=np.int64), per)       # 0..per-1 within each plane
    iu = idx % np.repeat(np.maximum(n_u, 1), per)
    iz = idx // np.repeat(np.maximum(n_u, 1), per) + k_lo[cand_plane]
    cu = umin[cand_plane] + (iu + 0.5) * (width[cand_plane] / n_u[cand_plane])
    cz = base[cand_plane] + iz * rule.storey_height + eye
    keep = cz < zmax[cand_plane]
    cand_plane, cu, cz = cand_plane[keep], cu[keep], cz[keep]
    n_cand = int(cand_plane.size)
    # each candidate against each triangle of its plane: inside one of them?
    reps = ntri[cand_plane]
    pair_c = np.repeat(np.arange(n_cand), reps)
    pair_t = _ranges(start[cand_plane], reps)
    tu, tz = u[pair_t], z[pair_t]
    pu, pz = cu[pair_c], cz[pair_c]
    d = [(pu - tu[:, (k + 1) % 3]) * (tz[:, k] - tz[:, (k + 1) % 3])
         - (tu[:, k] - tu[:, (k + 1) % 3]) * (pz - tz[:, (k + 1) % 3]) for k in range(3)]
    eps = 1e-9
    neg = (d[0] < -eps) | (d[1] < -eps) | (d[2] < -eps)
    pos = (d[0] > eps) | (d[1] > eps) | (d[2] > eps)
    on_wall = np.bincount(pair_c[~(neg & pos)], minlength=n_cand) > 0
    cand_plane, cu, cz = cand_plane[on_wall], cu[on_wall], cz[on_wall]
    n_cand = int(cand_plane.size)
    first = start[cand_plane]
    hn = h[first]
    xy = off[first][:, None] * hn + cu[:, None] * u_dir[first]
    normals = np.column_stack([hn, np.zeros(n_cand)])
    local = np.column_stack([xy, cz]) + rule.eye_offset * normals
    world = scene.to_world(local)
    n_not_facing = 0
    if facing is not None:
        ok = _facing(world[:, :2], hn, facing, max_distance)
        n_not_facing = int((~ok).sum())
        world, normals = world[ok], normals[ok]
    elif max_distance is not None:
        raise ParameterError("max_distance: needs a facing area")
    inside = _inside_buildings(scene, world)
    return WindowLayout(np.ascontiguousarray(world[~inside]),
                        np.ascontiguousarray(normals[~inside]),
                        n_cand, n_not_facing, int(inside.sum()))


def generate_windows(scene: Scene, rule: WindowRule | None = None, *, groups=None,
                     facing=None, max_distance: float | None = None, fov=180.0,
                     range=DEFAULT_RANGE, weight=1.0, min_tilt: float = 80.0) -> ObserverSet:
    """Window observers generated on building walls, facing an area.

    Each wall plane (coplanar vertical faces of ``groups``) gets windows on storeys
    ``base + k * storey_height + sill_height + 1.2`` (``base`` the foot of the building: the
    lowest point of the walls connected to it; ``k`` from 0, or 1 without a ground
    floor, while below the top of the wall) and ``floor(width / spacing)`` evenly spread bays;
    a position counts only where it lies on a face of the wall. Each eye is ``eye_offset``
    metres out along the wall's outward normal and looks along it.

    Parameters
    ----------
    scene : Scene
    rule : WindowRule, optional
        Storey height, spacing, ground floor, sill height (default ``WindowRule()``).
    groups : str or sequence of str, optional
        Wall groups; default :func:`wall_groups`.
    facing : (m, 2) float, optional
        The study area's polygon [m, world]: only walls whose outward normal points toward
        its nearest point (or that stand inside it) get windows.
    max_distance : float, optional
        Only windows within this distance [m] of ``facing``.
    fov, range, weight
        Field of view [deg], sight range [m] and weight of each observer.
    min_tilt : float
        Faces tilted less than this from horizontal [deg] are not walls.

    Returns
    -------
    ObserverSet
        ``kind == "window"``.

    Raises
    ------
    ParameterError
        No wall faces, a bad rule, or no window left (the message gives the counts).

    Warns
    -----
    CptedWarning
        Positions dropped because the eye lies inside a building (party walls between
        adjacent buildings), with the count.
    """
    lay = window_layout(scene, rule, groups=groups, facing=facing, max_distance=max_distance,
                        min_tilt=min_tilt)
    if lay.n_inside:
        warnings.warn(f"generated windows: {lay.n_inside} of {lay.n_candidates - lay.n_not_facing}"
                      f" positions lie inside a building (party walls between adjacent "
                      f"buildings) and were dropped", CptedWarning, stacklevel=2)
    if len(lay.positions) == 0:
        raise ParameterError(f"generated windows: none left of {lay.n_candidates} positions on "
                             f"the walls ({lay.n_not_facing} not facing the area or too far, "
                             f"{lay.n_inside} inside buildings)")
    return ObserverSet.from_points(lay.positions, lay.normals, fov=fov, max_distance=range,
                                   weight=weight, kind="window")
