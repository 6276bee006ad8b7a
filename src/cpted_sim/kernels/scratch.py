"""Scratch buffers reused from call to call, one set per thread.

The sorted batch paths (``bvh_query.closest_hit_batch``, ``occluded_batch``) need copies of
their rays (about 90 bytes a ray, up to ``ray_order.ORDER_CHUNK`` rays). Allocated afresh on
every call, those pages are new to the process each time and the kernel must fault and zero
them first: the first call on a fresh batch ran 2-3x slower than the next (issue 16). Here each
thread keeps its buffers, grown as needed and handed out again; a thread that ends frees its
own, and :func:`release` frees the calling thread's at once. Never used for what a function
returns to its caller.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

__all__ = ["scratch", "release", "small_pages"]


@contextmanager
def small_pages():
    """Arrays allocated inside are not offered to the kernel for transparent huge pages.

    NumPy asks for huge pages (``madvise(MADV_HUGEPAGE)``) on every array of 4 MiB or more.
    On a virtual machine a fresh process's first touch of such pages cost 10-20x that of
    small pages (the host backs each 2 MiB page at once): 2.0-3.8 s against 0.85 s for the
    1M build on the 2-core VM (issue 16), and no difference to traversal speed afterwards
    (W1 and W2 at 1M on huge-page against small-page copies of the tree: paired CPU-time
    ratio 1.01 and 1.00). NumPy's switch is process-wide; it is restored on leaving.
    """
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if setter is None:  # a NumPy without the switch
        yield
        return
    old = setter(False)
    try:
        yield
    finally:
        setter(old)

_local = threading.local()


def scratch(name: str, shape, dtype=np.float64) -> np.ndarray:
    """This thread's buffer ``name`` as a C-contiguous array of ``shape`` (contents undefined).

    Two calls with the same ``name`` return views of the same memory, so a caller takes one
    name per array it needs at the same time.
    """
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    size = int(np.prod(shape))
    pool = _local.__dict__.setdefault("pool", {})
    key = (name, np.dtype(dtype).str)
    buf = pool.get(key)
    if buf is None or buf.size < size:
        with small_pages():  # first touched by the kernel: small pages fault in cheaply
            buf = _aligned(size, np.dtype(dtype))
        pool[key] = buf
    return buf[:size].reshape(shape)


CACHE_LINE = 64


def _aligned(size: int, dtype: np.dtype) -> np.ndarray:
    """An uninitialised array of ``size`` items starting on a cache line, so that rows of 64
    bytes (``ray_order.RAY_COLUMNS`` float64) each fill one line (``np.empty`` starts 16 bytes
    past one here)."""
    raw = np.empty(size * dtype.itemsize + CACHE_LINE, dtype=np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start:start + size * dtype.itemsize].view(dtype)


def release() -> None:
    """Free the calling thread's scratch buffers."""
    _local.__dict__.pop("pool", None)
