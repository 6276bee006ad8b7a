"""Light by the hour (issue #18, item 1): schedules, group fields combined without tracing."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from cpted_sim import CalculationGrid, Luminaire, illuminance
from cpted_sim.errors import ParameterError
from cpted_sim.lighting.hours import (Schedule, Sensor, format_hour, hourly_illuminance,
                                      night_hours, parse_hour, window_light)
from cpted_sim.photometry.builtin import isotropic, street_light_optic

from lighting_scenes import box_scene, ground_scene

direct_mod = importlib.import_module("cpted_sim.kernels.direct")
illum_mod = importlib.import_module("cpted_sim.lighting.illuminance")


def _grid(n=50, seed=3):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-15, 15, (n, 2))
    return CalculationGrid.from_points(np.column_stack([xy, np.zeros(n)]))


def test_parse_and_format_hours():
    assert parse_hour("23:30") == 23.5 and parse_hour("24:00") == 0.0 and parse_hour(6) == 6.0
    assert format_hour(23.5) == "23:30" and format_hour(24.0) == "00:00"
    for bad in ("25:00", "23:75", "noon", -1.0, True):
        with pytest.raises(ParameterError):
            parse_hour(bad)
    np.testing.assert_allclose(night_hours(), [20.5, 21.5, 22.5, 23.5, 0.5, 1.5, 2.5, 3.5,
                                               4.5, 5.5])


def test_schedule_levels_over_midnight_and_sensor():
    s = Schedule([("23:00", "06:00", 0.5), ("18:00", "20:00", Sensor(0.2, 0.7, 0.4))])
    np.testing.assert_allclose(s.level_at([22.5, 23.0, 23.5, 2.0, 5.99, 6.0, 19.0]),
                               [1.0, 0.5, 0.5, 0.5, 0.5, 1.0, 0.2 + 0.4 * 0.5])
    assert s.level_at("23:30") == 0.5
    np.testing.assert_allclose(s.change_points(), [6.0, 18.0, 20.0, 23.0])
    with pytest.raises(ParameterError, match="overlap"):
        Schedule([("22:00", "02:00", 0.5), ("01:00", "05:00", 0.3)])
    with pytest.raises(ParameterError, match="level"):
        Schedule([("22:00", "02:00", -0.5)])
    with pytest.raises(ParameterError, match="probability"):
        Sensor(0.2, 0.7, 1.5)


def test_dimmed_after_23_is_exactly_half_without_retracing(monkeypatch):
    """Acceptance: one luminaire dimmed to 50 % after 23:00 gives exactly half the
    illuminance at 23:30 and the same at 22:30, and combining traces no ray."""
    scene = box_scene()
    lums = [Luminaire(street_light_optic(), [0.0, -4.0, 6.0], name="a", maintenance_factor=1.0),
            Luminaire(isotropic(500.0), [6.0, 5.0, 5.0], name="b", maintenance_factor=1.0)]
    grid = _grid()
    sched = {"a": Schedule([("23:00", "06:00", 0.5)])}
    calls = {"n": 0}
    real = direct_mod.direct_illuminance

    def counting(*args):
        calls["n"] += 1
        return real(*args)

    monkeypatch.setattr(illum_mod.direct, "direct_illuminance", counting)
    hf = hourly_illuminance(scene, lums, grid, schedules=sched, quiet=True)
    traced = calls["n"]
    assert traced == 2                      # one kernel call per group (a, then b)
    rays_parts = hf.shadow_rays
    assert rays_parts > 0
    e_2230, e_2330 = hf.at("22:30"), hf.at("23:30")
    curve = hf.curve([22.5, 23.5, 2.0])
    assert calls["n"] == traced             # combining per hour traced nothing
    assert e_2330.provenance["shadow_rays"] == 0
    full_a = illuminance(scene, lums[:1], grid, quiet=True)
    full_b = illuminance(scene, lums[1:], grid, quiet=True)
    both = illuminance(scene, lums, grid, quiet=True)
    # tracing the groups costs the rays of tracing all luminaires at once (same pairs)
    assert rays_parts == both.provenance["shadow_rays"]
    np.testing.assert_array_equal(e_2230.values, full_a.values + full_b.values)
    np.testing.assert_array_equal(e_2330.values, 0.5 * full_a.values + full_b.values)
    # the dimmed luminaire's share is halved (to the rounding of the subtraction: 8.9e-16
    # lx measured)
    np.testing.assert_allclose(e_2330.values - full_b.values,
                               0.5 * (e_2230.values - full_b.values), rtol=0, atol=3e-15)
    # the sum of the two groups equals the all-at-once field to rounding (measured 0)
    np.testing.assert_allclose(e_2230.values, both.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(curve[1], e_2330.values)
    np.testing.assert_array_equal(curve[2], e_2330.values)


def test_window_light_closed_form_inverse_square_cosine():
    """Acceptance: a window facing a luminaire at a known distance gets E_v = I cos(t)/d^2."""
    scene = ground_scene(100.0)
    lum = Luminaire(isotropic(1200.0), [0.0, 0.0, 6.0], name="lamp", maintenance_factor=1.0)
    rng = np.random.default_rng(18)
    pts = np.column_stack([rng.uniform(-20, 20, (40, 2)), rng.uniform(1.0, 9.0, 40)])
    ang = rng.uniform(0, 2 * np.pi, 40)
    nrm = np.column_stack([np.cos(ang), np.sin(ang), np.zeros(40)])
    ev, inten = window_light(scene, [lum], pts, nrm,
                             schedules=Schedule([("23:00", "06:00", 0.5)]),
                             hours=[22.5, 23.5], quiet=True)
    v = lum.position - pts
    d = np.linalg.norm(v, axis=1)
    cos_t = np.maximum(0.0, np.sum(v / d[:, None] * nrm, axis=1))
    expected = 1200.0 * cos_t / d ** 2
    np.testing.assert_allclose(ev.at(22.5).values, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ev.at(23.5).values, 0.5 * expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(inten, [np.full(40, 1200.0), np.full(40, 600.0)], rtol=1e-9)


def test_interreflection_per_group_is_solved_once_and_adds_up():
    scene = box_scene()
    lums = [Luminaire(isotropic(800.0), [-4.0, -4.0, 5.0], name="a", maintenance_factor=1.0),
            Luminaire(isotropic(500.0), [6.0, 5.0, 5.0], name="b", maintenance_factor=1.0)]
    grid = _grid(30)
    late = Schedule([("23:00", "06:00", 0.5)])
    one = hourly_illuminance(scene, lums, grid, schedules=late, bounces=1, quiet=True)
    ref = illuminance(scene, lums, grid, bounces=1, quiet=True)
    # one group: the same solution as the plain call (same seed), to rounding
    np.testing.assert_allclose(one.at("22:00").values, ref.values, rtol=1e-12, atol=1e-12)
    cache = {}
    two = hourly_illuminance(scene, lums, grid, schedules={"a": late}, bounces=1,
                             solutions=cache, quiet=True)
    assert sorted(cache) == [(0,), (1,)]
    hourly_illuminance(scene, lums, grid.at_height(1.0), schedules={"a": late}, bounces=1,
                       solutions=cache, quiet=True)
    assert len(cache) == 2                                   # reused, not solved again
    # the radiosity is linear in the sources and seeded per patch: the two groups' solutions
    # add up to the all-at-once one (measured 1.2e-15 relative in the mean indirect part)
    direct = illuminance(scene, lums, grid, quiet=True).values
    assert (ref.values - direct).mean() > 0
    np.testing.assert_allclose(two.at("22:00").values, ref.values, rtol=1e-9, atol=1e-12)
    # dimmed: group a's direct and indirect light both halve
    np.testing.assert_allclose(two.at("23:30").values,
                               0.5 * two.parts[0].values + two.parts[1].values, rtol=1e-12)
