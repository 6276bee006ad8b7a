"""Bad input to scenes and ray queries raises the library's own errors, naming what is wrong."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cpted_sim import (EngineUnavailableError, MeshError, ParameterError, closest_hit,
                       engines_available, occluded, visibility_matrix)
from cpted_sim.geometry import engines
from cpted_sim.geometry.scene import Scene

V = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 2, 0]])
F = np.array([[0, 1, 2], [1, 3, 2], [2, 3, 4]])


@pytest.fixture(scope="module")
def scene():
    return Scene.from_arrays(V, F)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_vertices_name_count_and_first_index(bad):
    v = V.copy()
    v[3, 1] = bad
    v[4, 2] = bad
    with pytest.raises(MeshError, match=r"vertices: 2 vertices .*NaN or infinite.*first at vertex "
                                        r"index 3"):
        Scene.from_arrays(v, F)


@pytest.mark.parametrize("bad_index", [5, 99, -1])
def test_face_indices_out_of_range_name_count_and_first_face(bad_index):
    f = np.vstack([F, [[0, 1, bad_index]], [[bad_index, 1, 2]]])
    with pytest.raises(MeshError, match=r"faces: 2 faces .*outside 0\.\.4.*first at face index 3"):
        Scene.from_arrays(V, f)


def test_zero_area_faces_are_dropped_with_a_counting_warning():
    f = np.vstack([F, [[0, 0, 1]], [[0, 1, 4]], [[1, 1, 1]]])
    v = V.copy()
    v[4] = [2.0, 0.0, 0.0]  # 0, 1, 4 now lie on one line: the 5th face is a sliver of area 0
    with pytest.warns(UserWarning, match=r"dropped 3 zero-area faces of 6"):
        scene = Scene.from_arrays(v, f)
    assert scene.n_faces == 3
    assert np.array_equal(scene.faces, F)
    assert np.all(scene.face_areas > 0)


def test_zero_area_faces_keep_group_labels_aligned():
    f = np.vstack([[[0, 0, 1]], F])
    with pytest.warns(UserWarning, match="dropped 1 zero-area faces"):
        scene = Scene.from_arrays(V, f, groups=["bad", "a", "b", "c"])
    assert [scene.groups[g] for g in scene.face_group] == ["a", "b", "c"]


@pytest.mark.parametrize("vertices, faces, what", [
    (np.empty((0, 3)), np.empty((0, 3), dtype=int), "empty"),
    (V, np.empty((0, 3), dtype=int), "empty"),
    (V, [[0, 0, 1], [2, 2, 2]], "all 2 faces have zero area"),
])
def test_empty_scene_is_an_error(vertices, faces, what):
    with pytest.raises(MeshError, match=what):
        Scene.from_arrays(vertices, faces)


@pytest.mark.parametrize("vertices, faces, name", [
    (V[:, :2], F, "vertices"),
    (V, F[:, :2], "faces"),
    (V, F.astype(float) + 0.5, "faces"),
    ([["a", "b", "c"]], F, "vertices"),
])
def test_malformed_arrays_name_the_argument(vertices, faces, name):
    with pytest.raises(MeshError, match=rf"^{name}:"):
        Scene.from_arrays(vertices, faces)


def test_query_shapes_name_the_argument(scene):
    o = np.zeros((4, 3)) + [0.2, 0.2, 1.0]
    d = np.tile([0.0, 0.0, -1.0], (4, 1))
    with pytest.raises(ParameterError, match=r"^origins:"):
        closest_hit(scene, np.zeros((4, 2)), d)
    with pytest.raises(ParameterError, match=r"^directions:"):
        closest_hit(scene, o, d[:3])
    with pytest.raises(ParameterError, match=r"^directions: 1 zero-length.*index 2"):
        closest_hit(scene, o, np.where(np.arange(4)[:, None] == 2, 0.0, d))
    with pytest.raises(ParameterError, match=r"^origins: 1 entries are NaN.*index 1"):
        closest_hit(scene, np.where(np.arange(4)[:, None] == 1, np.nan, o), d)
    with pytest.raises(ParameterError, match=r"^max_distance:"):
        closest_hit(scene, o, d, max_distance=np.ones(3))
    with pytest.raises(ParameterError, match=r"^max_distance:"):
        closest_hit(scene, o, d, max_distance=-1.0)
    with pytest.raises(ParameterError, match=r"^offset:"):
        closest_hit(scene, o, d, offset=-1.0)
    with pytest.raises(ParameterError, match=r"^targets:"):
        occluded(scene, o, o[:2])
    with pytest.raises(ParameterError, match=r"^targets:"):
        occluded(scene, o, np.zeros((4, 4)))
    with pytest.raises(ParameterError, match=r"^observers:"):
        visibility_matrix(scene, np.zeros((2, 2)), o)
    with pytest.raises(ParameterError, match=r"^targets:"):
        visibility_matrix(scene, o, [[np.inf, 0, 0]])
    with pytest.raises(ParameterError, match=r"^max_distance:"):
        visibility_matrix(scene, o, o, max_distance=-2.0)
    with pytest.raises(ParameterError, match=r"^scene:"):
        closest_hit("scene.obj", o, d)


def test_a_single_point_and_empty_batches_are_fine(scene):
    dist, face = closest_hit(scene, [0.2, 0.2, 1.0], [0.0, 0.0, -1.0])
    assert dist.tolist() == [1.0] and face.tolist() == [0]
    dist, face = closest_hit(scene, np.empty((0, 3)), np.empty((0, 3)))
    assert dist.shape == (0,) and face.shape == (0,)
    assert occluded(scene, np.empty((0, 3)), np.empty((0, 3))).shape == (0,)
    assert visibility_matrix(scene, np.empty((0, 3)), [[0, 0, 1]]).shape == (0, 1)


def test_unknown_engine_is_a_parameter_error(scene):
    with pytest.raises(ParameterError, match=r"engine: expected one of \['embree', 'numba', "
                                             r"'trimesh'\], got 'optix'"):
        closest_hit(scene, [0.2, 0.2, 1.0], [0.0, 0.0, -1.0], engine="optix")


@pytest.mark.parametrize("engine, module, hint", [
    ("embree", "embreex", "pip install embreex"),
    ("trimesh", "rtree", "pip install trimesh rtree"),
])
def test_missing_optional_engine_fails_only_when_used_with_the_install_hint(
        monkeypatch, scene, engine, module, hint):
    monkeypatch.setattr(engines, "_instances", {})
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    assert engine not in engines_available()
    assert "numba" in engines_available()
    with pytest.raises(EngineUnavailableError, match=rf"engine '{engine}' is not available.*"
                                                     rf"install it with: {hint}"):
        occluded(scene, [0.2, 0.2, 1.0], [0.2, 0.2, -1.0], engine=engine)
    # The default engine still works.
    assert occluded(scene, [0.2, 0.2, 1.0], [0.2, 0.2, -1.0]).tolist() == [True]
