"""Peak memory of the 4 M triangle district: build and W1 shadow rays, in a fresh process.

``python benchmarks/memory.py [--triangles 4000000] [--engine numba]`` prints the scene and
BVH build times, W1's rays and time, and the child's peak resident memory (``ru_maxrss``).
Target (issue #2): 4 M triangles build and answer W1 within 4 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

CHILD = """
import resource, sys, time
import numpy as np
from cpted_sim.geometry.engines import get_engine
from cpted_sim.scenario.synthetic import district
n, engine = int(sys.argv[1]), sys.argv[2]
t0 = time.perf_counter()
d = district(n)
s = d.scene
t_scene = time.perf_counter() - t0
o, t = d.shadow_segments(spacing=0.5, height=0.05, nearest=8)
o, t = s.to_local(o), s.to_local(t)
eng = get_engine(engine)
t1 = time.perf_counter()
if engine == "embree":
    eng.embree_scene(s)
    t_emb = time.perf_counter() - t1
    t1 = time.perf_counter()
out = eng.occluded(s, o, t, s.ray_offset)
t_w1 = time.perf_counter() - t1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(f"{engine}: {s.n_faces} triangles; scene {t_scene:.1f} s (BVH {s.bvh_stats.build_seconds:.2f} s, "
      f"{s.bvh_stats.nbytes / 2**20:.0f} MiB); W1 {len(o)} segments in {t_w1:.1f} s "
      f"({len(o) / t_w1 / 1e6:.2f} Mrays/s, {out.mean():.3f} blocked); peak RSS {peak:.2f} GiB")
"""


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--triangles", type=int, default=4_000_000)
    ap.add_argument("--engine", default="numba")
    args = ap.parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, "-c", CHILD, str(args.triangles), args.engine], env=env,
                   check=True)


if __name__ == "__main__":
    main()
