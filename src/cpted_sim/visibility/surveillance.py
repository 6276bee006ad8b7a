"""Natural surveillance: how many observers see each point of a grid (issue #5, item 2)."""

from __future__ import annotations

import logging
import time
from typing import NamedTuple

import numpy as np

from .._modules import callable_module
from .._validate import as_float
from ..config import get_threads, progress_enabled
from ..errors import ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..kernels import sightlines as K
from .observers import ObserverSet

__all__ = ["surveillance", "surveillance_fields", "SurveillanceResult", "DEFAULT_TARGET_HEIGHT"]

log = logging.getLogger(__name__)

DEFAULT_TARGET_HEIGHT = 1.5
MEASURES = ("count", "weight", "nearest")
#: Points per kernel call (between two progress updates / Ctrl-C checks).
BLOCK_POINTS = 8192


def blocks(total: int, size: int, quiet, desc: str, unit: str = "pt"):
    """Yield ``(start, stop)`` ranges of ``size``; a tqdm bar counts them unless quiet.

    Ctrl-C stops the job between two kernel calls (docs/architecture.md §5).
    """
    bar = None
    if progress_enabled(quiet) and total > size:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit=unit, desc=desc)
    try:
        for start in range(0, total, size):
            stop = min(total, start + size)
            yield start, stop
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()


class SurveillanceResult(NamedTuple):
    """The three surveillance fields of one run.

    Attributes
    ----------
    count : Field
        ``surveillance_count`` [1]: observers that see the point, each counted by the fraction
        of sight its line keeps (1 through clear air, 0.4 through a hedge of sight
        transmittance 0.4, 0 when blocked).
    weight : Field
        ``surveillance_weight`` [1]: the same sum with each observer's weight.
    nearest : Field
        ``nearest_observer_distance`` [m]: distance to the nearest observer that sees the
        point (``inf`` when none does).
    """

    count: Field
    weight: Field
    nearest: Field


def check_inputs(scene, observers, grid) -> None:
    """Type checks shared by the surveillance functions."""
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
    if not isinstance(observers, ObserverSet):
        raise ParameterError(f"observers: expected an ObserverSet, got {type(observers).__name__}")
    if not isinstance(grid, CalculationGrid):
        raise ParameterError(f"grid: expected a CalculationGrid, got {type(grid).__name__}")


def spatial_order(xy: np.ndarray, cell: float = 8.0) -> np.ndarray:
    """A permutation that walks points tile by tile (Morton order of ``cell``-metre tiles), so
    that consecutive kernel blocks are compact."""
    lo = xy.min(axis=0)
    q = np.floor((xy - lo) / cell).astype(np.int64)
    q = np.clip(q, 0, (1 << 20) - 1)
    code = np.zeros(xy.shape[0], dtype=np.int64)
    for bit in range(20):
        code |= ((q[:, 0] >> bit) & 1) << (2 * bit)
        code |= ((q[:, 1] >> bit) & 1) << (2 * bit + 1)
    return np.argsort(code, kind="stable")


def observer_arrays(scene: Scene, observers: ObserverSet):
    """Local, C-contiguous kernel arrays of an observer set."""
    half = 0.5 * np.radians(observers.fov)
    cos_half = np.cos(half)
    cos_half[np.abs(observers.fov - 180.0) < 1e-9] = 0.0  # exact half-space (cos 90 deg != 0)
    cos_half[observers.fov >= 360.0] = -2.0  # all round: the kernel skips the test
    return (scene.to_local(observers.positions), np.ascontiguousarray(observers.directions),
            np.ascontiguousarray(cos_half), np.ascontiguousarray(observers.max_distance),
            np.ascontiguousarray(observers.weight))


def run_surveillance(scene: Scene, observers: ObserverSet, grid: CalculationGrid,
                     target_height: float, night=None, quiet: bool | None = None):
    """Run the kernel; returns (count, weight, nearest) in grid order, and the elapsed time.

    ``night`` is None (day) or ``(e_table (n, k), dir_cos (k,), dir_sin (k,), thr_table,
    thr_step)``.
    """
    t0 = time.perf_counter()
    target_height = as_float(target_height, "target_height")
    pts = scene.to_local(grid.points)
    pts[:, 2] += target_height
    order = spatial_order(pts[:, :2])
    pts_s = np.ascontiguousarray(pts[order])
    # sightlines end on the point's own side of a surface it lies on
    ends_s = np.ascontiguousarray(pts_s + grid.side_lift(scene)[order])
    obs, odir, ocos, orange, ow = observer_arrays(scene, observers)
    face_tr = np.ascontiguousarray(scene.sight_transmittance)
    use_tr = bool(np.any(face_tr > 0.0))
    n = pts.shape[0]
    count = np.empty(n)
    weight = np.empty(n)
    near = np.empty(n)
    if night is None:
        e_tab = np.zeros((1, 1))
        dcos = np.ones(1)
        dsin = np.zeros(1)
        thr = np.zeros(2)
        step = 1.0
        is_night = False
    else:
        e_tab, dcos, dsin, thr, step = night
        e_tab = np.ascontiguousarray(e_tab[order], dtype=np.float64)
        is_night = True
    for a, b in blocks(n, BLOCK_POINTS, quiet, "night surveillance" if is_night else
                       "surveillance"):
        K.surveillance_kernel(scene.bvh, face_tr, use_tr, obs, odir, ocos, orange, ow,
                              pts_s[a:b], ends_s[a:b], float(scene.ray_offset), is_night,
                              e_tab[a:b] if is_night else e_tab, dcos, dsin, thr, float(step),
                              count[a:b], weight[a:b], near[a:b])
    out = [np.empty(n) for _ in range(3)]
    for o, v in zip(out, (count, weight, near)):
        o[order] = v
    elapsed = time.perf_counter() - t0
    log.debug("surveillance: %d observers x %d points in %.2f s", observers.n, n, elapsed)
    return out[0], out[1], out[2], elapsed


def surveillance_fields(scene: Scene, observers: ObserverSet, grid: CalculationGrid, *,
                        target_height: float = DEFAULT_TARGET_HEIGHT,
                        quiet: bool | None = None) -> SurveillanceResult:
    """Count, weight and nearest distance of the observers that see each grid point.

    An observer sees a point when the point lies within its range, inside its field of view,
    and the sightline from its eye to the point (lifted by ``target_height``) is not blocked
    by opaque geometry. Faces whose material has a sight transmittance pass the sightline
    with that fraction (several multiply), and the observer counts by that fraction.

    Parameters
    ----------
    scene : Scene
    observers : ObserverSet
    grid : CalculationGrid
        Points on the ground (or anywhere) [m].
    target_height : float
        Height [m] above each grid point that must be seen (default 1.5 m, a face; 0 to test
        the points themselves).
    quiet : bool, optional
        Turn the progress bar off (default: the session setting).

    Returns
    -------
    SurveillanceResult
        ``count`` [1], ``weight`` [1], ``nearest`` [m] fields on ``grid``.

    Notes
    -----
    Observer j counts for point p when ``|p - o_j| <= R_j``,
    ``f_j . (p - o_j) >= cos(fov_j / 2) |p - o_j|`` (always true for fov 360 deg) and the
    sight transmittance ``tau_jp`` of the segment is positive; then
    ``count = sum_j tau_jp`` and ``weight = sum_j w_j tau_jp``. Both edges are inclusive.
    """
    check_inputs(scene, observers, grid)
    c, w, d, elapsed = run_surveillance(scene, observers, grid, target_height, quiet=quiet)
    prov = provenance(function="surveillance", n_observers=observers.n,
                      target_height=float(target_height), threads=get_threads(),
                      elapsed_s=elapsed)
    return SurveillanceResult(Field(c, grid, "surveillance_count", "1", prov),
                              Field(w, grid, "surveillance_weight", "1", prov),
                              Field(d, grid, "nearest_observer_distance", "m", prov))


def surveillance(scene: Scene, observers: ObserverSet, grid: CalculationGrid, *,
                 measure: str = "count", target_height: float = DEFAULT_TARGET_HEIGHT,
                 quiet: bool | None = None) -> Field:
    """Natural surveillance of each grid point: how many observers see it.

    Parameters
    ----------
    scene : Scene
    observers : ObserverSet
    grid : CalculationGrid
    measure : {"count", "weight", "nearest"}
        Which field to return (see :func:`surveillance_fields`, which returns all three
        from one pass).
    target_height : float
        Height [m] above each grid point that must be seen (default 1.5 m).
    quiet : bool, optional
        Turn the progress bar off.

    Returns
    -------
    Field
        ``surveillance_count`` [1] by default.

    Examples
    --------
    >>> import cpted_sim as cs                                        # doctest: +SKIP
    >>> obs = cs.ObserverSet.from_faces(scene, scene.tagged_groups("window"))  # doctest: +SKIP
    >>> cs.surveillance(scene, obs, grid)                              # doctest: +SKIP
    """
    if measure not in MEASURES:
        raise ParameterError(f"measure: expected one of {MEASURES}, got {measure!r}")
    res = surveillance_fields(scene, observers, grid, target_height=target_height, quiet=quiet)
    return res[MEASURES.index(measure)]


callable_module(__name__)   # deprecated: the module called as its function (one release)
