"""Where the ``../shared/data`` folder of real third-party files is (a plain module, so tests
in any folder can import it: every sub-folder's ``conftest`` shares that one module name)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def shared_dir() -> Path:
    """``$CPTED_SIM_SHARED_DATA``, else ``../shared/data`` beside the checkout: the one place the
    scenario files and examples that name shared files (``../shared/...``) look too."""
    env = os.environ.get("CPTED_SIM_SHARED_DATA")
    return Path(env) if env else SHARED
