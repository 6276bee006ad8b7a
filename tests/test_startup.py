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


def _run(code, env_extra, pythonpath, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(env_extra)
    env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=900, cwd=cwd)


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


def _read_only_copy() -> tuple[Path, str]:
    """A read-only copy of the package, and the code prefix a child process runs first.

    Root ignores permission bits, and the interpreter here may live where another user cannot
    reach it, so as root the child instead sees the copy as unwritable through ``os.access``
    (the check ``cpted_sim._jit`` makes); as another user the permission bits do the work.
    """
    root = _public_tmp()
    shutil.copytree(SRC / "cpted_sim", root / "cpted_sim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    for p in [root, *root.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    prefix = ""
    if os.geteuid() == 0:
        prefix = (
            "import os\n"
            "_access = os.access\n"
            f"_root = {str(root)!r}\n"
            "def _no_write(path, mode, *a, **k):\n"
            "    if mode & os.W_OK and str(path).startswith(_root):\n"
            "        return False\n"
            "    return _access(path, mode, *a, **k)\n"
            "os.access = _no_write\n"
        )
    return root, prefix


def _cleanup(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_read_only_install_runs_without_a_cache():
    root, prefix = _read_only_copy()
    try:
        out = _run(prefix + FIRST_USE, {"HOME": str(root)}, root, cwd=str(root))
        assert out.returncode == 0, out.stderr[-3000:]
        assert "CACHE False" in out.stdout
        assert f"FILE {root}" in out.stdout  # the read-only copy was the one imported
        assert not list(root.rglob("*.nbi"))
    finally:
        _cleanup(root)


@pytest.mark.slow
def test_read_only_install_caches_into_numba_cache_dir():
    root, prefix = _read_only_copy()
    cache = _public_tmp()
    cache.chmod(0o777)
    try:
        out = _run(prefix + FIRST_USE, {"HOME": str(root), "NUMBA_CACHE_DIR": str(cache)}, root,
                   cwd=str(root))
        assert out.returncode == 0, out.stderr[-3000:]
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
    assert names == ["ray core", "scenario pipeline", "visibility graph"]
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
