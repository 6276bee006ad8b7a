"""io.preflight: the EPSG code against PROJ (or a note without pyproj), the output folder,
and every scenario of a command, before computing."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from cpted_sim.errors import OutputFolderError, ParameterError
from cpted_sim.io.preflight import check_epsg, preflight
from cpted_sim.scenario import model as m


def _scenario(epsg=None, area="plaza"):
    return m.Scenario("yard", m.SceneSpec(m.GeometrySpec(builtin="ground_plane"), epsg=epsg),
                      areas=(m.AreaSpec(area, "grid", polygon=((0, 0), (4, 0), (4, 4), (0, 4)),
                                        quantities=("E_h",)),))


def test_epsg_known_unknown_and_without_pyproj(monkeypatch):
    pytest.importorskip("pyproj", reason="the EPSG check needs pyproj (gis extra)")
    assert check_epsg(28992) is None and check_epsg(None) is None
    with pytest.raises(ParameterError, match="scene.epsg = 999999: PROJ knows no such EPSG"):
        check_epsg(999999)
    monkeypatch.setitem(sys.modules, "pyproj", None)  # as if the gis extra were missing
    note = check_epsg(999999)
    assert "not checked against PROJ (pyproj is not installed" in note
    assert preflight([_scenario(epsg=999999)]) == [
        "scenario 'yard' scene.epsg = 999999: " + note.split(": ", 1)[1]]


def test_preflight_checks_every_scenario_and_the_folder(tmp_path):
    base = _scenario()
    assert preflight([base], tmp_path / "out") == []
    with pytest.raises(ParameterError, match="variant names: 'base' is given twice"):
        preflight([base, base])
    bad = replace(_scenario(area="a/b"), variant="V")
    with pytest.raises(ParameterError, match=r"areas\[0\]\.name 'a/b'"):
        preflight([base, bad])
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("x")
    with pytest.raises(OutputFolderError, match="not written by cpted_sim"):
        preflight([base], tmp_path / "theirs")
