"""Start-up time: first use with an empty Numba cache and with a warm one, in fresh processes.

``python benchmarks/startup.py`` prints the wall time of

- *first use*: import, build a 30 m street canyon, one ``closest_hit`` and one ``occluded``
  call (the ray core a first script touches), and
- *first illuminance*: the README example (a scene, one street light, ``cs.illuminance``),
- *demo*: ``cpted-sim demo`` into a temporary folder,
- *warmup*: ``cpted-sim warmup`` (every kernel of the ray core, the scenario pipeline and the
  visibility graph),

each once with ``NUMBA_CACHE_DIR`` pointing at a new empty folder (cold) and then again with
that folder filled (warm). Targets: first use cold <= 30 s, warm <= 2 s (issue #2); first
illuminance cold <= 10 s, demo cold <= 40 s (issue 16).
``test_bench_startup.py`` runs the same through pytest-benchmark.

``python benchmarks/startup.py --only illuminance demo`` runs some of them.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

FIRST_USE = """
import numpy as np, cpted_sim
from cpted_sim.scenario.synthetic import street_canyon
c = street_canyon(30.0)
pts = c.street_points(spacing=3.0, height=1.6)
cpted_sim.closest_hit(c.scene, pts, np.tile([0.0, 0.0, -1.0], (len(pts), 1)))
o, g = c.shadow_segments(spacing=3.0)
cpted_sim.occluded(c.scene, o, g)
"""

WARMUP = "import sys; from cpted_sim.cli import main; sys.exit(main(['--quiet', 'warmup']))"

# The README example: one street light over a wall, horizontal illuminance with shadows
# (issue 16: cold <= 10 s).
ILLUMINANCE = """
import numpy as np, cpted_sim as cs
ground = np.array([[-10, -10, 0], [10, -10, 0], [10, 10, 0], [-10, 10, 0]], float)
wall = np.array([[2, -3, 0], [2, 3, 0], [2, 3, 4], [2, -3, 4]], float)
scene = cs.Scene.from_arrays(np.vstack([ground, wall]), [[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]],
                             groups=["ground"] * 2 + ["wall"] * 2)
light = cs.Luminaire(cs.photometry.street_light_optic(flux=6000), position=(0, 0, 6))
grid = cs.CalculationGrid.regular(-10, -10, 10, 10, spacing=0.5, height=0.0)
cs.illuminance(scene, [light], grid, kind="horizontal")
"""

# ``cpted-sim demo`` into a temporary folder (issue 16: cold <= 40 s).
DEMO = """
import sys, tempfile
from cpted_sim.cli import main
with tempfile.TemporaryDirectory() as out:
    sys.exit(main(['--quiet', 'demo', '--out', out]))
"""


def run_timed(code: str, cache_dir: Path) -> tuple[float, float]:
    """Wall time and CPU time [s] (of the process and every process it waited for) of
    ``python -c code`` in a fresh process using ``cache_dir`` as the cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"start-up run failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return dt, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def run_seconds(code: str, cache_dir: Path) -> float:
    """Wall time [s] of ``python -c code`` in a fresh process using ``cache_dir`` as the cache."""
    return run_timed(code, cache_dir)[0]


def cold_and_warm(code: str) -> tuple[float, float]:
    """(cold, warm) wall times [s] of ``code``: empty cache, then the cache it filled."""
    cache = Path(tempfile.mkdtemp(prefix="cpted_cache_"))
    try:
        cold = run_seconds(code, cache)
        warm = min(run_seconds(code, cache) for _ in range(2))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return cold, warm


CASES = {"first_use": ("first use (ray core)", FIRST_USE),
         "illuminance": ("first illuminance", ILLUMINANCE),
         "demo": ("cpted-sim demo", DEMO), "warmup": ("cpted-sim warmup", WARMUP)}


def main(argv=None) -> None:
    import numba

    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="+", choices=list(CASES), default=None)
    args = ap.parse_args(argv)
    print(f"numba {numba.__version__}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for name in args.only or list(CASES):
        label, code = CASES[name]
        cold, warm = cold_and_warm(code)
        print(f"{label:22s} cold {cold:6.1f} s   warm {warm:5.2f} s", flush=True)


if __name__ == "__main__":
    main()
