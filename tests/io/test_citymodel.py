"""Several CityJSON files into one scene: transforms, LoD choice, crop, CRS (synthetic files
written by the test, and the real Delft and 3D BAG files of ../shared/data/city)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _city_files import CityBuilder

from cpted_sim import MeshError, ParameterError
from cpted_sim.errors import CptedWarning
from cpted_sim.io.citymodel import horizontal_epsg, load_city_model, read_city_model


def _two_tiles(tmp_path, crs_b="https://www.opengis.net/def/crs/EPSG/0/7415"):
    a = CityBuilder(translate=(85000.0, 447000.0, 0.0))
    a.box("A", (85010, 447010, 0), (85020, 447020, 9))
    b = CityBuilder(crs=crs_b, scale=0.01, translate=(84000.0, 446000.0, -5.0))
    b.box("B", (85040, 447010, 0), (85050, 447030, 12))
    return a.write(tmp_path / "a.city.json"), b.write(tmp_path / "b.city.json")


def test_two_files_keep_their_own_transform(tmp_path):
    pa, pb = _two_tiles(tmp_path)
    model = read_city_model([pa, pb])
    sc = model.scene
    world = sc.to_world(sc.vertices)
    a = world[np.isin(np.arange(len(world)), sc.faces[model.face_object == "A"].ravel())]
    b = world[np.isin(np.arange(len(world)), sc.faces[model.face_object == "B"].ravel())]
    np.testing.assert_allclose(a.min(0), [85010, 447010, 0], atol=1e-6)
    np.testing.assert_allclose(b.max(0), [85050, 447030, 12], atol=1e-6)
    np.testing.assert_allclose(sc.origin, [85010, 447010, 0])
    assert model.n_objects == 2 and sc.epsg == 28992 and model.source_epsg == (7415, 7415)


def test_lod_default_is_finest_and_choice_is_honoured(tmp_path):
    b = CityBuilder().box("A", (85000, 447000, 0), (85010, 447010, 5), lods=("1.2", "2.2"),
                          heights=(6.0, 9.0))
    p = b.write(tmp_path / "m.json")
    assert load_city_model(p).bounds[1, 2] == pytest.approx(9.0)
    assert load_city_model(p, lod="1.2").bounds[1, 2] == pytest.approx(6.0)
    assert load_city_model(p, lod=2.2).bounds[1, 2] == pytest.approx(9.0)
    with pytest.raises(MeshError, match=r"LoD 1\.3.*has LoD 1\.2, 2\.2"):
        load_city_model(p, lod="1.3")


def test_crop_keeps_or_drops_whole_objects(tmp_path):
    b = CityBuilder()
    b.box("in", (85000, 447000, 0), (85010, 447010, 5))
    b.box("across", (85015, 447000, 0), (85040, 447010, 5))   # half inside: kept whole
    b.box("near", (85030, 447020, 0), (85035, 447025, 5))     # 5 m beyond the box corner
    b.box("far", (85100, 447100, 0), (85110, 447110, 5))
    p = b.write(tmp_path / "m.json")
    box = {"bbox": [84990, 446990, 85020, 447015]}
    m0 = read_city_model(p, crop=box)
    assert sorted(set(m0.face_object)) == ["across", "in"] and m0.n_dropped_by_crop == 2
    assert m0.scene.bounds[1, 0] == pytest.approx(85040)    # not cut at the crop edge
    m1 = read_city_model(p, crop=box, margin=12)
    assert sorted(set(m1.face_object)) == ["across", "in", "near"]
    poly = {"polygon": [[84990, 446990], [85020, 446990], [85020, 447015], [84990, 447015]]}
    pytest.importorskip("shapely")
    m2 = read_city_model(p, crop=poly, margin=12)
    assert sorted(set(m2.face_object)) == ["across", "in", "near"]
    with pytest.raises(MeshError, match="no CityObject lies within"):
        load_city_model(p, crop={"bbox": [0, 0, 1, 1]})
    with pytest.raises(ParameterError, match="crop.bbox"):
        load_city_model(p, crop={"bbox": [1, 1, 0, 0]})


def test_bbox_crop_catches_a_big_triangle_with_no_corner_inside(tmp_path):
    b = CityBuilder().ground("terrain", (84000, 446000), (86000, 448000))
    b.box("far", (85900, 447900, 0), (85910, 447910, 5))
    p = b.write(tmp_path / "m.json")
    m = read_city_model(p, crop={"bbox": [85000, 447000, 85010, 447010]})
    assert set(m.face_object) == {"terrain"}


def test_crs_rules(tmp_path):
    pa, pb = _two_tiles(tmp_path, crs_b="urn:ogc:def:crs:EPSG::28992")
    assert load_city_model([pa, pb]).epsg == 28992           # 7415 is 28992 horizontally
    pa, pb = _two_tiles(tmp_path, crs_b="https://www.opengis.net/def/crs/EPSG/0/2056")
    with pytest.raises(MeshError, match="different coordinate reference systems.*2056"):
        load_city_model([pa, pb])
    pa, pb = _two_tiles(tmp_path, crs_b=None)
    with pytest.warns(CptedWarning, match="1 city-model files state no CRS"):
        assert load_city_model([pa, pb]).epsg == 28992
    assert horizontal_epsg(7415) == 28992 and horizontal_epsg(28992) == 28992


def test_an_object_in_two_tiles_is_kept_once(tmp_path):
    a = CityBuilder().box("A", (85000, 447000, 0), (85010, 447010, 5))
    b = CityBuilder().box("A", (85000, 447000, 0), (85010, 447010, 5))
    pa, pb = a.write(tmp_path / "a.json"), b.write(tmp_path / "b.json")
    with pytest.warns(CptedWarning, match="1 CityObjects appear in more than one file"):
        m = read_city_model([pa, pb])
    assert m.scene.n_faces == 12


# ---------------------------------------------------------------------- real files
def test_delft_cropped_to_one_street(shared_data):
    path = shared_data / "city/delft_3dfier/delft.json"
    full = read_city_model(path)
    assert full.n_objects == 570 and full.epsg == 28992        # README: 570 CityObjects
    crop = read_city_model(path, crop={"bbox": [84850, 447500, 84950, 447600]}, margin=20)
    assert 0 < crop.n_objects < 570
    assert crop.n_objects + crop.n_dropped_by_crop == 570
    assert len(set(crop.face_object)) == crop.n_objects
    lo, hi = crop.scene.bounds                                   # whole objects, not cut
    assert lo[0] < 84850 - 20 or hi[0] > 84950 + 20


def test_3dbag_files_together_at_a_chosen_lod(shared_data):
    d = shared_data / "city/3dbag"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CptedWarning)
        m = read_city_model([d / "3dbag_b2.city.json", d / "foss4gnl2021_sample.json"], lod="2.2")
    assert m.lods == {"2.2": 5} and m.source_epsg == (7415, 7415)   # 2 + 3 BuildingParts
    assert "BuildingPart/WallSurface" in m.scene.groups
    with pytest.raises(MeshError, match=r"LoD 3.*has LoD 2\.2"):
        read_city_model(d / "3dbag_b2.city.json", lod="3")


def test_objects_without_the_lod_keep_their_finest(tmp_path):
    b = CityBuilder().ground("terrain", (84990, 446990), (85030, 447020))
    b.box("A", (85000, 447000, 0), (85010, 447010, 5), lods=("1.2", "2.2"), heights=(6.0, 9.0))
    b.box("old", (85015, 447000, 0), (85020, 447010, 5), lods=("1.2",))
    p = b.write(tmp_path / "m.json")
    with pytest.warns(CptedWarning, match=r"LoD 2.2: 2 CityObjects .* \(1 Building, 1 LandUse\)"):
        m = read_city_model(p, lod="2.2")
    assert sorted(set(m.face_object)) == ["A", "old", "terrain"]
    top = m.scene.face_centroids[m.face_object == "A", 2].max()
    assert top == pytest.approx(9.0)


def test_triangle_box_overlap_matches_shapely(rng):
    shapely = pytest.importorskip("shapely")
    from cpted_sim.io.citymodel import _triangles_in_bbox

    tri = rng.uniform(-10, 10, size=(4000, 3, 2))
    tri[:500, 2] = tri[:500, 0] + 0.5 * (tri[:500, 1] - tri[:500, 0])   # flat (wall) triangles
    box = np.array([-2.0, -1.0, 3.0, 2.5])
    ours = _triangles_in_bbox(tri, box)
    polys = shapely.polygons(np.concatenate([tri, tri[:, :1]], axis=1))
    theirs = shapely.intersects(shapely.box(*box), polys)
    assert np.array_equal(ours, theirs)
    assert 0 < ours.sum() < len(ours)
