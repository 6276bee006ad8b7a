"""What a result came from: the scenario's and the variant's descriptions, the scenario
file and its SHA-256, whether values are maintained or initial (layer L5).

:func:`run_provenance` is stored by :func:`cpted_sim.scenario.run.run` as
``ScenarioResult.settings["provenance"]``; the report's provenance section reads it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from . import model as m

__all__ = ["SOURCE_KEY", "with_source", "run_provenance"]

#: Key of the scenario file's path and SHA-256 in ``Scenario.assets``.
SOURCE_KEY = "scenario_file"


def with_source(scenario: m.Scenario, path, text: str) -> m.Scenario:
    """``scenario`` remembering the file it was read from: ``{"path", "sha256"}`` of its
    UTF-8 text in ``assets[SOURCE_KEY]`` (not compared, kept by every variant)."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    src = {"path": None if path is None else str(path), "sha256": sha}
    return replace(scenario, assets={**scenario.assets, SOURCE_KEY: src})


def run_provenance(scenario: m.Scenario) -> dict[str, Any]:
    """The settings a reader of the results needs to trust them.

    Returns
    -------
    dict
        ``description`` and ``variant_description`` (text, may be empty), ``scenario_file``
        (``{"path", "sha256"}`` or None when the scenario was built in Python),
        ``light_values``: ``"maintained"`` when any luminaire has a maintenance factor below
        1 (its flux times the factor), else ``"initial"``; ``maintenance_factors``: the
        distinct factors; ``bounces``: 0 for direct light only, a number of reflections or
        ``"converged"``.
    """
    mf = sorted({float(lum.maintenance_factor) for lum in scenario.luminaires})
    return {
        "description": scenario.description,
        "variant_description": scenario.variant_description,
        "scenario_file": scenario.assets.get(SOURCE_KEY),
        "light_values": "maintained" if any(f < 1.0 for f in mf) else "initial",
        "maintenance_factors": mf,
        "bounces": scenario.settings.bounces,
    }
