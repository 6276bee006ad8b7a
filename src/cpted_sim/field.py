"""Values on a calculation grid, with quantity, unit and provenance (docs/architecture.md §3)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .errors import FieldMismatchError, ParameterError
from .geometry.grid import CalculationGrid

__all__ = ["Field", "provenance"]


def provenance(**settings: Any) -> dict[str, Any]:
    """A provenance record: library version, UTC time stamp and the given settings."""
    from ._version import __version__

    rec = {"version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    rec.update(settings)
    return rec


@dataclass(frozen=True, eq=False)
class Field:
    """Values of one quantity on a grid.

    Attributes
    ----------
    values : (n,) float
        One value per grid point, in ``unit``.
    grid : CalculationGrid
        Where the values are.
    quantity : str
        Name from the glossary (``docs/nomenclature.md``): ``"E_h"``, ``"E_sc"``,
        ``"surveillance_count"``, ...
    unit : str
        ``"lx"``, ``"m"``, ``"m2"``, ``"1"`` (counts, fractions) ...
    provenance : dict
        Scenario, variant, settings, library version, elapsed seconds.
    """

    values: np.ndarray
    grid: CalculationGrid
    quantity: str
    unit: str
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        v = np.asarray(self.values)
        if v.ndim != 1 or v.shape[0] != self.grid.n_points:
            raise ParameterError(
                f"Field values: expected {self.grid.n_points} values (one per grid point), "
                f"got shape {v.shape}"
            )
        object.__setattr__(self, "values", v)

    def _check_compatible(self, other: Field) -> None:
        if not isinstance(other, Field):
            raise FieldMismatchError(f"cannot combine a Field with {type(other).__name__}")
        if self.unit != other.unit:
            raise FieldMismatchError(f"units differ: {self.unit!r} and {other.unit!r}")
        if not self.grid.same_points(other.grid):
            raise FieldMismatchError(
                f"grids differ ({self.grid.n_points} and {other.grid.n_points} points, "
                "or other positions): compare fields on the same grid"
            )

    def __sub__(self, other: Field) -> Field:
        self._check_compatible(other)
        return replace(self, values=self.values - other.values, quantity=f"delta_{self.quantity}",
                       provenance={"minuend": self.provenance, "subtrahend": other.provenance})

    def __add__(self, other: Field) -> Field:
        """Sum of two fields of the same quantity, unit and grid (e.g. the light of two sets of
        luminaires). Different quantities (``E_h + E_v``) are a :class:`FieldMismatchError`."""
        self._check_compatible(other)
        if self.quantity != other.quantity:
            raise FieldMismatchError(
                f"quantities differ: {self.quantity!r} and {other.quantity!r}; only fields of "
                "the same quantity add up")
        return replace(self, values=self.values + other.values,
                       provenance={"terms": [self.provenance, other.provenance]})

    def with_values(self, values, quantity: str | None = None, unit: str | None = None,
                    **prov) -> Field:
        """A field on the same grid with new values.

        Parameters
        ----------
        values : (n,) float
            One value per grid point.
        quantity, unit : str, optional
            New quantity name and unit; default: this field's.
        **prov
            Entries added to (a copy of) the provenance.
        """
        p = dict(self.provenance)
        p.update(prov)
        return Field(np.asarray(values), self.grid, quantity or self.quantity, unit or self.unit, p)

    def as_raster(self) -> np.ndarray:
        """Values reshaped to the grid's raster shape (rows, cols); NaN where masked."""
        return self.grid.to_raster(self.values)

    def __repr__(self) -> str:
        v = self.values
        return (f"Field({self.quantity} [{self.unit}], {v.shape[0]} points, "
                f"min {np.nanmin(v):.4g}, mean {np.nanmean(v):.4g}, max {np.nanmax(v):.4g})")
