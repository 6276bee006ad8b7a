"""Opening input files safely: resolved, regular, bounded, and (when asked) inside a folder.

Every file the library reads goes through :func:`checked_input` first, so that a path given in
a scenario file or inside a photometric file cannot make the library read a device
(``/dev/zero``, ``/dev/urandom``), block on a FIFO, follow a link out of the user's project,
or read a file too large to be what it claims to be. The error is raised as the caller's own
exception class (``MeshError``, ``PhotometryFormatError``, ``ScenarioFileError``), so each
reader keeps reporting in its own vocabulary.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InputFileError

__all__ = ["MAX_TEXT_BYTES", "MAX_MESH_BYTES", "checked_input", "read_bytes_checked",
           "read_text_checked"]

#: Largest photometric, scenario or tabular text file read [bytes] (64 MiB).
MAX_TEXT_BYTES = 64 * 2**20
#: Largest mesh or city-model file read [bytes] (4 GiB).
MAX_MESH_BYTES = 4 * 2**30


def _as_path(path, what: str, error: type[Exception]) -> Path:
    try:
        text = os.fspath(path)
    except TypeError:
        raise error(f"{what}: expected a file path, got {type(path).__name__}") from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "\x00" in text:
        raise error(f"{what}: the path {text!r} contains a NUL byte")
    if not text.strip():
        raise error(f"{what}: the path is empty")
    return Path(text)


def checked_input(path, *, what: str = "file", error: type[Exception] = InputFileError,
                  max_bytes: int = MAX_TEXT_BYTES, base_dir=None,
                  allow_outside: bool = False) -> Path:
    """Return ``path`` resolved, after checking that it may be read.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    what : str
        What the file is, for messages (``"TILT file"``, ``"mesh"``, ``"geometry.path"``).
    error : type
        Exception class raised, called with one message string.
    max_bytes : int
        Largest accepted size [bytes].
    base_dir : str or os.PathLike or None
        When given and ``allow_outside`` is false, the resolved file (links followed) must lie
        inside this folder.
    allow_outside : bool
        Accept files outside ``base_dir``.

    Returns
    -------
    pathlib.Path
        The resolved path of a regular file no larger than ``max_bytes``.

    Raises
    ------
    error
        Missing file, a folder, a device, FIFO or socket, a file over ``max_bytes``, a NUL byte
        in the path, or a file outside ``base_dir``.
    """
    p = _as_path(path, what, error)
    if base_dir is not None and not p.is_absolute():
        p = Path(base_dir) / p
    try:
        resolved = p.resolve(strict=True)
    except FileNotFoundError:
        raise error(f"{what}: {p}: no such file") from None
    except (OSError, RuntimeError) as exc:
        raise error(f"{what}: {p}: cannot be resolved ({exc.__class__.__name__}: {exc})") from None
    if base_dir is not None and not allow_outside:
        root = Path(base_dir).resolve()
        if not resolved.is_relative_to(root):
            raise error(f"{what}: {path} lies outside the folder {root} (links followed); "
                        "move the file into that folder or allow outside files explicitly")
    try:
        st = os.stat(resolved)
    except OSError as exc:
        raise error(f"{what}: {p}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what}: {p}: is a directory, expected a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{what}: {p}: is not a regular file (a device, FIFO or socket); "
                    "refusing to read it")
    if st.st_size > max_bytes:
        raise error(f"{what}: {p}: {st.st_size} bytes, more than the {max_bytes} bytes "
                    "accepted for this kind of file")
    return resolved


def read_bytes_checked(path, **kwargs) -> bytes:
    """Read a whole file after :func:`checked_input` (same keyword arguments).

    Memory is taken for what the file holds, never for the size limit: the first read asks for
    the size the file had when checked (plus one byte, to see growth), later reads for 1 MiB
    at a time until the end of the file or the limit.
    """
    error = kwargs.get("error", InputFileError)
    what = kwargs.get("what", "file")
    p = checked_input(path, **kwargs)
    limit = kwargs.get("max_bytes", MAX_TEXT_BYTES)
    try:
        with open(p, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            parts = [fh.read(min(size, limit) + 1)]
            total = len(parts[0])
            while total > size and total <= limit:  # grew since the check: read on, bounded
                more = fh.read(min(2**20, limit + 1 - total))
                if not more:
                    break
                parts.append(more)
                total += len(more)
    except OSError as exc:
        raise error(f"{what}: {p}: cannot be read ({exc.strerror})") from None
    if total > limit:  # grew past the limit since the check
        raise error(f"{what}: {p}: more than the {limit} bytes accepted")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_text_checked(path, *, encoding: str = "utf-8", **kwargs) -> str:
    """Read a text file after :func:`checked_input`; a leading UTF-8 BOM is dropped."""
    data = read_bytes_checked(path, **kwargs)
    error = kwargs.get("error", InputFileError)
    what = kwargs.get("what", "file")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise error(f"{what}: {path}: not {encoding} text (byte {exc.start})") from None
    return text.removeprefix("\ufeff")
