"""The only place Numba decorators are configured (docs/architecture.md §5).

Every kernel uses :data:`jit` (serial), :data:`pjit` (parallel, ``prange``) or :data:`bjit`
(serial, through the parallel pipeline: the ray batches run on threads). All cache to disk
and release the GIL. The fastmath set is the safe one: no ``nnan``/``ninf`` because misses are
``+inf`` and must stay so.

The disk cache of every function compiled through these decorators is stamped with a hash of
all kernel sources (``kernels/*.py``, this file, and the function's own folder), not only of
its own file as Numba does: kernels inline helpers from other modules (``intersect`` into every
traversal), and Numba would otherwise keep serving machine code built from the old helper.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import warnings

import numba
from numba.core import caching
from numba.core.compiler import Compiler
from numba.core.errors import NumbaPerformanceWarning

__all__ = ["jit", "pjit", "FASTMATH", "CACHE"]

FASTMATH = set({"nsz", "arcp", "contract", "afn", "reassoc"})


def _cache_enabled() -> bool:
    """Whether on-disk caching can work here.

    Numba writes its cache next to the source, or into ``NUMBA_CACHE_DIR``. When neither is
    writable (a read-only site-packages without a cache dir), caching is turned off rather than
    failing on first use.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return True
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "kernels", "__pycache__")
    probe = target if os.path.isdir(target) else os.path.join(here, "kernels")
    return os.access(probe, os.W_OK)


CACHE = _cache_enabled()


class VectorisingCompiler(Compiler):
    """Numba's standard pipeline with LLVM's SLP (straight-line) vectoriser turned on.

    Numba leaves SLP vectorisation off by default (``NUMBA_SLP_VECTORIZE``); isomorphic
    scalar code in our kernels gains from it (the four child boxes of the earlier 4-wide
    nodes: about 1.8x on shadow rays; the 8-wide box test is now emitted as vector code
    directly, ``intersect.child_entries``). The setting is switched on only while one of our
    kernels compiles, so other Numba code in the process is unaffected; cached kernels keep
    the vectorised machine code.
    """

    def compile_extra(self, func):
        old = numba.config.SLP_VECTORIZE
        numba.config.SLP_VECTORIZE = True
        try:
            return super().compile_extra(func)
        finally:
            numba.config.SLP_VECTORIZE = old


_HERE = os.path.dirname(os.path.abspath(__file__))


@functools.lru_cache(maxsize=None)
def _hash_file(path: str, mtime_ns: int, size: int) -> bytes:
    # keyed by mtime and size, as Numba's own source stamp: an edit while running is re-read
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def sources_stamp(py_file: str) -> str:
    """Hash of every source a kernel in ``py_file`` may inline: its own folder's ``*.py``,
    ``kernels/*.py`` and this file (names and contents, in a fixed order)."""
    files = {os.path.abspath(__file__)}
    for folder in (os.path.join(_HERE, "kernels"), os.path.dirname(os.path.abspath(py_file))):
        files.update(glob.glob(os.path.join(folder, "*.py")))
    h = hashlib.sha256()
    for path in sorted(files):
        st = os.stat(path)
        h.update(path.encode())
        h.update(_hash_file(path, st.st_mtime_ns, st.st_size))
    return h.hexdigest()


class KernelSourcesLocator(caching._CacheLocator):
    """Numba's own choice of cache folder, with :func:`sources_stamp` as the freshness stamp.

    An index written under another stamp is stale: the kernel is compiled again and the new
    code replaces the old, with no cache to clear by hand after editing any kernel source.
    """

    def __init__(self, inner, py_file):
        self._inner = inner
        self._py_file = py_file

    def ensure_cache_path(self):
        self._inner.ensure_cache_path()

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_source_stamp(self):
        try:
            return sources_stamp(self._py_file)
        except OSError:  # sources not on a file system (a zip import): Numba's own stamp
            return self._inner.get_source_stamp()

    def get_disambiguator(self):
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func, py_file):
        for other in caching.CacheImpl._locator_classes:  # Numba's, in its order
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner, py_file)
        return None


class _KernelCacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [KernelSourcesLocator]


class _KernelCache(caching.FunctionCache):
    _impl_class = _KernelCacheImpl


def _decorator(**options):
    """``numba.njit(**options)`` whose cache (when on) is stamped by :func:`sources_stamp`."""
    njit = numba.njit(**options)

    def decorate(fn):
        disp = njit(fn)
        # only where Numba made a caching dispatcher (not with NUMBA_DISABLE_JIT) and the user
        # has not chosen locators of their own (NUMBA_CACHE_LOCATOR_CLASSES)
        if options.get("cache") and getattr(disp, "_cache", None) is not None and \
                not getattr(numba.config, "CACHE_LOCATOR_CLASSES", "") and \
                not isinstance(disp._cache, caching.NullCache):
            try:
                disp._cache = _KernelCache(disp.py_func)
            except RuntimeError:  # no locator would take it: keep Numba's own cache
                pass
        return disp

    return decorate


__all__ += ["sources_stamp", "KernelSourcesLocator"]

_COMMON = dict(cache=CACHE, nogil=True, error_model="numpy", pipeline_class=VectorisingCompiler)
jit = _decorator(fastmath=FASTMATH, **_COMMON)
pjit = _decorator(fastmath=FASTMATH, parallel=True, **_COMMON)

# Exact arithmetic (no fastmath) for robustness-critical geometry: the watertight triangle test
# relies on shared-edge functions being exact negatives of each other, which contraction (FMA)
# and reassociation would break. LLVM keeps fast-math flags per instruction, so inlining these
# into fastmath kernels keeps them exact. ``fastmath=False`` must be given explicitly: a
# function whose flags leave fastmath unset INHERITS the fastmath flags of the first jitted
# caller that triggers its compilation (numba.core.cpu.CPUTargetOptions.finalize), which made
# the watertight test leak through shared edges when a fastmath kernel compiled it first.
exact_jit = _decorator(fastmath=False, **_COMMON)
__all__ += ["exact_jit"]

# Small helpers called inside traversal loops (box tests, ray set-up, the single-ray
# queries): inlined at the Numba IR level into every caller. Numba does not inline one
# compiled function into another, so without this each call costs a real call plus an
# atomic reference-count increment and decrement per array argument, which two threads
# touching the same BVH arrays turn into cache-line ping-pong. Inlined code takes the
# caller's fastmath flags, so exact arithmetic (the watertight triangle test) must stay in
# ``exact_jit`` functions that take scalars only.
ijit = _decorator(fastmath=FASTMATH, inline="always", **_COMMON)
__all__ += ["ijit"]


class _ParallelPipelineCompiler(VectorisingCompiler):
    """Our pipeline, quiet about ``parallel=True`` finding no loop to parallelise (the point
    of :data:`bjit`)."""

    def compile_extra(self, func):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\s*The keyword argument 'parallel=True'",
                                    category=NumbaPerformanceWarning)
            return super().compile_extra(func)


# Batch kernels (``kernels/bvh_query.py``, run on threads by ``kernels/workers.py``): serial
# (no ``prange``, so no parallel region is ever launched) but compiled through Numba's
# parallel pipeline, which made the same traversal loop 1.35-1.5x faster than ``jit`` on one
# thread (W1 on the 1M district, sorted, 0.20 against 0.27-0.30 CPU-s; the
# kernels ran as fast as the ``prange`` bodies they replace).
bjit = _decorator(fastmath=FASTMATH, parallel=True, cache=CACHE, nogil=True,
                  error_model="numpy", pipeline_class=_ParallelPipelineCompiler)
__all__ += ["bjit"]
