"""Ray engines behind one vocabulary (docs/architecture.md §6).

Every engine answers three queries on scene-local float64 arrays:

- ``closest_hit(scene, origins, directions, tmax, tmin=0.0)`` -> ``(distance, face)`` with unit
  directions, hits with ``tmin < t < tmax`` only, miss = ``(inf, -1)``;
- ``occluded(scene, origins, targets, offset)`` -> bool per segment, ignoring ``offset`` metres
  at both ends;
- ``visibility(scene, observers, targets, max_distance, offset)`` -> (n_obs, n_targets) bool.

``numba`` is ours and the default; ``embree`` (Intel Embree through ``embreex``, float32) and
``trimesh`` (trimesh's own numpy engine, which has no maximum distance and can miss hits on
edges) are peers and oracles. A missing optional engine fails only when it is used.
"""

from __future__ import annotations

import weakref

import numpy as np

from ..errors import EngineUnavailableError, ParameterError
from ..kernels import bvh_query
from ..kernels.scratch import scratch

__all__ = ["get_engine", "engines_available", "ENGINES", "DEFAULT_ENGINE"]

DEFAULT_ENGINE = "numba"


def _writeable(*arrays):
    """The arrays, read-only ones copied: Numba types a read-only array apart, so one would
    compile every kernel it reaches a second time (2-3 s each on first use)."""
    return [a if a.flags.writeable else a.copy() for a in arrays]


class NumbaEngine:
    """The default engine: our BVH and watertight kernels, parallel over rays."""

    name = "numba"
    install_hint = ""

    def closest_hit(self, scene, origins, directions, tmax, tmin=0.0):
        origins, directions, tmax = _writeable(origins, directions, tmax)
        n = origins.shape[0]
        t = np.empty(n)
        f = np.empty(n, dtype=np.int64)
        lower = scratch("tmin", n)  # reused: fresh pages made first calls slow (issue 16)
        lower.fill(float(tmin))
        bvh_query.closest_hit_batch(scene.bvh, origins, directions, lower, tmax, t, f)
        return t, f

    def occluded(self, scene, origins, targets, offset):
        origins, targets = _writeable(origins, targets)
        out = np.empty(origins.shape[0], dtype=np.bool_)
        bvh_query.occluded_batch(scene.bvh, origins, targets, float(offset), out)
        return out

    def visibility(self, scene, observers, targets, max_distance, offset):
        observers, targets = _writeable(observers, targets)
        out = np.empty((observers.shape[0], targets.shape[0]), dtype=np.bool_)
        bvh_query.visibility_block(scene.bvh, observers, targets, float(max_distance),
                                   float(offset), out)
        return out


class _PairwiseVisibility:
    """Visibility matrices from the engine's segment query (for peers without their own)."""

    def visibility(self, scene, observers, targets, max_distance, offset):
        no, nt = observers.shape[0], targets.shape[0]
        o = np.repeat(observers, nt, axis=0)
        t = np.tile(targets, (no, 1))
        d = np.linalg.norm(t - o, axis=1)
        vis = ~self.occluded(scene, o, t, offset)
        vis &= d <= max_distance
        return vis.reshape(no, nt)


class EmbreeEngine(_PairwiseVisibility):
    """Intel Embree through ``embreex`` (float32 geometry, one call per batch)."""

    name = "embree"
    install_hint = "pip install embreex"

    def __init__(self):
        from embreex import rtcore_scene  # noqa: F401  (fail early if missing)
        self._scenes = weakref.WeakKeyDictionary()

    def embree_scene(self, scene):
        """The embreex scene for ``scene``, built once and cached while the scene lives."""
        es = self._scenes.get(scene)
        if es is None:
            from embreex import rtcore_scene
            from embreex.mesh_construction import TriangleMesh

            es = rtcore_scene.EmbreeScene()
            TriangleMesh(scene=es, vertices=scene.vertices.astype(np.float32),
                         indices=scene.faces.astype(np.int32))
            self._scenes[scene] = es
        return es

    def closest_hit(self, scene, origins, directions, tmax, tmin=0.0):
        es = self.embree_scene(scene)
        # embreex has no tnear: start the rays ``tmin`` along instead.
        start = origins + directions * tmin if tmin > 0 else origins
        far = np.clip(tmax - tmin, 0.0, np.finfo(np.float32).max)
        res = es.run(start.astype(np.float32), directions.astype(np.float32),
                     dists=far.astype(np.float32), output=1)
        face = res["primID"].astype(np.int64)
        dist = res["tfar"].astype(np.float64) + tmin
        miss = (face < 0) | (tmax <= tmin)
        dist[miss] = np.inf
        face[miss] = -1
        return dist, face

    def occluded(self, scene, origins, targets, offset):
        es = self.embree_scene(scene)
        d = targets - origins
        length = np.linalg.norm(d, axis=1)
        short = length <= 2 * offset
        safe = np.where(short, 1.0, length)
        unit = d / safe[:, None]
        start = origins + unit * offset
        far = np.where(short, 0.0, length - 2 * offset)
        res = es.run(start.astype(np.float32), unit.astype(np.float32),
                     dists=far.astype(np.float32), query="OCCLUDED")
        return (np.asarray(res) >= 0) & ~short


class TrimeshEngine(_PairwiseVisibility):
    """trimesh's own numpy ray engine (no maximum distance; may miss hits on edges)."""

    name = "trimesh"
    install_hint = "pip install trimesh rtree"

    def __init__(self):
        import importlib.util

        import trimesh  # noqa: F401
        # trimesh's ray engine builds its triangle tree with rtree: without it, every query
        # would fail, so the engine is unavailable rather than broken.
        if importlib.util.find_spec("rtree") is None:
            raise ImportError("trimesh's ray engine needs rtree, which is not installed")
        self._meshes = weakref.WeakKeyDictionary()

    def _intersector(self, scene):
        it = self._meshes.get(scene)
        if it is None:
            import trimesh
            from trimesh.ray.ray_triangle import RayMeshIntersector

            mesh = trimesh.Trimesh(scene.vertices, scene.faces, process=False)
            it = RayMeshIntersector(mesh)
            self._meshes[scene] = it
        return it

    def closest_hit(self, scene, origins, directions, tmax, tmin=0.0):
        it = self._intersector(scene)
        loc, ray, tri = it.intersects_location(origins, directions, multiple_hits=True)
        n = origins.shape[0]
        dist = np.full(n, np.inf)
        face = np.full(n, -1, dtype=np.int64)
        if len(ray):
            t = np.einsum("ij,ij->i", loc - origins[ray], directions[ray])
            keep = (t > tmin) & (t < tmax[ray])
            ray, tri, t = ray[keep], tri[keep], t[keep]
            order = np.lexsort((t, ray))
            ray, tri, t = ray[order], tri[order], t[order]
            first = np.ones(len(ray), dtype=bool)
            first[1:] = ray[1:] != ray[:-1]
            dist[ray[first]] = t[first]
            face[ray[first]] = tri[first]
        return dist, face

    def occluded(self, scene, origins, targets, offset):
        d = targets - origins
        length = np.linalg.norm(d, axis=1)
        short = length <= 2 * offset
        unit = d / np.where(short, 1.0, length)[:, None]
        start = origins + unit * offset
        t, _ = self.closest_hit(scene, start, unit, np.where(short, 0.0, length - 2 * offset))
        return np.isfinite(t) & ~short


ENGINES = {"numba": NumbaEngine, "embree": EmbreeEngine, "trimesh": TrimeshEngine}
_instances: dict[str, object] = {}


def get_engine(name: str | None = None):
    """The engine registered as ``name`` (default ``"numba"``).

    Raises
    ------
    ParameterError
        Unknown name.
    EngineUnavailableError
        The engine's optional dependency is missing; the message gives the install command.
    """
    name = DEFAULT_ENGINE if name is None else str(name).lower()
    if name not in ENGINES:
        raise ParameterError(f"engine: expected one of {sorted(ENGINES)}, got {name!r}")
    if name not in _instances:
        try:
            _instances[name] = ENGINES[name]()
        except ImportError as exc:
            raise EngineUnavailableError(
                f"engine {name!r} is not available ({exc}); install it with: "
                f"{ENGINES[name].install_hint}"
            ) from None
    return _instances[name]


def engines_available() -> list[str]:
    """Names of the engines that can be used on this machine."""
    out = []
    for name in ENGINES:
        try:
            get_engine(name)
        except EngineUnavailableError:
            continue
        out.append(name)
    return out
