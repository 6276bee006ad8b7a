"""ObserverSet constructors: points, mesh openings, generated facade windows, paths."""

from __future__ import annotations

import numpy as np
import pytest

from _sight_scenes import box, combine
from cpted_sim import ObserverSet
from cpted_sim.errors import ParameterError


def _quad(x0, x1, z0, z1, y=0.0):
    """A window quad in the plane y = const, normal -Y (facing the street at y < 0)."""
    v = np.array([[x0, y, z0], [x1, y, z0], [x1, y, z1], [x0, y, z1]], dtype=float)
    f = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64)
    return v, f


def test_from_points_defaults_and_errors():
    obs = ObserverSet.from_points([[0, 0, 1.6], [1, 0, 1.6]])
    assert obs.n == 2 and np.all(obs.fov == 360) and np.all(obs.weight == 1)
    with pytest.raises(ParameterError, match="directions"):
        ObserverSet.from_points([[0, 0, 1.6]], fov=180)
    with pytest.raises(ParameterError, match="fov"):
        ObserverSet.from_points([[0, 0, 1.6]], [1, 0, 0], fov=0)
    with pytest.raises(ParameterError, match="max_distance"):
        ObserverSet.from_points([[0, 0, 1.6]], max_distance=-1)
    with pytest.raises(ParameterError, match="weight"):
        ObserverSet.from_points([[0, 0, 1.6], [0, 1, 1.6]], weight=[1.0, -0.5])
    with pytest.raises(ParameterError, match="kind"):
        ObserverSet.from_points([[0, 0, 1.6]], kind="cat")
    with pytest.raises(ParameterError, match="zero-length"):
        ObserverSet.from_points([[0, 0, 1.6]], [0, 0, 0], fov=90)
    both = obs + ObserverSet.from_points([[5, 5, 5]], kind="window")
    assert both.n == 3 and list(both.kind) == ["person", "person", "window"]
    assert both.subset([2]).positions.tolist() == [[5, 5, 5]]


def test_from_faces_one_per_opening():
    # Two windows of two triangles each, one per storey, in a facade facing -Y.
    scene = combine(box(0, 0, 10, 8, 0, 6), _quad(1, 3, 1, 2.5, y=-0.01),
                    _quad(6, 7, 4, 5, y=-0.01), groups=["wall", "window", "window"])
    obs = ObserverSet.from_faces(scene, "window", max_distance=40, weight=0.7)
    assert obs.n == 2
    order = np.argsort(obs.positions[:, 0])
    np.testing.assert_allclose(obs.positions[order], [[2, -0.11, 1.75], [6.5, -0.11, 4.5]])
    np.testing.assert_allclose(obs.directions, [[0, -1, 0], [0, -1, 0]], atol=1e-12)
    assert np.all(obs.fov == 180) and np.all(obs.kind == "window") and np.all(obs.weight == 0.7)


def test_from_faces_per_square_metre():
    scene = combine(box(0, 0, 10, 8, 0, 6), _quad(1, 3, 1, 2.5, y=-0.01),
                    _quad(6, 7, 4, 5, y=-0.01), groups=["wall", "window", "window"])
    obs = ObserverSet.from_faces(scene, ["window"], per="m2", seed=3)
    assert obs.n == 3 + 1  # 3 m2 and 1 m2
    p = obs.positions
    in_a = (p[:, 0] >= 1) & (p[:, 0] <= 3) & (p[:, 2] >= 1) & (p[:, 2] <= 2.5)
    in_b = (p[:, 0] >= 6) & (p[:, 0] <= 7) & (p[:, 2] >= 4) & (p[:, 2] <= 5)
    assert in_a.sum() == 3 and in_b.sum() == 1
    np.testing.assert_allclose(p[:, 1], -0.11)
    with pytest.raises(ParameterError, match="per"):
        ObserverSet.from_faces(scene, "window", per="face")
    with pytest.raises(ParameterError, match="not in the scene"):
        ObserverSet.from_faces(scene, "door")


def test_windows_on_facades():
    """A 12 x 8 m, 9.5 m tall block: 3 floors of 3 m; bays of 3 m along each facade."""
    scene = combine(box(0, 0, 12, 8, 0, 9.5), groups=["facade"])
    obs = ObserverSet.on_facades(scene, "facade", floor_height=3.0, spacing=3.0, eye_height=1.6)
    # 4 bays on the 12 m sides, 2 on the 8 m sides (first half a bay in), 3 floors.
    assert obs.n == 3 * (4 + 4 + 2 + 2)
    np.testing.assert_allclose(np.unique(np.round(obs.positions[:, 2], 9)), [1.6, 4.6, 7.6])
    south = obs.positions[:, 1] < 0
    np.testing.assert_allclose(obs.positions[south, 1], -0.1)
    np.testing.assert_allclose(np.unique(obs.positions[south, 0]), [1.5, 4.5, 7.5, 10.5])
    np.testing.assert_allclose(obs.directions[south], np.tile([0, -1, 0], (12, 1)), atol=1e-12)
    # The roof is skipped; a flat-only group has no facade.
    roof = (np.array([[0, 0, 3], [1, 0, 3], [1, 1, 3.0]]), np.array([[0, 1, 2]]))
    flat = combine(_quad(0, 1, 0, 1), roof, groups=["a", "roof"])
    with pytest.raises(ParameterError, match="no facade"):
        ObserverSet.on_facades(flat, "roof")


def test_from_paths():
    obs = ObserverSet.from_paths([[0, 0], [10, 0], [10, 10]], spacing=2.0, eye_height=1.6)
    assert obs.n == 10
    np.testing.assert_allclose(obs.positions[:, 2], 1.6)
    np.testing.assert_allclose(obs.positions[0], [1.0, 0.0, 1.6])
    np.testing.assert_allclose(obs.directions[0], [1, 0, 0])
    np.testing.assert_allclose(obs.directions[-1], [0, 1, 0])
    two = ObserverSet.from_paths([np.array([[0, 0, 5.0], [4, 0, 5.0]]), [[0, 1], [0, 5]]],
                                 spacing=1.0)
    assert two.n == 8 and two.positions[0, 2] == pytest.approx(6.6)
    with pytest.raises(ParameterError, match="paths"):
        ObserverSet.from_paths([[0, 0]])
