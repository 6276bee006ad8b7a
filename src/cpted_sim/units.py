"""Unit conversions used at the public API boundary (metres, lux, candela, lumen, degrees)."""

from __future__ import annotations

__all__ = ["FOOT", "deg2rad", "rad2deg"]

import math

FOOT = 0.3048  # [m]


def deg2rad(x):
    """Degrees to radians (works on scalars and arrays)."""
    return x * (math.pi / 180.0)


def rad2deg(x):
    """Radians to degrees (works on scalars and arrays)."""
    return x * (180.0 / math.pi)
