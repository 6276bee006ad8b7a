"""The ``cpted-sim`` command line (argparse; imports inside handlers so ``--help`` is instant).

User errors print one clear line and exit with status 2 (a traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_info(args) -> int:
    import numba
    import numpy

    from ._jit import CACHE
    from ._version import __version__
    from .config import get_threads
    from .geometry.engines import ENGINES, engines_available

    avail = engines_available()
    print(f"cpted_sim {__version__}")
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, numba {numba.__version__}")
    print(f"threads: {get_threads()} (of {numba.config.NUMBA_NUM_THREADS})")
    print(f"kernel cache: {'on' if CACHE else 'off (package folder read-only; set NUMBA_CACHE_DIR)'}")
    print("engines:")
    for name, cls in ENGINES.items():
        state = "available" if name in avail else f"missing ({cls.install_hint})"
        print(f"  {name:8s} {state}")
    return 0


def _say(args, text: str) -> None:
    """A progress line on stderr (not with --quiet)."""
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def _run_and_report(args, base, variants, out) -> int:
    """Run the base and the variants with a progress bar, compare, write the report."""
    import time

    from tqdm import tqdm

    from .scenario import compare, run

    t0 = time.perf_counter()
    todo = [base, *variants]
    results = []
    bar = tqdm(todo, desc="scenarios", unit="variant", disable=args.quiet, file=sys.stderr)
    for sc in bar:
        bar.set_postfix_str(sc.variant)
        results.append(run(sc, threads=args.threads, quiet=args.quiet))
    cmp = compare(results[0], *results[1:])
    _say(args, f"writing the report into {out}")
    files = cmp.to_report(out)
    for text in cmp.verdicts.values():
        print(text)
    print(f"wrote {len(files)} files into {out} in {time.perf_counter() - t0:.1f} s "
          f"(report: {Path(out) / 'report.html'})")
    return 0


def _pick_variants(scenario, names):
    if not names:
        return scenario.all_variants()
    return [scenario.apply(n) for n in names]


def _cmd_demo(args) -> int:
    from .io.scenario_file import load_scenario
    from .scenario.demo import demo_scenario_path

    sc = load_scenario(demo_scenario_path())
    _say(args, f"demo: {sc.name}, {len(sc.variants)} variants")
    return _run_and_report(args, sc, sc.all_variants(), args.out)


def _cmd_run(args) -> int:
    from .io.scenario_file import load_scenario

    sc = load_scenario(args.scenario)
    variants = [] if args.base_only else _pick_variants(sc, args.variant)
    return _run_and_report(args, sc, variants, args.out)


def _cmd_compare(args) -> int:
    from dataclasses import replace

    from .errors import ScenarioFileError
    from .io.scenario_file import load_scenario

    if len(args.scenarios) < 2:
        raise ScenarioFileError("compare: give at least two scenario files (the first is the base)")
    scenarios = [load_scenario(p) for p in args.scenarios]
    labels = [Path(p).stem for p in args.scenarios]
    if len(set(labels)) != len(labels):
        raise ScenarioFileError(f"compare: the files need different names, got {labels}")
    base = replace(scenarios[0], variant="base")
    others = [replace(sc, variant=label) for sc, label in zip(scenarios[1:], labels[1:])]
    return _run_and_report(args, base, others, args.out)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    p = argparse.ArgumentParser(prog="cpted-sim", description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None, help="kernel threads (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("info", help="version, threads and available ray engines")
    s.set_defaults(func=_cmd_info)
    # the global options are also accepted after these subcommands
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--threads", type=int, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    s = sub.add_parser("demo", parents=[common],
                       help="run the built-in demo street and write its report")
    s.add_argument("--out", required=True, help="output folder")
    s.set_defaults(func=_cmd_demo)
    s = sub.add_parser("run", parents=[common],
                       help="run a scenario file (base and variants), write the report")
    s.add_argument("scenario", help="scenario file (.toml)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--variant", action="append", default=[],
                   help="run only this variant (repeatable; default: every variant)")
    s.add_argument("--base-only", action="store_true", help="run the base scenario only")
    s.set_defaults(func=_cmd_run)
    s = sub.add_parser("compare", parents=[common],
                       help="compare scenario files: the first is the base")
    s.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml",
                   help="two or more scenario files (their base scenarios are compared)")
    s.add_argument("--out", required=True, help="output folder")
    s.set_defaults(func=_cmd_compare)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cpted-sim``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from .config import set_progress, set_threads

        if args.threads is not None:
            set_threads(args.threads)
        if args.quiet:
            set_progress(False)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("cpted-sim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line for users, traceback with --debug
        from .errors import CptedError

        if args.debug or not isinstance(exc, (CptedError, OSError)):
            raise
        print(f"cpted-sim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
