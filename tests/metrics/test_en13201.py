"""EN 13201-3 field grid, EN 13201-2 P classes, facial recognition thresholds."""

from __future__ import annotations

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim import CalculationGrid, Field
from cpted_sim.errors import ParameterError
from cpted_sim.metrics import (P_CLASSES, FacialRecognition, en13201_grid, facial_recognition,
                               field_grid_counts, lighting_class)


@pytest.mark.parametrize("s,n_long", [(30.0, 10), (36.0, 12), (37.0, 13), (12.0, 10)])
@pytest.mark.parametrize("w,n_trans", [(2.0, 3), (7.0, 5), (4.5, 3)])
def test_en13201_grid_counts(s, n_long, w, n_trans):
    assert field_grid_counts(s, w) == (n_long, n_trans)
    g = en13201_grid(s, w)
    assert g.shape == (n_trans, n_long) and g.n_points == n_long * n_trans
    big_d, small_d = s / n_long, w / n_trans
    assert big_d <= 3.0 and small_d <= 1.5
    # first points D/2 and d/2 from the field's edges, last ones as far from the far edges
    assert np.allclose(g.points[0, :2], [big_d / 2, small_d / 2])
    assert np.allclose(g.points[-1, :2], [s - big_d / 2, w - small_d / 2])
    assert g.areas.sum() == pytest.approx(s * w)


def test_en13201_grid_placed_and_turned():
    g = en13201_grid(30.0, 2.0, origin=(100.0, 50.0, 3.0), direction=90.0, height=1.5)
    # along +Y, the width to the left (-X)
    assert np.allclose(g.points[0], [100.0 - 1 / 3, 51.5, 4.5])
    assert g.transform is None
    assert cs.en13201_grid is en13201_grid


def _eh(values):
    n = len(values)
    grid = CalculationGrid.from_points(np.column_stack([np.arange(n), np.zeros((n, 2))]))
    return Field(np.asarray(values, float), grid, "E_h", "lx")


@pytest.mark.parametrize("values,name", [
    ([15.0, 15.0, 15.0, 3.0, 27.0], "P1"),      # avg 15, min 3
    ([14.9, 15.0, 15.0, 3.0, 27.0], "P2"),      # avg just below 15
    ([10.0, 2.9, 17.1], "P2"),                  # avg 10, min 2.9 < 3 (P1) but >= 2
    ([7.5, 1.5, 13.5], "P3"),
    ([5.0, 5.0, 1.0], "P5"),                    # avg 3.67, min 1
    ([2.0, 2.0, 2.0], "P6"),
    ([2.0, 2.0, 0.39], None),
])
def test_lighting_class(values, name):
    r = lighting_class(_eh(values))
    assert r.name == name
    assert r.achieved == (name is not None)
    assert r.e_avg == pytest.approx(np.mean(values)) and r.e_min == min(values)


def test_p_classes_are_en13201_2_table_2():
    assert [(c.name, c.e_avg, c.e_min) for c in P_CLASSES] == [
        ("P1", 15.0, 3.0), ("P2", 10.0, 2.0), ("P3", 7.5, 1.5), ("P4", 5.0, 1.0),
        ("P5", 3.0, 0.6), ("P6", 2.0, 0.4)]


def test_over_lighting_flag_and_quantity_check():
    assert lighting_class(_eh([40.0, 40.0, 30.0])).over_lit
    assert not lighting_class(_eh([16.0, 16.0, 16.0])).over_lit
    sc = _eh([5.0]).with_values([5.0], quantity="E_sc")
    with pytest.raises(ParameterError, match="E_h"):
        lighting_class(sc)
    assert lighting_class(sc, check_quantity=False).name == "P4"


def test_facial_recognition_thresholds():
    f = _eh([0.5, 1.0, 2.9, 3.0]).with_values([0.5, 1.0, 2.9, 3.0], quantity="E_sc")
    d = facial_recognition(f)
    assert d.values.tolist() == [0.0, 4.0, 4.0, 10.0] and d.unit == "m"
    d = facial_recognition(f, FacialRecognition(e_sc_4m=0.8, e_sc_10m=2.7))
    assert d.values.tolist() == [0.0, 4.0, 10.0, 10.0]
    with pytest.raises(ParameterError, match="e_sc_10m"):
        FacialRecognition(e_sc_4m=3.0, e_sc_10m=1.0)
