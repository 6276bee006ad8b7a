"""Night-time surveillance: an observer counts only where a face is lit well enough to be
recognised at the observer's distance (issue #5, item 6).

This module does not import the lighting package (docs/architecture.md §2): the semicylindrical
illuminance is an argument, computed by the caller (``scenario.run`` wires the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .._validate import as_float, as_vector
from ..config import get_threads
from ..errors import FieldMismatchError, ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from .observers import ObserverSet
from .surveillance import DEFAULT_TARGET_HEIGHT, SurveillanceResult, check_inputs, run_surveillance

__all__ = ["night_surveillance", "night_surveillance_fields", "RecognitionThreshold",
           "DEFAULT_RECOGNITION", "CREST_PRESENCE", "presence_weights", "with_presence"]


@dataclass(frozen=True)
class RecognitionThreshold:
    """Semicylindrical illuminance needed to recognise a face at a distance.

    The curve is log-linear through the given points,
    ``log E(d)`` interpolated linearly in ``d`` and extrapolated beyond both ends with the end
    segments' slopes; where it exceeds ``saturation`` more light no longer helps
    (recognition distance no longer grows), so beyond that distance no illuminance suffices.

    Attributes
    ----------
    distances : tuple of float
        Observer-to-face distances [m], increasing.
    illuminances : tuple of float
        Semicylindrical illuminance at the face needed at those distances [lx], positive.
    saturation : float
        Illuminance [lx] above which recognition does not improve.

    Notes
    -----
    Defaults after Van Bommel and Caminada (1982) and Rombauts et al. (1989): about 1 lx
    E_sc recognises a face at 4 m, about 3 lx at 10 m, with no gain above about 20 lx; the
    log-linear curve through (4 m, 1 lx) and (10 m, 3 lx) reaches 20 lx at 20.4 m.
    """

    distances: tuple[float, ...] = (4.0, 10.0)
    illuminances: tuple[float, ...] = (1.0, 3.0)
    saturation: float = 20.0

    def __post_init__(self):
        d = as_vector(self.distances, "distances")
        e = as_vector(self.illuminances, "illuminances", d.shape[0])
        if d.shape[0] < 2 or np.any(np.diff(d) <= 0) or d[0] < 0:
            raise ParameterError(f"distances: expected >= 2 increasing non-negative values, got {d}")
        if np.any(e <= 0):
            raise ParameterError(f"illuminances: expected positive values [lx], got {e}")
        as_float(self.saturation, "saturation", lo=0.0, lo_open=True)

    def __call__(self, d) -> np.ndarray:
        """Illuminance [lx] needed at distance(s) ``d`` [m] (``inf`` past saturation)."""
        d = np.asarray(d, dtype=np.float64)
        x = np.asarray(self.distances, dtype=np.float64)
        y = np.log(np.asarray(self.illuminances, dtype=np.float64))
        k = np.clip(np.searchsorted(x, d, side="right") - 1, 0, x.size - 2)
        slope = (y[k + 1] - y[k]) / (x[k + 1] - x[k])
        e = np.exp(y[k] + slope * (d - x[k]))
        return np.where(e > self.saturation, np.inf, e)


DEFAULT_RECOGNITION = RecognitionThreshold()


def _table(threshold, max_range: float, step: float) -> np.ndarray:
    d = np.arange(0.0, max_range + 2.0 * step, step)
    if callable(threshold):
        e = np.asarray(threshold(d), dtype=np.float64)
    else:
        raise ParameterError("threshold: expected a RecognitionThreshold or a callable d [m] -> "
                             "E_sc [lx]")
    if e.shape != d.shape or np.any(np.isnan(e)) or np.any(e < 0):
        raise ParameterError("threshold: must return one non-negative value (or inf) per distance")
    return np.ascontiguousarray(e)


DEFAULT_FACINGS = 8


def _illuminance_table(illuminance, grid: CalculationGrid, facing_azimuths):
    """(n, k) E_sc table, and the unit facing directions (cos, sin) of its k columns."""
    if callable(illuminance) and not isinstance(illuminance, Field):
        az = (360.0 / DEFAULT_FACINGS * np.arange(DEFAULT_FACINGS) if facing_azimuths is None
              else as_vector(facing_azimuths, "facing_azimuths"))
        rad = np.radians(az)
        fields = [illuminance(np.array([np.cos(a), np.sin(a), 0.0])) for a in rad]
        facing_azimuths = az
    elif isinstance(illuminance, Field):
        fields = [illuminance]
    else:
        try:
            fields = list(illuminance)
        except TypeError:
            fields = []
    if not fields or not all(isinstance(f, Field) for f in fields):
        raise ParameterError("illuminance: expected a Field of E_sc [lx], a sequence of them "
                             "(one per facing direction) or a callable facing -> Field")
    for k, f in enumerate(fields):
        if f.unit != "lx":
            raise FieldMismatchError(f"illuminance[{k}]: expected unit 'lx', got {f.unit!r}")
        same_xy = f.grid.n_points == grid.n_points and np.allclose(
            f.grid.points[:, :2], grid.points[:, :2], rtol=0.0, atol=1e-6)
        if not same_xy:
            raise FieldMismatchError(
                f"illuminance[{k}]: its grid ({f.grid.n_points} points) does not lie over the "
                f"surveillance grid ({grid.n_points} points); compute E_sc on "
                "grid.at_height(1.5)")
    n_dirs = len(fields)
    if facing_azimuths is None:
        az = 360.0 / n_dirs * np.arange(n_dirs)
    else:
        az = as_vector(facing_azimuths, "facing_azimuths", n_dirs)
    table = np.column_stack([np.asarray(f.values, dtype=np.float64) for f in fields])
    if np.any(np.isnan(table)):
        raise ParameterError("illuminance: holds NaN values")
    rad = np.radians(az)
    return (np.ascontiguousarray(table), np.ascontiguousarray(np.cos(rad)),
            np.ascontiguousarray(np.sin(rad)), az)


# ---------------------------------------------------------------- presence by the hour
#: Share of residents at home and awake [-] by hour of day (index 0 = 00:00-01:00), the
#: default presence of window and door observers (issue #18). Night values from the UK 2000
#: time-use survey as used by the CREST active-occupancy model (Richardson et al. 2008):
#: 0.71 at 21-22 h, 0.55 at 22-23 h, 0.29 at 23-24 h, 0.10 at 00-01 h, 0.02-0.03 (0.025
#: here) from 01 to 05 h. Two values are our assumptions, not the survey's: 20-21 h is taken
#: equal to 21-22 h (0.71) and 05-06 h equal to 00-01 h (0.10). Daytime hours (06-20 h) are
#: 1: the day model is unchanged.
CREST_PRESENCE = (0.10, 0.025, 0.025, 0.025, 0.025, 0.10) + (1.0,) * 14 + (0.71, 0.71, 0.55,
                                                                             0.29)

#: Observer kinds whose default presence is :data:`CREST_PRESENCE`; others default to 1
#: (pedestrians: give a flow per hour).
RESIDENT_KINDS = ("window", "door")


def _presence_table(table, name: str) -> np.ndarray:
    t = np.asarray(table, dtype=np.float64) if not isinstance(table, (int, float)) else \
        np.full(24, float(table))
    if t.shape != (24,) or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ParameterError(f"{name}: expected one presence weight >= 0 per hour of day "
                             f"(24 values, index 0 = 00:00-01:00), got shape {t.shape}")
    return t


def presence_weights(observers: ObserverSet, hour: float, tables=None) -> np.ndarray:
    """Presence weight [-] of each observer at a time of day.

    Parameters
    ----------
    observers : ObserverSet
    hour : float
        Time of day [h], in [0, 24).
    tables : mapping, optional
        Observer kind -> 24 hourly weights (or one number); an ``(n_observers, 24)`` array
        gives each observer its own. Default: :data:`CREST_PRESENCE` for windows and doors,
        1 for paths and persons.

    Returns
    -------
    (n,) float
        The weight of the hour slot holding ``hour``.
    """
    h = as_float(hour, "hour", lo=0.0, hi=24.0) % 24.0
    slot = int(np.floor(h)) % 24
    if isinstance(tables, np.ndarray) and tables.ndim == 2:
        if tables.shape != (observers.n, 24):
            raise ParameterError(f"tables: expected shape ({observers.n}, 24), got "
                                 f"{tables.shape}")
        return np.ascontiguousarray(tables[:, slot], dtype=np.float64)
    tables = dict(tables or {})
    out = np.ones(observers.n)
    for kind in set(observers.kind.tolist()):
        if kind in tables:
            t = _presence_table(tables[kind], f"tables[{kind!r}]")
        elif kind in RESIDENT_KINDS:
            t = np.asarray(CREST_PRESENCE)
        else:
            continue
        out[observers.kind == kind] = t[slot]
    return out


def with_presence(observers: ObserverSet, presence) -> ObserverSet:
    """The observers with their weights times ``presence`` ((n,) [-], >= 0)."""
    p = as_vector(presence, "presence", observers.n)
    if np.any(p < 0):
        raise ParameterError("presence: weights must be >= 0")
    return replace(observers, weight=np.ascontiguousarray(observers.weight * p))


def night_surveillance_fields(scene: Scene, observers: ObserverSet, grid: CalculationGrid,
                              illuminance: Field | Sequence[Field] | Callable, *,
                              facing_azimuths=None, presence=None,
                              threshold: RecognitionThreshold | Callable = DEFAULT_RECOGNITION,
                              target_height: float = DEFAULT_TARGET_HEIGHT,
                              table_step: float = 0.05,
                              quiet: bool | None = None) -> SurveillanceResult:
    """Surveillance that counts an observer only where it could recognise a face.

    Parameters
    ----------
    scene : Scene
    observers : ObserverSet
    grid : CalculationGrid
        Ground points [m].
    illuminance : Field, sequence of Field, or callable
        Semicylindrical illuminance E_sc [lx] at the face (usually ``grid.at_height(1.5)``):
        one field (a representative facing direction, used for every observer), one field
        per facing direction, or a callable ``facing (3,) unit vector -> Field`` called for
        each facing direction (default 8), e.g. ``lambda f: cs.illuminance(scene, lums,
        grid.at_height(1.5), kind="semicylindrical", facing=f)``. For each observer-point
        pair the field whose facing direction is closest to the horizontal direction from
        the point to the observer is used.
    facing_azimuths : (k,) float, optional
        Facing direction of each field [deg], counter-clockwise from +X. Default: evenly
        spaced from 0 (for 8 fields: E, NE, N, NW, W, SW, S, SE).
    presence : (n_observers,) float, optional
        Presence weight of each observer [-] (who is awake behind the window at this hour,
        :func:`presence_weights`); multiplies the observers' weights. Default: all present.
    threshold : RecognitionThreshold or callable
        Needed E_sc [lx] as a function of distance [m]; ``inf`` where recognition is out of
        reach. Default :data:`DEFAULT_RECOGNITION`.
    target_height : float
        Height of the face above the grid points [m] for the sightline (default 1.5).
    table_step : float
        Distance step [m] of the threshold table the kernel interpolates.
    quiet : bool, optional
        Turn the progress bar off.

    Returns
    -------
    SurveillanceResult
        ``night_surveillance_count`` [1], ``night_surveillance_weight`` [1],
        ``night_nearest_observer_distance`` [m].

    Notes
    -----
    Observer j counts for point p when it does by day (see :func:`surveillance_fields`) and
    ``E_sc(p, facing towards j) >= threshold(|p - o_j|)``.

    References
    ----------
    Van Bommel, W. J. M. and Caminada, J. F. (1982). Considerations of the lighting of
    residential areas for non-motorised traffic. CIBSE National Lighting Conference.
    Rombauts, P., Vandewyngaerde, H. and Maggetto, G. (1989). Minimum semicylindrical
    illuminance and modelling in residential area lighting. Lighting Research and Technology
    21(2), 49-55.
    """
    check_inputs(scene, observers, grid)
    if presence is not None:
        observers = with_presence(observers, presence)
    table, dcos, dsin, az = _illuminance_table(illuminance, grid, facing_azimuths)
    step = as_float(table_step, "table_step", lo=0.0, lo_open=True)
    thr = _table(threshold, float(observers.max_distance.max()) if observers.n else 1.0, step)
    c, w, d, elapsed = run_surveillance(scene, observers, grid, target_height,
                                        night=(table, dcos, dsin, thr, step), quiet=quiet)
    prov = provenance(function="night_surveillance", n_observers=observers.n,
                      presence=presence is not None,
                      facing_azimuths=[float(a) for a in az], threshold=repr(threshold),
                      target_height=float(target_height), threads=get_threads(),
                      elapsed_s=elapsed)
    return SurveillanceResult(Field(c, grid, "night_surveillance_count", "1", prov),
                              Field(w, grid, "night_surveillance_weight", "1", prov),
                              Field(d, grid, "night_nearest_observer_distance", "m", prov))


def night_surveillance(scene: Scene, observers: ObserverSet, grid: CalculationGrid,
                       illuminance: Field | Sequence[Field] | Callable, *,
                       measure: str = "count",
                       **thresholds) -> Field:
    """Night-time surveillance count (or weight, nearest distance) of each grid point.

    See :func:`night_surveillance_fields` for the parameters (``facing_azimuths``,
    ``threshold``, ``target_height``, ``table_step``, ``quiet``).

    Returns
    -------
    Field
        ``night_surveillance_count`` [1] by default.
    """
    names = ("count", "weight", "nearest")
    if measure not in names:
        raise ParameterError(f"measure: expected one of {names}, got {measure!r}")
    res = night_surveillance_fields(scene, observers, grid, illuminance, **thresholds)
    return res[names.index(measure)]
