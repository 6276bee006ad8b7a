"""Scenarios, variants, runs and comparisons (layer L5).

>>> import cpted_sim as cs
>>> sc = cs.load_scenario("street.toml")                  # doctest: +SKIP
>>> cmp = cs.compare(sc)          # base and every variant  # doctest: +SKIP
>>> cmp.verdicts                                           # doctest: +SKIP
>>> cmp.to_report("out")                                   # doctest: +SKIP
"""

from __future__ import annotations

from . import compare, run   # the modules; cpted_sim.run / cpted_sim.compare are the functions
from .compare import Comparison
from .model import (
    AreaResult,
    AreaSpec,
    GeometrySpec,
    LuminaireSpec,
    Metric,
    ObserverSpec,
    PhotometrySpec,
    RunSettings,
    Scenario,
    ScenarioResult,
    SceneSpec,
    Thresholds,
    Variant,
)

__all__ = [
    "Scenario",
    "Variant",
    "run",
    "compare",
    "Comparison",
    "ScenarioResult",
    "AreaResult",
    "Metric",
    "SceneSpec",
    "GeometrySpec",
    "LuminaireSpec",
    "PhotometrySpec",
    "AreaSpec",
    "ObserverSpec",
    "Thresholds",
    "RunSettings",
]
