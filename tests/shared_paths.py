"""Where the ``../shared/data`` folder of real third-party files is (a plain module, so tests
in any folder can import it: every sub-folder's ``conftest`` shares that one module name)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def shared_dir() -> Path:
    """``$CPTED_SIM_SHARED_DATA``, else ``../shared/data`` beside the checkout, else beside the
    folder that holds the checkout (git worktrees in ``<project>/wt/<branch>``)."""
    env = os.environ.get("CPTED_SIM_SHARED_DATA")
    if env:
        return Path(env)
    for candidate in (SHARED, ROOT.parent.parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return SHARED
