"""The one rule for files a scenario file names (layer L6): an existing regular file, bounded
in size, inside the scenario file's folder (links followed) unless the user allows outside
files (``load_scenario(..., allow_outside_files=True)``, ``cpted-sim --allow-outside-files``).

Every path key of a scenario file goes through :func:`scenario_file_path` (via
``_Reader.file``), so keys added later inherit the rule.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .._files import checked_input

__all__ = ["scenario_file_path"]


def scenario_file_path(rel: str, base_dir: Path, *, allow_outside: bool, max_bytes: int,
                       error: Callable[[str], Exception]) -> str:
    """The resolved path of ``rel`` (relative to ``base_dir``, the scenario file's folder).

    Parameters
    ----------
    rel : str
        The path as the scenario file gives it.
    base_dir : Path
        The scenario file's folder.
    allow_outside : bool
        Accept files outside ``base_dir``.
    max_bytes : int
        Largest accepted size [bytes].
    error : callable
        Makes the exception to raise from a message (it names the key and line).

    Raises
    ------
    Exception
        ``error(message)``: a missing file, a folder, device, FIFO or socket, a file over
        ``max_bytes``, or one outside ``base_dir`` when that is not allowed.
    """
    if rel.strip() and "\x00" not in rel and not os.path.exists(base_dir / rel):
        raise error(_cut(f"file not found: {rel} (looked for "
                         f"{os.path.abspath(base_dir / rel)})"))

    def refuse(message: str) -> Exception:
        if "outside the folder" in message:
            message = (f"the file {_cut(repr(rel), 200)} lies outside the scenario's folder "
                       f"{base_dir.resolve()} (links followed); move it into that folder, or "
                       "allow outside files: load_scenario(..., allow_outside_files=True), "
                       "cpted-sim --allow-outside-files")
        return error(_cut(message))

    return str(checked_input(rel, what="file", error=refuse, max_bytes=max_bytes,
                             base_dir=base_dir, allow_outside=allow_outside))


def _cut(message: str, limit: int = 600) -> str:
    """A message naming a very long path, cut in the middle to about ``limit`` characters."""
    half = limit // 2
    return message if len(message) <= limit else message[:half] + " ... " + message[-half:]
