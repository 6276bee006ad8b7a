"""Candidate measures at a place, tested as variants (cpted_sim.triage.measures)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.geometry.scene import Material
from cpted_sim.scenario import model as m
from cpted_sim.scenario.run import build_scene
from cpted_sim.triage.measures import (COST_RATES, Measure, candidate_measures,
                                       evaluate_measures, measures_for_place,
                                       measures_for_places, neighbourhood, road_axes)


@dataclass(frozen=True)
class FakePlace:
    """The shape of triage.places.Place that measures rely on."""

    id: str
    xy: tuple
    radius: float = 4.0
    dominant_deficit: str = "dark"


def _box(group, lo, hi):
    return m.GeometrySpec(builtin="box", params={"min": list(lo), "max": list(hi)}, group=group)


def street_scenario() -> m.Scenario:
    """A road along y = 0 lit far to the west; a path at y ~ 10.5 beside a blank facade
    (a building at y 15..25) and a hedge, dark and watched by nobody."""
    light = m.LuminaireSpec("west", m.PhotometrySpec(builtin="street_light_optic"),
                            (-10.0, -3.0, 6.0), azimuth=180.0)
    return m.Scenario(
        "street", m.SceneSpec(m.GeometrySpec(builtin="ground_plane", params={"size": 100.0})),
        materials={"hedge": Material(0.12, 0.3, 0.3, tags=("vegetation",))},
        luminaires=(light,),
        areas=(m.AreaSpec("road", "route", path=((-50.0, 0.0), (50.0, 0.0)), spacing=2.0),),
        added_geometry=(_box("building", (5, 15, 0), (35, 25, 9)),
                        _box("hedge", (10, 5.0, 0), (30, 5.8, 2.5)),
                        _box("bench", (21.5, 8.2, 0), (22.5, 8.6, 0.6))),
        settings=m.RunSettings(quiet=True))


PATH = FakePlace("path", (20.0, 10.5))


@pytest.fixture(scope="module")
def ranked():
    return measures_for_place(street_scenario(), PATH, spacing=1.0)


def test_neighbourhood_crops_scene_luminaires_and_routes():
    sc = street_scenario()
    nb = neighbourhood(sc, FakePlace("p", (20.0, 10.5)), margin=10.0)
    assert [a.name for a in nb.areas] == ["place"]             # no routes for a dark place
    nb = neighbourhood(sc, FakePlace("p", (20.0, 10.5), dominant_deficit="concealment"),
                       margin=10.0)
    assert [a.name for a in nb.areas] == ["place", "road"]
    road = np.asarray(nb.areas[1].path)       # within radius + 2 x concealment distance
    assert road[:, 0].min() >= 20.0 - 14.0 - 1e-9 and road[:, 0].max() <= 20.0 + 14.0 + 1e-9
    assert road[:, 0].max() - road[:, 0].min() > 20.0
    assert nb.luminaires == ()                      # the west light lies 30 m away
    scene = build_scene(nb)
    assert "bench" in scene.groups and "building" in scene.groups
    assert nb.variants == () and nb.removed_groups == ()


def test_road_axes_come_from_routes():
    axes = road_axes(street_scenario())
    assert len(axes) == 1 and np.allclose(axes[0], [[-50, 0], [50, 0]])


def test_candidates_cover_every_kind_for_a_dark_place():
    sc = street_scenario()
    nb = neighbourhood(sc, PATH)
    kinds = [c.kind for c in candidate_measures(nb, PATH, axes=road_axes(sc))]
    assert kinds == ["add_pole", "raise_light", "aim_light", "trim_vegetation", "open_facade",
                     "remove_obstacle"]
    first = candidate_measures(nb, FakePlace("path", (20.0, 10.5), dominant_deficit="unwatched"),
                               axes=road_axes(sc), max_measures=3)
    assert [c.kind for c in first] == ["open_facade", "trim_vegetation", "add_pole"]


def test_pole_or_opened_facade_comes_out_best(ranked):
    kinds = [r.measure.kind for r in ranked]
    assert sorted(kinds) == sorted(["add_pole", "raise_light", "aim_light", "trim_vegetation",
                                    "open_facade", "remove_obstacle"])
    best = ranked[0]
    assert best.measure.kind == "add_pole"             # at night, light before windows
    assert best.rank == 1 and [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    by = {r.measure.kind: r for r in ranked}
    # the whole grid (52 m2) is dark and unseen at night before; the pole lights 18 m2 of it
    # well enough to recognise a face (E_sc; measured 18 m2, its optic leaves the far part
    # too dim, E_min stays 0), six windows overlook all 52 m2
    assert by["add_pole"].dark_unseen_m2_removed == pytest.approx(18.0, abs=6.0)
    # new windows recognise no face in the dark: no night-time dark-and-unseen m2 removed
    assert abs(by["open_facade"].dark_unseen_m2_removed) < 1.0      # measured: 0
    assert by["add_pole"].E_min_gain >= 0.0
    assert by["add_pole"].measure.lumens_added > 1000.0
    assert by["add_pole"].measure.watts_added == pytest.approx(
        by["add_pole"].measure.lumens_added / 130.0)
    assert by["open_facade"].measure.facade_m2 > 0
    assert by["trim_vegetation"].measure.hedge_m == pytest.approx(20.0, abs=0.5)
    # a far light, a trimmed hedge nobody looks over, a bench: no dark-and-unseen m2 removed
    for kind in ("raise_light", "aim_light", "trim_vegetation", "remove_obstacle"):
        assert abs(by[kind].effect_m2) < 1.0        # measured: 0 for each
        assert by[kind].rank > by["add_pole"].rank


def test_pole_stands_beside_the_road_axis_near_the_place(ranked):
    pole = next(r for r in ranked if r.measure.kind == "add_pole").measure
    spec = pole.variant.changes[0].luminaire
    x, y, z = spec.position
    assert 0.0 <= y <= 3.0 + 1e-9 and abs(x - 20.0) <= 4.0 + 1e-9
    assert z == pytest.approx(6.0)                 # the default mounting height (no catalogue)


def test_a_measure_that_changes_nothing_has_zero_effect():
    sc = street_scenario()
    nb = neighbourhood(sc, PATH)
    same = Measure("path", "aim_light", "aim as it is",
                   m.Variant("same", (m.AimLuminaire("west", azimuth=180.0),)),
                   cost=COST_RATES["aim_light"])
    nb = m.Scenario(**{**nb.__dict__, "luminaires": street_scenario().luminaires})
    (res,) = evaluate_measures(nb, [same])
    assert res.effect_m2 == 0.0 and res.dark_unseen_m2_removed == 0.0
    assert res.E_min_gain == 0.0 and res.E_sc_min_gain == 0.0 and res.effect_per_cost == 0.0


def test_place_without_deficit_gets_no_measures():
    sc = street_scenario()
    assert measures_for_place(sc, FakePlace("square", (0.0, -20.0), dominant_deficit="none")) == []
    out = measures_for_places(sc, [FakePlace("square", (0.0, -20.0), dominant_deficit="none")])
    assert out == {}


def test_bad_place_and_kind_are_errors():
    sc = street_scenario()
    with pytest.raises(ParameterError, match="xy"):
        neighbourhood(sc, FakePlace("bad", (np.nan, 0.0)))
    nb = neighbourhood(sc, PATH)
    with pytest.raises(ParameterError, match="unknown measures"):
        candidate_measures(nb, PATH, kinds=["paint_it_pink"])


def test_clip_below_keeps_the_part_under_the_plane():
    from cpted_sim.triage.neighbourhood import clip_below as _clip_below

    tri = np.array([[[0.0, 0, 0], [2.0, 0, 0], [0.0, 0, 2.0]]])      # area 2, in the xz plane
    cut = _clip_below(tri, 1.0)
    area = sum(0.5 * np.linalg.norm(np.cross(t[1] - t[0], t[2] - t[0])) for t in cut)
    assert area == pytest.approx(1.5, rel=1e-12) and cut[:, :, 2].max() <= 1.0 + 1e-12
    assert len(_clip_below(tri, 3.0)) == 1 and len(_clip_below(tri, -1.0)) == 0


def test_trimming_a_hedge_opens_the_view_from_windows_across_the_road():
    sc = street_scenario()
    eyes = tuple((x, -14.7, 4.0) for x in (10.0, 20.0, 30.0))
    sc = m.Scenario(**{**sc.__dict__, "observers": (
        m.ObserverSpec("across", kind="window", points=eyes, fov=360.0),)})
    res = measures_for_place(sc, FakePlace("path", (20.0, 8.5), dominant_deficit="unwatched"),
                             kinds=["trim_vegetation"])
    (trim,) = res
    assert trim.measure.kind == "trim_vegetation"
    # the 2.5 m hedge hides the path from the 4 m high windows; cut to 1 m it hides nothing
    # by day, but the path is unlit: at night no window recognises a face there, so no
    # night-time dark-and-unseen area is removed (measured: 0; 48 m2 by daytime sightlines)
    assert abs(trim.dark_unseen_m2_removed) < 1.0
    assert trim.effect_m2 < 1.0
    assert trim.measure.cost == pytest.approx(COST_RATES["hedge_m"] * trim.measure.hedge_m)


def test_removing_a_kiosk_that_hides_the_path_has_an_effect():
    sc = street_scenario()
    eyes = tuple((x, -14.7, 4.0) for x in (10.0, 20.0, 30.0))
    geo = tuple(g for g in sc.added_geometry if g.group == "building") + (
        _box("kiosk", (18.0, 4.0, 0.0), (22.0, 5.0, 3.0)),)
    sc = m.Scenario(**{**sc.__dict__, "added_geometry": geo, "materials": {}, "observers": (
        m.ObserverSpec("across", kind="window", points=eyes, fov=360.0),)})
    (rm,) = measures_for_place(sc, FakePlace("path", (20.0, 8.5),
                                             dominant_deficit="concealment"),
                               kinds=["remove_obstacle"])
    assert rm.measure.label.startswith("remove kiosk")
    assert rm.measure.removed_m2 == pytest.approx(4.0)
    # measured: 4 m2 hidden from the road (concealment, computed since the deficit is
    # concealment); the unlit path stays dark and unseen at night (12 m2 behind the kiosk
    # were unseen by daytime sightlines only)
    assert abs(rm.dark_unseen_m2_removed) < 1.0
    assert rm.concealment_m2_removed == pytest.approx(4.0, abs=3.0)
    assert rm.effect_m2 == pytest.approx(rm.dark_unseen_m2_removed + rm.concealment_m2_removed
                                         + rm.night_surveyed_m2_gained)


def test_a_pole_makes_a_path_overlooked_by_day_watched_at_night():
    sc = street_scenario()
    eyes = tuple((x, -4.0, 4.0) for x in (10.0, 20.0, 30.0))     # windows 12-17 m away
    geo = tuple(g for g in sc.added_geometry if g.group == "building")
    sc = m.Scenario(**{**sc.__dict__, "added_geometry": geo, "materials": {}, "observers": (
        m.ObserverSpec("across", kind="window", points=eyes, fov=360.0),)})
    res = {r.measure.kind: r for r in measures_for_place(
        sc, FakePlace("path", (20.0, 8.5)), kinds=["add_pole", "open_facade"])}
    # overlooked by day, but dark and unseen at night; the pole lights faces enough to be
    # recognised (measured: 34 m2 of night-time dark-and-unseen removed) and recognised from
    # the windows (measured: 32 m2 of 48), more windows in the dark do not
    assert res["add_pole"].dark_unseen_m2_removed == pytest.approx(34.0, abs=10.0)
    assert res["add_pole"].night_surveyed_m2_gained == pytest.approx(32.0, abs=10.0)
    assert res["open_facade"].night_surveyed_m2_gained == 0.0
    assert res["add_pole"].rank == 1


def test_a_measure_that_cannot_run_is_warned_and_left_out():
    from cpted_sim.errors import CptedWarning

    nb = neighbourhood(street_scenario(), PATH)
    bad = Measure("path", "remove_obstacle", "remove a ghost",
                  m.Variant("ghost", (m.RemoveGeometry(("ghost",)),)), cost=500.0)
    ok = Measure("path", "aim_light", "as it is",
                 m.Variant("same", (m.MoveLuminaire("west", offset=(0.0, 0.0, 0.0)),)),
                 cost=200.0)
    nb = m.Scenario(**{**nb.__dict__, "luminaires": street_scenario().luminaires})
    with pytest.warns(CptedWarning, match="'ghost' could not be tested"):
        res = evaluate_measures(nb, [bad, ok])
    assert [r.measure.label for r in res] == ["as it is"] and res[0].effect_m2 == 0.0


def test_a_place_off_the_scene_gets_no_measures_and_a_warning():
    from cpted_sim.errors import CptedWarning

    with pytest.warns(CptedWarning, match="place far: not tested"):
        out = measures_for_places(street_scenario(), [FakePlace("far", (1000.0, 1000.0))])
    assert out == {"far": []}


def test_without_routes_a_concealment_place_gets_its_approach_path():
    sc = street_scenario()
    sc = m.Scenario(**{**sc.__dict__, "areas": ()})
    nb = neighbourhood(sc, FakePlace("p", (20.0, 10.5), dominant_deficit="concealment"))
    assert [a.name for a in nb.areas] == ["place", "approach_p"]
    a, b = np.asarray(nb.areas[1].path)
    # the longest free line through (20, 10.5) runs along the path between the building
    # (y 15) and the hedge (y 5.8), out to radius + 2 x concealment distance = 14 m each way
    assert abs(a[1] - b[1]) < 3.0 and np.hypot(*(b - a)) == pytest.approx(28.0, abs=1.0)
    assert [x.name for x in neighbourhood(sc, PATH).areas] == ["place"]     # a dark place


def test_a_new_pole_takes_its_photometry_from_the_scenario_catalogue():
    sc = street_scenario()
    lamp = m.PhotometrySpec(builtin="lambertian_downlight", params={"flux": 6000.0})
    far = m.LuminaireSpec("far", lamp, (-45.0, -45.0, 5.0))          # outside the crop
    sc = m.Scenario(**{**sc.__dict__, "luminaires": (far,)})
    (pole,) = measures_for_place(sc, PATH, kinds=["add_pole"])
    spec = pole.measure.variant.changes[0].luminaire
    assert spec.photometry == lamp and spec.position[2] == pytest.approx(6.0)
    assert pole.measure.lumens_added == pytest.approx(6000.0, rel=0.02)
    # with a street light in the crop both types are tried and the one lifting more of the
    # path above 1 lx wins (measured: the 6000 lm downlight, 51 m2, against the street light's
    # 33 m2, its optic leaving the far edge of the path dark)
    near = m.LuminaireSpec("near", m.PhotometrySpec(builtin="street_light_optic"),
                           (-10.0, -3.0, 6.0), azimuth=180.0)
    both = m.Scenario(**{**sc.__dict__, "luminaires": (far, near)})
    (pole2,) = measures_for_place(both, PATH, kinds=["add_pole"])
    street = m.Scenario(**{**sc.__dict__, "luminaires": (near,), "variants": ()})
    (pole3,) = measures_for_place(street, PATH, kinds=["add_pole"], catalogue=())
    assert pole3.measure.variant.changes[0].luminaire.photometry.builtin == "street_light_optic"
    assert pole2.measure.variant.changes[0].luminaire.photometry == lamp
    assert pole2.dark_unseen_m2_removed > pole3.dark_unseen_m2_removed + 5.0


def test_on_a_sloping_mesh_the_new_pole_stands_on_the_ground():
    from cpted_sim.geometry.scene import Scene

    # a 100 m square rising 1 m every 10 m along x, as a loaded mesh file
    v = np.array([[-50, -50, -5.0], [50, -50, 5.0], [50, 50, 5.0], [-50, 50, -5.0]])
    scene = Scene.from_arrays(v, [[0, 1, 2], [0, 2, 3]], np.array(["ground"] * 2),
                              origin=(0.0, 0.0, 0.0))
    key = "/virtual/slope.obj"
    light = m.LuminaireSpec("west", m.PhotometrySpec(builtin="street_light_optic"),
                            (-10.0, -3.0, 5.0), azimuth=180.0, height_reference="surface")
    sc = m.Scenario("slope", m.SceneSpec(m.GeometrySpec(mesh=key)), luminaires=(light,),
                    areas=(m.AreaSpec("road", "route", path=((-50.0, 0.0), (50.0, 0.0))),),
                    assets={key: scene})
    res = {r.measure.kind: r for r in measures_for_place(sc, PATH)}
    x, y, z = res["add_pole"].measure.variant.changes[0].luminaire.position
    assert z == pytest.approx(0.1 * x + 5.0, abs=1e-6)     # the west light's 5 m, on the slope
    # no observers: only the faces it lights to 1 lx E_sc count (measured: 6 m2)
    assert res["add_pole"].dark_unseen_m2_removed > 2.0
    raise_ = res["raise_light"].measure.variant.changes[0]
    assert raise_.offset == (0.0, 0.0, 2.0)
