"""Batches spread over Python threads that call serial kernels releasing the GIL.

The batch kernels of ``bvh_query`` run once on each of the calling thread and
``numba.get_num_threads() - 1`` kept worker threads (:func:`run_threads`), and take blocks of
rays one at a time from a shared counter (:func:`fetch_add`, an atomic add), so that the
threads trace neighbouring blocks side by side; the sorting passes of ``ray_order`` hand out
parts of a batch to the same threads (:func:`run_parts`). The kernels release the GIL, so
the threads run in parallel, as Embree's users run its batches.

Not ``prange``: each launch of a Numba parallel region ends at a barrier where every OpenMP
thread must arrive, and on a machine where another process competes for the cores the
launch waits for a preempted thread (about 18 ms a launch measured, ``docs/performance.md``,
issue 16); here a thread that is preempted simply takes fewer blocks, and a worker that has
not woken up by the time the others are done is not waited for. The workers live as long as
the process: a batch starts no thread.
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


__all__ = ["run_parts", "run_threads", "n_threads", "fetch_add"]

#: Name prefix of the worker threads (``io.forked.can_fork`` lets them pass: idle between
#: batches, they hold no lock a forked child could need).
RAY_WORKER_PREFIX = "cpted-rays"
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0


def n_threads() -> int:
    """Threads a batch uses: Numba's setting for the calling thread (``numba.set_num_threads``)."""
    return numba.get_num_threads()


def _executor(size: int) -> ThreadPoolExecutor:
    """The process's worker pool, at least ``size`` threads (a new one after a fork)."""
    global _pool, _pool_size, _pool_pid
    with _lock:
        if _pool is None or _pool_size < size or _pool_pid != os.getpid():
            old = _pool if _pool_pid == os.getpid() else None
            _pool = ThreadPoolExecutor(size, thread_name_prefix=RAY_WORKER_PREFIX)
            _pool_size, _pool_pid = size, os.getpid()
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def run_parts(n_parts: int, fn, threads: int | None = None) -> None:
    """Call ``fn(i)`` for every ``i`` in ``range(n_parts)``, spread over threads.

    Parts are handed out one at a time, in order, to the calling thread and up to
    ``threads - 1`` workers (default :func:`n_threads`); returns when all are done. The first
    exception raised by a part stops the hand-out and is raised here.
    """
    k = min(n_threads() if threads is None else threads, n_parts)
    if k <= 1:
        for i in range(n_parts):
            fn(i)
        return
    counter = itertools.count()
    failed = []

    def work():
        while not failed:
            i = next(counter)  # atomic under the GIL
            if i >= n_parts:
                return
            try:
                fn(i)
            except BaseException as exc:
                failed.append(exc)
                raise

    futures = [_executor(k - 1).submit(work) for _ in range(k - 1)]
    try:
        work()
    finally:
        for f in futures:
            f.cancel()  # not started yet (the pool busy with another caller): nothing left
        for f in futures:
            if not f.cancelled():
                f.exception()  # wait; the exception, if any, is in ``failed``
    if failed:
        raise failed[0]


def run_threads(fn, threads: int | None = None) -> None:
    """Call ``fn()`` once on each of up to ``threads`` threads (default :func:`n_threads`),
    the calling thread first; a worker that has not started by the time the calling thread
    is done is not waited for. For kernels that share their work through :func:`fetch_add`:
    whichever threads run take the blocks between them."""
    run_parts(n_threads() if threads is None else threads, lambda _: fn(), threads)


@intrinsic
def fetch_add(typingctx, arr, i, v):
    """``arr[i] += v`` as one atomic operation; returns the value before (int64 arrays)."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64):
        return None
    sig = types.int64(arr, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        arr_t = signature.args[0]
        ary = context.make_array(arr_t)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, arr_t, ary, [args[1]])
        val = context.cast(builder, args[2], signature.args[2], types.int64)
        return builder.atomic_rmw("add", ptr, val, "monotonic")

    return sig, codegen


if numba.config.DISABLE_JIT:  # NUMBA_DISABLE_JIT=1: an intrinsic has no Python body
    def fetch_add(arr, i, v):  # noqa: F811
        """Plain-Python twin of the intrinsic (under the GIL; a race hands a block out twice,
        which computes the same answers twice)."""
        old = int(arr[i])
        arr[i] = old + v
        return old
