"""Illuminance fields (layer L3)."""

from . import illuminance   # the module; cpted_sim.illuminance is the function
from .hours import HourlyField, Schedule, Sensor, hourly_illuminance, night_hours
from .illuminance import DEFAULT_CUTOFF_LUX, KINDS, QUANTITIES
from .interreflection import (IndirectResult, RadiositySolution, add_indirect,
                              indirect_illuminance, radiosity, surface_luminance)
from .materials import URBAN_MATERIALS, urban_material, with_urban_materials

__all__ = ["illuminance", "KINDS", "QUANTITIES", "DEFAULT_CUTOFF_LUX",
           "indirect_illuminance", "surface_luminance", "radiosity", "add_indirect",
           "IndirectResult", "RadiositySolution", "URBAN_MATERIALS", "urban_material",
           "with_urban_materials", "Schedule", "Sensor", "HourlyField", "hourly_illuminance",
           "night_hours"]
