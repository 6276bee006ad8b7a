"""Photometric files and luminaires (layer L2)."""
