"""Road centre lines and kerb distances (io/roads.py), on shapes with a known axis and on
the real BGT carriageways of Delft."""

from __future__ import annotations

import numpy as np
import pytest

shapely = pytest.importorskip("shapely")

from cpted_sim.errors import ParameterError  # noqa: E402
from cpted_sim.io.roads import centre_line, half_width, kerb_along, kerb_distance  # noqa: E402
from cpted_sim.scenario.poles import poles_along_road  # noqa: E402
from cpted_sim.io.vector import polygon_parts, read_vector  # noqa: E402


def test_rectangle_axis_is_its_midline():
    box = shapely.box(0, 0, 100, 6)
    ax = centre_line(box)
    assert np.allclose(ax[:, 1], 3.0, atol=0.05)  # measured 1e-12
    assert 94.0 <= np.ptp(ax[:, 0]) <= 100.0      # measured 94.1 (cut ~ a half width short)
    assert half_width(box, ax) == pytest.approx(3.0, abs=0.05)


def test_curved_road_axis_follows_the_arc():
    t = np.linspace(0, np.pi / 2, 60)
    road = shapely.LineString(np.column_stack([50 * np.cos(t), 50 * np.sin(t)])).buffer(
        3, cap_style="flat")
    ax = centre_line(road)
    r = np.hypot(*ax.T)
    assert np.allclose(r, 50.0, atol=0.5)  # measured 0.31 (simplified to width/4 = 0.75)
    assert shapely.LineString(ax).length == pytest.approx(np.pi * 25, rel=0.1)  # 72.9 vs 78.5


def test_kerb_distance():
    box = shapely.box(0, 0, 10, 6)
    d = kerb_distance(np.asarray(box.exterior.coords), [[5, 3], [1, 3], [5, 7]])
    assert np.allclose(d, [3.0, 1.0, 1.0])
    with pytest.raises(ParameterError, match="points"):
        kerb_distance(box, np.zeros(3))


def test_bgt_carriageway_centre_lines_stay_inside_and_have_plausible_length(shared_data):
    lay = read_vector(shared_data / "city/delft_3dfier/bgt_wegdeel.geojson",
                      where="function = 'rijbaan lokale weg'", target_epsg=28992)
    parts = polygon_parts(lay)
    checked = 0
    for p in parts:
        g = shapely.Polygon(p.coords, p.holes)
        if g.area < 100:
            continue
        ax = centre_line(g)
        line = shapely.LineString(ax)
        assert g.buffer(1e-6).covers(line)
        hw = half_width(g, ax)
        # a long strip: perimeter ~ 2 length + 2 width, so the axis is at most half of it
        assert 0.5 < hw < 6.0
        assert line.length <= 0.5 * g.exterior.length
        assert line.length >= 0.25 * g.exterior.length - 4 * hw
        checked += 1
    assert checked >= 10


def test_kerb_along_follows_a_road_that_widens():
    road = shapely.Polygon([(0, -2), (100, -5), (100, 5), (0, 2)])   # 4 m wide to 10 m
    lay = poles_along_road([[0, 0], [100, 0]], 20.0, "opposite", setback=0.5, overhang=0.0,
                           half_width=kerb_along(road), ground_z=lambda xy: np.zeros(len(xy)))
    x = lay.feet[:, 0]
    kerb = 2.0 + 3.0 * x / 100.0
    assert np.allclose(np.abs(lay.feet[:, 1]), kerb + 0.5, atol=1e-9)


def test_every_bgt_polygon_has_a_centre_line_inside_it(shared_data):
    """All 151 polygons (footpaths with bends and holes, steps, parking bays): the simplified
    axis never cuts a corner out of the polygon (3 did before simplification was checked)."""
    lay = read_vector(shared_data / "city/delft_3dfier/bgt_wegdeel.geojson", target_epsg=28992)
    for p in polygon_parts(lay):
        g = shapely.Polygon(p.coords, p.holes)
        ax = centre_line(g)
        assert len(ax) >= 2
        assert g.buffer(1e-6).covers(shapely.LineString(ax)), p.feature
