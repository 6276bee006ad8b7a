"""The BVH node rows stay 32-byte aligned on their way to the kernels (pickling included)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np
import pytest

from cpted_sim import Scene
from cpted_sim.errors import AlignmentError
from cpted_sim.geometry.bvh import FlatBVH, aligned_copy
from cpted_sim.geometry.engines import get_engine
from cpted_sim.kernels import bvh_query


def _scene(rng):
    v = rng.uniform(0.0, 10.0, (120, 3))
    return Scene.from_arrays(v, np.arange(120).reshape(40, 3), origin=(0, 0, 0))


def _misaligned(nodes, shift=4):
    """A C-contiguous copy of ``nodes`` starting ``shift`` bytes past a 64-byte boundary."""
    raw = np.zeros(nodes.nbytes + 128, dtype=np.uint8)
    start = (-raw.ctypes.data % 64) + shift
    out = raw[start:start + nodes.nbytes].view(nodes.dtype).reshape(nodes.shape)
    out[...] = nodes
    return out


@pytest.mark.nojit
def test_a_pickled_scene_comes_back_aligned_and_traces_the_same_rays(rng):
    scene = _scene(rng)
    o = rng.uniform(-1, 11, (64, 3))
    d = rng.normal(size=(64, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    eng = get_engine("numba")
    want = eng.closest_hit(scene, o, d, np.full(64, np.inf))
    assert np.isfinite(want[0]).sum() >= 10  # 26 of 64 hit with this seed
    for k in range(8):  # numpy's own allocations are 16-byte aligned: some of 8 would miss 32
        back = pickle.loads(pickle.dumps(scene)) if k % 2 else copy.deepcopy(scene)
        assert back.bvh.nodes.ctypes.data % 64 == 0
        np.testing.assert_array_equal(back.bvh.nodes, scene.bvh.nodes)
        got = eng.closest_hit(back, o, d, np.full(64, np.inf))
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("shift", [4, 16])
def test_misaligned_nodes_are_refused_at_kernel_entry(rng, shift):
    scene = _scene(rng)
    bad = scene.bvh._replace(nodes=_misaligned(scene.bvh.nodes, shift))
    assert bad.nodes.ctypes.data % 32 == shift
    n = 4
    with pytest.raises(AlignmentError, match=f"bvh.nodes: data starts {shift} bytes"):
        bvh_query.closest_hit_batch(bad, np.zeros((n, 3)), np.ones((n, 3)), np.zeros(n),
                                    np.full(n, np.inf), np.empty(n), np.empty(n, np.int64))
    with pytest.raises(AlignmentError, match="bvh.nodes"):
        bvh_query.occluded_batch(bad, np.zeros((n, 3)), np.ones((n, 3)), 0.0,
                                 np.empty(n, np.bool_))
    with pytest.raises(AlignmentError, match="bvh.nodes"):
        dataclasses.replace(scene, bvh=bad)
    # the remedy: an aligned copy, equal and accepted
    fixed = FlatBVH(*bad[:2], aligned_copy(bad.nodes))
    assert fixed.nodes.ctypes.data % 64 == 0
    np.testing.assert_array_equal(fixed.nodes, scene.bvh.nodes)
    bvh_query.check_nodes(fixed)


def test_nodes_of_the_wrong_type_are_refused(rng):
    scene = _scene(rng)
    with pytest.raises(AlignmentError, match="int32 rows of 64 words"):
        bvh_query.check_nodes(scene.bvh._replace(nodes=scene.bvh.nodes.astype(np.int64)))
    with pytest.raises(AlignmentError, match="int32 rows of 64 words"):
        bvh_query.check_nodes(scene.bvh._replace(nodes=scene.bvh.nodes[:, ::2]))
