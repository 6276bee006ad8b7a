"""A call in a forked child: its value, warnings and exception come back; cancel reaps it."""

from __future__ import annotations

import os
import sys
import time
import warnings

import pytest

from cpted_sim.errors import CptedWarning, ParameterError
from cpted_sim.io.forked import ForkedCall, can_fork

needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="forking is used on Linux only")


def _value(path):
    with open(path, "w") as fh:
        fh.write(str(os.getpid()))
    warnings.warn("2 of 3 layers left out", CptedWarning, stacklevel=1)
    return {"results.gpkg": path}


def _fails(name):
    raise ParameterError(f"{name}: not a positive integer")


@pytest.mark.parametrize("fork", [pytest.param(True, marks=needs_fork), False])
def test_value_and_warnings_come_back(tmp_path, fork):
    path = str(tmp_path / "out.txt")
    with pytest.warns(CptedWarning, match="2 of 3 layers left out"):
        call = ForkedCall(_value, path, fork=fork)
        got = call.result()
    assert got == {"results.gpkg": path}
    ran_in = int(open(path).read())
    assert (ran_in != os.getpid()) == fork  # a child's pid when forked


@pytest.mark.parametrize("fork", [pytest.param(True, marks=needs_fork), False])
def test_the_exception_is_raised_by_result(fork):
    call = ForkedCall(_fails, "epsg", fork=fork)
    with pytest.raises(ParameterError, match="epsg: not a positive integer"):
        call.result()


@needs_fork
def test_cancel_stops_and_reaps_the_child(tmp_path):
    marker = tmp_path / "late.txt"

    def slow():
        time.sleep(5.0)
        marker.write_text("written after cancel")

    with ForkedCall(slow, fork=True) as call:
        pid = call._pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child any more
    time.sleep(0.1)
    assert not marker.exists()


def test_can_fork_is_false_with_another_thread(monkeypatch):
    import threading

    main = threading.main_thread()
    other = threading.Thread(target=lambda: None)
    monkeypatch.setattr(threading, "enumerate", lambda: [main, other])
    assert not can_fork()


def test_can_fork_lets_the_idle_ray_workers_pass(monkeypatch):
    """After a ray batch the process keeps its worker threads; the report must still fork
    its map workers and GeoPackage child (they run no kernels)."""
    import threading

    import numpy as np

    import cpted_sim as cs
    from cpted_sim.scenario.synthetic import street_canyon

    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one Numba thread: ray batches start no worker threads")
    numba.set_num_threads(2)  # the suite's fixture sets it back for the next test
    c = street_canyon(30.0)
    o = np.tile([[0.0, 0.0, 1.5]], (4096, 1))
    d = np.tile([[1.0, 0.0, 0.0]], (4096, 1))
    cs.closest_hit(c.scene, o, d)  # a batch on 2 threads starts the pool
    main = threading.main_thread()
    workers = [t for t in threading.enumerate() if t.name.startswith("cpted-rays")]
    assert workers
    monkeypatch.setattr(threading, "enumerate", lambda: [main, *workers])
    assert can_fork() == sys.platform.startswith("linux")


@needs_fork
def test_a_child_killed_before_its_result_raises_forked_call_error():
    from cpted_sim.errors import ForkedCallError

    def dies():
        os._exit(9)  # as if killed: no result sent

    with pytest.raises(ForkedCallError, match="dies: the child process ended without a result"):
        ForkedCall(dies, fork=True).result()
