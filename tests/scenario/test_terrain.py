"""Terrain and the no-silent-traps checks of a scenario run (scenario/terrain.py): heights follow
the walkable surface, and each trap is an error naming the item or a CptedWarning with counts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _scene_parts import box, scene_from_parts

from cpted_sim.errors import CptedWarning, ParameterError
from cpted_sim.geometry.scene import Material, Scene
from cpted_sim.scenario import model as m
from cpted_sim.scenario.run import run
from cpted_sim.scenario.terrain import check_crs

MESH = "/virtual/street.obj"      # served from Scenario.assets: a mesh scene, no file needed
ISO = m.PhotometrySpec(builtin="isotropic", params={"intensity_cd": 1000.0})


def _quad(p):
    return np.asarray(p, dtype=np.float64), np.array([[0, 1, 2], [0, 2, 3]])


def _scene() -> Scene:
    """Road at 0.1 m (x 0..20), pavement 0.3 m (x 20..30), a house (x 24..28, y 4..8, 6 m)
    with a window facing the road on its west wall."""
    parts = [("road", *_quad([[0, 0, 0.1], [20, 0, 0.1], [20, 20, 0.1], [0, 20, 0.1]])),
             ("pavement", *_quad([[20, 0, 0.3], [30, 0, 0.3], [30, 20, 0.3], [20, 20, 0.3]])),
             ("house", *box((24, 4, 0.3), (28, 8, 6.0))),
             ("window", *_quad([[23.98, 7, 2], [23.98, 5, 2], [23.98, 5, 3], [23.98, 7, 3]]))]
    return scene_from_parts(parts, name="street")


SCENE = _scene()
WINDOW = {"window": Material(reflectance=0.1, tags=("window",))}


def _scenario(areas=(), observers=(), luminaires=None, materials=None, walkable=None,
              mesh=True) -> m.Scenario:
    geo = (m.GeometrySpec(mesh=MESH) if mesh else
           m.GeometrySpec(builtin="quads", group="road",
                          params={"quads": [[[0, 0, 0.1], [20, 0, 0.1], [20, 20, 0.1],
                                             [0, 20, 0.1]]]}))
    return m.Scenario(
        name="street", scene=m.SceneSpec(geo, walkable=walkable),
        materials=WINDOW if materials is None else materials,
        luminaires=(m.LuminaireSpec("L1", ISO, (10.0, 10.0, 6.0)),) if luminaires is None
        else luminaires,
        areas=areas, observers=observers, assets={MESH: SCENE})


def _grid(name="g", polygon=((0, 0), (30, 0), (30, 20), (0, 20)), **kw):
    # 2 m cells: points at odd x, y; 4 of the 150 in the house's plan
    return m.AreaSpec(name, "grid", polygon=polygon, spacing=2.0, quantities=("E_h",), **kw)


def _run(sc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        return run(sc, quiet=True)


# ---------------------------------------------------------------------------- heights
def test_a_mesh_scene_puts_grids_on_the_surface_by_default():
    res = _run(_scenario((_grid(),), walkable=["road", "pavement"]))
    g = res.areas["g"].grid.points
    assert g.shape[0] == 150 - 4
    np.testing.assert_allclose(g[:, 2], np.where(g[:, 0] < 20, 0.1, 0.3), atol=1e-9)
    # the house's plan, (25|27) x (5|7): draped on its floor, inside it, left out
    assert res.areas["g"].excluded == 4


def test_builtin_scenes_keep_absolute_heights():
    res = _run(_scenario((_grid(polygon=((1, 1), (19, 1), (19, 19), (1, 19)), height=0.5),),
                         mesh=False, materials={}))
    np.testing.assert_allclose(res.areas["g"].grid.points[:, 2], 0.5)


def test_route_and_observer_path_follow_the_surface():
    sc = _scenario((m.AreaSpec("walk", "route", path=((2, 2), (29, 2)), spacing=1.0,
                               quantities=("E_h",), height=0.0),),
                   (m.ObserverSpec("walkers", kind="path", path=((2, 12), (29, 12)),
                                   spacing=3.0, fov=360.0),))
    res = _run(sc)
    p = res.areas["walk"].grid.points
    np.testing.assert_allclose(p[:, 2], np.where(p[:, 0] < 20, 0.1, 0.3), atol=1e-9)
    from cpted_sim.scenario.run import build_observers, build_scene

    obs = build_observers(sc, build_scene(sc))
    x = obs.positions[:, 0]
    np.testing.assert_allclose(obs.positions[:, 2], np.where(x < 20, 0.1, 0.3) + 1.6, atol=1e-9)


# ---------------------------------------------------------------------------- traps
def test_grid_below_the_surface_warns_with_counts():
    sc = _scenario((_grid(height_reference="absolute", height=0.0),))
    with pytest.warns(CptedWarning, match=r"area 'g': 150 of 150 \(100 %\) points lie below the "
                                          r"walkable surface"):
        run(sc, quiet=True)


def test_grid_points_inside_buildings_are_left_out_and_counted():
    sc = _scenario((_grid(height_reference="absolute", height=1.0),))
    with pytest.warns(CptedWarning, match=r"area 'g': 4 of 150 \(3 %\) points lie inside "
                                          r"buildings; they are left out of the statistics"):
        res = run(sc, quiet=True)
    assert res.areas["g"].excluded == 4
    assert res.areas["g"].grid.n_points == 146
    assert any("inside buildings" in w for w in res.warnings)


def test_observers_inside_buildings_or_below_the_surface_are_left_out():
    obs = (m.ObserverSpec("eyes", kind="person", fov=360.0,
                          points=((26.0, 6.0, 2.0), (10.0, 10.0, -1.0), (10.0, 12.0, 1.6))),)
    sc = _scenario((m.AreaSpec("g", "grid", polygon=((1, 1), (19, 1), (19, 19), (1, 19)),
                               spacing=3.0, quantities=("surveillance",)),), obs)
    with pytest.warns(CptedWarning) as rec:
        res = run(sc, quiet=True)
    msgs = [str(w.message) for w in rec]
    assert any("1 of 3 (33 %) eyes lie inside buildings" in t for t in msgs), msgs
    assert any("1 of 3 (33 %) eyes lie below the walkable surface" in t for t in msgs), msgs
    assert res.settings["n_observers"] == 1


def test_a_misspelt_tag_is_an_error_with_the_scenes_tags():
    area = m.AreaSpec("g", "grid", polygon=((1, 1), (19, 1), (19, 19), (1, 19)), spacing=3.0,
                      quantities=("surveillance",))
    sc = _scenario((area,), (m.ObserverSpec("w", tag="windw"),))
    with pytest.raises(ParameterError, match=r"observers 'w': tag 'windw' matches no material "
                                             r"\(did you mean 'window'\?\); the scene's tags: "
                                             r"\['window'\]"):
        run(sc, quiet=True)


def test_unknown_groups_and_materials_are_errors_with_a_suggestion():
    area = m.AreaSpec("g", "grid", polygon=((1, 1), (19, 1), (19, 19), (1, 19)), spacing=3.0,
                      quantities=("surveillance",))
    with pytest.raises(ParameterError, match=r"observers 'o': group 'hous' is not in the scene "
                                             r"\(did you mean 'house'\?\)"):
        run(_scenario((area,), (m.ObserverSpec("o", groups=("hous",)),)), quiet=True)
    # (Scene.with_materials may say it first, in its own words)
    with pytest.raises(ParameterError, match=r"materials: .*'windows'.* \(did you mean "
                                             r"'window'\?\)"):
        run(_scenario((area,), materials={"windows": Material(0.1)}), quiet=True)
    with pytest.raises(ParameterError, match=r"scene.walkable: group 'rod' is not in the scene"):
        run(_scenario((area,), walkable=["rod"]), quiet=True)


def test_luminaire_inside_or_just_behind_a_surface_warns():
    lums = (m.LuminaireSpec("in_house", ISO, (26.0, 6.0, 3.0)),
            m.LuminaireSpec("under_road", ISO, (10.0, 10.0, 0.07)),      # 3 cm below it
            m.LuminaireSpec("behind_window", ISO, (23.99, 6.0, 2.5)),    # 1 cm behind
            m.LuminaireSpec("at_window", ISO, (23.95, 6.0, 2.5)),        # 3 cm in front
            m.LuminaireSpec("ok", ISO, (10.0, 10.0, 6.0)))
    sc = _scenario((_grid(),), luminaires=lums)
    with pytest.warns(CptedWarning) as rec:
        run(sc, quiet=True)
    msgs = " | ".join(str(w.message) for w in rec)
    assert "luminaires: 1 of 5 centres lie inside buildings, their light is blocked: " \
           "['in_house']" in msgs
    assert "luminaires: 1 of 5 centres lie below the walkable surface, their light is " \
           "blocked: ['under_road']" in msgs
    assert "luminaires: 1 of 5 centres lie within 5 cm behind a surface, their light is " \
           "blocked on that side: ['behind_window']" in msgs


def test_area_outside_the_scene_warns_or_stops():
    part = _grid(polygon=((10, 10), (40, 10), (40, 19), (10, 19)))
    with pytest.warns(CptedWarning, match=r"area 'g': 2 of 4 \(50 %\) vertices lie outside "
                                          r"the scene's bounding box"):
        run(_scenario((part,)), quiet=True)
    away = _grid(polygon=((100, 100), (140, 100), (140, 119)))
    with pytest.raises(ParameterError, match=r"area 'g' lies outside the scene: .*check the "
                                             r"coordinates and the CRS"):
        run(_scenario((away,)), quiet=True)


def test_layers_in_different_crss_need_a_scene_crs():
    assert check_crs({"roads": 28992, "poles": 28992}, None) == 28992
    assert check_crs({"roads": 28992, "route": 4326}, 28992) == 28992
    with pytest.raises(ParameterError, match=r"layers in different CRSs .*EPSG:4326"):
        check_crs({"roads": 28992, "route": 4326}, None)
    with pytest.warns(CptedWarning, match=r"1 layers state no CRS and are taken as EPSG:28992: "
                                          r"\['poles'\]"):
        check_crs({"roads": 28992, "poles": None}, None)


def test_the_run_collects_its_warnings_once_each():
    sc = _scenario((_grid(height_reference="absolute", height=0.0),
                    _grid("h", height_reference="absolute", height=1.0)))
    res = _run(sc)
    assert len(res.warnings) == 2                        # below (g), inside (h)
    assert len(set(res.warnings)) == len(res.warnings)
    assert res.warnings[0].startswith("area 'g': 150 of 150 (100 %) points lie below")
    clean = _run(_scenario((_grid(polygon=((1, 1), (19, 1), (19, 19), (1, 19))),)))
    assert clean.warnings == ()


def test_observers_on_roofs_looking_up_warn():
    # the road's faces as "openings": one eye 0.1 m above, looking straight up
    area = m.AreaSpec("g", "grid", polygon=((1, 1), (19, 1), (19, 19), (1, 19)), spacing=3.0,
                      quantities=("surveillance",))
    with pytest.warns(CptedWarning, match=r"observers: 1 of 2 \(50 %\) eyes look up or down "
                                          r"\(faces of roofs or floors\?\)"):
        run(_scenario((area,), (m.ObserverSpec("roofs", groups=("road",)),
                                m.ObserverSpec("w", tag="window"))), quiet=True)


def test_a_tag_when_no_material_has_tags_says_how_to_give_them():
    area = m.AreaSpec("g", "grid", polygon=((1, 1), (19, 1), (19, 19), (1, 19)), spacing=3.0,
                      quantities=("surveillance",))
    with pytest.raises(ParameterError, match=r"tag 'window' matches no material; no material of "
                                             r"the scene has tags; give \[materials.<group>\]"):
        run(_scenario((area,), (m.ObserverSpec("w", tag="window"),), materials={}), quiet=True)


def test_points_draped_onto_a_roof_over_a_hole_in_the_terrain_warn():
    v = np.array([[0, 0, 0.1], [20, 0, 0.1], [20, 20, 0.1], [0, 20, 0.1],
                  [24, 0, 6.0], [30, 0, 6.0], [30, 20, 6.0], [24, 20, 6.0]], dtype=np.float64)
    f = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    scene = Scene.from_arrays(v, f, np.array(["ground"] * 2 + ["roof"] * 2),
                              origin=(0.0, 0.0, 0.0))
    sc = m.Scenario(name="hole", scene=m.SceneSpec(m.GeometrySpec(mesh=MESH)),
                    luminaires=(m.LuminaireSpec("L1", ISO, (10.0, 10.0, 8.0)),),
                    areas=(_grid(),), assets={MESH: scene})
    with pytest.warns(CptedWarning) as rec:
        run(sc, quiet=True)
    msgs = " | ".join(str(w.message) for w in rec)
    assert "area 'g': 30 of 130 (23 %) points lie on surfaces more than 2.5 m above the " \
           "area's median (roofs over a hole in the terrain?)" in msgs, msgs
    assert "grid 'g': 20 of 150 points have no walkable surface below" in msgs


def test_concealment_routes_follow_the_surface():
    from cpted_sim.scenario.terrain import route_polyline

    area = m.AreaSpec("walk", "route", path=((2, 2), (29, 2)), spacing=1.0)
    line = route_polyline(area, SCENE, _scenario((area,)))
    assert line.shape == (28, 3)
    np.testing.assert_allclose(line[:, 2], np.where(line[:, 0] <= 20, 0.1, 0.3), atol=1e-9)
    flat = route_polyline(area, SCENE, _scenario((area,), mesh=False))
    assert flat.shape == (2, 2)


def test_the_demo_runs_without_warnings():
    from cpted_sim.io.scenario_file import load_scenario
    from cpted_sim.scenario.demo import demo_scenario_path

    sc = load_scenario(demo_scenario_path())
    with warnings.catch_warnings():
        warnings.simplefilter("error", CptedWarning)
        res = run(sc, quiet=True)
    assert res.warnings == () and all(a.excluded == 0 for a in res.areas.values())


def test_strict_run_raises_on_warnings():
    from cpted_sim.errors import StrictWarningsError

    sc = _scenario((_grid(height_reference="absolute", height=0.0),))
    with pytest.raises(StrictWarningsError, match=r"strict: 1 warnings \(first: area 'g': 150 "
                                                  r"of 150"):
        run(sc, quiet=True, strict=True)
    assert run(_scenario((_grid(),), walkable=["road", "pavement"]), quiet=True,
               strict=False).areas["g"].excluded == 4


def test_pole_feet_stand_on_the_surface():
    from cpted_sim.scenario.run import build_luminaires

    lums = (m.LuminaireSpec("road", ISO, (10.0, 10.0, 6.0), height_reference="surface"),
            m.LuminaireSpec("pavement", ISO, (22.0, 2.0, 5.0), height_reference="surface"),
            m.LuminaireSpec("fixed", ISO, (10.0, 12.0, 6.0)))
    sc = _scenario((_grid(),), luminaires=lums, walkable=["road", "pavement"])
    z = [lum.position[2] for lum in build_luminaires(sc)]
    np.testing.assert_allclose(z, [6.1, 5.3, 6.0], atol=1e-9)
    res = _run(sc)
    np.testing.assert_allclose([lum.position[2] for lum in res.luminaires], [6.1, 5.3, 6.0],
                               atol=1e-9)
    off = (m.LuminaireSpec("off", ISO, (50.0, 10.0, 6.0), height_reference="surface"),)
    with pytest.raises(ParameterError, match=r"luminaires \['off'\]: no walkable surface under "
                                             r"the pole"):
        build_luminaires(_scenario((_grid(),), luminaires=off))
