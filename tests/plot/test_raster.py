"""PanelPixels puts each point's colour on the pixels that show it, and only there."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.transforms import Affine2D, Bbox

from cpted_sim.plot.raster import PanelPixels


def _panel(height: int):
    # 1 m = 10 px; a 2 x 3 m grid of 1 m cells drawn from pixel (0, 0), bottom left
    ax = SimpleNamespace(transData=Affine2D().scale(10.0),
                         bbox=Bbox.from_bounds(0.0, 0.0, 30.0, 20.0))
    index = np.array([[0, 1, 2], [3, -1, 4]])  # rows from the bottom; one cell without a point
    return PanelPixels(ax, height, index, (0.0, 3.0, 0.0, 2.0))


def _colours(values):
    out = np.zeros((len(values) + 1, 4), np.uint8)  # the last row: "no point", transparent
    for i, v in enumerate(values):
        out[i] = (v, v, v, 255)
    return out


def test_each_pixel_shows_its_cell_and_cells_without_a_point_stay():
    px = _panel(20)
    canvas = np.full((20, 30, 3), 7, np.uint8)
    px.paint(canvas, _colours([10, 20, 30, 40, 50]))
    # top rows of the canvas are the grid's upper row (row 1): points 3, none, 4
    assert canvas[2, 5, 0] == 40 and canvas[2, 15, 0] == 7 and canvas[2, 25, 0] == 50
    assert canvas[15, 5, 0] == 10 and canvas[15, 15, 0] == 20 and canvas[15, 25, 0] == 30


def test_a_value_without_colour_leaves_the_pixel_and_the_edge_is_clipped():
    px = _panel(20).shifted(20, 5)  # placed 20 px right, 5 down: reaches past a 25 x 32 canvas
    canvas = np.full((25, 32, 3), 7, np.uint8)
    colours = _colours([10, 20, 30, 40, 50])
    colours[0] = 0  # point 0 has no value (NaN): transparent
    px.paint(canvas, colours)
    assert canvas[5 + 15, 20 + 5, 0] == 7  # point 0's cell untouched
    assert canvas[5 + 2, 20 + 5, 0] == 40  # point 3 painted
    assert canvas[5 + 15, 31, 0] == 20  # the last column of the canvas shows point 1
    assert (canvas[:5] == 7).all() and (canvas[:, :20] == 7).all()
