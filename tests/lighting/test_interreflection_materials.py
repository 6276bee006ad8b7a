"""The table of typical urban materials (lighting/materials.py)."""

from __future__ import annotations

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim.errors import ParameterError
from cpted_sim.geometry.scene import DEFAULT_MATERIAL
from cpted_sim.lighting.materials import (DEFAULT_REFLECTANCE, URBAN_MATERIALS, urban_material,
                                          with_urban_materials)


def test_table_is_consistent_and_sourced():
    assert set(URBAN_MATERIALS) >= {"asphalt", "concrete", "brick", "glass", "grass", "foliage"}
    for name, row in URBAN_MATERIALS.items():
        assert row.low <= row.reflectance <= row.high, name
        assert 0.0 <= row.light_transmittance <= 1.0
        assert row.source
    # dark asphalt below light concrete; glass lets most light through
    assert URBAN_MATERIALS["asphalt"].reflectance < URBAN_MATERIALS["concrete"].reflectance
    assert URBAN_MATERIALS["glass"].light_transmittance == pytest.approx(0.90)


def test_default_reflectance_is_the_scene_default():
    assert DEFAULT_REFLECTANCE == DEFAULT_MATERIAL.reflectance == 0.2
    scene = cs.Scene.from_arrays([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]])
    assert scene.reflectance[0] == 0.2


def test_materials_apply_by_group():
    v = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    scene = cs.Scene.from_arrays(v, [[0, 1, 2], [0, 1, 3]], groups=np.array(["road", "wall"]))
    lit = with_urban_materials(scene, {"road": "asphalt", "wall": "brick"})
    np.testing.assert_allclose(lit.reflectance, [0.10, 0.25])
    hedge = urban_material("foliage", tags=("hedge",))
    assert hedge.tags == ("hedge",) and hedge.light_transmittance == pytest.approx(0.2)
    assert cs.urban_material("asphalt", reflectance=0.07).reflectance == 0.07
    with pytest.raises(ParameterError, match="known"):
        urban_material("marble")
    with pytest.raises(ParameterError, match="group"):
        with_urban_materials(scene, {"roof": "brick"})
