"""The package version (layer L0, so every layer may read it)."""

__version__ = "0.1.0"
