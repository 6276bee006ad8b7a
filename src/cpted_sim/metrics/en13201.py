"""EN 13201 road lighting: the calculation field grid, the P classes and facial recognition.

References
----------
EN 13201-2:2015, Road lighting - Part 2: Performance requirements, Table 2 (P classes).
EN 13201-3:2015, Road lighting - Part 3: Calculation of performance, §7.3 (field of
calculation and position of the calculation points).
Caminada, J.F. and van Bommel, W.J.M. (1984), "New lighting criteria for residential areas",
Journal of the Illuminating Engineering Society 13(4), 350-358 (semicylindrical illuminance
for recognising faces).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import as_float, as_vector
from ..errors import ParameterError
from ..field import Field
from ..geometry.grid import GRID_KINDS, CalculationGrid
from .stats import FieldSummary, summary

__all__ = ["en13201_grid", "field_grid_counts", "P_CLASSES", "PClass", "ClassResult",
           "lighting_class", "FacialRecognition", "facial_recognition"]


def field_grid_counts(length: float, width: float) -> tuple[int, int]:
    """Numbers of calculation points ``(N, n)`` along and across an EN 13201-3 field.

    Parameters
    ----------
    length : float
        Spacing ``S`` between the two luminaires that bound the field [m].
    width : float
        Width ``W`` of the area [m].

    Returns
    -------
    N : int
        Points along the field: 10 when ``S <= 30 m``, otherwise the smallest integer giving
        ``D = S / N <= 3 m``.
    n : int
        Points across: the smallest integer ``>= 3`` giving ``d = W / n <= 1.5 m``.
    """
    s = as_float(length, "length", lo=0.0, lo_open=True)
    w = as_float(width, "width", lo=0.0, lo_open=True)
    big_n = 10 if s <= 30.0 else int(math.ceil(s / 3.0 - 1e-9))
    small_n = max(3, int(math.ceil(w / 1.5 - 1e-9)))
    return big_n, small_n


def en13201_grid(length: float, width: float, *, origin=(0.0, 0.0, 0.0), direction: float = 0.0,
                 height: float = 0.0, kind: str = "horizontal",
                 name: str = "EN 13201-3 field") -> CalculationGrid:
    """The EN 13201-3 calculation grid of the field between two luminaires of a row.

    The field starts at ``origin`` (below the first luminaire, on the edge of the area),
    runs ``length`` metres along ``direction`` and ``width`` metres to its left. Points lie
    ``D = S / N`` apart along and ``d = W / n`` apart across, the first ones ``D / 2`` and
    ``d / 2`` from the field's edges (see :func:`field_grid_counts`).

    Parameters
    ----------
    length : float
        Luminaire spacing ``S`` [m].
    width : float
        Width ``W`` of the area (path, square, lane) [m].
    origin : (2,) or (3,) float
        World position of the field's corner [m].
    direction : float
        Azimuth of the field's long axis [deg], counter-clockwise from world +X.
    height : float
        Height of the points above ``origin``'s z [m] (0 for horizontal illuminance on the
        ground; 1.5 for semicylindrical and vertical illuminance).
    kind : str
        Grid kind.

    Returns
    -------
    CalculationGrid
        ``N * n`` points, raster ``shape = (n, N)`` (rows across, columns along the field).

    Examples
    --------
    >>> en13201_grid(36.0, 7.0).shape
    (5, 12)
    """
    big_n, small_n = field_grid_counts(length, width)
    o = as_vector(origin, "origin")
    if o.shape[0] not in (2, 3):
        raise ParameterError(f"origin: expected (x, y) or (x, y, z), got {o.shape[0]} values")
    o3 = np.array([o[0], o[1], o[2] if o.shape[0] == 3 else 0.0])
    az = math.radians(as_float(direction, "direction"))
    height = as_float(height, "height")
    if kind not in GRID_KINDS:
        raise ParameterError(f"kind: expected one of {GRID_KINDS}, got {kind!r}")
    big_d, small_d = float(length) / big_n, float(width) / small_n
    u = big_d * (np.arange(big_n) + 0.5)
    v = small_d * (np.arange(small_n) + 0.5)
    uu, vv = np.meshgrid(u, v)                      # rows across, columns along
    ax = np.array([math.cos(az), math.sin(az)])
    ay = np.array([-math.sin(az), math.cos(az)])
    xy = uu.ravel()[:, None] * ax + vv.ravel()[:, None] * ay
    pts = np.column_stack([xy + o3[:2], np.full(xy.shape[0], o3[2] + height)])
    aligned = abs(math.sin(az)) < 1e-12 and math.cos(az) > 0
    transform = (float(pts[0, 0]), float(pts[0, 1]), big_d, small_d) if aligned else None
    return CalculationGrid(np.ascontiguousarray(pts), None, kind, (small_n, big_n),
                           np.arange(pts.shape[0], dtype=np.int64), transform, name,
                           areas=np.full(pts.shape[0], big_d * small_d))


@dataclass(frozen=True)
class PClass:
    """An EN 13201-2 P class: maintained average and minimum horizontal illuminance [lx]."""

    name: str
    e_avg: float
    e_min: float


#: EN 13201-2:2015 Table 2 (P classes for pedestrian and low-speed areas), maintained values.
P_CLASSES = (
    PClass("P1", 15.0, 3.0),
    PClass("P2", 10.0, 2.0),
    PClass("P3", 7.5, 1.5),
    PClass("P4", 5.0, 1.0),
    PClass("P5", 3.0, 0.6),
    PClass("P6", 2.0, 0.4),
)


@dataclass(frozen=True)
class ClassResult:
    """The P class an area achieves.

    Attributes
    ----------
    name : str or None
        The most demanding class whose minimum average and minimum illuminance are both met
        (``"P1"`` .. ``"P6"``), ``None`` when even P6 is not met.
    e_avg, e_min : float
        Maintained average and minimum horizontal illuminance of the area [lx].
    over_lit : bool
        The average exceeds 1.5 times the class's required average (EN 13201-2 asks the
        actual average not to exceed that, to avoid over-lighting).
    summary : FieldSummary
        All statistics of the field.
    """

    name: str | None
    e_avg: float
    e_min: float
    over_lit: bool
    summary: FieldSummary

    @property
    def achieved(self) -> bool:
        """Whether any P class is met."""
        return self.name is not None


def lighting_class(field: Field, *, classes=P_CLASSES, check_quantity: bool = True) -> ClassResult:
    """The EN 13201-2 P class a horizontal illuminance field achieves.

    Parameters
    ----------
    field : Field
        Maintained horizontal illuminance ``E_h`` [lx] on the area's calculation grid
        (ideally :func:`en13201_grid`).
    classes : sequence of PClass
        Classes from most to least demanding (default EN 13201-2 P1 .. P6).
    check_quantity : bool
        Refuse fields that are not ``E_h`` in lux.

    Returns
    -------
    ClassResult

    Raises
    ------
    ParameterError
        The field is not horizontal illuminance in lux.
    """
    if not isinstance(field, Field):
        raise ParameterError(f"field: expected a cpted_sim.Field, got {type(field).__name__}")
    if check_quantity and (field.quantity != "E_h" or field.unit != "lx"):
        raise ParameterError(f"field: P classes need horizontal illuminance E_h [lx], got "
                             f"{field.quantity} [{field.unit}]; pass check_quantity=False to "
                             "override")
    s = summary(field)
    achieved = None
    for c in classes:
        if s.avg >= c.e_avg and s.min >= c.e_min:
            achieved = c
            break
    over = achieved is not None and s.avg > 1.5 * achieved.e_avg
    return ClassResult(achieved.name if achieved else None, s.avg, s.min, bool(over), s)


@dataclass(frozen=True)
class FacialRecognition:
    """Semicylindrical illuminance needed to recognise a face at two distances.

    Attributes
    ----------
    e_sc_4m : float
        ``E_sc`` [lx] at 1.5 m height to recognise a face at 4 m (default 1 lx; Caminada and
        van Bommel found about 0.8 lx).
    e_sc_10m : float
        ``E_sc`` [lx] to recognise a face at 10 m (default 3 lx; 2.7 lx in the same study).
    """

    e_sc_4m: float = 1.0
    e_sc_10m: float = 3.0

    def __post_init__(self):
        a = as_float(self.e_sc_4m, "e_sc_4m", lo=0.0)
        b = as_float(self.e_sc_10m, "e_sc_10m", lo=0.0)
        if b < a:
            raise ParameterError(f"e_sc_10m ({b} lx) must not be below e_sc_4m ({a} lx)")


def facial_recognition(field: Field, settings: FacialRecognition | None = None) -> Field:
    """Distance [m] at which a face can be recognised at each point (0, 4 or 10).

    Parameters
    ----------
    field : Field
        Semicylindrical illuminance ``E_sc`` [lx] at face height (1.5 m), facing the
        direction an approaching person would be seen from.
    settings : FacialRecognition, optional
        Thresholds (default 1 lx for 4 m, 3 lx for 10 m).

    Returns
    -------
    Field
        ``recognition_distance`` [m]: 10 where ``E_sc >= e_sc_10m``, 4 where
        ``E_sc >= e_sc_4m``, else 0.
    """
    if not isinstance(field, Field):
        raise ParameterError(f"field: expected a cpted_sim.Field, got {type(field).__name__}")
    if field.unit != "lx":
        raise ParameterError(f"field: expected an illuminance in lx, got {field.unit!r}")
    s = settings or FacialRecognition()
    v = np.asarray(field.values, dtype=np.float64)
    out = np.where(v >= s.e_sc_10m, 10.0, np.where(v >= s.e_sc_4m, 4.0, 0.0))
    return field.with_values(out, quantity="recognition_distance", unit="m",
                             facial_recognition={"e_sc_4m": s.e_sc_4m, "e_sc_10m": s.e_sc_10m})
