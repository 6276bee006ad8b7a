"""Segment batches that start from a frontier and use the node cache answer as the root walk.

``occluded_batch`` and ``visibility_block`` start each run of neighbouring segments from the
run's frontier (``frontier.run_frontier``) and test the subtree of the node that blocked the
previous segment before the whole tree (issue 16). Both only change where a walk starts, so
the answers must be those of the first, plain traversal (``original_bvh_query.py``) on
segments that run side by side (shadow rays to street lights, sightlines from windows), on
segments in an exact plane through triangle corners, and on random ones.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np
import pytest

import original_bvh_query as ref
from cpted_sim import Scene
from cpted_sim.kernels import bvh_query as q
from cpted_sim.kernels.bvh_build import CNT, REF, WIDE
from cpted_sim.kernels.frontier import ALL_SLOTS, ROW_MASK, run_frontier
from cpted_sim.scenario.synthetic import district


@contextmanager
def numba_threads(n):
    old = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


@pytest.fixture(scope="module")
def town():
    return district(15_000, seed=4)


@numba.njit
def _frontier_of(nodes, box, cap, front):
    return run_frontier(nodes.view(np.float32), nodes, front, cap, box[0], box[1], box[2],
                       box[3], box[4], box[5])


def _rows_under(links, w, mask):
    """Triangle rows of the slots in ``mask`` of node ``w`` and everything below them."""
    rows = []
    for k in range(WIDE):
        c = links[w, CNT + k]
        if c < 0 or not (mask >> k) & 1:
            continue
        r = links[w, REF + k]
        if c > 0:
            rows.extend(range(r, r + c))
        else:
            rows.extend(_rows_under(links, r, 0xFF))
    return rows


def _leaf_rows_meeting(nodes, box):
    """Rows of every leaf slot whose box meets ``box`` (brute force over all nodes)."""
    links = nodes
    planes = nodes.view(np.float32)[:, :6 * WIDE].astype(np.float64).reshape(-1, 6, WIDE)
    lo, hi = planes[:, :3, :], planes[:, 3:, :]
    meets = np.all(lo <= np.asarray(box[3:])[None, :, None], axis=1) & \
        np.all(hi >= np.asarray(box[:3])[None, :, None], axis=1) & (links[:, CNT:] > 0)
    rows = set()
    for w, k in zip(*np.nonzero(meets)):
        r = links[w, REF + k]
        rows.update(range(r, r + links[w, CNT + k]))
    return rows


def test_the_frontier_holds_every_leaf_its_box_meets(town):
    nodes = town.scene.bvh.nodes
    tri = town.scene.bvh.tri
    rng = np.random.default_rng(1)
    front = np.empty(8, dtype=np.int64)
    pruned = 0
    for size in (0.0, 0.5, 5.0, 40.0, 400.0):
        for _ in range(30):
            corner = tri[rng.integers(len(tri)), :3]  # exact triangle corners: boxes touch leaves
            box = np.concatenate([corner, corner + rng.uniform(0, size, 3)])
            for cap in (1, 2, 4, 8):
                n = _frontier_of(nodes, box, cap, front)
                assert 1 <= n <= cap  # a corner of a triangle is inside some leaf box
                reach = set()
                for e in front[:n]:
                    reach.update(_rows_under(nodes, int(e) & 0xFFFFFFFF, int(e) >> 32))
                assert _leaf_rows_meeting(nodes, box) <= reach
                pruned += len(reach) < len(tri)
    assert pruned > 300  # of 600 frontiers: it does leave out most of the tree


@pytest.mark.nojit
def test_frontier_and_batches_on_a_small_scene():
    """The same checks on 60 random triangles (runs as plain Python under ``make nojit``)."""
    rng = np.random.default_rng(6)
    v = rng.uniform(0.0, 10.0, (180, 3))
    scene = Scene.from_arrays(v, np.arange(180).reshape(60, 3), origin=(0, 0, 0))
    nodes = scene.bvh.nodes
    front = np.empty(4, dtype=np.int64)
    for _ in range(20):
        corner = v[rng.integers(180)]
        box = np.concatenate([corner, corner + rng.uniform(0, 3, 3)])
        n = run_frontier(nodes.view(np.float32), nodes, front, 4, *box)
        assert 1 <= n <= 4
        reach = set()
        for e in front[:n]:
            reach.update(_rows_under(nodes, int(e) & ROW_MASK, int(e) >> 32))
        assert _leaf_rows_meeting(nodes, box) <= reach
    assert run_frontier(nodes.view(np.float32), nodes, front, 4, 0, 0, 30, 1, 1, 31) == 0
    assert ALL_SLOTS >> 32 == (1 << WIDE) - 1
    o = rng.uniform(-1.0, 11.0, (300, 3))
    t = o + rng.normal(size=(300, 3)) * 3
    expected = _reference_occluded(scene, o, t, 1e-6)
    got = np.empty(300, dtype=bool)
    q.occluded_batch(scene.bvh, o, t, 1e-6, got)
    assert 0.05 < expected.mean() < 0.95 and np.array_equal(got, expected)
    vis = np.empty((6, 50), dtype=bool)
    q.visibility_block(scene.bvh, o[:6], t[:50], 8.0, 1e-6, vis)
    ref_vis = np.empty_like(vis)
    ref.visibility_block(ref.binary_bvh(scene), o[:6], t[:50], 8.0, 1e-6, ref_vis)
    assert np.array_equal(vis, ref_vis)


def test_a_box_that_meets_nothing_has_an_empty_frontier(town):
    nodes = town.scene.bvh.nodes
    lo, hi = town.scene.bounds - town.scene.origin
    front = np.empty(4, dtype=np.int64)
    above = np.array([lo[0], lo[1], hi[2] + 10, hi[0], hi[1], hi[2] + 20])
    assert _frontier_of(nodes, above, 4, front) == 0


def _reference_occluded(scene, o, t, offset):
    out = np.empty(len(o), dtype=bool)
    ref.occluded_batch(ref.binary_bvh(scene), o, t, offset, out)
    return out


@pytest.mark.parametrize("sort", [False, True])
def test_shadow_rays_to_street_lights_answer_as_the_plain_walk(town, sort):
    s = town.scene
    o, t = town.shadow_segments(spacing=1.0, height=0.05, nearest=4)
    o, t = s.to_local(o), s.to_local(t)
    expected = _reference_occluded(s, o, t, s.ray_offset)
    assert 0.1 < expected.mean() < 0.9
    got = np.empty(len(o), dtype=bool)
    q.occluded_batch(s.bvh, o, t, s.ray_offset, got, sort=sort)
    assert np.array_equal(got, expected)


def test_segments_in_an_exact_plane_through_corners_answer_as_the_plain_walk(town):
    # Horizontal segments through triangle corners, in runs: each run's box is flat in z at
    # the corner's height, which is also a face of the leaf boxes that hold the corner.
    s = town.scene
    tri = s.bvh.tri
    rng = np.random.default_rng(2)
    corners = tri[rng.integers(len(tri), size=4000)].reshape(-1, 3, 3)[:, 0]
    corners = np.repeat(corners, 8, axis=0)
    ang = rng.uniform(0, 2 * np.pi, len(corners))
    length = rng.uniform(0.5, 30, len(corners))
    d = np.stack([np.cos(ang), np.sin(ang), np.zeros_like(ang)], axis=1) * length[:, None]
    o = np.ascontiguousarray(corners - d)
    t = np.ascontiguousarray(corners + d)
    expected = _reference_occluded(s, o, t, 1e-6)
    assert (~expected).sum() > 100 and expected.mean() > 0.5  # 345 clear, 0.989 blocked
    got = np.empty(len(o), dtype=bool)
    for sort in (False, True):
        q.occluded_batch(s.bvh, o, t, 1e-6, got, sort=sort)
        assert np.array_equal(got, expected)


def test_sightlines_from_windows_answer_as_the_plain_walk(town):
    s = town.scene
    rng = np.random.default_rng(3)
    pick = rng.choice(len(town.windows_points), 150, replace=False)
    obs = s.to_local(town.windows_points[pick] + 0.3 * town.windows_normals[pick])
    street = town.street_points(spacing=1.0, height=1.6)
    tg = s.to_local(street[rng.choice(len(street), 1200, replace=False)])
    for max_distance in (np.inf, 60.0):
        expected = np.empty((len(obs), len(tg)), dtype=bool)
        ref.visibility_block(ref.binary_bvh(s), obs, tg, max_distance, s.ray_offset, expected)
        assert 0.005 < expected.mean() < 0.9
        got = np.empty_like(expected)
        q.visibility_block(s.bvh, obs, tg, max_distance, s.ray_offset, got)
        assert np.array_equal(got, expected)


def test_visibility_tiles_cover_the_matrix_on_any_thread_count(town):
    s = town.scene
    rng = np.random.default_rng(4)
    lo, hi = s.bounds - s.origin
    obs = rng.uniform(lo, hi, (70, 3))
    tg = rng.uniform(lo, hi, (2100, 3))
    runs = []
    for threads in (1, 2):
        with numba_threads(threads):
            out = np.ones((len(obs), len(tg)), dtype=bool)
            q.visibility_block(s.bvh, obs, tg, 80.0, 1e-6, out)
            runs.append(out)
    expected = np.empty_like(runs[0])
    ref.visibility_block(ref.binary_bvh(s), obs, tg, 80.0, 1e-6, expected)
    assert np.array_equal(runs[0], expected) and np.array_equal(runs[1], expected)


@pytest.mark.parametrize("n_obs, n_tg, threads, shape", [
    (1000, 10_000, 2, (64, 1024)),   # W3: 16 x 10 tiles
    (1000, 10_000, 16, (64, 1024)),  # 160 tiles: enough for 16 threads
    (40, 10_000, 2, (32, 1024)),     # 2 x 10 -> halve observers until 16 tiles
    (3, 500, 2, (1, 128)),           # observers down to 1, targets down to one run
    (1, 1, 2, (1, 128)),
])
def test_tile_shape_shrinks_to_give_every_thread_work(n_obs, n_tg, threads, shape):
    assert q.vis_tile_shape(n_obs, n_tg, threads) == shape


def test_empty_visibility_blocks_are_fine(town):
    s = town.scene
    out = np.empty((0, 5), dtype=bool)
    q.visibility_block(s.bvh, np.empty((0, 3)), np.zeros((5, 3)), np.inf, 1e-6, out)
    out = np.empty((4, 0), dtype=bool)
    q.visibility_block(s.bvh, np.zeros((4, 3)), np.empty((0, 3)), np.inf, 1e-6, out)
