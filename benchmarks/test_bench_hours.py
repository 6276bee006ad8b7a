"""The hours of the night (issue 18): combining group fields per hour against tracing again.

The job: horizontal illuminance on the demo street's grid (0.25 m) at the ten hours of the
default night (20:30 ... 05:30) with every light dimmed to 50 % after 23:00.

- ``combine``: ``hourly_illuminance`` once, then ``HourlyField.curve`` (no ray traced);
- ``retrace``: ``cs.illuminance`` at each hour with ``flux_scale`` set to the hour's level.

And the demo scenario run with and without its ``[hours]`` keys.

Run: ``PYTHONPATH=src python -m pytest benchmarks/test_bench_hours.py --benchmark-only``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim.lighting.hours import Schedule, hourly_illuminance, night_hours
from cpted_sim.scenario.demo import demo_scenario_path, demo_street

LATE = Schedule([("23:00", "06:00", 0.5)])


@pytest.fixture(scope="module")
def job():
    sc = cs.load_scenario(demo_scenario_path())
    scene = demo_street()
    lums = cs.run(dataclasses.replace(sc, hours=None), quiet=True).luminaires
    grid = cs.CalculationGrid.regular(0.0, -5.0, 80.0, 10.0, 0.25)
    return sc, scene, lums, grid


def test_hours_combine(benchmark, job):
    _, scene, lums, grid = job

    def combine():
        return hourly_illuminance(scene, lums, grid, schedules=LATE, quiet=True).curve()

    out = benchmark(combine)
    assert out.shape == (10, grid.n_points)


def test_hours_retrace(benchmark, job):
    _, scene, lums, grid = job

    def retrace():
        return np.stack([
            cs.illuminance(scene, [dataclasses.replace(x, flux_scale=LATE.level_at(h))
                                   for x in lums], grid, quiet=True).values
            for h in night_hours()])

    out = benchmark(retrace)
    assert out.shape == (10, grid.n_points)


@pytest.mark.parametrize("hours", [True, False], ids=["with_hours", "without_hours"])
def test_demo_run(benchmark, job, hours):
    sc = job[0] if hours else dataclasses.replace(job[0], hours=None)
    benchmark(lambda: cs.run(sc, quiet=True))
