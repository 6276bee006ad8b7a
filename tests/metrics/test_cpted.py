"""CPTED indices on sightline fields."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import FieldMismatchError, ParameterError
from cpted_sim.field import Field
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.metrics.cpted import (
    concealment_share,
    longest_unobserved_stretch,
    night_loss_share,
    unobserved_share,
)


def _field(values, grid=None, quantity="surveillance_count"):
    values = np.asarray(values, dtype=float)
    if grid is None:
        grid = CalculationGrid.from_points(np.column_stack([np.arange(values.size),
                                                            np.zeros((values.size, 2))]))
    return Field(values, grid, quantity, "1")


def test_unobserved_share():
    f = _field([0, 0.5, 1, 2, 3, np.nan])
    assert unobserved_share(f) == pytest.approx(2 / 5)
    assert unobserved_share(f, min_observers=2) == pytest.approx(3 / 5)
    assert unobserved_share(f, min_observers=0) == 0.0
    with pytest.raises(ParameterError, match="surveillance"):
        unobserved_share(np.zeros(3))


def test_unobserved_share_by_area():
    grid = CalculationGrid.along_path([[0, 0], [10, 0], [10, 30]], 1.0)
    assert grid.areas is not None
    v = np.where(grid.points[:, 1] > 0.5, 0.0, 3.0)  # the northbound leg is unobserved
    share = unobserved_share(_field(v, grid))
    assert share == pytest.approx(np.sum(grid.areas[v == 0]) / np.sum(grid.areas))


def test_longest_unobserved_stretch():
    # Points 1 m apart along x: 0..9, counts with runs of 2 and 3 unobserved points.
    f = _field([2, 0, 0, 1, 1, 0, 0, 0, 1, 1])
    s = longest_unobserved_stretch(f)
    assert s.length == pytest.approx(3.0)
    assert (s.start, s.end) == pytest.approx((4.5, 7.5))
    # A run at the route's end stops at the last point.
    s2 = longest_unobserved_stretch(_field([1, 1, 0, 0]))
    assert (s2.length, s2.start, s2.end) == pytest.approx((1.5, 1.5, 3.0))
    assert longest_unobserved_stretch(_field([1, 1, 1])).length == 0.0


def test_concealment_and_night_loss():
    c = _field([1, 0, 0, np.nan, 1], quantity="concealment_spot")
    assert concealment_share(c) == pytest.approx(2 / 4)
    with pytest.raises(ParameterError, match="near the route"):
        concealment_share(_field([np.nan, np.nan]))
    day = _field([2, 1, 0, 3])
    night = _field([0, 1, 0, 0.5], quantity="night_surveillance_count")
    assert night_loss_share(day, night) == pytest.approx(2 / 4)
    other = _field([1, 1, 1], quantity="night_surveillance_count")
    with pytest.raises(FieldMismatchError):
        night_loss_share(day, other)
