"""Calculation grids: where quantities are computed (docs/architecture.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._validate import as_float, as_points
from ..config import check_memory
from ..errors import GridError, ParameterError

__all__ = ["CalculationGrid", "GRID_KINDS", "SIDE_LIFT", "points_in_polygon"]

#: A point is moved this many ray offsets to its own side of a surface it lies on.
SIDE_LIFT = 2.0
_UP = np.array([0.0, 0.0, 1.0])

GRID_KINDS = ("generic", "horizontal", "vertical", "plane", "semicylindrical", "cylindrical",
              "hemispherical", "observer")


def points_in_polygon(xy: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd test of (n, 2) points against a closed (m, 2) polygon ring (vectorised)."""
    poly = np.asarray(polygon, dtype=np.float64)
    x = xy[:, 0][:, None]
    y = xy[:, 1][:, None]
    x0, y0 = poly[:, 0][None, :], poly[:, 1][None, :]
    x1, y1 = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return np.count_nonzero(crosses & (x < xi), axis=1) % 2 == 1


#: Bytes [B] that building a plan grid takes per candidate point (coordinates, masks, normals;
#: peak of :meth:`CalculationGrid.regular` measured with tracemalloc: 108 B clipped to a
#: polygon, 72 B without), for the memory check (:func:`cpted_sim.config.check_memory`).
GRID_BYTES_PER_POINT = 128
#: Bytes [B] per point that :meth:`CalculationGrid.along_path` takes (peak measured: 96 B).
PATH_BYTES_PER_POINT = 112

@dataclass(frozen=True, eq=False)
class CalculationGrid:
    """Points (with optional normals or facing directions) where a quantity is computed.

    Attributes
    ----------
    points : (n, 3) float
        World coordinates [m].
    normals : (n, 3) float or None
        Unit surface normals (plane illuminance) or facing directions (vertical,
        semicylindrical illuminance, observers).
    kind : str
        One of ``GRID_KINDS``; informative, the quantity is chosen by the caller.
    shape : (rows, cols) or None
        Raster shape when the points come from a regular plan grid.
    raster_index : (n,) int64 or None
        Flat raster cell of each point (row-major; rows grow with y).
    transform : (x0, y0, dx, dy) or None
        Centre of raster cell (0, 0) and the cell size [m], for maps and GeoTIFF.
    name : str
        Label for reports.
    areas : (n,) float or None
        Area [m²] (or length [m] along a path) each point stands for, used to weight area
        fractions; ``None`` means equal weights.
    face_index : (n,) int64 or None
        Scene face each point lies on (grids made by :meth:`on_faces`).
    sides : (n, 3) float or None
        Unit vector towards the side of the surface a point lying on a surface belongs to
        (:meth:`side_normals`); ``None``: derived from the kind and the normals.
    """

    points: np.ndarray
    normals: np.ndarray | None = None
    kind: str = "generic"
    shape: tuple[int, int] | None = None
    raster_index: np.ndarray | None = None
    transform: tuple[float, float, float, float] | None = None
    name: str = "grid"
    areas: np.ndarray | None = None
    face_index: np.ndarray | None = None
    sides: np.ndarray | None = None

    def __post_init__(self):
        if self.kind not in GRID_KINDS:
            raise ParameterError(f"kind: expected one of {GRID_KINDS}, got {self.kind!r}")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_points(cls, points, normals=None, *, kind: str = "generic",
                    name: str = "grid") -> CalculationGrid:
        """A grid from explicit points [m] and optional normals / facing directions.

        Parameters
        ----------
        points : (n, 3) float
            World coordinates [m].
        normals : (n, 3) or (3,) float, optional
            Surface normals or facing directions (normalised here; one vector is broadcast).
        kind : str
            One of ``GRID_KINDS``.
        name : str
            Label for reports.

        Raises
        ------
        GridError
            No points, or normals of the wrong shape or zero length.
        """
        try:
            pts = as_points(points, "points")
        except ParameterError as exc:
            raise GridError(str(exc)) from None
        nrm = None
        if normals is not None:
            nrm = np.asarray(normals, dtype=np.float64)
            if nrm.ndim == 1 and nrm.shape == (3,):
                nrm = np.broadcast_to(nrm, pts.shape)
            if nrm.shape != pts.shape:
                raise GridError(f"normals: expected shape {pts.shape} like points, got {nrm.shape}")
            length = np.linalg.norm(nrm, axis=1)
            if not np.all(np.isfinite(length)) or np.any(length == 0):
                raise GridError("normals: every normal must be finite and non-zero")
            nrm = np.ascontiguousarray(nrm / length[:, None])
        return cls(pts, nrm, kind, name=name)

    @classmethod
    def regular(cls, xmin: float, ymin: float, xmax: float, ymax: float, spacing: float, *,
                height: float = 0.0, polygon=None, kind: str = "horizontal",
                name: str = "grid") -> CalculationGrid:
        """A regular plan grid of cell centres over a rectangle, optionally clipped to a polygon.

        Parameters
        ----------
        xmin, ymin, xmax, ymax : float
            Rectangle [m] (world coordinates).
        spacing : float
            Cell size [m]; the first point lies half a cell in from the edges.
        height : float
            z of every point [m] (see :meth:`draped` for points above a terrain).
        polygon : (m, 2) float, optional
            Keep only cell centres inside this ring.
        kind : str
            Grid kind (default horizontal).

        Raises
        ------
        GridError
            Empty rectangle, non-positive spacing, or no point inside the polygon.
        """
        spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
        height = as_float(height, "height")
        if not (xmax > xmin and ymax > ymin):
            raise GridError(f"regular grid: empty rectangle x {xmin}..{xmax}, y {ymin}..{ymax}")
        nx = max(1, int(np.floor((xmax - xmin) / spacing + 1e-9)))
        ny = max(1, int(np.floor((ymax - ymin) / spacing + 1e-9)))
        check_memory(nx * ny * GRID_BYTES_PER_POINT, f"grid {name!r}: {nx} x {ny} points",
                     "use a larger spacing")
        if nx * ny > 50_000_000:
            raise GridError(f"regular grid: {nx} x {ny} points is too many; use a larger spacing")
        x0 = xmin + 0.5 * (xmax - xmin - (nx - 1) * spacing)
        y0 = ymin + 0.5 * (ymax - ymin - (ny - 1) * spacing)
        xs = x0 + spacing * np.arange(nx)
        ys = y0 + spacing * np.arange(ny)
        gx, gy = np.meshgrid(xs, ys)
        xy = np.column_stack([gx.ravel(), gy.ravel()])
        idx = np.arange(xy.shape[0], dtype=np.int64)
        if polygon is not None:
            poly = np.asarray(polygon, dtype=np.float64)
            if poly.ndim != 2 or poly.shape[0] < 3 or poly.shape[1] < 2:
                raise GridError(f"polygon: expected an (m >= 3, 2) ring, got shape {poly.shape}")
            inside = points_in_polygon(xy, poly[:, :2])
            xy, idx = xy[inside], idx[inside]
            if xy.shape[0] == 0:
                raise GridError("regular grid: no cell centre lies inside the polygon; "
                                "use a smaller spacing or check the polygon's coordinates")
        pts = np.column_stack([xy, np.full(xy.shape[0], height)])
        return cls(np.ascontiguousarray(pts), None, kind, (ny, nx), idx,
                   (float(x0), float(y0), spacing, spacing), name)

    @classmethod
    def on_faces(cls, scene, groups, spacing: float | None = None, *, offset: float = 0.01,
                 kind: str = "plane", name: str | None = None) -> CalculationGrid:
        """Points on the scene faces of some groups (facades, underpass walls), with normals.

        Each triangle is cut into ``k²`` equal sub-triangles, ``k = ceil(longest edge /
        spacing)``, and a point is put at the centroid of each, so every point stands for the
        same share of its triangle (``areas``). Without ``spacing`` there is one point per
        face, at its centroid.

        Parameters
        ----------
        scene : Scene
        groups : str or sequence of str
            Group (material) names whose faces carry points.
        spacing : float, optional
            Largest distance between neighbouring points [m].
        offset : float
            Distance [m] the points are moved off the surface along its normal, so that they
            lie on the lit side (default 1 cm).
        kind : str
            Grid kind (default ``"plane"``: illuminance on the surface).
        name : str, optional
            Label; default the group names.

        Returns
        -------
        CalculationGrid
            World points, unit face normals (right-hand rule on the vertex order), ``areas``
            [m²] and ``face_index``.

        Raises
        ------
        ParameterError
            An unknown group (the message lists the scene's groups).
        GridError
            The groups have no faces, or ``spacing`` would make more than 50 million points.
        """
        faces = scene.group_faces(groups)
        label = name or (groups if isinstance(groups, str) else "+".join(groups))
        if faces.size == 0:
            raise GridError(f"on_faces: groups {groups!r} have no faces")
        offset = as_float(offset, "offset", lo=0.0)
        tri = scene.vertices[scene.faces[faces]]          # (m, 3, 3) local
        normals = scene.face_normals[faces]
        area = scene.face_areas[faces]
        if spacing is None:
            k = np.ones(faces.size, dtype=np.int64)
        else:
            spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
            edges = np.stack([np.linalg.norm(tri[:, 1] - tri[:, 0], axis=1),
                              np.linalg.norm(tri[:, 2] - tri[:, 1], axis=1),
                              np.linalg.norm(tri[:, 0] - tri[:, 2], axis=1)], axis=1)
            kf = np.maximum(1.0, np.ceil(edges.max(axis=1) / spacing - 1e-9))
            with np.errstate(over="ignore"):  # floats: no int64 overflow for tiny spacings
                n_est = float(np.sum(kf * kf))
            check_memory(n_est * GRID_BYTES_PER_POINT, f"on_faces: {n_est:,.0f} points",
                         "use a larger spacing")
            k = kf.astype(np.int64)
        total = int(np.sum(k * k))
        if total > 50_000_000:
            raise GridError(f"on_faces: {total} points is too many; use a larger spacing")
        pts, nrm, ar, fidx = [], [], [], []
        for kk in np.unique(k):
            sel = np.nonzero(k == kk)[0]
            bary = _subtriangle_centroids(int(kk))                    # (kk², 3)
            p = np.einsum("sj,mjc->msc", bary, tri[sel]).reshape(-1, 3)
            pts.append(p)
            nrm.append(np.repeat(normals[sel], bary.shape[0], axis=0))
            ar.append(np.repeat(area[sel] / bary.shape[0], bary.shape[0]))
            fidx.append(np.repeat(faces[sel], bary.shape[0]))
        order = np.argsort(np.concatenate(fidx), kind="stable")
        p = np.concatenate(pts)[order]
        n = np.concatenate(nrm)[order]
        p = p + offset * n + scene.origin
        return cls(np.ascontiguousarray(p), np.ascontiguousarray(n), kind, name=str(label),
                   areas=np.ascontiguousarray(np.concatenate(ar)[order]),
                   face_index=np.ascontiguousarray(np.concatenate(fidx)[order]))

    @classmethod
    def along_path(cls, polyline, spacing: float, *, height: float = 0.0, kind: str = "generic",
                   name: str = "path") -> CalculationGrid:
        """Points every ``spacing`` metres along a polyline, facing along it.

        The first point lies ``spacing / 2`` from the start and the points are spread evenly
        so the last one lies as far from the end as the first from the start; each stands for
        the same length of path (``areas`` holds that length [m]). The normals are the
        horizontal directions of travel, ready for vertical or semicylindrical illuminance
        facing someone walking the path (use ``with_normals(-grid.normals)`` for the other
        way).

        Parameters
        ----------
        polyline : (m, 2) or (m, 3) float
            Vertices [m]; without z the path lies at z = 0.
        spacing : float
            Largest distance between points along the path [m].
        height : float
            Height of the points above the polyline [m] (1.5 for semicylindrical
            illuminance).

        Raises
        ------
        GridError
            Fewer than two distinct vertices, a vertical segment, or a bad spacing.
        """
        arr = np.asarray(polyline, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.shape[0] < 2:
            raise GridError(f"polyline: expected an (m >= 2, 2 or 3) array, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise GridError("polyline: vertices must be finite numbers")
        if arr.shape[1] == 2:
            arr = np.column_stack([arr, np.zeros(arr.shape[0])])
        spacing = as_float(spacing, "spacing", lo=0.0, lo_open=True)
        height = as_float(height, "height")
        seg = np.diff(arr, axis=0)
        seg_len = np.linalg.norm(seg, axis=1)
        keep = seg_len > 1e-9
        if not keep.any():
            raise GridError("polyline: all vertices coincide; a path needs length")
        seg, seg_len, start = seg[keep], seg_len[keep], arr[:-1][keep]
        horiz = np.linalg.norm(seg[:, :2], axis=1)
        if np.any(horiz <= 1e-9):
            raise GridError("polyline: a segment is vertical; a path has no horizontal direction "
                            "there")
        cum = np.concatenate([[0.0], np.cumsum(seg_len)])
        total = cum[-1]
        n = max(1, int(np.ceil(total / spacing - 1e-9)))
        check_memory(n * PATH_BYTES_PER_POINT, f"path {name!r}: {n:,} points ({total:.1f} m "
                     f"every {spacing:g} m)", "use a larger spacing")
        step = total / n
        s = step * (np.arange(n) + 0.5)
        i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, seg.shape[0] - 1)
        t = (s - cum[i]) / seg_len[i]
        pts = start[i] + t[:, None] * seg[i]
        pts[:, 2] += height
        tang = np.column_stack([seg[i, :2] / horiz[i, None], np.zeros(n)])
        return cls(np.ascontiguousarray(pts), np.ascontiguousarray(tang), kind, name=name,
                   areas=np.full(n, step),
                   sides=np.ascontiguousarray(np.broadcast_to(_UP, (n, 3))))

    # ------------------------------------------------------------------ helpers
    def point_weights(self) -> np.ndarray:
        """Weights of the points for area statistics: ``areas`` when known, else all 1."""
        if self.areas is None:
            return np.ones(self.n_points)
        return np.asarray(self.areas, dtype=np.float64)

    def side_normals(self) -> np.ndarray:
        """Unit vector (n, 3) pointing to the side of the surface each point belongs to.

        A point lying exactly on a surface (a plan grid at the height of the ground, a point
        on a zero-thickness wall) is lit and seen only from this side, never through the
        surface. The side is ``sides`` when given; else the normals of a grid on surfaces
        (made by :meth:`on_faces`, or of kind ``"plane"`` or ``"vertical"``); else straight
        up (+Z): plan grids, paths and observers stand on the ground.
        """
        if self.sides is not None:
            return np.ascontiguousarray(self.sides, dtype=np.float64)
        if self.normals is not None and (self.face_index is not None
                                         or self.kind in ("plane", "vertical")):
            return np.ascontiguousarray(self.normals, dtype=np.float64)
        return np.ascontiguousarray(np.broadcast_to(_UP, (self.n_points, 3)))

    def side_lift(self, scene) -> np.ndarray:
        """Offsets (n, 3) [m] that put each point on its own side of a surface it lies on.

        ``SIDE_LIFT`` times the scene's :attr:`~Scene.ray_offset` along
        :meth:`side_normals`. Rays leaving a point ignore their first ``ray_offset``; a ray
        that starts at the lifted point therefore always hits a surface through the original
        point when it goes to the surface's back side (at ``2 ray_offset / |cos|`` or more),
        and never when it goes to its front: a point on a surface is never lit or seen from
        behind it. Kernels start shadow rays and end sightlines at ``point + side_lift`` and
        keep the original point for distances and angles, so points off surfaces are not
        changed at all.
        """
        lift = SIDE_LIFT * float(scene.ray_offset)
        return lift * self.side_normals()

    def local_points(self, scene) -> np.ndarray:
        """Scene-local points [m] moved by :meth:`side_lift` (for ray origins and ends)."""
        return np.ascontiguousarray(scene.to_local(self.points) + self.side_lift(scene))

    @property
    def n_points(self) -> int:
        """Number of points."""
        return int(self.points.shape[0])

    def with_normals(self, normals, kind: str | None = None) -> CalculationGrid:
        """The same points with new normals or facing directions.

        Parameters
        ----------
        normals : (n, 3) or (3,) float
            Unit vectors are not required; one vector is broadcast to every point.
        kind : str, optional
            New grid kind; default: unchanged.
        """
        g = CalculationGrid.from_points(self.points, normals)
        return replace(self, normals=g.normals, kind=kind or self.kind)

    def draped(self, scene, height: float = 0.0, *, missing: str = "drop") -> CalculationGrid:
        """The grid put ``height`` metres above the first surface below each point.

        A ray is cast straight down from every point; the point moves to the hit plus
        ``height``. Start a plan grid a little above the ground you mean (for a street between
        buildings, below the roofs) so the first surface below is that ground.

        Parameters
        ----------
        scene : Scene
        height : float
            Height above the surface [m] (0 for ground illuminance, 1.5 for semicylindrical).
        missing : {"drop", "raise"}
            What to do with points with no surface below: drop them (the raster keeps their
            cell empty) or raise.

        Raises
        ------
        GridError
            ``missing="raise"`` and some point has no surface below, or every point lacks
            one.
        """
        from .query import closest_hit

        height = as_float(height, "height")
        if missing not in ("drop", "raise"):
            raise ParameterError(f"missing: expected 'drop' or 'raise', got {missing!r}")
        down = np.broadcast_to(np.array([0.0, 0.0, -1.0]), self.points.shape)
        t, _ = closest_hit(scene, self.points, down)
        hit = np.isfinite(t)
        if not hit.all():
            n_miss = int((~hit).sum())
            if missing == "raise" or n_miss == hit.size:
                raise GridError(f"draped: {n_miss} of {hit.size} points have no surface below "
                                f"(first at index {int(np.argmin(hit))}); start the grid above "
                                "the ground or use missing='drop'")
        pts = self.points[hit].copy()
        pts[:, 2] -= t[hit] - height
        return replace(self, points=np.ascontiguousarray(pts),
                       normals=None if self.normals is None else self.normals[hit],
                       raster_index=None if self.raster_index is None else self.raster_index[hit],
                       areas=None if self.areas is None else self.areas[hit],
                       face_index=None if self.face_index is None else self.face_index[hit],
                       sides=None if self.sides is None else self.sides[hit])

    def at_height(self, dz: float) -> CalculationGrid:
        """The same grid lifted by ``dz`` metres.

        Parameters
        ----------
        dz : float
            Lift [m], e.g. 1.5 for semicylindrical illuminance over a ground grid.
        """
        pts = self.points.copy()
        pts[:, 2] += as_float(dz, "dz")
        return replace(self, points=pts)

    def same_points(self, other: CalculationGrid) -> bool:
        """Whether ``other`` has the same points.

        Parameters
        ----------
        other : CalculationGrid
            Compared point by point with a tolerance of 1e-9 m.
        """
        return (other is self) or (
            self.points.shape == other.points.shape
            and np.allclose(self.points, other.points, rtol=0.0, atol=1e-9)
        )

    def to_raster(self, values) -> np.ndarray:
        """Per-point values as a (rows, cols) raster, NaN in cells without a point.

        Parameters
        ----------
        values : (n,) float
            One value per grid point.

        Raises
        ------
        GridError
            The grid is not a regular plan grid.
        """
        if self.shape is None or self.raster_index is None:
            raise GridError(f"grid {self.name!r} is not a regular plan grid; it has no raster")
        out = np.full(self.shape[0] * self.shape[1], np.nan)
        out[self.raster_index] = np.asarray(values, dtype=np.float64)
        return out.reshape(self.shape)

    def __repr__(self) -> str:
        return f"CalculationGrid({self.name!r}, {self.n_points} points, kind={self.kind!r})"


def _subtriangle_centroids(k: int) -> np.ndarray:
    """Barycentric centroids of the k² equal sub-triangles of a triangle, (k², 3)."""
    out = []
    for i in range(k):
        for j in range(k - i):
            # upward sub-triangle with corners (i, j), (i+1, j), (i, j+1) in lattice units
            out.append(((i + 1.0 / 3.0) * 1.0, (j + 1.0 / 3.0) * 1.0))
            if j < k - i - 1:   # downward sub-triangle (i+1, j), (i, j+1), (i+1, j+1)
                out.append((i + 2.0 / 3.0, j + 2.0 / 3.0))
    uv = np.asarray(out) / k
    # first barycentric weight goes to vertex 0: p = (1-u-v) a + u b + v c
    return np.column_stack([1.0 - uv[:, 0] - uv[:, 1], uv[:, 0], uv[:, 1]])
