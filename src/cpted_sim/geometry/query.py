"""Public ray queries: closest hit, occlusion of segments, visibility matrices.

Coordinates in and out are world coordinates [m]; the scene's local origin is applied here.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float, as_points
from ..errors import ParameterError
from .engines import get_engine
from .scene import Scene

__all__ = ["closest_hit", "occluded", "visibility_matrix"]

VISIBILITY_BLOCK_PAIRS = 4_000_000


def _check_scene(scene) -> Scene:
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
    return scene


def closest_hit(scene: Scene, origins, directions, max_distance=np.inf, engine: str | None = None,
                offset: float | None = None):
    """Distance to and face of the first surface along each ray.

    Parameters
    ----------
    scene : Scene
    origins : (n, 3) float
        Ray origins, world coordinates [m].
    directions : (n, 3) float
        Ray directions (normalised here; zero vectors are an error).
    max_distance : float or (n,) float
        Hits farther than this [m] are misses. Default: no limit.
    engine : str, optional
        ``"numba"`` (default), ``"embree"`` or ``"trimesh"``.
    offset : float, optional
        Hits nearer than this [m] to the origin are ignored, so a ray that starts on a surface
        never hits that surface (default: the scene's scale-aware :attr:`Scene.ray_offset`;
        0 counts every hit in front of the origin).

    Returns
    -------
    distance : (n,) float
        Distance [m] along the ray, ``inf`` on a miss.
    face_index : (n,) int64
        Index of the face hit, ``-1`` on a miss.
    """
    scene = _check_scene(scene)
    o = scene.to_local(as_points(origins, "origins", allow_empty=True))
    d = as_points(directions, "directions", allow_empty=True)
    if d.shape != o.shape:
        raise ParameterError(f"directions: expected shape {o.shape} like origins, got {d.shape}")
    norm = np.linalg.norm(d, axis=1)
    if np.any(norm == 0):
        raise ParameterError(f"directions: {int(np.sum(norm == 0))} zero-length directions "
                             f"(first at index {int(np.argmax(norm == 0))})")
    d = np.ascontiguousarray(d / norm[:, None])
    try:
        md = np.asarray(max_distance, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"max_distance: expected a number or one per ray, "
                             f"got {max_distance!r}") from None
    if md.ndim > 1 or (md.ndim == 1 and md.shape[0] != o.shape[0]):
        raise ParameterError(f"max_distance: expected a number or {o.shape[0]} values (one per "
                             f"ray), got shape {md.shape}")
    tmax = np.broadcast_to(md, (o.shape[0],))
    if np.any(np.isnan(tmax)) or np.any(tmax < 0):
        raise ParameterError("max_distance: expected non-negative numbers (inf for no limit)")
    off = scene.ray_offset if offset is None else as_float(offset, "offset", lo=0.0)
    if o.shape[0] == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    return get_engine(engine).closest_hit(scene, o, d, np.ascontiguousarray(tmax), off)


def occluded(scene: Scene, origins, targets, engine: str | None = None, offset: float | None = None):
    """Whether each segment ``origins[i] -> targets[i]`` is blocked by the scene (any hit).

    Both ends may lie on surfaces: ``offset`` metres at each end are ignored (default: the
    scene's scale-aware :attr:`Scene.ray_offset`). This is the shadow ray and the sightline.

    Parameters
    ----------
    scene : Scene
    origins, targets : (n, 3) float
        Segment ends, world coordinates [m].
    engine : str, optional
        ``"numba"`` (default), ``"embree"`` or ``"trimesh"``.
    offset : float, optional
        Distance [m] ignored at each end.

    Returns
    -------
    (n,) bool
    """
    scene = _check_scene(scene)
    o = scene.to_local(as_points(origins, "origins", allow_empty=True))
    t = scene.to_local(as_points(targets, "targets", allow_empty=True))
    if o.shape != t.shape:
        raise ParameterError(f"targets: expected shape {o.shape} like origins, got {t.shape}")
    off = scene.ray_offset if offset is None else as_float(offset, "offset", lo=0.0)
    if o.shape[0] == 0:
        return np.empty(0, dtype=bool)
    return get_engine(engine).occluded(scene, o, t, off)


def visibility_matrix(scene: Scene, observers, targets, max_distance=None, engine: str | None = None,
                      offset: float | None = None) -> np.ndarray:
    """Which targets each observer sees (unblocked sightline within ``max_distance``).

    Computed in blocks of observers so that 10³ × 10⁵ pairs fit in memory (the result itself
    is one byte per pair).

    Parameters
    ----------
    scene : Scene
    observers : (a, 3) float
        Eye points, world coordinates [m].
    targets : (b, 3) float
        Target points [m].
    max_distance : float, optional
        Longest sightline [m]; default no limit.
    engine : str, optional
        ``"numba"`` (default), ``"embree"`` or ``"trimesh"``.
    offset : float, optional
        Distance [m] ignored at each end (default :attr:`Scene.ray_offset`).

    Returns
    -------
    (a, b) bool
    """
    scene = _check_scene(scene)
    obs = scene.to_local(as_points(observers, "observers", allow_empty=True))
    tg = scene.to_local(as_points(targets, "targets", allow_empty=True))
    md = np.inf if max_distance is None else as_float(max_distance, "max_distance", lo=0.0,
                                                      allow_inf=True)
    off = scene.ray_offset if offset is None else as_float(offset, "offset", lo=0.0)
    eng = get_engine(engine)
    out = np.zeros((obs.shape[0], tg.shape[0]), dtype=bool)
    if out.size == 0:
        return out
    rows = max(1, VISIBILITY_BLOCK_PAIRS // max(1, tg.shape[0]))
    for start in range(0, obs.shape[0], rows):
        stop = min(obs.shape[0], start + rows)
        out[start:stop] = eng.visibility(scene, np.ascontiguousarray(obs[start:stop]), tg, md, off)
    return out
