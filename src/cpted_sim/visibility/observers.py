"""Observers: the eyes of natural surveillance (windows, doors, walkers, explicit points)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validate import as_float, as_points, as_vector
from ..errors import ParameterError
from ..geometry.scene import Scene

__all__ = ["ObserverSet", "OBSERVER_KINDS", "DEFAULT_EYE_HEIGHT", "DEFAULT_RANGE"]

OBSERVER_KINDS = ("person", "window", "door", "path")
DEFAULT_EYE_HEIGHT = 1.6
#: How far an observer recognises a person [m] when no range is given: in Python (every
#: ``ObserverSet`` constructor, ``generate_windows``), in scenario files (``[[observers]]``
#: ``max_distance``) and so on the CLI. Docs/architecture.md §10 gives the reasoning.
DEFAULT_RANGE = 50.0


def _broadcast(value, n: int, name: str, lo=None, hi=None, lo_open=False) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64)) if not np.isscalar(value) else None
    if arr is None or arr.shape == (1,):
        v = as_float(value if arr is None else arr[0], name, lo=lo, hi=hi, lo_open=lo_open)
        return np.full(n, v)
    arr = as_vector(arr, name, n)
    if lo is not None and (np.any(arr < lo) or (lo_open and np.any(arr == lo))):
        raise ParameterError(f"{name}: expected values {'>' if lo_open else '>='} {lo}, "
                             f"got min {arr.min()}")
    if hi is not None and np.any(arr > hi):
        raise ParameterError(f"{name}: expected values <= {hi}, got max {arr.max()}")
    return arr


def _unit_rows(v: np.ndarray, name: str) -> np.ndarray:
    length = np.linalg.norm(v, axis=1)
    if np.any(length == 0):
        raise ParameterError(f"{name}: {int(np.sum(length == 0))} zero-length directions "
                             f"(first at index {int(np.argmax(length == 0))})")
    return np.ascontiguousarray(v / length[:, None])


@dataclass(frozen=True, eq=False)
class ObserverSet:
    """Eye points that watch a place, each with a facing direction, field of view, range, weight.

    Build one with :meth:`from_points`, :meth:`from_faces`, :meth:`on_facades` or
    :meth:`from_paths`; join sets with ``+``.

    Attributes
    ----------
    positions : (n, 3) float
        Eye points, world coordinates [m].
    directions : (n, 3) float
        Unit facing directions (a window's outward normal, a walker's heading).
    fov : (n,) float
        Full apex angle of the cone of view [deg]: 180 is the half-space in front of a
        window, 360 sees all round, 120 a cone of 60 deg about the facing direction.
    max_distance : (n,) float
        Longest sightline [m].
    weight : (n,) float
        Weight of each observer [-] (e.g. the share of homes occupied at night).
    kind : (n,) str
        ``"window"``, ``"door"``, ``"path"`` or ``"person"``.
    """

    positions: np.ndarray
    directions: np.ndarray
    fov: np.ndarray
    max_distance: np.ndarray
    weight: np.ndarray
    kind: np.ndarray

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_points(cls, points, directions=None, *, fov=360.0, max_distance=DEFAULT_RANGE,
                    weight=1.0, kind: str = "person") -> ObserverSet:
        """Observers at explicit eye points.

        Parameters
        ----------
        points : (n, 3) float
            Eye points [m] (world coordinates; include the eye height).
        directions : (n, 3) or (3,) float, optional
            Facing directions; required when ``fov < 360``. Default +X (unused at 360 deg).
        fov : float or (n,) float
            Full angle of the cone of view [deg], in (0, 360].
        max_distance : float or (n,) float
            Range [m], > 0.
        weight : float or (n,) float
            Weight [-], >= 0.
        kind : str
            One of ``OBSERVER_KINDS``.

        Raises
        ------
        ParameterError
            Wrong shapes or ranges, zero directions, unknown kind, or a narrow field of view
            without directions.
        """
        pts = as_points(points, "points")
        n = pts.shape[0]
        fov_a = _broadcast(fov, n, "fov", lo=0.0, hi=360.0, lo_open=True)
        if directions is None:
            if np.any(fov_a < 360.0):
                raise ParameterError("directions: required when fov < 360 deg (which way does "
                                     "each observer look?)")
            dirs = np.tile([1.0, 0.0, 0.0], (n, 1))
        else:
            d = np.asarray(directions, dtype=np.float64)
            if d.shape == (3,):
                d = np.tile(d, (n, 1))
            dirs = _unit_rows(as_points(d, "directions"), "directions")
            if dirs.shape[0] != n:
                raise ParameterError(f"directions: expected {n} rows like points, got {dirs.shape[0]}")
        if kind not in OBSERVER_KINDS:
            raise ParameterError(f"kind: expected one of {OBSERVER_KINDS}, got {kind!r}")
        return cls(pts, dirs, fov_a, _broadcast(max_distance, n, "max_distance", lo=0.0, lo_open=True),
                   _broadcast(weight, n, "weight", lo=0.0), np.full(n, kind, dtype=object))

    @classmethod
    def from_faces(cls, scene: Scene, groups: str | Sequence[str], *, per: str = "opening",
                   area_per_observer: float = 1.0, eye_offset: float = 0.1, fov=180.0,
                   max_distance=DEFAULT_RANGE, weight=1.0, kind: str = "window",
                   seed: int = 0) -> ObserverSet:
        """Observers at window or door faces of the mesh, looking outward along the face normal.

        Faces of ``groups`` that share vertices form one opening. ``per="opening"`` puts one
        observer at each opening's area-weighted centre; ``per="m2"`` puts
        ``max(1, round(area / area_per_observer))`` observers on each opening, sampled
        uniformly over its area (seeded). Every eye is moved ``eye_offset`` metres out along
        the opening's mean normal (the mesh's winding gives the outside).

        Parameters
        ----------
        scene : Scene
        groups : str or sequence of str
            Group / material names of the openings (``scene.tagged_groups("window")`` lists
            those tagged).
        per : {"opening", "m2"}
        area_per_observer : float
            Area [m2] per observer when ``per="m2"``.
        eye_offset : float
            Distance [m] of the eye in front of the face.
        fov, max_distance, weight, kind
            As in :meth:`from_points`.
        seed : int
            Seed of the sampling for ``per="m2"``.

        Raises
        ------
        ParameterError
            Unknown group, a group without faces, or a bad setting.
        """
        if not isinstance(scene, Scene):
            raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
        if per not in ("opening", "m2"):
            raise ParameterError(f"per: expected 'opening' or 'm2', got {per!r}")
        faces = scene.group_faces(groups)
        if faces.size == 0:
            raise ParameterError(f"groups {groups!r}: no faces")
        eye_offset = as_float(eye_offset, "eye_offset", lo=0.0)
        area_per_observer = as_float(area_per_observer, "area_per_observer", lo=0.0, lo_open=True)
        labels = _openings(scene, faces)
        tri = scene.vertices[scene.faces[faces]]  # local
        area = scene.face_areas[faces]
        normal = scene.face_normals[faces]
        cent = tri.mean(axis=1)
        n_open = int(labels.max()) + 1
        a_sum = np.bincount(labels, area, n_open)
        mean_n = np.stack([np.bincount(labels, area * normal[:, k], n_open) for k in range(3)], 1)
        mean_n = _unit_rows(mean_n, f"groups {groups!r}: opening normals")
        if per == "opening":
            pos = np.stack([np.bincount(labels, area * cent[:, k], n_open) for k in range(3)], 1)
            pos /= a_sum[:, None]
            dirs = mean_n
        else:
            rng = np.random.default_rng(seed)
            pos_l, dir_l = [], []
            for o in range(n_open):
                sel = np.nonzero(labels == o)[0]
                m = max(1, int(round(a_sum[o] / area_per_observer)))
                pick = sel[rng.choice(sel.size, size=m, p=area[sel] / a_sum[o])]
                u, v = rng.random(m), rng.random(m)
                flip = u + v > 1.0
                u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
                t = tri[pick]
                pos_l.append(t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0]))
                dir_l.append(np.tile(mean_n[o], (m, 1)))
            pos, dirs = np.vstack(pos_l), np.vstack(dir_l)
        eyes = scene.to_world(pos + eye_offset * dirs)
        return cls.from_points(eyes, dirs, fov=fov, max_distance=max_distance, weight=weight,
                               kind=kind)

    @classmethod
    def on_facades(cls, scene: Scene, groups: str | Sequence[str], *, floor_height: float = 3.0,
                   eye_height: float = DEFAULT_EYE_HEIGHT, spacing: float = 3.0,
                   ground: float | None = None, eye_offset: float = 0.1, min_tilt: float = 60.0,
                   fov=180.0, max_distance=DEFAULT_RANGE, weight=1.0) -> ObserverSet:
        """Windows generated on facades that have none: one per bay and floor.

        Every facade face of ``groups`` steeper than ``min_tilt`` from horizontal is treated
        in its own plane: points lie on floors ``ground + k * floor_height + eye_height`` and,
        along the facade's horizontal direction, every ``spacing`` metres from the plane's
        left edge (half a bay in). Points inside a face become window observers looking out
        along its normal, ``eye_offset`` metres in front of it.

        Parameters
        ----------
        scene : Scene
        groups : str or sequence of str
            Facade groups.
        floor_height : float
            Storey height [m].
        eye_height : float
            Eye height above each floor [m].
        spacing : float
            Bay width [m] between windows along the facade.
        ground : float, optional
            Level of the ground floor [m]; default the lowest point of each facade plane.
        eye_offset : float
            Distance [m] of the eye in front of the facade.
        min_tilt : float
            Faces tilted less than this from horizontal [deg] (roofs) are skipped.
        fov, max_distance, weight
            As in :meth:`from_points`.

        Raises
        ------
        ParameterError
            No facade face in the groups, no window fits, or a bad setting.
        """
        if not isinstance(scene, Scene):
            raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
        floor_height = as_float(floor_height, "floor_height", lo=0.0, lo_open=True)
        spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
        eye_height = as_float(eye_height, "eye_height", lo=0.0)
        eye_offset = as_float(eye_offset, "eye_offset", lo=0.0)
        faces = scene.group_faces(groups)
        nrm = scene.face_normals[faces]
        steep = np.abs(nrm[:, 2]) <= np.cos(np.radians(as_float(min_tilt, "min_tilt", lo=0.0, hi=90.0)))
        faces, nrm = faces[steep], nrm[steep]
        if faces.size == 0:
            raise ParameterError(f"groups {groups!r}: no facade faces (all are flatter than "
                                 f"{min_tilt} deg)")
        g_local = None if ground is None else as_float(ground, "ground") - scene.origin[2]
        # Planes: horizontal normal rounded to 1e-3 and offset to 1 mm.
        h = nrm[:, :2] / np.linalg.norm(nrm[:, :2], axis=1)[:, None]
        tri = scene.vertices[scene.faces[faces]]
        off = np.einsum("ij,ij->i", h, tri[:, 0, :2])
        key = np.column_stack([np.round(h * 1000), np.round(off * 1000)]).astype(np.int64)
        _, plane = np.unique(key, axis=0, return_inverse=True)
        plane = plane.ravel()
        pos_l, dir_l = [], []
        for p in range(int(plane.max()) + 1):
            sel = np.nonzero(plane == p)[0]
            hn = h[sel[0]]
            u_dir = np.array([-hn[1], hn[0]])  # horizontal, along the facade
            t = tri[sel]
            u = t[:, :, :2] @ u_dir  # (m, 3)
            z = t[:, :, 2]
            z0 = z.min() if g_local is None else g_local
            us = np.arange(u.min() + 0.5 * spacing, u.max() - 0.5 * spacing + 1e-9, spacing)
            if us.size == 0:
                us = np.array([0.5 * (u.min() + u.max())])
            zs = z0 + eye_height + floor_height * np.arange(
                max(0, int(np.floor((z.max() - z0 - eye_height) / floor_height)) + 1))
            zs = zs[(zs > z.min()) & (zs < z.max())]
            if zs.size == 0:
                continue
            gu, gz = np.meshgrid(us, zs)
            gu, gz = gu.ravel(), gz.ravel()
            inside = np.zeros(gu.size, dtype=bool)
            for f in range(t.shape[0]):
                inside |= _in_triangle_2d(gu, gz, u[f], z[f])
            if not inside.any():
                continue
            gu, gz = gu[inside], gz[inside]
            base = off[sel[0]] * hn
            xy = base[None, :] + gu[:, None] * u_dir[None, :]
            n3 = np.array([hn[0], hn[1], 0.0])
            pos_l.append(np.column_stack([xy, gz]) + eye_offset * n3)
            dir_l.append(np.tile(n3, (gu.size, 1)))
        if not pos_l:
            raise ParameterError(f"groups {groups!r}: no window fits (facades lower than "
                                 f"eye_height {eye_height} m or narrower than spacing?)")
        pos = np.vstack(pos_l)
        return cls.from_points(scene.to_world(pos), np.vstack(dir_l), fov=fov,
                               max_distance=max_distance, weight=weight, kind="window")

    @classmethod
    def from_paths(cls, paths, *, spacing: float = 5.0, eye_height: float = DEFAULT_EYE_HEIGHT,
                   fov=360.0, max_distance=DEFAULT_RANGE, weight=1.0) -> ObserverSet:
        """Walkers sampled along path polylines, at eye height, facing along the path.

        Parameters
        ----------
        paths : (m, 2|3) float or sequence of them
            Polylines [m] on the ground (z = 0 when 2-D).
        spacing : float
            Distance [m] between walkers along each path (the first half a step in).
        eye_height : float
            Eye height above the path [m].
        fov, max_distance, weight
            As in :meth:`from_points` (default: looking all round).
        """
        spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
        eye_height = as_float(eye_height, "eye_height")
        pos_l, dir_l = [], []
        for k, line in enumerate(_as_paths(paths)):
            p, d, _ = sample_polyline(line, spacing, f"paths[{k}]")
            p[:, 2] += eye_height
            pos_l.append(p)
            dir_l.append(d)
        return cls.from_points(np.vstack(pos_l), np.vstack(dir_l), fov=fov,
                               max_distance=max_distance, weight=weight, kind="path")

    # ------------------------------------------------------------------ helpers
    @property
    def n(self) -> int:
        """Number of observers."""
        return int(self.positions.shape[0])

    def __len__(self) -> int:
        return self.n

    def __add__(self, other: ObserverSet) -> ObserverSet:
        if not isinstance(other, ObserverSet):
            raise ParameterError(f"cannot add {type(other).__name__} to an ObserverSet")
        cat = np.concatenate
        return ObserverSet(np.vstack([self.positions, other.positions]),
                           np.vstack([self.directions, other.directions]), cat([self.fov, other.fov]),
                           cat([self.max_distance, other.max_distance]),
                           cat([self.weight, other.weight]), cat([self.kind, other.kind]))

    def subset(self, index) -> ObserverSet:
        """The observers selected by ``index`` (mask or indices)."""
        idx = np.asarray(index)
        return ObserverSet(self.positions[idx], self.directions[idx], self.fov[idx],
                           self.max_distance[idx], self.weight[idx], self.kind[idx])

    def __repr__(self) -> str:
        kinds, counts = np.unique(self.kind.astype(str), return_counts=True)
        parts = ", ".join(f"{c} {k}" for k, c in zip(kinds, counts))
        return f"ObserverSet({self.n} observers: {parts})"


# ---------------------------------------------------------------------- geometry helpers
def _in_triangle_2d(x, y, tx, ty) -> np.ndarray:
    d1 = (x - tx[1]) * (ty[0] - ty[1]) - (tx[0] - tx[1]) * (y - ty[1])
    d2 = (x - tx[2]) * (ty[1] - ty[2]) - (tx[1] - tx[2]) * (y - ty[2])
    d3 = (x - tx[0]) * (ty[2] - ty[0]) - (tx[2] - tx[0]) * (y - ty[0])
    neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
    pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
    return ~(neg & pos)


def _openings(scene: Scene, faces: np.ndarray) -> np.ndarray:
    """Connected components of ``faces`` through shared (welded to 1 mm) vertices."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    corners = scene.faces[faces].ravel()
    key = np.round(scene.vertices[corners] * 1000).astype(np.int64)
    _, vid = np.unique(key, axis=0, return_inverse=True)
    vid = vid.ravel()
    m = faces.size
    rows = np.repeat(np.arange(m), 3)
    g = coo_matrix((np.ones(3 * m), (rows, m + vid)), shape=(m + vid.max() + 1,) * 2)
    _, lab = connected_components(g, directed=False)
    _, labels = np.unique(lab[:m], return_inverse=True)
    return labels.ravel()


def _as_paths(paths) -> list[np.ndarray]:
    if isinstance(paths, np.ndarray) and paths.ndim == 2:
        return [paths]
    if isinstance(paths, (list, tuple)) and paths and np.ndim(paths[0]) == 1:
        return [np.asarray(paths, dtype=np.float64)]
    if isinstance(paths, (list, tuple)) and paths:
        return [np.asarray(p, dtype=np.float64) for p in paths]
    raise ParameterError("paths: expected an (m, 2|3) polyline or a list of polylines")


def as_polyline(line, name: str) -> np.ndarray:
    """An (m >= 2, 3) float polyline (z = 0 for 2-D input) without repeated vertices."""
    arr = np.asarray(line, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.shape[0] < 2:
        raise ParameterError(f"{name}: expected an (m >= 2, 2|3) polyline, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name}: has NaN or infinite coordinates")
    if arr.shape[1] == 2:
        arr = np.column_stack([arr, np.zeros(arr.shape[0])])
    keep = np.concatenate([[True], np.linalg.norm(np.diff(arr, axis=0), axis=1) > 0])
    arr = arr[keep]
    if arr.shape[0] < 2:
        raise ParameterError(f"{name}: has zero length")
    return np.ascontiguousarray(arr)


def sample_polyline(line, spacing: float, name: str = "path"):
    """Points every ``spacing`` metres along a polyline (the first half a step in).

    Returns ``(points (k, 3), unit headings (k, 3), chainage (k,) [m])``.
    """
    arr = as_polyline(line, name)
    seg = np.diff(arr, axis=0)
    seg_len = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    total = cum[-1]
    n = max(1, int(np.floor(total / spacing)))
    s = (np.arange(n) + 0.5) * (total / n)
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, seg.shape[0] - 1)
    f = (s - cum[k]) / seg_len[k]
    pts = arr[k] + f[:, None] * seg[k]
    head = seg[k] / seg_len[k][:, None]
    return np.ascontiguousarray(pts), np.ascontiguousarray(head), s
