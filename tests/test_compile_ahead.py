"""The compile-ahead helper process (cpted_sim._ahead): it fills the cache for the main
process, never leaves a process behind, and the main process compiles in-process whenever the
helper does not deliver."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cpted_sim import _ahead
from cpted_sim.geometry.bvh import build_bvh, one_leaf_bvh

SRC = Path(__file__).resolve().parents[1] / "src"

# The README example on an empty cache, the helper forced on; prints what the main process
# compiled and loaded, the helper's exit code and the illuminance sum.
README = """
import numpy as np, cpted_sim as cs
from cpted_sim import _ahead
from cpted_sim.kernels import direct
ground = np.array([[-10, -10, 0], [10, -10, 0], [10, 10, 0], [-10, 10, 0]], float)
wall = np.array([[2, -3, 0], [2, 3, 0], [2, 3, 4], [2, -3, 4]], float)
scene = cs.Scene.from_arrays(np.vstack([ground, wall]), [[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]],
                             groups=["ground"] * 2 + ["wall"] * 2)
light = cs.Luminaire(cs.photometry.street_light_optic(flux=6000), position=(0, 0, 6))
grid = cs.CalculationGrid.regular(-10, -10, 10, 10, spacing=0.5, height=0.0)
e = cs.illuminance(scene, [light], grid, kind="horizontal")
s = direct.direct_illuminance.stats
print("MISSES", len(s.cache_misses), "HITS", len(s.cache_hits),
      "HELPER", _ahead._HELPERS["lighting"].returncode, "SUM", repr(float(np.sum(e.values))))
"""


@pytest.mark.parametrize("v", [[[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.5]],
                               [[1.1, -2.3, 0.7], [13.7, 5.9, 0.2], [-3.3, 0.1, 9.1]]])
def test_one_leaf_bvh_is_what_the_build_makes(v):
    v = np.array(v)
    built, _ = build_bvh(v, np.array([[0, 1, 2]]))
    made = one_leaf_bvh(v)
    for a, b in zip(made, built):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert made.nodes.ctypes.data % 64 == 0


@pytest.mark.slow
def test_the_helper_fills_the_cache_for_the_main_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path), CPTED_SIM_COMPILE_AHEAD="1",
               PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", README], env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    words = out.stdout.split()
    got = dict(zip(words[::2], words[1::2]))
    assert got["HELPER"] == "0"  # the helper ran to its end before the kernel was needed
    assert (got["MISSES"], got["HITS"]) == ("0", "1")  # loaded, not compiled, in the main
    import cpted_sim as cs

    ns: dict = {}
    exec(README.split("e = cs.illuminance")[0], ns)  # the same scene here, any cache
    e = cs.illuminance(ns["scene"], [ns["light"]], ns["grid"], kind="horizontal")
    assert float(got["SUM"]) == pytest.approx(float(np.sum(e.values)), rel=1e-12)


@pytest.fixture
def helpers(monkeypatch):
    """A clean table of helpers, forced on, whatever the load of the machine."""
    monkeypatch.setattr(_ahead, "_HELPERS", {})
    monkeypatch.setenv("CPTED_SIM_COMPILE_AHEAD", "1")
    monkeypatch.setattr(_ahead._jit, "CACHE", True)
    yield _ahead._HELPERS
    _ahead._stop_all()


def test_a_failing_helper_is_waited_for_and_ignored(helpers, monkeypatch):
    monkeypatch.setitem(_ahead.STEPS, "lighting", "cpted_sim.no_such_module:f")
    assert _ahead.start("lighting")
    assert _ahead.start("lighting")  # once per process: the same helper
    _ahead.wait("lighting")
    assert len(helpers) == 1 and helpers["lighting"].returncode not in (None, 0)


def test_a_helper_that_takes_too_long_is_stopped(helpers, monkeypatch):
    monkeypatch.setitem(_ahead.STEPS, "lighting", "signal:pause")  # waits forever
    monkeypatch.setattr(_ahead, "WAIT_SECONDS", 0.5)
    assert _ahead.start("lighting")
    _ahead.wait("lighting")
    assert helpers["lighting"].returncode is not None  # stopped: no stray process


@pytest.mark.parametrize("setting", ["no cache", "switched off"])
def test_nothing_starts_where_it_cannot_help(helpers, monkeypatch, setting):
    if setting == "no cache":  # a read-only install without NUMBA_CACHE_DIR
        monkeypatch.setattr(_ahead._jit, "CACHE", False)
    else:
        monkeypatch.setenv("CPTED_SIM_COMPILE_AHEAD", "0")
    assert not _ahead.enabled()
    assert not _ahead.start("lighting") and not helpers
    _ahead.wait("lighting")  # nothing to wait for


def test_auto_starts_only_with_a_free_core(monkeypatch):
    monkeypatch.setenv("CPTED_SIM_COMPILE_AHEAD", "auto")
    monkeypatch.setattr(_ahead._jit, "CACHE", True)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.0, 0.0))
    assert _ahead.enabled()
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.0, 0.0))
    assert not _ahead.enabled()
