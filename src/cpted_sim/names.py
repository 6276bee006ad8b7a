"""Names of variants, areas and quantities, and the file names made from them (layer L0).

A result is written to a file named after its variant, area and quantity. Two rules keep one
result from silently replacing another:

- :func:`file_slug` is *injective*: a name made only of ``A-Z a-z 0-9 _ . -`` (not starting
  with ``.`` or ``-``, at most :data:`MAX_SLUG` characters) is its own slug; any other name
  (spaces, punctuation, non-Latin letters) becomes its ASCII slug plus ``-`` and the first
  8 hex digits of the SHA-256 of the exact name. So ``"North side"`` gives
  ``North-side-5d7e…`` and ``"North-side"`` stays ``North-side``; every Chinese name gets its
  own hash. The slug depends on the name only (stable across runs, machines and versions).
- :func:`check_unique_slugs` refuses names whose slugs differ only in letter case (they would
  share one file on macOS and Windows).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from .errors import ParameterError

__all__ = ["MAX_SLUG", "file_slug", "check_name", "check_unique_slugs"]

#: Longest slug kept without a hash (longer names are cut and hashed).
MAX_SLUG = 60

_SAFE = re.compile(r"[A-Za-z0-9_.-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


def _hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def file_slug(name) -> str:
    """A file-name-safe, unique and stable version of ``name``.

    Parameters
    ----------
    name : str
        Any name (variant, area, quantity, luminaire distribution).

    Returns
    -------
    str
        ``name`` itself when it is already safe (see the module docstring); otherwise the
        ASCII transliteration with runs of other characters as ``-``, cut to
        :data:`MAX_SLUG`, plus ``-`` and 8 hex digits of the SHA-256 of ``name``
        (``"x-<hash>"`` when nothing ASCII is left).
    """
    name = str(name)
    if (_SAFE.fullmatch(name) and len(name) <= MAX_SLUG and name[0] not in ".-"
            and name.split(".")[0].lower() not in _WINDOWS_RESERVED):
        return name
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = _UNSAFE.sub("-", ascii_).strip("-.")[:MAX_SLUG].rstrip("-.") or "x"
    return f"{base}-{_hash(name)}"


def check_name(name, what: str = "name") -> str:
    """Check that ``name`` can name a result; return it.

    Parameters
    ----------
    name : str
        The name.
    what : str
        What it names, for the message (``"variant"``, ``"areas[2].name"``).

    Raises
    ------
    ParameterError
        Not a string, empty or only blanks, contains ``/`` or ``\\``, or a control character
        (newline, tab, NUL, ...).
    """
    if not isinstance(name, str):
        raise ParameterError(f"{what}: expected a text name, got {type(name).__name__}")
    if not name.strip():
        raise ParameterError(f"{what} {name!r}: a name must not be empty")
    if "/" in name or "\\" in name:
        raise ParameterError(f"{what} {name!r}: a name must not contain '/' or '\\' "
                             "(it names files and keys of the results)")
    bad = [c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if bad:
        raise ParameterError(f"{what} {name!r}: a name must not contain control characters "
                             f"(found {', '.join(sorted({repr(c) for c in bad}))})")
    return name


def check_unique_slugs(names, what: str = "names") -> dict[str, str]:
    """Check every name (:func:`check_name`) and that no two share a file name.

    Parameters
    ----------
    names : iterable of str
        The names of one kind (all variants, all areas).
    what : str
        What they name, for the message.

    Returns
    -------
    dict str -> str
        Slug of each name.

    Raises
    ------
    ParameterError
        A bad name, a repeated name, or two names whose file names differ only in letter case.
    """
    slugs: dict[str, str] = {}
    seen: dict[str, str] = {}
    for n in names:
        check_name(n, what)
        if n in slugs:
            raise ParameterError(f"{what}: {n!r} is given twice")
        s = file_slug(n)
        key = s.casefold()
        if key in seen:
            raise ParameterError(f"{what}: {seen[key]!r} and {n!r} would share the file name "
                                 f"{s!r} on case-insensitive disks; rename one")
        seen[key] = n
        slugs[n] = s
    return slugs
