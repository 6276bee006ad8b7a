"""CPTED indices on fields: dark, unobserved, dark and unseen, longest unobserved stretch (L4).

Definitions (documented in ``docs/scenario_files.md``):

* dark: horizontal illuminance E_h below a threshold (an area's class minimum, else 1 lx);
* unobserved: weighted surveillance count below a threshold (default 1: no observer);
* dark and unseen: both at once.

The masks are fields of 0/1 values (unit ``"1"``) on the same grid, so they map and subtract
like any other field.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..field import Field

__all__ = ["below", "both", "percent", "longest_run"]


def below(field: Field, threshold: float, quantity: str) -> Field:
    """A 0/1 field: 1 where ``field`` is below ``threshold`` (in the field's unit)."""
    mask = (np.asarray(field.values, dtype=np.float64) < float(threshold)).astype(np.float64)
    return Field(mask, field.grid, quantity, "1",
                 {**field.provenance, "derived_from": field.quantity, "threshold": float(threshold)})


def both(a: Field, b: Field, quantity: str) -> Field:
    """A 0/1 field: 1 where both 0/1 fields are 1 (grids must match)."""
    if not a.grid.same_points(b.grid):
        raise ParameterError(f"{a.quantity} and {b.quantity} lie on different grids")
    mask = ((a.values > 0.5) & (b.values > 0.5)).astype(np.float64)
    return Field(mask, a.grid, quantity, "1", {"derived_from": [a.quantity, b.quantity]})


def percent(mask) -> float:
    """Share of points where the 0/1 ``mask`` is 1 [%]."""
    v = np.asarray(mask.values if isinstance(mask, Field) else mask, dtype=np.float64)
    return 100.0 * float(np.mean(v > 0.5)) if v.size else float("nan")


def longest_run(mask, step: float) -> float:
    """Length [m] of the longest run of consecutive 1 values of a route's 0/1 ``mask``.

    Each point stands for ``step`` metres of route (points evenly spaced along it).
    """
    v = np.asarray(mask.values if isinstance(mask, Field) else mask) > 0.5
    if not v.any():
        return 0.0
    padded = np.concatenate([[False], v, [False]]).astype(np.int8)
    d = np.diff(padded)
    starts, stops = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    return float(np.max(stops - starts)) * float(step)
