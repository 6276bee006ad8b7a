"""A city run's job (what every tile needs) and one tile's computation (layer L6).

The driver writes ``job.pkl`` once: the scenario (without its loaded meshes), the study area,
its plan grid, the luminaires, the observers, the halo, the street centrelines and where the
geometry store lies. A tile task reads the job (once per worker process), the geometry within
its halo, and computes the study area's fields on its points with the same code as
:func:`cpted_sim.scenario.run` (``scenario.run._area_fields``); the result is written
atomically to ``tiles/<key>.npz``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..geometry.grid import CalculationGrid
from .store import box_scene, store_index
from .tiling import Tile, tile_points

__all__ = ["CityJob", "CITY_QUANTITIES", "compute_tile", "drape_tile", "tile_path", "load_job",
           "save_job"]

#: Quantities a city run computes (concealment and isovists are per-place studies).
CITY_QUANTITIES = ("E_h", "E_sc", "surveillance", "night_surveillance")
#: Fields a tile file holds (those computed).
TILE_FIELDS = ("E_h", "E_sc", "surveillance_count", "surveillance_weight",
               "night_surveillance_count", "night_surveillance_weight", "dark", "unobserved",
               "dark_and_unseen")


@dataclass(eq=False)
class CityJob:
    """Everything a tile task needs; pickled to ``job.pkl`` by the driver.

    Attributes
    ----------
    scenario : Scenario
        Thresholds and settings (``assets`` emptied).
    area : AreaSpec
        The study area (a plan area), its quantities limited to :data:`CITY_QUANTITIES`.
    grid : CalculationGrid
        The study area's plan grid (shape, raster_index and transform set).
    luminaires : tuple of Luminaire
    observers : ObserverSet or None
    light_range, sight_range : float
        Longest light range (``run.max_distance``) and longest observer range [m].
    store : str
        Folder of the geometry store.
    streets : list of (k, 3) float
        Street centrelines [m] for the segment metrics.
    epsg : int or None
    reflection_margin : float
        With interreflection, how far beyond the light range the tile's halo scene reaches [m]
        (0 without).
    patch_size : float or None
        Radiosity patch size [m] (None: :func:`cpted_sim.lighting.radiosity`'s default).
    cache : str or None
        Folder of the parsed CityJSON files of a tile set (``OUT/cityjson_cache``), shared by
        the tiles.
    drape : str or None
        ``"surface"`` or ``"deck"``: each tile drapes its points on the walkable surface of its
        scene (:func:`drape_tile`; a ``--town`` run); None: the grid is placed already.
    """

    scenario: object
    area: object
    grid: CalculationGrid
    luminaires: tuple
    observers: object
    light_range: float
    sight_range: float
    store: str
    streets: list = field(default_factory=list)
    epsg: int | None = None
    reflection_margin: float = 0.0
    patch_size: float | None = None
    cache: str | None = None
    drape: str | None = None

    @property
    def light_reach(self) -> float:
        """Reach of the luminaires and geometry a tile loads for its light [m]: the light range,
        plus the reflection margin when the run computes interreflection."""
        return self.light_range + self.reflection_margin

    @property
    def halo(self) -> float:
        """Halo [m]: the light reach or the longest sightline, whichever is longer."""
        return max(self.light_reach, self.sight_range)

    def fingerprint(self) -> str:
        """A hash of what decides the results (to refuse resuming a different job)."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.grid.points).tobytes())
        h.update(repr((self.light_range, self.sight_range, self.area, self.scenario.thresholds,
                       self.scenario.settings.max_distance, self.scenario.settings.bounces,
                       self.reflection_margin, self.patch_size, self.drape)).encode())
        h.update(np.array([lum.position for lum in self.luminaires]).tobytes())
        if self.observers is not None:
            h.update(self.observers.positions.tobytes())
        h.update(repr(store_index(self.store)["files"]).encode())
        return h.hexdigest()[:16]


def save_job(job: CityJob, out) -> Path:
    """Write ``job.pkl`` atomically."""
    path = Path(out) / "job.pkl"
    tmp = path.with_name(f".job.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(job, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


@functools.lru_cache(maxsize=2)
def _load_job_cached(path: str, mtime_ns: int) -> CityJob:
    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - the file is the driver's own job


def load_job(out) -> CityJob:
    """Read ``job.pkl`` (cached per process while the file is unchanged)."""
    path = Path(out) / "job.pkl"
    if not path.is_file():
        raise ParameterError(f"{path}: no city job here")
    return _load_job_cached(str(path), path.stat().st_mtime_ns)


def tile_path(out, tile: Tile) -> Path:
    """Where a finished tile lies."""
    return Path(out) / "tiles" / f"{tile.key}.npz"


def _within(points: np.ndarray, box, reach) -> np.ndarray:
    """Points within ``reach`` [m] (3D) of the vertical prism over ``box`` (a plan rectangle)."""
    dx = np.maximum(np.maximum(box[0] - points[:, 0], points[:, 0] - box[2]), 0.0)
    dy = np.maximum(np.maximum(box[1] - points[:, 1], points[:, 1] - box[3]), 0.0)
    return dx * dx + dy * dy <= np.asarray(reach) ** 2


def tile_inputs(job: CityJob, tile: Tile):
    """The scene, luminaires and observers of a tile (within its halo) and its grid points."""
    idx = tile_points(job.grid.raster_index, job.grid.shape[1], tile)
    origin = np.array(store_index(job.store)["origin"])
    hb = tile.halo_box
    scene = box_scene(job.store, (hb[0] - origin[0], hb[1] - origin[1],
                                  hb[2] - origin[0], hb[3] - origin[1]), name=tile.key,
                      cache=job.cache)
    lums = tuple(lum for lum, keep in zip(job.luminaires, _within(
        np.array([lum.position for lum in job.luminaires]).reshape(-1, 3), tile.box,
        job.light_reach)) if keep)
    obs = job.observers
    if obs is not None:
        keep = _within(obs.positions, tile.box, obs.max_distance)
        obs = obs.subset(np.flatnonzero(keep)) if keep.any() else None
    return scene, lums, obs, idx


def compute_tile(out, tile: Tile, threads: int | None = None) -> dict:
    """Compute one tile and write ``tiles/<key>.npz`` atomically; skip it when already there.

    Parameters
    ----------
    out : path-like
        The run's output folder (holding ``job.pkl``).
    tile : Tile
    threads : int, optional
        Numba threads for this task (the worker's share of the cores).

    Returns
    -------
    dict
        ``key``, ``points``, ``triangles``, ``luminaires``, ``observers``, ``seconds``,
        ``load_s`` (reading the job and the geometry, building the scene), ``skipped``, ``pid``,
        ``peak_rss_mb`` (the worker process's peak so far [MiB]); with interreflection also
        ``patches`` and ``radiosity_s``.

    Notes
    -----
    With ``run.bounces`` the tile solves the patch radiosity of its own halo scene (every
    triangle within :attr:`CityJob.halo` of the tile, lit by the luminaires within
    :attr:`CityJob.light_reach`), then gathers it at its points: see ``docs/city_scale.md``,
    *Interreflection*, for the halo rule and the error it leaves.
    """
    from ..config import threads as thread_context
    from ..scenario.run import _area_fields

    path = tile_path(out, tile)
    if path.is_file():
        return {"key": tile.key, "skipped": True, "pid": os.getpid()}
    t0 = time.perf_counter()
    job = load_job(out)
    scene, lums, obs, idx = tile_inputs(job, tile)
    info = {"key": tile.key, "points": int(idx.size), "skipped": False, "pid": os.getpid(),
            "triangles": 0 if scene is None else scene.n_faces, "luminaires": len(lums),
            "observers": 0 if obs is None else obs.n}
    info["load_s"] = time.perf_counter() - t0
    if threads is not None:
        import numba

        threads = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    g = job.grid
    grid = CalculationGrid(np.ascontiguousarray(g.points[idx]), None, g.kind, name=g.name)
    if job.drape is not None and idx.size and scene is not None:
        with thread_context(threads):
            grid, kept = drape_tile(job, grid, scene)
        info["points_dropped"] = int(idx.size - kept.size)
        idx = idx[kept]
        info["points"] = int(idx.size)
    arrays = {"index": idx}
    if idx.size and scene is not None:
        with thread_context(threads):
            solution = _tile_radiosity(job, scene, lums, info)
            fields = _area_fields(job.area, scene, lums, obs, [], job.scenario, grid, True,
                                  solution)
        for k in TILE_FIELDS:
            if k in fields:
                arrays[k] = np.asarray(fields[k].values, dtype=np.float64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{tile.key}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    info["seconds"] = time.perf_counter() - t0
    peak = _peak_rss_mb()
    if peak is not None:
        info["peak_rss_mb"] = peak
    return info


#: The ray that decides whether a point is inside a building: nearly up, as the first ray of
#: the inside vote of :func:`cpted_sim.geometry.drape.inside_volumes` (tilted off the axis so
#: that it grazes no axis-aligned wall).
UP_RAY = np.array([0.0123, 0.0071, 1.0]) / np.linalg.norm([0.0123, 0.0071, 1.0])
#: Most faces the up ray steps past.
MAX_CROSSINGS = 256


def drape_tile(job: CityJob, grid: CalculationGrid, scene):
    """A tile's grid put ``area.height`` above the walkable surface of its scene, the points
    with no surface below and those inside buildings left out. Returns the grid and the
    indices of the points kept.

    As :func:`cpted_sim.run` places a grid, with two differences that make every tile place a
    point as the uncut town does:

    * the surface heights are rounded to the micrometre (``surface_below`` starts its rays
      below the scene's lowest point, which differs from tile to tile, so the unrounded
      heights would differ in their last bits);
    * a point is inside when the ray (nearly) up crosses the volumes' faces an odd number of
      times: the first test of ``inside_volumes``' vote. Its four nearly horizontal rays reach
      the halo's edge, where a tile's scene cuts buildings, and would vote differently from
      tile to tile; the faces above a point lie in its tile.
    """
    from ..geometry.drape import surface_below
    from ..geometry.query import closest_hit
    from ..scenario.terrain import volume_groups

    s = job.scenario.scene
    walk = dict(walkable=None if s.walkable is None else list(s.walkable))
    if s.max_slope_deg is not None:
        walk["max_slope_deg"] = s.max_slope_deg
    z = np.round(surface_below(scene, grid.points[:, :2], reference=job.drape, **walk), 6)
    ok = np.flatnonzero(np.isfinite(z))
    pts = grid.points[ok].copy()
    pts[:, 2] = z[ok] + job.area.height
    groups = volume_groups(scene, job.scenario)
    in_set = (np.ones(scene.n_faces, dtype=bool) if groups is None else
              np.isin(scene.face_group, [i for i, g in enumerate(scene.groups) if g in groups]))
    count = np.zeros(len(pts), dtype=np.int64)
    active = np.arange(len(pts))
    cur = pts.copy()
    for _ in range(MAX_CROSSINGS):
        if active.size == 0:
            break
        t, f = closest_hit(scene, cur[active], np.broadcast_to(UP_RAY, (active.size, 3)))
        hit = f >= 0
        np.add.at(count, active[hit], in_set[f[hit]])
        cur[active[hit]] += UP_RAY * t[hit][:, None]
        active = active[hit]
    inside = count % 2 == 1
    return (CalculationGrid(np.ascontiguousarray(pts[~inside]), None, grid.kind,
                            name=grid.name), ok[~inside])


def _tile_radiosity(job: CityJob, scene, lums, info: dict):
    """The patch radiosity of a tile's halo scene (None without interreflection)."""
    b = job.scenario.settings.bounces
    if not b or not lums:
        return None
    from ..lighting import radiosity

    t0 = time.perf_counter()
    kw = {} if job.patch_size is None else {"patch_size": job.patch_size}
    solution = radiosity(scene, lums, bounces=None if b == "converged" else b, quiet=True, **kw)
    info["patches"] = int(solution.patches.centres.shape[0])
    info["radiosity_s"] = time.perf_counter() - t0
    return solution


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory [MiB] since it started (Linux ``VmHWM``).

    ``ru_maxrss`` is not used: Linux carries a parent's peak across ``exec`` into it, so a
    worker spawned by a big driver would report the driver's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None
