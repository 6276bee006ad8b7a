"""One function run in a forked child process while this process goes on (layer L6).

The report writes its GeoPackage (importing pyogrio, shapely and pyproj, and writing seven
layers: a quarter of a second of CPU on the demo) while this process imports the drawing
modules and plans the maps, which leaves the second core idle otherwise
(``docs/performance.md``, "Report drawing"). :class:`ForkedCall` runs ``fn(*args)`` in a
child forked from this process, so nothing but the result is pickled; the child's warnings
are shown here again (never silent: a missing ``gis`` extra still warns), and its exception
is raised here by :meth:`ForkedCall.result`. Where forking is not safe (not Linux, or other
Python threads running) the call runs here, at once. A forked child must not run Numba's
parallel kernels (their OpenMP threads do not survive a fork): only pass functions that do
not, like :func:`cpted_sim.io.geopackage.write_results_gpkg`.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import warnings

from ..errors import ForkedCallError
from ..kernels.workers import RAY_WORKER_PREFIX

__all__ = ["ForkedCall", "can_fork"]


def can_fork() -> bool:
    """Whether this process may fork a child that runs Python: Linux only, and only from
    the main thread of a process without other Python threads (a lock held by another thread
    at the fork would stay locked in the child). Two kinds of thread are let pass: tqdm's
    monitor (it only ever takes tqdm's own lock, and tqdm (4.70) never stops it once a bar has
    been shown) and the ray batches' idle workers (:mod:`cpted_sim.kernels.workers`: between
    two batches they wait on their pool's queue, and a forked child makes a pool of its own
    and runs no kernels)."""
    others = [t for t in threading.enumerate()
              if t is not threading.current_thread() and type(t).__name__ != "TMonitor"
              and not t.name.startswith(RAY_WORKER_PREFIX)]
    return (sys.platform.startswith("linux") and not others
            and threading.current_thread() is threading.main_thread())


def _child(fn, args, write_fd: int) -> None:
    """In the child: run, send ``(ok, value or exception, warnings)`` down the pipe, exit."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn(*args)
        payload = (True, value, [(str(w.message), w.category) for w in caught])
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, raised there
        payload = (False, exc, [])
    try:
        data = pickle.dumps(payload)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
        data = pickle.dumps((False, ForkedCallError(
            f"{getattr(fn, '__name__', fn)}: its result could not be sent back ({exc})"), []))
    with os.fdopen(write_fd, "wb") as fh:
        fh.write(data)


class ForkedCall:
    """``fn(*args)`` running in a forked child (or run here, see the module docstring);
    :meth:`result` waits for it. Use as a context manager, or call :meth:`cancel` when the
    result is no longer wanted, so that no child is left writing."""

    def __init__(self, fn, *args, fork: bool | None = None):
        self._pid = None
        self._value = self._error = None
        self._warnings: list = []
        self._name = getattr(fn, "__name__", repr(fn))
        if fork is None:
            fork = can_fork()
        if fork:
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns into the caller's code
                code = 0
                try:
                    os.close(read_fd)
                    _child(fn, args, write_fd)
                except BaseException:  # noqa: BLE001 - the parent sees a short read
                    code = 1
                finally:
                    os._exit(code)
            os.close(write_fd)
            self._pid, self._read_fd = pid, read_fd
            return
        try:
            self._value = fn(*args)
        except Exception as exc:  # noqa: BLE001 - raised by result(), as from a child
            self._error = exc

    def result(self):
        """The value of ``fn(*args)``, once it returned; its exception raised here, its
        warnings shown here."""
        if self._pid is not None:
            with os.fdopen(self._read_fd, "rb") as fh:
                data = fh.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            if not data:
                raise ForkedCallError(f"{self._name}: the child process ended without a "
                                      f"result (wait status {status})")
            ok, value, caught = pickle.loads(data)
            self._warnings = caught
            if ok:
                self._value = value
            else:
                self._error = value
        for message, category in self._warnings:
            warnings.warn(message, category, stacklevel=2)
        self._warnings = []
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> None:
        """Stop the child if it still runs, and reap it (nothing happens after
        :meth:`result`)."""
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        os.close(self._read_fd)
        self._pid = None

    def __enter__(self) -> ForkedCall:
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()
