"""Night has hours: a scenario's schedules, presence, obtrusive light and energy (issue #18).

:class:`HoursSpec` holds what a scenario says about the hours of the night (dimming schedules
per luminaire, power per luminaire, presence per observer set, the obtrusive-light zone, the
night and the chosen hour). :func:`run_hours` runs after :func:`cpted_sim.run` computed the
full-output fields: it traces each luminaire group's light once
(:func:`~cpted_sim.lighting.hours.hourly_illuminance`), combines it per hour without tracing,
and gives per area the night-time metrics as curves over the night, the worst hour, the
fields at the chosen hour; windows over the obtrusive-light limits; EN 13201-5 ``D_P`` and
``D_E``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import CptedWarning, ParameterError
from ..field import Field
from ..lighting.hours import (ALWAYS, DEFAULT_NIGHT, HourlyField, Schedule, format_hour,
                              hourly_illuminance, night_hours, operating_periods, parse_hour,
                              window_light)
from ..metrics.energy import NIGHTS_PER_YEAR, EnergyIndicators, energy_indicators
from ..metrics.obtrusive import ObtrusiveLimits, ObtrusiveResult, check_obtrusive
from ..visibility.night import CREST_PRESENCE, RESIDENT_KINDS

__all__ = ["HoursSpec", "AreaHours", "HoursResult", "run_hours", "set_schedule",
           "PRESENCE_PRESETS", "FULL_OUTPUT"]

#: The schedule name meaning full output all night (no dimming).
FULL_OUTPUT = "always"

#: Named presence tables (24 hourly weights, index 0 = 00:00-01:00).
PRESENCE_PRESETS = {"residents": CREST_PRESENCE, "always": (1.0,) * 24}


@dataclass(frozen=True)
class HoursSpec:
    """What a scenario says about the hours of the night.

    Attributes
    ----------
    schedules : mapping str -> Schedule
        Named dimming schedules.
    luminaire_schedules : mapping str -> str
        Luminaire name -> schedule name.
    default_schedule : str or None
        Schedule of every luminaire that has none (default: full output all night).
    power : mapping str -> float
        Luminaire name -> system power at full output [W] (else the photometry file's).
    presence : mapping str -> tuple of 24 float
        Observer set name -> hourly presence weights [-] (default: :data:`CREST_PRESENCE`
        for windows and doors, 1 for paths and persons).
    start, end : float
        The night [h of day] (default 20:00 to 06:00).
    step : float
        Length of the time slots of the curves [h] (default 1).
    at : float or None
        The chosen hour [h of day] of the maps (default: each area's worst hour only).
    obtrusive : ObtrusiveLimits or None
        Limits of obtrusive light at windows (none: not checked).
    nights_per_year : float
        Nights per year for D_E (default 365).
    """

    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    luminaire_schedules: Mapping[str, str] = field(default_factory=dict)
    default_schedule: str | None = None
    power: Mapping[str, float] = field(default_factory=dict)
    presence: Mapping[str, tuple] = field(default_factory=dict)
    start: float = DEFAULT_NIGHT[0]
    end: float = DEFAULT_NIGHT[1]
    step: float = 1.0
    at: float | None = None
    obtrusive: ObtrusiveLimits | None = None
    nights_per_year: float = float(NIGHTS_PER_YEAR)

    def schedule_of(self, name: str) -> Schedule:
        """The schedule of a luminaire (by name)."""
        key = self.luminaire_schedules.get(name, self.default_schedule)
        return ALWAYS if key in (None, FULL_OUTPUT) else self.schedules[key]

    @property
    def hours(self) -> np.ndarray:
        """Middles of the time slots of the night [h of day]."""
        return night_hours(self.start, self.end, self.step)


@dataclass(frozen=True, eq=False)
class AreaHours:
    """Night-time metrics of one area over the night.

    Attributes
    ----------
    name : str
    hours : (h,) float
        Times of day [h].
    mean_E_h : (h,) float
        Area-weighted mean horizontal illuminance [lx] at each hour.
    mean_night_weight : (h,) float
        Mean night-time surveillance weight [-] (light and presence of that hour).
    unwatched : (h,) float
        Share of the area [-] whose night-time surveillance weight is below the
        ``min_surveillance`` threshold at each hour (NaN where the area does not compute
        night-time surveillance; its worst hour is then the darkest).
    unwatched_full_light : (h,) float
        The same with every luminaire at full output: ``unwatched - unwatched_full_light``
        is what dimming costs.
    worst : int
        Index of the worst hour (largest unwatched share; ties: the darker hour).
    E_h : HourlyField
        Horizontal illuminance per luminaire group (``.at(hour)``).
    fields_at : mapping str -> Field
        ``E_h`` and ``night_surveillance_weight`` at the chosen hour (when one is set).
    fields_worst : mapping str -> Field
        The same at the worst hour.
    metric_curves : mapping str -> (h,) float
        Every metric of :func:`~cpted_sim.scenario.metrics.area_metrics` that the hour
        changes (``E_avg``, ``E_min``, ``U0``, ``class_achieved``, ``E_sc_min``, ``dark_pct``,
        ``night_surveyed_pct``) at each hour.
    metrics_worst, metrics_at : mapping str -> Metric
        Those metrics at the worst and at the chosen hour.
    night_at : callable
        ``night_at("01:30")`` -> ``{"E_h": Field, "night_surveillance_weight": Field}`` at
        any time of day (the light and the watchers of that hour; sightlines are traced
        again, light is not). For judging a citizen's report at its own time.
    """

    name: str
    hours: np.ndarray
    mean_E_h: np.ndarray
    mean_night_weight: np.ndarray
    unwatched: np.ndarray
    unwatched_full_light: np.ndarray
    worst: int
    E_h: HourlyField
    fields_at: Mapping[str, Field]
    fields_worst: Mapping[str, Field]
    night_at: Any = None
    metric_curves: Mapping[str, np.ndarray] = field(default_factory=dict)
    metrics_worst: Mapping[str, Any] = field(default_factory=dict)
    metrics_at: Mapping[str, Any] = field(default_factory=dict)

    @property
    def worst_hour(self) -> str:
        """``"HH:MM"`` of the worst hour."""
        return format_hour(self.hours[self.worst])


@dataclass(frozen=True, eq=False)
class HoursResult:
    """What :func:`run_hours` returns: per area curves, obtrusive light, energy."""

    spec: HoursSpec
    hours: np.ndarray
    at: float | None
    areas: Mapping[str, AreaHours]
    obtrusive: ObtrusiveResult | None = None
    window_points: np.ndarray | None = None
    energy: EnergyIndicators | None = None
    energy_by_area: Mapping[str, EnergyIndicators] = field(default_factory=dict)
    schedules: Mapping[str, str] = field(default_factory=dict)

    @property
    def energy_note(self) -> str:
        """Why ``energy`` is missing, or what it covers."""
        if self.energy is not None:
            return ("EN 13201-5: D_P over the lit areas at full output; D_E over the night's "
                    f"periods, {self.spec.nights_per_year:g} nights a year")
        return ("no luminaire power [W] given (luminaire key 'power', or the photometry "
                "file's input watts); D_P and D_E not computed")


def set_schedule(sc, schedule: str, luminaires=()):
    """``sc`` with the named luminaires (default: all) on ``schedule`` (a name of
    ``sc.hours.schedules``, or ``"always"`` for full output all night)."""
    spec = sc.hours if sc.hours is not None else HoursSpec()
    if schedule != FULL_OUTPUT and schedule not in spec.schedules:
        raise ParameterError(f"set_schedule: no schedule is named {schedule!r}; schedules: "
                             f"{sorted(spec.schedules) + [FULL_OUTPUT]}")
    names = {x.name for x in sc.luminaires}
    unknown = [n for n in luminaires if n not in names]
    if unknown:
        raise ParameterError(f"set_schedule: no luminaire is named {unknown[0]!r}")
    if luminaires:
        per = {**spec.luminaire_schedules, **{n: schedule for n in luminaires}}
        spec = replace(spec, luminaire_schedules=per)
    else:
        spec = replace(spec, luminaire_schedules={}, default_schedule=schedule)
    return replace(sc, hours=spec)


def _warn(msg: str) -> None:
    warnings.warn(msg, CptedWarning, stacklevel=3)


# ---------------------------------------------------------------------------- presence
def _presence_table(scenario, scene, observers, spec: HoursSpec) -> np.ndarray:
    """(n_observers, 24) presence weights: per set where given, else by kind."""
    n = observers.n
    table = np.ones((n, 24))
    resident = np.isin(observers.kind.astype(str), RESIDENT_KINDS)
    table[resident] = CREST_PRESENCE
    if not spec.presence:
        return table
    from .run import build_observers

    by_pos: dict[tuple, np.ndarray] = {}
    for o in scenario.observers:
        if o.name not in spec.presence:
            continue
        built = build_observers(replace(scenario, observers=(o,)), scene)
        if built is None:
            continue
        row = np.asarray(spec.presence[o.name], dtype=np.float64)
        for p in built.positions:
            by_pos.setdefault(tuple(np.round(p, 9)), row)
    for i, p in enumerate(observers.positions):
        row = by_pos.get(tuple(np.round(p, 9)))
        if row is not None:
            table[i] = row
    return table


def _slot(hour: float) -> int:
    return int(math.floor(hour % 24.0)) % 24


# ---------------------------------------------------------------------------- areas
def _facings(area, grid):
    """E_sc facing directions (n, 3) or (3,) per field, and their azimuths [deg]."""
    from .run import _NIGHT_FACINGS, _main_direction

    if area.kind == "route":
        ahead = grid.normals
        az_r = np.degrees(np.arctan2(ahead[:, 1], ahead[:, 0]))
        az_main = float(np.degrees(np.arctan2(np.mean(np.sin(np.radians(az_r))),
                                              np.mean(np.cos(np.radians(az_r))))))
        return [ahead, -ahead], [az_main, az_main + 180.0]
    d = _main_direction(area)
    az0 = math.degrees(math.atan2(d[1], d[0]))
    out = []
    for rel in _NIGHT_FACINGS:
        a = math.radians(az0 + rel)
        out.append((math.cos(a), math.sin(a), 0.0))
    return out, [az0 + r for r in _NIGHT_FACINGS]


def _area_hours(area, result_area, scene, lums, scheds, observers, presence, scenario,
                hours, at, kw, quiet, night: bool = True) -> AreaHours:
    from ..visibility import night_surveillance_fields
    from .metrics import dark_threshold
    from .run import _ConstantThreshold, point_weights

    th = scenario.thresholds
    grid = result_area.grid
    w = point_weights(grid, area)
    w = w / w.sum() if w.sum() > 0 else np.full(grid.n_points, 1.0 / max(grid.n_points, 1))
    e_h = hourly_illuminance(scene, lums, grid, "horizontal", schedules=scheds, **kw)
    face_grid = grid.at_height(th.target_height)
    facings, azs = _facings(area, face_grid)
    esc = [hourly_illuminance(scene, lums, face_grid, "semicylindrical", facing=f,
                              schedules=scheds, **kw) for f in facings] if night else []
    extra = {}
    if th.night_lit_lx is not None:
        extra["threshold"] = _ConstantThreshold(th.night_lit_lx)
    all_hours = list(hours) + ([at] if at is not None else [])

    def night_weight(hour, full: bool):
        fl = [_full(h) if full else h.at(hour) for h in esc]
        if not night:
            return np.full(grid.n_points, np.nan)
        if observers is None:
            return np.zeros(grid.n_points)
        res = night_surveillance_fields(scene, observers, grid, fl, facing_azimuths=azs,
                                        presence=presence[:, _slot(hour)],
                                        target_height=th.target_height, quiet=quiet, **extra)
        return res.weight

    from .metrics import area_metrics, below

    w_abs = point_weights(grid, area)
    back = 1 if area.kind == "route" else 2       # the E_sc field facing the other way

    def metrics_of(eh, nw, hour):
        f = {"E_h": eh, "dark": below(eh, dark_threshold(area, th), "dark")}
        if esc:
            sc_min = np.minimum(esc[0].at(hour).values, esc[back].at(hour).values)
            f["E_sc"] = Field(sc_min, grid, "E_sc", "lx", {"facing": "min of both senses"})
        if night and isinstance(nw, Field):
            f["night_surveillance_weight"] = nw
        return area_metrics(area, f, w_abs, th)

    mean_e, mean_w, unw, unw_full, w_fields, e_fields = [], [], [], [], [], []
    mets = []
    for hour in all_hours:
        eh = e_h.at(hour)
        nw = night_weight(hour, False)
        nw_full = night_weight(hour, True)
        nwv = nw.values if isinstance(nw, Field) else nw
        nwf = nw_full.values if isinstance(nw_full, Field) else nw_full
        mean_e.append(float(w @ eh.values))
        mean_w.append(float(w @ nwv))
        unw.append(float(w @ (nwv < th.min_surveillance)) if night else math.nan)
        unw_full.append(float(w @ (nwf < th.min_surveillance)) if night else math.nan)
        e_fields.append(eh)
        mets.append(metrics_of(eh, nw, hour))
        w_fields.append(nw if isinstance(nw, Field) else
                        Field(nw, grid, "night_surveillance_weight", "1",
                              {"note": "no observers"}))
    n = len(hours)
    key = [(unw[i] if night else 0.0, -mean_e[i]) for i in range(n)]
    worst = max(range(n), key=lambda i: key[i]) if n else 0

    def labelled(i):
        h = format_hour(all_hours[i])
        return {"E_h": e_fields[i].with_values(e_fields[i].values, hour=h),
                "night_surveillance_weight": w_fields[i].with_values(w_fields[i].values,
                                                                     hour=h)}
    def night_at(hour):
        h = parse_hour(hour, "hour")
        nw = night_weight(h, False)
        if not isinstance(nw, Field):
            nw = Field(nw, grid, "night_surveillance_weight", "1", {"note": "no observers"})
        label = format_hour(h)
        eh = e_h.at(h)
        return {"E_h": eh.with_values(eh.values, hour=label),
                "night_surveillance_weight": nw.with_values(nw.values, hour=label)}

    curves = {k: np.array([mt[k].value if k in mt else np.nan for mt in mets[:n]])
              for k in dict.fromkeys(k for mt in mets[:n] for k in mt)}
    return AreaHours(area.name, np.asarray(hours, dtype=np.float64), np.array(mean_e[:n]),
                     np.array(mean_w[:n]), np.array(unw[:n]), np.array(unw_full[:n]), worst,
                     e_h, labelled(n) if at is not None else {}, labelled(worst), night_at,
                     curves, mets[worst] if n else {}, mets[n] if at is not None else {})


def _full(h: HourlyField) -> Field:
    """The group fields summed at full output."""
    vals = np.sum([p.values for p in h.parts], axis=0)
    return h.parts[0].with_values(vals, hour="full output")


# ---------------------------------------------------------------------------- energy
def _point_polygon_distance(p, poly) -> float:
    poly = np.asarray(poly, dtype=np.float64)
    x, y = p
    a, b = poly, np.roll(poly, -1, axis=0)
    inside = False
    for (x0, y0), (x1, y1) in zip(a, b):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    if inside:
        return 0.0
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", np.asarray(p) - a, ab) / np.maximum(
        np.einsum("ij,ij->i", ab, ab), 1e-300), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + t[:, None] * ab - np.asarray(p), axis=1)))


def _energy(scenario, spec, lums, areas, scheds):
    powers = [spec.power.get(lum.name, lum.system_power) for lum in lums]
    missing = [lum.name for lum, p in zip(lums, powers) if p is None]
    if len(missing) == len(lums):
        return None, {}
    if missing:
        _warn(f"energy: {len(missing)} of {len(lums)} luminaires have no power [W] (first "
              f"{missing[0]!r}; give luminaire key 'power'); D_P and D_E are left out")
        return None, {}
    lit = [a for a in scenario.areas if a.kind in ("en13201", "grid") and a.name in areas]
    if not lit:
        return None, {}
    from .run import point_weights

    bounds, levels = operating_periods(scheds, spec.start, spec.end)
    hours = np.diff(bounds) * spec.nights_per_year
    p = np.asarray(powers, dtype=np.float64)
    e_mean, a_size = [], []
    for a in lit:
        r = areas[a.name]
        w = point_weights(r.grid, a)
        a_size.append(float(w.sum()))
        e_mean.append(float(w @ r.fields["E_h"].values) / max(float(w.sum()), 1e-300))
    total = energy_indicators(p, levels, hours, e_mean, a_size)
    # each luminaire's power counts for the lit area whose polygon lies nearest its foot
    owner = [min(range(len(lit)), key=lambda k: _point_polygon_distance(
        lum.position[:2], lit[k].polygon)) for lum in lums]
    by_area = {}
    for k, a in enumerate(lit):
        sel = [i for i, o in enumerate(owner) if o == k]
        if sel:
            by_area[a.name] = energy_indicators(p[sel], levels[sel], hours, e_mean[k],
                                                a_size[k])
    return total, by_area


# ---------------------------------------------------------------------------- run
def run_hours(scenario, scene, lums, observers, areas, quiet: bool = True) -> HoursResult:
    """The hours of the night of a computed scenario (called by :func:`cpted_sim.run`).

    Parameters
    ----------
    scenario : Scenario
        With ``scenario.hours`` a :class:`HoursSpec`.
    scene, lums, observers, areas
        What the run built and computed (full-output fields).
    quiet : bool
        Turn progress bars off.

    Returns
    -------
    HoursResult
    """
    spec = scenario.hours
    if not isinstance(spec, HoursSpec):
        raise ParameterError(f"scenario.hours: expected a HoursSpec, got {type(spec).__name__}")
    hours = spec.hours
    scheds = [spec.schedule_of(lum.name) for lum in lums]
    kw: dict[str, Any] = dict(max_distance=scenario.settings.max_distance, quiet=quiet)
    if scenario.settings.bounces:  # each luminaire group's interreflection, solved once
        kw.update(bounces=scenario.settings.bounces, solutions={})
    presence = (_presence_table(scenario, scene, observers, spec) if observers is not None
                else np.ones((0, 24)))
    out = {}
    if lums:
        for a in scenario.areas:
            if a.kind == "facade" or a.name not in areas:
                continue
            q = a.computed_quantities
            if "E_h" not in q and "night_surveillance" not in q:
                continue
            out[a.name] = _area_hours(a, areas[a.name], scene, lums, scheds, observers,
                                      presence, scenario, hours, spec.at, kw, quiet,
                                      night="night_surveillance" in q)
    obtr, wpts = None, None
    if spec.obtrusive is not None and lums and observers is None:
        from . import terrain
        from .run import build_observers

        observers = terrain.check_observers(build_observers(scenario, scene), scene, scenario)
    if spec.obtrusive is not None and lums and observers is not None:
        win = np.flatnonzero(observers.kind.astype(str) == "window")
        if win.size:
            wpts = observers.positions[win]
            ev, inten = window_light(scene, lums, wpts, observers.directions[win],
                                     schedules=scheds, hours=hours, **kw)
            obtr = check_obtrusive(ev.curve(hours), inten, hours, spec.obtrusive)
        else:
            _warn("obtrusive: the scenario has no window observers; obtrusive light at "
                  "windows is not checked")
    energy, by_area = _energy(scenario, spec, lums, areas, scheds) if lums else (None, {})
    names = {lum.name: spec.luminaire_schedules.get(lum.name, spec.default_schedule)
             or "always" for lum in lums}
    return HoursResult(spec, hours, spec.at, out, obtr, wpts, energy, by_area, names)
