"""Sightlines, surveillance and isovists (layer L3).

Natural surveillance (who sees a place), isovists (what a place sees), visibility graphs
(space syntax VGA), route measures (prospect, concealment, entrapment) and night-time
surveillance (sight and light together; the illuminance is an argument, docs/architecture.md §2).
"""

from __future__ import annotations

from .graph import VisibilityGraph, hh_integration, visibility_graph
from . import isovist, surveillance   # the modules; cpted_sim.isovist etc. are the functions
from .isovist import IsovistResult
from .night import (
    CREST_PRESENCE,
    DEFAULT_RECOGNITION,
    RecognitionThreshold,
    night_surveillance,
    night_surveillance_fields,
    presence_weights,
    with_presence,
)
from .observers import ObserverSet
from .route import Concealment, Entrapment, RouteProspect, concealment, entrapment, route_prospect
from .surveillance import SurveillanceResult, surveillance_fields

__all__ = [
    "ObserverSet",
    "surveillance",
    "surveillance_fields",
    "SurveillanceResult",
    "isovist",
    "IsovistResult",
    "visibility_graph",
    "VisibilityGraph",
    "hh_integration",
    "night_surveillance",
    "night_surveillance_fields",
    "RecognitionThreshold",
    "DEFAULT_RECOGNITION",
    "CREST_PRESENCE",
    "presence_weights",
    "with_presence",
    "route_prospect",
    "RouteProspect",
    "concealment",
    "Concealment",
    "entrapment",
    "Entrapment",
]
