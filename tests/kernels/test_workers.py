"""Batches spread over Python threads (kernels/workers.py): every part run once, on more than
one thread when asked, the first error raised to the caller, and nested callers served."""

from __future__ import annotations

import threading
import time

import pytest

from cpted_sim.kernels import workers


@pytest.mark.nojit
def test_every_part_runs_once_spread_over_the_threads():
    seen, names = [], set()
    lock = threading.Lock()

    def part(i):
        time.sleep(0.002)  # long enough that the calling thread cannot take every part
        with lock:
            seen.append(i)
            names.add(threading.current_thread().name)

    workers.run_parts(40, part, threads=2)
    assert sorted(seen) == list(range(40))
    assert len(names) == 2
    seen.clear()
    names.clear()
    workers.run_parts(5, part, threads=1)  # one thread: in order, in the calling thread
    assert seen == list(range(5)) and names == {threading.current_thread().name}


@pytest.mark.nojit
def test_the_first_error_reaches_the_caller_and_stops_the_hand_out():
    done = []

    def part(i):
        if i == 3:
            raise ValueError("part 3")
        time.sleep(0.001)
        done.append(i)

    with pytest.raises(ValueError, match="part 3"):
        workers.run_parts(200, part, threads=2)
    assert len(done) < 199


@pytest.mark.nojit
def test_concurrent_callers_each_get_all_their_parts():
    results = {}

    def caller(k):
        out = []
        workers.run_parts(30, lambda i: out.append(i) or time.sleep(0.001), threads=3)
        results[k] = sorted(out)

    ts = [threading.Thread(target=caller, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == {k: list(range(30)) for k in range(4)}


def test_parallel_pipeline_without_prange_compiles_quietly():
    # bjit kernels are serial on purpose: Numba's warning that parallel=True found nothing
    # to parallelise would greet every user on first use.
    import warnings

    import numba
    import numpy as np
    from numba.core.errors import NumbaPerformanceWarning

    from cpted_sim._jit import VectorisingCompiler, _ParallelPipelineCompiler

    def total(a):
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i]
        return s

    for pipeline, warned in ((VectorisingCompiler, True),
                             (_ParallelPipelineCompiler, False)):
        fn = numba.njit(parallel=True, pipeline_class=pipeline)(total)
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            assert fn(np.ones(5)) == pytest.approx(5.0)
        assert any(issubclass(w.category, NumbaPerformanceWarning) for w in got) == warned


def test_fetch_add_hands_out_each_value_once_across_threads():
    import numba
    import numpy as np

    @numba.njit(nogil=True)
    def take(counter, n, seen):
        while True:
            i = workers.fetch_add(counter, 0, 1)
            if i >= n:
                return
            seen[i] += 1

    n = 200_000
    seen = np.zeros(n, dtype=np.int64)
    counter = np.zeros(1, dtype=np.int64)
    workers.run_threads(lambda: take(counter, n, seen), threads=2)
    assert np.all(seen == 1) and counter[0] >= n
