"""BVH build time and peak memory: ours against Embree, each in fresh processes, interleaved.

``python benchmarks/build.py [--triangles 1000000] [--rounds 3]`` builds the synthetic
district once, saves its mesh to a temporary folder, then runs ``rounds`` x (ours, Embree),
each build in a fresh process that loads the mesh and reports the build's wall and CPU time
and its peak memory (the peak resident size, ``VmHWM``, reset before the build, less the size before it: what the build itself
added, transients included) and the size of the tree. Prints each run and the medians of
the paired ratios (ours / Embree); ``--src`` chooses another source tree for ours (A/B).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"

CHILD = """
import json, sys, time
import numpy as np
mesh, engine = sys.argv[1], sys.argv[2]
v = np.load(mesh + "/v.npy"); f = np.load(mesh + "/f.npy")
if engine == "embree":
    from embreex import rtcore_scene
    from embreex.mesh_construction import TriangleMesh
    v32, f32 = v.astype(np.float32), f.astype(np.int32)
    o, d = np.zeros((1, 3), np.float32), np.ones((1, 3), np.float32)
else:
    from cpted_sim.geometry.bvh import build_bvh
    build_bvh(v[:300], f[:100])  # loads the compiled kernels
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key))
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # resets the peak resident size (VmHWM) to the current one
before = status("VmRSS:")
t0, c0 = time.perf_counter(), time.process_time()
if engine == "embree":
    es = rtcore_scene.EmbreeScene()
    TriangleMesh(scene=es, vertices=v32, indices=f32)
    es.run(o, d)  # the build happens at the first commit
    size = 0
else:
    bvh, _ = build_bvh(v, f)
    size = sum(a.nbytes for a in bvh)  # tri, face, nodes: what traversal reads
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = (status("VmHWM:") - before) * 1024
print(json.dumps(dict(wall=wall, cpu=cpu, peak=peak, size=size)))
"""


def run(mesh: str, engine: str, src: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", CHILD, mesh, engine], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(name: str, r: dict) -> str:
    tree = f", tree {r['size'] / 2**20:.0f} MiB" if r["size"] else ""
    return (f"{name} {r['wall']:.2f} s ({r['cpu']:.2f} CPU-s, peak +{r['peak'] / 2**20:.0f} MiB"
            f"{tree})")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--triangles", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--src", type=Path, default=SRC)
    ap.add_argument("--before", type=Path, help="another source tree, run as a third engine")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(SRC))
    from cpted_sim.scenario.synthetic import district

    runs = [("ours", "ours", args.src), ("Embree", "embree", args.src)]
    if args.before:
        runs.append(("before", "ours", args.before))
    with tempfile.TemporaryDirectory(prefix="cpted_build_") as mesh:
        s = district(args.triangles).scene
        np.save(mesh + "/v.npy", np.ascontiguousarray(s.vertices))
        np.save(mesh + "/f.npy", np.ascontiguousarray(s.faces, dtype=np.int64))
        print(f"{s.n_faces} triangles, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        for _, engine, src in runs:
            run(mesh, engine, src)  # fills the Numba cache
        ratios = {name: [] for name, _, _ in runs if name != "Embree"}
        for _ in range(args.rounds):
            res = {name: run(mesh, engine, src) for name, engine, src in runs}
            e = res["Embree"]
            for name in ratios:
                a = res[name]
                ratios[name].append((a["wall"] / e["wall"], a["cpu"] / e["cpu"],
                                     a["peak"] / e["peak"]))
            print("   ".join(_line(k, v) for k, v in res.items()),
                  f"  load {os.getloadavg()[0]:.1f}", flush=True)
        for name, r in ratios.items():
            med = np.median(np.array(r), axis=0)
            print(f"median {name} / Embree: wall {med[0]:.2f}, CPU {med[1]:.2f}, peak memory "
                  f"{med[2]:.2f}")


if __name__ == "__main__":
    main()
