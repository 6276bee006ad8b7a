"""Shared fixtures: seeded randomness and the path to ../shared data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def rng():
    """A seeded generator: every random test is deterministic."""
    return np.random.default_rng(20261129)


def _shared_dir() -> Path:
    """``$CPTED_SIM_SHARED_DATA``, else ``../shared/data`` beside the checkout, else beside the
    folder that holds the checkout (git worktrees in ``<project>/wt/<branch>``)."""
    env = os.environ.get("CPTED_SIM_SHARED_DATA")
    if env:
        return Path(env)
    for candidate in (SHARED, ROOT.parent.parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return SHARED


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip where it is absent."""
    data = _shared_dir()
    if not data.is_dir():
        pytest.skip(f"../shared/data not found beside the checkout ({data}); "
                    "these tests read real third-party files that the project does not ship")
    return data
