"""Procedural scenes: sizes, determinism, groups and the metadata a study relies on."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.geometry.query import closest_hit, occluded
from cpted_sim.scenario.synthetic import SyntheticDistrict, district, ground_plane, street_canyon

GROUPS = {"ground", "street", "sidewalk", "facade", "window", "roof", "tree", "pole"}


@pytest.fixture(scope="module")
def small():
    return district(20_000, seed=3)


@pytest.mark.parametrize("target", [10_000, 100_000])
def test_district_size_is_within_ten_percent(target):
    d = district(target)
    assert abs(d.scene.n_faces - target) <= 0.1 * target
    assert set(d.scene.groups) == GROUPS


def test_district_is_deterministic_per_seed(small):
    again = district(20_000, seed=3)
    other = district(20_000, seed=4)
    assert np.array_equal(small.scene.vertices, again.scene.vertices)
    assert np.array_equal(small.scene.faces, again.scene.faces)
    assert np.array_equal(small.street_lights, again.street_lights)
    assert not np.array_equal(small.scene.vertices.shape, other.scene.vertices.shape) or \
        not np.array_equal(small.scene.vertices, other.scene.vertices)


def test_every_window_has_one_glass_quad(small):
    s = small.scene
    assert isinstance(small, SyntheticDistrict)
    assert s.group_faces("window").size == 2 * small.windows_points.shape[0]
    assert np.allclose(np.linalg.norm(small.windows_normals, axis=1), 1.0)
    assert np.allclose(small.windows_normals[:, 2], 0.0)


def test_window_normals_point_out_of_the_building(small):
    # A ray from 1 m in front of each window back along its normal hits that window's glass at
    # 1 m; a wrong normal would start the ray inside the building (hitting a wall first).
    s = small.scene
    p = small.windows_points + small.windows_normals
    t, face = closest_hit(s, p, -small.windows_normals)
    assert np.allclose(t, 1.0, atol=1e-9)
    assert np.all(np.isin(face, s.group_faces("window")))


def test_street_lights_stand_over_the_street_and_light_the_ground_below(small):
    lights = small.street_lights
    assert np.allclose(lights[:, 2], 6.0)
    assert small.on_street(lights).all()
    below = lights.copy()
    below[:, 2] = 0.05
    assert not occluded(small.scene, lights, below).any()
    # About 27 m apart along each street.
    d = np.linalg.norm(lights[:, None, :2] - lights[None, :, :2], axis=2)
    np.fill_diagonal(d, np.inf)
    assert 20.0 <= np.median(d.min(axis=1)) <= 30.0


def test_street_points_lie_on_street_or_sidewalk_faces(small):
    pts = small.street_points(spacing=2.0, height=0.05)
    assert small.on_street(pts).all()
    assert np.allclose(pts[:, 2], 0.05)
    start = pts + np.array([0.0, 0.0, 0.5])
    t, face = closest_hit(small.scene, start, np.tile([0.0, 0.0, -1.0], (len(pts), 1)))
    paved = np.isin(face, small.scene.group_faces(["street", "sidewalk"]))
    # Tree trunks and poles stand on sidewalks; everything else is paved.
    assert paved.mean() > 0.99
    assert np.allclose(t[paved], 0.55)
    # Spacing 2 m: the count matches the street area.
    area = sum(np.prod(p.max(axis=0) - p.min(axis=0)) for p in small.street_polygons)
    n_cross = len(small.street_polylines) ** 2 // 4
    area -= n_cross * 144.0
    assert abs(len(pts) * 4.0 - area) < 0.02 * area


def test_street_polylines_are_centrelines(small):
    for line in small.street_polylines:
        assert line.shape == (2, 3)
        assert small.on_street(line).all()


def test_ground_plane_area_and_triangles():
    s = ground_plane(50.0, cells=4, height=1.0)
    assert s.n_faces == 32
    assert s.face_areas.sum() == pytest.approx(2500.0)
    assert np.allclose(s.face_normals, [0.0, 0.0, 1.0])
    assert np.allclose(s.bounds, [[-25, -25, 1], [25, 25, 1]])


def test_street_canyon_windows_face_the_street():
    c = street_canyon(60.0, 12.0, 9.6, bay=3.0)
    assert set(c.scene.groups) >= {"street", "sidewalk", "facade", "window", "roof", "pole"}
    y = c.windows_points[:, 1]
    toward = np.sign(6.0 - y)
    assert np.all(c.windows_normals[:, 1] == toward)
    # 20 bays x 3 floors per side.
    assert c.windows_points.shape[0] == 2 * 20 * 3


@pytest.mark.parametrize("bad", [10, -5, "many", 1e9])
def test_district_rejects_bad_sizes(bad):
    with pytest.raises(ParameterError, match="target_triangles"):
        district(bad)


def test_ground_plane_rejects_bad_size():
    with pytest.raises(ParameterError, match="size"):
        ground_plane(-1.0)
    with pytest.raises(ParameterError, match="cells"):
        ground_plane(10.0, cells=0)
