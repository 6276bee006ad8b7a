"""Geometry tiles on disk, read back by box (cpted_sim.city.store)."""

from __future__ import annotations

import numpy as np

from cpted_sim.city.store import box_scene, read_box, write_store
from cpted_sim.geometry.scene import Material


def _grid_of_triangles(n: int):
    xs, ys = np.meshgrid(np.arange(n, dtype=float), np.arange(n, dtype=float))
    base = np.column_stack([xs.ravel() * 10.0, ys.ravel() * 10.0, np.zeros(n * n)])
    v = np.vstack([base, base + [1.0, 0, 0], base + [0, 1.0, 0]])
    k = n * n
    f = np.column_stack([np.arange(k), np.arange(k) + k, np.arange(k) + 2 * k])
    return v, f


def test_read_box_keeps_exactly_the_overlapping_triangles(tmp_path):
    v, f = _grid_of_triangles(20)   # a triangle every 10 m over 200 m
    write_store(tmp_path, [(v, f, np.array(["a", "b"] * 200))], origin=(1000.0, 2000.0, 0.0),
                materials={"a": Material(0.3)}, cell=50.0)
    local, faces, groups = read_box(tmp_path, (15.0, 15.0, 40.5, 40.5))
    tri = local[faces]
    # triangles at x, y in {10, 20, 30, 40} (10's reaches 11 >= 15? no) -> {20, 30, 40}^2
    lo = tri.min(axis=1)
    assert sorted({(a, b) for a, b in lo[:, :2].tolist()}) == sorted(
        (float(x), float(y)) for x in (20, 30, 40) for y in (20, 30, 40))
    assert set(groups) <= {"a", "b"}


def test_box_scene_keeps_the_origin_and_local_vertices(tmp_path):
    v, f = _grid_of_triangles(4)
    v = v + 0.123456789
    write_store(tmp_path, [(v, f, np.full(16, "a"))], origin=(155000.0, 463000.0, 0.0),
                materials={"a": Material(0.3)})
    s = box_scene(tmp_path, (-1.0, -1.0, 100.0, 100.0))
    assert s.n_faces == 16
    assert np.array_equal(s.origin, [155000.0, 463000.0, 0.0])
    assert np.array_equal(np.sort(s.vertices[s.faces].reshape(-1, 3), axis=0),
                          np.sort(v[f].reshape(-1, 3), axis=0))
    assert box_scene(tmp_path, (500.0, 500.0, 600.0, 600.0)) is None
