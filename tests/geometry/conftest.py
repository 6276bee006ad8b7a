"""Ray engines as a test parameter: every engine the library registers, available or not.

A peer engine whose optional dependency is missing (``embree`` without ``embreex``, ``trimesh``
without ``rtree``) gives a visible skip that names it and the install command, instead of
silently dropping out of the parametrisation.
"""

from __future__ import annotations

import pytest

from cpted_sim.errors import EngineUnavailableError
from cpted_sim.geometry.engines import ENGINES, get_engine

ALL_ENGINES = sorted(ENGINES)


@pytest.fixture(params=ALL_ENGINES)
def engine(request) -> str:
    """The name of a registered engine; skips with the install hint where it is missing."""
    try:
        get_engine(request.param)
    except EngineUnavailableError as exc:
        pytest.skip(f"peer engine missing, nothing to compare: {exc}")
    return request.param
