"""Statistics, EN 13201 and CPTED indices on fields (layer L4)."""

from .en13201 import (
    P_CLASSES,
    ClassResult,
    FacialRecognition,
    PClass,
    en13201_grid,
    facial_recognition,
    field_grid_counts,
    lighting_class,
)
from .stats import FieldSummary, area_fraction_below, area_fractions_below, summary

__all__ = [
    "P_CLASSES",
    "ClassResult",
    "FacialRecognition",
    "PClass",
    "en13201_grid",
    "facial_recognition",
    "field_grid_counts",
    "lighting_class",
    "FieldSummary",
    "area_fraction_below",
    "area_fractions_below",
    "summary",
]
