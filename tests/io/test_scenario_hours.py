"""Scenario-file keys of the hours of the night (issue #18): parsing and errors."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ScenarioFileError
from cpted_sim.io.scenario_file import loads_scenario
from cpted_sim.lighting.hours import Sensor
from cpted_sim.visibility import CREST_PRESENCE

BASE = """
name = "night"
[scene]
builtin = "demo_street"
[[luminaires]]
name = "SL1"
photometry = { builtin = "street_light_optic", flux = 6000.0 }
position = [10.0, -1.0, 6.0]
{lum1}
[[luminaires]]
name = "SL2"
photometry = { builtin = "street_light_optic", flux = 6000.0 }
position = [40.0, -1.0, 6.0]
{lum2}
[[areas]]
name = "street"
kind = "en13201"
class = "P4"
polygon = [[10.0, -2.5], [40.0, -2.5], [40.0, 9.5], [10.0, 9.5]]
spacing = 2.0
[[observers]]
name = "windows"
kind = "window"
tag = "window"
{obs}
{top}
"""


def _load(lum1="", lum2="", obs="", top=""):
    text = BASE
    for k, v in (("lum1", lum1), ("lum2", lum2), ("obs", obs), ("top", top)):
        text = text.replace("{" + k + "}", v)
    return loads_scenario(text)


def test_no_hours_keys_no_hours():
    assert _load().hours is None


def test_all_keys_parse():
    sc = _load(lum1='schedule = "late"\npower = 38.5', lum2="power = 20",
               obs='presence = "always"',
               top="""
[[schedules]]
name = "late"
periods = [["23:00", "06:00", 0.5]]
[[schedules]]
name = "sensor"
periods = [["20:00", "06:00", { base = 0.2, raised = 0.7, probability = 0.1 }]]
luminaires = ["SL2"]
[hours]
start = "19:00"
end = "07:00"
at = "01:30"
step = 2
[obtrusive]
zone = "E3"
curfew = "22:00"
""")
    h = sc.hours
    assert h.luminaire_schedules == {"SL1": "late", "SL2": "sensor"}
    assert h.schedule_of("SL1").level_at(23.5) == 0.5
    assert isinstance(h.schedules["sensor"].periods[0][2], Sensor)
    assert h.schedule_of("SL2").level_at(21.0) == pytest.approx(0.25)
    assert h.power == {"SL1": 38.5, "SL2": 20.0}
    assert h.presence == {"windows": (1.0,) * 24}
    assert (h.start, h.end, h.at, h.step) == (19.0, 7.0, 1.5, 2.0)
    np.testing.assert_allclose(h.hours, [20.0, 22.0, 0.0, 2.0, 4.0, 6.0])
    assert h.obtrusive.name == "E3" and h.obtrusive.curfew == 22.0
    assert h.obtrusive.E_v_post == 2.0


def test_whole_scenario_schedule_and_own_limits():
    sc = _load(obs="presence = " + str([0.5] * 24), top="""
[[schedules]]
name = "night"
all = true
periods = [["22:30", "06:00", 0.5]]
[obtrusive]
E_v_pre = 4.0
E_v_post = 1.0
""")
    assert sc.hours.default_schedule == "night"
    assert sc.hours.schedule_of("SL2").level_at("22:45") == 0.5
    assert sc.hours.presence["windows"] == (0.5,) * 24
    assert sc.hours.obtrusive.name == "user" and sc.hours.obtrusive.I_pre is None
    assert _load(obs='presence = "residents"').hours.presence["windows"] == CREST_PRESENCE


@pytest.mark.parametrize("kw, match", [
    (dict(lum1='schedule = "nope"', top='[[schedules]]\nname = "a"\nperiods = []'),
     "luminaires\\[0\\].schedule.*expected one of a, always"),
    (dict(top='[[schedules]]\nname = "a"\nperiods = [["23:00", "06:00"]]'),
     "schedules\\[0\\].periods\\[0\\]"),
    (dict(top='[[schedules]]\nname = "a"\nperiods = [["25:00", "06:00", 0.5]]'),
     "HH:MM"),
    (dict(top='[[schedules]]\nname = "a"\nperiods = [["22:00", "03:00", 0.5], '
               '["01:00", "05:00", 0.2]]'), "overlap"),
    (dict(top='[[schedules]]\nname = "a"\nperiods = []\nluminaires = ["SL9"]'),
     "no luminaire is named 'SL9'"),
    (dict(lum1="power = -3"), "luminaires\\[0\\].power"),
    (dict(obs="presence = [1.0, 2.0]"), "24 hourly weights"),
    (dict(top='[obtrusive]\nzone = "E7"'), "obtrusive.zone"),
    (dict(top='[obtrusive]\nE_v_pre = 3.0'), "E_v_post"),
    (dict(top='[hours]\nsunset = "18:00"'), "hours.sunset"),
])
def test_errors_name_the_key(kw, match):
    with pytest.raises(ScenarioFileError, match=match):
        _load(**kw)


def test_round_trip_load_save_load(tmp_path):
    from cpted_sim.io.scenario_file import dumps_scenario

    sc = _load(lum1='schedule = "late"\npower = 38.5', obs=f"presence = {[0.5] * 24}",
               top="""
[[schedules]]
name = "late"
default = 0.9
periods = [["23:00", "06:00", 0.5], ["18:00", "20:00", { base = 0.2, raised = 0.7, probability = 0.1 }]]
[[schedules]]
name = "all"
all = true
periods = [["22:30", "05:00", 0.3]]
[hours]
at = "01:30"
[obtrusive]
zone = "E2"
curfew = "22:00"
""")
    text = dumps_scenario(sc, base_dir=tmp_path)
    back = loads_scenario(text, base_dir=tmp_path)
    assert back.hours == sc.hours
    assert dumps_scenario(back, base_dir=tmp_path) == text


def test_set_schedule_variant_parses_checks_and_round_trips(tmp_path):
    from cpted_sim.io.scenario_file import dumps_scenario
    from cpted_sim.scenario.changes import SetSchedule

    top = """
[[schedules]]
name = "late"
all = true
periods = [["23:00", "06:00", 0.5]]
[[variants]]
name = "no dimming"
[[variants.changes]]
op = "set_schedule"
schedule = "always"
[[variants]]
name = "SL2 late only"
[[variants.changes]]
op = "set_schedule"
schedule = "always"
[[variants.changes]]
op = "set_schedule"
schedule = "late"
luminaires = ["SL2"]
"""
    sc = _load(top=top)
    assert sc.variants[0].changes == (SetSchedule("always"),)
    v0 = sc.variants[0].apply(sc)
    assert v0.hours.default_schedule == "always"
    assert v0.hours.schedule_of("SL1").level_at(2.0) == 1.0
    v1 = sc.variants[1].apply(sc)
    assert v1.hours.schedule_of("SL1").level_at(2.0) == 1.0
    assert v1.hours.schedule_of("SL2").level_at(2.0) == 0.5
    text = dumps_scenario(sc, base_dir=tmp_path)
    back = loads_scenario(text, base_dir=tmp_path)
    assert back.variants == sc.variants and back.hours == sc.hours
    with pytest.raises(ScenarioFileError, match="variants\\[0\\].changes\\[0\\].schedule"):
        _load(top=top.replace('schedule = "always"', 'schedule = "latte"', 1))
    with pytest.raises(ScenarioFileError, match="reserved"):
        _load(top='[[schedules]]\nname = "always"\nperiods = []')
