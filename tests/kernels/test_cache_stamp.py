"""Editing any kernel source invalidates Numba's disk cache of the kernels that inline it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import pytest

from cpted_sim import _jit

SRC = Path(__file__).resolve().parents[2] / "src"

HELPER = """
from cpted_sim._jit import ijit, exact_jit


@ijit
def bump(x):
    return x + {step}


@exact_jit
def scale(x):
    return x * {factor}
"""

KERNEL = """
from cpted_sim._jit import jit
from .helper import bump, scale


@jit
def run(x):
    return scale(bump(x))
"""

PROBE = textwrap.dedent("""
    from toypkg.kernel import run
    print(run(1.0), sum(run.stats.cache_hits.values()))
""")


def _probe(root: Path) -> tuple[float, int]:
    """``run(1.0)`` in a fresh interpreter, and how many of its signatures came from the cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=os.pathsep.join([str(root), str(SRC)]), PYTHONDONTWRITEBYTECODE="1",
               NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    value, hits = out.stdout.split()
    return float(value), int(hits)


@pytest.mark.slow
@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="tests the compiled kernels' disk cache")
def test_an_edited_inlined_helper_is_picked_up_without_clearing_the_cache(tmp_path):
    pkg = tmp_path / "toypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "kernel.py").write_text(KERNEL)
    (pkg / "helper.py").write_text(HELPER.format(step="1.0", factor="2.0"))
    assert _probe(tmp_path)[0] == 4.0  # compiled and cached
    assert list((pkg / "__pycache__").glob("kernel.run-*.nbi"))
    value, hits = _probe(tmp_path)
    assert (value, hits) == (4.0, 1)  # served from the cache
    # edit only the helpers (the kernel's own file is untouched): both must be seen
    (pkg / "helper.py").write_text(HELPER.format(step="10.0", factor="3.0"))
    value, hits = _probe(tmp_path)
    assert (value, hits) == (33.0, 0)  # recompiled, not the stale 4.0
    value, hits = _probe(tmp_path)
    assert (value, hits) == (33.0, 1)  # and cached again


def test_the_stamp_follows_every_kernel_source(tmp_path):
    own = tmp_path / "mod.py"
    own.write_text("x = 1\n")
    before = _jit.sources_stamp(str(own))
    assert _jit.sources_stamp(str(own)) == before
    (tmp_path / "other.py").write_text("y = 2\n")  # a new file beside it
    after_new = _jit.sources_stamp(str(own))
    own.write_text("x = 22\n")  # an edit
    after_edit = _jit.sources_stamp(str(own))
    assert len({before, after_new, after_edit}) == 3
    kernels = SRC / "cpted_sim" / "kernels"
    assert _jit.sources_stamp(str(kernels / "bvh_query.py")) == \
        _jit.sources_stamp(str(kernels / "intersect.py"))  # one stamp for the whole folder
