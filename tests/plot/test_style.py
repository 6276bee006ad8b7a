"""Colour scales: lux classes shared across variants, counts, flags, differences."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.field import Field
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.plot.style import (LUX_BREAKS, difference_scale, new_figure, save_figure,
                                  shared_scale)


def _field(values, quantity="E_h", unit="lx"):
    values = np.asarray(values, dtype=float)
    grid = CalculationGrid.from_points(np.column_stack([np.arange(values.size), np.zeros((values.size, 2))]))
    return Field(values, grid, quantity, unit)


def test_lux_scale_is_shared_and_reaches_the_largest_value():
    a = _field([0.2, 3.0, 14.0])
    b = _field([1.0, 25.0, 28.0])
    s = shared_scale([a, b])
    assert s.kind == "lux"
    assert s.ticks[0] == 0.0 and s.ticks[-1] == 30.0  # first class break at or above 28 lx
    assert set(s.ticks) <= set(LUX_BREAKS)
    # the same value gets the same colour whichever field it came from; classes differ
    assert s.norm(2.5) == s.norm(2.9) != s.norm(3.1)
    assert s.contour_levels == s.ticks[1:]
    # one scale over both fields: a's own scale would stop at 15 lx
    assert shared_scale([a]).ticks[-1] == 15.0


def test_lux_scale_above_the_last_break_extends():
    s = shared_scale([_field([5.0, 4000.0])])
    assert s.extend == "max" and s.ticks[-1] == LUX_BREAKS[-1]


def test_count_scale_has_one_colour_per_integer():
    s = shared_scale([_field([0, 1, 2, 3], "surveillance_count", "1")])
    assert s.kind == "count"
    assert s.ticks == (0.0, 1.0, 2.0, 3.0)
    colours = {tuple(s.cmap(s.norm(v))) for v in (0, 1, 2, 3)}
    assert len(colours) == 4


def test_flag_scale_is_categorical():
    s = shared_scale([_field([0, 1, 1], "dark_and_unseen", "1")])
    assert s.kind == "category" and len(s.tick_labels) == 2
    assert s.cmap(s.norm(0.0)) != s.cmap(s.norm(1.0))


def test_difference_scale_is_symmetric_about_zero():
    s = difference_scale([_field([-2.0, 1.0]), _field([0.5, 5.0])])
    assert (s.norm.vmin, s.norm.vmax) == (-5.0, 5.0)
    assert s.norm(0.0) == pytest.approx(0.5)
    # white in the middle of the diverging map
    assert np.allclose(s.cmap(s.norm(0.0))[:3], 1.0, atol=0.06)


def test_scale_errors_name_the_problem():
    with pytest.raises(ParameterError, match="at least one"):
        shared_scale([])
    with pytest.raises(ParameterError, match="one unit"):
        shared_scale([_field([1.0]), _field([1.0], unit="m")])


def test_save_figure_writes_png_and_releases_the_figure(tmp_path):
    import matplotlib.pyplot as plt

    fig, (ax,) = new_figure(1)
    ax.plot([0, 1], [0, 1])
    p = save_figure(fig, tmp_path / "sub" / "x.png")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []  # never registered with pyplot
    import gc
    import weakref

    ref = weakref.ref(fig)
    del fig, ax
    gc.collect()
    assert ref() is None  # nothing keeps the figure alive


def test_fractional_counts_get_a_linear_scale():
    s = shared_scale([_field([0.0, 0.6, 2.3], "surveillance_count", "1")])
    assert s.kind == "count" and (s.norm.vmin, s.norm.vmax) == (0.0, 3.0)
    assert s.norm(0.6) == pytest.approx(0.2)
