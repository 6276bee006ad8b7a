"""Compiling ahead: on an empty kernel cache, a helper process compiles the kernels of a later
step while this one compiles and runs the earlier ones (issue 16, cold start).

Numba compiles one function at a time per process (a global compiler lock), so threads do not
help; a second process does. When the first scene build finds the cache empty
(:func:`cache_is_cold`), :func:`start` launches ``python -c`` running :func:`_main` with the
step's name, the same package and the same ``NUMBA_CACHE_DIR``; the helper calls the step's
kernels on tiny inputs, which writes their machine code into the cache, and exits. Before the
step, the main process calls :func:`wait`: it waits for the helper to exit, then its own first
call loads the kernels from the cache instead of compiling them. Whatever goes wrong in the
helper (it fails, it is killed, it takes longer than :data:`WAIT_SECONDS`), the main process
compiles in-process as it would have without it: results never depend on the helper.

Nothing starts when the cache is off (``_jit.CACHE`` false: a read-only install without
``NUMBA_CACHE_DIR``), under ``NUMBA_DISABLE_JIT``, with ``CPTED_SIM_COMPILE_AHEAD=0``, or
when no core is free (:func:`enabled`).
A helper still running when the process exits is terminated (``atexit``), and on Linux it
also ends with its parent (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
import time

import numba

from . import _jit

__all__ = ["start", "wait", "enabled", "cache_is_cold", "end_with_parent", "STEPS",
           "WAIT_SECONDS"]

log = logging.getLogger(__name__)

#: The longest :func:`wait` waits for a helper [s] before compiling in-process.
WAIT_SECONDS = 120.0

_HELPERS: dict[str, subprocess.Popen] = {}
_OWNER = os.getpid()  # helpers belong to the process that started them, not to its forks
_LOCK = threading.Lock()

_CHILD = """
import importlib, sys
sys.path.insert(0, sys.argv[1])
from cpted_sim._ahead import end_with_parent
end_with_parent()
module, name = sys.argv[2].split(":")
getattr(importlib.import_module(module), name)()
"""


def enabled() -> bool:
    """Whether a helper may start now.

    ``CPTED_SIM_COMPILE_AHEAD``: ``0`` never, ``1`` always (where the cache is on), unset or
    ``auto``: when a core is free, the one-minute load average below the number of cores
    less one (on a busy machine a second compiling process only competes with the first).
    """
    mode = os.environ.get("CPTED_SIM_COMPILE_AHEAD", "auto").strip().lower()
    if mode in ("0", "false", "no", "off") or not _jit.CACHE or numba.config.DISABLE_JIT:
        return False
    if mode in ("1", "true", "yes", "on"):
        return True
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here (Windows)
        load = 0.0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return load < (cores or 1) - 1


def cache_is_cold(dispatcher) -> bool:
    """Whether ``dispatcher``'s calls so far compiled rather than loaded from the cache."""
    stats = getattr(dispatcher, "stats", None)
    return bool(stats is not None and stats.cache_misses)


def start(step: str) -> bool:
    """Launch a helper compiling ``step`` (a key of :data:`STEPS`), once per process; whether
    one runs now."""
    if step not in STEPS:
        raise KeyError(step)
    with _LOCK:
        if step in _HELPERS:
            return _HELPERS[step].poll() is None
        if not enabled() or os.getpid() != _OWNER:
            return False
        if not sys.executable or getattr(sys, "frozen", False):  # no interpreter to run -c
            return False
        return _launch(step)


def _launch(step: str) -> bool:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, CPTED_SIM_COMPILE_AHEAD="0", NUMBA_NUM_THREADS="1")
    try:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, root, STEPS[step]], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    except OSError as exc:  # the interpreter would not start: compile in-process
        log.debug("compile-ahead helper for %s not started: %s", step, exc)
        return False
    _HELPERS[step] = proc
    log.debug("compile-ahead helper for %s started (pid %d)", step, proc.pid)
    return True


def wait(step: str) -> None:
    """Before ``step``: wait for its helper, if one was started, to finish (at most
    :data:`WAIT_SECONDS`, then it is stopped and the kernels compile here)."""
    proc = _HELPERS.get(step)
    if proc is None or proc.returncode is not None or os.getpid() != _OWNER:
        return
    t0 = time.perf_counter()
    try:
        rc = proc.wait(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        _stop(proc)
        rc = None
    log.debug("compile-ahead helper for %s: exit %s after a wait of %.2f s", step, rc,
              time.perf_counter() - t0)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@atexit.register
def _stop_all() -> None:
    if os.getpid() == _OWNER:
        for proc in _HELPERS.values():
            _stop(proc)


#: What a helper can compile ahead, by name: the function (``module:name``) it calls, which
#: runs the step's kernels on tiny inputs. Named, not imported: the steps live in the layers
#: above this one.
STEPS = {"lighting": "cpted_sim.lighting.warm:warm_lighting"}


def end_with_parent() -> None:
    """In the helper: be sent SIGTERM when the parent process ends (Linux; elsewhere the
    parent's ``atexit`` stops it)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
