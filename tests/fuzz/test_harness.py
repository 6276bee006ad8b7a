"""The harness itself must be able to fail: foreign errors, hangs and memory blow-ups."""

from __future__ import annotations

import time

import pytest
from _harness import CaseTimeout, assert_only_library_errors, bounded

from cpted_sim.errors import MeshError


def _reader(case):
    if case == "foreign":
        raise KeyError("x")
    if case == "library":
        raise MeshError("bad mesh")
    return case


def test_counts_library_errors_and_successes():
    counts = assert_only_library_errors(_reader, ["ok", "library", "ok"])
    assert counts == {"ok": 2, "MeshError": 1}


def test_foreign_error_is_a_finding():
    with pytest.raises(AssertionError, match="KeyError"):
        assert_only_library_errors(_reader, ["ok", "foreign"])


def test_alarm_stops_a_hang():
    with pytest.raises(CaseTimeout), bounded(seconds=0.2):
        time.sleep(5)


def test_memory_limit_stops_a_blow_up():
    with pytest.raises(MemoryError), bounded(extra_bytes=256 * 2**20):
        bytearray(1024 * 2**20)
