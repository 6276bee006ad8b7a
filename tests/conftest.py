"""Shared fixtures: seeded randomness, the path to ../shared data, and Numba threads per
pytest-xdist worker."""

from __future__ import annotations

import os
from pathlib import Path

import numba
import numpy as np
import pytest
from shared_paths import shared_dir as _shared_dir

# ``make test`` runs the suite in pytest-xdist worker processes (``-n auto``). Each test starts
# with the cores shared out among the workers (2 workers on 2 cores: 1 Numba thread each), so
# that the workers' parallel kernels do not fight for the same cores. NUMBA_NUM_THREADS, the
# ceiling read when numba is imported, is left as it is: the tests that compare a 1- and a
# 2-thread run still get their second thread when they ask for it.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
THREADS_PER_TEST = max(1, numba.config.NUMBA_NUM_THREADS // _WORKERS)


@pytest.fixture(autouse=True)
def _numba_threads():
    """Every test starts with :data:`THREADS_PER_TEST` Numba threads, whatever the previous
    test in this process set (``numba.set_num_threads`` lasts for the calling thread)."""
    numba.set_num_threads(THREADS_PER_TEST)


@pytest.fixture
def rng():
    """A seeded generator: every random test is deterministic."""
    return np.random.default_rng(20261129)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip where it is absent."""
    data = _shared_dir()
    if not data.is_dir():
        pytest.skip(f"../shared/data not found beside the checkout ({data}); "
                    "these tests read real third-party files that the project does not ship")
    return data
