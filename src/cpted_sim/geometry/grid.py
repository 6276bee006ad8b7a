"""Calculation grids: where quantities are computed (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._validate import as_float, as_points
from ..errors import GridError, ParameterError

__all__ = ["CalculationGrid", "GRID_KINDS", "points_in_polygon"]

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
    """

    points: np.ndarray
    normals: np.ndarray | None = None
    kind: str = "generic"
    shape: tuple[int, int] | None = None
    raster_index: np.ndarray | None = None
    transform: tuple[float, float, float, float] | None = None
    name: str = "grid"

    def __post_init__(self):
        if self.kind not in GRID_KINDS:
            raise ParameterError(f"kind: expected one of {GRID_KINDS}, got {self.kind!r}")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_points(cls, points, normals=None, *, kind: str = "generic",
                    name: str = "grid") -> CalculationGrid:
        """A grid from explicit points [m] and optional normals / facing directions.

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

    # ------------------------------------------------------------------ helpers
    @property
    def n_points(self) -> int:
        """Number of points."""
        return int(self.points.shape[0])

    def with_normals(self, normals, kind: str | None = None) -> CalculationGrid:
        """The same points with new normals or facing directions (broadcast from (3,))."""
        g = CalculationGrid.from_points(self.points, normals)
        return replace(self, normals=g.normals, kind=kind or self.kind)

    def at_height(self, dz: float) -> CalculationGrid:
        """The same grid lifted by ``dz`` metres (e.g. 1.5 m for semicylindrical illuminance)."""
        pts = self.points.copy()
        pts[:, 2] += as_float(dz, "dz")
        return replace(self, points=pts)

    def same_points(self, other: CalculationGrid) -> bool:
        """Whether ``other`` has the same points (to 1e-9 m)."""
        return (other is self) or (
            self.points.shape == other.points.shape
            and np.allclose(self.points, other.points, rtol=0.0, atol=1e-9)
        )

    def to_raster(self, values) -> np.ndarray:
        """Per-point values as a (rows, cols) raster, NaN in cells without a point."""
        if self.shape is None or self.raster_index is None:
            raise GridError(f"grid {self.name!r} is not a regular plan grid; it has no raster")
        out = np.full(self.shape[0] * self.shape[1], np.nan)
        out[self.raster_index] = np.asarray(values, dtype=np.float64)
        return out.reshape(self.shape)

    def __repr__(self) -> str:
        return f"CalculationGrid({self.name!r}, {self.n_points} points, kind={self.kind!r})"
