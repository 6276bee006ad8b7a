"""Photometry speed: parsing the largest shared file, and the Numba intensity lookup.

Targets (issue #3): parse the largest shared file in < 50 ms; >= 20 M directions/s on 2 threads.
Run: ``PYTHONPATH=src python -m pytest -q benchmarks/test_bench_photometry.py --benchmark-only``
(``CPTED_SIM_SHARED_DATA`` may point at the shared data folder when it is not ``../shared/data``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cpted_sim.config import threads
from cpted_sim.kernels.photometry import intensity_batch
from cpted_sim.photometry import Luminaire, load_photometry, pack_luminaires, street_light_optic
from cpted_sim.photometry.distribution import IntensityDistribution

ROOT = Path(__file__).resolve().parents[1]
N_DIRECTIONS = 2_000_000


def _shared_photometry() -> Path:
    for base in (os.environ.get("CPTED_SIM_SHARED_DATA"), ROOT.parent / "shared" / "data"):
        if base and (Path(base) / "photometry").is_dir():
            return Path(base) / "photometry"
    pytest.skip("shared photometry files not found (set CPTED_SIM_SHARED_DATA)")


def test_parse_largest_shared_file(benchmark):
    files = [p for p in _shared_photometry().rglob("*") if p.suffix.lower() in (".ies", ".ldt")]
    largest = max(files, key=lambda p: p.stat().st_size)
    benchmark.extra_info["file"] = largest.name
    benchmark.extra_info["bytes"] = largest.stat().st_size
    dist = benchmark(load_photometry, largest)
    assert dist.candela.size > 0


def _directions(n, seed=7):
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    return np.ascontiguousarray(d / np.linalg.norm(d, axis=1, keepdims=True))


def _nonuniform() -> IntensityDistribution:
    c = np.concatenate([[0, 2, 5, 10, 20, 30], np.arange(45, 361, 15.0)])
    g = np.concatenate([[0, 1, 3], np.arange(5, 181, 2.5)])
    cc, gg = np.meshgrid(c, g, indexing="ij")
    return IntensityDistribution(c, g, 100 + 50 * np.cos(np.radians(cc)) * np.sin(np.radians(gg)))


@pytest.mark.parametrize("grid", ["uniform", "nonuniform"])
def test_intensity_lookup_two_threads(benchmark, grid):
    dist = street_light_optic(flux=10000.0) if grid == "uniform" else _nonuniform()
    lums = [Luminaire(dist, (k, 0, 8), azimuth=30 * k, tilt=10, spin=5) for k in range(8)]
    packed = pack_luminaires(lums)
    dirs = _directions(N_DIRECTIONS)
    idx = (np.arange(N_DIRECTIONS) % len(lums)).astype(np.int64)
    out = np.empty(N_DIRECTIONS)
    with threads(2):
        intensity_batch(packed, idx, dirs, out)  # compile / load from cache
        benchmark.pedantic(intensity_batch, args=(packed, idx, dirs, out), rounds=7,
                           iterations=1, warmup_rounds=1)
    mdirs = N_DIRECTIONS / benchmark.stats.stats.min / 1e6
    benchmark.extra_info["Mdirections_per_s_best"] = round(mdirs, 1)
    benchmark.extra_info["Mdirections_per_s_median"] = round(
        N_DIRECTIONS / benchmark.stats.stats.median / 1e6, 1)
    assert np.isfinite(out).all()
