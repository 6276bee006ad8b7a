"""``first_reveal_ranges_kernel`` (many routes in one call) equals ``first_reveal_kernel`` run
route by route."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _triage_town import town_scenario  # noqa: E402

from cpted_sim.kernels import sightlines as K
from cpted_sim.scenario.run import build_scene


def test_ranges_kernel_equals_the_route_by_route_kernel():
    scene = build_scene(town_scenario())
    rng = np.random.default_rng(5)
    routes = [np.column_stack([np.linspace(182, 232, 26), np.full(26, 59.0), np.full(26, 1.6)]),
              np.column_stack([np.linspace(110, 150, 21), np.linspace(50, 70, 21),
                               np.full(21, 1.6)])]
    targets = [np.column_stack([rng.uniform(195, 215, 40), rng.uniform(53, 63, 40),
                                np.ones(40)]),
               np.column_stack([rng.uniform(110, 150, 30), rng.uniform(45, 75, 30),
                                np.ones(30)])]
    tr = np.ascontiguousarray(scene.sight_transmittance)
    off = float(scene.ray_offset)
    ref_f, ref_b, closest_all = [], [], []
    start = np.cumsum([0] + [len(r) for r in routes])
    for k, (st, tg) in enumerate(zip(routes, targets)):
        cl = np.argmin(np.hypot(tg[:, None, 0] - st[None, :, 0], tg[:, None, 1] - st[None, :, 1]),
                       axis=1).astype(np.int64)
        f = np.empty(len(tg))
        b = np.empty(len(tg))
        K.first_reveal_kernel(scene.bvh, tr, False, 0.5, scene.to_local(tg), scene.to_local(st),
                              cl, off, f, b)
        ref_f.append(f)
        ref_b.append(b)
        closest_all.append(cl + start[k])
    owner = np.repeat([0, 1], [len(t) for t in targets])
    f = np.empty(len(owner))
    b = np.empty(len(owner))
    K.first_reveal_ranges_kernel(scene.bvh, tr, False, 0.5,
                                 np.ascontiguousarray(scene.to_local(np.vstack(targets))),
                                 np.ascontiguousarray(scene.to_local(np.vstack(routes))),
                                 np.ascontiguousarray(start[owner]),
                                 np.ascontiguousarray(start[owner + 1]),
                                 np.ascontiguousarray(np.concatenate(closest_all)), off, f, b)
    # the same stations reveal each target; distances agree to the last bits (the kernels
    # are compiled with reassociation; measured differences 1 ulp)
    for got, ref in ((f, np.concatenate(ref_f)), (b, np.concatenate(ref_b))):
        assert np.array_equal(np.isinf(got), np.isinf(ref))
        fin = np.isfinite(ref)
        np.testing.assert_allclose(got[fin], ref[fin], rtol=1e-12)
    # the niche makes some targets revealed late or never on the street route
    assert np.isfinite(f).any() and np.isinf(np.minimum(f, b)).any()
