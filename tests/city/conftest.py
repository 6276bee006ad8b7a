"""Fixtures of the city-scale tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def _no_dask_thread_left():
    """Leave no Dask thread behind: distributed's offload executor keeps an idle worker thread
    once used, and a process with other threads does not fork (the report's map workers then
    draw in one process, which the plot tests notice). After each module the executor is shut
    down and replaced by a fresh one, which starts its thread only when used again."""
    yield
    try:
        import distributed.utils as du
    except ImportError:
        return
    from concurrent.futures import ThreadPoolExecutor

    old = du._offload_executor
    du._offload_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="Dask-Offload")
    old.shutdown(wait=True)
