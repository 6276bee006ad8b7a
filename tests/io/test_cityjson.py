"""CityJSON reading on the real files of ../shared/data/city (facts from its README) and on
small hand-written files for the cases the real ones lack."""

from __future__ import annotations

import collections
import json
import warnings

import numpy as np
import pytest

from cpted_sim import MeshError, closest_hit, load_scene
from cpted_sim.io import _triangulate
from cpted_sim.io.cityjson import load_cityjson, read_cityjson

# bboxes [xmin, ymin, zmin, xmax, ymax, zmax] of every vertex, from the data README.
README_BBOX = {
    "delft_3dfier/delft.json": [84616.468, 447422.999, -0.452, 85140.839, 447750.636, 16.846],
    "3dbag/multi_lod.json": [153301.4, 414163.473, 4.208, 153776.283, 414688.436, 13.987],
    "3dbag/foss4gnl2021_sample.json": [76538.049, 451765.646, 0.0, 76614.350, 451874.674, 11.987],
    "3dbag/3dbag_b2.city.json": [84994.438, 446535.536, -0.276, 85022.195, 446562.148, 13.108],
    "other_cities/DH_01_subs.city.json": [78612.169, 457782.107, 3.451, 78695.679, 458154.974,
                                          14.739],
    "other_cities/rotterdam_subset.json": [90454.189, 435614.880, 0.0, 91002.419, 436048.217,
                                           18.290],
    "other_cities/zurich_subset_lod2.json": [2678219.194, 1243078.725, 395.786, 2687404.734,
                                             1253037.770, 620.905],
}


@pytest.fixture(scope="module")
def city(shared_data):
    return shared_data / "city"


@pytest.fixture(params=["earcut", "ear clipping"])
def triangulator(request, monkeypatch):
    """Run a test with mapbox_earcut and with the built-in ear clipping."""
    if request.param == "earcut":
        if not _triangulate.HAVE_EARCUT:
            pytest.skip("mapbox_earcut is not installed (optional: pip install mapbox-earcut)")
    else:
        monkeypatch.setattr(_triangulate, "HAVE_EARCUT", False)
    return request.param


# ---------------------------------------------------------------------- an independent oracle
def _ring_area_vector(points):
    p = np.asarray(points, dtype=float)
    return 0.5 * np.cross(p, np.roll(p, -1, axis=0)).sum(axis=0)


def _surfaces(geom):
    b = geom["boundaries"]
    if geom["type"] in ("MultiSurface", "CompositeSurface"):
        yield from b
    elif geom["type"] == "Solid":
        for shell in b:
            yield from shell
    elif geom["type"] in ("MultiSolid", "CompositeSolid"):
        for solid in b:
            for shell in solid:
                yield from shell


def surface_stats(path, lod):
    """Plain JSON walk over every geometry at ``lod``: (number of surfaces, number of surfaces
    with holes, total area [m²] = outer ring minus holes, by the vector area of each ring).

    Real rings are slightly non-planar, so a triangulation's area exceeds the vector area by a
    few parts in 10^6; tests allow 2e-5, well below any hole (the smallest, 2.8 m² in 1205 m²
    of foss4gnl and 6.4 m² in 62 310 m² of Zurich, is 1e-4 of its file's area)."""
    data = json.loads(path.read_text())
    tr = data.get("transform", {"scale": [1, 1, 1], "translate": [0, 0, 0]})
    v = np.array(data["vertices"], dtype=float) * tr["scale"] + tr["translate"]
    n = holes = 0
    area = 0.0
    for obj in data["CityObjects"].values():
        for g in obj.get("geometry", []):
            if float(g["lod"]) != float(lod):
                continue
            for rings in _surfaces(g):
                n += 1
                holes += len(rings) > 1
                outer = _ring_area_vector(v[rings[0]] - v[rings[0][0]])
                if not np.any(outer):
                    continue  # a polygon without area (Rotterdam has one)
                unit = outer / np.linalg.norm(outer)
                area += np.linalg.norm(outer)
                for h in rings[1:]:
                    area -= abs(_ring_area_vector(v[h] - v[rings[0][0]]) @ unit)
    return n, holes, area


def edge_uses(faces):
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    return np.unique(e, axis=0, return_counts=True)[1]


# ---------------------------------------------------------------------- real files
@pytest.mark.parametrize("name", sorted(README_BBOX))
def test_bbox_of_all_lods_matches_the_readme(city, name):
    mesh = read_cityjson(city / name)
    boxes = []
    for lod in mesh.available_lods:
        m = read_cityjson(city / name, lod=lod)
        used = m.vertices[np.unique(m.faces)]
        boxes.append(np.concatenate([used.min(axis=0), used.max(axis=0)]))
    boxes = np.array(boxes)
    bbox = np.concatenate([boxes[:, :3].min(axis=0), boxes[:, 3:].max(axis=0)])
    # The README rounds to millimetres (3dbag_b2's translate has more decimals than that).
    np.testing.assert_allclose(bbox, README_BBOX[name], rtol=0, atol=5.0001e-4)


def test_delft_json(city):
    path = city / "delft_3dfier" / "delft.json"
    mesh = read_cityjson(path)
    assert mesh.version == "2.0" and mesh.epsg == 7415
    assert len(mesh.faces) == 36271  # all surfaces are triangles
    assert mesh.lods == {"1": 570} and mesh.available_lods == ("1",)
    assert set(mesh.groups) == {"Building", "Road", "PlantCover", "LandUse", "GenericCityObject",
                                "WaterBody", "Bridge"}
    assert len(set(mesh.objects)) == 570
    v, f = mesh.vertices, mesh.faces
    cross = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n_zero = int(np.sum(np.linalg.norm(cross, axis=1) == 0))
    with pytest.warns(UserWarning, match=rf"dropped {n_zero} zero-area faces of 36271"):
        scene = load_scene(path)
    assert scene.n_faces == 36271 - n_zero
    assert scene.epsg == 7415
    assert scene.origin.tolist() == [84616.0, 447422.0, 0.0]
    with pytest.warns(UserWarning, match=r"delft\.json: dropped"):
        by_object = load_cityjson(path, group_by="object")
    assert len(by_object.groups) == 570
    # Buildings stand on the terrain: a ray down from above every roof hits a Building face.
    rng = np.random.default_rng(16)
    roofs = scene.group_faces("Building")
    roofs = roofs[scene.face_normals[roofs, 2] > 0.99]
    pick = rng.choice(roofs, 200, replace=False)
    o = scene.face_centroids[pick] + [0.0, 0.0, 50.0]
    dist, face = closest_hit(scene, o, np.tile([0.0, 0.0, -1.0], (200, 1)))
    assert np.all(face >= 0)
    assert np.mean(np.array(scene.groups)[scene.face_group[face]] == "Building") > 0.95


def test_multi_lod_choice(city):
    path = city / "3dbag" / "multi_lod.json"
    default = read_cityjson(path)
    assert default.lods == {"2.2": 10} and default.available_lods == ("1.2", "1.3", "2.2")
    assert default.epsg is None  # no CRS in the file
    for lod in ("1.2", 1.3, "2.2"):
        mesh = read_cityjson(path, lod=lod)
        n_surfaces, n_holes, area = surface_stats(path, lod)
        assert n_holes == 0 and len(mesh.faces) == n_surfaces  # all triangles already
        # Every shell is closed (README): so is every triangulated LoD.
        assert np.all(edge_uses(mesh.faces) == 2)
    assert np.array_equal(read_cityjson(path, lod=2.2).faces, default.faces)
    assert set(read_cityjson(path, lod="1.2").groups) == {"Building"}
    assert set(default.groups) == {"Building/GroundSurface", "Building/WallSurface",
                                   "Building/RoofSurface"}
    # Semantic labels face by face, against a plain walk of the semantics values.
    data = json.loads(path.read_text())
    want = collections.Counter()
    for obj in data["CityObjects"].values():
        for g in obj["geometry"]:
            if g["lod"] == "2.2":
                surfaces = g["semantics"]["surfaces"]
                for shell in g["semantics"]["values"]:
                    want.update(f"Building/{surfaces[i]['type']}" for i in shell)
    assert collections.Counter(default.groups.tolist()) == want
    with pytest.raises(MeshError, match=r"multi_lod\.json: no geometry at LoD 2; the file has "
                                        r"LoD 1\.2, 1\.3, 2\.2"):
        read_cityjson(path, lod=2)


def test_foss4gnl_cityjson_1_0_with_holes(city, triangulator):
    path = city / "3dbag" / "foss4gnl2021_sample.json"
    mesh = read_cityjson(path)
    assert mesh.version == "1.0" and mesh.epsg == 7415
    assert mesh.available_lods == ("0", "1.2", "1.3", "2.2")
    # Buildings hold only an LoD 0 footprint, their parts the solids: the parts are read.
    assert mesh.lods == {"2.2": 3}
    assert {g.split("/")[0] for g in mesh.groups} == {"BuildingPart"}
    n_surfaces, n_holes, area = surface_stats(path, "2.2")
    assert n_holes == 4  # README: 4 RoofSurface polygons with a hole, all at LoD 2.2
    v, f = mesh.vertices, mesh.faces
    got = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]),
                               axis=1).sum()
    assert got == pytest.approx(area, rel=2e-5)  # the holes stay open
    footprints = read_cityjson(path, lod=0)
    assert footprints.lods == {"0": 3} and set(footprints.groups) == {"Building"}


def test_zurich_large_coordinates_and_holes(city, triangulator):
    path = city / "other_cities" / "zurich_subset_lod2.json"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no degenerate faces, no other complaint
        scene = load_scene(path)
    assert scene.epsg == 2056
    assert scene.origin.tolist() == [2678219.0, 1243078.0, 0.0]
    assert np.abs(scene.vertices[:, :2]).max() < 1.0e4  # local, not 2.7e6
    n_surfaces, n_holes, area = surface_stats(path, "2")
    assert n_holes == 4 and n_surfaces == 2039
    assert scene.face_areas.sum() == pytest.approx(area, rel=2e-5)
    assert set(scene.groups) == {"BuildingPart/WallSurface", "BuildingPart/RoofSurface",
                                 "BuildingPart/GroundSurface"}


def test_3dbag_b2_negative_stored_vertices(city, triangulator):
    path = city / "3dbag" / "3dbag_b2.city.json"
    data = json.loads(path.read_text())
    assert np.min(data["vertices"]) < 0  # the edge case: translate lies outside the data
    scene = load_scene(path)
    stored = np.array(data["vertices"], dtype=float)
    world = stored * data["transform"]["scale"] + data["transform"]["translate"]
    np.testing.assert_array_equal(scene.bounds, [world.min(axis=0), world.max(axis=0)])
    np.testing.assert_allclose(scene.bounds[0], [84994.437625, 446535.536, -0.275998], atol=1e-9)
    assert scene.epsg == 7415
    n_surfaces, _, area = surface_stats(path, "2.2")
    assert scene.face_areas.sum() == pytest.approx(area, rel=2e-5)


@pytest.mark.parametrize("name, version, lods", [
    ("other_cities/DH_01_subs.city.json", "1.1", {"2": 9}),
    ("other_cities/rotterdam_subset.json", "2.0", {"2": 16}),
])
def test_other_cities(city, name, version, lods, triangulator):
    path = city / name
    mesh = read_cityjson(path)
    assert mesh.version == version and mesh.lods == lods
    scene = load_scene(path)
    _, _, area = surface_stats(path, "2")
    assert scene.face_areas.sum() == pytest.approx(area, rel=2e-5)


# ---------------------------------------------------------------------- small hand-written files
def _write(tmp_path, doc, name="t.city.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _doc(objects, vertices, **extra):
    doc = {"type": "CityJSON", "version": "2.0",
           "transform": {"scale": [0.5, 0.5, 0.5], "translate": [155000.0, 463000.0, 0.0]},
           "CityObjects": objects, "vertices": vertices}
    doc.update(extra)
    return doc


CUBE_V = [[0, 0, 0], [2, 0, 0], [2, 2, 0], [0, 2, 0], [0, 0, 2], [2, 0, 2], [2, 2, 2], [0, 2, 2]]
CUBE_SHELL = [[[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]],
              [[3, 0, 4, 7]]]


def test_multisolid_semantics_with_nulls_and_transform(tmp_path):
    geom = {"type": "MultiSolid", "lod": "2", "boundaries": [[CUBE_SHELL]],
            "semantics": {"surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"}],
                          "values": [[[0, 1, None, None, None, None]]]}}
    path = _write(tmp_path, _doc({"b1": {"type": "Building", "geometry": [geom]}}, CUBE_V))
    scene = load_scene(path)
    assert sorted(scene.groups) == ["Building", "Building/GroundSurface", "Building/RoofSurface"]
    assert len(scene.group_faces("Building")) == 8
    np.testing.assert_array_equal(scene.bounds, [[155000.0, 463000.0, 0.0],
                                                 [155001.0, 463001.0, 1.0]])
    assert np.all(edge_uses(scene.faces) == 2)
    assert scene.face_areas.sum() == pytest.approx(6.0)
    # The ground faces point down, the roof up (winding kept from the rings).
    assert np.allclose(scene.face_normals[scene.group_faces("Building/RoofSurface")], [0, 0, 1])
    assert np.allclose(scene.face_normals[scene.group_faces("Building/GroundSurface")], [0, 0, -1])


def test_composite_surface_with_a_hole_and_geometry_instances(tmp_path):
    square = [[[0, 1, 2, 3], [4, 7, 6, 5]]]  # 4 x 4 m with a 2 x 2 m hole
    verts = [[0, 0, 0], [8, 0, 0], [8, 8, 0], [0, 8, 0], [2, 2, 0], [6, 2, 0], [6, 6, 0], [2, 6, 0],
             [20, 0, 0]]
    tree = {"type": "MultiSurface", "lod": "1",
            "boundaries": [[[0, 1, 2]], [[0, 2, 3]]]}
    templates = {"templates": [tree], "vertices-templates": [[0, 0, 0], [1, 0, 0], [1, 0, 3],
                                                             [0, 0, 3]]}
    scale2 = [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]
    objects = {
        "square": {"type": "TransportationSquare",
                   "geometry": [{"type": "CompositeSurface", "lod": "1", "boundaries": square}]},
        "tree1": {"type": "SolitaryVegetationObject",
                  "geometry": [{"type": "GeometryInstance", "template": 0, "boundaries": [8],
                                "transformationMatrix": scale2}]},
    }
    path = _write(tmp_path, _doc(objects, verts, **{"geometry-templates": templates}))
    scene = load_scene(path, origin=[155000.0, 463000.0, 0.0])
    square_faces = scene.group_faces("TransportationSquare")
    assert scene.face_areas[square_faces].sum() == pytest.approx(16.0 - 4.0)
    tree_faces = scene.group_faces("SolitaryVegetationObject")
    assert scene.face_areas[tree_faces].sum() == pytest.approx(2.0 * 6.0)  # scaled 2x: 2 x 6 m
    tv = scene.vertices[np.unique(scene.faces[tree_faces])]
    np.testing.assert_allclose(tv.min(axis=0), [10.0, 0.0, 0.0])
    np.testing.assert_allclose(tv.max(axis=0), [12.0, 0.0, 6.0])
    # A ray through the hole passes; one through the paving hits.
    d = np.tile([0.0, 0.0, -1.0], (2, 1))
    _, face = closest_hit(scene, [[155002.0, 463002.0, 5.0], [155000.5, 463000.5, 5.0]], d)
    assert face[0] == -1 and face[1] in square_faces


@pytest.mark.parametrize("doc, match", [
    ("{\"type\": \"CityJSON\",\n \"version\": 2.0,,}", r"t\.city\.json line 2: not valid JSON"),
    ({"type": "FeatureCollection"}, r"not a CityJSON file .*found 'FeatureCollection'"),
    ({"type": "CityJSON", "version": "0.9", "CityObjects": {}, "vertices": []},
     r"CityJSON version '0\.9' is not supported"),
    ({"type": "CityJSON", "version": "2.0", "CityObjects": {}}, r"has no 'vertices' member"),
    (_doc({}, []), r"no CityObject has surface geometry"),
    (_doc({"b": {"type": "Building", "geometry": [
        {"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 9]]]}]}}, CUBE_V),
     r"CityObject 'b' refers to vertex 9 but the file has 8 vertices"),
    (_doc({"b": {"type": "Building", "geometry": [
        {"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2, 12]]]}]}}, CUBE_V),
     r"CityObject 'b' refers to vertex 12 but the file has 8 vertices"),
    (_doc({"b": {"type": "Building", "geometry": [
        {"type": "Sphere", "lod": "1", "boundaries": []}]}}, CUBE_V),
     r"CityObject 'b' has geometry type 'Sphere'"),
    (_doc({"b": {"type": "Building", "geometry": [
        {"type": "Solid", "lod": "1", "boundaries": [[0, 1, 2]]}]}}, CUBE_V),
     r"CityObject 'b' has malformed Solid boundaries"),
])
def test_bad_cityjson_names_the_file(tmp_path, doc, match):
    path = tmp_path / "t.city.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    with pytest.raises(MeshError, match=match):
        load_scene(path)


def test_load_scene_dispatches_json_and_passes_lod(city):
    scene = load_scene(city / "3dbag" / "multi_lod.json", lod="1.2")
    assert scene.groups == ("Building",)
    with pytest.raises(MeshError, match=r"no such file"):
        load_cityjson(city / "missing.city.json")
