"""Meshes that used to load silently wrong or crash with a foreign error (issue 11): devices,
FIFOs and NUL bytes in paths; OBJ with a BOM or huge indices; concave and truncated PLY;
broken STL and glTF; malformed CityJSON; bad ``Scene.from_arrays`` arguments; the CLI."""

from __future__ import annotations

import json
import os
import struct
import textwrap
import warnings

import numpy as np
import pytest

from cpted_sim import Material, MeshError, ParameterError, load_scene
from cpted_sim.cli import main
from cpted_sim.errors import CptedWarning
from cpted_sim.geometry.scene import Scene
from cpted_sim.io import mesh as mesh_mod

TRI = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"

# A concave "U" polygon: a 15 m x 15 m square with a 10 m x 10 m notch cut from the middle of
# its top side: 225 - 100 = 125 m2 (the figure; fanned from its first corner it is not).
U_POLY = [(0, 0, 0), (15, 0, 0), (15, 15, 0), (12.5, 15, 0), (12.5, 5, 0), (2.5, 5, 0),
          (2.5, 15, 0), (0, 15, 0)]
U_AREA = 125.0


# ---------------------------------------------------------------------- paths and files
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "street.obj"
    os.mkfifo(fifo)
    with pytest.raises(MeshError, match="not a regular file"):
        load_scene(fifo)
    json_fifo = tmp_path / "city.json"
    os.mkfifo(json_fifo)
    from cpted_sim.io.cityjson import read_cityjson

    with pytest.raises(MeshError, match="not a regular file"):
        read_cityjson(json_fifo)


@pytest.mark.parametrize("suffix", ["obj", "ply", "stl", "glb", "json"])
def test_link_to_dev_zero_is_refused(tmp_path, suffix):
    link = tmp_path / f"zero.{suffix}"
    link.symlink_to("/dev/zero")
    with pytest.raises(MeshError, match="not a regular file"):
        load_scene(link)


def test_nul_byte_in_path_is_one_line(tmp_path):
    with pytest.raises(MeshError, match="NUL byte") as exc:
        load_scene(str(tmp_path / "a\x00b.obj"))
    assert "\n" not in str(exc.value)


def test_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.obj"
    path.write_text(TRI * 10)
    monkeypatch.setattr(mesh_mod, "MAX_MESH_BYTES", 100)
    with pytest.raises(MeshError, match="more than the 100 bytes"):
        load_scene(path)


# ---------------------------------------------------------------------- OBJ
def test_obj_with_a_bom_keeps_its_first_vertex(tmp_path):
    path = tmp_path / "bom.obj"
    path.write_bytes(b"\xef\xbb\xbf" + TRI.encode())
    scene = load_scene(path, origin=[0, 0, 0])
    assert scene.n_faces == 1
    assert scene.face_areas.sum() == pytest.approx(0.5, rel=1e-15)  # measured: exact


@pytest.mark.parametrize("face, match", [
    ("f 1 2 100000000000000000000", r"line 4: vertex index 100000000000000000000 is out of range"),
    ("f 1 2 1e20", r"line 4: bad vertex reference '1e20'"),
    ("f 1 2 2.5", r"line 4: bad vertex reference '2.5'"),
    ("f 1 2 -9", r"line 4: relative vertex reference -9 reaches before the first vertex"),
    ("f 1 2 4", r"line 4: face refers to a vertex outside 1\.\.3"),
    ("f 1 2 3 99", r"line 4: face refers to a vertex outside 1\.\.3"),
])
def test_obj_face_index_out_of_range_names_the_line(tmp_path, face, match):
    path = tmp_path / "idx.obj"
    path.write_text(TRI.replace("f 1 2 3", face))
    with pytest.raises(MeshError, match=r"idx\.obj " + match):
        load_scene(path)


def test_obj_concave_polygon_has_its_true_area(tmp_path):
    path = tmp_path / "u.obj"
    path.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in U_POLY) + "f 1 2 3 4 5 6 7 8\n")
    assert load_scene(path).face_areas.sum() == pytest.approx(U_AREA, rel=1e-15)  # measured: exact


# ---------------------------------------------------------------------- PLY
def ply_bytes(fmt: str, vertices, faces, *, count_type="uchar", index_type="int",
              extra_vertex_prop=False) -> bytes:
    """A PLY file with float64 vertices and integer face lists, written by hand."""
    head = [f"ply", f"format {fmt} 1.0", "comment written by the test",
            f"element vertex {len(vertices)}", "property double x", "property double y",
            "property double z"]
    if extra_vertex_prop:
        head.append("property uchar red")
    head += [f"element face {len(faces)}",
             f"property list {count_type} {index_type} vertex_indices", "end_header"]
    out = ("\n".join(head) + "\n").encode()
    if fmt == "ascii":
        rows = [" ".join(repr(float(c)) for c in v) + (" 7" if extra_vertex_prop else "")
                for v in vertices]
        rows += [" ".join(map(str, [len(f), *f])) for f in faces]
        return out + ("\n".join(rows) + "\n").encode()
    e = "<" if fmt == "binary_little_endian" else ">"
    ct = {"uchar": "B", "int": "i", "ushort": "H"}[count_type]
    it = {"int": "i", "uint": "I", "short": "h"}[index_type]
    for v in vertices:
        out += struct.pack(e + "3d", *v) + (struct.pack("B", 7) if extra_vertex_prop else b"")
    for f in faces:
        out += struct.pack(e + ct + it * len(f), len(f), *f)
    return out


PLY_FORMATS = ["ascii", "binary_little_endian", "binary_big_endian"]


@pytest.mark.parametrize("fmt", PLY_FORMATS)
def test_ply_concave_polygon_has_its_true_area(tmp_path, fmt):
    # trimesh fanned this polygon from its first corner: 776 m2 counted twice over the notch
    # in the file; ours triangulates it (area exact to rounding: measured 0 error).
    path = tmp_path / "plaza.ply"
    path.write_bytes(ply_bytes(fmt, U_POLY, [list(range(8))], extra_vertex_prop=True))
    scene = load_scene(path)
    assert scene.groups == ("plaza",)
    assert scene.face_areas.sum() == pytest.approx(U_AREA, rel=1e-15)  # measured: exact
    assert scene.n_faces == 6


@pytest.mark.parametrize("fmt", PLY_FORMATS)
def test_ply_mixed_triangles_concave_quads_and_polygons(tmp_path, fmt):
    # A concave quad (a dart, corners (0,0) (2,1) (4,0) (2,3), shoelace area 4): its inner
    # diagonal is 1-3; splitting along 0-2 would count 8 m2.
    verts = [(0, 0, 0), (2, 1, 0), (4, 0, 0), (2, 3, 0), *[(x + 20, y, z) for x, y, z in U_POLY],
             (0, 10, 0), (1, 10, 0), (0, 11, 0)]
    faces = [[0, 1, 2, 3], list(range(4, 12)), [12, 13, 14]]
    path = tmp_path / "mixed.ply"
    path.write_bytes(ply_bytes(fmt, verts, faces, count_type="int", index_type="uint"))
    scene = load_scene(path)
    assert scene.face_areas.sum() == pytest.approx(4.0 + U_AREA + 0.5, rel=1e-15)  # measured: exact


@pytest.mark.parametrize("fmt", PLY_FORMATS)
def test_truncated_ply_gives_the_counts(tmp_path, fmt):
    good = ply_bytes(fmt, U_POLY, [[0, 1, 2], [0, 2, 3], [4, 5, 6]])
    path = tmp_path / "cut.ply"
    cut = good[:-3] if fmt != "ascii" else good[:good.rstrip(b"\n").rfind(b"\n") + 1]
    path.write_bytes(cut)
    with pytest.raises(MeshError, match=r"cut\.ply: the file ends after 2 of the 3 'face' "
                                        r"elements its header announces \(truncated\)"):
        load_scene(path)
    end = good.index(b"end_header\n") + len(b"end_header\n")
    path.write_bytes(good[:end + (30 if fmt == "ascii" else 100)])
    with pytest.raises(MeshError, match=r"of the 8 'vertex' elements"):
        load_scene(path)


@pytest.mark.parametrize("body, match", [
    (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n0\n",
     r"no 'y' property"),
    (b"ply\nformat ascii 2.0\nend_header\n", r"line 2: expected 'format ascii"),
    (b"ply\nformat ascii 1.0\nelement vertex x\nend_header\n", r"line 3: expected 'element NAME"),
    (b"ply\nformat ascii 1.0\nelement vertex " + b"9" * 5000 + b"\nend_header\n",
     r"line 3: expected 'element NAME COUNT'"),
    (b"ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\n"
     b"end_header\n", r"no 'vertex' element"),
    (b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
     b"property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
     b"0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n", r"face 0 refers to vertex 7, outside 0\.\.2"),
    (b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
     b"property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
     b"0 0 0\n1 0 0\n0 1 0\n4 0 1 2\n", r"line 13: the list 'vertex_indices' announces 4 "
                                         r"values, the line holds 3"),
    (b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
     b"property float z\nend_header\n0 0 0\n1 0\n0 1 0\n", r"line 9: 2 values on the vertex "
                                                           r"line, expected 3"),
])
def test_malformed_ply_names_what_is_wrong(tmp_path, body, match):
    path = tmp_path / "bad.ply"
    path.write_bytes(body)
    with pytest.raises(MeshError, match=match):
        load_scene(path)


# ---------------------------------------------------------------------- STL, glTF
def stl_binary(tris) -> bytes:
    out = b"\0" * 80 + struct.pack("<I", len(tris))
    for t in tris:
        out += struct.pack("<12fH", 0, 0, 1, *np.ravel(t), 0)
    return out


def stl_ascii(tris) -> bytes:
    rows = ["solid part"]
    for t in tris:
        rows += ["facet normal 0 0 1", "outer loop", *[f"vertex {x} {y} {z}" for x, y, z in t],
                 "endloop", "endfacet"]
    return ("\n".join(rows + ["endsolid part"]) + "\n").encode()


SQUARE = [[(0, 0, 0), (2, 0, 0), (2, 2, 0)], [(0, 0, 0), (2, 2, 0), (0, 2, 0)]]


@pytest.mark.parametrize("writer", [stl_binary, stl_ascii])
def test_stl_reads_and_shares_corners(tmp_path, writer):
    path = tmp_path / "slab.stl"
    path.write_bytes(writer(SQUARE))
    scene = load_scene(path)
    assert scene.n_faces == 2 and scene.vertices.shape == (4, 3)
    assert scene.face_areas.sum() == pytest.approx(4.0, rel=1e-15)  # measured: exact


@pytest.mark.parametrize("data, match", [
    (stl_binary(SQUARE)[:-20], r"binary STL announces 2 triangles, the file holds 1"),
    (stl_ascii(SQUARE).replace(b"endsolid part\n", b""), r"without 'endsolid' \(truncated\)"),
    (stl_ascii(SQUARE)[:120], r"truncated|line \d+: expected"),
    (stl_ascii(SQUARE).replace(b"vertex 2 0 0", b"vertex 2 0"), r"line 5: expected 'vertex X Y Z'"),
    (b"solid \xff\xfe broken\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nendloop\n",
     r"line 5: a facet with 1 vertices, expected 3"),
    (b"solid", r"ends at line 1"),
    (b"\x01\x02", r"not an STL file"),
])
def test_broken_stl_is_one_line(tmp_path, data, match):
    path = tmp_path / "broken.stl"
    path.write_bytes(data)
    with pytest.raises(MeshError, match=match) as exc:
        load_scene(path)
    assert "\n" not in str(exc.value) and "charset" not in str(exc.value)


def test_padded_binary_stl_with_a_solid_header(tmp_path):
    path = tmp_path / "padded.stl"
    data = stl_binary(SQUARE)
    path.write_bytes(b"solid exported" + data[14:] + b"\0" * 16)
    assert load_scene(path).face_areas.sum() == pytest.approx(4.0, rel=1e-15)  # exact


def test_broken_glb_is_one_line(tmp_path):
    path = tmp_path / "broken.glb"
    path.write_bytes(b"glTF\x02\x00\x00\x00" + np.random.default_rng(1).bytes(300))
    with pytest.raises(MeshError, match=r"broken\.glb: cannot be read as GLB") as exc:
        load_scene(path)
    assert "\n" not in str(exc.value)
    deep = tmp_path / "deep.gltf"
    deep.write_text('{"asset": {"version": "2.0"}, "extras": ' + "[" * 100_000 + "]" * 100_000
                    + "}")
    with pytest.raises(MeshError, match=r"deep\.gltf: cannot be read as GLTF"):
        load_scene(deep)


@pytest.mark.parametrize("uri, match", [("../outside.bin", "lies outside the folder"),
                                        ("/dev/zero", "not a regular file|lies outside"),
                                        ("missing.bin", "no such file")])
def test_gltf_buffers_must_be_regular_files_in_its_folder(tmp_path, uri, match):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "outside.bin").write_bytes(np.zeros(9, np.float32).tobytes())
    doc = {"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
           "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
           "buffers": [{"uri": uri, "byteLength": 36}],
           "bufferViews": [{"buffer": 0, "byteLength": 36}],
           "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                          "min": [0, 0, 0], "max": [0, 0, 0]}]}
    path = folder / "scene.gltf"
    path.write_text(json.dumps(doc))
    with pytest.raises(MeshError, match=match):
        load_scene(path)


# ---------------------------------------------------------------------- CityJSON
CUBE_V = [[0, 0, 0], [1000, 0, 0], [1000, 1000, 0], [0, 1000, 0]]


def cj(objects=None, vertices=None, version="2.0", transform=True, **extra):
    doc = {"type": "CityJSON", "version": version,
           "CityObjects": objects if objects is not None else {
               "b": {"type": "Building", "geometry": [
                   {"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2, 3]]]}]}},
           "vertices": vertices if vertices is not None else CUBE_V, **extra}
    if transform:
        doc["transform"] = {"scale": [0.001, 0.001, 0.001], "translate": [85000.0, 447000.0, 0]}
    return doc


def _ms(boundaries, gtype="MultiSurface", **geom):
    return {"b": {"type": "Building", "geometry": [{"type": gtype, "lod": "1",
                                                   "boundaries": boundaries, **geom}]}}


@pytest.mark.parametrize("doc, match", [
    (cj(objects=[1, 2]), r"CityObjects: expected an object keyed by id, found a JSON array"),
    (cj(objects={"b": 3}), r'CityObjects\["b"\]: expected a CityObject, found int 3'),
    (cj(objects={"b": {"type": 7}}), r'CityObjects\["b"\]\.type: expected a string'),
    (cj(objects={"b": {"type": "Building", "geometry": {"lod": 1}}}),
     r'CityObjects\["b"\]\.geometry: expected an array of geometries'),
    (cj(objects={"b": {"type": "Building", "geometry": ["x"]}}),
     r'CityObjects\["b"\]\.geometry\[0\]: expected a geometry object, found str "x"'),
    (cj(objects={"b": {"type": "Building", "children": "b2"}}),
     r'CityObjects\["b"\]\.children: expected an array of CityObject ids'),
    (cj(objects=_ms(None)), r'malformed MultiSurface boundaries at CityObjects\["b"\]\.'
                            r"geometry\[0\]\.boundaries: expected a list of surfaces"),
    (cj(objects=_ms([[0, 1, 2]])), r"boundaries at .*boundaries\[0\]\[0\]: expected a list of "
                                   r"vertex indices, found int 0"),
    (cj(objects=_ms([[[0, 1, 2.0]]])), r"boundaries\[0\]\[0\]\[2\]: expected an integer vertex "
                                       r"index, found float 2\.0"),
    (cj(objects=_ms([[[0, 1, 1.5]]])), r"found float 1\.5"),
    (cj(objects=_ms([[[0, 1, True]]])), r"found bool true"),
    (cj(objects=_ms([[[[0, 1, 2]]]], gtype="Solid", semantics=[1])),
     r"geometry\[0\]\.semantics: expected a JSON object"),
    (cj(objects=_ms([[[0, 1, 2]]], lod=[2])), r"geometry\[0\]\.lod: expected a string"),
    (cj(vertices=[[0, 0], [1, 0], [1, 1]]), r"vertices\[0\]: expected \[x, y, z\] \(3 numbers\), "
                                            r"found 2 coordinates"),
    (cj(vertices=[[0, 0, 0, 0, 1, 0]]), r"vertices\[0\]: expected \[x, y, z\]"),
    (cj(vertices=[[0, 0, "1"]]), r'vertices\[0\]\[2\]: expected a number, found str "1"'),
    (cj(vertices={"0": [0, 0, 0]}), r"vertices: expected an array of \[x, y, z\] numbers"),
    ({**cj(transform=False), "transform": {"scale": [1, 1]}},
     r"transform\.scale: expected 3 finite numbers"),
    (cj(metadata=[1]), r"metadata: expected a JSON object"),
    (cj(metadata={"referenceSystem": "EPSG:99999999999"}), r"metadata\.referenceSystem"),
    (cj(objects={"t": {"type": "SolitaryVegetationObject", "geometry": [
        {"type": "GeometryInstance", "template": 3, "boundaries": [0]}]}},
        **{"geometry-templates": {"templates": [], "vertices-templates": []}}),
     r"\.template: expected the index of one of the 0 geometry templates"),
    ("[" * 100_000 + "]" * 100_000, r"nested too deeply|not a CityJSON file"),
    ('{"type": "CityJSON", "vertices": [[' + "7" * 5000 + ', 0, 0]]}', r"not valid JSON"),
])
def test_malformed_cityjson_names_the_json_path(tmp_path, doc, match):
    path = tmp_path / "m.city.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    with pytest.raises(MeshError, match=r"m\.city\.json: .*" + match) as exc:
        load_scene(path)
    assert "\n" not in str(exc.value)


def test_cityjson_2_without_transform_is_read_unscaled_with_a_warning(tmp_path):
    path = tmp_path / "nt.city.json"
    verts = [[85000.0, 447000.0, 0.0], [85001.0, 447000.0, 0.0], [85001.0, 447001.0, 0.0],
             [85000.0, 447001.0, 0.0]]
    path.write_text(json.dumps(cj(vertices=verts, transform=False)))
    with pytest.warns(CptedWarning, match=r"nt\.city\.json: CityJSON 2\.0 requires a "
                                          r"\"transform\".*its 4 vertices are read as "
                                          r"coordinates in metres, unscaled \(extent 1 x 1 x 0"):
        scene = load_scene(path)
    # measured: exact (float64 all the way); tolerance 1e-9 m
    np.testing.assert_allclose(scene.bounds, [[85000, 447000, 0], [85001, 447001, 0]], rtol=0,
                               atol=1e-9)
    assert scene.face_areas.sum() == pytest.approx(1.0, rel=1e-12)
    path.write_text(json.dumps(cj(vertices=verts, transform=False, version="1.0")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 1.0 makes transform optional: no warning
        assert load_scene(path).face_areas.sum() == pytest.approx(1.0, rel=1e-12)


def test_cityjson_with_transform_is_scaled(tmp_path):
    path = tmp_path / "t.city.json"
    path.write_text(json.dumps(cj()))
    scene = load_scene(path)  # stored mm x 0.001 + translate: measured exact, 1e-9 m allowed
    np.testing.assert_allclose(scene.bounds, [[85000, 447000, 0], [85001, 447001, 0]], rtol=0,
                               atol=1e-9)


# ---------------------------------------------------------------------- Scene.from_arrays
V3 = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize("kwargs, match", [
    ({"origin": "abc"}, r"origin: expected three numbers \[m\], got str"),
    ({"origin": [1, 2]}, r"origin: expected three numbers \[m\], got shape \(2,\)"),
    ({"origin": [[1, 2, 3]]}, r"origin: expected three numbers \[m\], got shape \(1, 3\)"),
    ({"origin": [np.nan, 0, 0]}, r"origin: expected three finite numbers"),
    ({"origin": [object(), 0, 0]}, r"origin: expected three numbers"),
    ({"origin": {"x": 1}}, r"origin: expected three numbers \[m\], got dict"),
    ({"materials": [Material()]}, r"materials: expected a mapping of group name to Material"),
    ({"materials": {"wall": 0.3}}, r"materials\['wall'\]: expected a Material, got float"),
    ({"materials": {3: Material()}}, r"materials: keys must be group names \(str\)"),
    ({"epsg": "28992"}, r"epsg: expected an integer EPSG code or None, got str"),
    ({"epsg": 28992.0}, r"epsg: expected an integer EPSG code"),
    ({"epsg": True}, r"epsg: expected an integer EPSG code"),
    ({"epsg": -1}, r"epsg: expected a positive EPSG code, got -1"),
    ({"name": 5}, r"name: expected a string, got int"),
])
def test_from_arrays_names_the_bad_argument(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Scene.from_arrays(V3, [[0, 1, 2]], **kwargs)


def test_from_arrays_accepts_numpy_epsg_and_bad_groups_are_mesh_errors():
    assert Scene.from_arrays(V3, [[0, 1, 2]], epsg=np.int64(28992)).epsg == 28992
    with pytest.raises(MeshError, match=r"groups\['a'\]: expected face indices"):
        Scene.from_arrays(V3, [[0, 1, 2]], groups={"a": ["x"]})
    with pytest.raises(ParameterError, match="origin"):
        Scene.from_arrays(V3, [[0, 1, 2]], origin=[0, 0])


# ---------------------------------------------------------------------- CLI
SCENARIO = textwrap.dedent('''\
    name = "street"
    [scene]
    mesh = "{mesh}"

    [[luminaires]]
    name = "L1"
    photometry = {{ builtin = "isotropic", intensity_cd = 400.0 }}
    position = [5.0, 10.0, 5.0]

    [[areas]]
    name = "yard"
    kind = "en13201"
    class = "P5"
    polygon = [[1, 1], [19, 1], [19, 19], [1, 19]]
    spacing = 2.0
    quantities = ["E_h"]
    ''')


@pytest.mark.parametrize("name, data, match", [
    ("cut.ply", ply_bytes("ascii", U_POLY, [[0, 1, 2], [0, 2, 3]])[:-8], "truncated"),
    ("broken.stl", b"solid x\nfacet normal 0 0 1\n", "truncated"),
    ("idx.obj", TRI.replace("f 1 2 3", "f 1 2 100000000000000000000").encode(), "out of range"),
    ("m.city.json", json.dumps(cj(objects=_ms([[[0, 1, 1.5]]]))).encode(), "found float 1.5"),
    ("noise.glb", b"glTF" + bytes(range(200)), "cannot be read as GLB"),
])
@pytest.mark.parametrize("command", ["run", "compare"])
def test_cli_reports_bad_meshes_in_one_line_with_status_2(tmp_path, capsys, name, data, match,
                                                          command):
    (tmp_path / name).write_bytes(data)
    files = []
    for k in range(2 if command == "compare" else 1):
        toml = tmp_path / f"s{k}.toml"
        toml.write_text(SCENARIO.format(mesh=name), encoding="utf-8")
        files.append(str(toml))
    assert main([command, *files, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("cpted-sim: error: s0.toml") and match in err[0]
    assert name in err[0]
