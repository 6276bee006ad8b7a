"""Plain-Python twins of the LLVM intrinsics in ``intersect.py``, for ``NUMBA_DISABLE_JIT=1``.

With JIT disabled every kernel runs as ordinary Python (to step through it in a debugger or
measure its line coverage), but an ``@intrinsic`` has no Python body: calling one raises
``NotImplementedError``. ``intersect`` binds these functions in place of its intrinsics when
``numba.config.DISABLE_JIT`` is set. Each computes what the intrinsic's generated code computes,
bit for bit (IEEE float64, no contraction), which ``tests/kernels/test_nojit.py`` checks against
the compiled intrinsics. Slow (microseconds per call): for debugging and small tests only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fence", "prefetch", "lowest_bit", "child_entries"]

_BITS = 1 << np.arange(8, dtype=np.int64)


def fence(x):
    """``x`` unchanged: Python never fuses a product into a sum, so there is nothing to fence."""
    return x


def prefetch(arr, row, col):
    """A cache hint: nothing to do in Python."""
    return None


def lowest_bit(x):
    """Index of the lowest set bit of the integer ``x`` (``x`` must not be 0)."""
    x = int(x)
    return (x & -x).bit_length() - 1


def child_entries(nodes, w, ox, oy, oz, ix, iy, iz, tmin, tmax, out, at):
    """Entry parameters into the eight child boxes of wide node ``w``; returns their hit mask.

    The same lane-wise arithmetic as the vector code of ``intersect.child_entries``: float32
    box planes widened to float64, ``select(a < b, a, b)`` for min and ``select(a > b, a, b)``
    for max (so a NaN picks the second operand, as the ordered compares do there).
    """
    planes = np.ascontiguousarray(nodes[w]).view(np.float32)[:48].astype(np.float64)
    planes = planes.reshape(6, 8)
    o = (ox, oy, oz)
    inv = (ix, iy, iz)
    lo = hi = None
    for axis in range(3):
        t0 = (planes[axis] - o[axis]) * inv[axis]
        t1 = (planes[3 + axis] - o[axis]) * inv[axis]
        near = np.where(t0 < t1, t0, t1)
        far = np.where(t0 > t1, t0, t1)
        lo = near if lo is None else np.where(lo > near, lo, near)
        hi = far if hi is None else np.where(hi < far, hi, far)
    lo = np.where(lo > tmin, lo, np.float64(tmin))
    hi = np.where(hi < tmax, hi, np.float64(tmax))
    entry = np.where(lo <= hi, lo, np.inf)
    out[at:at + 8] = entry
    return int(_BITS[entry < np.inf].sum())
