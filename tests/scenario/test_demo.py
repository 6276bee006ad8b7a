"""The demo: its shipped files, its geometry, and variants that move the metrics as designed."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.io.scenario_file import load_scenario
from cpted_sim.photometry import load_photometry
from cpted_sim.photometry.builtin import street_light_optic
from cpted_sim.scenario.compare import compare
from cpted_sim.scenario.demo import (DEMO_IES_FILE, DEMO_OPTIC, demo_scenario_path,
                                     demo_street)


def test_the_shipped_ies_file_is_the_librarys_own_optic():
    # compared as numbers, not bytes: a machine whose last float bits differ rewrites the same
    # 6-digit file, and a tolerance keeps this test from depending on those bits
    shipped = load_photometry(demo_scenario_path().parent / DEMO_IES_FILE)
    fresh = street_light_optic(**DEMO_OPTIC)   # tools/make_demo_data.py writes it
    np.testing.assert_array_equal(shipped.c_angles, fresh.c_angles)
    np.testing.assert_array_equal(shipped.gamma_angles, fresh.gamma_angles)
    # 6 significant digits: relative error <= 5e-6 (measured 4.7e-6 at most)
    np.testing.assert_allclose(shipped.candela, fresh.candela, rtol=5.01e-6, atol=1e-12)
    # flux measured 3.2e-7 off the optic's own
    assert shipped.flux == pytest.approx(fresh.flux, rel=1e-6)
    assert shipped.flux == pytest.approx(DEMO_OPTIC["flux"], rel=1e-6)


def test_demo_geometry_is_modest_and_oriented():
    scene = demo_street()
    assert 100 < scene.n_faces < 5000
    assert {"road", "sidewalk", "path", "house", "window", "hedge", "hedge_top", "blank_wall",
            "underpass"} <= set(scene.groups)
    win = scene.face_normals[scene.group_faces("window")]
    np.testing.assert_allclose(win, np.tile([0.0, -1.0, 0.0], (win.shape[0], 1)), atol=1e-12)
    wall = scene.face_normals[scene.group_faces("blank_wall")]
    np.testing.assert_allclose(wall, np.tile([0.0, 1.0, 0.0], (wall.shape[0], 1)), atol=1e-12)
    ground = scene.face_normals[scene.group_faces(["road", "path"])]
    assert np.all(ground[:, 2] > 0.999)
    short = demo_street(hedge_height=1.0)
    assert "hedge_top" not in short.groups


@pytest.fixture(scope="module")
def demo():
    sc = load_scenario(demo_scenario_path())
    return sc, compare(sc, quiet=True)


def _metric(result, area, name):
    return result.areas[area].metrics[name].value


def test_demo_has_a_problem_to_solve(demo):
    _, cmp = demo
    assert _metric(cmp.base, "side_path", "dark_unseen_area") > 10.0
    assert _metric(cmp.base, "path_route", "longest_unobserved_m") > 10.0
    assert cmp.base.areas["street"].metrics["class_achieved"].label != "none"


def test_variant_b_adds_light_where_it_was_dark(demo):
    _, cmp = demo
    b = cmp.variants[0]
    assert b.variant.startswith("B")
    for area in ("side_path", "path_route"):
        assert _metric(b, area, "E_avg") > _metric(cmp.base, area, "E_avg")
        assert _metric(b, area, "dark_pct") < _metric(cmp.base, area, "dark_pct")
    assert _metric(b, "side_path", "dark_unseen_area") < _metric(cmp.base, "side_path",
                                                                 "dark_unseen_area")
    # light alone does not add eyes
    assert _metric(b, "side_path", "unobserved_pct") == _metric(cmp.base, "side_path",
                                                                "unobserved_pct")


def test_variant_c_opens_views(demo):
    sc, cmp = demo
    c = cmp.variants[1]
    assert c.variant.startswith("C")
    assert c.settings["n_observers"] > cmp.base.settings["n_observers"]
    for area in ("side_path", "path_route"):
        assert _metric(c, area, "unobserved_pct") < _metric(cmp.base, area, "unobserved_pct")
        assert _metric(c, area, "surveillance_mean") > _metric(cmp.base, area, "surveillance_mean")
    assert _metric(c, "path_route", "longest_unobserved_m") < _metric(
        cmp.base, "path_route", "longest_unobserved_m")
    assert _metric(c, "side_path", "dark_unseen_area") < _metric(cmp.base, "side_path",
                                                                 "dark_unseen_area")
    assert sc.variant == "base" and "hedge_top" in cmp.base.scene.groups
    assert c.scene.group_faces("hedge_top").size == 0 < cmp.base.scene.group_faces("hedge_top").size


def test_demo_verdicts(demo):
    _, cmp = demo
    assert set(cmp.verdicts) == {v.variant for v in cmp.variants}
    for name, text in cmp.verdicts.items():
        assert text.startswith(f"Variant {name}: dark and unseen at night")
