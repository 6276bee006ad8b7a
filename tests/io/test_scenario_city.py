"""Scenario-file keys for city models: [scene] cityjson / lod / crop, material overrides per
group, [[observers]] semantic / generate."""

from __future__ import annotations

import numpy as np
import pytest
from _city_files import CityBuilder

from cpted_sim.errors import CptedWarning, ScenarioFileError
from cpted_sim.io.scenario_file import load_scenario
from cpted_sim.scenario.run import build_observers, build_scene, run


def _city(tmp_path):
    b = CityBuilder()
    b.ground("terrain", (84950, 446950), (85080, 447060))
    b.box("A", (85000, 447000, 0), (85010, 447006, 9), lods=("1.2", "2.2"), heights=(7.0, 9.0))
    b.box("B", (85010, 447000, 0), (85020, 447006, 9), lods=("1.2", "2.2"), heights=(7.0, 9.0))
    b.box("far", (85060, 447040, 0), (85070, 447050, 9))
    b.write(tmp_path / "tile.city.json")


SCENARIO = '''
name = "city"
[scene]
cityjson = ["tile.city.json"]
lod = "2.2"
crop = { bbox = [84990, 446980, 85030, 447010], margin = 10 }
[materials."Building/WallSurface"]
reflectance = 0.35
[[luminaires]]
name = "L1"
photometry = { builtin = "street_light_optic", flux = 6000.0 }
position = [85010.0, 446992.0, 6.0]
[[areas]]
name = "street"
kind = "grid"
polygon = [[84995, 446985], [85025, 446985], [85025, 446995], [84995, 446995]]
quantities = ["E_h", "surveillance"]
[[observers]]
name = "windows"
semantic = ["Window"]
generate = { storey_height = 3, spacing = 4, ground_floor = true, facing = "street", \
max_distance = 30 }
'''


def test_city_scenario_loads_crops_and_generates_windows(tmp_path):
    _city(tmp_path)
    (tmp_path / "s.toml").write_text(SCENARIO)
    sc = load_scenario(tmp_path / "s.toml")
    scene = build_scene(sc)
    assert scene.epsg == 28992
    assert scene.bounds[1, 2] == pytest.approx(9.0)                # LoD 2.2, not 1.2 (7 m)
    walls = np.asarray(scene.groups)[scene.face_group] == "Building/WallSurface"
    assert scene.face_centroids[walls, 0].max() < 85060            # "far" cropped away
    assert "LandUse" in scene.groups                               # terrain kept at LoD 1
    assert np.all(scene.reflectance[walls] == 0.35)
    obs = build_observers(sc, scene)
    # only the joint 20 m south front faces the street: 5 bays x 3 storeys
    assert obs.n == 15 and np.all(obs.directions[:, 1] < -0.99)
    res = run(sc, quiet=True)
    assert res.settings["n_observers"] == 15
    assert res.areas["street"].fields["surveillance_count"].values.max() > 0


@pytest.mark.parametrize("old,new,match", [
    ('lod = "2.2"', 'lod = "3"', r"line 4 \[scene.cityjson\].*no geometry at LoD 3.*has LoD "
                                 r"1, 1.2, 2.2"),
    ('facing = "street"', 'facing = "stret"', r"observers\[0\].generate.facing.*no area is "
                                               r"named 'stret' \(did you mean 'street'\?\)"),
    ("crop = { bbox", "crop = { box", r"scene.crop.box.*unknown key 'box'"),
    ("storey_height = 3", "storey_height = 0", r"generate.storey_height.*expected a number > 0"),
    ('cityjson = ["tile.city.json"]', 'cityjson = ["tile.city.json"]\nmesh = "tile.city.json"',
     r"scene.mesh.*either cityjson or mesh"),
])
def test_city_scenario_mistakes_name_the_key(tmp_path, old, new, match):
    _city(tmp_path)
    assert old in SCENARIO
    (tmp_path / "s.toml").write_text(SCENARIO.replace(old, new))
    with pytest.raises(Exception, match=match):
        sc = load_scenario(tmp_path / "s.toml")
        build_scene(sc)


def test_semantic_windows_from_a_lod3_model(tmp_path):
    b = CityBuilder().box("A", (85000, 447000, 0), (85010, 447006, 9),
                          windows=[(0, (1, 1, 2, 2.5)), (0, (5, 4, 6, 5.5))])
    b.write(tmp_path / "tile.city.json")
    (tmp_path / "s.toml").write_text('''
[scene]
cityjson = "tile.city.json"
[[observers]]
name = "openings"
semantic = ["Window", "Door"]
''')
    sc = load_scenario(tmp_path / "s.toml")
    obs = build_observers(sc, build_scene(sc))
    assert obs.n == 2 and set(obs.kind) == {"window"}


def test_semantic_without_openings_or_rule_is_an_error(tmp_path):
    _city(tmp_path)
    (tmp_path / "s.toml").write_text('''
[scene]
cityjson = "tile.city.json"
[[observers]]
name = "openings"
semantic = ["Window"]
''')
    sc = load_scenario(tmp_path / "s.toml")
    with pytest.raises(Exception, match="no Window surfaces.*add generate"):
        build_observers(sc, build_scene(sc))


def test_lod_without_cityjson_is_an_error(tmp_path):
    (tmp_path / "s.toml").write_text('[scene]\nbuiltin = "demo_street"\nlod = "2.2"\n')
    with pytest.raises(ScenarioFileError, match=r"line 3 \[scene.lod\]: lod and crop apply"):
        load_scenario(tmp_path / "s.toml")


def test_a_misspelt_material_group_stops_with_a_hint(tmp_path):
    from cpted_sim.errors import ParameterError

    _city(tmp_path)
    text = SCENARIO.replace('"Building/WallSurface"]', '"Building/Wallsurface"]')
    (tmp_path / "s.toml").write_text(text)
    sc = load_scenario(tmp_path / "s.toml")
    with pytest.raises(ParameterError, match=r"1 group name\(s\) match no group.*"
                                             r"'Building/Wallsurface' \(did you mean "
                                             r"'Building/WallSurface'"):
        build_scene(sc)


def test_delft_street_from_a_scenario_file(tmp_path, shared_data):
    delft = (shared_data / "city/delft_3dfier/delft.json").resolve()
    (tmp_path / "s.toml").write_text(f'''
[scene]
cityjson = ["{delft.as_posix()}"]
crop = {{ polygon = "street", margin = 30 }}
[[areas]]
name = "street"
kind = "grid"
polygon = [[84850, 447540], [84950, 447540], [84950, 447560], [84850, 447560]]
quantities = ["E_h"]
[[observers]]
name = "windows"
generate = {{ storey_height = 3, spacing = 4, facing = "street", max_distance = 30 }}
''')
    sc = load_scenario(tmp_path / "s.toml", allow_outside_files=True)  # ../shared
    scene = build_scene(sc)
    assert scene.epsg == 28992 and scene.n_faces < 36271          # cropped (README: 36,271)
    with pytest.warns(CptedWarning, match="positions lie inside a building"):
        obs = build_observers(sc, scene)
    assert 100 < obs.n < 500                       # measured: 245 of 812 (391 away, 176 inside)
    # every eye faces the street: its normal points toward the strip y 447540..447560
    y = obs.positions[:, 1]
    toward = np.where(y < 447540, obs.directions[:, 1] > 0,
                      np.where(y > 447560, obs.directions[:, 1] < 0, True))
    assert np.mean(toward) > 0.92       # measured 0.971 (the rest face it from the strip's ends)


def test_city_scenario_round_trips_through_the_writer(tmp_path):
    from cpted_sim.io.scenario_file import dumps_scenario, loads_scenario

    _city(tmp_path)
    (tmp_path / "s.toml").write_text(SCENARIO)
    sc = load_scenario(tmp_path / "s.toml", allow_outside_files=True)  # ../shared
    text = dumps_scenario(sc, base_dir=tmp_path)
    assert 'cityjson = ["tile.city.json"]' in text
    again = loads_scenario(text, base_dir=tmp_path)
    assert again.scene.geometry == sc.scene.geometry
    assert again.observers == sc.observers
    assert build_observers(again, build_scene(again)).n == 15


def test_a_material_for_a_group_a_variant_adds_does_not_warn(tmp_path):
    import warnings

    _city(tmp_path)
    text = SCENARIO + '''
[materials.new_wall]
reflectance = 0.5
[[variants]]
name = "wall"
[[variants.changes]]
op = "add_geometry"
builtin = "box"
group = "new_wall"
params = { min = [85000, 446990, 0], max = [85001, 446991, 2] }
'''
    (tmp_path / "s.toml").write_text(text)
    sc = load_scenario(tmp_path / "s.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CptedWarning)
        build_scene(sc)
        scene = build_scene(sc.apply("wall"))
    assert scene.materials["new_wall"].reflectance == 0.5


def test_city_model_is_not_a_builtin_in_files(tmp_path):
    (tmp_path / "s.toml").write_text('[scene]\nbuiltin = "city_model"\n')
    with pytest.raises(ScenarioFileError, match=r"scene.builtin.*cityjson = \["):
        load_scenario(tmp_path / "s.toml")
