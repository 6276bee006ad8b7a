"""Running a scenario: fields checked against closed forms and an independent sightline oracle,
metrics recomputed from the fields."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.geometry.query import occluded
from cpted_sim.geometry.scene import Material, Scene
from cpted_sim.scenario import model as m
from cpted_sim.scenario.run import build_scene, run

I0 = 2000.0  # [cd]
GROUND = m.GeometrySpec(builtin="quads", group="ground",
                        params={"quads": [[[0, 0, 0], [40, 0, 0], [40, 40, 0], [0, 40, 0]]]})
WALL = m.AddGeometry(m.GeometrySpec(builtin="box", group="wall",
                                    params={"min": [9, 14, 0], "max": [10, 26, 3]}))
ISO = m.PhotometrySpec(builtin="isotropic", params={"intensity_cd": I0})

# EN 13201-2:2015 P classes (Ē, E_min) [lx], written out here independently of the library.
P_TABLE = [("P1", 15.0, 3.0), ("P2", 10.0, 2.0), ("P3", 7.5, 1.5), ("P4", 5.0, 1.0),
           ("P5", 3.0, 0.6), ("P6", 2.0, 0.4)]


def _scenario(**kw) -> m.Scenario:
    base = m.Scenario(
        name="square",
        scene=m.SceneSpec(GROUND),
        luminaires=(m.LuminaireSpec("L1", ISO, (20.0, 20.0, 5.0)),),
        areas=(
            m.AreaSpec("square", "en13201", lighting_class="P4",
                       polygon=((4, 4), (36, 4), (36, 36), (4, 36)), spacing=2.0,
                       quantities=("E_h", "surveillance")),
            m.AreaSpec("walk", "route", path=((4, 20), (36, 20)), spacing=1.0,
                       quantities=("E_h", "surveillance")),
        ),
        observers=(m.ObserverSpec("guard", kind="person", points=((5.0, 20.0, 1.6),),
                                  fov=360.0, range=100.0),),
        variants=(m.Variant("walled", (WALL,)),),
    )
    return m.Scenario(**{**m.spec_fields(base), **kw})


@pytest.fixture(scope="module")
def walled():
    sc = _scenario()
    return sc.apply("walled"), run(sc.apply("walled"), quiet=True)


def test_horizontal_illuminance_matches_the_inverse_square_cosine_law():
    sc = _scenario(areas=(m.AreaSpec("g", "grid", polygon=((10, 10), (30, 10), (30, 30), (10, 30)),
                                     spacing=2.0, quantities=("E_h",)),))
    res = run(sc, quiet=True)
    area = res.areas["g"]
    p = area.grid.points
    d = p - np.array([20.0, 20.0, 5.0])
    r = np.linalg.norm(d, axis=1)
    expected = 0.8 * I0 * 5.0 / r ** 3          # maintenance factor 0.8 (the default)
    np.testing.assert_allclose(area.fields["E_h"].values, expected, rtol=1e-6)
    assert area.fields["E_h"].unit == "lx"
    assert res.variant == "base" and res.scenario_name == "square" and res.elapsed_s > 0
    assert len(res.luminaires) == 1 and res.luminaires[0].name == "L1"


def test_unobserved_points_agree_with_an_independent_sightline_check(walled):
    sc, res = walled
    scene = build_scene(sc)
    for name in ("square", "walk"):
        area = res.areas[name]
        eye = np.array([5.0, 20.0, 1.6])
        tg = area.grid.points + np.array([0.0, 0.0, sc.thresholds.target_height])
        blocked = occluded(scene, np.repeat(eye[None], tg.shape[0], axis=0), tg)
        np.testing.assert_array_equal(area.fields["unobserved"].values > 0.5, blocked)
        assert 0 < blocked.sum() < blocked.size   # the wall hides some points, not all


def test_metric_table_values_recomputed_from_the_fields(walled):
    sc, res = walled
    sq = res.areas["square"]
    e = sq.fields["E_h"].values
    met = {k: v.value for k, v in sq.metrics.items()}
    assert met["E_avg"] == pytest.approx(e.mean())
    assert met["E_min"] == pytest.approx(e.min())
    assert met["U0"] == pytest.approx(e.min() / e.mean())
    dark = e < 1.0                                   # P4: E_min = 1 lx
    unseen = sq.fields["surveillance_weight"].values < 1.0
    assert met["dark_pct"] == pytest.approx(100 * dark.mean())
    assert met["unobserved_pct"] == pytest.approx(100 * unseen.mean())
    assert met["dark_unseen_pct"] == pytest.approx(100 * (dark & unseen).mean())
    assert met["dark_unseen_area"] == pytest.approx(4.0 * (dark & unseen).sum())  # 2 m cells
    assert met["surveillance_mean"] == pytest.approx(sq.fields["surveillance_count"].values.mean())
    best = next((c for c, ea, em in P_TABLE if e.mean() >= ea and e.min() >= em), None)
    assert sq.metrics["class_achieved"].label == (best or "none")
    assert sq.metrics["class_achieved"].unit == "class"
    assert {k: v.unit for k, v in sq.metrics.items()}["dark_unseen_area"] == "m2"
    walk = res.areas["walk"]
    u = walk.fields["unobserved"].values > 0.5
    longest, run_len = 0, 0
    for flag in u:
        run_len = run_len + 1 if flag else 0
        longest = max(longest, run_len)
    assert walk.metrics["longest_unobserved_m"].value == pytest.approx(longest * 1.0)
    assert walk.metrics["longest_unobserved_m"].unit == "m"
    assert longest > 0


def test_variants_move_the_metrics_the_way_their_design_implies(walled):
    _, res_wall = walled
    base = run(_scenario(), quiet=True)
    brighter = run(_scenario(luminaires=(m.LuminaireSpec("L1", ISO, (20.0, 20.0, 5.0),
                                                         flux_scale=2.0),)), quiet=True)
    e0 = base.areas["square"].metrics["E_avg"].value
    assert brighter.areas["square"].metrics["E_avg"].value == pytest.approx(2 * e0)
    assert res_wall.areas["square"].metrics["unobserved_pct"].value > \
        base.areas["square"].metrics["unobserved_pct"].value


def test_dark_threshold_comes_from_the_class_the_area_or_the_thresholds():
    sc = _scenario(areas=(
        m.AreaSpec("classed", "en13201", lighting_class="P2",
                   polygon=((0, 0), (40, 0), (40, 40), (0, 40)), spacing=4.0, quantities=("E_h",)),
        m.AreaSpec("own", "grid", polygon=((0, 0), (40, 0), (40, 40), (0, 40)), spacing=4.0,
                   quantities=("E_h",), dark_lx=3.0),
        m.AreaSpec("default", "grid", polygon=((0, 0), (40, 0), (40, 40), (0, 40)), spacing=4.0,
                   quantities=("E_h",)),
    ), thresholds=m.Thresholds(dark_lx=0.5))
    res = run(sc, quiet=True)
    for name, thr in (("classed", 2.0), ("own", 3.0), ("default", 0.5)):
        a = res.areas[name]
        np.testing.assert_array_equal(a.fields["dark"].values, a.fields["E_h"].values < thr)


def test_build_scene_adds_removes_and_colours_groups():
    sc = _scenario(materials={"wall": Material(0.5, 0.0, 0.3, ("wall",))})
    walled = build_scene(sc.apply("walled"))
    assert set(walled.groups) == {"ground", "wall"} and walled.n_faces == 2 + 12
    assert walled.tagged_groups("wall") == ["wall"]
    assert np.isclose(walled.sight_transmittance[walled.group_faces("wall")], 0.3).all()
    back = build_scene(m.Variant("x", (m.RemoveGeometry(("wall",)),)).apply(sc.apply("walled")))
    assert back.n_faces == 2
    with pytest.raises(ParameterError, match="groups \\['hedge'\\] are not in the scene"):
        build_scene(m.Variant("x", (m.RemoveGeometry(("hedge",)),)).apply(sc))


def test_a_mesh_scene_comes_from_the_assets():
    mesh = Scene.from_arrays([[0, 0, 0], [40, 0, 0], [40, 40, 0], [0, 40, 0]],
                             [[0, 1, 2], [0, 2, 3]], ["paving", "paving"])
    spec = m.SceneSpec(m.GeometrySpec(mesh="/data/square.obj"))
    sc = _scenario(scene=spec)
    with pytest.raises(ParameterError, match="is not loaded"):
        build_scene(sc)
    sc = m.Scenario(**{**m.spec_fields(sc), "assets": {"/data/square.obj": mesh}})
    assert build_scene(sc).groups == ("paving",)


def test_run_refuses_what_is_not_a_scenario():
    with pytest.raises(ParameterError, match="expected a Scenario"):
        run("street.toml")


def _write_obj(scene: Scene, path) -> None:
    """A minimal OBJ writer: one ``usemtl`` block per group (world coordinates)."""
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in scene.to_world(scene.vertices)]
    for g, name in enumerate(scene.groups):
        lines.append(f"usemtl {name}")
        lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in scene.faces[scene.face_group == g]]
    path.write_text("\n".join(lines) + "\n")


def test_from_a_mesh_file_to_a_comparison(tmp_path):
    from cpted_sim.io.scenario_file import load_scenario
    from cpted_sim.scenario.compare import compare
    from cpted_sim.scenario.demo import demo_street

    _write_obj(demo_street(), tmp_path / "street.obj")
    (tmp_path / "street.toml").write_text('''
name = "from OBJ"
[scene]
mesh = "street.obj"
epsg = 28992
[materials]
window = { tags = ["window"] }
[[luminaires]]
name = "L1"
photometry = { builtin = "street_light_optic", flux = 6000.0 }
position = [40.0, -1.0, 6.0]
[[areas]]
name = "path"
kind = "grid"
polygon = [[20, -5.5], [60, -5.5], [60, -3.5], [20, -3.5]]
quantities = ["E_h", "surveillance"]
[[observers]]
name = "windows"
tag = "window"
[[variants]]
name = "trimmed"
[[variants.changes]]
op = "remove_geometry"
groups = ["hedge_top"]
''')
    sc = load_scenario(tmp_path / "street.toml")
    mesh_path = str((tmp_path / "street.obj").resolve())
    assert sc.scene.geometry.mesh == mesh_path and mesh_path in sc.assets
    cmp = compare(sc, quiet=True)
    assert cmp.base.scene.n_faces == demo_street().n_faces and cmp.base.scene.epsg == 28992
    trimmed = cmp.metric("trimmed", "path", "unobserved_pct")
    assert trimmed["delta"] < 0
    bad = (tmp_path / "street.toml").read_text().replace('"street.obj"', '"nope.obj"')
    (tmp_path / "bad.toml").write_text(bad)
    from cpted_sim.errors import ScenarioFileError

    with pytest.raises(ScenarioFileError, match="scene.mesh.*file not found: nope.obj"):
        load_scenario(tmp_path / "bad.toml")


def test_night_surveillance_needs_light_at_the_face():
    areas = (m.AreaSpec("g", "grid", polygon=((4, 4), (36, 4), (36, 36), (4, 36)), spacing=4.0,
                        quantities=("night_surveillance",)),)
    day_and_night = {}
    for lx in (0.0, 1e9):
        res = run(_scenario(areas=areas, thresholds=m.Thresholds(night_lit_lx=lx)), quiet=True)
        f = res.areas["g"].fields
        day_and_night[lx] = (f["surveillance_count"].values, f["night_surveillance_count"].values)
    day, night = day_and_night[0.0]
    assert day.sum() > 0
    np.testing.assert_allclose(night, day)                  # no light needed: seen = seen
    assert not day_and_night[1e9][1].any()                  # unreachable light: nobody at night
    default = run(_scenario(areas=areas), quiet=True).areas["g"]
    n = default.fields["night_surveillance_count"].values
    assert np.all(n <= day + 1e-12) and 0 < n.sum() < day.sum()
    assert "night_surveyed_pct" in default.metrics


def test_only_the_numba_engine_runs():
    with pytest.raises(ParameterError, match="run.engine"):
        m.RunSettings(engine="embree")


def test_run_engine_is_deprecated():
    """run.engine chose nothing (only "numba" runs): accepted one release with a warning."""
    with pytest.warns(DeprecationWarning, match="run.engine is deprecated"):
        s = m.RunSettings(engine="numba")
    assert s.engine == "numba"
    assert m.RunSettings().engine is None


@pytest.mark.parametrize("builtin,params,group", [
    ("ground_plane", {"size": 30.0}, "ground"),
    ("street_canyon", {"length": 30.0}, "window"),
    ("district", {"target_triangles": 3000, "seed": 1}, "window"),
    ("demo_street", {"length": 80.0}, "hedge_top"),
])
def test_builtin_scenes_build(builtin, params, group):
    sc = _scenario(scene=m.SceneSpec(m.GeometrySpec(builtin=builtin, params=params), epsg=2056))
    scene = build_scene(sc)
    assert group in scene.groups and scene.group_faces(group).size > 0 and scene.epsg == 2056
    bad = _scenario(scene=m.SceneSpec(m.GeometrySpec(builtin=builtin, params={"colour": 1})))
    with pytest.raises(ParameterError, match=f"builtin scene '{builtin}': bad params"):
        build_scene(bad)


def test_isovist_area_of_an_open_square_is_the_ray_fan_polygon():
    areas = (m.AreaSpec("g", "grid", polygon=((10, 10), (30, 10), (30, 30), (10, 30)),
                        spacing=10.0, quantities=("isovist",)),)
    res = run(_scenario(areas=areas, settings=m.RunSettings(max_distance=60.0)), quiet=True)
    iso = res.areas["g"].fields["isovist_area"]
    n = 360
    expected = 0.5 * n * 60.0 ** 2 * np.sin(2 * np.pi / n)     # nothing stands above the ground
    np.testing.assert_allclose(iso.values, expected, rtol=1e-9)
    assert iso.unit == "m2"


def test_too_many_threads_is_a_clear_error():
    import numba

    with pytest.raises(ParameterError, match="run.threads"):
        run(_scenario(settings=m.RunSettings(threads=numba.config.NUMBA_NUM_THREADS + 1)),
            quiet=True)


def test_bounces_add_the_light_a_bright_wall_reflects():
    areas = (m.AreaSpec("g", "grid", polygon=((12, 14), (18, 14), (18, 26), (12, 26)),
                        spacing=2.0, quantities=("E_h",)),)
    sc = _scenario(areas=areas, materials={"wall": Material(0.8), "ground": Material(0.0)})
    sc = sc.apply("walled")                     # a wall at x = 9..10 beside the grid
    direct = run(sc, quiet=True).areas["g"].fields["E_h"].values
    bounced_sc = m.Scenario(**{**m.spec_fields(sc), "settings": m.RunSettings(bounces=1)})
    res = run(bounced_sc, quiet=True)
    total = res.areas["g"].fields["E_h"].values
    assert res.settings["bounces"] == 1
    assert np.all(total >= direct - 1e-9) and total.mean() > direct.mean() * 1.001
    with pytest.raises(ParameterError, match="run.bounces"):
        m.RunSettings(bounces=-1)


def test_material_of_a_group_only_a_variant_adds_is_kept_and_a_misspelt_one_stops():
    from dataclasses import replace as _replace

    from cpted_sim.errors import ParameterError as _ParameterError
    from cpted_sim.io.scenario_file import load_scenario as _load
    from cpted_sim.scenario.demo import demo_scenario_path
    from cpted_sim.scenario.run import build_scene as _build

    sc = _load(demo_scenario_path())
    assert "new_window" in sc.variant_groups()
    assert "new_window" not in _build(sc).groups          # base: deferred, no error
    added = [v for v in sc.all_variants() if "new_window" in _build(v).groups]
    assert added and all(_build(v).materials["new_window"].reflectance == pytest.approx(0.10)
                         for v in added)
    bad = _replace(sc, materials={**sc.materials, "windw": sc.materials["new_window"]})
    with pytest.raises(_ParameterError, match="windw"):
        _build(bad)
