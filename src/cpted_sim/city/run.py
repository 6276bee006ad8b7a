"""A whole town's night-safety map: prepare the job, run its tiles on Dask, merge (layer L6).

:func:`run_city` is the Python entry point of ``cpted-sim city``. Dask (optional extra
``city``) is imported only here and only when a run starts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import EngineUnavailableError, ParameterError
from ..geometry.grid import CalculationGrid
from .job import CITY_QUANTITIES, CityJob, compute_tile, load_job, save_job, tile_path
from .store import store_index, write_store
from .tiling import patch_density, plan_tiles, tile_size_for_budget

__all__ = ["run_city", "prepare_job", "REFLECTION_MARGIN", "CITY_HINT", "dask_available",
           "default_workers"]

log = logging.getLogger(__name__)

#: Default reflection margin [m]: with interreflection a tile loads the geometry and luminaires
#: within the light range plus this of its border (docs/city_scale.md, Interreflection).
REFLECTION_MARGIN = 20.0

CITY_HINT = "pip install 'cpted_sim[city]'  (installs dask[distributed])"


def dask_available() -> bool:
    """Whether dask.distributed can be imported."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _distributed():
    try:
        import dask.distributed as dd
    except ImportError:
        raise EngineUnavailableError(f"city runs need Dask: {CITY_HINT}") from None
    return dd


def default_workers(workers: int | None = None) -> tuple[int, int]:
    """(worker processes, Numba threads per worker): workers x threads = cores.

    Each worker runs one tile at a time (one Dask thread) and gives its kernels
    ``cores // workers`` Numba threads, so Dask and Numba never oversubscribe the CPU.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = max(1, cores or 1)
    w = cores if workers is None else int(workers)
    if w < 1:
        raise ParameterError(f"workers: expected at least 1, got {w}")
    return w, max(1, cores // w)


# ---------------------------------------------------------------------------- preparing
def _study_area(scenario, town_bounds=None):
    plan = [a for a in scenario.areas if a.kind in ("grid", "en13201")]
    qs = None
    if plan:
        area = plan[0]
        qs = tuple(q for q in area.computed_quantities if q in CITY_QUANTITIES)
    if town_bounds is not None:
        x0, y0, x1, y1 = town_bounds
        poly = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
        if plan:
            area = replace(area, polygon=poly, kind="grid", lighting_class=None)
        else:
            from ..scenario.model import AreaSpec

            area = AreaSpec("town", "grid", polygon=poly, spacing=2.0)
            qs = None
    elif not plan:
        raise ParameterError("city: the scenario has no plan area (kind \"grid\" or "
                             "\"en13201\"); its polygon is the study area")
    if not qs:
        qs = CITY_QUANTITIES
    return replace(area, quantities=qs)


def _town_inputs(scenario, town: Path):
    """Luminaires (the scenario's first photometry at every town light) and window observers."""
    from ..photometry import Luminaire
    from ..scenario.run import build_luminaires
    from ..visibility import ObserverSet
    from ..visibility.observers import DEFAULT_RANGE

    with np.load(town / "town.npz") as z:
        lights, wp, wn = z["lights"], z["windows_points"], z["windows_normals"]
        streets = np.split(z["streets"], z["street_breaks"])
        bounds = tuple(float(v) for v in z["bounds"])
    templ = build_luminaires(replace(scenario, luminaires=scenario.luminaires[:1]),
                             scene=None) if scenario.luminaires else ()
    if not templ:
        raise ParameterError("city --town: the scenario needs one [[luminaires]] entry, whose "
                             "photometry every town light gets")
    t = templ[0]
    lums = tuple(Luminaire(t.distribution, p, azimuth=t.azimuth, tilt=t.tilt, spin=t.spin,
                           maintenance_factor=t.maintenance_factor, flux_scale=t.flux_scale,
                           name=f"L{i}") for i, p in enumerate(lights))
    o = scenario.observers[0] if scenario.observers else None
    obs = ObserverSet.from_points(wp + 0.3 * wn, wn, fov=o.fov if o else 180.0,
                                  max_distance=o.range if o else DEFAULT_RANGE,
                                  weight=o.weight if o else 1.0, kind="window")
    return lums, obs, [s for s in streets if len(s) >= 2], bounds


def _tileset_inputs(scenario, folder: Path, out: Path):
    """Luminaires, observers, streets, study area and index folder of a CityJSON tile set."""
    from ..scenario.run import build_luminaires, build_observers
    from .tileset import index_tileset

    where = f"city --town {folder} (a CityJSON tile set)"
    bad = [s.name for s in scenario.luminaires if s.height_reference not in (None, "absolute")]
    if bad:
        raise ParameterError(f"{where}: luminaire {bad[0]!r} stands on the scene's surface; a "
                             "tile set is never loaded whole: give absolute heights")
    store = index_tileset(folder, out / "geometry", lod=_scene_lod(scenario),
                          epsg=scenario.scene.epsg, materials=scenario.materials)
    if any(a.kind in ("grid", "en13201") for a in scenario.areas):
        area = _study_area(scenario)
    else:                   # the tile set's extent
        idx = store_index(store)
        b, o = np.array([e["bounds"] for e in idx["files"]]), idx["origin"]
        area = _study_area(scenario, (b[:, 0].min() + o[0], b[:, 1].min() + o[1],
                                      b[:, 2].max() + o[0], b[:, 3].max() + o[1]))
    obs = None
    if {"surveillance", "night_surveillance"} & set(area.quantities):
        bad = [o.name for o in scenario.observers if o.points is None]
        if bad:
            raise ParameterError(f"{where}: observers {bad[0]!r} are found on the scene; a "
                                 "tile set is never loaded whole: give observer points")
        obs = build_observers(scenario, None)
    streets = [np.asarray(a.path, dtype=np.float64) for a in scenario.areas if a.kind == "route"]
    return build_luminaires(scenario, None), obs, streets, area, str(store)


def _scene_lod(scenario):
    g = scenario.scene.geometry
    return g.params.get("lod") if g.builtin == "city_model" else None


def prepare_job(scenario, out, *, town=None, light_range: float | None = None,
                reflection_margin: float | None = None,
                patch_size: float | None = None) -> CityJob:
    """Build what every tile needs and write it under ``out`` (``job.pkl``, ``geometry/``).

    Parameters
    ----------
    scenario : Scenario
        Its first plan area is the study area (its polygon, spacing, height and quantities),
        ``run.max_distance`` the light range; thresholds and settings as in a scenario run.
    out : path-like
        Output folder.
    town : path-like, optional
        A town folder (:func:`cpted_sim.city.town.write_town`): geometry, lights, windows and
        streets come from it; the scenario gives the photometry (its first luminaire), the
        observers' range and field of view (its first observer set), the thresholds and the
        grid spacing. The study area is the whole town, its grid flat at the area's height.
        Or a folder of CityJSON files (a 3D BAG tile set, no ``town.npz``): the geometry comes
        from it, each tile reading only the city objects in its halo (indexed once into
        ``out/geometry/index.json``, one file at a time); the luminaires, observers, streets
        (``route`` areas) and study area (the first plan area, else the tile set's extent)
        from the scenario, whose luminaires and observers must not need the scene (absolute
        heights, observer points). The grid is placed as :func:`cpted_sim.run` places a real
        place's grid: on the walkable surface (``area.height`` above it), points inside
        buildings left out; with a town each tile does so on its own scene (an area with
        ``height_reference = "absolute"`` stays flat at its height).
    light_range : float, optional
        Light range [m] (default ``run.max_distance``).
    reflection_margin : float, optional
        With ``run.bounces``: how far beyond the light range a tile loads geometry and
        luminaires for its radiosity solution [m] (default :data:`REFLECTION_MARGIN`); ignored
        without interreflection.
    patch_size : float, optional
        With ``run.bounces``: the radiosity patch size [m] (default that of
        :func:`cpted_sim.lighting.radiosity`, 0.5 m; a town is better served by 1-2 m).
    """
    from ..scenario.run import build_luminaires, build_observers, build_scene

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lr = float(light_range if light_range is not None else scenario.settings.max_distance)
    if not np.isfinite(lr) or lr <= 0:
        raise ParameterError(f"city: the light range (run.max_distance) must be a finite "
                             f"positive distance; got {lr}")
    scenario = replace(scenario, settings=replace(scenario.settings, max_distance=lr))
    margin = 0.0
    if scenario.settings.bounces:
        margin = float(REFLECTION_MARGIN if reflection_margin is None else reflection_margin)
        if not np.isfinite(margin) or margin < 0:
            raise ParameterError(f"city: the reflection margin must be a finite distance >= 0 "
                                 f"[m]; got {margin}")
        if patch_size is not None and not (np.isfinite(patch_size) and patch_size > 0):
            raise ParameterError(f"city: the patch size must be a finite distance > 0 [m]; got "
                                 f"{patch_size}")
    if town is not None and (Path(town) / "town.npz").is_file():
        town = Path(town)
        lums, obs, streets, bounds = _town_inputs(scenario, town)
        store = str(town / "cityjson")
        if not (town / "cityjson" / "index.json").is_file():
            raise ParameterError(f"{town}: a town folder without cityjson/index.json (written "
                                 "by an older write_town?); write the town again")
        epsg = store_index(store)["epsg"]
        area = _study_area(scenario, bounds)
    elif town is not None:
        lums, obs, streets, area, store = _tileset_inputs(scenario, Path(town), out)
        epsg = store_index(store)["epsg"]
    else:
        area = _study_area(scenario)
        scene = build_scene(scenario)
        lums = build_luminaires(scenario, scene)
        wants = {"surveillance", "night_surveillance"} & set(area.quantities)
        obs = build_observers(scenario, scene) if wants else None
        streets = [np.asarray(a.path, dtype=np.float64) for a in scenario.areas
                   if a.kind == "route"]
        store = str(out / "geometry")
        h = hashlib.sha256()
        for a in (scene.origin, scene.vertices, scene.faces, scene.face_group):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((scene.groups, sorted(scene.materials.items()))).encode())
        if not (Path(store) / "index.json").is_file():
            write_store(store, [(scene.vertices, scene.faces,
                                 np.asarray(scene.groups)[scene.face_group])],
                        origin=scene.origin, epsg=scene.epsg, materials=scene.materials,
                        meta={"scene_hash": h.hexdigest(), "ray_offset": scene.ray_offset})
        elif store_index(store).get("scene_hash") != h.hexdigest():
            raise ParameterError(f"{out}: holds the geometry of a different scene (the "
                                 "scenario's scene changed); use another --out folder")
        epsg = scene.epsg
    drape = None
    if town is not None:    # each tile drapes its points on its scene (CityJob.drape)
        drape = area.height_reference or "surface"
        drape = None if drape == "absolute" else drape
    poly = np.asarray(area.polygon)
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    grid = CalculationGrid.regular(lo[0], lo[1], hi[0], hi[1], area.spacing, height=area.height,
                                   polygon=poly, name=area.name)
    if town is None:   # on the walkable surface, points inside buildings out: as cpted_sim.run
        from ..scenario import terrain

        grid, _ = terrain.place_grid(area, grid, scene, scenario)
    sr = float(obs.max_distance.max()) if obs is not None and obs.n else 0.0
    streets = [np.column_stack([s[:, :2], np.zeros(len(s))]) for s in streets]
    job = CityJob(replace(scenario, assets={}), area, grid, tuple(lums), obs, lr, sr, store,
                  streets, epsg, margin, None if patch_size is None else float(patch_size),
                  str(out / "cityjson_cache") if store_index(store).get("kind") == "cityjson"
                  else None, drape)
    return job


def _tile_cells(job: CityJob, tile_size: float | None, memory_gb: float) -> int:
    sp = job.grid.transform[2]
    if tile_size is None:
        idx = store_index(job.store)
        tris = sum(e["n_faces"] for e in idx["files"])
        b = np.array([e["bounds"] for e in idx["files"]])
        area = max(1.0, (b[:, 2].max() - b[:, 0].min()) * (b[:, 3].max() - b[:, 1].min()))
        n_obs = 0 if job.observers is None else job.observers.n
        pd = 0.0
        if job.scenario.settings.bounces:
            pd = patch_density(0.5 if job.patch_size is None else job.patch_size)
        tile_size = tile_size_for_budget(memory_gb * 2**30, tris / area, job.halo, sp,
                                         observer_density=n_obs / area, patch_density=pd)
    return max(1, int(round(float(tile_size) / sp)))


# ---------------------------------------------------------------------------- running
def run_city(scenario, out, *, town=None, scheduler: str | None = None,
             workers: int | None = None, tile_size: float | None = None,
             memory_gb: float = 2.0, light_range: float | None = None,
             reflection_margin: float | None = None, patch_size: float | None = None,
             only=None,
             merge: bool = True, report=None, client=None,
             threads_per_worker: int | None = None) -> dict:
    """Compute a town's night-safety map tile by tile on Dask, resumably; merge the tiles.

    Parameters
    ----------
    scenario : Scenario
        See :func:`prepare_job`.
    out : path-like
        Output folder: ``job.pkl``, ``tiles/*.npz`` (one per finished tile, written
        atomically), then the merged outputs (:func:`cpted_sim.city.merge.merge_city`).
        A rerun on the same folder skips the finished tiles.
    town : path-like, optional
        A town folder (see :func:`prepare_job`).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default a ``LocalCluster``;
        ``"synchronous"`` computes the tiles one after the other in this process (no Dask).
    workers : int, optional
        LocalCluster worker processes (default: the cores); each gets ``cores // workers``
        Numba threads and one Dask thread.
    tile_size : float, optional
        Tile side [m] (default: the largest that fits ``memory_gb``).
    memory_gb : float
        Memory budget of one worker [GB] (default 2); also the LocalCluster's memory limit.
    light_range : float, optional
        Light range [m] (default ``run.max_distance``).
    reflection_margin, patch_size : float, optional
        See :func:`prepare_job`.
    only : iterable of str, optional
        Compute only these tile keys (and do not merge): for tests and partial runs.
    merge : bool
        Merge the tiles into the city-wide outputs when all are done.
    report : callable, optional
        Called with one line of text for the dashboard address and each finished tile.
    client : dask.distributed.Client, optional
        Use this client (overrides ``scheduler`` and ``workers``).
    threads_per_worker : int, optional
        Numba threads of each tile task (default ``cores // workers``; on an existing
        scheduler the worker's own setting).

    Returns
    -------
    dict
        ``tiles`` (count), ``computed``, ``skipped``, ``seconds``, ``dashboard``,
        ``outputs`` (paths of the merged files), ``tile_size`` [m], ``halo`` [m], ``infos``.
    """
    out = Path(out)
    say = report or (lambda line: log.info("%s", line))
    t0 = time.perf_counter()
    job = prepare_job(scenario, out, town=town, light_range=light_range,
                      reflection_margin=reflection_margin, patch_size=patch_size)
    fp = job.fingerprint()
    stamp = out / "job.fingerprint"
    if stamp.is_file() and stamp.read_text().strip() != fp:
        raise ParameterError(f"{out}: holds the tiles of a different city run (inputs changed); "
                             "use another --out folder or delete its tiles/")
    save_job(job, out)
    stamp.write_text(fp + "\n")
    cells = _tile_cells(job, tile_size, memory_gb)
    tiles = plan_tiles(job.grid.shape, job.grid.transform, cells, job.halo)
    todo = [t for t in tiles if not tile_path(out, t).is_file()]
    if only is not None:
        keys = set(only)
        todo = [t for t in todo if t.key in keys]
    say(f"city: {len(tiles)} tiles of {cells * job.grid.transform[2]:g} m, halo "
        f"{job.halo:g} m (light {job.light_range:g} m"
        + (f" + reflection margin {job.reflection_margin:g} m" if job.reflection_margin else "")
        + f", sight {job.sight_range:g} m); "
        f"{len(tiles) - len(todo)} already done")
    infos = []
    dashboard = None
    if todo and scheduler == "synchronous" and client is None:
        for i, t in enumerate(todo, 1):
            info = compute_tile(str(out), t)
            infos.append(info)
            say(f"city: tile {info['key']} done ({i}/{len(todo)}, "
                f"{info.get('seconds', 0.0):.1f} s, {info.get('points', 0)} points)")
    elif todo:
        dd = _distributed()
        own = None
        w, nthreads = default_workers(workers)
        nthreads = threads_per_worker or nthreads
        try:
            if client is None:
                if scheduler is not None:
                    client = own = dd.Client(scheduler)
                    nthreads = threads_per_worker
                else:
                    cluster = dd.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                              memory_limit=f"{memory_gb}GiB",
                                              dashboard_address=":0")
                    client = own = dd.Client(cluster)
            dashboard = client.dashboard_link
            say(f"city: Dask dashboard at {dashboard}")
            futs = [client.submit(compute_tile, str(out), t, nthreads, key=f"tile-{t.key}-{fp}",
                                  pure=False) for t in todo]
            for i, fut in enumerate(dd.as_completed(futs), 1):
                info = fut.result()
                infos.append(info)
                say(f"city: tile {info['key']} done ({i}/{len(todo)}, "
                    f"{info.get('seconds', 0.0):.1f} s, {info.get('points', 0)} points)")
        finally:
            if own is not None:
                cluster = getattr(own, "cluster", None)
                own.close()
                if cluster is not None:
                    cluster.close()
    outputs = {}
    done = all(tile_path(out, t).is_file() for t in tiles)
    if merge and done and only is None:
        from .merge import merge_city

        outputs = merge_city(out, load_job(out), tiles)
    return {"tiles": len(tiles), "computed": sum(not i.get("skipped") for i in infos),
            "skipped": len(tiles) - len(todo), "seconds": time.perf_counter() - t0,
            "dashboard": dashboard, "outputs": outputs, "tile_size": cells * job.grid.transform[2],
            "halo": job.halo, "infos": infos, "complete": done}
