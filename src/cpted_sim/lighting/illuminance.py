"""Direct illuminance on calculation grids, with shadows (docs/architecture.md §4).

``illuminance(scene, luminaires, grid, kind=...)`` validates and packs once, orders the points
along a Morton curve (neighbours share candidate luminaires and BVH nodes), then runs the
``kernels.direct`` kernel over blocks of points with a progress bar; Ctrl-C stops between
blocks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .._modules import callable_module
from .._validate import as_float, as_points
from ..config import progress_enabled, threads as thread_context
from ..errors import GridError, ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..kernels import direct
from ..photometry.luminaire import Luminaire, pack_luminaires

__all__ = ["illuminance", "KINDS", "QUANTITIES", "DEFAULT_CUTOFF_LUX", "BLOCK_POINTS"]

log = logging.getLogger(__name__)

#: Quantity name (docs/nomenclature.md) of each kind.
QUANTITIES = {
    "horizontal": "E_h",
    "vertical": "E_v",
    "plane": "E_plane",
    "semicylindrical": "E_sc",
    "cylindrical": "E_cyl",
    "hemispherical": "E_hs",
}
KINDS = tuple(QUANTITIES)

_KERNEL_KIND = {
    "horizontal": direct.KIND_PLANE,
    "vertical": direct.KIND_PLANE,
    "plane": direct.KIND_PLANE,
    "semicylindrical": direct.KIND_SEMICYLINDRICAL,
    "cylindrical": direct.KIND_CYLINDRICAL,
    "hemispherical": direct.KIND_HEMISPHERICAL,
}

#: Default range cut-off [lx]: a luminaire whose contribution at a point is below it is skipped.
DEFAULT_CUTOFF_LUX = 1e-3

#: Points per kernel call (between two progress updates / Ctrl-C checks).
BLOCK_POINTS = 32_768


def _luminaire_list(luminaires) -> list[Luminaire]:
    if isinstance(luminaires, Luminaire):
        return [luminaires]
    if not isinstance(luminaires, Sequence) and not hasattr(luminaires, "__iter__"):
        raise ParameterError(f"luminaires: expected a Luminaire or a sequence of them, got "
                             f"{type(luminaires).__name__}")
    lums = list(luminaires)
    for k, lum in enumerate(lums):
        if not isinstance(lum, Luminaire):
            raise ParameterError(f"luminaires[{k}]: expected a cpted_sim Luminaire, got "
                                 f"{type(lum).__name__}")
    return lums


def _facing(grid: CalculationGrid, facing, kind: str) -> np.ndarray:
    """Unit horizontal facing directions (n, 3) from ``facing`` or the grid's normals."""
    n = grid.n_points
    if facing is None:
        if grid.normals is None:
            raise ParameterError(f"facing: kind {kind!r} needs a facing direction; give "
                                 "facing=(fx, fy, 0) or a grid with normals")
        f = np.array(grid.normals, dtype=np.float64)
        src = "the grid's normals"
    else:
        arr = np.asarray(facing, dtype=np.float64)
        if arr.ndim == 1 and arr.shape[0] in (2, 3):
            arr = np.broadcast_to(np.append(arr, 0.0)[:3] if arr.shape[0] == 2 else arr, (n, 3))
        f = as_points(np.array(arr), "facing")
        if f.shape[0] != n:
            raise ParameterError(f"facing: expected one direction or {n} (one per point), "
                                 f"got {f.shape[0]}")
        src = "facing"
    f = f.copy()
    f[:, 2] = 0.0
    length = np.linalg.norm(f, axis=1)
    if np.any(length <= 1e-12):
        raise ParameterError(f"{src}: {int(np.sum(length <= 1e-12))} directions have no "
                             f"horizontal component (first at index {int(np.argmax(length <= 1e-12))});"
                             f" {kind} illuminance faces a horizontal direction")
    return np.ascontiguousarray(f / length[:, None])


def _normals(grid: CalculationGrid, kind: str, facing) -> np.ndarray:
    n = grid.n_points
    if kind == "horizontal":
        return np.ascontiguousarray(np.broadcast_to([0.0, 0.0, 1.0], (n, 3)), dtype=np.float64)
    if kind in ("vertical", "semicylindrical"):
        return _facing(grid, facing, kind)
    if kind == "plane":
        if facing is not None:
            return CalculationGrid.from_points(grid.points, facing).normals
        if grid.normals is None:
            raise GridError(f"grid {grid.name!r} has no normals; plane illuminance needs them "
                            "(CalculationGrid.on_faces, from_points(points, normals) or "
                            "grid.with_normals(...))")
        return np.ascontiguousarray(grid.normals, dtype=np.float64)
    return np.zeros((n, 3))


def _morton_order(local: np.ndarray) -> np.ndarray:
    """Order of the points along a 2-D Morton (z-order) curve over their bounding box."""
    xy = local[:, :2]
    lo = xy.min(axis=0)
    ext = max(float(np.max(xy.max(axis=0) - lo)), 1e-9)
    q = np.clip(((xy - lo) / ext * 65535.0).astype(np.uint64), 0, 65535)

    def spread(v):
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        v = (v | (v << np.uint64(1))) & np.uint64(0x55555555)
        return v

    code = spread(q[:, 0]) | (spread(q[:, 1]) << np.uint64(1))
    return np.argsort(code, kind="stable")


def _direct_values(scene: Scene, lums: list[Luminaire], grid: CalculationGrid, kind: str,
                   normals: np.ndarray, cutoff: float, md: float, shadows: bool,
                   threads: int | None, quiet: bool | None) -> tuple[np.ndarray, int, int]:
    """Values [lx] in grid order, pairs in range and shadow rays: the kernel over blocks.

    Points are sorted along a Morton curve (neighbours share BVH nodes), lifted to their own
    side of a surface they lie on, and sent to :func:`kernels.direct.direct_illuminance` in
    blocks of ``BLOCK_POINTS`` with a progress bar; Ctrl-C stops between blocks.
    """
    n = grid.n_points
    values = np.zeros(n)
    n_pairs = n_rays = 0
    local = scene.to_local(grid.points)
    order = _morton_order(local)
    pts = np.ascontiguousarray(local[order])
    # shadow rays start on the point's own side of a surface it lies on (grid.side_lift)
    starts = np.ascontiguousarray(pts + grid.side_lift(scene)[order])
    nrm = np.ascontiguousarray(normals[order])
    packed = pack_luminaires(lums, origin=scene.origin)
    peaks = direct.luminaire_peaks(packed)
    envelope = direct.intensity_envelope(packed, direct.N_BANDS)
    tail = np.ascontiguousarray(np.maximum.accumulate(envelope[:, ::-1], axis=1)[:, ::-1])
    sorted_vals = np.zeros(n)
    kkind = _KERNEL_KIND[kind]
    trans = scene.light_transmittance
    offset = float(scene.ray_offset)
    show = progress_enabled(quiet) and n > BLOCK_POINTS
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="pt", desc=f"{QUANTITIES[kind]} illuminance")
    try:
        with thread_context(threads):
            for start in range(0, n, BLOCK_POINTS):
                stop = min(n, start + BLOCK_POINTS)
                m = stop - start
                n_tiles = (m + direct.TILE - 1) // direct.TILE
                out = np.empty(m)
                pairs = np.empty(n_tiles, dtype=np.int64)
                rays = np.empty(n_tiles, dtype=np.int64)
                direct.direct_illuminance(scene.bvh, trans, packed, peaks, envelope, tail,
                                          pts[start:stop], starts[start:stop],
                                          nrm[start:stop], kkind, cutoff, md, offset,
                                          bool(shadows), out, pairs, rays)
                sorted_vals[start:stop] = out
                n_pairs += int(pairs.sum())
                n_rays += int(rays.sum())
                if bar is not None:
                    bar.update(m)
    finally:
        if bar is not None:
            bar.close()
    values[order] = sorted_vals
    return values, n_pairs, n_rays


def illuminance(scene: Scene, luminaires, grid: CalculationGrid, kind: str = "horizontal",
                facing=None, *, shadows: bool = True, cutoff: float = DEFAULT_CUTOFF_LUX,
                max_distance: float | None = None, maintained: bool = True,
                threads: int | None = None, quiet: bool | None = None,
                bounces: int | str = 0, interreflection: dict | None = None) -> Field:
    """Direct illuminance [lx] on a grid from point-source luminaires, with shadows.

    Parameters
    ----------
    scene : Scene
        Geometry casting shadows; faces with a light transmittance above 0 (hedges, fences)
        pass that fraction of light, and a shadow ray multiplies the fractions it crosses.
    luminaires : Luminaire or sequence of Luminaire
        Placed luminaires (world coordinates).
    grid : CalculationGrid
        Calculation points (world coordinates).
    kind : str
        ``"horizontal"`` (``E_h``, upward normal), ``"vertical"`` (``E_v`` on a vertical plane
        facing ``facing``), ``"plane"`` (``E_plane`` on the grid's normals, e.g. facades),
        ``"semicylindrical"`` (``E_sc`` facing ``facing``), ``"cylindrical"`` (``E_cyl``),
        ``"hemispherical"`` (``E_hs``).
    facing : (3,) or (n, 3) float, optional
        Facing direction for vertical and semicylindrical illuminance (only its horizontal
        part counts), or normals for ``"plane"``; default: the grid's normals.
    shadows : bool
        Trace shadow rays (default). ``False`` gives the unobstructed illuminance.
    cutoff : float
        Range cut-off [lx] (default 0.001 lx): a luminaire whose contribution at a point is
        below it is left out, so each left-out luminaire changes a value by less than
        ``cutoff``. 0 keeps every luminaire.
    max_distance : float, optional
        Also leave out luminaires farther than this [m].
    maintained : bool
        Maintained values (intensities times each luminaire's maintenance factor, default);
        ``False`` gives initial values.
    threads : int, optional
        Kernel threads (default: the current setting, :func:`cpted_sim.set_threads`).
    quiet : bool, optional
        Turn the progress bar off (default: the session setting).
    bounces : int or "converged"
        Interreflection (``lighting.interreflection``): 0 (default) gives direct light only,
        as the street-lighting standards define it; ``N > 0`` adds the light reflected up to
        ``N`` times by the scene's diffuse surfaces; ``"converged"`` bounces until the
        remaining energy is below the tolerance. The provenance says which was used and holds
        the indirect part's error estimate.
    interreflection : dict, optional
        Settings passed to :func:`~cpted_sim.lighting.interreflection.indirect_illuminance`
        (``rays``, ``patch_size``, ``tolerance``, ``seed``, ``solution`` ...).

    Returns
    -------
    Field
        Values [lx], quantity from ``QUANTITIES``; ``provenance`` holds the settings, the
        elapsed seconds, the point-luminaire pairs in range and the shadow rays traced.

    Raises
    ------
    ParameterError
        Unknown kind, a missing or vertical facing direction, bad settings.
    GridError
        ``kind="plane"`` on a grid without normals.

    Notes
    -----
    For a luminaire of intensity ``I`` towards the point at distance ``d``, with ``u`` the
    unit vector from the point to the luminaire, ``ε`` its angle from the upward vertical and
    ``α`` the horizontal angle between the facing direction and ``u``:

    - plane with unit normal ``n``: ``E = I max(0, u·n) / d²``;
    - semicylindrical: ``E_sc = I (1 + cos α) sin ε / (π d²)``;
    - cylindrical: ``E_cyl = I sin ε / (π d²)``;
    - hemispherical: ``E_hs = I (1 + cos ε) / (4 d²)``;

    each times the transmittance of the segment from the point to the luminaire.

    References
    ----------
    EN 13201-3:2015, Road lighting - Part 3: Calculation of performance.
    CIE 140:2000, Road lighting calculations.
    """
    t_start = time.perf_counter()
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
    if not isinstance(grid, CalculationGrid):
        raise ParameterError(f"grid: expected a CalculationGrid, got {type(grid).__name__}")
    if kind not in QUANTITIES:
        raise ParameterError(f"kind: expected one of {KINDS}, got {kind!r}")
    cutoff = as_float(cutoff, "cutoff", lo=0.0)
    md = np.inf if max_distance is None else as_float(max_distance, "max_distance", lo=0.0,
                                                      lo_open=True, allow_inf=True)
    lums = _luminaire_list(luminaires)
    if not maintained:
        lums = [replace(lum, maintenance_factor=1.0) for lum in lums]
    normals = _normals(grid, kind, facing)
    values, n_pairs, n_rays = (_direct_values(scene, lums, grid, kind, normals, cutoff, md,
                                              shadows, threads, quiet) if lums
                               else (np.zeros(grid.n_points), 0, 0))
    elapsed = time.perf_counter() - t_start
    log.debug("%s on %d points from %d luminaires: %d pairs, %d shadow rays, %.3f s",
              QUANTITIES[kind], grid.n_points, len(lums), n_pairs, n_rays, elapsed)
    prov = provenance(kind=kind, shadows=bool(shadows), cutoff_lux=cutoff,
                      max_distance=None if max_distance is None else md, maintained=maintained,
                      n_luminaires=len(lums), pairs=n_pairs, shadow_rays=n_rays,
                      elapsed_s=elapsed, scene=scene.name, grid=grid.name)
    direct_field = Field(values, grid, QUANTITIES[kind], "lx", prov)
    # -- interreflection (issue #7): opt-in indirect part, owned by lighting/interreflection.py
    if isinstance(bounces, str) or bounces:
        from .totals import add_indirect

        with thread_context(threads):
            return add_indirect(direct_field, scene, lums, kind, facing, bounces=bounces,
                                interreflection=interreflection, quiet=quiet)
    direct_field.provenance["bounces"] = 0  # direct light only, as EN 13201 computes it
    return direct_field


callable_module(__name__)   # deprecated: the module called as its function (one release)
