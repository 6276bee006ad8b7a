"""Calculation grids: regular, on mesh faces, along paths, draped over surfaces."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cpted_sim import CalculationGrid, Scene
from cpted_sim.errors import GridError, ParameterError


def _terrain_and_building():
    """A ground at z = 2 over x 0..20, y 0..10, with a 4 x 4 x 6 m block at x 10..14."""
    v = [[0, 0, 2], [20, 0, 2], [20, 10, 2], [0, 10, 2]]
    f = [[0, 1, 2], [0, 2, 3]]
    b = np.array([[x, y, z] for z in (2, 8) for y in (3, 7) for x in (10, 14)], float)
    bf = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                   [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
    verts = np.vstack([v, b])
    faces = np.vstack([f, bf + 4])
    groups = ["ground"] * 2 + ["facade"] * 12
    return Scene.from_arrays(verts, faces, np.array(groups))


def test_regular_grid_cell_centres_and_raster():
    g = CalculationGrid.regular(0, 0, 10, 4, 1.0, height=1.5)
    assert g.n_points == 40 and g.shape == (4, 10)
    assert np.allclose(g.points[0], [0.5, 0.5, 1.5])
    r = g.to_raster(np.arange(40.0))
    assert r[1, 0] == 10.0


def test_on_faces_points_carry_normals_areas_and_cover_each_face():
    scene = _terrain_and_building()
    g = CalculationGrid.on_faces(scene, "facade", spacing=0.5, offset=0.01)
    assert g.kind == "plane" and g.normals is not None
    # the areas of the points add up to the area of the facade group
    assert g.areas.sum() == pytest.approx(scene.face_areas[scene.group_faces("facade")].sum())
    # each point lies 1 cm off its own face along that face's normal, inside the triangle
    local = scene.to_local(g.points) - 0.01 * g.normals
    tri = scene.vertices[scene.faces[g.face_index]]
    n = scene.face_normals[g.face_index]
    assert np.allclose(np.einsum("ij,ij->i", local - tri[:, 0], n), 0.0, atol=1e-9)
    assert np.allclose(g.normals, n)
    for e in range(3):
        a, b = tri[:, e], tri[:, (e + 1) % 3]
        side = np.einsum("ij,ij->i", np.cross(b - a, local - a), n)
        assert np.all(side > 0)
    # longest edges: walls sqrt(6^2 + 4^2) = 7.2 m (15 subdivisions, 225 points per triangle),
    # floor and roof sqrt(4^2 + 4^2) = 5.66 m (12, 144 points)
    counts = np.bincount(g.face_index)[scene.group_faces("facade")]
    vertical = np.abs(scene.face_normals[scene.group_faces("facade"), 2]) < 0.5
    assert np.all(counts[vertical] == 225) and np.all(counts[~vertical] == 144)
    # without spacing: one point per face at its centroid
    c = CalculationGrid.on_faces(scene, ["ground"], offset=0.0)
    assert np.allclose(c.points, scene.face_centroids[scene.group_faces("ground")])


def test_on_faces_errors():
    scene = _terrain_and_building()
    with pytest.raises(ParameterError, match="'roof' is not in the scene"):
        CalculationGrid.on_faces(scene, "roof")
    with pytest.raises(ParameterError, match="spacing"):
        CalculationGrid.on_faces(scene, "facade", spacing=0)


def test_along_path_spacing_and_facing():
    path = [[0, 0], [10, 0], [10, 5]]
    g = CalculationGrid.along_path(path, 1.0, height=1.5)
    assert g.n_points == 15
    assert np.allclose(g.points[0], [0.5, 0, 1.5]) and np.allclose(g.points[-1], [10, 4.5, 1.5])
    assert np.allclose(g.normals[:10], [1, 0, 0]) and np.allclose(g.normals[10:], [0, 1, 0])
    assert g.areas.sum() == pytest.approx(15.0)
    # uneven length: points spread evenly, no gap larger than the spacing
    g = CalculationGrid.along_path(np.array([[0, 0, 1.0], [7.3, 0, 1.0]]), 1.0)
    steps = np.diff(g.points[:, 0])
    assert g.n_points == 8 and np.allclose(steps, 7.3 / 8) and np.allclose(g.points[:, 2], 1.0)
    with pytest.raises(GridError, match="vertical"):
        CalculationGrid.along_path([[0, 0, 0], [0, 0, 3]], 1.0)
    with pytest.raises(GridError, match="polyline"):
        CalculationGrid.along_path([[0, 0]], 1.0)


def test_draped_puts_points_above_the_first_surface_below():
    scene = _terrain_and_building()
    g = CalculationGrid.regular(0, 0, 20, 10, 1.0, height=20.0)
    low = CalculationGrid.regular(0, 0, 20, 10, 1.0, height=5.0)
    roof = g.draped(scene, 0.0)
    ground = low.draped(scene, 1.5)
    inside = (g.points[:, 0] > 10) & (g.points[:, 0] < 14) & (g.points[:, 1] > 3) & \
             (g.points[:, 1] < 7)
    assert np.allclose(roof.points[inside, 2], 8.0) and np.allclose(roof.points[~inside, 2], 2.0)
    # from 5 m the first surface below is the ground, also inside the block's footprint
    # (its floor at z = 2 belongs to the block but lies at the ground's height)
    assert np.allclose(ground.points[:, 2], 3.5)
    # points off the terrain are dropped (their raster cells stay empty) or raise
    wide = CalculationGrid.regular(-5, 0, 20, 10, 1.0, height=5.0)
    d = wide.draped(scene, 0.0)
    assert d.n_points == 200 and np.isnan(d.to_raster(np.ones(200))[:, :5]).all()
    with pytest.raises(GridError, match="no surface below"):
        wide.draped(scene, missing="raise")


# ------------------------------------------------------------------ sides (issue 11)
def test_side_normals_follow_the_grid():
    from cpted_sim.geometry.grid import SIDE_LIFT

    up = np.array([0.0, 0.0, 1.0])
    plan = CalculationGrid.regular(0, 0, 4, 4, 1.0)
    np.testing.assert_array_equal(plan.side_normals(), np.tile(up, (plan.n_points, 1)))
    path = CalculationGrid.along_path([(0, 0), (5, 0)], 1.0)
    np.testing.assert_array_equal(path.side_normals(), np.tile(up, (path.n_points, 1)))
    wall = CalculationGrid.from_points([[0, 1, 1], [0, 2, 1]], (-2.0, 0.0, 0.0), kind="vertical")
    np.testing.assert_array_equal(wall.side_normals(), [[-1, 0, 0], [-1, 0, 0]])
    generic = CalculationGrid.from_points([[0, 1, 1]], (1.0, 0.0, 0.0))   # facing, not a side
    np.testing.assert_array_equal(generic.side_normals(), [up])
    explicit = replace(generic, sides=np.array([[0.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(explicit.side_normals(), [[0, 1, 0]])
    scene = Scene.from_arrays([[0, 0, 0], [10, 0, 0], [0, 10, 0]], [[0, 1, 2]])
    lift = wall.side_lift(scene)
    np.testing.assert_allclose(lift, SIDE_LIFT * scene.ray_offset * wall.side_normals())
    np.testing.assert_allclose(wall.local_points(scene) - scene.to_local(wall.points), lift)
