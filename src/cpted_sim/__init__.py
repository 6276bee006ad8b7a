"""cpted_sim: street lighting and sightlines over 3D urban meshes.

Compare design variants of public space with numbers: where it is dark, where nobody can see
you, where it is both, and how much variant B improves on A.

>>> import cpted_sim as cs
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    CptedError,
    EngineUnavailableError,
    FieldMismatchError,
    GridError,
    MeshError,
    ParameterError,
    PhotometryFormatError,
    ScenarioFileError,
)
from .config import get_threads, set_threads, threads

__all__ = [
    "__version__",
    "CptedError",
    "EngineUnavailableError",
    "FieldMismatchError",
    "GridError",
    "MeshError",
    "ParameterError",
    "PhotometryFormatError",
    "ScenarioFileError",
    "get_threads",
    "set_threads",
    "threads",
]
