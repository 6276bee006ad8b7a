"""The standard ray workloads of the benchmarks, on the synthetic districts.

- W1 shadow rays: street points every 0.5 m at 0.05 m height, each to its 8 nearest street
  lights (``occluded``).
- W2 incoherent closest hits: 2 M rays from 1.6 m eye height on the streets in uniformly random
  directions (``closest_hit``).
- W3 sightlines: 1 000 window points x 10 000 street points at 1.6 m (10 M segments,
  ``visibility_matrix``).

Every runner takes prepared scene-local arrays, so the timings are of the ray cores, not of
the argument checks. Sizes are chosen with environment variables:

``CPTED_BENCH_SIZES``
    Comma-separated scene sizes in triangles (``100k,1M`` by default; ``k`` and ``M`` allowed).
``CPTED_BENCH_4M``
    Set to ``1`` to add the 4 M triangle scene.
``CPTED_BENCH_SCALE``
    Fraction of the standard ray counts (default 1.0), for quick runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from cpted_sim.scenario.synthetic import SyntheticDistrict, district

W2_RAYS = 2_000_000
W3_OBSERVERS = 1_000
W3_TARGETS = 10_000
TRIMESH_SUBSET = 2_000


def parse_size(text: str) -> int:
    """``"100k"`` -> 100000, ``"1M"`` -> 1000000."""
    t = text.strip().lower()
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    return int(float(t) * mult)


def bench_sizes() -> list[int]:
    """Scene sizes selected by ``CPTED_BENCH_SIZES`` and ``CPTED_BENCH_4M``."""
    sizes = [parse_size(s) for s in os.environ.get("CPTED_BENCH_SIZES", "100k,1M").split(",") if s]
    if os.environ.get("CPTED_BENCH_4M", "") not in ("", "0") and 4_000_000 not in sizes:
        sizes.append(4_000_000)
    return sizes


def bench_scale() -> float:
    return float(os.environ.get("CPTED_BENCH_SCALE", "1.0"))


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


@dataclass(frozen=True, eq=False)
class Workloads:
    """Scene-local float64 arrays of the three workloads on one district."""

    district: SyntheticDistrict
    w1_origins: np.ndarray
    w1_targets: np.ndarray
    w2_origins: np.ndarray
    w2_directions: np.ndarray
    w3_observers: np.ndarray
    w3_targets: np.ndarray

    @property
    def scene(self):
        return self.district.scene


def make_workloads(n_triangles: int, scale: float = 1.0, seed: int = 0) -> Workloads:
    """Build the district of ``n_triangles`` and the three workloads on it (seeded)."""
    d = district(n_triangles, seed=seed)
    s = d.scene
    rng = np.random.default_rng(seed + 1)
    w1_o, w1_t = d.shadow_segments(spacing=0.5, height=0.05, nearest=8)
    if scale < 1.0:
        keep = np.repeat(rng.random(len(w1_o) // 8) < scale, 8)
        w1_o, w1_t = w1_o[keep], w1_t[keep]
    n2 = max(1000, int(W2_RAYS * scale))
    street = d.street_points(spacing=1.0, height=1.6)
    w2_o = street[rng.integers(0, len(street), n2)]
    v = rng.normal(size=(n2, 3))
    w2_d = v / np.linalg.norm(v, axis=1)[:, None]
    n_obs = max(10, int(W3_OBSERVERS * min(1.0, scale * 10)))
    pick = rng.choice(len(d.windows_points), size=min(n_obs, len(d.windows_points)), replace=False)
    obs = d.windows_points[pick] + 0.3 * d.windows_normals[pick]
    n_tg = max(100, int(W3_TARGETS * min(1.0, scale * 10)))
    tg = street[rng.choice(len(street), size=n_tg, replace=n_tg > len(street))]
    loc = s.to_local
    return Workloads(d, loc(w1_o), loc(w1_t), loc(w2_o), np.ascontiguousarray(w2_d), loc(obs),
                     loc(tg))


@lru_cache(maxsize=2)
def workloads(n_triangles: int) -> Workloads:
    """Cached :func:`make_workloads` at the scale of ``CPTED_BENCH_SCALE``."""
    return make_workloads(n_triangles, bench_scale())


# --------------------------------------------------------------------------- runners
def numba_w1(w: Workloads) -> np.ndarray:
    from cpted_sim.geometry.engines import get_engine

    return get_engine("numba").occluded(w.scene, w.w1_origins, w.w1_targets, w.scene.ray_offset)


def numba_w2(w: Workloads):
    from cpted_sim.geometry.engines import get_engine

    tmax = np.full(len(w.w2_origins), np.inf)
    return get_engine("numba").closest_hit(w.scene, w.w2_origins, w.w2_directions, tmax)


def numba_w3(w: Workloads) -> np.ndarray:
    from cpted_sim.geometry.engines import get_engine

    return get_engine("numba").visibility(w.scene, w.w3_observers, w.w3_targets, np.inf,
                                          w.scene.ray_offset)


class EmbreeRunner:
    """Embree (``embreex``) on float32 copies of the same rays, on 1 or more Python threads.

    ``embreex``'s ``run`` loops over rays calling ``rtcIntersect1`` / ``rtcOccluded1`` with the
    GIL released, so several Python threads each running a share of the rays run in parallel.
    On more than one thread the batch is cut into ``PIECES`` pieces handed out to the threads
    as they come free (a thread that the OS preempts takes fewer), as a user would run it.
    """

    PIECES = 16

    def __init__(self, w: Workloads, threads: int = 1):
        from cpted_sim.geometry.engines import get_engine

        self.es = get_engine("embree").embree_scene(w.scene)
        self.threads = threads
        off = w.scene.ray_offset
        d = w.w1_targets - w.w1_origins
        length = np.linalg.norm(d, axis=1)
        unit = d / length[:, None]
        self.w1 = ((w.w1_origins + unit * off).astype(np.float32), unit.astype(np.float32),
                   (length - 2 * off).astype(np.float32))
        self.w2 = (w.w2_origins.astype(np.float32), w.w2_directions.astype(np.float32),
                   np.full(len(w.w2_origins), np.finfo(np.float32).max, dtype=np.float32))
        # W3 as explicit segments (observer-major), like the engine adapter does.
        no, nt = len(w.w3_observers), len(w.w3_targets)
        o = np.repeat(w.w3_observers, nt, axis=0)
        d = np.tile(w.w3_targets, (no, 1)) - o
        length = np.linalg.norm(d, axis=1)
        unit = d / length[:, None]
        self.w3 = ((o + unit * off).astype(np.float32), unit.astype(np.float32),
                   (length - 2 * off).astype(np.float32))

    def _run(self, arrays, **kw):
        o, d, far = arrays
        if self.threads == 1:
            return self.es.run(o, d, dists=far.copy(), **kw)
        cuts = np.linspace(0, len(o), self.PIECES + 1).astype(np.int64)

        def piece(i):
            sl = slice(cuts[i], cuts[i + 1])
            return self.es.run(o[sl], d[sl], dists=far[sl].copy(), **kw)

        with ThreadPoolExecutor(self.threads) as pool:
            return list(pool.map(piece, range(self.PIECES)))

    def w1_run(self):
        return self._run(self.w1, query="OCCLUDED")

    def w2_run(self):
        return self._run(self.w2, output=1)

    def w3_run(self):
        return self._run(self.w3, query="OCCLUDED")


@contextmanager
def competing_process():
    """One other CPU-bound process (a Python busy loop) running while the block runs: the
    "loaded" case of issue 16, a user's browser or build beside the simulation."""
    p = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield p
    finally:
        p.kill()
        p.wait()


def trimesh_subset(w: Workloads, n: int = TRIMESH_SUBSET):
    """trimesh's engine on the first ``n`` W1 segments (it is far slower)."""
    from cpted_sim.geometry.engines import get_engine

    eng = get_engine("trimesh")
    return eng.occluded(w.scene, w.w1_origins[:n], w.w1_targets[:n], w.scene.ray_offset)


def ray_counts(w: Workloads) -> dict[str, int]:
    return {"W1": len(w.w1_origins), "W2": len(w.w2_origins),
            "W3": len(w.w3_observers) * len(w.w3_targets)}
