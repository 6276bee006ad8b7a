"""A small PLY reader of our own: ASCII, binary little and big endian; vertices and polygons.

trimesh's PLY reader fans every polygon from its first corner (a concave polygon then covers
area it does not have) and loads a truncated ASCII file with fewer faces without a word. This
reader keeps ``x, y, z`` of the ``vertex`` element in float64, reads the ``face`` element's
``vertex_indices`` (or ``vertex_index``) lists of any length, skips every other element and
property, and triangulates polygons through :mod:`._triangulate`. Anything short of what the
header announces is a :class:`~cpted_sim.errors.MeshError` with the counts expected and found.

Reference: Greg Turk, "The PLY Polygon File Format" (1994), http://paulbourke.net/dataformats/ply/
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import MeshError

__all__ = ["PlyMesh", "parse_ply"]

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}
_FORMATS = {"ascii": None, "binary_little_endian": "<", "binary_big_endian": ">"}
_FACE_LISTS = ("vertex_indices", "vertex_index")
#: Longest header accepted [bytes]; real headers are a few hundred bytes.
_MAX_HEADER = 1 << 20
#: Most corners accepted in one polygon.
_MAX_CORNERS = 1 << 16


class PlyMesh(NamedTuple):
    """What :func:`parse_ply` read.

    Attributes
    ----------
    vertices : (v, 3) float64
        ``x, y, z`` of every vertex [file units].
    indices : (k,) int64
        The corners of every face, one face after another.
    counts : (p,) int64
        Corners of each face.
    """

    vertices: np.ndarray
    indices: np.ndarray
    counts: np.ndarray


class _Prop(NamedTuple):
    name: str
    dtype: str  # numpy type code without byte order
    count_dtype: str | None  # list properties: the type of the count


class _Element(NamedTuple):
    name: str
    count: int
    props: list


def _header(data: bytes, name: str):
    end = data.find(b"end_header", 0, _MAX_HEADER)
    if not data.startswith(b"ply") or end < 0:
        what = "no 'end_header' line" if data.startswith(b"ply") else "does not start with 'ply'"
        raise MeshError(f"{name}: not a PLY file ({what})")
    nl = data.find(b"\n", end)
    body = len(data) if nl < 0 else nl + 1
    try:
        text = data[:end].decode("ascii")
    except UnicodeDecodeError as exc:
        raise MeshError(f"{name}: the PLY header is not ASCII text (byte {exc.start})") from None
    fmt = None
    elements: list[_Element] = []
    lines = text.splitlines()
    for lineno, line in enumerate(lines, 1):
        tok = line.split()
        if not tok or tok[0] in ("comment", "obj_info") or (lineno == 1 and tok == ["ply"]):
            continue
        where = f"{name} line {lineno}"
        if tok[0] == "format":
            if len(tok) != 3 or tok[1] not in _FORMATS or tok[2] != "1.0":
                raise MeshError(f"{where}: expected 'format ascii|binary_little_endian|"
                                f"binary_big_endian 1.0', got {line.strip()[:60]!r}")
            fmt = tok[1]
        elif tok[0] == "element":
            if (len(tok) != 3 or not tok[2].isdigit() or not tok[2].isascii()
                    or len(tok[2]) > 18):
                raise MeshError(f"{where}: expected 'element NAME COUNT', got "
                                f"{line.strip()[:60]!r}")
            if elements and not elements[-1].props:
                raise MeshError(f"{where}: element {elements[-1].name!r} has no properties")
            elements.append(_Element(tok[1], int(tok[2]), []))
        elif tok[0] == "property":
            if not elements:
                raise MeshError(f"{where}: a property before any element")
            if len(tok) == 3 and tok[1] in _TYPES:
                prop = _Prop(tok[2], _TYPES[tok[1]], None)
            elif (len(tok) == 5 and tok[1] == "list" and tok[2] in _TYPES and tok[3] in _TYPES
                  and _TYPES[tok[2]][0] in "iu" and _TYPES[tok[3]][0] in "iu" + "f"):
                prop = _Prop(tok[4], _TYPES[tok[3]], _TYPES[tok[2]])
            else:
                raise MeshError(f"{where}: expected 'property TYPE NAME' or 'property list "
                                f"COUNTTYPE TYPE NAME', got {line.strip()[:60]!r}")
            elements[-1].props.append(prop)
        else:
            raise MeshError(f"{where}: unknown PLY header keyword {tok[0][:30]!r}")
    if fmt is None:
        raise MeshError(f"{name}: the PLY header has no 'format' line")
    if elements and not elements[-1].props:
        raise MeshError(f"{name}: element {elements[-1].name!r} has no properties")
    return fmt, elements, body


def _vertex_columns(el: _Element, name: str) -> list[int]:
    names = [p.name for p in el.props]
    cols = []
    for axis in ("x", "y", "z"):
        if axis not in names:
            raise MeshError(f"{name}: the PLY vertex element has no {axis!r} property")
        k = names.index(axis)
        if el.props[k].count_dtype is not None:
            raise MeshError(f"{name}: the PLY vertex property {axis!r} is a list, expected a "
                            "number")
        cols.append(k)
    return cols


def _face_column(el: _Element, name: str) -> int:
    for k, p in enumerate(el.props):
        if p.name in _FACE_LISTS and p.count_dtype is not None:
            if p.dtype[0] not in "iu":
                raise MeshError(f"{name}: the PLY face list {p.name!r} holds {p.dtype}, expected "
                                "integer vertex indices")
            return k
    raise MeshError(f"{name}: the PLY face element has no 'vertex_indices' list")


def parse_ply(data: bytes, name: str) -> PlyMesh:
    """Read the vertices and faces of a PLY file held in ``data``.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        The file's name, for messages.

    Returns
    -------
    PlyMesh

    Raises
    ------
    MeshError
        Not a PLY file, a malformed header, no vertex element or no ``x``/``y``/``z``, a file
        shorter than its header announces (the message gives the counts expected and found),
        a malformed ASCII line (named by its number), a face with fewer than 3 corners.
    """
    fmt, elements, body = _header(data, name)
    names = [e.name for e in elements]
    if "vertex" not in names:
        raise MeshError(f"{name}: the PLY file has no 'vertex' element")
    if fmt == "ascii":
        return _read_ascii(data, body, elements, name)
    return _read_binary(data, body, elements, _FORMATS[fmt], name)


# ---------------------------------------------------------------------- ASCII
def _read_ascii(data: bytes, body: int, elements, name: str) -> PlyMesh:
    try:
        text = data[body:].decode("ascii")
    except UnicodeDecodeError as exc:
        raise MeshError(f"{name}: the ASCII PLY body holds a non-ASCII byte at byte "
                        f"{body + exc.start}") from None
    lines = text.splitlines()
    first_line = data[:body].count(b"\n") + 1  # line number of lines[0]
    filled = [i for i, line in enumerate(lines) if line and not line.isspace()]
    pos = 0  # index into ``filled`` of the next element's first line
    vertices = np.empty((0, 3))
    indices = np.empty(0, dtype=np.int64)
    counts = np.empty(0, dtype=np.int64)
    for el in elements:
        if pos + el.count > len(filled):
            raise MeshError(f"{name}: the file ends after {len(filled) - pos} of the {el.count} "
                            f"{el.name!r} elements its header announces (truncated)")
        rows = [(first_line + i, lines[i]) for i in filled[pos:pos + el.count]]
        pos += el.count
        if el.name == "vertex":
            vertices = _ascii_vertices(rows, el, name)
        elif el.name == "face":
            indices, counts = _ascii_faces(rows, el, name)
    return PlyMesh(vertices, indices, counts)


def _ascii_row(lineno: int, line: str, el: _Element, name: str) -> list:
    """The values of one element line: a number per scalar, a list per list property."""
    tok = line.split()
    out, k = [], 0
    for p in el.props:
        if p.count_dtype is None:
            if k >= len(tok):
                raise MeshError(f"{name} line {lineno}: the {el.name} line ends before "
                                f"property {p.name!r}")
            out.append(tok[k])
            k += 1
        else:
            n = _int_token(tok[k] if k < len(tok) else None, lineno, name, f"{p.name} count")
            if n < 0 or n > _MAX_CORNERS or k + 1 + n > len(tok):
                raise MeshError(f"{name} line {lineno}: the list {p.name!r} announces {n} "
                                f"values, the line holds {max(len(tok) - k - 1, 0)}")
            out.append(tok[k + 1:k + 1 + n])
            k += 1 + n
    if k != len(tok):
        raise MeshError(f"{name} line {lineno}: {len(tok)} values on the {el.name} line, "
                        f"expected {k}")
    return out


def _int_token(tok, lineno: int, name: str, what: str) -> int:
    try:
        return int(tok)
    except (TypeError, ValueError):
        raise MeshError(f"{name} line {lineno}: expected an integer {what}, got "
                        f"{str(tok)[:30]!r}") from None


def _ascii_vertices(rows, el: _Element, name: str) -> np.ndarray:
    cols = _vertex_columns(el, name)
    simple = all(p.count_dtype is None for p in el.props)
    if simple:  # fast path: a table of numbers
        toks = [line.split() for _, line in rows]
        if all(len(t) == len(el.props) for t in toks):
            try:
                table = np.array(toks, dtype=np.float64).reshape(len(rows), len(el.props))
                return np.ascontiguousarray(table[:, cols])
            except ValueError:
                pass  # the line-by-line reader below names the line
    out = np.empty((len(rows), 3))
    for i, (lineno, line) in enumerate(rows):
        tok = line.split() if simple else _ascii_row(lineno, line, el, name)
        if simple and len(tok) != len(el.props):
            raise MeshError(f"{name} line {lineno}: {len(tok)} values on the vertex line, "
                            f"expected {len(el.props)}")
        try:
            out[i] = [float(tok[c]) for c in cols]
        except ValueError:
            raise MeshError(f"{name} line {lineno}: expected numbers for x, y, z, got "
                            f"{line.strip()[:60]!r}") from None
    return out


def _ascii_faces(rows, el: _Element, name: str):
    col = _face_column(el, name)
    if len(el.props) == 1 and rows:  # fast path: each line is "n i1 ... in"
        toks = [line.split() for _, line in rows]
        lens = np.fromiter(map(len, toks), dtype=np.int64, count=len(toks))
        try:
            flat = np.array([t for row in toks for t in row], dtype=np.int64)
            starts = np.cumsum(lens) - lens
            counts = flat[starts] if flat.size else np.zeros(0, np.int64)
            ok = bool(np.all(counts == lens - 1))
        except (ValueError, OverflowError, IndexError):
            ok = False
        if ok:
            keep = np.ones(flat.size, dtype=bool)
            keep[starts] = False
            return flat[keep], counts
    indices: list[int] = []
    counts = np.empty(len(rows), dtype=np.int64)
    for i, (lineno, line) in enumerate(rows):
        vals = _ascii_row(lineno, line, el, name)[col]
        counts[i] = len(vals)
        indices.extend(_int_token(t, lineno, name, "vertex index") for t in vals)
    return _as_index_array(indices, name), counts


def _as_index_array(indices, name: str) -> np.ndarray:
    big = [i for i in indices if not -2**62 < i < 2**62]
    if big:
        raise MeshError(f"{name}: a face refers to vertex {big[0]}, outside the file's vertices")
    return np.asarray(indices, dtype=np.int64)


# ---------------------------------------------------------------------- binary
def _read_binary(data: bytes, body: int, elements, order: str, name: str) -> PlyMesh:
    buf = memoryview(data)[body:]
    pos = 0
    vertices = np.empty((0, 3))
    indices = np.empty(0, dtype=np.int64)
    counts = np.empty(0, dtype=np.int64)
    for el in elements:
        if all(p.count_dtype is None for p in el.props):
            dt = np.dtype([(f"p{k}", order + p.dtype) for k, p in enumerate(el.props)])
            need = el.count * dt.itemsize
            if pos + need > len(buf):
                found = (len(buf) - pos) // max(dt.itemsize, 1)
                raise MeshError(f"{name}: the file ends after {found} of the {el.count} "
                                f"{el.name!r} elements its header announces (truncated)")
            table = np.frombuffer(buf, dtype=dt, count=el.count, offset=pos)
            pos += need
            if el.name == "vertex":
                cols = _vertex_columns(el, name)
                vertices = np.column_stack([table[f"p{c}"].astype(np.float64) for c in cols]) \
                    if el.count else np.empty((0, 3))
            continue
        if el.name == "vertex":
            _vertex_columns(el, name)
            raise MeshError(f"{name}: binary PLY vertex elements with list properties are not "
                            "supported")
        want = _face_column(el, name) if el.name == "face" else -1
        idx, cnt, pos = _binary_lists(buf, pos, el, order, want, name)
        if el.name == "face":
            indices, counts = idx, cnt
    return PlyMesh(vertices, indices, counts)


def _binary_lists(buf, pos: int, el: _Element, order: str, want: int, name: str):
    """Walk an element with list properties; return the ``want``-th list's values and counts."""
    scalar = [np.dtype(order + p.dtype) for p in el.props]
    count_t = [None if p.count_dtype is None else np.dtype(order + p.count_dtype)
               for p in el.props]
    fast = _uniform_lists(buf, pos, el, scalar, count_t, want)
    if fast is not None:
        return fast
    values: list[np.ndarray] = []
    counts: list[int] = []
    n_buf = len(buf)
    for i in range(el.count):
        for k, p in enumerate(el.props):
            ct = count_t[k]
            if ct is None:
                pos += scalar[k].itemsize
                continue
            if pos + ct.itemsize > n_buf:
                _short(el, i, name)
            n = int(np.frombuffer(buf, dtype=ct, count=1, offset=pos)[0])
            pos += ct.itemsize
            if n < 0 or n > _MAX_CORNERS:
                raise MeshError(f"{name}: {el.name} {i} announces a list of {n} values")
            if pos + n * scalar[k].itemsize > n_buf:
                _short(el, i, name)
            if k == want:
                values.append(np.frombuffer(buf, dtype=scalar[k], count=n, offset=pos))
                counts.append(n)
            pos += n * scalar[k].itemsize
        if pos > n_buf:
            _short(el, i, name)
    flat = np.concatenate(values).astype(np.int64) if values else np.empty(0, dtype=np.int64)
    return flat, np.asarray(counts, dtype=np.int64), pos


def _uniform_lists(buf, pos, el, scalar, count_t, want):
    """Fast path: every row's lists have the length of the first row's (triangle or quad
    meshes). Returns None when that does not hold."""
    if el.count == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), pos
    fields, p0 = [], pos
    for k, p in enumerate(el.props):
        if count_t[k] is None:
            fields.append((f"s{k}", scalar[k]))
            p0 += scalar[k].itemsize
            continue
        if p0 + count_t[k].itemsize > len(buf):
            return None
        n = int(np.frombuffer(buf, dtype=count_t[k], count=1, offset=p0)[0])
        if n < 0 or n > _MAX_CORNERS:
            return None
        fields.append((f"n{k}", count_t[k]))
        if n:
            fields.append((f"l{k}", scalar[k], (n,)))
        p0 += count_t[k].itemsize + n * scalar[k].itemsize
    dt = np.dtype(fields)
    if pos + el.count * dt.itemsize > len(buf):
        return None
    table = np.frombuffer(buf, dtype=dt, count=el.count, offset=pos)
    for k in range(len(el.props)):
        if count_t[k] is not None:
            n_k = dt[f"l{k}"].shape[0] if f"l{k}" in dt.names else 0
            if np.any(table[f"n{k}"] != n_k):
                return None
    if want < 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), pos + table.nbytes
    n_w = dt[f"l{want}"].shape[0] if f"l{want}" in dt.names else 0
    flat = table[f"l{want}"].astype(np.int64).reshape(-1) if n_w else np.empty(0, np.int64)
    return flat, np.full(el.count, n_w, dtype=np.int64), pos + table.nbytes


def _short(el: _Element, i: int, name: str):
    raise MeshError(f"{name}: the file ends after {i} of the {el.count} {el.name!r} elements "
                    "its header announces (truncated)")
