"""Results as files: the metric table as CSV and JSON, the fields as ``.npz``.

``metrics.csv``: numbers are written with :data:`CSV_DIGITS` significant digits (``%.10g``;
a relative rounding of at most 5e-10), ``nan`` for NaN, ``inf`` / ``-inf``, an empty cell for
None. Text cells that a spreadsheet would take for a formula (starting with ``= + - @``, tab
or carriage return) get a leading ``'`` (OWASP's CSV-injection advice); numbers are never
prefixed, and :func:`read_metrics_csv` removes the prefix again.

The ``.npz`` keys are ``<variant>/<area>/<quantity>`` for the values of every field,
``delta/<variant>/<area>/<quantity>`` for variant-minus-base fields, and
``grid/<area>/points`` (world [m]), ``grid/<area>/normals``, ``grid/<area>/shape``,
``grid/<area>/raster_index`` and ``grid/<area>/transform`` for the grids (of the base).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .._files import MAX_MESH_BYTES, MAX_TEXT_BYTES, checked_input, read_text_checked
from ..errors import ParameterError, ResultsFormatError
from ..names import check_name

__all__ = ["TABLE_COLUMNS", "CSV_DIGITS", "write_metrics_csv", "read_metrics_csv",
           "write_metrics_json",
           "write_fields_npz", "read_fields_npz", "field_arrays"]

log = logging.getLogger(__name__)

#: Columns of the metric table, in order.
TABLE_COLUMNS = ("variant", "area", "metric", "unit", "base", "value", "delta", "delta_pct",
                 "better")
_NUMERIC = ("base", "value", "delta", "delta_pct")


def _columns(rows) -> list[str]:
    cols = list(TABLE_COLUMNS)
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


#: Significant digits of the numbers in ``metrics.csv``.
CSV_DIGITS = 10
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula (also when it
    already starts with ``'`` before such a character, so that reading back is exact)."""
    if text.lstrip("'").startswith(_FORMULA_START):
        return "'" + text
    return text


def _restore(text: str) -> str:
    if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_START):
        return text[1:]
    return text


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        return f"{f:.{CSV_DIGITS}g}"  # inf and -inf as such; numbers are never prefixed
    return _neutralise(str(v))


def write_metrics_csv(rows, path) -> Path:
    """Write the metric table (list of dicts, :data:`TABLE_COLUMNS` first) as CSV.

    Floats are written with :data:`CSV_DIGITS` significant digits; NaN as ``nan``; None as an
    empty cell; text that could start a spreadsheet formula is prefixed with ``'`` (module
    docstring).
    """
    path = Path(path)
    rows = list(rows)
    cols = _columns(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=[_neutralise(str(c)) for c in cols],
                           lineterminator="\r\n")  # RFC 4180; a CR in a cell is quoted
        w.writeheader()
        for r in rows:
            w.writerow({_neutralise(str(k)): _cell(r.get(k)) for k in cols})
    return path


def _number(text: str, where: str) -> float | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise ResultsFormatError(f"{where}: expected a number, found {text[:40]!r}") from None


def read_metrics_csv(path) -> list[dict]:
    """Read a table written by :func:`write_metrics_csv`; numeric columns become floats.

    Raises
    ------
    ResultsFormatError
        Not UTF-8 CSV, a header without the columns of :data:`TABLE_COLUMNS`, a row with more
        or fewer cells than the header, or a number column holding text (message: file, line,
        column); also for a file that is missing, not a regular file or over 64 MiB.
    """
    name = Path(str(path)).name
    text = read_text_checked(path, what="metrics table", error=ResultsFormatError,
                             max_bytes=MAX_TEXT_BYTES)
    out = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, None)
        if header is None:
            raise ResultsFormatError(f"{name}: empty file; expected a header line")
        header = [_restore(h) for h in header]
        missing = [c for c in TABLE_COLUMNS if c not in header]
        if missing:
            raise ResultsFormatError(f"{name} line 1: the header lacks the columns {missing}")
        if len(set(header)) != len(header):
            raise ResultsFormatError(f"{name} line 1: repeated column names in the header")
        for cells in reader:
            where = f"{name} line {reader.line_num}"
            if not cells:
                continue
            if len(cells) != len(header):
                raise ResultsFormatError(f"{where}: {len(cells)} cells, the header has "
                                         f"{len(header)}")
            row = {}
            for k, c in zip(header, cells):
                row[k] = _number(c, f"{where} column {k}") if k in _NUMERIC else _restore(c)
            out.append(row)
    except csv.Error as exc:
        raise ResultsFormatError(f"{name}: not a valid CSV table ({exc})") from None
    return out


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None  # JSON has no NaN / inf
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, Path):
        return str(v)
    return repr(v)


def write_metrics_json(document: dict, path) -> Path:
    """Write a JSON summary (NaN and infinities become ``null``; arrays become lists)."""
    path = Path(path)
    path.write_text(json.dumps(_jsonable(document), indent=2, allow_nan=False) + "\n",
                    encoding="utf-8")
    return path


def _check_name(name: str, what: str) -> str:
    try:
        return check_name(name, what)
    except ParameterError as exc:
        raise ParameterError(f"{exc} (names are .npz keys)") from None


def field_arrays(comparison) -> dict[str, np.ndarray]:
    """The arrays :func:`write_fields_npz` stores, by key (see the module docstring)."""
    arrays: dict[str, np.ndarray] = {}
    results = [comparison.base, *comparison.variants]
    for r in results:
        v = _check_name(r.variant, "variant")
        for area_name, area in r.areas.items():
            a = _check_name(area_name, "area")
            for q, f in area.fields.items():
                arrays[f"{v}/{a}/{_check_name(q, 'quantity')}"] = np.asarray(f.values)
            grid_key = f"grid/{a}"
            if f"{grid_key}/points" not in arrays and area.fields:
                g = next(iter(area.fields.values())).grid
                arrays[f"{grid_key}/points"] = np.asarray(g.points)
                if g.normals is not None:
                    arrays[f"{grid_key}/normals"] = np.asarray(g.normals)
                if g.shape is not None:
                    arrays[f"{grid_key}/shape"] = np.asarray(g.shape, dtype=np.int64)
                if g.raster_index is not None:
                    arrays[f"{grid_key}/raster_index"] = np.asarray(g.raster_index)
                if g.transform is not None:
                    arrays[f"{grid_key}/transform"] = np.asarray(g.transform, dtype=np.float64)
    for variant, areas in (comparison.deltas or {}).items():
        for area_name, qs in areas.items():
            for q, f in qs.items():
                arrays[f"delta/{variant}/{area_name}/{q}"] = np.asarray(f.values)
    return arrays


def write_fields_npz(comparison, path) -> Path:
    """Write every field of a comparison, its deltas and grids to a compressed ``.npz``."""
    path = Path(path)
    arrays = field_arrays(comparison)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    log.debug("wrote %d arrays to %s", len(arrays), path)
    return path


def _npy_header(fh, where: str):
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fh)
    raise ResultsFormatError(f"{where}: .npy format version {version} is not supported")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> np.ndarray:
    with zf.open(info) as fh:
        shape, fortran, dtype = _npy_header(fh, where)
        if dtype.hasobject or dtype.kind not in "biufc":
            raise ResultsFormatError(f"{where}: dtype {dtype} is not a numeric array")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if nbytes != info.file_size - fh.tell():
            raise ResultsFormatError(f"{where}: shape {shape} of {dtype} needs {nbytes} bytes, "
                                     f"the member holds {info.file_size - fh.tell()}")
        data = fh.read(nbytes)
    if len(data) != nbytes:
        raise ResultsFormatError(f"{where}: truncated ({len(data)} of {nbytes} bytes)")
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C").copy()


def read_fields_npz(path, *, max_bytes: int = MAX_MESH_BYTES) -> dict[str, np.ndarray]:
    """Read a ``fields.npz`` into a plain dict of arrays by key.

    Each member's header is checked before its data are read: numeric dtypes only (no
    pickled objects), a shape that matches the member's size, and at most ``max_bytes``
    [bytes] in all (default 4 GiB), so a damaged or hostile file cannot make it allocate
    more than it holds.

    Raises
    ------
    ResultsFormatError
        Not a zip archive of ``.npy`` arrays, a damaged or truncated member, a repeated key,
        a non-numeric dtype, a shape that does not match the data, or more than ``max_bytes``;
        also for a file that is missing or not a regular file.
    """
    name = Path(str(path)).name
    p = checked_input(path, what="fields file", error=ResultsFormatError, max_bytes=max_bytes)
    try:
        with open(p, "rb") as fh:  # read what is there, not max_bytes up front
            raw = fh.read(min(p.stat().st_size, max_bytes) + 1)
    except OSError as exc:
        raise ResultsFormatError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise ResultsFormatError(f"{name}: more than the {max_bytes} bytes accepted")
    out: dict[str, np.ndarray] = {}
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            for info in zf.infolist():
                where = f"{name} [{info.filename[:80]!r}]"
                if not info.filename.endswith(".npy") or info.is_dir():
                    raise ResultsFormatError(f"{where}: not a .npy array member")
                key = info.filename[:-4]
                if key in out:
                    raise ResultsFormatError(f"{where}: the key is repeated")
                total += info.file_size
                if total > max_bytes:
                    raise ResultsFormatError(f"{where}: the arrays hold more than {max_bytes} "
                                             "bytes in all")
                out[key] = _read_member(zf, info, where)
    except ResultsFormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            ValueError, NotImplementedError, RuntimeError, struct.error, OverflowError,
            KeyError, UnicodeDecodeError, SyntaxError, TypeError, tokenize.TokenError,
            RecursionError) as exc:  # what numpy's .npy header parser and zipfile raise
        raise ResultsFormatError(f"{name}: not a valid .npz file ({type(exc).__name__}: "
                                 f"{str(exc)[:120]})") from None
    return out
