"""Scenes, BVH, calculation grids and ray queries (layer L2)."""
