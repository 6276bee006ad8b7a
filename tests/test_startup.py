"""Start-up behaviour of the kernel cache (not timed; timings are in benchmarks/startup.py).

Each test runs a fresh interpreter: what matters is what a new process finds on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# A first use of the ray core: build a small scene, cast rays, test segments.
FIRST_USE = """
import numpy as np, cpted_sim
from cpted_sim._jit import CACHE
from cpted_sim.scenario.synthetic import street_canyon
c = street_canyon(30.0)
pts = c.street_points(spacing=3.0, height=1.6)
t, f = cpted_sim.closest_hit(c.scene, pts, np.tile([0.0, 0.0, -1.0], (len(pts), 1)))
assert np.allclose(t, 1.6), t
o, g = c.shadow_segments(spacing=3.0)
blocked = cpted_sim.occluded(c.scene, o, g)
print("CACHE", CACHE, "FILE", cpted_sim.__file__, "BLOCKED", int(blocked.sum()), len(blocked))
"""

# Smaller: what a read-only install must still be able to do (build a BVH, test segments).
SMALL_USE = """
import numpy as np, cpted_sim
from cpted_sim._jit import CACHE
from cpted_sim.scenario.synthetic import ground_plane
s = ground_plane(10.0, cells=2)
o = np.array([[0.0, 0.0, 1.0], [3.0, 3.0, 1.0]])
blocked = cpted_sim.occluded(s, o, o - [0.0, 0.0, 2.0])
assert blocked.all(), blocked
print("CACHE", CACHE, "FILE", cpted_sim.__file__)
"""

# Cheapest use of a cached kernel: does the cache folder receive it?
TINY_USE = """
import numpy as np, cpted_sim
from cpted_sim._jit import CACHE
from cpted_sim.kernels.bvh_query import spatial_order
assert sorted(spatial_order(np.eye(3))) == [0, 1, 2]
print("CACHE", CACHE, "FILE", cpted_sim.__file__)
"""


def _run(code, env_extra, pythonpath):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(env_extra)
    env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=900)


def _public_tmp() -> Path:
    """A temporary folder any user can read (pytest's tmp_path is private to its owner)."""
    d = Path(tempfile.mkdtemp(prefix="cpted_startup_"))
    d.chmod(0o755)
    return d


@pytest.mark.slow
def test_second_process_loads_every_kernel_from_the_cache():
    cache = _public_tmp()
    try:
        env = {"NUMBA_CACHE_DIR": str(cache), "NUMBA_DEBUG_CACHE": "1"}
        cold = _run(FIRST_USE, env, SRC)
        assert cold.returncode == 0, cold.stderr[-3000:]
        assert "CACHE True" in cold.stdout
        assert "data saved" in cold.stdout + cold.stderr
        saved = {p.name for p in cache.rglob("*.nbi")}
        assert any(name.startswith("bvh_query") for name in saved), saved
        assert any(name.startswith("bvh_build") for name in saved), saved
        warm = _run(FIRST_USE, env, SRC)
        assert warm.returncode == 0, warm.stderr[-3000:]
        log = warm.stdout + warm.stderr
        assert "data loaded" in log
        assert "data saved" not in log, "a kernel was compiled again despite a warm cache"
    finally:
        shutil.rmtree(cache, ignore_errors=True)


READ_ONLY_CHECK = """
import os, cpted_sim
try:
    open(os.path.join(os.path.dirname(cpted_sim.__file__), "probe"), "w").close()
    print("WRITABLE")
except OSError:
    print("READ-ONLY")
"""


def _read_only_copy() -> Path:
    """A copy of the package in a folder of its own (``_run_read_only`` makes it read-only)."""
    root = _public_tmp()
    shutil.copytree(SRC / "cpted_sim", root / "cpted_sim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    return root


def _run_read_only(code, env_extra, root: Path):
    """Run ``code`` with ``root`` first on the path and not writable by the process.

    As root, permissions do not stop writes: the folder is then bind-mounted read-only in a
    private mount namespace (``unshare -m``), which vanishes with the process. Otherwise the
    copy is made read-only with ``chmod``.
    """
    script = root.parent / (root.name + "_child.py")
    script.write_text(READ_ONLY_CHECK + code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(env_extra)
    env["PYTHONPATH"] = str(root)
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("running as root without unshare(1): cannot make a read-only folder")
        cmd = ["unshare", "-m", "sh", "-c",
               'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$1" "$2"',
               str(root), sys.executable, str(script)]
    else:
        for p in [root, *root.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        cmd = [sys.executable, str(script)]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900,
                             cwd=str(root.parent))
    finally:
        script.unlink()
    if out.returncode != 0 and "mount" in out.stderr and "READ-ONLY" not in out.stdout:
        pytest.skip(f"cannot make a read-only bind mount here: {out.stderr.strip()[:200]}")
    return out


def _cleanup(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_read_only_install_runs_without_a_cache():
    root = _read_only_copy()
    try:
        out = _run_read_only(SMALL_USE, {"HOME": str(root)}, root)
        assert out.returncode == 0, out.stderr[-3000:]
        assert "READ-ONLY" in out.stdout
        assert "CACHE False" in out.stdout
        assert f"FILE {root}" in out.stdout  # the read-only copy was the one imported
        assert not list(root.rglob("*.nbi"))
    finally:
        _cleanup(root)


@pytest.mark.slow
def test_read_only_install_caches_into_numba_cache_dir():
    root = _read_only_copy()
    cache = _public_tmp()
    try:
        out = _run_read_only(TINY_USE, {"HOME": str(root), "NUMBA_CACHE_DIR": str(cache)}, root)
        assert out.returncode == 0, out.stderr[-3000:]
        assert "READ-ONLY" in out.stdout
        assert "CACHE True" in out.stdout
        assert list(cache.rglob("*.nbi")), "nothing was cached into NUMBA_CACHE_DIR"
    finally:
        _cleanup(root)
        shutil.rmtree(cache, ignore_errors=True)


def test_warmup_is_a_cli_subcommand_with_every_step_named():
    from cpted_sim import cli

    args = cli.build_parser().parse_args(["warmup"])
    assert args.func is cli._cmd_warmup
    names = [name for name, _ in cli._WARMUP_STEPS]
    assert names == ["ray core", "scenario pipeline", "visibility graph", "interreflection"]
    args = cli.build_parser().parse_args(["bench", "--triangles", "5000", "--rays", "1000"])
    assert args.func is cli._cmd_bench and args.triangles == 5000


def test_warmup_scenario_reaches_every_quantity(tmp_path):
    # The warm-up scenario must ask for every quantity, or some kernels stay cold.
    from cpted_sim import cli
    from cpted_sim.io.scenario_file import load_scenario
    from cpted_sim.scenario.model import AREA_KINDS, QUANTITIES

    p = tmp_path / "w.toml"
    p.write_text(cli._WARMUP_SCENARIO, encoding="utf-8")
    sc = load_scenario(p)
    asked = {q for a in sc.areas for q in a.computed_quantities}
    assert asked == set(QUANTITIES)
    assert {a.kind for a in sc.areas} >= set(AREA_KINDS) - {"grid"}


def test_warmup_reports_a_missing_module_as_failed_and_exits_1(monkeypatch, capsys):
    """A step that cannot import its module leaves kernels cold: FAILED and exit 1, never a
    "skipped" that a deployment script would take for success."""
    from cpted_sim import cli

    ran = []

    def fine():
        ran.append("fine")

    def missing():
        import cpted_sim.no_such_module  # noqa: F401

    monkeypatch.setattr(cli, "_WARMUP_STEPS", (("missing part", missing), ("fine part", fine)))
    assert cli.main(["warmup"]) == 1
    out = capsys.readouterr().out
    assert "missing part" in out and "FAILED: ModuleNotFoundError" in out
    assert "skipped" not in out and "warm-up FAILED: 1 of 2 steps" in out
    assert ran == ["fine"]  # the other steps still run
    monkeypatch.setattr(cli, "_WARMUP_STEPS", (("fine part", fine),))
    assert cli.main(["warmup"]) == 0
    assert "kernels compiled and cached" in capsys.readouterr().out
