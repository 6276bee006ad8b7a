"""CPTED indices on sightline fields: unobserved share, unobserved stretches of a route,
concealment share, surveillance lost at night (layer L4: numpy on Fields)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validate import as_float
from ..errors import FieldMismatchError, ParameterError
from ..field import Field

__all__ = ["unobserved_share", "longest_unobserved_stretch", "UnobservedStretch",
           "concealment_share", "night_loss_share"]


def _check(field, name="field") -> Field:
    if not isinstance(field, Field):
        raise ParameterError(f"{name}: expected a cpted_sim.Field, got {type(field).__name__}")
    if field.values.shape[0] == 0:
        raise ParameterError(f"{name}: has no values")
    return field


def _weights(field: Field, weighted: bool) -> np.ndarray:
    if weighted:
        return np.asarray(field.grid.point_weights(), dtype=np.float64)
    return np.ones(field.values.shape[0])


def unobserved_share(surveillance: Field, *, min_observers: float = 1.0,
                     weighted: bool = True) -> float:
    """Share [-] of the grid (by area where the grid has point areas) seen by fewer than
    ``min_observers`` observers.

    Parameters
    ----------
    surveillance : Field
        ``surveillance_count`` (or ``night_surveillance_count``, or a weight field) [1].
    min_observers : float
        Least count for a point to count as observed (default 1: at least one).
    weighted : bool
        Weight points by the grid's point areas when it has them.

    Returns
    -------
    float
        In [0, 1]; NaN points (outside a band) are left out.
    """
    f = _check(surveillance, "surveillance")
    v = np.asarray(f.values, dtype=np.float64)
    w = _weights(f, weighted)
    ok = ~np.isnan(v)
    if not ok.any():
        raise ParameterError(f"surveillance {f.quantity!r}: every value is NaN")
    return float(np.sum(w[ok & (v < as_float(min_observers, "min_observers", lo=0.0))])
                 / np.sum(w[ok]))


class UnobservedStretch(NamedTuple):
    """The longest run of unobserved route points: ``length`` [m], ``start`` and ``end``
    chainage [m] (all 0 when every point is observed)."""

    length: float
    start: float
    end: float


def longest_unobserved_stretch(surveillance: Field, *,
                               min_observers: float = 1.0) -> UnobservedStretch:
    """Longest stretch of a route along which fewer than ``min_observers`` observers see
    the walker.

    The field's grid points must follow the route in walking order (e.g.
    ``CalculationGrid.along_path(path, spacing)``). Each point stands for the route from
    halfway to its previous point to halfway to its next one; a stretch is a run of
    consecutive unobserved points and its length the sum of what they stand for.

    Parameters
    ----------
    surveillance : Field
        Surveillance count on route points [1].
    min_observers : float
        Least count for a point to count as observed.

    Returns
    -------
    UnobservedStretch
    """
    f = _check(surveillance, "surveillance")
    thr = as_float(min_observers, "min_observers", lo=0.0)
    p = f.grid.points
    step = np.linalg.norm(np.diff(p, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(step)])
    lo = np.concatenate([[s[0]], 0.5 * (s[1:] + s[:-1])])
    hi = np.concatenate([0.5 * (s[1:] + s[:-1]), [s[-1]]])
    bad = np.asarray(f.values) < thr
    best = UnobservedStretch(0.0, 0.0, 0.0)
    k = 0
    n = bad.size
    while k < n:
        if bad[k]:
            j = k
            while j + 1 < n and bad[j + 1]:
                j += 1
            if hi[j] - lo[k] > best.length:
                best = UnobservedStretch(float(hi[j] - lo[k]), float(lo[k]), float(hi[j]))
            k = j + 1
        else:
            k += 1
    return best


def concealment_share(concealed: Field, *, weighted: bool = True) -> float:
    """Share [-] of the points near a route that are concealment spots.

    Parameters
    ----------
    concealed : Field
        ``concealment_spot`` [1] from :func:`cpted_sim.concealment` (NaN far from the route).
    """
    f = _check(concealed, "concealed")
    v = np.asarray(f.values, dtype=np.float64)
    ok = ~np.isnan(v)
    if not ok.any():
        raise ParameterError("concealed: no point lies near the route (every value is NaN)")
    w = _weights(f, weighted)
    return float(np.sum(w[ok] * v[ok]) / np.sum(w[ok]))


def night_loss_share(day: Field, night: Field, *, min_observers: float = 1.0,
                     weighted: bool = True) -> float:
    """Share [-] of the grid observed by day but not at night (too dark to recognise a face).

    Parameters
    ----------
    day, night : Field
        ``surveillance_count`` and ``night_surveillance_count`` on the same grid [1].
    min_observers : float
        Least count for a point to count as observed.
    """
    d = _check(day, "day")
    n = _check(night, "night")
    if d.unit != n.unit or not d.grid.same_points(n.grid):
        raise FieldMismatchError("day and night surveillance must share grid and unit")
    thr = as_float(min_observers, "min_observers", lo=0.0)
    w = _weights(d, weighted)
    lost = (np.asarray(d.values) >= thr) & (np.asarray(n.values) < thr)
    return float(np.sum(w[lost]) / np.sum(w))
