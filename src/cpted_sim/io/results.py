"""Results as files: the metric table as CSV and JSON, the fields as ``.npz``.

The ``.npz`` keys are ``<variant>/<area>/<quantity>`` for the values of every field,
``delta/<variant>/<area>/<quantity>`` for variant-minus-base fields, and
``grid/<area>/points`` (world [m]), ``grid/<area>/normals``, ``grid/<area>/shape``,
``grid/<area>/raster_index`` and ``grid/<area>/transform`` for the grids (of the base).
"""

from __future__ import annotations

import csv
import json
import logging
import math
from pathlib import Path

import numpy as np

from ..errors import ParameterError

__all__ = ["TABLE_COLUMNS", "write_metrics_csv", "read_metrics_csv", "write_metrics_json",
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


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return repr(float(v))  # shortest text that reads back to the same float
    if isinstance(v, (np.integer,)):
        return str(int(v))
    return str(v)


def write_metrics_csv(rows, path) -> Path:
    """Write the metric table (list of dicts, :data:`TABLE_COLUMNS` first) as CSV.

    Floats are written with ``repr`` so they read back bit for bit; NaN as ``nan``; None as an
    empty cell.
    """
    path = Path(path)
    rows = list(rows)
    cols = _columns(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k)) for k in cols})
    return path


def read_metrics_csv(path) -> list[dict]:
    """Read a table written by :func:`write_metrics_csv`; numeric columns become floats."""
    out = []
    with Path(path).open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            row = dict(r)
            for k in _NUMERIC:
                if k in row:
                    row[k] = float(row[k]) if row[k] != "" else None
            out.append(row)
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
    if "/" in str(name) or not str(name):
        raise ParameterError(f"{what} {name!r}: names used as .npz keys must be non-empty and "
                             "contain no '/'")
    return str(name)


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


def read_fields_npz(path) -> dict[str, np.ndarray]:
    """Read a ``fields.npz`` into a plain dict of arrays by key."""
    with np.load(Path(path), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
