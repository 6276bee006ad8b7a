"""Field statistics: min, average, max, uniformities, area fractions."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim import CalculationGrid, Field
from cpted_sim.errors import ParameterError
from cpted_sim.metrics import area_fraction_below, area_fractions_below, summary


def _field(values, areas=None):
    n = len(values)
    g = CalculationGrid(np.column_stack([np.arange(n), np.zeros(n), np.zeros(n)]).astype(float),
                        areas=None if areas is None else np.asarray(areas, float))
    return Field(np.asarray(values, float), g, "E_h", "lx")


def test_summary_values():
    s = summary(_field([1.0, 2.0, 3.0, 6.0]))
    assert (s.min, s.avg, s.max) == (1.0, 3.0, 6.0)
    assert s.u0 == pytest.approx(1 / 3) and s.min_over_max == pytest.approx(1 / 6)
    assert s.as_dict()["unit"] == "lx" and s.n_points == 4


def test_summary_is_area_weighted_when_points_carry_areas():
    f = _field([1.0, 3.0], areas=[3.0, 1.0])
    assert summary(f).avg == pytest.approx(1.5)
    assert summary(f, weighted=False).avg == pytest.approx(2.0)


def test_summary_ignores_nan_and_handles_darkness():
    s = summary(_field([np.nan, 0.0, 0.0]))
    assert s.n_points == 2 and s.avg == 0.0 and np.isnan(s.u0) and np.isnan(s.min_over_max)
    with pytest.raises(ParameterError, match="NaN"):
        summary(_field([np.nan]))
    with pytest.raises(ParameterError, match="field"):
        summary(np.ones(3))


def test_area_fractions_below_thresholds():
    f = _field([0.1, 0.5, 1.0, 2.0], areas=[1, 1, 1, 5])
    assert area_fraction_below(f, 1.0) == pytest.approx(2 / 8)
    assert area_fraction_below(f, 1.0, weighted=False) == pytest.approx(0.5)
    np.testing.assert_allclose(area_fractions_below(f, [0.05, 0.6, 3.0]), [0, 0.25, 1.0])
