"""Statistics, EN 13201 and CPTED indices on fields (layer L4)."""
