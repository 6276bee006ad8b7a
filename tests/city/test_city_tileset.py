"""CityJSON tile sets: the synthetic town's tiles and a real 3D BAG tile set, read by box by
the same code, and a city run on a 3D BAG tile set (cpted_sim.city.tileset)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cpted_sim.city import run_city, write_town
from cpted_sim.city.store import box_scene, store_index
from cpted_sim.city.tileset import index_tileset, read_tileset_box, write_cityjson_tiles
from cpted_sim.geometry.scene import Material
from cpted_sim.io.citymodel import read_city_model
from cpted_sim.io.scenario_file import loads_scenario


def _squares(n: int, step: float = 10.0):
    """A 1 m right triangle every ``step`` metres on an n x n grid, alternately two groups."""
    xs, ys = np.meshgrid(np.arange(n) * step, np.arange(n) * step)
    base = np.column_stack([xs.ravel(), ys.ravel(), np.zeros(n * n)])
    v = np.vstack([base, base + [1.0, 0, 0], base + [0, 1.0, 2.0]])
    k = n * n
    f = np.column_stack([np.arange(k), np.arange(k) + k, np.arange(k) + 2 * k])
    return v, f, np.array(["a", "b"] * (k // 2))


def test_written_tiles_read_back_by_city_object(tmp_path):
    v, f, g = _squares(20)                              # 200 m, a triangle every 10 m
    write_cityjson_tiles(tmp_path, [(v, f, g)], origin=(155000.0, 463000.0, 0.0),
                         types={"a": ("Building", "WallSurface"), "b": ("LandUse", None)},
                         epsg=28992, materials={"a": Material(0.3)}, cell=100.0,
                         object_cell=25.0)
    idx = store_index(tmp_path)
    assert idx["kind"] == "cityjson" and idx["epsg"] == 28992
    assert len(idx["files"]) == 4 and sum(e["n_faces"] for e in idx["files"]) == 400
    assert idx["materials"] == {"Building/WallSurface": {
        "reflectance": 0.3, "light_transmittance": 0.0, "sight_transmittance": 0.0, "tags": []}}
    doc = json.loads((tmp_path / idx["files"][0]["file"]).read_text())
    assert doc["type"] == "CityJSON" and doc["version"] == "2.0"
    local, faces, groups = read_tileset_box(tmp_path, (-1.0, -1.0, 300.0, 300.0), idx)
    assert faces.shape == (400, 3) and set(groups) == {"Building/WallSurface", "LandUse"}
    # millimetre vertices, relative to the origin
    assert np.allclose(np.sort(local[faces].reshape(-1, 3), axis=0),
                       np.sort(v[f].reshape(-1, 3), axis=0), atol=5e-4)
    # a box takes whole city objects (one per group and 25 m cell): the box at (40, 40) takes
    # group a's object of cell (1, 1) (even columns), i.e. the triangles at x = 40, y in
    # {30, 40}, and not group b's (x = 30, whose bounding box ends at 31)
    local, faces, groups = read_tileset_box(tmp_path, (40.2, 40.2, 40.5, 40.5), idx)
    lo = np.round(local[faces].min(axis=1)[:, :2]).astype(int)
    assert sorted(map(tuple, lo.tolist())) == [(40, 30), (40, 40)]
    assert set(groups) == {"Building/WallSurface"}
    # parsed files kept in a cache folder read back the same
    cache = tmp_path / "cache"
    first = read_tileset_box(tmp_path, (30.0, 30.0, 120.0, 90.0), idx, cache)
    again = read_tileset_box(tmp_path, (30.0, 30.0, 120.0, 90.0), idx, cache)
    assert len(list(cache.glob("*.npz"))) == 2          # the files overlapping the box
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert {k: v.tolist() for k, v in first[2].items()} == \
        {k: v.tolist() for k, v in again[2].items()}
    s = box_scene(tmp_path, (-1.0, -1.0, 300.0, 300.0))
    assert s.n_faces == 400 and s.ray_offset == idx["ray_offset"]
    assert np.array_equal(s.origin, [155000.0, 463000.0, 0.0])


def test_the_town_is_written_as_cityjson_tiles(tmp_path):
    info = write_town(tmp_path, target_triangles=4000, districts=1)
    idx = store_index(tmp_path / "cityjson")
    assert idx["kind"] == "cityjson"
    assert sum(e["n_faces"] for e in idx["files"]) == info["triangles"]
    files = sorted((tmp_path / "cityjson").glob("*.city.json"))
    assert len(files) == len(idx["files"]) >= 1
    # the same reader as any CityJSON file: load_city_model reads the town whole
    whole = read_city_model(files).scene
    assert whole.n_faces == info["triangles"]
    assert "Building/Window" in whole.groups and "Road/TrafficArea" in whole.groups
    assert idx["materials"]["Building/Window"]["tags"] == ["window"]


@pytest.fixture
def bag(shared_data):
    folder = shared_data / "city" / "3dbag"
    if not folder.is_dir():
        pytest.skip(f"the shared 3D BAG extracts are not here ({folder})")
    return folder


# multi_lod.json (cjio's test file) states no CRS; the others are EPSG:28992
NO_CRS = "ignore:1 city-model files state no CRS:cpted_sim.errors.CptedWarning"


@pytest.mark.filterwarnings(NO_CRS)
def test_a_real_3dbag_tile_set_is_indexed_and_read_by_box(bag, tmp_path):
    files = sorted(p for p in bag.iterdir() if p.name.endswith(".json"))
    out = index_tileset(bag, tmp_path)
    idx = store_index(out)
    assert len(idx["files"]) == len(files) == 3 and idx["epsg"] == 28992
    ref = read_city_model(files)                         # the whole set, read at once
    assert sum(e["n_faces"] for e in idx["files"]) == ref.scene.n_faces == 1054
    local, faces, groups = read_tileset_box(out, (-1e9, -1e9, 1e9, 1e9), idx)
    assert faces.shape[0] == 1054
    assert sorted(set(groups)) == sorted(ref.scene.groups)
    # a box around the 's-Hertogenbosch sample: only its file's objects
    e = next(e for e in idx["files"] if e["file"].endswith("foss4gnl2021_sample.json"))
    local, faces, groups = read_tileset_box(out, e["bounds"], idx)
    assert faces.shape[0] == e["n_faces"] == 460
    assert index_tileset(bag, tmp_path) == out           # indexed once


@pytest.mark.filterwarnings(NO_CRS)
def test_a_city_run_on_a_3dbag_tile_set(bag, tmp_path):
    """Ten buildings of 's-Hertogenbosch (3D BAG 2021) in 6 tiles equal one tile, exactly; the
    driver reads the files one at a time to index them, each tile its halo's city objects."""
    x0, y0 = 76538.0, 451765.0
    toml = f"""
name = "3D BAG"
[scene]
builtin = "ground_plane"
params = {{ size = 10.0 }}
[[luminaires]]
name = "L1"
photometry = {{ builtin = "street_light_optic", flux = 6000.0 }}
position = [{x0 + 30}, {y0 + 50}, 8.0]
[[luminaires]]
name = "L2"
photometry = {{ builtin = "street_light_optic", flux = 6000.0 }}
position = [{x0 + 60}, {y0 + 20}, 8.0]
[[areas]]
name = "blocks"
kind = "grid"
polygon = [[{x0}, {y0}], [{x0 + 80}, {y0}], [{x0 + 80}, {y0 + 110}], [{x0}, {y0 + 110}]]
spacing = 2.0
height = 3.0
height_reference = "absolute"      # 3D BAG has buildings only: no ground to drape on
quantities = ["E_h", "E_sc", "surveillance"]
[[observers]]
name = "watchers"
kind = "window"
points = [[{x0 + 20}, {y0 + 20}, 6.0], [{x0 + 70}, {y0 + 90}, 6.0]]
fov = 360.0
max_distance = 30.0
[run]
max_distance = 30.0
"""
    sc = loads_scenario(toml)
    one = run_city(sc, tmp_path / "one", town=bag, scheduler="synchronous", tile_size=200.0)
    four = run_city(sc, tmp_path / "four", town=bag, scheduler="synchronous", tile_size=42.0)
    assert one["tiles"] == 1 and four["tiles"] == 6
    assert 0 < min(i["triangles"] for i in four["infos"]) < one["infos"][0]["triangles"] <= 460
    with np.load(tmp_path / "one" / "city_fields.npz") as a, \
            np.load(tmp_path / "four" / "city_fields.npz") as b:
        for q in ("E_h", "E_sc", "surveillance_count"):
            assert np.array_equal(a[q], b[q], equal_nan=True), q
        assert np.nanmax(a["E_h"]) > 5.0 and np.nanmax(a["surveillance_count"]) == 1.0
        assert np.nanmin(a["E_h"]) == 0.0                  # shadowed by the buildings
