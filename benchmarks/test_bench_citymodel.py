"""City-model speed on the real Delft district (../shared/data/city/delft_3dfier/delft.json).

Targets (issue #12): loading, cropping (and draping, where ``geometry.drape`` is present)
<= 3 s warm; generating windows on its facades <= 1 s.
Run: ``PYTHONPATH=src python -m pytest -q benchmarks/test_bench_citymodel.py --benchmark-only``
(``CPTED_SIM_SHARED_DATA`` may point at the shared data folder when it is not ``../shared/data``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cpted_sim.io.citymodel import read_city_model
from cpted_sim.visibility.openings import WindowRule, window_layout

ROOT = Path(__file__).resolve().parents[1]
#: One street of the district: the crop box [m, EPSG:28992] and the street polygon it faces.
STREET_BOX = [84850.0, 447500.0, 84950.0, 447600.0]
STREET = [[84850, 447540], [84950, 447540], [84950, 447560], [84850, 447560]]


def _delft() -> Path:
    for base in (os.environ.get("CPTED_SIM_SHARED_DATA"), ROOT.parent / "shared" / "data"):
        if base and (Path(base) / "city/delft_3dfier/delft.json").is_file():
            return Path(base) / "city/delft_3dfier/delft.json"
    pytest.skip("shared Delft city model not found (set CPTED_SIM_SHARED_DATA)")


def _load_crop_drape(path):
    model = read_city_model(path, crop={"bbox": STREET_BOX}, margin=20)
    try:
        from cpted_sim.geometry.drape import surface_below
    except ImportError:   # draping is another module's; timed here when it is present
        return model, None
    xx, yy = np.meshgrid(np.arange(84850, 84950, 1.0), np.arange(447540, 447560, 1.0))
    return model, surface_below(model.scene, np.column_stack([xx.ravel(), yy.ravel()]))


def test_load_and_crop_delft(benchmark):
    path = _delft()
    _load_crop_drape(path)                                   # warm: kernels compiled
    model, draped = benchmark.pedantic(_load_crop_drape, args=(path,), rounds=3, iterations=1)
    benchmark.extra_info["faces"] = model.scene.n_faces
    benchmark.extra_info["objects_kept"] = model.n_objects
    benchmark.extra_info["draped"] = draped is not None
    assert 0 < model.n_objects < 570


def test_generate_windows_on_delft(benchmark):
    scene = read_city_model(_delft()).scene
    rule = WindowRule(storey_height=3, spacing=4)
    window_layout(scene, rule)                               # warm
    lay = benchmark(window_layout, scene, rule, facing=STREET, max_distance=30)
    benchmark.extra_info["candidates"] = lay.n_candidates
    benchmark.extra_info["windows"] = len(lay.positions)
    benchmark.extra_info["dropped_inside"] = lay.n_inside
    assert len(lay.positions) > 0
