"""Windows and doors: from CityJSON semantic surfaces, or generated on walls by a rule."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _city_files import CityBuilder

from cpted_sim import ParameterError, closest_hit
from cpted_sim.errors import CptedWarning
from cpted_sim.io.citymodel import load_city_model
from cpted_sim.visibility.openings import (WindowRule, generate_windows, semantic_openings,
                                           wall_groups, window_layout)


def _scene(tmp_path, builder):
    return load_city_model(builder.write(tmp_path / "m.city.json"))


def test_semantic_windows_sit_03m_out_along_the_outward_normal(tmp_path):
    b = CityBuilder().box("A", (85000, 447000, 0), (85010, 447006, 9),
                          windows=[(0, (1, 1, 2, 2.5)), (0, (5, 4, 6, 5.5))])
    sc = _scene(tmp_path, b)
    assert "Building/Window" in sc.groups
    obs = semantic_openings(sc)
    assert obs.n == 2 and set(obs.kind) == {"window"}
    np.testing.assert_allclose(obs.directions, [[0, -1, 0]] * 2, atol=1e-12)
    np.testing.assert_allclose(np.sort(obs.positions[:, 0]), [85001.5, 85005.5], atol=1e-9)
    np.testing.assert_allclose(obs.positions[:, 1], 447000 - 0.3, atol=1e-9)


def test_doors_are_door_observers(tmp_path):
    b = CityBuilder().box("A", (85000, 447000, 0), (85010, 447006, 9),
                          windows=[(1, (2, 0, 3, 2.2), "Door"), (0, (1, 1, 2, 2.5))])
    sc = _scene(tmp_path, b)
    obs = semantic_openings(sc)
    assert sorted(obs.kind) == ["door", "window"]
    door = obs.positions[obs.kind == "door"][0]
    np.testing.assert_allclose(door, [85010.3, 447002.5, 1.1], atol=1e-9)   # east wall
    assert semantic_openings(sc, ["Window"]).n == 1


def test_no_semantic_openings_is_an_error(tmp_path):
    sc = _scene(tmp_path, CityBuilder().box("A", (85000, 447000, 0), (85010, 447006, 9)))
    with pytest.raises(ParameterError, match="no such semantic surfaces"):
        semantic_openings(sc)


def test_rule_lays_storeys_and_bays(tmp_path):
    sc = _scene(tmp_path, CityBuilder().box("A", (85000, 447000, 0), (85010, 447006, 9)))
    assert wall_groups(sc) == ["Building/WallSurface"]
    rule = WindowRule(storey_height=3, spacing=4, ground_floor=True, sill_height=0.4)
    obs = generate_windows(sc, rule)
    # 10 m walls: 2 bays, 6 m walls: 1 bay; eyes at 1.6, 4.6, 7.6 m: 2 * (2 + 1) * 3
    assert obs.n == 18
    np.testing.assert_allclose(np.unique(np.round(obs.positions[:, 2], 9)), [1.6, 4.6, 7.6])
    south = obs.positions[obs.directions[:, 1] < -0.5]
    np.testing.assert_allclose(np.unique(south[:, 0]), [85002.5, 85007.5], atol=1e-9)
    np.testing.assert_allclose(south[:, 1], 447000 - 0.3, atol=1e-9)
    upper = generate_windows(sc, WindowRule(storey_height=3, spacing=4, ground_floor=False))
    assert upper.n == 12 and upper.positions[:, 2].min() == pytest.approx(4.6)


def test_party_walls_are_dropped_with_a_count(tmp_path):
    b = CityBuilder().box("A", (85000, 447000, 0), (85010, 447006, 9))
    b.box("B", (85010, 447000, 0), (85020, 447006, 9))
    sc = _scene(tmp_path, b)
    with pytest.warns(CptedWarning, match="6 of 42 positions lie inside a building"):
        obs = generate_windows(sc, WindowRule(storey_height=3, spacing=4))
    assert obs.n == 36         # the 20 m joint front and back get 5 bays each: 2*15 + 2*3
    x, y = obs.positions[:, 0], obs.positions[:, 1]
    inside_a_box = (x > 85000) & (x < 85020) & (y > 447000) & (y < 447006)
    assert not inside_a_box.any()


def test_only_facades_facing_the_area(tmp_path):
    sc = _scene(tmp_path, CityBuilder().box("A", (85000, 447000, 0), (85010, 447006, 9)))
    street = [[84950, 446980], [85050, 446980], [85050, 446990], [84950, 446990]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CptedWarning)
        obs = generate_windows(sc, facing=street, max_distance=30)
    assert obs.n == 6 and np.all(obs.directions[:, 1] < -0.99)
    lay = window_layout(sc, facing=street, max_distance=30)
    assert lay.n_candidates == 18 and lay.n_not_facing == 12 and lay.n_inside == 0
    with pytest.raises(ParameterError, match="none left of 18 positions.*18 not facing"):
        generate_windows(sc, facing=street, max_distance=5)


def test_bad_rule_values():
    with pytest.raises(ParameterError, match="storey_height"):
        WindowRule(storey_height=0)
    with pytest.raises(ParameterError, match="ground_floor"):
        WindowRule(ground_floor="yes")


def test_delft_windows_are_on_facades_and_outside_buildings(shared_data):
    sc = load_city_model(shared_data / "city/delft_3dfier/delft.json")
    lay = window_layout(sc, WindowRule())
    # measured: 1420 positions on the Building walls, 554 in party walls, 866 kept
    assert 1000 < lay.n_candidates < 2000 and 300 < lay.n_inside < 800
    assert len(lay.positions) == lay.n_candidates - lay.n_inside
    dist, face = closest_hit(sc, lay.positions, -lay.normals, max_distance=1.0)
    assert np.all(face >= 0)                                    # a wall right behind each eye
    # walls merged into planes to 1 mrad / 1 cm, and 3dfier walls are not quite planar
    assert np.mean(np.abs(dist - 0.3) < 0.01) > 0.95 and dist.max() < 0.35
    # a few eyes stand right in front of 3dfier's side walls of plant cover or BGT walls
    assert np.mean(np.asarray(sc.groups)[sc.face_group[face]] == "Building") > 0.95
    # independent of the up-ray rule: an eye inside a closed volume meets a face from behind
    # along all four horizontal directions; no kept eye does
    behind = np.ones(len(lay.positions), dtype=bool)
    for d in ([1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]):
        dirs = np.tile(np.array(d, dtype=float), (len(lay.positions), 1))
        _, f = closest_hit(sc, lay.positions, dirs)
        back = np.zeros(len(f), dtype=bool)
        back[f >= 0] = sc.face_normals[f[f >= 0]] @ np.array(d, dtype=float) > 0
        behind &= back
    assert not behind.any()


def test_storeys_count_from_the_foot_of_the_building(tmp_path):
    b = CityBuilder().box("low", (85000, 447000, 0), (85010, 447006, 4))
    b.box("setback", (85000, 447000, 4), (85010, 447003, 10))    # upper floors, set back
    sc = _scene(tmp_path, b)
    obs = generate_windows(sc, WindowRule(storey_height=3, spacing=4))
    north = obs.positions[obs.directions[:, 1] > 0.5]
    upper = north[north[:, 1] < 447004]                           # on the setback's north wall
    # floors at 0, 3, 6 m: eyes at 4.6 and 7.6 m on the setback, not 5.6 and 8.6 m
    np.testing.assert_allclose(np.unique(np.round(upper[:, 2], 9)), [4.6, 7.6])
    lower = north[north[:, 1] > 447005]
    np.testing.assert_allclose(np.unique(np.round(lower[:, 2], 9)), [1.6])


def test_facing_rule_matches_shapely(rng):
    shapely = pytest.importorskip("shapely")
    from cpted_sim.visibility.openings import _facing

    poly = np.array([[0, 0], [10, 0], [12, 6], [5, 9], [-2, 5]], dtype=float)
    pts = rng.uniform(-20, 30, size=(500, 2))
    ang = rng.uniform(0, 2 * np.pi, 500)
    nrm = np.column_stack([np.cos(ang), np.sin(ang)])
    ours = _facing(pts, nrm, poly, 12.0)
    region = shapely.Polygon(poly)
    ring = region.exterior
    expect = []
    for p, n in zip(pts, nrm):
        pt = shapely.Point(p)
        if region.contains(pt):
            expect.append(True)
            continue
        q = ring.interpolate(ring.project(pt))
        expect.append(bool(np.dot([q.x - p[0], q.y - p[1]], n) > 0 and pt.distance(ring) <= 12))
    assert np.array_equal(ours, expect)
    assert 0 < ours.sum() < len(ours)
