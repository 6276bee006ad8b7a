"""Start-up time in fresh processes: empty Numba cache (cold) and filled cache (warm).

Targets (issue #2): first use of the ray core <= 30 s cold and <= 2 s warm; (issue 16) the
first ``illuminance`` <= 10 s cold, ``cpted-sim demo`` <= 40 s cold. One round each:
a cold start cannot be repeated in the same cache folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

import startup


CODE = {"first_use": startup.FIRST_USE, "illuminance": startup.ILLUMINANCE,
        "demo": startup.DEMO, "warmup": startup.WARMUP}


@pytest.mark.parametrize("what", list(CODE))
def test_start_up(benchmark, what):
    code = CODE[what]
    cache = Path(tempfile.mkdtemp(prefix="cpted_cache_"))
    try:
        cold, cold_cpu = startup.run_timed(code, cache)
        benchmark.group = "start-up"
        benchmark.extra_info["cold_s"] = cold
        benchmark.extra_info["cold_cpu_s"] = cold_cpu  # the process and its children
        benchmark.pedantic(startup.run_seconds, args=(code, cache), rounds=2, iterations=1)
        if benchmark.stats is not None:
            benchmark.extra_info["warm_s"] = benchmark.stats.stats.min
    finally:
        shutil.rmtree(cache, ignore_errors=True)
