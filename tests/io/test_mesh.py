"""Mesh loading: the real 3dfier OBJ of Delft, small generated PLY/STL/GLB files, bad files."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import trimesh

from cpted_sim import Material, MeshError, ParameterError, closest_hit, load_scene
from cpted_sim.io.mesh import read_obj

# From /work/shared/data/city/README.md (counted there with a line parser and trimesh 5.1.0).
DELFT_OBJ_MATERIALS = {
    "Terrain": 11232, "Forest": 6459, "Road": 4089, "BuildingWall": 3066, "Building": 1283,
    "Separation": 1031, "SeparationWall": 686, "Water": 505, "TerrainWall": 98,
    "BridgeWall": 76, "Bridge": 46, "RoadWall": 30, "WaterWall": 14, "ForestWall": 4,
}
DELFT_OBJ_BBOX = np.array([[84616.468, 447422.999, -0.47], [85140.839, 447750.636, 13.58]])


@pytest.fixture(scope="module")
def delft_obj(shared_data):
    return shared_data / "city" / "delft_3dfier" / "testarea.obj"


@pytest.fixture(scope="module")
def delft_scene(delft_obj):
    with pytest.warns(UserWarning, match="dropped 2 zero-area faces of 28619"):
        return load_scene(delft_obj, epsg=7415)


def test_delft_obj_is_read_completely(delft_obj):
    v, f, g = read_obj(delft_obj)
    assert v.shape == (14760, 3) and f.shape == (28619, 3)
    assert dict(collections.Counter(g.tolist())) == DELFT_OBJ_MATERIALS
    _, _, objects = read_obj(delft_obj, group_by="object")
    assert len(set(objects.tolist())) == 570


def test_delft_obj_keeps_every_coordinate_exactly(delft_obj, delft_scene):
    """float64 all the way: world = origin + local reproduces the file's decimals exactly."""
    text_vertices = np.array([[float(x) for x in line.split()[1:4]]
                              for line in delft_obj.read_text().splitlines()
                              if line.startswith("v ")])
    assert np.array_equal(delft_scene.vertices + delft_scene.origin, text_vertices)
    # float32 could not: at x ~ 85 000 m its step is 7.8 mm.
    assert not np.array_equal(text_vertices.astype(np.float32).astype(np.float64), text_vertices)
    assert delft_scene.origin.tolist() == [84616.0, 447422.0, 0.0]
    assert np.abs(delft_scene.vertices).max() < 600.0  # local: small numbers
    np.testing.assert_array_equal(delft_scene.bounds, DELFT_OBJ_BBOX)
    assert delft_scene.epsg == 7415 and delft_scene.name == "testarea.obj"


def test_delft_obj_groups_and_dropped_faces(delft_obj, delft_scene):
    assert sorted(delft_scene.groups) == sorted(DELFT_OBJ_MATERIALS)
    counts = collections.Counter(np.array(delft_scene.groups)[delft_scene.face_group].tolist())
    # The two faces dropped are the file's two Road triangles with exactly collinear corners.
    v, f, g = read_obj(delft_obj)
    cross = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    zero = np.all(cross == 0, axis=1)
    assert zero.sum() == 2 and set(g[zero]) == {"Road"}
    expected = dict(DELFT_OBJ_MATERIALS, Road=DELFT_OBJ_MATERIALS["Road"] - 2)
    assert dict(counts) == expected


def test_delft_obj_rays_down_agree_with_reference_and_peers(delft_scene):
    """Vertical rays over the real scene: a ray above any face centroid hits at or above it;
    over the whole bounding box (the TIN covers only part of it) numba and the brute-force
    reference agree ray by ray."""
    import reference as ref

    rng = np.random.default_rng(15)
    pick = rng.integers(0, delft_scene.n_faces, 3000)
    c = delft_scene.face_centroids[pick]
    o = c + [0.0, 0.0, 100.0]
    d = np.tile([0.0, 0.0, -1.0], (len(o), 1))
    dist, face = closest_hit(delft_scene, o, d)
    assert np.all(face >= 0)
    vertical = np.abs(delft_scene.face_normals[pick, 2]) < 1e-9  # walls: the ray may graze
    assert np.all(o[~vertical, 2] - dist[~vertical] >= c[~vertical, 2] - 1e-6)

    lo, hi = DELFT_OBJ_BBOX
    xy = rng.uniform(lo[:2], hi[:2], size=(300, 2))
    o = np.column_stack([xy, np.full(len(xy), 100.0)])
    d = np.tile([0.0, 0.0, -1.0], (len(o), 1))
    dist, face = closest_hit(delft_scene, o, d)
    rd, rf = ref.closest_hit(delft_scene.vertices, delft_scene.faces, delft_scene.to_local(o), d)
    assert 0.1 < (rf >= 0).mean() < 0.9
    assert np.array_equal(face >= 0, rf >= 0)
    np.testing.assert_allclose(dist[rf >= 0], rd[rf >= 0], rtol=1e-12)
    hit_groups = set(np.array(delft_scene.groups)[delft_scene.face_group[face[face >= 0]]])
    assert {"Terrain", "Road"} <= hit_groups


def test_delft_obj_rays_down_agree_with_embree(delft_scene):
    """The same vertical rays through Embree (float32) agree with ours to a millimetre."""
    from cpted_sim.errors import EngineUnavailableError
    from cpted_sim.geometry.engines import get_engine

    try:
        get_engine("embree")
    except EngineUnavailableError as exc:
        pytest.skip(f"peer engine missing, nothing to compare: {exc}")
    rng = np.random.default_rng(15)
    rng.integers(0, delft_scene.n_faces, 3000)  # the draws of the test above, same rays
    lo, hi = DELFT_OBJ_BBOX
    xy = rng.uniform(lo[:2], hi[:2], size=(300, 2))
    o = np.column_stack([xy, np.full(len(xy), 100.0)])
    d = np.tile([0.0, 0.0, -1.0], (len(o), 1))
    dist, face = closest_hit(delft_scene, o, d)
    d2, f2 = closest_hit(delft_scene, o, d, engine="embree")
    assert 0.1 < (face >= 0).mean() < 0.9
    assert np.array_equal(f2 >= 0, face >= 0)
    np.testing.assert_allclose(d2[face >= 0], dist[face >= 0], atol=1e-3)


def test_materials_and_object_groups(delft_obj):
    with pytest.warns(UserWarning, match="zero-area"):
        scene = load_scene(delft_obj, group_by="object",
                           materials={"bedabd859-00c8-11e6-b420-2bdcc4ab5d7f":
                                      Material(reflectance=0.05)})
    assert len(scene.groups) == 570
    water = scene.group_faces("bedabd859-00c8-11e6-b420-2bdcc4ab5d7f")
    assert len(water) > 0
    assert np.all(scene.reflectance[water] == 0.05)
    assert np.sum(scene.reflectance == 0.05) == len(water)


OBJ_SMALL = """\
# a quad, a concave pentagon and a triangle with negative indices
v 0 0 0
v 4 0 0
v 4 3 0
v\t0\t3 0
g floor
usemtl stone
f 1/1/1 2/2/1 3//1 4
v 10 0 0
v 14 0 0
v 14 4 0
v 12 1 0
v 10 4 0
g arrow
usemtl glass
f 5 6 7 8 9
f -5 -4 -1
"""


def test_obj_polygons_negative_indices_and_g_groups(tmp_path):
    path = tmp_path / "small.obj"
    path.write_text(OBJ_SMALL)
    scene = load_scene(path)
    assert scene.n_faces == 2 + 3 + 1
    assert sorted(scene.groups) == ["glass", "stone"]
    # The triangulation covers each polygon exactly (shoelace areas 12 and 10; triangle 8).
    areas = {g: scene.face_areas[scene.group_faces(g)].sum() for g in scene.groups}
    assert areas["stone"] == pytest.approx(12.0) and areas["glass"] == pytest.approx(10.0 + 8.0)
    by_object = load_scene(path, group_by="object")
    assert sorted(by_object.groups) == ["arrow", "floor"]


@pytest.mark.parametrize("suffix", ["ply", "stl"])
def test_ply_and_stl_are_one_group_named_after_the_file(tmp_path, suffix):
    box = trimesh.creation.box(extents=(2.0, 3.0, 4.0))
    box.apply_translation([85000.5, 447500.25, 2.0])
    path = tmp_path / f"kiosk.{suffix}"
    box.export(path)
    scene = load_scene(path)
    assert scene.groups == ("kiosk",)
    assert scene.n_faces == 12
    np.testing.assert_allclose(scene.bounds, [[84999.5, 447498.75, 0.0], [85001.5, 447501.75, 4.0]],
                               atol=1e-2 if suffix == "stl" else 1e-9)
    assert scene.face_areas.sum() == pytest.approx(2 * (6 + 8 + 12), rel=1e-5)


def test_glb_nodes_materials_transforms_and_z_up(tmp_path):
    from trimesh.visual import TextureVisuals
    from trimesh.visual.material import PBRMaterial

    pane = trimesh.creation.box(extents=(1.0, 2.0, 0.5))
    pane.visual = TextureVisuals(material=PBRMaterial(name="Glass"))
    ball = trimesh.creation.icosphere(subdivisions=1)
    ball.visual = TextureVisuals(material=PBRMaterial(name="Brick"))
    s = trimesh.Scene()
    s.add_geometry(pane, node_name="window_1", geom_name="pane")
    s.add_geometry(ball, node_name="tower", geom_name="ball",
                   transform=trimesh.transformations.translation_matrix([0.0, 10.0, 0.0]))
    path = tmp_path / "block.glb"
    s.export(path)
    scene = load_scene(path, origin=[0.0, 0.0, 0.0])
    assert sorted(scene.groups) == ["Brick", "Glass"]
    assert sorted(load_scene(path, group_by="object").groups) == ["tower", "window_1"]
    # glTF +Y (up) became +Z: the ball, lifted 10 m along glTF Y, is 10 m up here.
    ball_centre = scene.face_centroids[scene.group_faces("Brick")].mean(axis=0)
    np.testing.assert_allclose(ball_centre, [0.0, 0.0, 10.0], atol=1e-6)
    glass = scene.vertices[np.unique(scene.faces[scene.group_faces("Glass")])]
    np.testing.assert_allclose(glass.max(axis=0) - glass.min(axis=0), [1.0, 0.5, 2.0])


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(MeshError, match=r"nowhere\.obj: no such file"):
        load_scene(tmp_path / "nowhere.obj")
    with pytest.raises(MeshError, match="is a directory"):
        load_scene(tmp_path)


def test_unknown_format(tmp_path):
    path = tmp_path / "street.dwg"
    path.write_bytes(b"AC1027")
    with pytest.raises(MeshError, match=r"street\.dwg: unknown mesh format '\.dwg'; expected one "
                                        r"of .*\.obj"):
        load_scene(path)


@pytest.mark.parametrize("text, match", [
    ("v 0 0 0\nv 1 0 abc\n", r"bad\.obj line 2: expected three numbers after 'v'"),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 7\n", r"bad\.obj line 4: face refers to a vertex outside "
                                             r"1\.\.3"),
    ("v 0 0 0\nv 1 0 0\nf 1 2\n", r"bad\.obj line 3: a face needs at least 3 vertices"),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", r"bad\.obj line 4: vertex index 0"),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 x 2\n", r"bad\.obj line 4: bad vertex reference 'x'"),
    ("v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n", r"bad\.obj line 2: vertex coordinates must be finite"),
    ("# nothing\n", r"bad\.obj: the file holds no faces"),
])
def test_unreadable_obj_names_file_and_line(tmp_path, text, match):
    path = tmp_path / "bad.obj"
    path.write_text(text)
    with pytest.raises(MeshError, match=match):
        load_scene(path)


def test_binary_garbage_names_the_file(tmp_path):
    path = tmp_path / "noise.ply"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(MeshError, match=r"noise\.ply: not a PLY file"):
        load_scene(path)
    obj = tmp_path / "noise.obj"
    obj.write_bytes(b"v 0 0 0\n\xff\xfe\x00garbage")
    with pytest.raises(MeshError, match=r"noise\.obj: not a text OBJ file"):
        load_scene(obj)


def test_bad_arguments(tmp_path):
    path = tmp_path / "t.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with pytest.raises(ParameterError, match="group_by: expected one of"):
        load_scene(path, group_by="colour")
    with pytest.raises(ParameterError, match="lod: only CityJSON"):
        load_scene(path, lod=2)
    with pytest.raises(ParameterError, match="path:"):
        load_scene(3.5)
    assert load_scene(path, origin=[10.0, 0.0, 0.0]).vertices[0].tolist() == [-10.0, 0.0, 0.0]
