"""Where scenario items come from when they come from a GIS layer (layer L5; data only).

A :class:`VectorSource` names a vector layer and the features to take from it; the scenario
reader (:mod:`cpted_sim.io.scenario_gis`) reads it and turns every feature into an area, a
route, an observer path or a luminaire. The helpers here are the file-free part of that:
naming the items after a field, and mapping a lamp register's fitting types to photometry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["VectorSource", "item_names", "map_fittings", "mounting_heights"]


@dataclass(frozen=True)
class VectorSource:
    """A layer of a vector file and the features to take from it.

    Attributes
    ----------
    file : str
        Absolute path of the GeoPackage, GeoJSON or Shapefile.
    layer : str or None
        The layer (required when the file has several).
    where : str or None
        OGR SQL ``WHERE`` clause.
    filter : dict
        ``{field: value or [values]}``; every entry must hold.
    bbox : (4,) tuple of float or None
        ``(xmin, ymin, xmax, ymax)`` in the scene's CRS [m]: only features meeting it.
    split : bool
        Take each part of a multi-geometry on its own (False: multi-geometries are an error).
    name_field : str or None
        Field whose value names each item (``"<name>:<value>"``); default ``"<name>:<i>"``
        (1-based) when there are several, the plain name when there is one.
    """

    file: str
    layer: str | None = None
    where: str | None = None
    filter: Mapping[str, Any] = field(default_factory=dict)
    split: bool = False
    bbox: tuple[float, float, float, float] | None = None
    name_field: str | None = None

    def __post_init__(self):
        if not self.file:
            raise ParameterError("source.file: the file is empty")
        object.__setattr__(self, "filter", dict(self.filter))


def item_names(base: str, features: Sequence[int], values: Sequence | None = None) -> list[str]:
    """Names of the items made from features ``features`` (one per part).

    Parameters
    ----------
    base : str
        The item's name in the scenario.
    features : sequence of int
        Feature index of each item (a feature split into parts appears more than once).
    values : sequence, optional
        The ``name_field`` value of every feature.

    Raises
    ------
    ParameterError
        Two features share a ``name_field`` value, or a value is empty.
    """
    feats = [int(f) for f in features]
    if values is None:
        if len(feats) == 1:
            return [base]
        return [f"{base}:{i + 1}" for i in range(len(feats))]
    seen: dict[str, int] = {}
    count: dict[int, int] = {}
    for f in feats:
        count[f] = count.get(f, 0) + 1
    out, part = [], {}
    for f in feats:
        v = values[f]
        s = "" if v is None else str(v).strip()
        if not s or s == "nan":
            raise ParameterError(f"feature {f} has no value in the name field")
        if s in seen and seen[s] != f:
            raise ParameterError(f"features {seen[s]} and {f} share the name {s!r}; pick a "
                                 "field with unique values")
        seen[s] = f
        if count[f] > 1:
            part[f] = part.get(f, 0) + 1
            s = f"{s}-{part[f]}"
        out.append(f"{base}:{s}")
    return out


def map_fittings(values: Sequence, table: Mapping[str, Any]) -> list[Any]:
    """The photometry of each lamp from its fitting type.

    Parameters
    ----------
    values : sequence
        Fitting type of each lamp (compared as text).
    table : mapping of str -> photometry
        Fitting type -> photometry (a file name or a built-in table).

    Raises
    ------
    ParameterError
        A fitting type the table lacks (all of them, with their counts, are named).
    """
    keys = {str(k): v for k, v in table.items()}
    texts = ["" if v is None else str(v) for v in values]
    missing: dict[str, int] = {}
    for t in texts:
        if t not in keys:
            missing[t] = missing.get(t, 0) + 1
    if missing:
        shown = ", ".join(f"{k!r} ({n} lamps)" for k, n in sorted(missing.items()))
        raise ParameterError(f"fitting types not in the fittings table: {shown}; the table "
                             f"has {', '.join(repr(k) for k in keys) or 'nothing'}")
    return [keys[t] for t in texts]


def mounting_heights(values: Sequence | None, default: float | None, n: int) -> np.ndarray:
    """Mounting height [m] of each lamp: the field's value, else ``default``.

    Raises
    ------
    ParameterError
        A lamp with no usable height (no value and no default, or a value <= 0).
    """
    if values is None:
        if default is None:
            raise ParameterError("give a mounting height or a height field")
        return np.full(n, float(default))
    out = np.empty(n)
    bad = []
    for i, v in enumerate(values):
        try:
            h = float(v) if v is not None and str(v).strip() != "" else np.nan
        except (TypeError, ValueError):
            h = np.nan
        if not np.isfinite(h):
            if default is None:
                bad.append(i)
                continue
            h = float(default)
        if h <= 0:
            bad.append(i)
        out[i] = h
    if bad:
        raise ParameterError(f"{len(bad)} lamps have no usable mounting height (features "
                             f"{', '.join(map(str, bad[:10]))}{' ...' if len(bad) > 10 else ''}"
                             "); give height as a default")
    return out
