"""Citizens' reports to places, causes and tested measures (layer L5)."""
