"""Run-time settings: thread count, progress display and the memory limit.

Settings are read by the Python wrappers and passed to kernels as arguments (cached kernels
freeze globals, docs/architecture.md §5).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numba

__all__ = ["get_threads", "set_threads", "threads", "progress_enabled", "set_progress",
           "DEFAULT_MAX_MEMORY_GB", "get_max_memory_gb", "set_max_memory_gb", "max_memory",
           "check_memory", "format_bytes"]

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


# ---------------------------------------------------------------------------- memory limit
#: Default memory limit [GB, 2**30 bytes] of one computation (env ``CPTED_SIM_MAX_MEMORY_GB``).
DEFAULT_MAX_MEMORY_GB = 4.0
_MEMORY_ENV = "CPTED_SIM_MAX_MEMORY_GB"
#: How to change the limit, for messages.
MEMORY_SETTING_HINT = ("raise max_memory_gb (CLI --max-memory-gb, scenario [run] max_memory_gb, "
                       f"environment {_MEMORY_ENV}, or cpted_sim.config.set_max_memory_gb)")


def _valid_gb(gb, what: str) -> float:
    from .errors import ParameterError

    try:
        x = float(gb)
    except (TypeError, ValueError):
        raise ParameterError(f"{what}: expected a number of GB > 0, got {gb!r}") from None
    if not (x > 0 and x < float("inf")):
        raise ParameterError(f"{what}: expected a number of GB > 0, got {gb!r}")
    return x


def get_max_memory_gb() -> float:
    """The memory limit [GB = 2**30 bytes]: set by :func:`set_max_memory_gb`, else the
    environment variable ``CPTED_SIM_MAX_MEMORY_GB``, else :data:`DEFAULT_MAX_MEMORY_GB`.

    Raises
    ------
    ParameterError
        The environment variable is not a number > 0.
    """
    if _state.get("max_memory_gb") is not None:
        return float(_state["max_memory_gb"])
    env = os.environ.get(_MEMORY_ENV, "").strip()
    if env:
        return _valid_gb(env, f"environment variable {_MEMORY_ENV}")
    return DEFAULT_MAX_MEMORY_GB


def set_max_memory_gb(gb: float | None) -> None:
    """Set the memory limit [GB] for this process; ``None`` returns to the environment/default.

    Raises
    ------
    ParameterError
        ``gb`` is not a number > 0.
    """
    _state["max_memory_gb"] = None if gb is None else _valid_gb(gb, "max_memory_gb")


@contextlib.contextmanager
def max_memory(gb: float | None) -> Iterator[None]:
    """Context manager: the memory limit inside the block (``None``: unchanged)."""
    old = _state.get("max_memory_gb")
    try:
        if gb is not None:
            set_max_memory_gb(gb)
        yield
    finally:
        _state["max_memory_gb"] = old


def format_bytes(n: float) -> str:
    """``7.45 GiB``, ``512 MiB``, ``12.0 kiB``: a byte count for messages."""
    n = float(n)
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("kiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def check_memory(nbytes: float, what: str, remedy: str = "") -> None:
    """Raise :class:`~cpted_sim.errors.MemoryLimitError` when ``nbytes`` exceeds the limit.

    Called with an estimate *before* allocating, so that a too-fine spacing or too many cells
    give one clear line instead of exhausting the machine's memory.

    Parameters
    ----------
    nbytes : float
        Estimated bytes [B].
    what : str
        What would be allocated (``"area 'street': grid of 49,900,000 points"``).
    remedy : str
        What to change in the input (``"use a larger spacing"``); the limit's settings are
        named in any case.
    """
    limit = get_max_memory_gb()
    if nbytes > limit * 2**30:
        from .errors import MemoryLimitError

        fix = f"{remedy}, or {MEMORY_SETTING_HINT}" if remedy else MEMORY_SETTING_HINT
        raise MemoryLimitError(f"{what} needs about {format_bytes(nbytes)} of memory, more than "
                               f"max_memory_gb = {limit:g} GB; {fix}")
