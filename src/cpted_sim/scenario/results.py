"""What a scenario run returns: :class:`Metric`, :class:`AreaResult` and
:class:`ScenarioResult` (layer L5; plain data shared with the report writer, re-exported by
:mod:`cpted_sim.scenario.model`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..field import Field
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene

__all__ = ["Metric", "AreaResult", "ScenarioResult"]


@dataclass(frozen=True)
class Metric:
    """One number of the metric table.

    Attributes
    ----------
    name : str
        ``"E_avg"``, ``"E_min"``, ``"U0"``, ``"class_achieved"``, ``"dark_pct"``, ...
    value : float
        The value in ``unit`` (NaN when it cannot be computed; for a class, its rank).
    unit : str
        ``"lx"``, ``"%"``, ``"m2"``, ``"m"``, ``"1"`` or ``"class"``.
    better : str
        ``"higher"``, ``"lower"`` or ``"none"``.
    label : str or None
        The class name when ``unit == "class"`` (``"P3"``; ``"none"`` when no class is met).
    """

    name: str
    value: float
    unit: str
    better: str = "none"
    label: str | None = None


@dataclass(frozen=True)
class AreaResult:
    """Fields and metrics of one area; ``excluded`` counts the points inside buildings, left
    out of the grid, the fields and the statistics; ``outline`` is the area's polygon (plan
    areas) or path (routes) in world coordinates [m], None for façades."""

    name: str
    kind: str
    grid: CalculationGrid
    fields: Mapping[str, Field]
    metrics: Mapping[str, Metric]
    lighting_class: str | None = None
    excluded: int = 0
    outline: Any = field(default=None, compare=False)  # (m, 2) world [m]: polygon or path


@dataclass(frozen=True)
class ScenarioResult:
    """What :func:`cpted_sim.run` returns for one scenario (base or variant).

    ``warnings`` holds the messages of the :class:`~cpted_sim.errors.CptedWarning` raised
    during the run (each once, in order); ``observers`` the run's
    :class:`~cpted_sim.visibility.ObserverSet` (None when nothing asked for sightlines).
    """

    scenario_name: str
    variant: str
    scene: Scene
    luminaires: tuple
    areas: Mapping[str, AreaResult]
    settings: Mapping[str, Any]
    elapsed_s: float
    warnings: tuple[str, ...] = ()
    observers: Any = field(default=None, compare=False, repr=False)  # the run's ObserverSet
    hours: Any = None      # scenario.schedule.HoursResult when the scenario has [hours]
