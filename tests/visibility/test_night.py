"""Night-time surveillance: sightlines that count only where a face can be recognised."""

from __future__ import annotations

import numpy as np
import pytest

from _sight_scenes import box, combine, wall_quads
from cpted_sim import ObserverSet, night_surveillance, surveillance
from cpted_sim.errors import FieldMismatchError, ParameterError
from cpted_sim.field import Field
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.query import occluded
from cpted_sim.visibility import DEFAULT_RECOGNITION, RecognitionThreshold

AZ8 = 45.0 * np.arange(8)


def e_sc(scene, lights, intensity, points, facing_az):
    """Semicylindrical illuminance [lx] of isotropic point sources, with shadows:
    E = I (1 + cos a) sin e / (pi d^2) (docs/architecture.md §4)."""
    f = np.array([np.cos(np.radians(facing_az)), np.sin(np.radians(facing_az))])
    total = np.zeros(points.shape[0])
    for pos, i0 in zip(lights, intensity):
        d = np.asarray(pos, dtype=float) - points
        dist = np.linalg.norm(d, axis=1)
        h = np.linalg.norm(d[:, :2], axis=1)
        cos_a = (d[:, :2] @ f) / np.maximum(h, 1e-12)
        e = i0 * (1 + cos_a) * (h / dist) / (np.pi * dist ** 2)
        lit = ~occluded(scene, points, np.tile(pos, (points.shape[0], 1)))
        total += np.where(lit, e, 0.0)
    return total


def _fields(scene, grid, lights, intensity):
    g15 = grid.at_height(1.5)
    return [Field(e_sc(scene, lights, intensity, g15.points, a), g15, "E_sc", "lx") for a in AZ8]


def _corner_scene():
    building = box(0, 0, 20, 8, 0, 6)
    corner = wall_quads([[19, -9], [23, -9], [23, -4]], 0, 3.0, closed=False)
    return combine(building, corner, groups=["building", "corner"])


def test_dark_corner_surveyed_only_once_lit():
    scene = _corner_scene()
    window = ObserverSet.from_points([[18.0, -0.1, 1.6]], [0, -1, 0], fov=180, max_distance=30)
    grid = CalculationGrid.from_points([[22.0, -7.0, 0.0], [17.0, -2.0, 0.0]])
    by_day = surveillance(scene, window, grid).values
    np.testing.assert_array_equal(by_day, [1, 1])
    street_lights = ([[0.0, -3.0, 5.0], [18.0, -1.0, 4.0]], [100.0, 100.0])
    night = night_surveillance(scene, window, grid, _fields(scene, grid, *street_lights))
    np.testing.assert_array_equal(night.values, [0, 1])  # the corner is dark
    assert night.quantity == "night_surveillance_count" and night.unit == "1"
    with_lamp = ([*street_lights[0], [22.0, -5.0, 5.0]], [*street_lights[1], 300.0])
    fields = _fields(scene, grid, *with_lamp)
    night2 = night_surveillance(scene, window, grid, fields)
    np.testing.assert_array_equal(night2.values, [1, 1])
    # The lamp is what did it: E_sc facing the window passes the 7.97 m threshold.
    d = np.linalg.norm(np.array([22.0, -7.0, 1.5]) - [18.0, -0.1, 1.6])
    k = int(np.round(np.degrees(np.arctan2(6.9, -4.0)) / 45.0)) % 8
    assert fields[k].values[0] > DEFAULT_RECOGNITION(d) > _fields(scene, grid, *street_lights)[k].values[0]


def test_facing_direction_is_chosen_per_observer():
    """A point lit from the east: the observer to its east sees a lit face, the one to the west
    sees the dark side."""
    scene = combine(box(100, 100, 101, 101))
    grid = CalculationGrid.from_points([[0.0, 0.0, 0.0]])
    fields = _fields(scene, grid, [[2.0, 0.0, 4.0]], [400.0])
    obs = ObserverSet.from_points([[6.0, 0.0, 1.6], [-6.0, 0.0, 1.6]], weight=[0.25, 0.5])
    res = night_surveillance(scene, obs, grid, fields, measure="weight")
    assert res.values[0] == pytest.approx(0.25)
    assert night_surveillance(scene, obs, grid, fields, measure="nearest").values[0] == \
        pytest.approx(np.hypot(6.0, 0.1))
    # One representative field (facing east) is used for every observer.
    one = night_surveillance(scene, obs, grid, fields[0])
    assert one.values[0] == 2
    # Explicit azimuths in another order give the same answer.
    rev = night_surveillance(scene, obs, grid, fields[::-1], facing_azimuths=AZ8[::-1])
    assert rev.values[0] == 1


def test_recognition_threshold_defaults_and_custom():
    thr = DEFAULT_RECOGNITION
    assert thr(4.0) == pytest.approx(1.0)
    assert thr(10.0) == pytest.approx(3.0)
    assert thr(7.0) == pytest.approx(np.sqrt(3.0))  # log-linear
    assert np.isinf(thr(21.0)) and np.isfinite(thr(20.0))  # 20 lx saturation at 20.4 m
    scene = combine(box(100, 100, 101, 101))
    grid = CalculationGrid.from_points([[0.0, 0.0, 0.0]])
    f = Field(np.full(1, 2.0), grid.at_height(1.5), "E_sc", "lx")
    obs = ObserverSet.from_points([[8.0, 0.0, 1.5], [3.0, 0.0, 1.5]])
    assert night_surveillance(scene, obs, grid, f).values[0] == 1  # 2 lx: 3 m yes, 8 m no
    strict = RecognitionThreshold(distances=(1.0, 5.0), illuminances=(5.0, 10.0))
    assert night_surveillance(scene, obs, grid, f, threshold=strict).values[0] == 0
    assert night_surveillance(scene, obs, grid, f, threshold=lambda d: 0.1 * d).values[0] == 2
    with pytest.raises(ParameterError, match="distances"):
        RecognitionThreshold(distances=(5.0, 4.0))
    with pytest.raises(ParameterError, match="illuminances"):
        RecognitionThreshold(illuminances=(0.0, 1.0))
    with pytest.raises(ParameterError, match="threshold"):
        night_surveillance(scene, obs, grid, f, threshold=3.0)


def test_illuminance_must_match_the_grid():
    scene = combine(box(100, 100, 101, 101))
    grid = CalculationGrid.from_points([[0.0, 0.0, 0.0]])
    other = CalculationGrid.from_points([[1.0, 0.0, 1.5]])
    obs = ObserverSet.from_points([[3.0, 0.0, 1.5]])
    with pytest.raises(FieldMismatchError, match="does not lie over"):
        night_surveillance(scene, obs, grid, Field(np.ones(1), other, "E_sc", "lx"))
    with pytest.raises(FieldMismatchError, match="unit"):
        night_surveillance(scene, obs, grid, Field(np.ones(1), grid, "E_sc", "cd"))
    with pytest.raises(ParameterError, match="illuminance"):
        night_surveillance(scene, obs, grid, np.ones(1))
    with pytest.raises(ParameterError, match="facing_azimuths"):
        night_surveillance(scene, obs, grid, [Field(np.ones(1), grid, "E_sc", "lx")] * 2,
                           facing_azimuths=[0.0])


def test_with_the_lighting_package():
    """The same dark corner with E_sc from cpted_sim.lighting (tests may import any layer):
    its fields agree with the inverse-square formula above and give the same verdicts."""
    import cpted_sim as cs
    from cpted_sim.photometry.builtin import isotropic

    scene = _corner_scene()
    window = ObserverSet.from_points([[18.0, -0.1, 1.6]], [0, -1, 0], fov=180, max_distance=30)
    grid = CalculationGrid.from_points([[22.0, -7.0, 0.0], [17.0, -2.0, 0.0]])
    g15 = grid.at_height(1.5)

    def fields(lights):
        lums = [cs.Luminaire(isotropic(i0), p, maintenance_factor=1.0) for p, i0 in zip(*lights)]
        return [cs.illuminance(scene, lums, g15, kind="semicylindrical",
                               facing=(np.cos(np.radians(a)), np.sin(np.radians(a)), 0.0),
                               quiet=True, cutoff=0.0) for a in AZ8]

    street_lights = ([[0.0, -3.0, 5.0], [18.0, -1.0, 4.0]], [100.0, 100.0])
    with_lamp = ([*street_lights[0], [22.0, -5.0, 5.0]], [*street_lights[1], 300.0])
    for lights, expect in ((street_lights, [0, 1]), (with_lamp, [1, 1])):
        ours = fields(lights)
        for f, ref in zip(ours, _fields(scene, grid, *lights)):
            np.testing.assert_allclose(f.values, ref.values, rtol=1e-6)
        np.testing.assert_array_equal(night_surveillance(scene, window, grid, ours).values,
                                      expect)
        # Or hand over a callable: facing -> E_sc field, called for 8 directions.
        lums = [cs.Luminaire(isotropic(i0), p, maintenance_factor=1.0) for p, i0 in zip(*lights)]
        call = night_surveillance(scene, window, grid, lambda f: cs.illuminance(
            scene, lums, g15, kind="semicylindrical", facing=f, quiet=True, cutoff=0.0))
        np.testing.assert_array_equal(call.values, expect)
