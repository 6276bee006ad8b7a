"""Tests for cpted_sim._files: only regular files, bounded, inside their folder when asked."""

import os

import pytest

from cpted_sim._files import checked_input, read_bytes_checked, read_text_checked
from cpted_sim.errors import InputFileError, MeshError


def test_regular_file_is_resolved(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("\ufeffhello")
    assert checked_input(f) == f.resolve()
    assert read_text_checked(f) == "hello"


def test_missing_directory_and_nul_byte(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        checked_input(tmp_path / "nope.ies", what="TILT file")
    with pytest.raises(InputFileError, match="is a directory"):
        checked_input(tmp_path)
    with pytest.raises(InputFileError, match="NUL byte"):
        checked_input("a\x00b")


def test_devices_and_fifos_are_refused(tmp_path):
    with pytest.raises(InputFileError, match="not a regular file"):
        checked_input("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(MeshError, match="not a regular file"):
        checked_input(fifo, error=MeshError)
    link = tmp_path / "zero.obj"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputFileError, match="not a regular file"):
        checked_input(link)


def test_size_limit(tmp_path):
    f = tmp_path / "big.ies"
    f.write_bytes(b"x" * 101)
    with pytest.raises(InputFileError, match="101 bytes"):
        checked_input(f, max_bytes=100)


def test_outside_base_dir(tmp_path):
    inner = tmp_path / "project"
    inner.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    (inner / "link.txt").symlink_to(outside)
    for p in ("../secret.txt", str(outside), "link.txt"):
        with pytest.raises(InputFileError, match="outside the folder"):
            checked_input(p, base_dir=inner)
    assert checked_input("../secret.txt", base_dir=inner, allow_outside=True) == outside.resolve()


def test_reading_takes_memory_for_the_file_not_for_the_limit(tmp_path):
    # before the fix, read(limit + 1) reserved the whole 8 GiB limit and failed here
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fuzz"))
    from _harness import bounded

    f = tmp_path / "small.ies"
    f.write_bytes(b"TILT=NONE\n")
    with bounded(extra_bytes=256 * 2**20):
        assert read_bytes_checked(f, max_bytes=8 * 2**30) == b"TILT=NONE\n"
