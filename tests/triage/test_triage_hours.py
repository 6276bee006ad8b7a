"""Triage uses each report's time (issue 18 build 3): with ``[hours]`` a report made at night
is judged against the light and the watchers at its local hour."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _triage_town import town_scenario  # noqa: E402

from cpted_sim.lighting.hours import Schedule
from cpted_sim.scenario.schedule import HoursSpec
from cpted_sim.triage.at_hour import judged_hours, local_hours
from cpted_sim.triage.context import report_context

# two reports at the same spot on the lit street, in December (CET = UTC+1)
XY = np.array([[200.0, 60.0], [200.0, 60.0], [200.0, 60.0]])
TIMES = np.array(["2025-12-03T21:30:00", "2025-12-03T22:30:00", "NaT"], dtype="datetime64[s]")


def _dimmed():
    sc = town_scenario()
    spec = HoursSpec(schedules={"half": Schedule([("23:00", "06:00", 0.5)], name="half")},
                     default_schedule="half")
    return replace(sc, hours=spec)


def test_local_hours_and_the_night_window():
    h = local_hours(TIMES)
    assert h[0] == pytest.approx(22.5) and h[1] == pytest.approx(23.5) and np.isnan(h[2])
    summer = local_hours(np.array(["2025-06-30T23:30:00"], dtype="datetime64[s]"))
    assert summer[0] == pytest.approx(1.5)                   # CEST = UTC+2
    spec = HoursSpec()                                        # night 20:00 to 06:00
    day = np.array(["2025-12-03T12:00:00"], dtype="datetime64[s]")
    assert np.isnan(judged_hours(day, spec)[0])


def test_report_after_dimming_sees_half_the_light():
    sc = _dimmed()
    ctx = report_context(sc, XY, None, TIMES, radius=8.0, spacing=2.0)
    e = ctx.values["E_h_mean"]
    # 22:30 and no time: full light (measured E_h_mean 42 lx); 23:30: the schedule's half
    assert e[0] > 1.0
    assert e[1] / e[0] == pytest.approx(0.5, rel=1e-6)
    assert e[2] == pytest.approx(e[0], rel=1e-6)
    assert ctx.values["E_sc_mean"][1] == pytest.approx(0.5 * ctx.values["E_sc_mean"][0],
                                                       rel=1e-6)
    assert ctx.settings["judged_at"] == ("22:30", "23:30", "")
    # the watchers at the hour: residents behind the windows by the CREST presence table and
    # faces lit by the dimmed lights (measured: 5.8 at full light and everyone present, 3.2 at
    # 22:30, 1.5 at 23:30)
    nt = ctx.values["night_surveillance"]
    assert nt[1] < 0.8 * nt[0] and nt[0] < 0.8 * nt[2]
    # daytime surveillance does not depend on the hour
    assert ctx.values["surveillance"][1] == pytest.approx(ctx.values["surveillance"][0])


def test_without_hours_every_report_sees_full_light():
    ctx = report_context(town_scenario(), XY, None, TIMES, radius=8.0, spacing=2.0)
    e = ctx.values["E_h_mean"]
    assert e[1] == pytest.approx(e[0], rel=1e-9)
    assert ctx.settings["judged_at"] == ("", "", "")


def test_the_report_says_how_many_reports_were_judged_at_their_hour(tmp_path):
    from cpted_sim.io.triage_report import LABELS, write_triage
    from cpted_sim.triage.pipeline import triage

    xy = np.repeat(XY[:1], 3, axis=0)
    res = triage(_dimmed(), xy, None, TIMES, radius=8.0, measures=False)
    assert ("note_hours", {"n": 2, "total": 3}) in res.note_keys
    write_triage(res, tmp_path / "nl", lang="nl", maps=False)
    md = (tmp_path / "nl" / "triage.md").read_text(encoding="utf-8")
    assert LABELS["note_hours"]["nl"].format(n=2, total=3) in md
