"""Scenario files: round trips, and errors that name the key and the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _scenario_text import FULL

from cpted_sim.errors import ScenarioFileError
from cpted_sim.io._toml import LineIndex, dumps
from cpted_sim.io.scenario_file import (dumps_scenario, load_scenario, loads_scenario,
                                        save_scenario)
from cpted_sim.scenario import model as m
from cpted_sim.scenario.demo import demo_scenario_path



@pytest.fixture
def full_dir(tmp_path) -> Path:
    (tmp_path / "lamp.ies").write_text("stand-in, not parsed with load_assets=False\n")
    (tmp_path / "full.toml").write_text(FULL, encoding="utf-8")
    return tmp_path


def _load(d: Path, text: str | None = None):
    text = FULL if text is None else text
    return loads_scenario(text, path=d / "full.toml", load_assets=False)


def test_full_file_reads_every_key(full_dir):
    sc = _load(full_dir)
    assert sc.name == 'Full "quoted" scenario é'
    assert sc.scene.epsg == 28992 and sc.scene.geometry.builtin == "quads"
    assert sc.materials["hedge top"].tags == ("hedge",)
    assert sc.luminaires[0].photometry.file == str((full_dir / "lamp.ies").resolve())
    assert sc.luminaires[0].maintenance_factor == 0.9 and sc.luminaires[1].maintenance_factor == 0.8
    assert sc.luminaires[1].photometry == m.PhotometrySpec(builtin="street_light_optic",
                                                           params={"flux": 5000.0})
    assert [a.kind for a in sc.areas] == ["en13201", "grid", "route", "facade"]
    assert sc.areas[0].lighting_class == "P3" and sc.areas[1].dark_lx == 2.0
    assert sc.observers[2].path == ((0.0, 5.0), (40.0, 5.0))
    assert sc.thresholds == m.Thresholds(0.5, 2.0, 1.5, 1.4, 6.0)
    assert sc.settings == m.RunSettings(threads=2, max_distance=80.0, quiet=True, bounces=2)
    ops = [c.op for c in sc.variants[0].changes]
    assert ops == ["add_luminaire", "move_luminaire", "aim_luminaire", "replace_photometry",
                   "remove_luminaire", "add_geometry", "remove_geometry", "set_material",
                   "add_observers", "remove_observers"]
    assert sc.variants[1] == m.Variant("C")


def test_round_trip_load_save_load(full_dir):
    sc = _load(full_dir)
    out = save_scenario(sc, full_dir / "again.toml")
    back = loads_scenario(out.read_text(encoding="utf-8"), path=out, load_assets=False)
    assert back == sc
    # and the text is stable: saving the reloaded scenario writes the same file
    assert dumps_scenario(back, base_dir=full_dir) == out.read_text(encoding="utf-8")


def test_round_trip_into_another_folder_keeps_files_pointing_at_the_same_place(full_dir):
    sc = _load(full_dir)
    other = full_dir / "sub" / "deeper"
    other.mkdir(parents=True)
    out = save_scenario(sc, other / "moved.toml")
    assert '"../../lamp.ies"' in out.read_text(encoding="utf-8")
    # the files now lie outside the scenario's folder: refused unless the user allows it
    with pytest.raises(ScenarioFileError, match="outside the scenario's folder"):
        loads_scenario(out.read_text(encoding="utf-8"), path=out, load_assets=False)
    back = loads_scenario(out.read_text(encoding="utf-8"), path=out, load_assets=False,
                          allow_outside_files=True)
    assert back == sc


def test_round_trip_of_the_demo_file(tmp_path):
    sc = load_scenario(demo_scenario_path())
    out = save_scenario(sc, tmp_path / "demo.toml")   # its IES file stays in the package
    assert load_scenario(out, allow_outside_files=True) == sc
    assert len(sc.variants) == 2


def test_the_loader_loads_photometric_files(tmp_path):
    sc = load_scenario(demo_scenario_path())
    f = sc.luminaires[0].photometry.file
    assert f in sc.assets and sc.assets[f].flux > 1000.0


def test_an_applied_variant_cannot_be_saved(full_dir):
    sc = _load(full_dir)
    with pytest.raises(ScenarioFileError, match="write the base scenario"):
        dumps_scenario(sc.apply("B"))


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


# (replace this, with that, expected key, text on the expected line, message part)
ERRORS = [
    ('description = "every key"', 'descripton = "x"', "descripton", 'descripton = "x"', "unknown key"),
    ("tilt = 5.0", "tilt = \"5\"", "luminaires[0].tilt", 'tilt = "5"', "expected a number"),
    ("maintenance_factor = 0.9", "maintenance_factor = 1.5", "luminaires[0].maintenance_factor",
     "maintenance_factor = 1.5", "<= 1.0"),
    ("position = [30.0, 5.0, 6.0]", "position = [30.0, 5.0]", "luminaires[1].position",
     "position = [30.0, 5.0]", "list of 3 numbers"),
    ("flux_scale = 1.1", "flux_scale = 1.1\ncolour = \"red\"", "luminaires[0].colour",
     'colour = "red"', "unknown key 'colour'"),
    ('class = "P3"', 'class = "M2"', "areas[0].class", 'class = "M2"', "P class"),
    ('kind = "route"', 'kind = "road"', "areas[2].kind", 'kind = "road"', "expected one of"),
    ("spacing = 2.0\nheight", "spacing = -2.0\nheight", "areas[1].spacing",
     "spacing = -2.0", "> 0.0"),
    ('tag = "window"', 'tag = 3', "observers[0].tag", "tag = 3", "expected a string"),
    ("fov = 360.0\nweight", "fov = 400.0\nweight", "observers[1].fov", "fov = 400.0",
     "<= 360.0"),
    ("threads = 2", "threads = 2.5", "run.threads", "threads = 2.5", "whole number"),
    ('threads = 2\n', 'threads = 2\nengine = "optix"\n', "run.engine", 'engine = "optix"',
     "expected one of"),
    ('op = "aim_luminaire"', 'op = "aim"', "variants[0].changes[2].op", 'op = "aim"',
     "expected one of"),
    ("offset = [1.0, 0.0, 0.0]", "offset = [1.0, 0.0, 0.0]\nposition = [1.0, 0.0, 0.0]",
     "variants[0].changes[1]", None, "exactly one of 'position' and 'offset'"),
    ('photometry = "lamp.ies"\nposition = [20.0',
     'photometry = "missing.ies"\nposition = [20.0', "variants[0].changes[0].photometry",
     'photometry = "missing.ies"', "file not found: missing.ies"),
    ('name = "C"', 'name = "base"', "variants[1].name", 'name = "base"', "reserved"),
    ('name = "L2"\nphotometry', 'name = "L1"  # again\nphotometry', "luminaires[1].name",
     "# again", "used twice"),
    ("bounces = 2", "bounces = -1", "run.bounces", "bounces = -1", ">= 0"),
    ("bounces = 2", 'bounces = "lots"', "run.bounces", 'bounces = "lots"', "converged"),
    ("min_surveillance = 2.0", "min_surveillance = -1", "thresholds.min_surveillance",
     "min_surveillance = -1", ">= 0.0"),
    ("params = { min = [5, 12, 0], max = [7, 14, 3] }", "params = { min = [5, 12, 0], max = [4, 14, 3] }",
     "variants[0].changes[5].params.max", "max = [4, 14, 3]", "max must exceed min"),
]


@pytest.mark.parametrize("old,new,key,line_text,message", ERRORS, ids=[e[2] for e in ERRORS])
def test_errors_name_the_key_and_the_line(full_dir, old, new, key, line_text, message):
    assert FULL.count(old) == 1, old
    text = FULL.replace(old, new)
    with pytest.raises(ScenarioFileError) as exc:
        _load(full_dir, text)
    err = exc.value
    assert err.key == key
    assert message in str(err)
    assert f"[{key}]" in str(err) and "full.toml line" in str(err)
    expected = _line_of(text, line_text if line_text else new.splitlines()[0].strip())
    if line_text is None:
        # the error is about the whole table: its header line or its first key
        assert err.line is not None and err.line <= expected
    else:
        assert err.line == expected


def test_invalid_toml_names_the_line(full_dir):
    text = FULL.replace("tilt = 5.0", "tilt = = 5.0")
    with pytest.raises(ScenarioFileError, match="invalid TOML") as exc:
        _load(full_dir, text)
    assert exc.value.line == _line_of(text, "tilt = = 5.0")


def test_missing_scene_and_missing_file(tmp_path):
    with pytest.raises(ScenarioFileError, match="missing key 'scene'"):
        loads_scenario('name = "x"\n', path=tmp_path / "x.toml")
    with pytest.raises(ScenarioFileError, match="cannot read the scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_unknown_builtin_scene_is_an_error_with_its_line(tmp_path):
    text = '[scene]\nbuiltin = "atlantis"\n'
    with pytest.raises(ScenarioFileError, match="expected one of") as exc:
        loads_scenario(text, path=tmp_path / "x.toml")
    assert exc.value.key == "scene.builtin" and exc.value.line == 2


def test_line_index_handles_nested_arrays_of_tables_and_multiline_values():
    text = textwrap.dedent('''\
        a = [
          1,
          2,
        ]
        b = 1
        [[v]]
        n = 1
        [[v.c]]
        op = "x"
        [[v]]
        [[v.c]]
        [[v.c]]
        op = "y"
        [t."q k"]
        z = { p = 1, r = 2 }
        ''')
    ix = LineIndex(text)
    assert ix.line_of("a") == 1 and ix.line_of("b") == 5
    assert ix.line_of("v[0].c[0].op") == 9
    assert ix.line_of("v[1].c[1].op") == 13
    assert ix.line_of("v[1].c[0]") == 11
    assert ix.line_of("t.q k.z.r") == 15
    assert ix.line_of("v[1].c[1].op[3]") == 13
    assert ix.line_of("nowhere") is None


def test_writer_output_is_valid_toml_for_awkward_values():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    # DEL (\x7f) must be escaped: TOML forbids it raw, JSON's escaping keeps it
    data = {"s": 'a "b" \\ c\n\té\x7f\x00\x1f\u2028', "f": 1e-300, "k\x7f": 1, "i": -3,
            "t": True, "l": [1.5, "x", [2]],
            "d": {"k k": 1.0}, "aot": [{"x": 1, "sub": [{"y": 2}]}, {"x": 2}]}
    assert tomllib.loads(dumps(data)) == data


def test_mesh_load_options_are_checked(tmp_path):
    (tmp_path / "city.json").write_text("{}")
    ok = '[scene]\nmesh = "city.json"\nparams = { group_by = "object", lod = "2.2" }\n'
    sc = loads_scenario(ok, path=tmp_path / "x.toml", load_assets=False)
    assert sc.scene.geometry.params == {"group_by": "object", "lod": "2.2"}
    assert sc.scene.geometry.asset_key.endswith("city.json?group_by=object&lod=2.2")
    assert loads_scenario(dumps_scenario(sc, tmp_path), base_dir=tmp_path, load_assets=False) == sc
    for bad, key in (('{ group_by = "layer" }', "scene.params.group_by"),
                     ("{ scale = 2 }", "scene.params.scale"),
                     ("{ lod = true }", "scene.params.lod")):
        with pytest.raises(ScenarioFileError) as exc:
            loads_scenario(ok.replace('{ group_by = "object", lod = "2.2" }', bad),
                           path=tmp_path / "x.toml", load_assets=False)
        assert exc.value.key == key and exc.value.line == 3


def test_writer_prints_floats_with_a_fixed_precision():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    from cpted_sim.io._toml import FLOAT_SIGNIFICANT_DIGITS

    assert FLOAT_SIGNIFICANT_DIGITS == 12
    # 0.1 + 0.2 is 0.30000000000000004 in repr: its noise digits are not written
    data = {"a": 0.1 + 0.2, "b": 155000.123456789, "c": 5.0, "d": -0.0, "e": 1e-300,
            "f": 2.5e20, "g": [1.0, 1.0 + 2**-50]}
    text = dumps(data)
    assert "a = 0.3\n" in text and "b = 155000.123457\n" in text and "c = 5.0\n" in text
    assert "d = 0.0\n" in text and "g = [1.0, 1.0]" in text
    back = tomllib.loads(text)
    assert all(isinstance(back[k], float) for k in "abcdef")
    assert back["f"] == pytest.approx(2.5e20, rel=1e-12) and back["e"] == pytest.approx(1e-300)


def test_line_index_survives_multiline_strings_and_odd_line_breaks():
    # str.splitlines would also break at U+2028 inside the string and shift every line after it
    text = ('description = """\n[[not a table\n[nor this\n"""\nname = "x\u2028y"\n'
            '[scene]\nbuiltin = 3\n')
    ix = LineIndex(text)
    assert ix.line_of("name") == 5 and ix.line_of("scene.builtin") == 7
    with pytest.raises(ScenarioFileError) as exc:
        loads_scenario(text, load_assets=False)
    assert exc.value.key == "scene.builtin" and exc.value.line == 7


@pytest.mark.parametrize("text, message", [
    ("[scene]\nbuiltin = \"demo_street\"\nepsg = " + "1" * 5000, "more digits than can be read"),
    ("[scene]\nbuiltin = \"demo_street\"\norigin = [0x" + "f" * 500 + ", 0, 0]",
     "whole number of 603 digits"),
])
def test_numbers_too_long_for_python_are_scenario_errors(text, message):
    with pytest.raises(ScenarioFileError, match=message):
        loads_scenario(text, load_assets=False)


def test_a_long_string_does_not_slow_the_line_index_down():
    # the inline-key pattern once backtracked over every character of a long string
    # (0.5 s for 5,000 characters, quadratic); 200,000 now take a few milliseconds
    text = 'name = "' + "a" * 200_000 + '"\n[scene]\nbuiltin = 3\n'
    with pytest.raises(ScenarioFileError) as exc:
        loads_scenario(text, load_assets=False)
    assert exc.value.line == 3


def test_errors_quote_long_values_short():
    text = '[scene]\nbuiltin = "' + "b" * 200_000 + '"\n'
    with pytest.raises(ScenarioFileError, match="expected one of") as exc:
        loads_scenario(text, load_assets=False)
    assert len(str(exc.value)) < 450                        # measured 161


def test_run_engine_is_deprecated_with_its_file_and_line(full_dir):
    """run.engine chose nothing (only "numba" ever ran): read one release with a warning."""
    text = FULL.replace("threads = 2\n", 'threads = 2\nengine = "numba"\n')
    with pytest.warns(DeprecationWarning, match=r"full.toml line 86: run.engine is deprecated"):
        sc = _load(full_dir, text)
    assert sc.settings.engine is None


def test_observer_range_is_the_deprecated_name_of_max_distance(full_dir):
    """One name per idea: an observer's longest sightline is max_distance, as in Python."""
    new = _load(full_dir)
    old_text = FULL.replace("max_distance = 30.0", "range = 30.0", 1)
    assert old_text != FULL
    with pytest.warns(DeprecationWarning, match=r"full.toml line \d+: observers\[\d\].range is "
                                                 r"deprecated.*write max_distance"):
        old = _load(full_dir, old_text)
    assert old.observers == new.observers
    # a CptedWarning too: the CLI prints it and the report shows it, like every other
    from cpted_sim.errors import CptedWarning, ScenarioDeprecationWarning
    assert issubclass(ScenarioDeprecationWarning, CptedWarning)
    with pytest.warns(ScenarioDeprecationWarning):
        _load(full_dir, old_text)
    both = FULL.replace("max_distance = 30.0", "max_distance = 30.0\nrange = 30.0", 1)
    with pytest.raises(ScenarioFileError, match="give max_distance only"):
        _load(full_dir, both)
