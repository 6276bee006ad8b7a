"""Speed of the measures of the triage (issue #14, Build 5), 2 threads.

Three candidate measures for each of 10 places on the synthetic district, each run as a variant
of the place's cropped neighbourhood (:func:`cpted_sim.triage.measures.measures_for_places`):
the neighbourhood's base run, the pole position search and three variant runs per place.
Issue target (with reading 1,000 reports, their context and the places, not measured here):
<= 60 s on the 1 M triangle district.

``pytest benchmarks/test_bench_measures.py --benchmark-only``. ``CPTED_BENCH_MEASURES_TRIANGLES``
(default 1000000) sets the district size for quick runs. ``extra_info`` records the places,
measures, the best measure per place, and the time per place.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest

from cpted_sim.config import threads as thread_context
from cpted_sim.scenario import model as m
from cpted_sim.scenario.run import build_scene
from cpted_sim.triage.measures import measures_for_places

THREADS = 2
N_PLACES = 10
N_MEASURES = 3
SEED = 20261203
DEFICITS = ("dark", "unwatched", "concealment", "entrapment")


@dataclass(frozen=True)
class BenchPlace:
    id: str
    xy: tuple
    radius: float
    dominant_deficit: str


@lru_cache(maxsize=1)
def _work():
    from cpted_sim.scenario.poles import azimuth_facing
    from cpted_sim.scenario.synthetic import district

    n_tri = int(os.environ.get("CPTED_BENCH_MEASURES_TRIANGLES", "1000000"))
    params = {"target_triangles": n_tri, "seed": 1}
    d = district(**params)
    centre = np.array([ln[:, :2].mean(axis=0) for ln in d.street_polylines])
    lums = []
    for i, p in enumerate(d.street_lights):
        # turn each street light's road side (C90) to the nearest street centre line
        k = int(np.argmin([abs(p[0] - c[0]) if ln[0, 0] == ln[1, 0] else abs(p[1] - c[1])
                           for ln, c in zip(d.street_polylines, centre)]))
        ln = d.street_polylines[k]
        foot = np.array([ln[0, 0], p[1]]) if ln[0, 0] == ln[1, 0] else np.array([p[0], ln[0, 1]])
        az = float(azimuth_facing(foot - p[:2])[0])
        lums.append(m.LuminaireSpec(f"L{i}", m.PhotometrySpec(builtin="street_light_optic"),
                                    tuple(p), azimuth=az))
    routes = tuple(m.AreaSpec(f"street{i}", "route", path=tuple(map(tuple, ln[:, :2])),
                              spacing=2.0) for i, ln in enumerate(d.street_polylines))
    sc = m.Scenario("district", m.SceneSpec(m.GeometrySpec(builtin="district", params=params)),
                    luminaires=tuple(lums), areas=routes,
                    observers=(m.ObserverSpec("windows", tag="window"),),
                    settings=m.RunSettings(quiet=True))
    rng = np.random.default_rng(SEED)
    pts = d.street_points(spacing=2.0, height=0.0)
    pick = pts[np.sort(rng.choice(len(pts), N_PLACES, replace=False))]
    places = [BenchPlace(f"P{i}", (float(p[0]), float(p[1])), 15.0, DEFICITS[i % 4])
              for i, p in enumerate(pick)]
    return sc, d.scene, places


def test_measures_ten_places(benchmark):
    sc, scene, places = _work()
    scene = build_scene(sc) if scene is None else scene

    def go():
        with thread_context(THREADS):
            return measures_for_places(sc, places, top=N_PLACES, scene=scene,
                                       max_measures=N_MEASURES)

    out = benchmark.pedantic(go, rounds=1, iterations=1, warmup_rounds=1)
    n = sum(len(v) for v in out.values())
    assert len(out) == N_PLACES and n >= 2 * N_PLACES
    best = Counter(v[0].measure.kind for v in out.values() if v)
    benchmark.extra_info.update(
        triangles=int(scene.n_faces), places=len(out), measures=n, threads=THREADS,
        best=dict(best), s_per_place=benchmark.stats.stats.mean / len(out))
