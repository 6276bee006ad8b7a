"""Benchmark fixtures: the synthetic districts and their workloads, built once per session.

Sizes: ``CPTED_BENCH_SIZES`` (default ``100k,1M``), ``CPTED_BENCH_4M=1`` adds 4 M triangles,
``CPTED_BENCH_SCALE`` shrinks the ray counts for quick runs (see ``workloads.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workloads as wl  # noqa: E402


def pytest_generate_tests(metafunc):
    if "size" in metafunc.fixturenames:
        sizes = wl.bench_sizes()
        metafunc.parametrize("size", sizes, ids=[wl.size_label(s) for s in sizes], scope="module")


@pytest.fixture(scope="module")
def work(size):
    """The workloads on the district of ``size`` triangles (cached across modules)."""
    return wl.workloads(size)


@pytest.fixture(scope="module")
def embree1(work):
    pytest.importorskip("embreex", reason="Embree peer needs embreex (pip install embreex)")
    return wl.EmbreeRunner(work, threads=1)


@pytest.fixture(scope="module")
def embree2(embree1):
    r = wl.EmbreeRunner.__new__(wl.EmbreeRunner)
    r.__dict__.update(embree1.__dict__)
    r.threads = 2
    return r
