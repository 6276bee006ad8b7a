"""A small STL reader of our own: binary and ASCII, every triangle or a one-line error.

trimesh's STL reader answers a damaged file with errors from deep inside (a missing
``charset_normalizer`` module, a numpy reshape) and reads a truncated binary file as far as it
goes. This one checks the binary triangle count against the file size and the ASCII grammar
line by line (``solid``, ``facet normal``, ``outer loop``, three ``vertex`` lines, ``endloop``,
``endfacet``, ``endsolid``), so a short file is a :class:`~cpted_sim.errors.MeshError` with the
counts expected and found.
"""

from __future__ import annotations

import numpy as np

from ..errors import MeshError

__all__ = ["parse_stl"]

_HEADER = 84
#: ASCII grammar: the keywords each state accepts next.
_EXPECTED = {
    "outside": ("solid",), "solid": ("facet", "endsolid"), "facet": ("outer",),
    "loop": ("vertex", "endloop"), "endloop": ("endfacet",), "done": ("solid",),
}
_RECORD = np.dtype([("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])


def parse_stl(data: bytes, name: str) -> np.ndarray:
    """The triangles of an STL file held in ``data``.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        The file's name, for messages.

    Returns
    -------
    (n, 3, 3) float64
        The corners of every triangle [file units] (float32 values for binary files).

    Raises
    ------
    MeshError
        A binary file shorter than its triangle count says, an ASCII file that breaks the
        grammar (named by line) or ends early.
    """
    n = -1
    if len(data) >= _HEADER:
        n = int(np.frombuffer(data, dtype="<u4", count=1, offset=80)[0])
        if len(data) == _HEADER + n * _RECORD.itemsize:
            return _binary(data, n)
    if data.lstrip()[:5].lower() == b"solid":
        try:
            return _ascii(data, name)
        except MeshError:
            # Some writers start a binary header with "solid" and pad the file: binary then.
            if not (0 < n and len(data) > _HEADER + n * _RECORD.itemsize
                    and b"facet" not in data[:_HEADER + 200]):
                raise
    if len(data) < _HEADER:
        raise MeshError(f"{name}: not an STL file ({len(data)} bytes: shorter than a binary "
                        "STL header and not ASCII 'solid ...')")
    found = (len(data) - _HEADER) // _RECORD.itemsize
    if found < n:
        raise MeshError(f"{name}: binary STL announces {n} triangles, the file holds {found} "
                        "(truncated)")
    # Longer than announced: some writers pad; the announced triangles are read.
    return _binary(data, n)


def _binary(data: bytes, n: int) -> np.ndarray:
    table = np.frombuffer(data, dtype=_RECORD, count=n, offset=_HEADER)
    return table["v"].astype(np.float64)


def _ascii(data: bytes, name: str) -> np.ndarray:
    text = data.decode("latin-1")
    corners: list[tuple[float, float, float]] = []
    state = "outside"  # outside -> solid -> facet -> loop -> endloop -> solid ... -> done
    in_facet = 0
    n_facets = 0
    lineno = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        tok = raw.split()
        if not tok:
            continue
        key = tok[0].lower()
        expected = _EXPECTED[state]
        if key not in expected:
            raise MeshError(f"{name} line {lineno}: expected {' or '.join(map(repr, expected))} "
                            f"in ASCII STL, got {raw.strip()[:60]!r}")
        if key == "solid":
            state = "solid"
        elif key == "facet":
            if len(tok) != 5 or tok[1].lower() != "normal":
                raise MeshError(f"{name} line {lineno}: expected 'facet normal NX NY NZ', got "
                                f"{raw.strip()[:60]!r}")
            state, in_facet = "facet", 0
        elif key == "outer":
            if len(tok) != 2 or tok[1].lower() != "loop":
                raise MeshError(f"{name} line {lineno}: expected 'outer loop', got "
                                f"{raw.strip()[:60]!r}")
            state = "loop"
        elif key == "vertex":
            try:
                if len(tok) != 4:
                    raise ValueError
                corners.append((float(tok[1]), float(tok[2]), float(tok[3])))
            except ValueError:
                raise MeshError(f"{name} line {lineno}: expected 'vertex X Y Z', got "
                                f"{raw.strip()[:60]!r}") from None
            in_facet += 1
            if in_facet > 3:
                raise MeshError(f"{name} line {lineno}: a facet with more than 3 vertices")
        elif key == "endloop":
            if in_facet != 3:
                raise MeshError(f"{name} line {lineno}: a facet with {in_facet} vertices, "
                                "expected 3")
            state = "endloop"
        elif key == "endfacet":
            state = "solid"
            n_facets += 1
        elif key == "endsolid":
            state = "done"
    if state != "done":
        raise MeshError(f"{name}: the ASCII STL ends at line {lineno} inside "
                        f"{'a facet' if state in ('facet', 'loop', 'endloop') else 'a solid'} "
                        f"after {n_facets} complete facets, without 'endsolid' (truncated)")
    return np.asarray(corners, dtype=np.float64).reshape(-1, 3, 3)
