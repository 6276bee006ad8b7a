"""Numba kernels: pure functions on flat arrays (layer L1). No validation inside."""
