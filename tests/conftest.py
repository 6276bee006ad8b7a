"""Shared fixtures: seeded randomness and the path to ../shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shared_paths import shared_dir as _shared_dir


@pytest.fixture
def rng():
    """A seeded generator: every random test is deterministic."""
    return np.random.default_rng(20261129)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip where it is absent."""
    data = _shared_dir()
    if not data.is_dir():
        pytest.skip(f"../shared/data not found beside the checkout ({data}); "
                    "these tests read real third-party files that the project does not ship")
    return data
