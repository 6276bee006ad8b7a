"""Illuminance fields (layer L3)."""

from .illuminance import DEFAULT_CUTOFF_LUX, KINDS, QUANTITIES, illuminance

__all__ = ["illuminance", "KINDS", "QUANTITIES", "DEFAULT_CUTOFF_LUX"]
