"""Scenarios, variants, runs and comparisons (layer L5)."""
