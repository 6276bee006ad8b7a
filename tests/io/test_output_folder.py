"""Output folders: atomic swap, manifest, stale files gone, foreign folders refused, and a
report run killed with SIGKILL while writing over an older report leaves old or new, never
a mix."""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import signal
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report_standin import make_comparison  # noqa: E402

from cpted_sim.errors import OutputFolderError  # noqa: E402
from cpted_sim.io import output_folder as of  # noqa: E402
from cpted_sim.io import report_reasons  # noqa: E402
from cpted_sim.io.output_folder import (MANIFEST, OutputFolder, check_output_folder,  # noqa: E402
                                        exchange_supported, recover_output, verify_output)
from cpted_sim.io.report import write_report  # noqa: E402

METHODS = ["exchange", "rename"]


def _method(method, tmp_path):
    if method == "exchange" and not exchange_supported(tmp_path):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not supported on this file system")
    return method


def _write(target, files: dict[str, bytes], method="auto"):
    with OutputFolder(target, method=method) as tmp:
        assert tmp.parent == Path(os.path.abspath(target)).parent  # beside: same file system
        for rel, data in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)


@pytest.mark.parametrize("method", METHODS)
def test_swap_replaces_everything_and_removes_stale_files(tmp_path, method):
    method = _method(method, tmp_path)
    out = tmp_path / "out"
    _write(out, {"a.txt": b"old a", "stale.png": b"old only", "sub/b.bin": b"old b"}, method)
    doc = verify_output(out)
    assert set(doc["files"]) == {"a.txt", "stale.png", "sub/b.bin"}
    assert doc["files"]["a.txt"]["size"] == 5
    _write(out, {"a.txt": b"new a", "sub/b.bin": b"new b!"}, method)
    assert not (out / "stale.png").exists()  # the earlier run's file is gone
    assert (out / "a.txt").read_bytes() == b"new a"
    assert set(verify_output(out)["files"]) == {"a.txt", "sub/b.bin"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary left


def test_failed_run_leaves_the_old_output_and_no_temporary(tmp_path):
    out = tmp_path / "out"
    _write(out, {"a.txt": b"old"})
    with pytest.raises(RuntimeError, match="boom"):
        with OutputFolder(out) as tmp:
            (tmp / "a.txt").write_bytes(b"half")
            raise RuntimeError("boom")
    assert (out / "a.txt").read_bytes() == b"old"
    verify_output(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_foreign_folder_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OutputFolderError, match=r"mine: not empty and has no manifest\.json"):
        check_output_folder(out)
    with pytest.raises(OutputFolderError, match="not written by cpted_sim"):
        OutputFolder(out)
    assert (out / "thesis.docx").read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    (tmp_path / "empty").mkdir()
    _write(tmp_path / "empty", {"a": b"1"})  # an empty folder is fine
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFolderError, match="exists and is not a folder"):
        check_output_folder(tmp_path / "file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_parent_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputFolderError, match="not writable"):
            check_output_folder(ro / "out")
    finally:
        ro.chmod(0o700)


def test_unwritable_parent_is_refused_even_for_root(tmp_path):
    (tmp_path / "plain").write_text("a file, not a folder")
    with pytest.raises(OutputFolderError, match="parent cannot be created"):
        check_output_folder(tmp_path / "plain" / "out")


def test_verify_output_finds_changes_missing_and_extra_files(tmp_path):
    out = tmp_path / "out"
    _write(out, {"a.txt": b"abc", "b.txt": b"def"})
    (out / "a.txt").write_bytes(b"abd")
    with pytest.raises(OutputFolderError, match=r"a\.txt differs from manifest\.json"):
        verify_output(out)
    (out / "a.txt").write_bytes(b"abc")
    (out / "b.txt").unlink()
    with pytest.raises(OutputFolderError, match=r"b\.txt is listed in manifest\.json but missing"):
        verify_output(out)
    (out / "b.txt").write_bytes(b"def")
    (out / "c.txt").write_bytes(b"new")
    with pytest.raises(OutputFolderError, match=r"1 file\(s\) not in manifest\.json: c\.txt"):
        verify_output(out)
    (out / "c.txt").unlink()
    verify_output(out)
    for bad in (b"{", b"[]", json.dumps({"format": "cpted_sim-output",
                                         "files": {"../x": {"size": 1, "sha256": "0"}}}).encode()):
        (out / MANIFEST).write_bytes(bad)
        with pytest.raises(OutputFolderError):
            verify_output(out)


def test_recover_output_brings_back_an_old_folder_left_aside(tmp_path):
    out = tmp_path / "out"
    _write(out, {"a.txt": b"old"})
    aside = tmp_path / ".out.old-123456"
    os.rename(out, aside)  # what a run killed between the two renames leaves
    (tmp_path / ".out.tmp-abcdef").mkdir()
    live = tmp_path / f".out.tmp-{os.getpid()}-abc"  # a running writer's: left alone
    live.mkdir()
    recover_output(out)
    assert (out / "a.txt").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "out"]


def test_symlinked_and_nul_targets(tmp_path):
    real = tmp_path / "real"
    _write(real, {"a.txt": b"1"})
    link = tmp_path / "link"
    link.symlink_to(real)
    _write(link, {"a.txt": b"2"})
    assert link.is_symlink() and (real / "a.txt").read_bytes() == b"2"
    with pytest.raises(OutputFolderError, match="NUL byte"):
        check_output_folder(str(tmp_path / "a\x00b"))


# ----------------------------------------------------------------------------- kill test
def _instrument(kill_at: int, counter_file: Path | None):
    """In the child: count every file-system step of the write and SIGKILL at ``kill_at``."""
    state = {"n": 0}

    def tick():
        state["n"] += 1
        if state["n"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(fn):
        def inner(*a, **k):
            tick()
            return fn(*a, **k)
        return inner

    os.rename = wrap(os.rename)
    os.replace = wrap(os.replace)
    os.unlink = wrap(os.unlink)
    os.rmdir = wrap(os.rmdir)
    of._exchange = wrap(of._exchange)
    of._step = wrap(of._step)
    builtins.open = io.open = wrap(io.open)  # pathlib opens through io.open
    return state


def _child_write(comparison, out, method, kill_at, counter_file=None):
    pid = os.fork()
    if pid == 0:  # child: write the report, killed at step ``kill_at``
        code = 0
        try:
            # GNU OpenMP aborts a forked child that enters a parallel region once the parent
            # has used one (earlier tests did): the report's shadow notes trace rays with the
            # parallel kernels, so the child writes them without (files, not reasons, are what
            # this test checks)
            report_reasons._Shadows.note = lambda self, result, pts: ""
            state = _instrument(kill_at, counter_file)
            write_report(comparison, out, maps=False, meshes=False, swap=method)
            if counter_file is not None:  # os.write: not a counted step
                fd = os.open(counter_file, os.O_WRONLY | os.O_CREAT)
                os.write(fd, str(state["n"]).encode())
                os.close(fd)
        except BaseException:  # noqa: BLE001 - report through the exit code
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert not os.WIFSIGNALED(status) or os.WTERMSIG(status) == signal.SIGKILL, \
        f"the writer died of signal {os.WTERMSIG(status)}, not of the test's SIGKILL"
    return status


def _side(out: Path, old_ref: Path, new_ref: Path) -> str:
    """'old' or 'new': which complete report ``out`` holds (fails on any mix)."""
    doc = verify_output(out, recover=False)
    names = set(doc["files"])
    sides = []
    for label, ref in (("old", old_ref), ("new", new_ref)):
        ref_names = set(json.loads((ref / MANIFEST).read_text())["files"])
        same = names == ref_names and all(
            (out / n).read_bytes() == (ref / n).read_bytes()
            for n in ("metrics.csv", "fields.npz"))
        if same:
            sides.append(label)
    assert len(sides) == 1, f"{out} holds a mix: {sorted(names)}"
    title = "Old street" if sides[0] == "old" else "New street"
    for n in ("report.html", "report.md", "metrics.json"):
        assert title in (out / n).read_text(encoding="utf-8"), (n, sides)
    return sides[0]


@pytest.fixture(scope="module")
def two_reports():
    c = make_comparison(spacing=2.0)
    old = replace(c, base=replace(c.base, scenario_name="Old street"))
    new_table = [dict(r, value=(r["value"] + 1.0 if isinstance(r["value"], float) else r["value"]))
                 for r in c.table]
    new = replace(c, base=replace(c.base, scenario_name="New street"), table=new_table)
    return old, new


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill test forks a writer (POSIX)")
@pytest.mark.parametrize("method", METHODS)
def test_report_killed_while_writing_leaves_old_or_new_never_a_mix(tmp_path, method,
                                                                   two_reports):
    method = _method(method, tmp_path)
    old, new = two_reports
    old_ref, new_ref = tmp_path / "old_ref", tmp_path / "new_ref"
    write_report(old, old_ref, maps=False, meshes=False)
    write_report(new, new_ref, maps=False, meshes=False)
    # the old report carries a file the new one does not write: it must not survive beside new
    old_names = set(json.loads((old_ref / MANIFEST).read_text())["files"])
    assert old_names - {"manifest.json"} >= {"report.html", "metrics.csv", "fields.npz"}
    # count the steps of one uninterrupted write
    count_dir = tmp_path / "count"
    count_dir.mkdir()
    target = count_dir / "out"
    write_report(old, target, maps=False, meshes=False, swap=method)
    counter = count_dir / "n.txt"
    assert os.WEXITSTATUS(_child_write(new, target, method, -1, counter)) == 0
    n_steps = int(counter.read_text())
    assert n_steps > 20  # measured: 29 with exchange (opens, renames, unlinks, named steps)
    rng = np.random.default_rng(20261203)
    points = sorted(set(rng.choice(np.arange(1, n_steps + 1), size=8, replace=False).tolist())
                    | set(range(max(1, n_steps - 12), n_steps + 1)))  # all around the swap
    seen = {"old": 0, "new": 0}
    for k in points:
        case = tmp_path / f"k{k}"
        case.mkdir()
        out = case / "out"
        shutil.copytree(old_ref, out)
        status = _child_write(new, out, method, k)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, k
        if method == "exchange":
            # one system call swaps the folders: the target is complete at every instant
            assert out.is_dir(), k
            seen[_side(out, old_ref, new_ref)] += 1
        recover_output(out)  # what the next run (or verify_output) does first
        seen[_side(out, old_ref, new_ref)] += 1
        assert sorted(p.name for p in case.iterdir()) == ["out"], k  # leftovers cleaned
    assert seen["old"] > 0 and seen["new"] > 0, seen  # killed both before and after the swap
