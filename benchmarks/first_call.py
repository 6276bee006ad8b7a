"""First call against the next on a fresh batch, in fresh processes (issue 16: within 20 %).

``python benchmarks/first_call.py [--triangles 1000000] [--rounds 3] [--before SRC]`` makes
the standard workloads once and saves them with the scene; each round starts a fresh
process per source tree that loads them, compiles (a 1 000-ray call of each query), then
times W1 and W2 on their full batches twice ("process": the first call is the process's first
on a batch of that size, every buffer it needs new to it), then on a fresh batch (new arrays
of the same rays, "batch": the issue's criterion) twice. Prints wall and CPU time and minor
page faults of each pair, and the medians of first / second (wall and CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

CHILD = """
import json, pickle, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
import workloads as wl
with open(sys.argv[1], "rb") as fh:
    w = pickle.load(fh)
small = wl.Workloads(w.district, w.w1_origins[:1000], w.w1_targets[:1000], w.w2_origins[:1000],
                     w.w2_directions[:1000], w.w3_observers, w.w3_targets)
wl.numba_w1(small), wl.numba_w2(small)  # compiled (or loaded from the cache)
def fresh(w):  # a new batch, as a caller makes one: the same rays in new arrays
    return wl.Workloads(w.district, w.w1_origins.copy(), w.w1_targets.copy(),
                        w.w2_origins.copy(), w.w2_directions.copy(), w.w3_observers,
                        w.w3_targets)
out = {}
for label, batches in (("process", (w, w)), ("batch", (fresh(w), None))):
    for name in ("W1", "W2"):
        fn = getattr(wl, "numba_" + name.lower())
        calls = []
        for b in batches:
            b = b if b is not None else batches[0]
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            t0, c0 = time.perf_counter(), time.process_time()
            fn(b)
            calls.append((time.perf_counter() - t0, time.process_time() - c0,
                          resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0))
        out[f"{name} {label}"] = calls
print(json.dumps(out))
"""


def run(data: str, src: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-c", CHILD, data, str(HERE)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--triangles", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", type=Path, help="another source tree, run alternately")
    args = ap.parse_args(argv)
    sys.path[:0] = [str(SRC), str(HERE)]
    import workloads as wl

    trees = [("now", SRC)] + ([("before", args.before)] if args.before else [])
    ratios = {}
    with tempfile.TemporaryDirectory(prefix="cpted_first_") as tmp:
        data = os.path.join(tmp, "work.pkl")
        with open(data, "wb") as fh:
            pickle.dump(wl.make_workloads(args.triangles), fh, protocol=5)
        for _, src in trees:
            run(data, src)  # fills the Numba cache
        for _ in range(args.rounds):
            for tree, src in trees:
                res = run(data, src)
                for name, ((a, ac, af), (b, bc, bf)) in res.items():
                    ratios.setdefault((tree, name), []).append((a / b, ac / bc))
                    print(f"{tree:6s} {name:10s}: first {a:.3f} s ({ac:.2f} CPU-s, {af} faults), "
                          f"second {b:.3f} s ({bc:.2f} CPU-s, {bf} faults), ratio {a / b:.2f}, "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
    for (tree, name), r in ratios.items():
        wall, cpu = np.median(np.array(r), axis=0)
        print(f"median first / second, {tree} {name}: wall {wall:.2f}, CPU {cpu:.2f}")


if __name__ == "__main__":
    main()
