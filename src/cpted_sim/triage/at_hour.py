"""Each report judged at its own hour (issue 18, build 3; issue 14, build 3).

When the scenario has ``[hours]`` (a :class:`~cpted_sim.scenario.schedule.HoursSpec`: dimming
schedules, presence behind the windows), a report made at night is judged against the light
and the watchers at its local time of day: a report at 01:30 sees the lights as dimmed at
01:30 and the residents awake at 01:30. Reports by day (outside the spec's night, default
20:00 to 06:00), reports without a time, and every report of a scenario without ``[hours]``
are judged against full light and everyone present, as before.

Light is linear in each luminaire's output, so each group of luminaires sharing a schedule is
traced once (:func:`~cpted_sim.lighting.hours.hourly_illuminance`, :func:`trace_hourly`; their
sum is the full-light field the context uses for reports by day) and combined per hour without
tracing. Night-time surveillance depends on the hour through E_sc and presence, so it
is recomputed once per distinct (hour slot, dimming levels) among the reports, only on the grid
points around the reports of that hour.
"""

from __future__ import annotations

import math

import numpy as np

from ..field import Field
from ..geometry.grid import CalculationGrid

__all__ = ["local_hours", "judged_hours", "HourlyContext", "hourly_context", "trace_hourly"]


def local_hours(times, timezone: str = "Europe/Amsterdam") -> np.ndarray:
    """Local hour of day [h] of UTC ``times`` (datetime64) in ``timezone``; NaN for NaT."""
    from datetime import datetime, timezone as _tz
    from zoneinfo import ZoneInfo

    t = np.asarray(times, dtype="datetime64[s]").reshape(-1)
    out = np.full(t.shape[0], np.nan)
    zone = ZoneInfo(timezone)
    for i, v in enumerate(t):
        if np.isnat(v):
            continue
        d = datetime.fromtimestamp(int(v.astype(np.int64)), tz=_tz.utc).astimezone(zone)
        out[i] = d.hour + d.minute / 60.0 + d.second / 3600.0
    return out


def _in_night(h, start: float, end: float) -> np.ndarray:
    h = np.asarray(h, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if start > end:
            return (h >= start) | (h < end)
        return (h >= start) & (h < end)


def judged_hours(times, spec, timezone: str = "Europe/Amsterdam") -> np.ndarray:
    """The local hour [h] each report is judged at: its own when it lies in the spec's night,
    else NaN (full light, everyone present)."""
    if times is None:
        return np.zeros(0)
    h = local_hours(times, timezone)
    return np.where(_in_night(h, spec.start, spec.end) & np.isfinite(h), h, np.nan)


class HourlyContext:
    """Fields at the hours of the reports.

    Attributes
    ----------
    hours : (n,) float
        Local hour each report is judged at [h] (NaN: full light).
    key : (n,) int
        Index into ``fields`` of each report (-1: the full-light fields).
    fields : list of dict
        ``E_h``, ``E_sc``, ``night_surveillance`` on the whole neighbourhood grid (the night
        surveillance only around the reports of that hour, NaN elsewhere).
    """

    def __init__(self, hours, key, fields):
        self.hours = hours
        self.key = key
        self.fields = fields


def trace_hourly(scenario, scene, lums, grid: CalculationGrid, times, facings, *,
                 timezone: str = "Europe/Amsterdam", quiet: bool = True):
    """The light of each schedule group on ``grid``: (hours, E_h, [E_sc per facing]) as
    :class:`~cpted_sim.lighting.hours.HourlyField`; None when the scenario has no ``[hours]``,
    no luminaires, or no report lies in the night. Their sums at full output are the
    full-light fields, so nothing is traced twice."""
    from ..lighting.hours import hourly_illuminance
    from ..scenario.schedule import HoursSpec

    spec = getattr(scenario, "hours", None)
    if not isinstance(spec, HoursSpec) or not lums or times is None:
        return None
    hours = judged_hours(times, spec, timezone)
    if not np.any(np.isfinite(hours)):
        return None
    kw = dict(max_distance=scenario.settings.max_distance, quiet=quiet)
    scheds = [spec.schedule_of(lum.name) for lum in lums]
    e_h = hourly_illuminance(scene, lums, grid, "horizontal", schedules=scheds, **kw)
    face = grid.at_height(scenario.thresholds.target_height)
    esc = []
    for az in facings:
        a = math.radians(az)
        esc.append(hourly_illuminance(scene, lums, face, "semicylindrical",
                                      facing=(math.cos(a), math.sin(a), 0.0),
                                      schedules=scheds, **kw))
    return hours, e_h, esc


def hourly_context(scenario, scene, lums, observers, grid: CalculationGrid, near, traced,
                   facings, *, quiet: bool = True):
    """Per report, the fields at its hour (:class:`HourlyContext`) from :func:`trace_hourly`'s
    ``traced``; None when that is None."""
    from ..scenario.schedule import _presence_table, _slot
    from ..visibility import night_surveillance_fields

    if traced is None:
        return None
    spec = scenario.hours
    hours, e_h, esc = traced
    th = scenario.thresholds
    presence = (_presence_table(scenario, scene, observers, spec)
                if observers is not None and observers.n else None)
    extra = {}
    if th.night_lit_lx is not None:
        from ..scenario.run import _ConstantThreshold

        extra["threshold"] = _ConstantThreshold(th.night_lit_lx)
    key = np.full(hours.shape[0], -1, dtype=np.int64)
    index: dict = {}
    fields: list = []
    for i in np.flatnonzero(np.isfinite(hours)):
        h = float(hours[i])
        k = (_slot(h), tuple(np.round(e_h.levels(h), 9)))
        if k not in index:
            index[k] = len(fields)
            fields.append(h)
        key[i] = index[k]
    out = []
    for j, h in enumerate(fields):
        eh = e_h.at(h).values
        sc = [f.at(h).values for f in esc]
        night = np.full(grid.n_points, np.nan)
        if presence is not None:
            mine = np.flatnonzero(key == j)
            idx = np.unique(np.concatenate([np.asarray(near[i], dtype=np.int64)
                                            for i in mine] + [np.zeros(0, np.int64)]))
            if idx.size:
                sub = CalculationGrid.from_points(grid.points[idx], kind="horizontal",
                                                  name="report neighbourhoods at an hour")
                sface = sub.at_height(th.target_height)
                flds = [Field(v[idx], sface, "E_sc", "lx", {}) for v in sc]
                night[idx] = night_surveillance_fields(
                    scene, observers, sub, flds, facing_azimuths=list(facings),
                    presence=presence[:, _slot(h)], target_height=th.target_height,
                    quiet=quiet, **extra).weight.values
        else:
            night[:] = 0.0
        out.append({"E_h": eh, "E_sc": np.min(sc, axis=0), "night_surveillance": night})
    return HourlyContext(hours, key, out)
