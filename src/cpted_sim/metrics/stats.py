"""Summary statistics of illuminance fields: minimum, average, uniformity, dark fractions.

The quantities follow EN 13201-3 (road lighting, calculation of performance) and the glossary
in ``docs/nomenclature.md``: ``E_min``, ``E_avg`` (arithmetic mean over the grid points, as in
EN 13201-3 §9, or area-weighted when the grid's points stand for different areas), ``E_max``,
overall uniformity ``U0 = E_min / E_avg`` and the ratio ``E_min / E_max``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .._validate import as_vector
from ..errors import ParameterError
from ..field import Field

__all__ = ["FieldSummary", "summary", "area_fraction_below", "area_fractions_below"]


def _check_field(field) -> Field:
    if not isinstance(field, Field):
        raise ParameterError(f"field: expected a cpted_sim.Field, got {type(field).__name__}")
    if field.values.shape[0] == 0:
        raise ParameterError("field: has no values")
    return field


def _values_weights(field: Field, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(field.values, dtype=np.float64)
    w = field.grid.point_weights() if weighted else np.ones(v.shape[0])
    ok = np.isfinite(v)
    if not ok.any():
        raise ParameterError(f"field {field.quantity!r}: every value is NaN or infinite")
    return v[ok], w[ok]


@dataclass(frozen=True)
class FieldSummary:
    """Statistics of one field; every value in the field's unit unless said otherwise.

    Attributes
    ----------
    quantity : str
        The field's quantity (``"E_h"``, ``"E_sc"``, ...).
    unit : str
        Its unit (``"lx"``).
    n_points : int
        Points counted (NaN values are left out).
    min, avg, max : float
        Minimum, (weighted) average and maximum [unit].
    u0 : float
        Overall uniformity ``min / avg`` [-] (NaN when ``avg`` is 0).
    min_over_max : float
        ``min / max`` [-] (NaN when ``max`` is 0).
    """

    quantity: str
    unit: str
    n_points: int
    min: float
    avg: float
    max: float
    u0: float
    min_over_max: float

    def as_dict(self) -> dict:
        """The summary as a plain dict (for JSON reports)."""
        return asdict(self)


def summary(field: Field, *, weighted: bool = True) -> FieldSummary:
    """Minimum, average, maximum and uniformities of a field.

    Parameters
    ----------
    field : Field
        Usually an illuminance [lx].
    weighted : bool
        Weight the average by the area each point stands for (``grid.areas``, e.g. points
        on mesh faces); regular grids have equal weights either way.

    Returns
    -------
    FieldSummary

    Notes
    -----
    ``U0 = E_min / E_avg`` and ``E_min / E_max`` (EN 13201-2 overall uniformity and the
    ratio some national guides use). NaN values are ignored.

    References
    ----------
    EN 13201-3:2015, Road lighting - Part 3: Calculation of performance, §9.
    """
    field = _check_field(field)
    v, w = _values_weights(field, weighted)
    avg = float(np.sum(v * w) / np.sum(w))
    vmin, vmax = float(v.min()), float(v.max())
    return FieldSummary(
        quantity=field.quantity, unit=field.unit, n_points=int(v.size), min=vmin, avg=avg,
        max=vmax, u0=vmin / avg if avg > 0 else float("nan"),
        min_over_max=vmin / vmax if vmax > 0 else float("nan"),
    )


def area_fraction_below(field: Field, threshold: float, *, weighted: bool = True) -> float:
    """Fraction [-] of the grid's area (or points) where the value is below ``threshold``.

    Parameters
    ----------
    field : Field
    threshold : float
        In the field's unit (e.g. 1 lx).
    weighted : bool
        Weight by ``grid.areas`` when the grid has them.
    """
    return float(area_fractions_below(field, [threshold], weighted=weighted)[0])


def area_fractions_below(field: Field, thresholds, *, weighted: bool = True) -> np.ndarray:
    """Fractions [-] of the area below each of several thresholds, (k,) float."""
    field = _check_field(field)
    th = as_vector(thresholds, "thresholds")
    v, w = _values_weights(field, weighted)
    total = np.sum(w)
    return np.array([np.sum(w[v < t]) / total for t in th])
