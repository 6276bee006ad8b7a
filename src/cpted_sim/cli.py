"""The ``cpted-sim`` command line (argparse; imports inside handlers so ``--help`` is instant).

User errors print one clear line and exit with status 2 (a traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import sys


def _cmd_info(args) -> int:
    import numba
    import numpy

    from . import __version__, get_threads
    from ._jit import CACHE
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    p = argparse.ArgumentParser(prog="cpted-sim", description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None, help="kernel threads (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("info", help="version, threads and available ray engines")
    s.set_defaults(func=_cmd_info)
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
