"""Poles along a road and aiming at a road (scenario/poles.py), checked geometrically."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import CptedWarning, ParameterError
from cpted_sim.photometry.luminaire import rotation_matrix
from cpted_sim.scenario.poles import aim_at_polyline, poles_along_road

STRAIGHT = np.array([[0.0, 0.0], [100.0, 0.0]])
FLAT = lambda xy: np.zeros(len(xy))  # noqa: E731


def _arc(r=40.0, n=200):
    t = np.linspace(0.0, np.pi / 2, n)
    return np.column_stack([r * np.cos(t), r * np.sin(t)])


def _c90_world(az, tilt=0.0):
    return np.array([rotation_matrix(a, tilt, 0.0) @ [0.0, 1.0, 0.0] for a in np.atleast_1d(az)])


def test_single_row_on_a_straight_road():
    lay = poles_along_road(STRAIGHT, 25.0, "single", setback=0.5, overhang=1.5, height=8.0,
                           half_width=3.0, ground_z=FLAT)
    assert len(lay) == 5
    assert np.allclose(lay.station, [0, 25, 50, 75, 100])
    assert np.allclose(lay.feet[:, 1], 3.5)             # half width + setback, left side
    assert np.allclose(lay.positions[:, 1], 2.0)        # overhang back over the road
    assert np.allclose(lay.positions[:, 2], 8.0)
    assert np.allclose(lay.feet[:, 0], lay.station)
    # C90 (the road side) points to -y, towards the axis
    assert np.allclose(_c90_world(lay.azimuth)[:, :2], [[0.0, -1.0]] * 5, atol=1e-12)


def test_row_is_centred_and_start_is_honoured():
    lay = poles_along_road(STRAIGHT, 30.0, ground_z=FLAT)
    assert np.allclose(lay.station, [5, 35, 65, 95])
    lay = poles_along_road(STRAIGHT, 30.0, start=2.0, side="right", ground_z=FLAT)
    assert np.allclose(lay.station, [2, 32, 62, 92]) and (lay.side == -1).all()
    assert np.allclose(lay.feet[:, 1], -3.5)


def test_staggered_and_opposite():
    st = poles_along_road(STRAIGHT, 20.0, "staggered", half_width=4.0, setback=1.0,
                          ground_z=FLAT)
    assert list(st.side) == [1, -1, 1, -1, 1, -1]
    assert np.allclose(np.abs(st.feet[:, 1]), 5.0)
    assert np.allclose(np.sign(st.feet[:, 1]), st.side)
    op = poles_along_road(STRAIGHT, 20.0, "opposite", half_width=4.0, setback=1.0,
                          ground_z=FLAT)
    assert len(op) == 12
    assert np.allclose(op.feet[0::2, 0], op.feet[1::2, 0])       # pairs face each other
    assert np.allclose(op.feet[0::2, 1], -op.feet[1::2, 1])
    c90 = _c90_world(op.azimuth)
    assert np.allclose(c90[:, 1], -np.sign(op.feet[:, 1]), atol=1e-12)


def test_curved_road_keeps_distance_and_spacing_along_the_axis():
    axis = _arc()
    lay = poles_along_road(axis, 10.0, "staggered", setback=0.5, overhang=1.0,
                           half_width=3.0, ground_z=FLAT)
    r = np.hypot(*lay.feet[:, :2].T)
    # left of a counter-clockwise arc is the inside: r = 40 - 3.5; right: 40 + 3.5
    expect = np.where(lay.side == 1, 36.5, 43.5)
    assert np.allclose(r, expect, atol=0.02)  # measured 0.005 m (chords of the 200-point arc)
    ang = np.arctan2(lay.feet[:, 1], lay.feet[:, 0])
    assert np.allclose(np.diff(ang) * 40.0, 10.0, atol=0.01)  # spacing measured along the axis
    head_r = np.hypot(*lay.positions[:, :2].T)
    assert np.allclose(np.abs(head_r - r), 1.0, atol=0.02)
    assert (np.abs(head_r - 40.0) < np.abs(r - 40.0)).all()  # heads over the road side


def test_ground_z_sets_the_feet_and_default_warns():
    lay = poles_along_road(STRAIGHT, 50.0, height=6.0, ground_z=lambda xy: 0.01 * xy[:, 0])
    assert np.allclose(lay.feet[:, 2], 0.01 * lay.feet[:, 0])
    assert np.allclose(lay.positions[:, 2] - lay.feet[:, 2], 6.0)
    with pytest.warns(CptedWarning, match=r"3 pole feet placed at z = 0"):
        poles_along_road(STRAIGHT, 50.0)


def test_bad_arguments():
    with pytest.raises(ParameterError, match="arrangement"):
        poles_along_road(STRAIGHT, 10.0, "zigzag", ground_z=FLAT)
    with pytest.raises(ParameterError, match="spacing"):
        poles_along_road(STRAIGHT, 0.0, ground_z=FLAT)
    with pytest.raises(ParameterError, match="zero length"):
        poles_along_road([[1.0, 1.0], [1.0, 1.0]], 10.0, ground_z=FLAT)
    with pytest.raises(ParameterError, match="ground_z"):
        poles_along_road(STRAIGHT, 10.0, ground_z=lambda xy: np.zeros(2))


def test_aim_at_polyline_points_c90_at_the_nearest_point():
    rng = np.random.default_rng(12)
    pts = rng.uniform(-20, 120, size=(50, 2))
    lines = [STRAIGHT, np.array([[0.0, 30.0], [0.0, 80.0]])]
    az, dist = aim_at_polyline(pts, lines)
    # brute force: nearest of many samples on both lines
    samples = np.vstack([np.column_stack([np.linspace(0, 100, 10001), np.zeros(10001)]),
                         np.column_stack([np.zeros(5001), np.linspace(30, 80, 5001)])])
    d = np.hypot(*(samples[None] - pts[:, None]).transpose(2, 0, 1))
    got = _c90_world(az)[:, :2]
    foot = pts + dist[:, None] * got      # walking dist along C90 lands on a line
    on_x = (np.abs(foot[:, 1]) < 1e-9) & (foot[:, 0] > -1e-9) & (foot[:, 0] < 100 + 1e-9)
    on_y = (np.abs(foot[:, 0]) < 1e-9) & (foot[:, 1] > 30 - 1e-9) & (foot[:, 1] < 80 + 1e-9)
    assert (on_x | on_y).all()
    assert (np.abs(dist - d.min(1)) < 0.006).all()  # brute-force sample spacing 0.01 m


def test_aim_at_polylines_of_different_lengths():
    lines = [np.array([[0.0, 0.0], [50.0, 0.0], [100.0, 0.0]]), [[0.0, 30.0], [0.0, 80.0]]]
    az, dist = aim_at_polyline([[10.0, 5.0], [-4.0, 50.0]], lines)
    assert np.allclose(dist, [5.0, 4.0])
    assert np.allclose(_c90_world(az)[:, :2], [[0.0, -1.0], [1.0, 0.0]], atol=1e-12)
    with pytest.raises(ParameterError, match="no lines"):
        aim_at_polyline([[0.0, 0.0]], [])


def _check_layout(axis, spacing, arrangement, hw, setback, overhang):
    from cpted_sim.scenario.poles import polyline_stations

    lay = poles_along_road(axis, spacing, arrangement, setback=setback, overhang=overhang,
                           half_width=hw, ground_z=FLAT)
    xy, tan = polyline_stations(axis, lay.station)
    off = lay.feet[:, :2] - xy
    normal = np.column_stack([-tan[:, 1], tan[:, 0]])
    # the foot is hw + setback out along the side's normal, the head overhang back
    assert np.allclose(off, normal * lay.side[:, None] * (hw + setback), atol=1e-9)
    assert np.allclose(np.hypot(*(lay.positions[:, :2] - lay.feet[:, :2]).T), abs(overhang),
                       atol=1e-9)
    st = np.unique(lay.station)
    assert np.allclose(np.diff(st), spacing, atol=1e-9)
    return lay


def test_layout_properties_on_random_polylines():
    from hypothesis import given, settings
    from hypothesis import strategies as hs

    @settings(max_examples=60, derandomize=True, deadline=None)
    @given(hs.integers(2, 12), hs.floats(2.0, 40.0), hs.sampled_from(
        ["single", "staggered", "opposite"]), hs.floats(0.0, 8.0), hs.floats(-1.0, 3.0),
        hs.floats(0.0, 3.0), hs.integers(0, 2**31 - 1))
    def check(nv, spacing, arrangement, hw, setback, overhang, seed):
        rng = np.random.default_rng(seed)
        axis = np.cumsum(rng.uniform(1.0, 30.0, size=(nv, 2)) * rng.choice([-1, 1], (nv, 2)),
                         axis=0)
        _check_layout(axis, spacing, arrangement, hw, setback, overhang)

    check()


def test_layout_luminaires_light_the_road_side():
    from cpted_sim.photometry.builtin import street_light_optic

    lay = poles_along_road(STRAIGHT, 50.0, "staggered", height=8.0, tilt=10.0, ground_z=FLAT)
    lums = lay.luminaires(street_light_optic(8000.0), "p", maintenance_factor=0.9)
    assert [lu.name for lu in lums] == ["p:1", "p:2", "p:3"]
    assert all(lu.maintenance_factor == 0.9 and lu.tilt == 10.0 for lu in lums)
    for lu in lums:   # the asymmetric optic throws more light over the road than behind it
        road = lu.position + np.array([0.0, -np.sign(lu.position[1]) * 6.0, -8.0])
        behind = lu.position + np.array([0.0, np.sign(lu.position[1]) * 6.0, -8.0])
        i_road, i_behind = lu.intensity_towards(np.array([road, behind]))
        assert i_road > 1.5 * i_behind
