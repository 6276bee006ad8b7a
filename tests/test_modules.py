"""Modules named after their function are modules again; calling one is deprecated."""

from __future__ import annotations

import importlib
import types

import pytest

import cpted_sim as cs

NAMESAKES = ["scenario.run", "scenario.compare", "visibility.isovist", "visibility.surveillance",
             "lighting.illuminance"]


@pytest.mark.parametrize("path", NAMESAKES)
def test_import_as_gives_the_module_and_the_root_gives_the_function(path):
    pkg, name = path.split(".")
    mod = importlib.import_module(f"cpted_sim.{path}")
    assert isinstance(mod, types.ModuleType)
    # `import cpted_sim.visibility.isovist as m` reads the package attribute: the module
    assert getattr(importlib.import_module(f"cpted_sim.{pkg}"), name) is mod
    assert isinstance(getattr(cs, name), types.FunctionType)
    assert getattr(cs, name) is getattr(mod, name)


def test_calling_the_module_forwards_with_a_deprecation_warning():
    from cpted_sim.scenario import run   # the module now (it was the function)
    with pytest.warns(DeprecationWarning, match=r"call cpted_sim\.run \(or cpted_sim\.scenario\.run\.run\)"):
        with pytest.raises(cs.ParameterError, match="expected a Scenario"):
            run(None)
