"""File input and output: meshes, CityJSON, scenario TOML, results (layer L6)."""
