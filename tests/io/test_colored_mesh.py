"""The PLY header of io/colored_mesh.py: origin and CRS in plain numbers other software can
parse, and read back by :func:`read_ply` (the scene's own trip is in test_results.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.geometry.scene import Scene
from cpted_sim.io.colored_mesh import (georeference_comments, parse_georeference, read_ply,
                                       write_ply)


def _scene(origin, epsg=None, name="street"):
    v = np.array([[0, 0, 0], [10, 0, 0], [10, 8, 0], [0, 8, 0]], dtype=float) + origin
    return Scene.from_arrays(v, np.array([[0, 1, 2], [0, 2, 3]]), np.array(["ground"] * 2),
                             origin=origin, epsg=epsg, name=name)


def _header(path) -> list[str]:
    raw = path.read_bytes()
    return raw[:raw.index(b"end_header\n")].decode("ascii").splitlines()


def test_header_states_origin_and_crs_as_plain_numbers(tmp_path):
    s = _scene([84616.0, 447368.0, 0.0], epsg=28992)
    p = write_ply(s, tmp_path / "s.ply", comment="faces coloured by E_h [lx]")
    head = _header(p)
    assert "comment origin 84616.000 447368.000 0.000" in head
    assert "comment crs EPSG:28992" in head
    assert not any("np." in ln or "float64" in ln for ln in head)
    back = read_ply(p)
    np.testing.assert_array_equal(back["origin"], s.origin)
    assert back["epsg"] == 28992
    assert "faces coloured by E_h [lx]" in back["comments"]
    # world coordinates: local float32 vertices plus the origin, within float32 rounding
    world = back["vertices"].astype(np.float64) + back["origin"]
    want = (s.vertices + s.origin)[s.faces].reshape(-1, 3)
    np.testing.assert_allclose(world, want, atol=1e-5)


def test_origin_with_more_digits_keeps_them(tmp_path):
    o = [155000.123456, 463000.5, -2.25]
    p = write_ply(_scene(o), tmp_path / "s.ply")
    assert "comment origin 155000.123456 463000.500 -2.250" in _header(p)
    back = read_ply(p)
    np.testing.assert_array_equal(back["origin"], o)
    assert back["epsg"] is None
    assert not any(c.startswith("crs") for c in back["comments"])


def test_a_scene_name_with_a_newline_stays_one_comment(tmp_path):
    p = write_ply(_scene([0.0, 0.0, 0.0], name="two\nlines"), tmp_path / "s.ply",
                  comment="a\nb")
    head = _header(p)
    assert "comment cpted_sim scene two lines" in head
    assert head.count("comment a") == 1 and head.count("comment b") == 1
    assert read_ply(p)["vertices"].shape == (6, 3)


def test_parse_georeference_reads_old_and_new_headers():
    new = [ln[8:] for ln in georeference_comments([84616.0, 447368.0, 0.0], 28992)]
    o, e = parse_georeference(new)
    np.testing.assert_array_equal(o, [84616.0, 447368.0, 0.0])
    assert e == 28992
    # the header before this version: repr of numpy floats, "epsg N"
    old = ["cpted_sim scene x",
           "origin np.float64(84616.0) np.float64(447368.0) np.float64(0.0) (add to x y z "
           "for world coordinates [m])", "epsg 28992"]
    o, e = parse_georeference(old)
    np.testing.assert_array_equal(o, [84616.0, 447368.0, 0.0])
    assert e == 28992
    assert parse_georeference(["origin a b c", "crs EPSG:x"]) == (None, None)


def test_trimesh_reads_the_file(tmp_path):
    trimesh = pytest.importorskip("trimesh")
    s = _scene([84616.0, 447368.0, 0.0], epsg=28992)
    m = trimesh.load(write_ply(s, tmp_path / "s.ply"), process=False)
    assert m.vertices.shape == (6, 3) and m.faces.shape == (2, 3)


def test_load_scene_places_a_written_ply_back_in_world_coordinates(tmp_path):
    from cpted_sim.io.mesh import load_scene

    s = _scene([84616.0, 447368.0, 0.25], epsg=28992)
    p = write_ply(s, tmp_path / "scene_base.ply")
    back = load_scene(p)
    assert back.epsg == 28992
    # world bounds within float32 rounding of the local coordinates (|local| <= 10 m)
    np.testing.assert_allclose(back.bounds, s.bounds, atol=1e-5)
    assert load_scene(p, epsg=7415).epsg == 7415        # an explicit code wins
    plain = tmp_path / "plain.ply"                       # no origin comment: as stored
    plain.write_bytes(p.read_bytes().replace(b"comment origin", b"comment nigiro"))
    np.testing.assert_allclose(load_scene(plain).bounds[0], [0.0, 0.0, 0.0], atol=1e-6)
