"""Print the ray-core comparison table of ``docs/performance.md`` (numba vs Embree vs trimesh).

Run: ``PYTHONPATH=src python benchmarks/report.py [--sizes 100k,1M] [--repeat 3]``. Each figure
is the best of ``--repeat`` timed runs after one warm-up run, in millions of rays per second;
numba and Embree run in turn in each round, and the median of the rounds' ratios is printed
beside the ratio of the bests.
``--loaded`` measures numba and Embree on 2 threads once more while one other CPU-bound
process runs (started and stopped here; issue 16).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import workloads as wl  # noqa: E402


CLOCK = time.perf_counter


def best_of(fn, repeat):
    fn()
    best = np.inf
    for _ in range(repeat):
        t0 = CLOCK()
        fn()
        best = min(best, CLOCK() - t0)
    return best


def interleaved(fns, repeat):
    """Each of ``fns`` once to warm up, then ``repeat`` rounds calling each in turn; returns
    their times per round, ``(repeat, len(fns))``. Interleaved, a drift of the machine's speed
    during the run (other tenants, clocks) touches every engine alike; the ratios of one round
    are paired."""
    for fn in fns:
        fn()
    times = np.empty((repeat, len(fns)))
    for i in range(repeat):
        for j, fn in enumerate(fns):
            t0 = CLOCK()
            fn()
            times[i, j] = CLOCK() - t0
    return times


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=os.environ.get("CPTED_BENCH_SIZES", "100k,1M"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--scale", type=float, default=wl.bench_scale())
    ap.add_argument("--workloads", default="W1,W2,W3")
    ap.add_argument("--no-embree", action="store_true")
    ap.add_argument("--trimesh", action="store_true")
    ap.add_argument("--loaded", action="store_true",
                    help="also with one competing CPU-bound process (numba and Embree 2T)")
    ap.add_argument("--cpu", action="store_true",
                    help="one thread each, timed by CPU time (robust on a busy machine)")
    args = ap.parse_args(argv)
    import numba

    global CLOCK
    if args.cpu:
        numba.set_num_threads(1)
        CLOCK = time.process_time
    from cpted_sim.geometry.bvh import build_bvh

    print(f"threads {numba.get_num_threads()}, numba {numba.__version__}")
    rows = []
    for size in (wl.parse_size(s) for s in args.sizes.split(",")):
        t0 = time.perf_counter()
        w = wl.make_workloads(size, args.scale)
        t_make = time.perf_counter() - t0
        s = w.scene
        t_build = best_of(lambda: build_bvh(s.vertices, s.faces), 1)
        if not args.no_embree:
            from embreex import rtcore_scene
            from embreex.mesh_construction import TriangleMesh

            v32, f32 = s.vertices.astype(np.float32), s.faces.astype(np.int32)

            def embree_build():
                es = rtcore_scene.EmbreeScene()
                TriangleMesh(scene=es, vertices=v32, indices=f32)
                es.run(np.zeros((1, 3), np.float32), np.ones((1, 3), np.float32))

            print(f"  embree build+commit {best_of(embree_build, 1):.2f} s", flush=True)
        counts = wl.ray_counts(w)
        print(f"\n{wl.size_label(size)}: {s.n_faces} triangles, scene+workloads {t_make:.1f} s, "
              f"numba BVH build {t_build:.2f} s ({s.bvh_stats.n_nodes} nodes, depth "
              f"{s.bvh_stats.depth}), rays {counts}", flush=True)
        emb = None
        if not args.no_embree:
            t0 = time.perf_counter()
            es = wl.EmbreeRunner(w, 1)
            es.es.run(np.zeros((1, 3), np.float32), np.ones((1, 3), np.float32))
            emb = (es, wl.EmbreeRunner.__new__(wl.EmbreeRunner))
            emb[1].__dict__.update(es.__dict__)
            emb[1].threads = 2
        if args.cpu:
            emb = (emb[0], emb[0]) if emb is not None else None
        for name in args.workloads.split(","):
            n = counts[name]
            fn = getattr(wl, f"numba_{name.lower()}")
            if emb is None:
                t_nb = best_of(lambda: fn(w), args.repeat)
                print(f"  {name}: numba {n / t_nb / 1e6:6.2f} Mrays/s", flush=True)
                rows.append([wl.size_label(size), name, n, n / t_nb / 1e6])
                continue
            r1 = getattr(emb[0], f"{name.lower()}_run")
            r2 = getattr(emb[1], f"{name.lower()}_run")
            times = interleaved([lambda: fn(w), r1, r2], args.repeat)
            t_nb, t_e1, t_e2 = times.min(axis=0)
            paired = np.median(times[:, 2] / times[:, 0])
            print(f"  {name}: numba {n / t_nb / 1e6:6.2f} Mrays/s | embree 1T "
                  f"{n / t_e1 / 1e6:6.2f} 2T {n / t_e2 / 1e6:6.2f} | ratio vs 1T "
                  f"{t_e1 / t_nb:.2f} vs 2T {t_e2 / t_nb:.2f} (median of rounds {paired:.2f})",
                  flush=True)
            rows.append([wl.size_label(size), name, n, n / t_nb / 1e6, n / t_e1 / 1e6,
                         n / t_e2 / 1e6, t_e2 / t_nb])
            if args.loaded:
                with wl.competing_process():
                    times = interleaved([lambda: fn(w), r2], args.repeat)
                t_nb, t_e2 = times.min(axis=0)
                paired = np.median(times[:, 1] / times[:, 0])
                print(f"  {name} loaded: numba {n / t_nb / 1e6:6.2f} Mrays/s | embree 2T "
                      f"{n / t_e2 / 1e6:6.2f} | ratio vs 2T {t_e2 / t_nb:.2f} (median of rounds "
                      f"{paired:.2f})", flush=True)
        if args.trimesh:
            m = min(wl.TRIMESH_SUBSET, counts["W1"])
            t_tm = best_of(lambda: wl.trimesh_subset(w, m), 1)
            print(f"  W1 trimesh ({m} rays) {m / t_tm / 1e6:.4f} Mrays/s", flush=True)
        del w, emb
    return rows


if __name__ == "__main__":
    main()
