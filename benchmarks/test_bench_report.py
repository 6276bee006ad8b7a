"""Report writing against computation for the demo, as ``cpted-sim demo`` does it (issue #13).

Each round runs in a fresh process on 2 cores (2 Numba threads, maps drawn by 2 worker
processes), like the command line: load the demo scenario, run the base and its variants and
compare them (the computation), then write the report with maps, and without
(``maps=False``). The target: report writing <= 1.0 x the computation. The machine is
shared, so the figures are medians over the rounds, and each ratio is taken within one round
(report and computation timed in the same process, a second apart).

Run: ``PYTHONPATH=src pytest benchmarks/test_bench_report.py --benchmark-only -s`` or, for the
table alone, ``PYTHONPATH=src python benchmarks/test_bench_report.py [--rounds 5]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CODE = r"""
import json, resource, sys, time
def cpu():
    a = resource.getrusage(resource.RUSAGE_SELF); b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
from cpted_sim.io.scenario_file import load_scenario
from cpted_sim import compare, run
from cpted_sim.scenario.demo import demo_scenario_path
out = sys.argv[1]
t0, c0 = time.perf_counter(), cpu()
sc = load_scenario(demo_scenario_path())
results = [run(s, quiet=True) for s in [sc, *sc.all_variants()]]
cmp = compare(results[0], *results[1:])
t1, c1 = time.perf_counter(), cpu()
cmp.to_report(out + "/maps", maps=True)
t2, c2 = time.perf_counter(), cpu()
cmp.to_report(out + "/nomaps", maps=False)
t3 = time.perf_counter()
print(json.dumps({"compute_s": t1 - t0, "report_s": t2 - t1, "report_no_maps_s": t3 - t2,
                  "compute_cpu_s": c1 - c0, "report_cpu_s": c2 - c1}))
"""


def demo_timing(cores: int = 2, src: str | None = None) -> dict:
    """One fresh-process round: seconds of computation and of report writing (wall and CPU);
    ``src``: the package's source folder to run (another version, for a comparison)."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(cores), CPTED_MAP_PROCESSES=str(cores))
    if src is not None:
        env["PYTHONPATH"] = src
    pin = None
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > cores:
        cpus = sorted(os.sched_getaffinity(0))[:cores]
        pin = lambda: os.sched_setaffinity(0, cpus)  # noqa: E731 - on 2 cores of a bigger box
    with tempfile.TemporaryDirectory(prefix="cpted_bench_report_") as tmp:
        done = subprocess.run([sys.executable, "-c", CODE, tmp], env=env, check=True,
                              capture_output=True, text=True, preexec_fn=pin)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rounds_of(rounds: int, cores: int = 2) -> list[dict]:
    """``rounds`` fresh-process rounds (after one that fills the Numba cache), each with the
    ratio of its own report to its own computation (wall ``ratio``, CPU ``cpu_ratio``)."""
    demo_timing(cores)  # fills the Numba cache, warms the disk
    runs = [demo_timing(cores) for _ in range(rounds)]
    for r in runs:
        r["ratio"] = r["report_s"] / r["compute_s"]
        r["cpu_ratio"] = r["report_cpu_s"] / r["compute_cpu_s"]
    return runs


def median(runs: list[dict]) -> dict:
    """The median of each figure over the rounds (the machine is shared: one slow round
    must not decide); the ratios are the medians of each round's own ratio."""
    import statistics

    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def best(rounds: int, cores: int = 2) -> dict:
    """The best (smallest) figure of each kind over ``rounds`` fresh-process rounds."""
    runs = rounds_of(rounds, cores)
    return {k: min(r[k] for r in runs) for k in runs[0]}


def table(t: dict) -> str:
    return (f"demo on 2 cores: computation {t['compute_s']:.2f} s, report {t['report_s']:.2f} s "
            f"(ratio {t.get('ratio', t['report_s'] / t['compute_s']):.2f}), report without "
            f"maps {t['report_no_maps_s']:.2f} s; CPU: computation {t['compute_cpu_s']:.2f} s, "
            f"report {t['report_cpu_s']:.2f} s"
            + (f" (ratio {t['cpu_ratio']:.2f})" if "cpu_ratio" in t else ""))


def test_report_writing_against_computation(benchmark):
    benchmark.group = "report"
    runs = rounds_of(5)
    t = median(runs)
    benchmark.extra_info.update(t)
    benchmark.extra_info["ratios"] = [r["ratio"] for r in runs]
    print("\nmedian of 5 rounds, " + table(t))
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--before", metavar="SRC",
                    help="another version's src/ folder: its rounds alternate with this one's "
                         "and the paired ratios are printed")
    args = ap.parse_args()
    if args.before:
        import statistics

        pairs = []
        for src in (args.before, None):
            demo_timing(args.cores, src)  # fills each version's Numba cache
        for _ in range(args.rounds):
            pairs.append([demo_timing(args.cores, src) for src in (args.before, None)])
            for label, r in zip(("before", "now"), pairs[-1]):
                print(f"  {label}: " + table(r))
        for key in ("report_s", "report_cpu_s", "report_no_maps_s"):
            print(f"{key}: now / before, median of {args.rounds} paired rounds: "
                  f"{statistics.median(b[key] / a[key] for a, b in pairs):.2f}")
        raise SystemExit(0)
    runs = rounds_of(args.rounds, args.cores)
    for r in runs:
        print("  round: " + table(r))
    print(f"median of {args.rounds} rounds, " + table(median(runs)))
