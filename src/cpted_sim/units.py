"""Unit conversions used at the public API boundary (metres, lux, candela, lumen, degrees)."""

from __future__ import annotations

__all__ = ["FOOT"]

FOOT = 0.3048  # [m]
