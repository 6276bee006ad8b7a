"""The Delft study's speed (issue #12 Build 7, docs/tutorial_delft.md) on the real district.

Targets: reading the BGT road layer (151 polygons), loading the city model cropped to it and
draping a 1 m grid over every BGT polygon on the walkable surface <= 3 s warm; generating
windows on the facades of the district <= 1 s.
Run: ``PYTHONPATH=src python -m pytest -q benchmarks/test_bench_delft.py --benchmark-only``
(``CPTED_SIM_SHARED_DATA`` may point at the shared data folder when it is not ``../shared/data``).

Measured (one core, NUMBA_NUM_THREADS=1, on a machine shared by several jobs): 0.93 s mean
(0.87 min) for the district and its BGT layer (36,269 triangles, 7,806 points, 97.7 % of them
with a walkable face below; about 0.05 s reading the layer, 0.7-0.8 s loading and cropping,
0.4 s building the 151 grids, 0.05 s draping); 0.044 s for 866 windows on every facade of the
district; 0.018 s for the 135 windows facing the tutorial's street.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim.errors import CptedWarning

ROOT = Path(__file__).resolve().parents[1]
WALKABLE = ["Road", "LandUse"]
ROAD_ID = "G0503.032e68eebe0649cce0532ee22091b28c"      # the tutorial's street


def _delft() -> Path:
    for base in (os.environ.get("CPTED_SIM_SHARED_DATA"), ROOT.parent / "shared" / "data"):
        if base and (Path(base) / "city/delft_3dfier/delft.json").is_file():
            return Path(base) / "city/delft_3dfier"
    pytest.skip("shared Delft city model not found (set CPTED_SIM_SHARED_DATA)")


def _district(folder: Path):
    """BGT layer -> city model cropped to it (20 m margin) -> 1 m grids draped on the street."""
    from cpted_sim.io.vector import polygon_parts, read_vector

    parts = polygon_parts(read_vector(folder / "bgt_wegdeel.geojson", target_epsg=28992),
                          split=True)
    xy = np.vstack([p.coords[:, :2] for p in parts])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    scene = cs.load_city_model(folder / "delft.json", crop={"bbox": [*lo, *hi]}, margin=20.0)
    grids = []
    for p in parts:
        ring = p.coords[:, :2]
        a, b = ring.min(axis=0), ring.max(axis=0)
        grids.append(cs.CalculationGrid.regular(a[0], a[1], b[0], b[1], 1.0, polygon=ring))
    pts = np.vstack([g.points for g in grids])
    ground = cs.surface_below(scene, pts[:, :2], walkable=WALKABLE)
    return scene, pts, ground


def test_load_crop_and_drape_the_district_and_its_bgt_layer(benchmark):
    folder = _delft()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        _district(folder)                                    # warm: kernels compiled
        scene, pts, ground = benchmark.pedantic(_district, args=(folder,), rounds=3,
                                                iterations=1)
    benchmark.extra_info["faces"] = scene.n_faces
    benchmark.extra_info["points"] = int(pts.shape[0])
    benchmark.extra_info["draped_fraction"] = float(np.isfinite(ground).mean())
    assert np.isfinite(ground).mean() > 0.9                  # measured 0.977


def test_generate_windows_on_the_district(benchmark):
    folder = _delft()
    scene = cs.load_city_model(folder / "delft.json")
    rule = cs.WindowRule(storey_height=3.0, spacing=4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        cs.generate_windows(scene, rule)                     # warm
        obs = benchmark(cs.generate_windows, scene, rule)
    benchmark.extra_info["windows"] = obs.n
    assert obs.n > 500                                       # measured 866


def test_generate_windows_facing_the_tutorials_street(benchmark):
    from cpted_sim.io.vector import polygon_parts, read_vector

    folder = _delft()
    road = polygon_parts(read_vector(folder / "bgt_wegdeel.geojson",
                                     filter={"lokaalid": ROAD_ID}, target_epsg=28992))[0]
    ring = road.coords[:, :2]
    scene = cs.load_city_model(folder / "delft.json", crop={"polygon": ring}, margin=25.0)
    rule = cs.WindowRule(storey_height=3.0, spacing=4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        cs.generate_windows(scene, rule, facing=ring, max_distance=25.0)
        obs = benchmark(cs.generate_windows, scene, rule, facing=ring, max_distance=25.0)
    benchmark.extra_info["windows"] = obs.n
    assert obs.n > 50                                        # measured 135
