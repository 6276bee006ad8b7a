"""Fuzzing every mesh reader: 1,000+ seeded mutations of small valid files per format.

Each case is written to a file and read with :func:`cpted_sim.load_scene` under the shared
harness's rule (only the library's own errors, within 10 s, under 2 GB more memory). The
samples are built here: OBJ (groups, quads, an n-gon, relative indices), PLY (ASCII, binary
little and big endian, with a concave polygon and an extra property), STL (ASCII, binary),
GLB (written by hand: one node, one mesh, float32 positions, uint16 indices) and CityJSON (a
Solid with semantics, a MultiSurface with a hole and a GeometryInstance). Mutations: byte
flips, truncation, duplicated and deleted tokens, huge numbers, nan/inf, random bytes; for
CityJSON also swaps of one JSON member for a value of another type. Each suite asserts that
both outcomes occur (loads and MeshErrors), so it cannot pass by rejecting everything.
"""

from __future__ import annotations

import base64
import json
import struct
import warnings

import numpy as np
import pytest
from _harness import assert_only_library_errors

from cpted_sim import load_scene

N_CASES = 1000

WEIRD_NUMBERS = [b"1e308", b"-1e308", b"1e400", b"nan", b"-inf", b"inf", b"NaN",
                 b"99999999999999999999", b"-99999999999999999999", b"4294967295", b"-1", b"0",
                 b"1.5", b"0x10", b"1_0", b"", b"\x00", b"3e-320"]
WEIRD_BINARY = [struct.pack("<I", 0xFFFFFFFF), struct.pack("<I", 0x7FFFFFFF),
                struct.pack("<f", float("nan")), struct.pack("<f", float("inf")),
                struct.pack("<d", 1e308), struct.pack(">I", 0xFFFFFFFF), b"\x00\x00\x00\x00",
                b"\xff", struct.pack("<i", -1), struct.pack("<H", 65535)]


# ---------------------------------------------------------------------- samples
def obj_sample() -> bytes:
    return (b"# a small street\nmtllib street.mtl\no kerb\nv 0 0 0\nv 4 0 0\nv 4 1 0\n"
            b"v 0 1 0\nv 2 3 0\nvt 0 0\nvn 0 0 1\nusemtl stone\nf 1 2 3 4\nf 1/1/1 3/1/1 5/1/1\n"
            b"g glass\nusemtl glass\nv 0 0 5\nv 3 0 5\nv 3 0 7\nv 1.5 0 6\nv 0 0 7\n"
            b"f -5 -4 -3 -2 -1\ns off\nf 6 7 8\n")


def ply_sample(fmt: str) -> bytes:
    verts = [(0, 0, 0), (15, 0, 0), (15, 15, 0), (12.5, 15, 0), (12.5, 5, 0), (2.5, 5, 0),
             (2.5, 15, 0), (0, 15, 0), (0, 0, 3)]
    faces = [list(range(8)), [0, 1, 8], [1, 2, 3, 8]]
    head = (f"ply\nformat {fmt} 1.0\ncomment fuzz\nelement vertex {len(verts)}\n"
            "property float x\nproperty float y\nproperty double z\nproperty uchar red\n"
            f"element face {len(faces)}\nproperty list uchar int vertex_indices\n"
            "element edge 1\nproperty int vertex1\nproperty int vertex2\nend_header\n").encode()
    if fmt == "ascii":
        rows = [f"{x} {y} {z} 200" for x, y, z in verts]
        rows += [" ".join(map(str, [len(f), *f])) for f in faces] + ["0 1"]
        return head + ("\n".join(rows) + "\n").encode()
    e = "<" if fmt == "binary_little_endian" else ">"
    body = b"".join(struct.pack(e + "ffdB", *v, 200) for v in verts)
    body += b"".join(struct.pack(e + "B" + "i" * len(f), len(f), *f) for f in faces)
    return head + body + struct.pack(e + "ii", 0, 1)


TRIS = [[(0, 0, 0), (2, 0, 0), (2, 2, 0)], [(0, 0, 0), (2, 2, 0), (0, 2, 0)],
        [(0, 0, 0), (2, 0, 0), (1, 0, 3)]]


def stl_sample(binary: bool) -> bytes:
    if binary:
        out = b"solid looks ascii but is binary".ljust(80, b" ") + struct.pack("<I", len(TRIS))
        return out + b"".join(struct.pack("<12fH", 0, 0, 1, *np.ravel(t), 0) for t in TRIS)
    rows = ["solid part"]
    for t in TRIS:
        rows += ["  facet normal 0 0 1", "    outer loop",
                 *[f"      vertex {x} {y} {z}" for x, y, z in t], "    endloop", "  endfacet"]
    return ("\n".join(rows + ["endsolid part"]) + "\n").encode()


def gltf_doc(blob_length: int) -> dict:
    return {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
            "nodes": [{"mesh": 0, "name": "slab", "translation": [0, 0, 1]}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1,
                                        "material": 0}]}],
            "materials": [{"name": "Stone"}],
            "buffers": [{"byteLength": blob_length}],
            "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 48},
                            {"buffer": 0, "byteOffset": 48, "byteLength": 12}],
            "accessors": [{"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3",
                           "min": [0, 0, 0], "max": [1, 1, 0]},
                          {"bufferView": 1, "componentType": 5123, "count": 6,
                           "type": "SCALAR"}]}


def _blob() -> bytes:
    pos = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype="<f4")
    idx = np.array([0, 1, 2, 0, 2, 3], dtype="<u2")
    return pos.tobytes() + idx.tobytes()


def gltf_sample_doc() -> dict:
    """A .gltf whose buffer is a base64 data URI (no file beside it)."""
    blob = _blob()
    doc = gltf_doc(len(blob))
    doc["buffers"][0]["uri"] = ("data:application/octet-stream;base64,"
                                + base64.b64encode(blob).decode())
    return doc


def glb_sample() -> bytes:
    blob = _blob()
    js = json.dumps(gltf_doc(len(blob))).encode()
    js += b" " * (-len(js) % 4)
    blob += b"\0" * (-len(blob) % 4)
    chunks = struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", len(blob),
                                                                      b"BIN\0") + blob
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def cityjson_doc() -> dict:
    cube = [[[[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]],
             [[3, 0, 4, 7]]]]
    return {
        "type": "CityJSON", "version": "2.0",
        "transform": {"scale": [0.001, 0.001, 0.001], "translate": [85000.0, 447000.0, 0.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
        "CityObjects": {
            "b1": {"type": "Building", "children": ["b1-0"], "geometry": [
                {"type": "MultiSurface", "lod": "0", "boundaries": [[[0, 1, 2, 3]]]}]},
            "b1-0": {"type": "BuildingPart", "parents": ["b1"], "geometry": [
                {"type": "Solid", "lod": "2.2", "boundaries": cube,
                 "semantics": {"surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"},
                                            {"type": "WallSurface"}],
                               "values": [[0, 1, 2, 2, 2, None]]}}]},
            "road": {"type": "Road", "geometry": [
                {"type": "MultiSurface", "lod": "1",
                 "boundaries": [[[8, 9, 10, 11], [12, 13, 14, 15]]]}]},
            "tree": {"type": "SolitaryVegetationObject", "geometry": [
                {"type": "GeometryInstance", "template": 0, "boundaries": [8],
                 "transformationMatrix": [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]}]},
        },
        "geometry-templates": {
            "templates": [{"type": "MultiSurface", "lod": "1",
                           "boundaries": [[[0, 1, 2, 3]]]}],
            "vertices-templates": [[0, 0, 0], [1, 0, 0], [1, 0, 3], [0, 0, 3]]},
        "vertices": [[0, 0, 0], [10000, 0, 0], [10000, 8000, 0], [0, 8000, 0],
                     [0, 0, 9000], [10000, 0, 9000], [10000, 8000, 9000], [0, 8000, 9000],
                     [-20000, -20000, 0], [40000, -20000, 0], [40000, -5000, 0],
                     [-20000, -5000, 0], [-1000, -15000, 0], [1000, -15000, 0],
                     [1000, -10000, 0], [-1000, -10000, 0]],
    }


# ---------------------------------------------------------------------- mutations
def _mutate_bytes(data: bytes, rng: np.random.Generator, binary: bool) -> bytes:
    """One to three of: flip bytes, truncate, duplicate or delete a token, insert a weird
    number or random bytes, overwrite a binary field with an extreme value."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        op = int(rng.integers(0, 7 if binary else 6))
        n = len(out)
        if n == 0:
            break
        if op == 0:  # flip bytes
            for _ in range(int(rng.integers(1, 5))):
                out[int(rng.integers(0, n))] = int(rng.integers(0, 256))
        elif op == 1:  # truncate
            del out[int(rng.integers(0, n)):]
        elif op in (2, 3):  # duplicate or delete a token
            toks = bytes(out).split(b" ")
            k = int(rng.integers(0, len(toks)))
            if op == 2:
                toks.insert(k, toks[k])
            elif len(toks) > 1:
                del toks[k]
            out = bytearray(b" ".join(toks))
        elif op == 4:  # a weird number in place of a token
            toks = bytes(out).split(b" ")
            k = int(rng.integers(0, len(toks)))
            tail = toks[k][len(toks[k].rstrip(b"\n\r")):]
            toks[k] = WEIRD_NUMBERS[int(rng.integers(0, len(WEIRD_NUMBERS)))] + tail
            out = bytearray(b" ".join(toks))
        elif op == 5:  # random bytes inserted
            k = int(rng.integers(0, n))
            out[k:k] = rng.bytes(int(rng.integers(1, 9)))
        else:  # an extreme binary value over a field
            w = WEIRD_BINARY[int(rng.integers(0, len(WEIRD_BINARY)))]
            k = int(rng.integers(0, max(n - len(w), 1)))
            out[k:k + len(w)] = w
    return bytes(out)


_JSON_SWAPS = [None, -1, 0, 1.5, 2**70, 1e308, True, "x", "", [], {}, [[[]]], [1.5, 2],
               [[0, 1]], {"type": "Solid"}, [[[[0, 1, 2]]]], float("nan"), float("inf")]


def _mutate_json(doc, rng: np.random.Generator):
    """Replace one randomly chosen member anywhere in the document by a value of another type."""
    slots = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, child in list(items):
            slots.append((node, k))
            if isinstance(child, (dict, list)):
                walk(child)

    walk(doc)
    parent, key = slots[int(rng.integers(0, len(slots)))]
    if isinstance(parent, dict) and rng.random() < 0.15:
        del parent[key]
    else:
        parent[key] = _JSON_SWAPS[int(rng.integers(0, len(_JSON_SWAPS)))]
    return doc


def cases(sample: bytes, seed: int, binary: bool):
    rng = np.random.default_rng(seed)
    for _ in range(N_CASES):
        yield _mutate_bytes(sample, rng, binary)


def cityjson_cases(seed: int):
    rng = np.random.default_rng(seed)
    text = json.dumps(cityjson_doc()).encode()
    for k in range(N_CASES):
        if k % 2:
            yield json.dumps(_mutate_json(cityjson_doc(), rng), allow_nan=True).encode()
        else:
            yield _mutate_bytes(text, rng, binary=False)


MTL = b"newmtl stone\nKd 0.5 0.45 0.4\nnewmtl glass\nKd 0.1 0.1 0.12\n"


def gltf_cases(seed: int):
    rng = np.random.default_rng(seed)
    text = json.dumps(gltf_sample_doc()).encode()
    for k in range(N_CASES):
        if k % 2:
            yield json.dumps(_mutate_json(gltf_sample_doc(), rng), allow_nan=True).encode()
        else:
            yield _mutate_bytes(text, rng, binary=False)


def reader(tmp_path, suffix: str):
    path = tmp_path / f"fuzz{suffix}"
    (tmp_path / "street.mtl").write_bytes(MTL)  # the OBJ sample's mtllib, where it is read

    def read(data: bytes):
        # Unlink, then write: truncating a written file costs ~6 ms on ext4 (it flushes).
        path.unlink(missing_ok=True)
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zero-area faces and the like warn; not a finding
            load_scene(path)

    return read


# ---------------------------------------------------------------------- the suites
FORMATS = {
    "obj": (".obj", obj_sample, False),
    "ply-ascii": (".ply", lambda: ply_sample("ascii"), False),
    "ply-binary-le": (".ply", lambda: ply_sample("binary_little_endian"), True),
    "ply-binary-be": (".ply", lambda: ply_sample("binary_big_endian"), True),
    "stl-ascii": (".stl", lambda: stl_sample(False), False),
    "stl-binary": (".stl", lambda: stl_sample(True), True),
    "glb": (".glb", glb_sample, True),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_samples_load(tmp_path, fmt):
    suffix, sample, _ = FORMATS[fmt]
    path = tmp_path / f"sample{suffix}"
    path.write_bytes(sample())
    (tmp_path / "street.mtl").write_bytes(MTL)
    assert load_scene(path).n_faces >= 2


@pytest.mark.parametrize("seed, fmt", list(enumerate(FORMATS, start=11)))
def test_fuzz_mesh_readers(tmp_path, seed, fmt):
    suffix, sample, binary = FORMATS[fmt]
    counts = assert_only_library_errors(reader(tmp_path, suffix),
                                        cases(sample(), seed, binary), label=f"{fmt} case")
    assert sum(counts.values()) == N_CASES
    assert counts.get("ok", 0) > 0 and counts.get("MeshError", 0) > 0, counts


def test_fuzz_cityjson(tmp_path):
    path = tmp_path / "sample.city.json"
    path.write_text(json.dumps(cityjson_doc()))
    assert load_scene(path).n_faces > 10
    counts = assert_only_library_errors(reader(tmp_path, ".city.json"), cityjson_cases(29),
                                        label="CityJSON case")
    assert sum(counts.values()) == N_CASES
    assert counts.get("ok", 0) > 0 and counts.get("MeshError", 0) > 0, counts


def test_fuzz_gltf(tmp_path):
    path = tmp_path / "sample.gltf"
    path.write_text(json.dumps(gltf_sample_doc()))
    assert load_scene(path).n_faces == 2
    counts = assert_only_library_errors(reader(tmp_path, ".gltf"), gltf_cases(31),
                                        label="glTF case")
    assert sum(counts.values()) == N_CASES
    assert counts.get("ok", 0) > 0 and counts.get("MeshError", 0) > 0, counts
