"""Naming items after a field, fitting types to photometry, mounting heights
(scenario/sources.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.scenario.sources import VectorSource, item_names, map_fittings, mounting_heights


def test_item_names():
    assert item_names("a", [0]) == ["a"]
    assert item_names("a", [0, 1, 2]) == ["a:1", "a:2", "a:3"]
    assert item_names("a", [0, 0, 1], ["x", "y"]) == ["a:x-1", "a:x-2", "a:y"]
    with pytest.raises(ParameterError, match="features 0 and 1 share the name 'x'"):
        item_names("a", [0, 1], ["x", "x"])
    with pytest.raises(ParameterError, match="feature 1 has no value"):
        item_names("a", [0, 1], ["x", None])


def test_map_fittings_names_every_missing_type():
    table = {"A": "a.ies", "B": {"builtin": "isotropic"}}
    assert map_fittings(["A", "B", "A"], table) == ["a.ies", {"builtin": "isotropic"}, "a.ies"]
    with pytest.raises(ParameterError, match=r"'C' \(2 lamps\), 'D' \(1 lamps\)"):
        map_fittings(["C", "A", "D", "C"], table)


def test_mounting_heights():
    assert np.allclose(mounting_heights(None, 6.0, 3), 6.0)
    assert np.allclose(mounting_heights([8.0, None, "7.5", np.nan], 6.0, 4), [8, 6, 7.5, 6])
    with pytest.raises(ParameterError, match="2 lamps have no usable mounting height"):
        mounting_heights([8.0, None, -1.0], None, 3)
    with pytest.raises(ParameterError, match="give a mounting height"):
        mounting_heights(None, None, 3)


def test_vector_source_needs_a_file():
    with pytest.raises(ParameterError, match="source.file"):
        VectorSource(file="")
    assert VectorSource(file="x.gpkg", filter={"a": 1}).filter == {"a": 1}
