"""Read-only inputs (a frozen scene's arrays, np.broadcast_to views) answer as writeable ones
and reach the kernels already compiled for those: Numba types a read-only array apart, and
each extra signature costs seconds of compilation on first use (issue 16)."""

from __future__ import annotations

import numpy as np

from cpted_sim import closest_hit, occluded, visibility_matrix
from cpted_sim.geometry.bvh import build_bvh
from cpted_sim.kernels import bvh_build, bvh_query
from cpted_sim.scenario.synthetic import street_canyon


def _frozen(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def test_read_only_rays_compile_nothing_new_and_answer_the_same():
    c = street_canyon(30.0)
    s = c.scene
    pts = c.street_points(spacing=3.0, height=1.6)
    down = np.tile([0.2, 0.1, -1.0], (len(pts), 1))
    o, g = c.shadow_segments(spacing=3.0)
    ref = (closest_hit(s, pts, down), occluded(s, o, g), visibility_matrix(s, pts[:5], pts))
    kernels = (bvh_query._closest_blocks, bvh_query._occluded_blocks,
               bvh_query._visibility_tiles)
    before = [len(k.signatures) for k in kernels]
    got = (closest_hit(s, _frozen(pts), _frozen(down), max_distance=_frozen(np.full(len(pts), np.inf))),
           occluded(s, _frozen(o), _frozen(g)),
           visibility_matrix(s, _frozen(pts[:5]), _frozen(pts)))
    assert [len(k.signatures) for k in kernels] == before
    assert np.array_equal(got[0][0], ref[0][0]) and np.array_equal(got[0][1], ref[0][1])
    assert np.array_equal(got[1], ref[1]) and np.array_equal(got[2], ref[2])


def test_read_only_mesh_builds_with_the_compiled_kernels():
    s = street_canyon(30.0).scene
    first, _ = build_bvh(np.array(s.vertices), np.array(s.faces))  # writeable copies
    before = len(bvh_build.triangle_boxes.signatures), len(bvh_build.gather_triangles.signatures)
    again, _ = build_bvh(_frozen(s.vertices), _frozen(s.faces))
    after = len(bvh_build.triangle_boxes.signatures), len(bvh_build.gather_triangles.signatures)
    assert after == before
    assert np.array_equal(first.nodes, again.nodes) and np.array_equal(first.tri, again.tri)
