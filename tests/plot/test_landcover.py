"""Land-cover classes of a scene's faces: by tag, by group-name word, by the fallback."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.scene import Material, Scene
from cpted_sim.plot.landcover import (LAND_COVER_CLASSES, _class_of, face_classes, ground_fills,
                                      group_classes)
from cpted_sim.plot.maps import _outline_segments


@pytest.mark.parametrize("name, expected", [
    # the materials of the Delft 3dfier OBJ (testarea.obj / 3dfier.mtl)
    ("Building", "building"), ("BuildingWall", "building"), ("Road", "road"),
    ("RoadWall", "road"), ("Water", "water"), ("WaterWall", "water"), ("Forest", "vegetation"),
    ("Terrain", "ground"), ("TerrainWall", "ground"), ("Bridge", "road"), ("Separation", None),
    # CityJSON object types and semantic surfaces
    ("Building/RoofSurface", "building"), ("Building/GroundSurface", "ground"),
    ("PlantCover", "vegetation"), ("WaterBody", "water"), ("TINRelief", "ground"),
    ("LandUse", "ground"), ("SolitaryVegetationObject", "vegetation"),
    # the demo street's groups
    ("sidewalk", "pavement"), ("path", "pavement"), ("verge", "grass"), ("garden", "grass"),
    ("house", "building"), ("blank_wall", "building"), ("hedge_top", "vegetation"),
    ("underpass", "building"), ("window", "building"),
    # whole words only
    ("street", "road"), ("streetlights", None), ("underground_car_park", None),
])
def test_group_names_give_classes(name, expected):
    assert _class_of(name, ()) == expected


def test_a_tag_overrides_the_name():
    assert _class_of("verge", ("hedge",)) == "vegetation"
    assert _class_of("Road", ("sidewalk",)) == "pavement"
    assert _class_of("block", ("window",)) == "building"  # not a class tag: the name decides


def _scene():
    quad = np.array([[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0]], dtype=float)
    verts = np.vstack([quad, quad + [20, 0, 0], quad + [0, 0, 6]])  # ground, lot, a deck at 6 m
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7], [8, 9, 10], [8, 10, 11]])
    groups = np.array(["canal", "canal", "lot", "lot", "lot", "lot"])
    return Scene.from_arrays(verts, faces, groups, materials={"canal": Material(tags=("water",))})


def test_unnamed_groups_fall_back_by_height():
    s = _scene()
    assert group_classes(s) == ["water", None]
    c = [LAND_COVER_CLASSES[i] for i in face_classes(s)]
    # the lot at the lowest level is open ground; the same group 6 m up is a roof
    assert c == ["water", "water", "ground", "ground", "building", "building"]
    assert group_classes(s, ground_groups=["lot"]) == ["water", "ground"]
    fills = ground_fills(s)
    assert list(fills) == ["water"] and fills["water"].shape == (2, 3, 2)


def test_outline_of_a_raster_is_its_cells_edge():
    g = CalculationGrid.regular(0.0, 0.0, 10.0, 4.0, 1.0)
    seg = _outline_segments(g)
    length = np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1).sum()
    rows, cols = g.shape
    assert length == pytest.approx(2 * (rows + cols) * 1.0)  # the perimeter of the cells
    x0, y0, dx, dy = g.transform
    lo, hi = seg.reshape(-1, 2).min(axis=0), seg.reshape(-1, 2).max(axis=0)
    np.testing.assert_allclose(lo, [x0 - dx / 2, y0 - dy / 2])
    np.testing.assert_allclose(hi, [x0 + (cols - 0.5) * dx, y0 + (rows - 0.5) * dy])
