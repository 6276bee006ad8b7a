"""Light by the hour: dimming schedules and fields combined per hour (issue #18, item 1).

A luminaire (or a group of them, or the whole scenario) carries a :class:`Schedule`: periods
of the day with an output fraction, a sensor-driven level (:class:`Sensor`) counting as its
expected fraction. Illuminance is linear in each luminaire's output, so
:func:`hourly_illuminance` traces the light of each group of luminaires sharing a schedule
once, and :meth:`HourlyField.at` combines the group fields for any hour without tracing a ray:
``E(t) = sum_g level_g(t) E_g``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field as dc_field

import numpy as np

from ..errors import ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..photometry.luminaire import Luminaire
from .illuminance import _luminaire_list, illuminance

__all__ = ["Sensor", "Schedule", "HourlyField", "hourly_illuminance", "window_light",
           "parse_hour", "format_hour", "night_hours", "operating_periods", "DEFAULT_NIGHT",
           "ALWAYS"]

#: Default night [h of day]: from 20:00 to 06:00.
DEFAULT_NIGHT = (20.0, 6.0)

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_hour(value, name: str = "hour") -> float:
    """Hour of day [h] in [0, 24) from ``"23:30"``, ``23.5`` or ``"24:00"`` (= 0)."""
    if isinstance(value, str):
        m = _HHMM.match(value)
        if not m or int(m.group(2)) >= 60 or int(m.group(1)) > 24:
            shown = repr(value) if len(value) < 40 else repr(value[:37]) + "..."
            raise ParameterError(f"{name}: expected a time of day 'HH:MM', got {shown}")
        h = int(m.group(1)) + int(m.group(2)) / 60.0
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        h = float(value)
    else:
        raise ParameterError(f"{name}: expected a time of day 'HH:MM' or hours [h], got "
                             f"{type(value).__name__}")
    if not math.isfinite(h) or h < 0.0 or h > 24.0:
        raise ParameterError(f"{name}: expected hours in [0, 24], got {value!r}")
    return h % 24.0


def format_hour(h: float) -> str:
    """``"HH:MM"`` of an hour of day [h]."""
    minutes = int(round((float(h) % 24.0) * 60.0)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def night_hours(start=DEFAULT_NIGHT[0], end=DEFAULT_NIGHT[1], step: float = 1.0) -> np.ndarray:
    """Middles of the time slots of the night [h of day], e.g. 20:30, 21:30, ..., 05:30.

    Parameters
    ----------
    start, end : float or str
        Start and end of the night (``end`` may be after midnight).
    step : float
        Slot length [h].
    """
    a, b = parse_hour(start, "start"), parse_hour(end, "end")
    if not (isinstance(step, (int, float)) and step > 0):
        raise ParameterError(f"step: expected a positive slot length [h], got {step!r}")
    length = (b - a) % 24.0 or 24.0
    n = max(1, int(round(length / step)))
    return np.mod(a + (np.arange(n) + 0.5) * (length / n), 24.0)


@dataclass(frozen=True)
class Sensor:
    """A sensor-driven level: ``base`` output, ``raised`` when someone comes.

    Attributes
    ----------
    base : float
        Output fraction [-] with nobody there (e.g. 0.2).
    raised : float
        Output fraction [-] while someone is detected (e.g. 0.7).
    probability : float
        Share of the time [-] the level is raised (the detection probability).

    Notes
    -----
    The hourly fields use the expected output ``base + probability (raised - base)``.
    """

    base: float
    raised: float
    probability: float

    def __post_init__(self):
        for k in ("base", "raised", "probability"):
            v = getattr(self, k)
            hi = 1.0 if k == "probability" else math.inf
            ok = (isinstance(v, (int, float)) and not isinstance(v, bool)
                  and 0.0 <= float(v) <= hi)
            if not ok:
                raise ParameterError(f"sensor {k}: expected a fraction >= 0"
                                     + (" and <= 1" if k == "probability" else "")
                                     + f", got {v!r}")

    @property
    def expected(self) -> float:
        """Expected output fraction [-]."""
        return float(self.base + self.probability * (self.raised - self.base))


@dataclass(frozen=True)
class Schedule:
    """A dimming schedule: periods of the day with an output fraction, 1 elsewhere.

    Parameters
    ----------
    periods : sequence of (start, end, level)
        ``start`` and ``end`` are times of day (``"23:00"`` or hours); a period may run over
        midnight (``("23:00", "06:00", 0.5)``). ``level`` is an output fraction [-] (>= 0;
        1 = full output) or a :class:`Sensor`. Periods must not overlap.
    default : float
        Output fraction outside every period (default 1).
    name : str
        Label used in reports.

    Examples
    --------
    Utrecht: 50 % from 23:00 to 06:00: ``Schedule([("23:00", "06:00", 0.5)])``.
    """

    periods: tuple = ()
    default: float = 1.0
    name: str = "schedule"
    _spans: tuple = dc_field(default=(), repr=False, compare=False)

    def __post_init__(self):
        spans = []
        out = []
        if isinstance(self.periods, (str, bytes)) or not isinstance(self.periods, Sequence):
            raise ParameterError(f"schedule {self.name!r}: periods must be a sequence of "
                                 "(start, end, level)")
        for i, p in enumerate(self.periods):
            if not isinstance(p, Sequence) or len(p) != 3:
                raise ParameterError(f"schedule {self.name!r} period {i}: expected (start, "
                                     f"end, level), got {p!r}")
            a = parse_hour(p[0], f"schedule {self.name!r} period {i} start")
            b = parse_hour(p[1], f"schedule {self.name!r} period {i} end")
            lvl = p[2]
            if not isinstance(lvl, Sensor):
                if (not isinstance(lvl, (int, float)) or isinstance(lvl, bool)
                        or not math.isfinite(lvl) or lvl < 0):
                    raise ParameterError(f"schedule {self.name!r} period {i} level: expected "
                                         f"an output fraction >= 0 or a Sensor, got {lvl!r}")
                lvl = float(lvl)
            if a == b:
                raise ParameterError(f"schedule {self.name!r} period {i}: start equals end "
                                     f"({format_hour(a)})")
            out.append((a, b, lvl))
            # as spans in [0, 24): a period over midnight is two
            spans += [(a, b, len(out) - 1)] if a < b else [(a, 24.0, len(out) - 1),
                                                           (0.0, b, len(out) - 1)]
        spans.sort()
        for (a0, b0, i0), (a1, b1, i1) in zip(spans, spans[1:]):
            if a1 < b0:
                raise ParameterError(f"schedule {self.name!r}: periods {i0} and {i1} overlap "
                                     f"at {format_hour(a1)}")
        d = self.default
        if not isinstance(d, (int, float)) or isinstance(d, bool) or not d >= 0:
            raise ParameterError(f"schedule {self.name!r} default: expected an output "
                                 f"fraction >= 0, got {d!r}")
        object.__setattr__(self, "periods", tuple(out))
        object.__setattr__(self, "default", float(d))
        object.__setattr__(self, "_spans", tuple(spans))

    def level_at(self, hours) -> np.ndarray | float:
        """Expected output fraction [-] at time(s) of day ``hours`` [h] (or ``"HH:MM"``)."""
        scalar = np.ndim(hours) == 0
        if isinstance(hours, str):
            hours = parse_hour(hours)
        h = np.mod(np.atleast_1d(np.asarray(hours, dtype=np.float64)), 24.0)
        out = np.full(h.shape, self.default)
        for a, b, i in self._spans:
            lvl = self.periods[i][2]
            out[(h >= a) & (h < b)] = lvl.expected if isinstance(lvl, Sensor) else lvl
        return float(out[0]) if scalar else out

    def change_points(self) -> np.ndarray:
        """Times of day [h] where the level may change, sorted."""
        return np.unique([t for a, b, _ in self.periods for t in (a, b)])


#: The built-in default: full output all night.
ALWAYS = Schedule((), 1.0, name="always")


@dataclass(frozen=True, eq=False)
class HourlyField:
    """An illuminance field per luminaire group, combined per hour without tracing.

    Attributes
    ----------
    parts : tuple of Field
        Illuminance [lx] of each group at full output (level 1).
    schedules : tuple of Schedule
        The schedule of each group.
    groups : tuple of tuple of str
        The luminaire names of each group.
    """

    parts: tuple
    schedules: tuple
    groups: tuple

    @property
    def grid(self) -> CalculationGrid:
        return self.parts[0].grid

    @property
    def shadow_rays(self) -> int:
        """Shadow rays traced to make the group fields (all of them; ``at`` traces none)."""
        return int(sum(p.provenance.get("shadow_rays", 0) for p in self.parts))

    def levels(self, hour) -> np.ndarray:
        """Output fraction [-] of each group at ``hour``."""
        h = parse_hour(hour) if isinstance(hour, str) else float(hour)
        return np.array([s.level_at(h) for s in self.schedules])

    def at(self, hour) -> Field:
        """The field at a time of day (``"23:30"`` or hours): ``sum_g level_g E_g`` [lx]."""
        h = parse_hour(hour, "hour")
        lv = self.levels(h)
        vals = np.zeros(self.grid.n_points)
        for w, p in zip(lv, self.parts):
            if w:
                vals += w * p.values
        base = self.parts[0]
        prov = provenance(function="HourlyField.at", hour=format_hour(h),
                          levels=[float(x) for x in lv], shadow_rays=0,
                          parts_shadow_rays=self.shadow_rays, kind=base.provenance.get("kind"),
                          bounces=base.provenance.get("bounces", 0))
        return Field(vals, self.grid, base.quantity, base.unit, prov)

    def curve(self, hours=None) -> np.ndarray:
        """(n_hours, n_points) values [lx] at each hour (default :func:`night_hours`)."""
        hs = night_hours() if hours is None else np.atleast_1d(hours)
        stack = np.stack([p.values for p in self.parts])          # (g, n)
        lv = np.stack([self.levels(h) for h in hs])                # (h, g)
        return lv @ stack


def _group(lums: list[Luminaire], schedules) -> tuple[list, list]:
    """Groups of luminaire indices that share a schedule, and the schedules."""
    n = len(lums)
    if schedules is None or isinstance(schedules, Schedule):
        per = [schedules or ALWAYS] * n
    elif isinstance(schedules, Mapping):
        names = {lum.name for lum in lums}
        unknown = sorted(set(schedules) - names)
        if unknown:
            raise ParameterError(f"schedules: no luminaire is named {unknown[0]!r} "
                                 f"({len(unknown)} unknown names)")
        per = [schedules.get(lum.name) or ALWAYS for lum in lums]
    else:
        per = list(schedules)
        if len(per) != n:
            raise ParameterError(f"schedules: expected one per luminaire ({n}), got {len(per)}")
        per = [s or ALWAYS for s in per]
    for k, s in enumerate(per):
        if not isinstance(s, Schedule):
            raise ParameterError(f"schedules[{k}]: expected a Schedule or None, got "
                                 f"{type(s).__name__}")
    order: dict[int, int] = {}
    groups: list[list[int]] = []
    scheds: list[Schedule] = []
    for i, s in enumerate(per):
        key = id(s) if s is not ALWAYS else 0
        if key not in order:
            order[key] = len(groups)
            groups.append([])
            scheds.append(s)
        groups[order[key]].append(i)
    return groups, scheds


def hourly_illuminance(scene: Scene, luminaires, grid: CalculationGrid,
                       kind: str = "horizontal", facing=None, *, schedules=None,
                       solutions: dict | None = None, **kwargs) -> HourlyField:
    """Illuminance per group of luminaires sharing a schedule, ready to combine per hour.

    Parameters
    ----------
    scene, luminaires, grid, kind, facing
        As :func:`~cpted_sim.lighting.illuminance`.
    schedules : Schedule, sequence, or mapping, optional
        One schedule for all, one per luminaire (``None`` = full output), or luminaire name
        -> schedule. Default: full output all night.
    **kwargs
        Passed to :func:`~cpted_sim.lighting.illuminance` (``bounces``, ``cutoff`` ...); with
        ``bounces`` each group gets its own indirect part (light is linear in the sources).
    solutions : dict, optional
        With ``bounces``: a cache of each group's radiosity solution, keyed by the group's
        luminaire indices; pass the same dict to several calls (other grids, kinds) so each
        group's interreflection is solved once.

    Returns
    -------
    HourlyField
        ``.at("23:30")`` is the field at 23:30; each group is traced once.

    Notes
    -----
    ``E(t) = sum_g s_g(t) E_g`` with ``s_g`` the expected output fraction of group ``g``
    (:class:`Sensor` levels count as ``base + p (raised - base)``). The range cut-off
    applies to each group's full-output light.
    """
    lums = _luminaire_list(luminaires)
    if not lums:
        raise ParameterError("luminaires: hourly illuminance needs at least one luminaire")
    groups, scheds = _group(lums, schedules)
    b = kwargs.get("bounces", 0)
    settings = dict(kwargs.get("interreflection") or {})
    parts = []
    for g in groups:
        kw = dict(kwargs)
        members = [lums[i] for i in g]
        if (isinstance(b, str) or b) and "solution" not in settings:
            # one radiosity solution per group, reused across grids and kinds
            from .interreflection import radiosity

            cache = solutions if solutions is not None else {}
            key = tuple(g)
            if key not in cache:
                cache[key] = radiosity(scene, members, bounces=None if isinstance(b, str)
                                       else int(b), quiet=kwargs.get("quiet"))
            kw["interreflection"] = {**settings, "solution": cache[key]}
        parts.append(illuminance(scene, members, grid, kind, facing, **kw))
    parts = tuple(parts)
    names = tuple(tuple(lums[i].name for i in g) for g in groups)
    return HourlyField(parts, tuple(scheds), names)


def window_light(scene: Scene, luminaires, points, normals, *, schedules=None, hours=None,
                 **kwargs) -> tuple[HourlyField, np.ndarray]:
    """Light reaching windows from outside: E_v on each window and the intensity towards it.

    Parameters
    ----------
    scene, luminaires
        As :func:`~cpted_sim.lighting.illuminance`.
    points : (n, 3) float
        Window points [m] (world).
    normals : (n, 3) float
        Outward normals of the windows (the illuminance is on the plane facing out).
    schedules
        As :func:`hourly_illuminance`.
    hours : (h,) float, optional
        Times of day [h] of the intensity table (default :func:`night_hours`).
    **kwargs
        Passed to :func:`~cpted_sim.lighting.illuminance`.

    Returns
    -------
    HourlyField
        ``E_v`` [lx] on the window planes, per group (``.at(hour)``, ``.curve(hours)``).
    (h, n) float
        Largest luminous intensity [cd] of any luminaire towards each window at each hour
        (scaled by its level; unobstructed: the intensity aimed at the window).

    Notes
    -----
    ``E_v = I cos(theta) / d^2`` summed over luminaires, ``theta`` between the window's
    outward normal and the direction to the luminaire (CIE 150:2017).
    """
    grid = CalculationGrid.from_points(points, normals, kind="plane", name="windows")
    kwargs.setdefault("cutoff", 0.0)
    ev = hourly_illuminance(scene, luminaires, grid, kind="plane", schedules=schedules,
                            **kwargs)
    ev = HourlyField(tuple(p.with_values(p.values, quantity="E_v") for p in ev.parts),
                     ev.schedules, ev.groups)
    hs = night_hours() if hours is None else np.atleast_1d(np.asarray(hours, dtype=float))
    lums = _luminaire_list(luminaires)
    groups, scheds = _group(lums, schedules)
    inten = np.zeros((hs.size, grid.n_points))
    for members, sched in zip(groups, scheds):
        lv = np.atleast_1d(sched.level_at(hs))
        for i in members:
            i_lum = lums[i].intensity_towards(grid.points)
            inten = np.maximum(inten, lv[:, None] * i_lum[None, :])
    return ev, inten


def operating_periods(schedules, start=DEFAULT_NIGHT[0], end=DEFAULT_NIGHT[1]):
    """The night cut where any schedule changes level: periods and each schedule's levels.

    Parameters
    ----------
    schedules : sequence of Schedule
    start, end : float or str
        The operating night (the lights burn from ``start`` to ``end``).

    Returns
    -------
    bounds : (j + 1,) float
        Period bounds [h from ``start``], 0 to the night's length.
    levels : (len(schedules), j) float
        Output fraction of each schedule in each period.
    """
    a, b = parse_hour(start, "start"), parse_hour(end, "end")
    length = (b - a) % 24.0 or 24.0
    cuts = {0.0, length}
    for s in schedules:
        for t in s.change_points():
            rel = (t - a) % 24.0
            if 0.0 < rel < length:
                cuts.add(rel)
    bounds = np.array(sorted(cuts))
    mids = np.mod(a + 0.5 * (bounds[:-1] + bounds[1:]), 24.0)
    levels = np.array([np.atleast_1d(s.level_at(mids)) for s in schedules]).reshape(
        len(schedules), mids.size)
    return bounds, levels
