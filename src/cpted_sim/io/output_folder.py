"""Output folders written atomically, with a manifest (layer L6).

A run never writes into its target folder directly. :class:`OutputFolder` gives it a fresh
temporary folder beside the target (``.<name>.tmp-<random>``, same file system); when the run
has written everything, ``manifest.json`` (every file with its size and SHA-256) is written,
the files are flushed to disk, and the temporary folder is swapped into place:

- ``"exchange"`` (Linux >= 3.15): ``renameat2(RENAME_EXCHANGE)`` through ctypes swaps the two
  folders in one system call; the old folder, now under the temporary name, is then deleted.
  At every instant the target is either the old complete folder or the new one.
- ``"rename"`` (elsewhere): the old folder is renamed aside (``.<name>.old-<random>``), the new
  one renamed into place, the old deleted. A run killed between the two renames leaves no
  target but a complete old folder aside; :func:`recover_output` (called by every
  :class:`OutputFolder` before it starts, and by :func:`verify_output`) renames it back.

Files of an earlier run that the new run did not write are gone after the swap. A target that
exists, is not empty and has no ``manifest.json`` is refused (:func:`check_output_folder`):
it is not ours, and we do not delete what we did not write.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import secrets
import shutil
import time
from pathlib import Path

from .._version import __version__
from ..errors import OutputFolderError

__all__ = ["MANIFEST", "OutputFolder", "check_output_folder", "verify_output",
           "recover_output", "exchange_supported"]

MANIFEST = "manifest.json"
_FORMAT = "cpted_sim-output"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _step(name: str) -> None:
    """A named point in the sequence of writing (a no-op; the kill test hooks it)."""


# ---------------------------------------------------------------- swap methods
def _libc():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = lib.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _libc() if os.name == "posix" else None


def _exchange(a: Path, b: Path) -> None:
    """Swap the folders ``a`` and ``b`` in one system call (OSError when not supported)."""
    if _RENAMEAT2 is None:
        raise OSError("renameat2 is not available")
    rc = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a))


def exchange_supported(folder) -> bool:
    """Whether ``renameat2(RENAME_EXCHANGE)`` works in ``folder`` (tried on two empty folders)."""
    folder = Path(folder)
    a = folder / f".cpted-xchg-{secrets.token_hex(4)}"
    b = folder / f".cpted-xchg-{secrets.token_hex(4)}"
    try:
        a.mkdir()
        b.mkdir()
        _exchange(a, b)
        return True
    except OSError:
        return False
    finally:
        for p in (a, b):
            with _suppress():
                p.rmdir()


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)


def _fsync_dir(path: Path) -> None:
    with _suppress():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------- manifest
def _hash_file(path: Path, sync: bool) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
        if sync:
            os.fsync(fh.fileno())
    return size, h.hexdigest()


def _listing(folder: Path) -> list[str]:
    out = []
    for p in sorted(folder.rglob("*")):
        if p.is_symlink() or not p.is_dir():
            out.append(p.relative_to(folder).as_posix())
    return out


def _write_manifest(folder: Path) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    rels = [rel for rel in _listing(folder) if rel != MANIFEST]
    for rel in rels:
        p = folder / rel
        if p.is_symlink() or not p.is_file():
            raise OutputFolderError(f"{folder}: {rel} is not a regular file; outputs are files")
    files = {}
    # hashing and fsync release the GIL: on threads the file system commits the files'
    # data together instead of once per file (a report writes 50 files)
    with ThreadPoolExecutor(max_workers=min(8, len(rels) or 1)) as pool:
        for rel, (size, digest) in zip(rels, pool.map(
                lambda r: _hash_file(folder / r, sync=True), rels)):
            files[rel] = {"size": size, "sha256": digest}
            _step(f"hashed {rel}")
    doc = {"format": _FORMAT, "version": 1, "cpted_sim": __version__,
           "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": files}
    tmp = folder / (MANIFEST + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / MANIFEST)
    for sub in {(folder / r).parent for r in files} | {folder}:
        _fsync_dir(sub)
    return doc


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise OutputFolderError(f"{folder}: no {MANIFEST}; not a complete cpted_sim output "
                                "folder") from None
    except OSError as exc:
        raise OutputFolderError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OutputFolderError(f"{path}: not valid JSON ({exc})") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or not isinstance(files, dict):
        raise OutputFolderError(f"{path}: not a cpted_sim manifest (expected format "
                                f"{_FORMAT!r} and a 'files' table)")
    for rel, entry in files.items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("size"), int)
                or not isinstance(entry.get("sha256"), str)):
            raise OutputFolderError(f"{path}: entry {rel!r} needs an integer size and a sha256")
        if rel.startswith("/") or ".." in rel.split("/") or not rel:
            raise OutputFolderError(f"{path}: entry {rel!r} is not a path inside the folder")
    return doc


def verify_output(folder, *, recover: bool = True) -> dict:
    """Check an output folder against its manifest; return the manifest.

    With ``recover`` (default), :func:`recover_output` runs first (a run killed mid-swap is
    finished or undone).

    Raises
    ------
    OutputFolderError
        No folder or manifest, a malformed manifest, a file missing, of another size or
        content, or a file the manifest does not list.
    """
    folder = Path(folder)
    if recover:
        recover_output(folder)
    if not folder.is_dir():
        raise OutputFolderError(f"{folder}: no such output folder")
    doc = _read_manifest(folder)
    files = doc["files"]
    for rel, entry in files.items():
        p = folder / rel
        if not p.is_file():
            raise OutputFolderError(f"{folder}: {rel} is listed in {MANIFEST} but missing")
        size, digest = _hash_file(p, sync=False)
        if size != entry["size"] or digest != entry["sha256"]:
            raise OutputFolderError(f"{folder}: {rel} differs from {MANIFEST} ({size} bytes, "
                                    f"sha256 {digest[:12]}…; listed {entry['size']} bytes, "
                                    f"{entry['sha256'][:12]}…)")
    extra = [r for r in _listing(folder) if r != MANIFEST and r not in files]
    if extra:
        raise OutputFolderError(f"{folder}: {len(extra)} file(s) not in {MANIFEST}: "
                                f"{', '.join(extra[:5])}")
    return doc


# ---------------------------------------------------------------- recovery and checks
def _sibling_name(target: Path, kind: str) -> Path:
    """``.<name>.<kind>-<pid>-<random>`` beside ``target``."""
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(6)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _siblings(target: Path, kind: str) -> list[Path]:
    """Our temporary (``tmp``) or set-aside (``old``) folders of ``target`` whose writer is
    gone (another live process's are left alone)."""
    parent = target.parent
    if not parent.is_dir():
        return []
    prefix = f".{target.name}.{kind}-"
    out = []
    for p in sorted(parent.iterdir()):
        if not p.name.startswith(prefix) or not p.is_dir() or p.is_symlink():
            continue
        pid = p.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and _alive(int(pid)):
            continue
        out.append(p)
    return out


def recover_output(target) -> None:
    """Finish or undo a swap that a killed run left half done.

    A target that is missing while a complete old folder (``.<name>.old-*`` with a valid
    manifest) lies beside it gets that folder back. Left-over temporary and old folders of
    our own naming are deleted, unless the process that made them (its id is in the name) is
    still running: two runs writing the same folder do not delete each other's work.
    """
    target = Path(target)
    olds = _siblings(target, "old")
    if not target.exists():
        for old in reversed(olds):
            try:
                _read_manifest(old)
            except OutputFolderError:
                continue
            os.rename(old, target)
            olds.remove(old)
            break
    for p in olds + _siblings(target, "tmp"):
        shutil.rmtree(p, ignore_errors=True)


def check_output_folder(target) -> Path:
    """Check, before any computing, that ``target`` can receive a run's output.

    Raises
    ------
    OutputFolderError
        ``target`` is a file, its parent cannot be created or written, or it is a folder that
        is not empty and has no ``manifest.json`` (not written by cpted_sim: refused rather
        than deleted).
    """
    text = os.fspath(target)
    if "\x00" in str(text):
        raise OutputFolderError(f"output folder {str(text)!r}: the path contains a NUL byte")
    target = Path(os.path.abspath(text))
    if target.is_symlink():  # write beside the real folder, and replace it, not the link
        target = Path(os.path.realpath(target))
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"output folder {target}: exists and is not a folder")
    if target.is_dir() and not (target / MANIFEST).is_file():
        try:
            empty = next(target.iterdir(), None) is None
        except OSError as exc:
            raise OutputFolderError(f"output folder {target}: cannot be read ({exc.strerror})"
                                    ) from None
        if not empty:
            raise OutputFolderError(f"output folder {target}: not empty and has no {MANIFEST}, "
                                    "so it was not written by cpted_sim; choose a new or empty "
                                    "folder")
    ancestor = target.parent  # nothing is created here: the nearest existing folder decides
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputFolderError(f"output folder {target}: its parent cannot be created "
                                f"({ancestor} is not a folder)")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputFolderError(f"output folder {target}: {ancestor} is not writable")
    return target


class OutputFolder:
    """Write a run's files into a temporary folder, then swap it into place.

    Parameters
    ----------
    target : path-like
        The output folder (checked by :func:`check_output_folder`).
    method : {"auto", "exchange", "rename"}
        How to swap (module docstring); ``"auto"`` uses ``exchange`` where it works.

    Examples
    --------
    >>> with OutputFolder("out") as tmp:           # doctest: +SKIP
    ...     (tmp / "metrics.csv").write_text("...")
    """

    def __init__(self, target, *, method: str = "auto"):
        if method not in ("auto", "exchange", "rename"):
            raise OutputFolderError(f"method: expected 'auto', 'exchange' or 'rename', "
                                    f"got {method!r}")
        self.target = check_output_folder(target)
        self.method = method
        self.tmp: Path | None = None
        self.manifest: dict | None = None

    def __enter__(self) -> Path:
        recover_output(self.target)
        self.target = check_output_folder(self.target)
        tmp = _sibling_name(self.target, "tmp")
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            tmp.mkdir()
        except OSError as exc:
            raise OutputFolderError(f"output folder {self.target}: cannot create {tmp.name} "
                                    f"beside it ({exc.strerror or exc})") from None
        self.tmp = tmp
        _step("tmp created")
        return tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        tmp, self.tmp = self.tmp, None
        if tmp is None:
            return
        if exc_type is not None:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        try:
            self.manifest = _write_manifest(tmp)
            _step("manifest written")
            self._swap(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _swap(self, tmp: Path) -> None:
        target = self.target
        if not target.exists():
            os.rename(tmp, target)
            _step("renamed into place")
            _fsync_dir(target.parent)
            return
        method = self.method
        if method == "auto":
            method = "exchange" if _RENAMEAT2 is not None else "rename"
        if method == "exchange":
            try:
                _exchange(tmp, target)
            except OSError:
                if self.method == "exchange":
                    raise
                method = "rename"  # file system without RENAME_EXCHANGE
            else:
                _step("exchanged")
                _fsync_dir(target.parent)
                shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old output
                _step("old removed")
                return
        old = _sibling_name(target, "old")
        os.rename(target, old)
        _step("old moved aside")
        os.rename(tmp, target)
        _step("renamed into place")
        _fsync_dir(target.parent)
        shutil.rmtree(old, ignore_errors=True)
        _step("old removed")
