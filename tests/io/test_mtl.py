"""OBJ ``.mtl`` Kd as luminance-weighted reflectance; Scene.with_materials rejects unknown
groups."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim import MeshError, ParameterError, load_scene
from cpted_sim.errors import CptedWarning
from cpted_sim.geometry.scene import Material, Scene
from cpted_sim.io.mtl import kd_reflectance, mtl_reflectances, obj_materials

OBJ = """mtllib walls.mtl
v 0 0 0
v 1 0 0
v 1 1 0
v 0 0 1
usemtl Road
f 1 2 3
usemtl Brick
f 1 2 4
usemtl Glass
f 1 3 4
"""
MTL = """# two materials
newmtl Road
Ka 0.1 0.1 0.1
Kd 0.6 0.6 0.6
newmtl Brick
Kd 0.87 0.26 0.28
"""


def test_kd_is_weighted_by_luminance():
    assert kd_reflectance([1, 0, 0]) == pytest.approx(0.2126)
    assert kd_reflectance([0, 1, 0]) == pytest.approx(0.7152)
    assert kd_reflectance([0.87, 0.26, 0.28]) == pytest.approx(0.2126 * 0.87 + 0.7152 * 0.26
                                                               + 0.0722 * 0.28)


def test_obj_reads_kd_and_scenario_materials_override(tmp_path):
    (tmp_path / "walls.mtl").write_text(MTL)
    (tmp_path / "s.obj").write_text(OBJ)
    with pytest.warns(CptedWarning, match="1 materials have no Kd.*Glass"):
        sc = load_scene(tmp_path / "s.obj")
    refl = dict(zip(np.array(sc.groups)[sc.face_group], sc.reflectance))
    assert refl["Road"] == pytest.approx(0.6)
    assert refl["Brick"] == pytest.approx(0.39113, abs=1e-9)  # .2126*.87+.7152*.26+.0722*.28
    assert refl["Glass"] == pytest.approx(0.2)                  # the default
    over = sc.with_materials({"Brick": Material(reflectance=0.1)})
    assert dict(zip(np.array(over.groups)[over.face_group], over.reflectance))["Brick"] == 0.1


def test_bad_kd_names_file_and_line(tmp_path):
    (tmp_path / "m.mtl").write_text("newmtl A\nKd 0.5 x 0.5\n")
    with pytest.raises(MeshError, match=r"m.mtl line 2"):
        mtl_reflectances(tmp_path / "m.mtl")
    (tmp_path / "m.mtl").write_text("newmtl A\nKd 1.5 0.5 0.5\n")
    with pytest.raises(MeshError, match=r"line 2: Kd of material 'A' must lie in \[0, 1\]"):
        mtl_reflectances(tmp_path / "m.mtl")
    (tmp_path / "o.obj").write_text("mtllib missing.mtl\nv 0 0 0\n")
    with pytest.raises(MeshError, match="missing.mtl"):
        obj_materials(tmp_path / "o.obj")


def test_with_materials_rejects_unknown_groups_with_a_hint():
    sc = Scene.from_arrays([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]], ["window"])
    with pytest.raises(ParameterError, match=r"'windw' \(did you mean 'window'\?\)"):
        sc.with_materials({"windw": Material(0.5)})
    with pytest.raises(ParameterError, match="expected a Material"):
        sc.with_materials({"window": 0.5})
    assert sc.with_materials({"window": Material(0.5)}).reflectance[0] == 0.5


def test_delft_obj_reflectances(shared_data):
    with pytest.warns(CptedWarning, match="2 zero-area faces"):   # README: 28,619 faces
        sc = load_scene(shared_data / "city/delft_3dfier/testarea.obj")
    assert len(sc.materials) == 14                              # README: 14 materials
    assert sc.materials["Road"].reflectance == pytest.approx(0.6)
    assert sc.materials["Terrain"].reflectance == pytest.approx(
        0.2126 * 0.9 + 0.7152 * 0.9 + 0.0722 * 0.75)
