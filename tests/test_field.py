"""Field arithmetic: sums and differences check grid, unit and (for sums) quantity."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import FieldMismatchError
from cpted_sim.field import Field
from cpted_sim.geometry.grid import CalculationGrid


@pytest.fixture
def grid():
    rng = np.random.default_rng(15)
    return CalculationGrid(rng.uniform(0.0, 10.0, (5, 3)), kind="horizontal")


def test_fields_of_one_quantity_add_up(grid):
    a = Field(np.arange(5.0), grid, "E_h", "lx")
    b = Field(np.ones(5), grid, "E_h", "lx")
    s = a + b
    assert s.quantity == "E_h" and s.unit == "lx"
    np.testing.assert_allclose(s.values, np.arange(5.0) + 1.0)


def test_different_quantities_do_not_add_up(grid):
    e_h = Field(np.ones(5), grid, "E_h", "lx")
    e_v = Field(np.ones(5), grid, "E_v", "lx")
    with pytest.raises(FieldMismatchError, match="quantities differ: 'E_h' and 'E_v'"):
        e_h + e_v


def test_difference_keeps_checking_units(grid):
    a = Field(np.ones(5), grid, "E_h", "lx")
    b = Field(np.ones(5), grid, "E_h", "cd")
    with pytest.raises(FieldMismatchError, match="units differ"):
        a - b
    assert (a - a).quantity == "delta_E_h"
