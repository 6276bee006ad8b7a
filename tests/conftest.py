"""Shared fixtures: seeded randomness and the path to ../shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def rng():
    """A seeded generator: every random test is deterministic."""
    return np.random.default_rng(20261129)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared/data not found beside the checkout ({SHARED}); "
                    "these tests read real third-party files that the project does not ship")
    return SHARED
