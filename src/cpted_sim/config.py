"""Run-time settings: thread count and progress display.

Settings are read by the Python wrappers and passed to kernels as arguments (cached kernels
freeze globals, DESIGN.md §5).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numba

__all__ = ["get_threads", "set_threads", "threads", "progress_enabled", "set_progress"]

_state = {"progress": os.environ.get("CPTED_SIM_QUIET", "") == ""}


def get_threads() -> int:
    """Number of threads the parallel kernels use."""
    return int(numba.get_num_threads())


def set_threads(n: int | None) -> None:
    """Set the number of kernel threads for this process.

    Parameters
    ----------
    n : int or None
        Threads, 1 .. ``NUMBA_NUM_THREADS``; ``None`` restores all that Numba allows.

    Raises
    ------
    ParameterError
        ``n`` out of range.
    """
    if n is None:
        n = numba.config.NUMBA_NUM_THREADS
    n = int(n)
    if not 1 <= n <= numba.config.NUMBA_NUM_THREADS:
        from .errors import ParameterError

        raise ParameterError(
            f"threads: expected 1..{numba.config.NUMBA_NUM_THREADS}, got {n}"
        )
    numba.set_num_threads(n)


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[None]:
    """Context manager that sets the kernel thread count and restores it afterwards.

    Parameters
    ----------
    n : int or None
        Threads inside the block; ``None`` leaves the count unchanged.
    """
    old = get_threads()
    try:
        if n is not None:
            set_threads(n)
        yield
    finally:
        numba.set_num_threads(old)


def progress_enabled(quiet: bool | None = None) -> bool:
    """Whether long jobs show a progress bar; an explicit ``quiet`` wins over the default."""
    if quiet is not None:
        return not quiet
    return bool(_state["progress"])


def set_progress(enabled: bool) -> None:
    """Turn progress bars on or off for the whole session."""
    _state["progress"] = bool(enabled)
