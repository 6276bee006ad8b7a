"""cpted_sim: street lighting and sightlines over 3D urban meshes.

Compare design variants of public space with numbers: where it is dark, where nobody can see
you, where it is both, and how much variant B improves on A.

>>> import cpted_sim as cs
"""

from __future__ import annotations

from ._version import __version__

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
from .field import Field
from .geometry.engines import engines_available
from .geometry.grid import CalculationGrid
from .geometry.drape import drape_grid, inside_volumes, surface_below
from .geometry.query import closest_hit, occluded, visibility_matrix
from .geometry.scene import Material, Scene
from .photometry import IntensityDistribution, Luminaire, load_photometry
from .io.mesh import load_scene
from .io.citymodel import load_city_model
from .lighting.illuminance import illuminance
from .lighting import indirect_illuminance, surface_luminance, urban_material
from .lighting.hours import Schedule, Sensor, hourly_illuminance
from .metrics import FacialRecognition, en13201_grid, facial_recognition, lighting_class, summary
from .visibility import (
    ObserverSet,
    concealment,
    entrapment,
    night_surveillance,
    route_prospect,
    visibility_graph,
)
from .visibility.isovist import isovist
from .visibility.surveillance import surveillance
from .visibility.openings import WindowRule, generate_windows, semantic_openings
from .io import write_report
from .io.scenario_file import load_scenario, save_scenario
from .scenario import Comparison, Scenario, ScenarioResult, Variant
from .scenario.compare import compare
from .scenario.run import run

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
    "Field",
    "CalculationGrid",
    "Material",
    "Scene",
    "closest_hit",
    "drape_grid",
    "inside_volumes",
    "surface_below",
    "engines_available",
    "occluded",
    "visibility_matrix",
    "IntensityDistribution",
    "Luminaire",
    "load_photometry",
    "load_scene",
    "load_city_model",
    "illuminance",
    "hourly_illuminance",
    "Schedule",
    "Sensor",
    "indirect_illuminance",
    "surface_luminance",
    "urban_material",
    "en13201_grid",
    "lighting_class",
    "summary",
    "FacialRecognition",
    "facial_recognition",
    "ObserverSet",
    "surveillance",
    "isovist",
    "visibility_graph",
    "night_surveillance",
    "route_prospect",
    "concealment",
    "entrapment",
    "WindowRule",
    "generate_windows",
    "semantic_openings",
    "load_scenario",
    "save_scenario",
    "write_report",
    "Scenario",
    "Variant",
    "ScenarioResult",
    "Comparison",
    "run",
    "compare",
]
