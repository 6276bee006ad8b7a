"""Tiles with halos over a city's plan grid (layer L6, no I/O).

A tile is a block of raster cells of the study area's plan grid. Its computation needs every
triangle, luminaire and observer that can reach one of its points:

* a luminaire contributes to a point only within ``run.max_distance`` (the *light range*
  :math:`R_l`); the shadow ray between them lies inside the box of the tile grown by
  :math:`R_l`;
* an observer sees a point only within its range (the *sightline* :math:`R_s`, the longest
  observer range); the sightline lies inside the box grown by :math:`R_s`.

So the halo is :math:`h = \\max(R_l, R_s)`: the geometry is the triangles whose bounding box
overlaps the tile grown by ``h`` (a segment inside a convex box only meets triangles whose
bounding box meets the box), the luminaires those within ``R_l`` of the tile rectangle and
the observers those within ``R_s``. A tile's values then equal those of the uncut scene.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ParameterError

__all__ = ["Tile", "plan_tiles", "tile_size_for_budget", "patch_density", "BYTES_PER_TRIANGLE",
           "BYTES_PER_POINT", "BYTES_PER_PATCH"]

#: Memory per triangle of a tile's scene [B]: local vertices (shared, ~0.5 per face), faces,
#: group labels, the 8-wide BVH (~0.3 nodes of 256 B per face) and the Scene's per-face arrays,
#: with the loader's temporary copies. With these constants the 570 m tiles of the 16 M
#: triangle synthetic town (1.3 M triangles and 81,000 points each) are estimated at 1.1 GB;
#: their workers peaked at 975 MB (docs/performance.md, city scale).
BYTES_PER_TRIANGLE = 400
#: Memory per grid point of a tile [B]: points, six E_sc / E_h fields, surveillance fields and
#: the kernels' work arrays.
BYTES_PER_POINT = 2_000
#: Fixed memory of a worker process (interpreter, numpy, numba, compiled kernels) [B].
BYTES_WORKER_BASE = 450 * 2**20
#: Memory per radiosity patch of a tile with interreflection [B] (patch cells, samples, the
#: patches' gather hits and work arrays): measured on the synthetic town, 615,509 patches at
#: 0.5 m peaked 720 MB above 83,627 patches at 2 m (991 against 271 MB), about 1,400 B each.
BYTES_PER_PATCH = 1_400


def patch_density(patch_size: float) -> float:
    """Radiosity patches per square metre of plan [1/m2] at ``patch_size`` [m], measured on the
    synthetic town (14 at 0.5 m, 1.9 at 2 m: adaptive patches grow far from the lights, so the
    count falls more slowly than ``1 / patch_size**2``)."""
    return 14.0 * (0.5 / float(patch_size)) ** 1.45


class Tile(NamedTuple):
    """A block of raster cells: rows ``r0:r1``, columns ``c0:c1``; ``box`` its rectangle and
    ``halo_box`` that rectangle grown by the halo (world [m]: xmin, ymin, xmax, ymax)."""

    key: str
    r0: int
    r1: int
    c0: int
    c1: int
    box: tuple
    halo_box: tuple


def plan_tiles(shape, transform, cells: int, halo: float) -> list[Tile]:
    """Cut a plan raster into square tiles of ``cells`` x ``cells`` cells.

    Parameters
    ----------
    shape : (rows, cols)
        Raster shape of the study area's grid.
    transform : (x0, y0, dx, dy)
        Centre of cell (0, 0) and the cell size [m].
    cells : int
        Tile side in cells (>= 1).
    halo : float
        Halo [m].
    """
    rows, cols = (int(v) for v in shape)
    cells = int(cells)
    if cells < 1:
        raise ParameterError(f"tile size: expected at least one cell, got {cells}")
    x0, y0, dx, dy = transform
    out = []
    for r0 in range(0, rows, cells):
        for c0 in range(0, cols, cells):
            r1, c1 = min(rows, r0 + cells), min(cols, c0 + cells)
            box = (x0 + (c0 - 0.5) * dx, y0 + (r0 - 0.5) * dy,
                   x0 + (c1 - 0.5) * dx, y0 + (r1 - 0.5) * dy)
            hb = (box[0] - halo, box[1] - halo, box[2] + halo, box[3] + halo)
            out.append(Tile(f"r{r0:06d}_c{c0:06d}", r0, r1, c0, c1, box, hb))
    return out


def tile_size_for_budget(budget_bytes: float, triangle_density: float, halo: float,
                         spacing: float, *, observer_density: float = 0.0,
                         patch_density: float = 0.0) -> float:
    """The largest tile side [m] whose computation fits in ``budget_bytes``.

    The estimate is ``base + density * (s + 2 h)^2 * B_tri + (s / spacing)^2 * B_pt`` with
    ``s`` the side, ``h`` the halo, ``B_tri`` :data:`BYTES_PER_TRIANGLE` and ``B_pt``
    :data:`BYTES_PER_POINT`; observers count as 100 B each, radiosity patches as
    :data:`BYTES_PER_PATCH`.

    Parameters
    ----------
    budget_bytes : float
        Memory of one worker [B].
    triangle_density : float
        Triangles per square metre of the town [1/m2].
    halo : float
        Halo [m].
    spacing : float
        Grid spacing [m].
    observer_density : float
        Observers per square metre [1/m2].
    patch_density : float
        Radiosity patches per square metre [1/m2] (with interreflection; see
        :func:`patch_density`).

    Raises
    ------
    ParameterError
        Not even a tile of one cell fits.
    """
    avail = float(budget_bytes) - BYTES_WORKER_BASE
    per_m2_halo = (triangle_density * BYTES_PER_TRIANGLE + observer_density * 100.0
                   + patch_density * BYTES_PER_PATCH)
    per_m2_pts = BYTES_PER_POINT / spacing ** 2

    def need(s: float) -> float:
        return per_m2_halo * (s + 2 * halo) ** 2 + per_m2_pts * s * s

    if avail <= 0 or need(spacing) > avail:
        raise ParameterError(f"memory budget: {budget_bytes / 2**30:.2f} GB holds no tile with a "
                             f"{halo:g} m halo at {triangle_density:.1f} triangles/m2; raise "
                             "--memory-gb or lower run.max_distance / the observer range")
    lo, hi = spacing, 100_000.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if need(mid) <= avail else (lo, mid)
    return math.floor(lo / spacing) * spacing


def tile_points(raster_index: np.ndarray, cols: int, tile: Tile) -> np.ndarray:
    """Indices of the grid points (of a plan grid with ``cols`` columns) inside ``tile``."""
    r = raster_index // cols
    c = raster_index % cols
    return np.flatnonzero((r >= tile.r0) & (r < tile.r1) & (c >= tile.c0) & (c < tile.c1))
