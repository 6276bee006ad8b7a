"""The hours of the night on the demo (issue #18): presence, dimming cost, energy, windows."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from cpted_sim.io.scenario_file import load_scenario
from cpted_sim.lighting.illuminance import illuminance
from cpted_sim.lighting.hours import Schedule
from cpted_sim.metrics.obtrusive import obtrusive_limits
from cpted_sim.scenario.demo import demo_scenario_path
from cpted_sim.scenario.run import build_observers, run
from cpted_sim.scenario.schedule import HoursSpec
from cpted_sim.visibility import CREST_PRESENCE, night_surveillance_fields

UTRECHT = Schedule([("23:00", "06:00", 0.5)], name="utrecht")


@pytest.fixture(scope="module")
def demo():
    return load_scenario(demo_scenario_path())


def _run(sc, **spec):
    return run(dataclasses.replace(sc, hours=HoursSpec(**spec)), quiet=True)


def _direct_street_weight(r, hour, level):
    """Night surveillance of the demo street recomputed directly: E_sc traced at ``level``
    times full output, every observer's weight times its presence at ``hour``."""
    area = r.areas["street"]
    scene, lums = r.scene, r.luminaires
    face = area.grid.at_height(1.5)
    azs = [0.0, 90.0, 180.0, 270.0]          # the street is long in x: main direction +x
    esc = []
    for az in azs:
        f = illuminance(scene, lums, face, kind="semicylindrical", quiet=True,
                        facing=(math.cos(math.radians(az)), math.sin(math.radians(az)), 0.0))
        esc.append(f.with_values(level * f.values))
    obs = build_observers(load_scenario(demo_scenario_path()), scene)
    slot = int(hour) % 24
    pres = np.where(obs.kind.astype(str) == "window", CREST_PRESENCE[slot], 1.0)
    scaled = dataclasses.replace(obs, weight=obs.weight * pres)
    return night_surveillance_fields(scene, scaled, area.grid, esc, facing_azimuths=azs,
                                     quiet=True).weight.values


@pytest.mark.slow
def test_presence_at_2130_and_0200_matches_direct_recomputation(demo):
    """Acceptance: night surveillance at 21:30 and 02:00 differs as the presence weights
    imply, checked against a direct recomputation with scaled weights."""
    at_2130 = _run(demo, at=21.5).hours.areas["street"].fields_at["night_surveillance_weight"]
    r = _run(demo, at=2.0)
    at_0200 = r.hours.areas["street"].fields_at["night_surveillance_weight"]
    direct_2130 = _direct_street_weight(r, 21.5, 1.0)
    direct_0200 = _direct_street_weight(r, 2.0, 1.0)
    # the same sums in another order: 1e-12 apart at most (measured 0)
    np.testing.assert_allclose(at_2130.values, direct_2130, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(at_0200.values, direct_0200, rtol=1e-12, atol=1e-12)
    assert at_0200.values.sum() < 0.5 * at_2130.values.sum()
    assert at_2130.provenance["hour"] == "21:30" and at_0200.provenance["hour"] == "02:00"
    # any other time, as a citizen's report gives it: the same as the chosen hour's run
    again = r.hours.areas["street"].night_at("02:40")["night_surveillance_weight"]
    np.testing.assert_array_equal(again.values, at_0200.values)   # same slot, same light
    assert again.provenance["hour"] == "02:40"


def test_full_light_and_full_presence_give_the_runs_own_night_field(demo):
    always = (1.0,) * 24
    r = _run(demo, presence={"windows": always, "pedestrians": always}, at=3.0)
    area = r.hours.areas["street"]
    np.testing.assert_allclose(area.fields_at["night_surveillance_weight"].values,
                               r.areas["street"].fields["night_surveillance_weight"].values,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(area.fields_at["E_h"].values,
                               r.areas["street"].fields["E_h"].values, rtol=1e-12, atol=1e-12)


def test_dimming_curve_worst_hour_energy_and_dimming_cost(demo):
    r = _run(demo, schedules={"utrecht": UTRECHT}, default_schedule="utrecht",
             power={"SL1": 40.0, "SL2": 40.0, "SL3": 40.0}, obtrusive=obtrusive_limits("E3"))
    h = r.hours
    np.testing.assert_allclose(h.hours, [20.5, 21.5, 22.5, 23.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    street = h.areas["street"]
    # dimmed to half from 23:00: the mean E_h halves exactly
    np.testing.assert_allclose(street.mean_E_h[3:], 0.5 * street.mean_E_h[0], rtol=1e-12)
    np.testing.assert_allclose(street.mean_E_h[0],
                               np.average(r.areas["street"].fields["E_h"].values), rtol=1e-12)
    # dimming costs night-time surveillance after 23:00, never before
    cost = street.unwatched - street.unwatched_full_light
    assert np.all(cost[:3] == 0.0) and np.all(cost[3:] >= 0.0) and cost[3:].max() > 0.0
    assert street.hours[street.worst] >= 23.0 or street.hours[street.worst] < 6.0
    assert street.worst_hour in street.fields_worst["E_h"].provenance["hour"]
    # energy: 120 W for 3 h at full and 7 h at half, 365 nights a year
    assert h.energy.energy == pytest.approx(120.0 * (3 + 0.5 * 7) * 365, rel=1e-12)
    assert h.energy.power == 120.0 and h.energy.D_E == pytest.approx(
        h.energy.energy / h.energy.area, rel=1e-12)
    assert set(h.energy_by_area) == {"street"}          # all three poles stand by the street
    assert h.obtrusive is not None and h.obtrusive.E_v.shape == (10, h.window_points.shape[0])
    assert h.schedules == {"SL1": "utrecht", "SL2": "utrecht", "SL3": "utrecht"}
    assert [lum.power for lum in r.luminaires] == [40.0] * 3     # the luminaires carry it


@pytest.mark.slow
def test_missing_power_is_a_warning_not_silence(demo):
    r = _run(demo, power={"SL1": 40.0})
    assert r.hours.energy is None
    assert any("2 of 3 luminaires have no power" in w for w in r.warnings)
    r = _run(demo)                     # no power anywhere: energy is simply not asked for
    assert r.hours.energy is None and r.hours.energy_note.startswith("no luminaire")
    assert not any("power" in w for w in r.warnings)


def test_areas_without_night_surveillance_get_light_curves_and_obtrusive_needs_no_sight(demo):
    areas = tuple(dataclasses.replace(a, quantities=("E_h",)) if a.kind != "facade" else a
                  for a in demo.areas)
    sc = dataclasses.replace(demo, areas=areas)
    r = _run(sc, schedules={"u": UTRECHT}, default_schedule="u",
             obtrusive=obtrusive_limits("E3"))
    street = r.hours.areas["street"]
    assert np.all(np.isnan(street.unwatched))
    assert street.hours[street.worst] == 23.5            # the first dimmed, darkest hour
    assert r.hours.obtrusive is not None                  # windows built for the check alone


def test_every_night_metric_as_a_curve(demo):
    r = _run(demo, schedules={"u": UTRECHT}, default_schedule="u", at=2.0)
    street = r.hours.areas["street"]
    base = r.areas["street"].metrics
    c = street.metric_curves
    assert {"E_avg", "E_min", "U0", "class_achieved", "E_sc_min", "dark_pct",
            "night_surveyed_pct"} <= set(c)
    # before 23:00 the curve is the run's own metric table; after, E_avg halves, U0 stays
    for k in ("E_avg", "E_min", "U0", "E_sc_min", "dark_pct", "class_achieved"):
        assert c[k][0] == pytest.approx(base[k].value, rel=1e-12, abs=1e-12), k
    np.testing.assert_allclose(c["E_avg"][3:], 0.5 * base["E_avg"].value, rtol=1e-12)
    np.testing.assert_allclose(c["U0"][3:], base["U0"].value, rtol=1e-12)
    assert c["class_achieved"][5] <= c["class_achieved"][0]   # dimming never betters a class
    assert street.metrics_at["E_avg"].value == pytest.approx(c["E_avg"][6], rel=1e-12)
    # night_surveyed_pct is 100 minus the unwatched share
    np.testing.assert_allclose(c["night_surveyed_pct"], 100 * (1 - street.unwatched),
                               rtol=1e-12, atol=1e-9)


def test_a_variant_without_dimming_costs_nothing(demo):
    from cpted_sim.scenario.changes import SetSchedule
    from cpted_sim.scenario.model import Variant

    v = Variant("no dimming", (SetSchedule("always"),))
    r = run(v.apply(demo), quiet=True)
    street = r.hours.areas["street"]
    np.testing.assert_array_equal(street.unwatched, street.unwatched_full_light)
    np.testing.assert_allclose(street.mean_E_h, street.mean_E_h[0], rtol=1e-12)
    assert r.hours.energy.energy == pytest.approx(135.0 * 10 * 365, rel=1e-12)
    with pytest.raises(Exception, match="no schedule is named 'nope'"):
        Variant("x", (SetSchedule("nope"),)).apply(demo)


@pytest.mark.slow
def test_hours_with_interreflection_match_the_runs_own_light(demo):
    sc = dataclasses.replace(demo, settings=dataclasses.replace(demo.settings, bounces=1))
    r = run(sc, quiet=True)
    street = r.hours.areas["street"]
    # before 23:00 the hourly light (direct + one bounce, per group) is the run's own field
    np.testing.assert_allclose(street.E_h.at(21.0).values,
                               r.areas["street"].fields["E_h"].values, rtol=1e-9, atol=1e-12)
    assert r.areas["street"].fields["E_h"].provenance["bounces"] == 1
