"""Scenario files name only files inside their own folder (unless the user allows otherwise),
only regular files, and survive hostile nesting with a ScenarioFileError."""

from __future__ import annotations

import os
import textwrap

import pytest

from cpted_sim.cli import build_parser, main
from cpted_sim.errors import ScenarioFileError
from cpted_sim.io.scenario_file import load_scenario, loads_scenario

BASE = textwrap.dedent('''\
    [scene]
    mesh = "street.obj"

    [[luminaires]]
    name = "L1"
    photometry = "lamp.ies"
    position = [0.0, 0.0, 6.0]

    [[variants]]
    name = "B"

    [[variants.changes]]
    op = "add_luminaire"
    name = "L2"
    photometry = "lamp.ies"
    position = [5.0, 0.0, 6.0]

    [[variants.changes]]
    op = "replace_photometry"
    name = "L1"
    photometry = "lamp.ies"

    [[variants.changes]]
    op = "add_geometry"
    mesh = "street.obj"
    group = "extra"
    ''')


@pytest.fixture
def project(tmp_path):
    """``tmp_path/project`` with the scenario's files; outside files one folder up."""
    d = tmp_path / "project"
    d.mkdir()
    for folder in (d, tmp_path):
        (folder / "street.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        (folder / "lamp.ies").write_text("stand-in, not parsed with load_assets=False\n")
    (d / "sub").mkdir()
    (d / "out_link.ies").symlink_to(tmp_path / "lamp.ies")
    (d / "zero.obj").symlink_to("/dev/zero")
    os.mkfifo(d / "pipe.ies")
    return d


def _load(d, text, **kw):
    (d / "s.toml").write_text(text, encoding="utf-8")
    return loads_scenario(text, path=d / "s.toml", load_assets=False, **kw)


def _swap(text: str, nth: int, old: str, new: str) -> str:
    """``text`` with the ``nth`` (0-based) occurrence of ``old`` replaced by ``new``."""
    parts = text.split(old)
    assert len(parts) > nth + 1
    return old.join(parts[:nth + 1]) + new + old.join(parts[nth + 1:])


def test_the_base_file_loads(project):
    sc = _load(project, BASE)
    assert sc.scene.geometry.mesh == str(project / "street.obj")


OUTSIDE = [
    # (occurrence of the value, replacement, key named by the error)
    (("street.obj", 0), "../street.obj", "scene.mesh"),
    (("lamp.ies", 0), "{outside}/lamp.ies", "luminaires[0].photometry"),
    (("lamp.ies", 1), "out_link.ies", "variants[0].changes[0].photometry"),
    (("lamp.ies", 2), "sub/../../lamp.ies", "variants[0].changes[1].photometry"),
    (("street.obj", 1), "/proc/self/environ", "variants[0].changes[2].mesh"),
    (("street.obj", 0), "zero.obj", "scene.mesh"),
]


@pytest.mark.parametrize("where, bad, key", OUTSIDE, ids=[c[2] + ":" + c[1] for c in OUTSIDE])
def test_paths_outside_the_folder_are_refused(project, where, bad, key):
    bad = bad.format(outside=project.parent)
    text = _swap(BASE, where[1], where[0], bad)
    with pytest.raises(ScenarioFileError, match="outside the scenario's folder") as info:
        _load(project, text)
    err = info.value
    assert err.key == key and repr(bad) in str(err)
    assert "allow_outside_files=True" in str(err) and "--allow-outside-files" in str(err)


def test_allowing_outside_files_accepts_regular_files_only(project):
    text = _swap(BASE, 0, "lamp.ies", f"{project.parent}/lamp.ies")
    text = _swap(text, 0, "street.obj", "../street.obj")
    sc = _load(project, text, allow_outside_files=True)
    assert sc.luminaires[0].photometry.file == str(project.parent / "lamp.ies")
    assert sc.scene.geometry.mesh == str(project.parent / "street.obj")
    for bad in ("zero.obj", "/dev/zero", "pipe.ies"):
        with pytest.raises(ScenarioFileError, match="not a regular file") as info:
            _load(project, _swap(BASE, 0, "street.obj", bad), allow_outside_files=True)
        assert info.value.key == "scene.mesh"


def test_a_fifo_inside_the_folder_is_refused(project):
    with pytest.raises(ScenarioFileError, match="not a regular file") as info:
        _load(project, _swap(BASE, 1, "lamp.ies", "pipe.ies"))
    assert info.value.key == "variants[0].changes[0].photometry"


def test_load_scenario_passes_the_permission_on(project):
    p = project / "s.toml"
    p.write_text(_swap(BASE, 0, "lamp.ies", "../lamp.ies"), encoding="utf-8")
    with pytest.raises(ScenarioFileError, match="outside the scenario's folder"):
        load_scenario(p)
    with pytest.raises(ScenarioFileError, match="cannot load lamp.ies"):  # allowed, then parsed
        load_scenario(p, allow_outside_files=True)


def test_the_scenario_file_itself_must_be_regular_and_utf8(project):
    os.mkfifo(project / "pipe.toml")
    with pytest.raises(ScenarioFileError, match="not a regular file"):
        load_scenario(project / "pipe.toml")
    (project / "latin.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioFileError, match="not UTF-8 text"):
        load_scenario(project / "latin.toml")


@pytest.mark.parametrize("text", [
    "a = " + "[" * 10_000,
    "a = " + "[" * 10_000 + "]" * 10_000,
    "a = " + "{ b = " * 5_000 + "1" + " }" * 5_000,
    "[scene]\norigin = " + "[" * 2_000 + "]" * 2_000,
])
def test_deep_nesting_is_a_scenario_file_error(tmp_path, text):
    with pytest.raises(ScenarioFileError, match="nested too deeply|invalid TOML|expected"):
        loads_scenario(text, path=tmp_path / "deep.toml", load_assets=False)


def test_cli_flag_reaches_the_loader(project, capsys):
    p = project / "s.toml"
    p.write_text(_swap(BASE, 0, "street.obj", "../street.obj"), encoding="utf-8")
    assert main(["run", str(p), "--out", str(project / "out")]) == 2
    assert "--allow-outside-files" in capsys.readouterr().err
    parser = build_parser()
    for argv in (["run", str(p), "--out", "o", "--allow-outside-files"],
                 ["compare", str(p), str(p), "--out", "o", "--allow-outside-files"]):
        assert parser.parse_args(argv).allow_outside_files is True
    assert parser.parse_args(["run", str(p), "--out", "o"]).allow_outside_files is False
