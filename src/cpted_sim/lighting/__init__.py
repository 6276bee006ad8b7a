"""Illuminance fields (layer L3)."""
