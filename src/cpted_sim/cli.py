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


def _loaded(load, *a, **kw):
    """``load(*a, **kw)`` and the messages of the CptedWarnings it raised (not shown by Python)."""
    import warnings

    from .errors import CptedWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = load(*a, **kw)
    for w in caught:
        if not issubclass(w.category, CptedWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out, tuple(dict.fromkeys(str(w.message) for w in caught
                                    if issubclass(w.category, CptedWarning)))


def _check_warnings(args, results) -> None:
    """Print every run's warnings on stderr with their count; with --strict, stop."""
    from .errors import StrictWarningsError

    found = [(r.variant, w) for r in results for w in r.warnings]
    if not found:
        return
    print(f"cpted-sim: {len(found)} warning{'s' if len(found) != 1 else ''}:", file=sys.stderr)
    for variant, w in found:
        print(f"  warning [{variant}]: {w}", file=sys.stderr)
    if getattr(args, "strict", False):
        raise StrictWarningsError(f"--strict: {len(found)} warnings (first: [{found[0][0]}] "
                                  f"{found[0][1]}); no report written")


def _run_and_report(args, base, variants, out, load_warnings=()) -> int:
    """Run the base and the variants with a progress bar, compare, write the report."""
    import time
    import warnings
    from dataclasses import replace

    from tqdm import tqdm

    from .errors import CptedWarning
    from .io.preflight import preflight
    from .scenario.compare import compare
    from .scenario.run import run

    t0 = time.perf_counter()
    todo = [base, *variants]
    gb = getattr(args, "max_memory_gb", None)
    # names, EPSG code, memory and the output folder, before anything is computed
    for note in preflight(todo, out, max_memory_gb=gb):
        _say(args, f"note: {note}")
    results = []
    bar = tqdm(todo, desc="scenarios", unit="variant", disable=args.quiet, file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)   # printed below, from the results
        for sc in bar:
            bar.set_postfix_str(sc.variant)
            results.append(run(sc, threads=args.threads, quiet=args.quiet,
                               max_memory_gb=gb))
    # warnings of reading the files: all the base's, or one tuple per scenario (compare)
    per = load_warnings if isinstance(load_warnings, list) else [load_warnings]
    for i, ws in enumerate(per[:len(results)]):
        if ws:
            results[i] = replace(results[i], warnings=(*ws, *results[i].warnings))
    _check_warnings(args, results)
    cmp = compare(results[0], *results[1:])
    _say(args, f"writing the report into {out}")
    files = cmp.to_report(out, maps=not getattr(args, "no_maps", False))
    for text in cmp.verdicts.values():
        print(text)
    print(f"wrote {len(files)} files into {out} in {time.perf_counter() - t0:.1f} s "
          f"(report: {Path(out) / 'report.html'})")
    return 0


def _pick_variants(scenario, names):
    if not names:
        return scenario.all_variants()
    return [scenario.apply(n) for n in names]


_OUTSIDE_HELP = ("read mesh and photometric files outside the scenario file's folder "
                 "(refused by default)")


def _cmd_demo(args) -> int:
    from .io.scenario_file import load_scenario
    from .scenario.demo import demo_scenario_path

    sc = load_scenario(demo_scenario_path())
    _say(args, f"demo: {sc.name}, {len(sc.variants)} variants")
    rc = _run_and_report(args, sc, sc.all_variants(), args.out)
    return rc or _demo_triage(args, sc, Path(args.out) / "triage")


def _demo_triage(args, sc, out) -> int:
    """The demo's synthetic citizens' reports triaged into ``out`` (issue 14 build 7)."""
    import time
    import warnings

    from .errors import CptedWarning
    from .io.citizen_reports import read_reports
    from .io.triage_report import write_triage
    from .scenario.demo import DEMO_REPORTS_FILE, demo_scenario_path
    from .scenario.run import build_scene
    from .triage.pipeline import triage

    t0 = time.perf_counter()
    scene = build_scene(sc)
    b = scene.bounds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)    # counted in the triage's own notes
        reports = read_reports(demo_scenario_path().parent / DEMO_REPORTS_FILE, epsg=28992,
                               bbox=(b[0, 0], b[0, 1], b[1, 0], b[1, 1]))
        res = triage(sc, reports.xy, reports.ids, reports.times, scene=scene, top=3,
                     quiet=args.quiet)
        write_triage(res, out, lang="en", summary=reports.summary(), scene=scene,
                     maps=not getattr(args, "no_maps", False))
    print(f"triage of {len(reports)} synthetic reports: {len(res.places)} places with a "
          f"deficit, written into {out} in {time.perf_counter() - t0:.1f} s "
          f"(report: {Path(out) / 'triage.html'})")
    return 0


def _cmd_run(args) -> int:
    from .io.scenario_file import load_scenario

    sc, load_warnings = _loaded(load_scenario, args.scenario,
                                allow_outside_files=args.allow_outside_files)
    variants = [] if args.base_only else _pick_variants(sc, args.variant)
    return _run_and_report(args, sc, variants, args.out, load_warnings)


def _cmd_compare(args) -> int:
    from dataclasses import replace

    from .errors import ScenarioFileError
    from .io.scenario_file import load_scenario

    if len(args.scenarios) < 2:
        raise ScenarioFileError("compare: give at least two scenario files (the first is the base)")
    loaded = [_loaded(load_scenario, p, allow_outside_files=args.allow_outside_files)
              for p in args.scenarios]
    scenarios = [sc for sc, _ in loaded]
    labels = [Path(p).stem for p in args.scenarios]
    if len(set(labels)) != len(labels):
        raise ScenarioFileError(f"compare: the files need different names, got {labels}")
    base = replace(scenarios[0], variant="base")
    others = [replace(sc, variant=label) for sc, label in zip(scenarios[1:], labels[1:])]
    return _run_and_report(args, base, others, args.out, [tuple(ws) for _, ws in loaded])


# ----------------------------------------------------------------------------- warmup, bench
#: A tiny scenario whose run calls every lighting, sightline and metric kernel of the
#: scenario pipeline (used by ``warmup``). Whoever adds a kernel that this does not reach
#: should extend it, or add a step to ``_WARMUP_STEPS``.
_WARMUP_SCENARIO = """\
name = "warmup"
[scene]
builtin = "street_canyon"
params = { length = 30.0, width = 12.0, height = 6.4 }

[[luminaires]]
name = "L1"
photometry = { builtin = "street_light_optic", flux = 3000.0 }
position = [10.0, 3.0, 6.0]
azimuth = 90.0

[[luminaires]]
name = "L2"
photometry = { builtin = "isotropic", intensity_cd = 300.0 }
position = [20.0, 9.0, 5.0]

[[areas]]
name = "street"
kind = "en13201"
class = "P4"
polygon = [[1, 1], [29, 1], [29, 11], [1, 11]]
spacing = 2.0
quantities = ["E_h", "E_sc", "surveillance", "night_surveillance", "concealment", "isovist"]

[[areas]]
name = "walls"
kind = "facade"
groups = ["facade"]
spacing = 4.0
quantities = ["E_v"]

[[areas]]
name = "walk"
kind = "route"
path = [[2, 6], [28, 6]]
spacing = 2.0

[[observers]]
name = "windows"
kind = "window"
points = [[10.0, 0.5, 4.5], [20.0, 11.5, 4.5]]
fov = 360.0
max_distance = 40.0
"""


def _cmd_triage(args) -> int:
    import time
    import warnings

    from .errors import CptedWarning
    from .errors import StrictWarningsError
    from .io.citizen_reports import read_reports, scene_lonlat
    from .io.output_folder import check_output_folder
    from .io.scenario_file import load_scenario
    from .io.triage_report import write_triage
    from .scenario.run import build_scene
    from .triage.pipeline import triage

    t0 = time.perf_counter()
    check_output_folder(args.out)          # a folder we may not write fails before computing
    sc, found = _loaded(load_scenario, args.scenario,
                        allow_outside_files=args.allow_outside_files)
    scene = build_scene(sc)
    own = sc.scene.epsg or scene.epsg
    epsg = own or 28992      # a scene without a CRS: lon/lat reports are taken to RD New
    b = scene.bounds
    reports, more = _loaded(read_reports, args.reports, epsg=epsg,
                            bbox=(b[0, 0], b[0, 1], b[1, 0], b[1, 1]))
    lon, lat = scene_lonlat(scene, own)
    _say(args, f"triage: {len(reports)} of {reports.n_read} reports in the scene")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CptedWarning)
        res = triage(sc, reports.xy, reports.ids, reports.times, radius=args.radius,
                     min_reports=args.min_reports, latitude=lat, longitude=lon,
                     measures=not args.no_measures, scene=scene, quiet=args.quiet,
                     notes=more)
    found = (*found, *more, *(str(w.message) for w in caught
                             if issubclass(w.category, CptedWarning)), *res.notes)
    found = tuple(dict.fromkeys(found))
    if found:
        print(f"cpted-sim: {len(found)} warning{'s' if len(found) != 1 else ''}:",
              file=sys.stderr)
        for w in found:
            print(f"  warning: {w}", file=sys.stderr)
        if args.strict:
            raise StrictWarningsError(f"--strict: {len(found)} warnings (first: {found[0]}); "
                                      "no triage written")
    files = write_triage(res, args.out, lang=args.lang, include_text=args.include_text,
                         texts=reports.texts,
                         summary={**reports.summary(), "swapped": reports.swapped_lat_lon},
                         epsg=own, scene=scene)
    for k, p in enumerate(res.places[:5]):
        print(f"{k + 1}. {p.id} ({p.xy[0]:.0f}, {p.xy[1]:.0f}): {p.n_reports} reports, "
              f"{p.dominant_deficit}")
    print(f"wrote {len(files)} files into {args.out} in {time.perf_counter() - t0:.1f} s "
          f"(report: {Path(args.out) / 'triage.html'})")
    return 0


def _warm_core():
    """Ray core: BVH build, the three queries, transmittance, on every code path."""
    import numpy as np

    from .geometry.query import closest_hit, occluded, visibility_matrix
    from .kernels import bvh_query
    from .kernels.bvh_query import transmittance_batch
    from .scenario.synthetic import street_canyon

    c = street_canyon(30.0, 12.0, 6.4)
    s = c.scene
    pts = c.street_points(spacing=3.0, height=1.6)
    closest_hit(s, pts, np.tile([0.3, 0.2, -1.0], (len(pts), 1)))
    n = len(pts)  # the reordering path that large batches take
    bvh_query.closest_hit_batch(s.bvh, s.to_local(pts), np.tile([0.3, 0.2, -1.0], (n, 1)),
                                np.zeros(n), np.full(n, np.inf), np.empty(n),
                                np.empty(n, dtype=np.int64), sort=True)
    o, t = c.shadow_segments(spacing=3.0)
    occluded(s, o, t)
    bvh_query.occluded_batch(s.bvh, s.to_local(o), s.to_local(t), s.ray_offset,
                             np.empty(len(o), dtype=np.bool_), sort=True)
    visibility_matrix(s, c.windows_points + 0.3 * c.windows_normals, pts, max_distance=50.0)
    out = np.empty(len(o))
    transmittance_batch(s.bvh, s.light_transmittance, s.to_local(o), s.to_local(t),
                        s.ray_offset, out)


def _warm_scenario():
    """Lighting, sightlines and metrics through a tiny scenario run."""
    import tempfile
    from pathlib import Path

    from .io.scenario_file import load_scenario
    from .scenario.run import run

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warmup.toml"
        path.write_text(_WARMUP_SCENARIO, encoding="utf-8")
        sc = load_scenario(path)
    run(sc, quiet=True)


def _warm_visibility_graph():
    """The visibility graph (not part of scenario runs)."""
    from .geometry.grid import CalculationGrid
    from .scenario.synthetic import street_canyon
    from .visibility import visibility_graph

    s = street_canyon(30.0, 12.0, 6.4).scene
    visibility_graph(s, CalculationGrid.regular(1, 1, 29, 11, 4.0), quiet=True)


def _warm_interreflection():
    """Interreflection (opt-in, so not part of the warm-up scenario's run)."""
    import tempfile
    from pathlib import Path

    from .geometry.grid import CalculationGrid
    from .io.scenario_file import load_scenario
    from .lighting.illuminance import illuminance
    from .scenario.run import build_luminaires, build_scene

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warmup.toml"
        path.write_text(_WARMUP_SCENARIO, encoding="utf-8")
        sc = load_scenario(path)
    scene = build_scene(sc)
    grid = CalculationGrid.regular(1, 1, 29, 11, 4.0)
    illuminance(scene, build_luminaires(sc), grid, bounces=1, quiet=True)


_WARMUP_STEPS = (("ray core", _warm_core), ("scenario pipeline", _warm_scenario),
                 ("visibility graph", _warm_visibility_graph),
                 ("interreflection", _warm_interreflection))


def _cmd_warmup(args) -> int:
    import time

    from ._jit import CACHE

    where = "on disk" if CACHE else "in memory only (package folder read-only; set NUMBA_CACHE_DIR)"
    failed = 0
    t_all = time.perf_counter()
    for name, step in _WARMUP_STEPS:
        t0 = time.perf_counter()
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - report every step, fail at the end
            # an ImportError too: a missing module leaves its kernels cold, never "skipped"
            if args.debug:
                raise
            print(f"  {name:18s} FAILED: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        print(f"  {name:18s} {time.perf_counter() - t0:6.1f} s")
    if failed:
        print(f"warm-up FAILED: {failed} of {len(_WARMUP_STEPS)} steps did not run; their "
              f"kernels are not cached (rerun with --debug for the traceback)")
        return 1
    print(f"kernels compiled and cached {where} in {time.perf_counter() - t_all:.1f} s")
    return 0


def _cmd_bench(args) -> int:
    import time

    import numba
    import numpy as np

    from .geometry.engines import engines_available, get_engine
    from .scenario.synthetic import district

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    d = district(args.triangles, seed=0)
    s = d.scene
    o1, t1 = d.shadow_segments(spacing=1.0)
    street = d.street_points(spacing=1.0, height=1.6)
    o2 = street[rng.integers(0, len(street), args.rays)]
    v = rng.normal(size=(args.rays, 3))
    d2 = v / np.linalg.norm(v, axis=1)[:, None]
    pick = rng.choice(len(d.windows_points), size=min(200, len(d.windows_points)), replace=False)
    obs = d.windows_points[pick] + 0.3 * d.windows_normals[pick]
    tg = street[rng.choice(len(street), size=min(5000, len(street)), replace=False)]
    o1, t1, o2, obs, tg = (s.to_local(a) for a in (o1, t1, o2, obs, tg))
    print(f"scene: {s.n_faces} triangles, built in {time.perf_counter() - t0:.1f} s "
          f"(BVH {s.bvh_stats.build_seconds:.2f} s); threads: {numba.get_num_threads()}")
    jobs = (("W1 shadow rays (occluded)", len(o1),
             lambda e: e.occluded(s, o1, t1, s.ray_offset)),
            ("W2 closest hits", len(o2),
             lambda e: e.closest_hit(s, o2, d2, np.full(len(o2), np.inf))),
            ("W3 sightlines", len(obs) * len(tg),
             lambda e: e.visibility(s, obs, tg, np.inf, s.ray_offset)))
    engines = ["numba"] + (["embree"] if "embree" in engines_available() else [])
    print(f"{'workload':28s} {'rays':>10s} " + " ".join(f"{e + ' Mrays/s':>16s}" for e in engines))
    for label, n, job in jobs:
        rates = []
        for name in engines:
            eng = get_engine(name)
            job(eng)  # compile / build once
            best = np.inf
            for _ in range(args.repeat):
                t = time.perf_counter()
                job(eng)
                best = min(best, time.perf_counter() - t)
            rates.append(n / best / 1e6)
        print(f"{label:28s} {n:10d} " + " ".join(f"{r:16.2f}" for r in rates))
    if "embree" not in engines:
        print("(Embree not installed: pip install embreex to compare)")
    else:
        print("(Embree through embreex on one Python thread, float32; numba on all threads)")
    return 0


def _cmd_city(args) -> int:
    from .city import run_city
    from .io.scenario_file import load_scenario

    sc = load_scenario(args.scenario, allow_outside_files=args.allow_outside_files)
    quiet = getattr(args, "quiet", False)
    res = run_city(sc, args.out, town=args.town, scheduler=args.scheduler,
                   workers=args.workers, tile_size=args.tile_size, memory_gb=args.memory_gb,
                   reflection_margin=args.reflection_margin, patch_size=args.patch_size,
                   report=None if quiet else (lambda line: print(line, file=sys.stderr)))
    print(f"city: {res['tiles']} tiles ({res['computed']} computed, {res['skipped']} already "
          f"done) in {res['seconds']:.1f} s; outputs in {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    p = argparse.ArgumentParser(prog="cpted-sim", description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None, help="kernel threads (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--max-memory-gb", type=float, default=None, metavar="GB",
                   help="memory limit, checked before computing (default: [run] max_memory_gb, "
                        "else CPTED_SIM_MAX_MEMORY_GB, else 4)")
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
    common.add_argument("--max-memory-gb", type=float, default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    report_opts = argparse.ArgumentParser(add_help=False)
    report_opts.add_argument("--no-maps", action="store_true",
                             help="write the report without maps (tables and data files only; "
                                  "much faster)")
    s = sub.add_parser("demo", parents=[common, report_opts],
                       help="run the built-in demo street and write its report")
    s.add_argument("--out", required=True, help="output folder")
    s.set_defaults(func=_cmd_demo)
    s = sub.add_parser("run", parents=[common, report_opts],
                       help="run a scenario file (base and variants), write the report")
    s.add_argument("scenario", help="scenario file (.toml)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--variant", action="append", default=[],
                   help="run only this variant (repeatable; default: every variant)")
    s.add_argument("--base-only", action="store_true", help="run the base scenario only")
    s.add_argument("--allow-outside-files", action="store_true", help=_OUTSIDE_HELP)
    s.add_argument("--strict", action="store_true",
                   help="treat warnings (points under or inside geometry, ...) as errors")
    s.set_defaults(func=_cmd_run)
    s = sub.add_parser("compare", parents=[common, report_opts],
                       help="compare scenario files: the first is the base")
    s.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml",
                   help="two or more scenario files (their base scenarios are compared)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--allow-outside-files", action="store_true", help=_OUTSIDE_HELP)
    s.add_argument("--strict", action="store_true",
                   help="treat warnings (points under or inside geometry, ...) as errors")
    s.set_defaults(func=_cmd_compare)
    s = sub.add_parser("triage", parents=[common],
                       help="citizens' reports in: places ranked by their physical causes")
    s.add_argument("scenario", help="scenario file (.toml) of the place")
    s.add_argument("--reports", required=True,
                   help="reports file: Signalen GeoJSON/JSON, CSV (x/y or lon/lat), GIS layer")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--lang", choices=("nl", "en"), default="nl",
                   help="language of triage.md / triage.html (default nl)")
    s.add_argument("--include-text", action="store_true",
                   help="write the report texts too (private; left out by default)")
    s.add_argument("--min-reports", type=int, default=3, metavar="K",
                   help="fewest reports in a place shown (default 3; smaller groups withheld)")
    s.add_argument("--radius", type=float, default=15.0,
                   help="context radius and clustering distance [m] (default 15)")
    s.add_argument("--no-measures", action="store_true", help="do not test measures")
    s.add_argument("--allow-outside-files", action="store_true", help=_OUTSIDE_HELP)
    s.add_argument("--strict", action="store_true",
                   help="treat warnings (reports outside the scene, ...) as errors")
    s.set_defaults(func=_cmd_triage)
    s = sub.add_parser("warmup", parents=[common],
                       help="compile and cache every kernel (first use is then fast)")
    s.set_defaults(func=_cmd_warmup)
    s = sub.add_parser("bench", parents=[common],
                       help="short ray-core benchmark on a synthetic district (numba vs Embree)")
    s.add_argument("--triangles", type=int, default=100_000, help="scene size (default 100000)")
    s.add_argument("--rays", type=int, default=500_000, help="W2 rays (default 500000)")
    s.add_argument("--repeat", type=int, default=2, help="timed runs, best kept (default 2)")
    s.set_defaults(func=_cmd_bench)
    s = sub.add_parser("city", parents=[common],
                       help="a whole town's night-safety map, tile by tile on Dask (resumable)")
    s.add_argument("scenario", help="scenario file (.toml): its first plan area is the study area")
    s.add_argument("--out", required=True, help="output folder (a rerun skips finished tiles)")
    s.add_argument("--town", default=None, metavar="DIR",
                   help="a town folder (CityJSON tiles, lights, windows, streets) or a folder "
                        "of CityJSON files (a 3D BAG tile set), read tile by tile instead of "
                        "the scenario's scene")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address (default: a LocalCluster on this machine; "
                        "'synchronous': no Dask)")
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="LocalCluster worker processes (default: the cores)")
    s.add_argument("--tile-size", type=float, default=None, metavar="M",
                   help="tile side [m] (default: the largest that fits --memory-gb)")
    s.add_argument("--memory-gb", type=float, default=2.0, metavar="GB",
                   help="memory budget per worker (default 2)")
    s.add_argument("--reflection-margin", type=float, default=None, metavar="M",
                   help="with run.bounces: geometry and lights loaded this far beyond the light "
                        "range for each tile's radiosity [m] (default 20)")
    s.add_argument("--patch-size", type=float, default=None, metavar="M",
                   help="with run.bounces: radiosity patch size [m] (default 0.5)")
    s.add_argument("--allow-outside-files", action="store_true", help=_OUTSIDE_HELP)
    s.set_defaults(func=_cmd_city)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cpted-sim``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from .config import max_memory, set_progress, set_threads

        if args.threads is not None:
            set_threads(args.threads)
        if args.quiet:
            set_progress(False)
        with max_memory(args.max_memory_gb):  # restored afterwards (main runs in tests too)
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
