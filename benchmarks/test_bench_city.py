"""The synthetic town on 1 and 2 Dask workers: wall time, speed-up, peak memory per worker,
points and street metres per second (issue #17).

The town (``write_town``) is written once per session into ``CPTED_BENCH_CITY_DIR`` (default
a temporary folder; an existing town there is reused). Its size: ``CPTED_BENCH_CITY_TRIANGLES``
(default 16 000 000) over ``CPTED_BENCH_CITY_DISTRICTS`` x same districts (default 4), windows
kept as observers ``CPTED_BENCH_CITY_WINDOWS`` (default 20 000), grid spacing
``CPTED_BENCH_CITY_SPACING`` [m] (default 2), light range and window range 40 m, tiles from the
2 GB budget unless ``CPTED_BENCH_CITY_TILE`` [m] is set. Each worker runs one tile at a time
with one Numba thread, so 1 vs 2 workers is the scaling over processes.

The driver's peak memory (``test_city_driver_memory``) is measured in a fresh process per way
of naming the town, on a smaller town (``CPTED_BENCH_CITY_DRIVER_TRIANGLES``, default
2 000 000, 2 x 2 districts): a scenario whose ``[scene] cityjson`` names the town's CityJSON
files (the whole scene built in the driver), the same files as a tile set (``--town`` on a
folder of CityJSON files: indexed one file at a time) and the town folder (its index read).

Run: ``NUMBA_NUM_THREADS=1 PYTHONPATH=src python -m pytest -q benchmarks/test_bench_city.py
--benchmark-only -s``; the figures are in ``docs/performance.md``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask.distributed")

from cpted_sim.city import run_city, write_town  # noqa: E402
from cpted_sim.io.scenario_file import load_scenario  # noqa: E402

_WALL: dict[int, float] = {}


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@pytest.fixture(scope="module")
def town():
    base = os.environ.get("CPTED_BENCH_CITY_DIR")
    folder = Path(base) if base else Path(tempfile.mkdtemp(prefix="cpted_town_"))
    info_file = folder / "town_info.json"
    if not info_file.is_file():
        info = write_town(folder, target_triangles=int(_env("CPTED_BENCH_CITY_TRIANGLES", 16e6)),
                          districts=int(_env("CPTED_BENCH_CITY_DISTRICTS", 4)),
                          spacing=_env("CPTED_BENCH_CITY_SPACING", 2.0), light_range=40.0,
                          sight_range=40.0,
                          max_windows=int(_env("CPTED_BENCH_CITY_WINDOWS", 20_000)))
        info_file.write_text(json.dumps(info))
    info = json.loads(info_file.read_text())
    yield folder, info, load_scenario(folder / "town.toml")
    if not base:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_city_town(benchmark, town, workers, tmp_path):
    folder, info, sc = town
    tile = os.environ.get("CPTED_BENCH_CITY_TILE")
    out = {}

    def once():
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        out.update(run_city(sc, tmp_path / "out", town=folder, workers=workers,
                            threads_per_worker=1, tile_size=float(tile) if tile else None))

    benchmark.pedantic(once, rounds=1, iterations=1)
    wall = out["seconds"]
    _WALL[workers] = wall
    pts = sum(i.get("points", 0) for i in out["infos"])
    rss = max(i.get("peak_rss_mb", 0.0) for i in out["infos"])
    tile_s = [i["seconds"] for i in out["infos"]]
    e = benchmark.extra_info
    e.update(workers=workers, triangles=info["triangles"], lights=info["lights"],
             windows=info["windows"], street_m=info["street_m"], tiles=out["tiles"],
             tile_size_m=out["tile_size"], halo_m=out["halo"], wall_s=wall, points=pts,
             points_per_s=pts / wall, street_m_per_s=info["street_m"] / wall,
             peak_rss_mb_per_worker=rss, tile_s_mean=float(np.mean(tile_s)),
             tile_s_max=float(np.max(tile_s)),
             load_s_mean=float(np.mean([i.get("load_s", np.nan) for i in out["infos"]])))
    if 1 in _WALL and 2 in _WALL:
        e["speed_up_1_to_2"] = _WALL[1] / _WALL[2]
    print(json.dumps(e, default=float))
    assert out["complete"] and rss < 2048.0


_DRIVER = r'''
import json, sys
from pathlib import Path
from cpted_sim.city import prepare_job
from cpted_sim.io.scenario_file import load_scenario, loads_scenario

def hwm():
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) / 1024.0 for ln in fh if ln.startswith("VmHWM:"))

mode, town, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
base = hwm()
x0, y0, x1, y1 = json.loads((town / "town_info.json").read_text())["bounds"]
common = f"""
[[luminaires]]
name = "L"
photometry = {{ builtin = "street_light_optic", flux = 6000.0 }}
position = [{(x0 + x1) / 2}, {(y0 + y1) / 2}, 6.0]
[[areas]]
name = "town"
kind = "grid"
polygon = [[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}]]
spacing = 2.0
quantities = ["E_h", "E_sc"]
[run]
max_distance = 40.0
"""
files = sorted(str(p) for p in (town / "cityjson").glob("*.city.json"))
if mode == "scene":
    (out / "scene.toml").write_text(f'name = "t"\n[scene]\ncityjson = {json.dumps(files)}\n'
                                    + common)
    job = prepare_job(load_scenario(out / "scene.toml", allow_outside_files=True), out)
elif mode == "tileset":
    folder = out / "tiles_only"
    folder.mkdir()
    for f in files:
        (folder / Path(f).name).symlink_to(f)
    sc = loads_scenario('name = "t"\n[scene]\nbuiltin = "ground_plane"\n'
                        'params = { size = 10.0 }\n' + common)
    job = prepare_job(sc, out, town=folder)
else:
    job = prepare_job(load_scenario(town / "town.toml"), out, town=town)
print(json.dumps({"base_mb": base, "peak_mb": hwm(), "points": job.grid.n_points}))
'''


@pytest.fixture(scope="module")
def driver_town():
    base = os.environ.get("CPTED_BENCH_CITY_DIR")
    folder = (Path(base) / "driver_town") if base else Path(tempfile.mkdtemp(prefix="cpted_dt_"))
    info_file = folder / "town_info.json"
    if not info_file.is_file():
        info = write_town(folder, target_triangles=int(_env("CPTED_BENCH_CITY_DRIVER_TRIANGLES",
                                                            2e6)),
                          districts=2, light_range=40.0, sight_range=40.0, max_windows=20_000)
        info_file.write_text(json.dumps({**info, "bounds": [float(v) for v in info["bounds"]]}))
    yield folder, json.loads(info_file.read_text())
    if not base:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("mode", ["scene", "tileset", "town"])
def test_city_driver_memory(benchmark, driver_town, mode, tmp_path):
    folder, info = driver_town
    out = {}

    def once():
        run = tmp_path / "run"
        shutil.rmtree(run, ignore_errors=True)
        run.mkdir()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        res = subprocess.run([sys.executable, "-c", _DRIVER, mode, str(folder), str(run)],
                             capture_output=True, text=True, env=env, check=True)
        out.update(json.loads(res.stdout.strip().splitlines()[-1]))

    benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(mode=mode, triangles=info["triangles"], **out)
    print(json.dumps(benchmark.extra_info, default=float))
    assert out["peak_mb"] > out["base_mb"]
