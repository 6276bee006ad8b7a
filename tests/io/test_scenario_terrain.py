"""Scenario-file keys of terrain (io/_scenario_terrain.py): height_reference on areas, observers
and added observers; walkable and max_slope_deg in [scene]; errors name key and line."""

from __future__ import annotations

import textwrap

import pytest

from cpted_sim.errors import ScenarioFileError
from cpted_sim.io.scenario_file import dumps_scenario, loads_scenario

TEXT = textwrap.dedent('''\
    name = "t"
    [scene]
    builtin = "ground_plane"
    walkable = ["ground"]
    max_slope_deg = 20.0

    [[luminaires]]
    name = "pole"
    photometry = { builtin = "isotropic", intensity_cd = 100.0 }
    position = [5.0, 5.0, 6.0]
    height_reference = "surface"

    [[areas]]
    name = "street"
    kind = "grid"
    polygon = [[0, 0], [10, 0], [10, 10]]
    height_reference = "surface"

    [[areas]]
    name = "deck"
    kind = "route"
    path = [[0, 0], [10, 0]]
    height_reference = "deck"
    height = 0.0

    [[observers]]
    name = "walkers"
    kind = "path"
    path = [[0, 5], [10, 5]]
    height_reference = "surface"

    [[variants]]
    name = "B"
    [[variants.changes]]
    op = "add_luminaire"
    name = "pole2"
    photometry = { builtin = "isotropic", intensity_cd = 100.0 }
    position = [8.0, 5.0, 6.0]
    height_reference = "surface"
    [[variants.changes]]
    op = "add_observers"
    name = "more"
    kind = "path"
    path = [[0, 6], [10, 6]]
    height_reference = "absolute"
    ''')


def test_terrain_keys_are_read():
    sc = loads_scenario(TEXT, load_assets=False)
    assert sc.scene.walkable == ("ground",) and sc.scene.max_slope_deg == 20.0
    assert [a.height_reference for a in sc.areas] == ["surface", "deck"]
    assert sc.observers[0].height_reference == "surface"
    assert sc.luminaires[0].height_reference == "surface"
    assert sc.variants[0].changes[0].luminaire.height_reference == "surface"
    assert sc.variants[0].changes[1].observers.height_reference == "absolute"
    assert sc.apply("B").observers[1].height_reference == "absolute"


def test_terrain_keys_survive_a_round_trip():
    sc = loads_scenario(TEXT, load_assets=False)
    again = loads_scenario(dumps_scenario(sc), load_assets=False)
    assert again == sc


def test_unset_keys_stay_unset():
    sc = loads_scenario(TEXT.replace('height_reference = "surface"\n', ""), load_assets=False)
    assert sc.areas[0].height_reference is None and sc.observers[0].height_reference is None


@pytest.mark.parametrize("old,new,match", [
    ('height_reference = "deck"', 'height_reference = "ground"',
     r"t\.toml line 23 \[areas\[1\]\.height_reference\]: expected one of surface, deck, absolute, "
     r"got 'ground'"),
    ('max_slope_deg = 20.0', 'max_slope_deg = 95.0',
     r"\[scene\.max_slope_deg\]: expected a number <= 90"),
    ('walkable = ["ground"]', 'walkable = [3]', r"\[scene\.walkable\[0\]\]: expected a string"),
])
def test_bad_terrain_keys_name_the_key(old, new, match):
    with pytest.raises(ScenarioFileError, match=match):
        loads_scenario(TEXT.replace(old, new), path="t.toml", load_assets=False)
