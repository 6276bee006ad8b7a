"""The only place Numba decorators are configured (DESIGN.md §5).

Every kernel uses :data:`jit` (serial) or :data:`pjit` (parallel, ``prange``). Both cache to disk
and release the GIL. The fastmath set is the safe one: no ``nnan``/``ninf`` because misses are
``+inf`` and must stay so.
"""

from __future__ import annotations

import os

import numba

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

jit = numba.njit(cache=CACHE, nogil=True, fastmath=FASTMATH, error_model="numpy")
pjit = numba.njit(cache=CACHE, nogil=True, fastmath=FASTMATH, error_model="numpy", parallel=True)

# Exact arithmetic (no fastmath) for robustness-critical geometry: the watertight triangle test
# relies on shared-edge functions being exact negatives of each other, which contraction (FMA)
# and reassociation would break. LLVM keeps fast-math flags per instruction, so inlining these
# into fastmath kernels keeps them exact. ``fastmath=False`` must be given explicitly: a
# function whose flags leave fastmath unset INHERITS the fastmath flags of the first jitted
# caller that triggers its compilation (numba.core.cpu.CPUTargetOptions.finalize), which made
# the watertight test leak through shared edges when a fastmath kernel compiled it first.
exact_jit = numba.njit(cache=CACHE, nogil=True, error_model="numpy", fastmath=False)
__all__ += ["exact_jit"]
