"""The only place Numba decorators are configured (docs/architecture.md §5).

Every kernel uses :data:`jit` (serial) or :data:`pjit` (parallel, ``prange``). Both cache to disk
and release the GIL. The fastmath set is the safe one: no ``nnan``/``ninf`` because misses are
``+inf`` and must stay so.
"""

from __future__ import annotations

import os

import numba
from numba.core.compiler import Compiler

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


_COMMON = dict(cache=CACHE, nogil=True, error_model="numpy", pipeline_class=VectorisingCompiler)
jit = numba.njit(fastmath=FASTMATH, **_COMMON)
pjit = numba.njit(fastmath=FASTMATH, parallel=True, **_COMMON)

# Exact arithmetic (no fastmath) for robustness-critical geometry: the watertight triangle test
# relies on shared-edge functions being exact negatives of each other, which contraction (FMA)
# and reassociation would break. LLVM keeps fast-math flags per instruction, so inlining these
# into fastmath kernels keeps them exact. ``fastmath=False`` must be given explicitly: a
# function whose flags leave fastmath unset INHERITS the fastmath flags of the first jitted
# caller that triggers its compilation (numba.core.cpu.CPUTargetOptions.finalize), which made
# the watertight test leak through shared edges when a fastmath kernel compiled it first.
exact_jit = numba.njit(fastmath=False, **_COMMON)
__all__ += ["exact_jit"]

# Small helpers called inside traversal loops (box tests, ray set-up, the single-ray
# queries): inlined at the Numba IR level into every caller. Numba does not inline one
# compiled function into another, so without this each call costs a real call plus an
# atomic reference-count increment and decrement per array argument, which two threads
# touching the same BVH arrays turn into cache-line ping-pong. Inlined code takes the
# caller's fastmath flags, so exact arithmetic (the watertight triangle test) must stay in
# ``exact_jit`` functions that take scalars only.
ijit = numba.njit(fastmath=FASTMATH, inline="always", **_COMMON)
__all__ += ["ijit"]
