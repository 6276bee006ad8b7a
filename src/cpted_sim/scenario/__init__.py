"""Scenarios, variants, runs and comparisons (layer L5).

>>> import cpted_sim as cs
>>> sc = cs.load_scenario("street.toml")                  # doctest: +SKIP
>>> cmp = cs.compare(sc)          # base and every variant  # doctest: +SKIP
>>> cmp.verdicts                                           # doctest: +SKIP
>>> cmp.to_report("out")                                   # doctest: +SKIP
"""

from __future__ import annotations

from .compare import Comparison, compare
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
from .run import run

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
