"""Argument checks done once, in Python, before data reaches a kernel (docs/architecture.md §5)."""

from __future__ import annotations

import warnings

import numpy as np

from .errors import ParameterError

__all__ = ["as_points", "as_vector", "as_float", "finite_or_raise", "renamed", "sub_settings"]


def as_points(value, name: str, *, allow_empty: bool = False, dim: int = 3) -> np.ndarray:
    """Return ``value`` as a C-contiguous float64 ``(n, dim)`` array of finite numbers.

    A single point ``(dim,)`` becomes ``(1, dim)``.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected an (n, {dim}) array of numbers ({exc})") from None
    if arr.ndim == 1 and arr.shape[0] == dim:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ParameterError(f"{name}: expected shape (n, {dim}), got {arr.shape}")
    if arr.shape[0] == 0 and not allow_empty:
        raise ParameterError(f"{name}: is empty; expected at least one point")
    finite_or_raise(arr, name)
    return np.ascontiguousarray(arr)


def as_vector(value, name: str, n: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite float64 1-D array (of length ``n`` when given)."""
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected numbers ({exc})") from None
    if arr.ndim != 1:
        raise ParameterError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ParameterError(f"{name}: expected {n} values, got {arr.shape[0]}")
    finite_or_raise(arr, name)
    return np.ascontiguousarray(arr)


def as_float(value, name: str, *, lo: float | None = None, hi: float | None = None,
             lo_open: bool = False, allow_inf: bool = False) -> float:
    """Return ``value`` as a float, checking its range; the error names ``name``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a number, got {value!r}") from None
    if np.isnan(x) or (np.isinf(x) and not allow_inf):
        raise ParameterError(f"{name}: expected a finite number, got {x}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        op = ">" if lo_open else ">="
        raise ParameterError(f"{name}: expected {op} {lo}, got {x}")
    if hi is not None and x > hi:
        raise ParameterError(f"{name}: expected <= {hi}, got {x}")
    return x


def finite_or_raise(arr: np.ndarray, name: str) -> None:
    """Raise naming the count and the first offending row when ``arr`` holds NaN or inf."""
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.nonzero(bad.reshape(arr.shape[0], -1).any(axis=1) if arr.ndim > 1 else bad)[0]
        raise ParameterError(
            f"{name}: {rows.size} entries are NaN or infinite (first at index {int(rows[0])})"
        )


def renamed(old_value, old: str, new_value, new: str, *, stacklevel: int = 3):
    """The value of a keyword renamed in this release (docs/architecture.md §10).

    The old name still works for one release, with a :class:`DeprecationWarning`; ``old_value``
    is None when the caller did not pass it.
    """
    if old_value is None:
        return new_value
    warnings.warn(f"{old} is deprecated and will be removed in the next release: use {new}",
                  DeprecationWarning, stacklevel=stacklevel)
    return old_value


def sub_settings(settings, name: str, loose: dict, *, stacklevel: int = 3) -> dict:
    """The settings of a sub-step as one dict (docs/architecture.md §10).

    ``settings`` is the dict the caller passed as ``name=`` (or None); ``loose`` holds the same
    settings given as loose keywords, the old form, accepted for one release with a
    :class:`DeprecationWarning`.
    """
    if settings is not None and not isinstance(settings, dict):
        raise ParameterError(f"{name}: expected a dict of settings, got {type(settings).__name__}")
    out = dict(settings or {})
    if loose:
        keys = ", ".join(sorted(loose))
        warnings.warn(f"settings as keywords ({keys}) are deprecated and will stop working in the "
                      f"next release: pass {name}={{...}}", DeprecationWarning,
                      stacklevel=stacklevel)
        out.update(loose)
    return out
