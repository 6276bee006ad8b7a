"""Plan maps: building outlines from the scene, raster and elevation views, categories."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report_standin import make_result, street_scene  # noqa: E402

from cpted_sim.errors import ParameterError  # noqa: E402
from cpted_sim.field import Field  # noqa: E402
from cpted_sim.geometry.grid import CalculationGrid  # noqa: E402
from cpted_sim.plot.maps import (building_outlines, dark_unseen_map, dark_unseen_values,  # noqa: E402
                                 field_map, plan_map, view_kind)
from cpted_sim.plot.style import new_figure, shared_scale  # noqa: E402


def _tri_area(t):
    a, b, c = t[:, 0], t[:, 1], t[:, 2]
    return 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                        - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))


def test_building_outlines_are_roofs_and_walls_not_ground():
    scene = street_scene(length=40.0, width=12.0, height=9.0)
    roofs, walls = building_outlines(scene)
    # 4 boxes, 2 roof triangles and 4 walls each (a wall's two triangles project to one
    # segment, kept once); the ground plane is left out
    assert roofs.shape == (8, 3, 2) and walls.shape == (16, 2, 2)
    footprint = 4 * 19.0 * 8.0
    assert _tri_area(roofs).sum() == pytest.approx(footprint)
    # wall segments are the footprint edges: total length = 4 perimeters
    lengths = np.linalg.norm(walls[:, 1] - walls[:, 0], axis=1)
    assert lengths.sum() == pytest.approx(4 * 2 * (19.0 + 8.0))
    # small details drop out on request: nothing here is shorter than 8 m
    assert building_outlines(scene, min_wall=8.5)[1].shape == (8, 2, 2)


def test_building_outlines_clip_to_extent():
    scene = street_scene(length=40.0)
    roofs, _ = building_outlines(scene, extent=(0.0, 15.0, -20.0, 40.0))
    assert roofs.shape[0] == 4  # only the two boxes at x < 20
    roofs, walls = building_outlines(scene, extent=(100.0, 120.0, 0.0, 10.0))
    assert roofs.shape[0] == 0 and walls.shape[0] == 0


def test_plan_map_draws_the_raster_on_one_shared_scale():
    r = make_result("base", (10.0, 30.0))
    f = r.areas["street"].fields["E_h"]
    scale = shared_scale([f, f.with_values(f.values * 3)])
    fig, (ax,) = new_figure(1)
    m = plan_map(ax, f, scene=r.scene, luminaires=r.luminaires, scale=scale)
    assert m.norm is scale.norm
    np.testing.assert_array_equal(np.ma.filled(m.get_array(), np.nan), f.as_raster())
    assert len(ax.collections) >= 3  # isolux contours, roofs, walls, luminaire markers
    stars = [c for c in ax.collections if c.get_label() == "luminaire"]
    np.testing.assert_allclose(stars[0].get_offsets(), [lum.position[:2] for lum in r.luminaires])


def test_field_map_png_shows_bright_and_dark(tmp_path):
    grid = CalculationGrid.regular(0, 0, 20, 10, 0.5)
    values = np.where(grid.points[:, 0] < 10, 0.2, 40.0)
    p = field_map(Field(values, grid, "E_h", "lx"), tmp_path / "m.png")
    img = imread(p)
    assert img.ndim == 3 and img.shape[0] > 100
    # a dark class (inferno near black) and a bright one (pale yellow) are both present
    lum = img[..., :3].mean(axis=2)
    assert (lum < 0.08).sum() > 1000 and (lum > 0.85).sum() > 1000


def test_facade_grid_is_drawn_in_elevation():
    # a 10 m x 4 m wall along x at y = 5, points every 0.5 m
    gx, gz = np.meshgrid(np.arange(0.25, 10.0, 0.5), np.arange(0.25, 4.0, 0.5))
    pts = np.column_stack([gx.ravel(), np.full(gx.size, 5.0), gz.ravel()])
    g = CalculationGrid.from_points(pts, np.array([0.0, -1.0, 0.0]), kind="vertical")
    assert view_kind(g) == "elevation"
    assert view_kind(CalculationGrid.regular(0, 0, 5, 5, 1)) == "raster"
    rng_pts = np.random.default_rng(3).uniform(0, 10, (30, 3))
    assert view_kind(CalculationGrid.from_points(rng_pts)) == "points"
    route = np.column_stack([np.arange(10.0), np.zeros(10), np.full(10, 1.6)])
    assert view_kind(CalculationGrid.from_points(route)) == "points"  # a route stays in plan
    fig, (ax,) = new_figure(1)
    values = pts[:, 2] * 10.0  # brighter higher up
    m = plan_map(ax, Field(values, g, "E_v", "lx"))
    assert ax.get_ylabel() == "height [m]"
    img = np.ma.filled(m.get_array(), np.nan)
    assert img.shape == (8, 20) and np.isfinite(img).all()  # one cell per point, no holes
    np.testing.assert_allclose(img[:, 0], np.arange(0.25, 4.0, 0.5) * 10.0)


def test_dark_unseen_categories():
    r = make_result("base", (10.0, 30.0))
    flds = r.areas["street"].fields
    code, scale = dark_unseen_values(flds)
    expect = flds["dark"].values + 2 * flds["unobserved"].values
    np.testing.assert_array_equal(code, expect)
    assert scale.tick_labels[3] == "dark and unseen"
    code2, scale2 = dark_unseen_values({"dark_and_unseen": flds["dark_and_unseen"]})
    np.testing.assert_array_equal(code2, flds["dark_and_unseen"].values)
    assert len(scale2.tick_labels) == 2
    assert dark_unseen_values({"E_h": flds["E_h"]}) is None
    with pytest.raises(ParameterError, match="dark"):
        dark_unseen_map({"E_h": flds["E_h"]})


def test_plan_map_rejects_values_of_the_wrong_length():
    r = make_result("base", (10.0,))
    fig, (ax,) = new_figure(1)
    with pytest.raises(ParameterError, match="values"):
        plan_map(ax, r.areas["street"].fields["E_h"], values=np.zeros(3))


def test_vegetation_is_drawn_apart_from_buildings():
    from cpted_sim.geometry.scene import Material, Scene
    from cpted_sim.plot.maps import vegetation_outlines

    box = street_scene(length=20.0)
    crown = Scene.from_arrays([[5, 5, 3], [7, 5, 3], [6, 7, 3.5]], [[0, 1, 2]],
                              np.array(["crowns"]),
                              materials={"crowns": Material(tags=("vegetation",))})
    scene = box.merged(crown)
    roofs, _ = building_outlines(scene)
    veg = vegetation_outlines(scene)
    assert veg.shape == (1, 3, 2) and roofs.shape[0] == building_outlines(box)[0].shape[0]
    np.testing.assert_allclose(veg[0], [[5, 5], [7, 5], [6, 7]])


def test_group_words_not_substrings():
    from cpted_sim.plot.landcover import _class_of

    assert _class_of("street", ()) == "road"  # "street" holds "tree" but is no tree
    assert _class_of("Trees_north", ()) == "vegetation" and _class_of("hedge-2", ()) == "vegetation"
    assert _class_of("underground_car_park", ()) is None  # no word of it names a class
