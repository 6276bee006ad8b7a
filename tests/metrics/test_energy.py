"""EN 13201-5 energy indicators (issue #18, item 5) against a hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.lighting.hours import Schedule, operating_periods
from cpted_sim.metrics.energy import (NIGHTS_PER_YEAR, annual_energy, energy_indicators,
                                      power_density)


def test_two_luminaires_two_periods_by_hand():
    # lamp 1: 40 W, dimmed to 50 % from 23:00; lamp 2: 60 W, full all night (20:00-06:00)
    s1 = Schedule([("23:00", "06:00", 0.5)])
    s2 = Schedule()
    bounds, levels = operating_periods([s1, s2], "20:00", "06:00")
    np.testing.assert_allclose(bounds, [0.0, 3.0, 10.0])
    np.testing.assert_allclose(levels, [[1.0, 0.5], [1.0, 1.0]])
    hours = np.diff(bounds) * NIGHTS_PER_YEAR                   # 1095 h and 2555 h a year
    # two sub-areas: 150 m2 at 10 lx and 50 m2 at 5 lx
    ind = energy_indicators([40.0, 60.0], levels, hours, [10.0, 5.0], [150.0, 50.0])
    # by hand: W = (40 + 60) 1095 + (40 * 0.5 + 60) 2555 = 109 500 + 204 400 = 313 900 Wh
    assert ind.energy == pytest.approx(313_900.0, rel=1e-12)
    assert ind.D_E == pytest.approx(313_900.0 / 200.0, rel=1e-12)      # 1569.5 Wh/(m2 a)
    # D_P = 100 W / (10 * 150 + 5 * 50) lx m2 = 100 / 1750
    assert ind.D_P == pytest.approx(100.0 / 1750.0, rel=1e-12)
    assert ind.power == 100.0 and ind.area == 200.0 and ind.hours == pytest.approx(3650.0)
    # dimming is what changes D_E, not D_P
    full = energy_indicators([40.0, 60.0], np.ones((2, 2)), hours, [10.0, 5.0], [150.0, 50.0])
    assert full.D_P == ind.D_P and full.D_E > ind.D_E


def test_energy_errors_and_edges():
    assert power_density(10.0, 0.0, 5.0) == float("inf")
    with pytest.raises(ParameterError, match="levels"):
        annual_energy([1.0, 2.0], np.ones((2, 3)), [1.0, 1.0])
    with pytest.raises(ParameterError):
        annual_energy([1.0], [[-0.5]], [1.0])
    with pytest.raises(ParameterError, match="area"):
        energy_indicators([1.0], [[1.0]], [1.0], 1.0, 0.0)
