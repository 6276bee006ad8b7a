"""Sightlines, surveillance and isovists (layer L3)."""
