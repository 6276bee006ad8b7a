"""Start-up time in fresh processes: empty Numba cache (cold) and filled cache (warm).

Targets (issue #2): first use of the ray core <= 30 s cold and <= 2 s warm. One round each:
a cold start cannot be repeated in the same cache folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

import startup


@pytest.mark.parametrize("what", ["first_use", "warmup"])
def test_start_up(benchmark, what):
    code = startup.FIRST_USE if what == "first_use" else startup.WARMUP
    cache = Path(tempfile.mkdtemp(prefix="cpted_cache_"))
    try:
        cold = startup.run_seconds(code, cache)
        benchmark.group = "start-up"
        benchmark.extra_info["cold_s"] = cold
        benchmark.pedantic(startup.run_seconds, args=(code, cache), rounds=2, iterations=1)
        benchmark.extra_info["warm_s"] = benchmark.stats.stats.min
    finally:
        shutil.rmtree(cache, ignore_errors=True)
