"""Obtrusive light at windows: limits per environmental zone, before and after a curfew
(issue #18, item 4).

The vertical illuminance ``E_v`` on each window (facing out) and the luminous intensity
towards it are computed by the caller (``scenario.schedule``); this module holds the limit
tables and compares. Pure numpy (layer L4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._validate import as_float
from ..errors import ParameterError

__all__ = ["ObtrusiveLimits", "OBTRUSIVE_PRESETS", "obtrusive_limits", "ObtrusiveResult",
           "check_obtrusive"]


@dataclass(frozen=True)
class ObtrusiveLimits:
    """Limits of obtrusive light at windows for one environmental zone.

    Attributes
    ----------
    name : str
        Zone or preset name (``"E3"``).
    E_v_pre, E_v_post : float
        Largest vertical illuminance on a window [lx] before and after the curfew.
    I_pre, I_post : float or None
        Largest luminous intensity towards a window [cd] before and after the curfew
        (``None``: not limited).
    curfew : float
        Start of the post-curfew hours [h of day] (default 23:00).
    curfew_end : float
        End of the post-curfew hours [h of day] (default 06:00).
    source : str
        Where the values come from.
    """

    name: str
    E_v_pre: float
    E_v_post: float
    I_pre: float | None = None
    I_post: float | None = None
    curfew: float = 23.0
    curfew_end: float = 6.0
    source: str = "user"

    def __post_init__(self):
        for k in ("E_v_pre", "E_v_post"):
            object.__setattr__(self, k, as_float(getattr(self, k), f"{self.name}.{k}", lo=0.0))
        for k in ("I_pre", "I_post"):
            if getattr(self, k) is not None:
                object.__setattr__(self, k, as_float(getattr(self, k), f"{self.name}.{k}",
                                                     lo=0.0))
        for k in ("curfew", "curfew_end"):
            object.__setattr__(self, k, as_float(getattr(self, k), f"{self.name}.{k}", lo=0.0,
                                                 hi=24.0) % 24.0)

    def post_curfew(self, hours) -> np.ndarray:
        """Whether each time of day [h] lies in the post-curfew hours."""
        h = np.mod(np.asarray(hours, dtype=np.float64), 24.0)
        a, b = self.curfew, self.curfew_end
        return (h >= a) & (h < b) if a < b else (h >= a) | (h < b)

    def E_v_limit(self, hours) -> np.ndarray:
        """Limit of E_v [lx] at each time of day [h]."""
        return np.where(self.post_curfew(hours), self.E_v_post, self.E_v_pre)

    def I_limit(self, hours) -> np.ndarray:
        """Limit of the intensity towards a window [cd] at each time of day (inf: none)."""
        pre = np.inf if self.I_pre is None else self.I_pre
        post = np.inf if self.I_post is None else self.I_post
        return np.where(self.post_curfew(hours), post, pre)


_CIE150 = ("CIE 150:2017 Guide on the limitation of the effects of obtrusive light from "
           "outdoor lighting installations, table 2 (the E_v values as in EN 12193:2018 and "
           "the ITF facilities guide)")
_CIE150_POST_E1 = ("; E1 post-curfew 0 lx, or 1 lx where the light is public road lighting "
                   "(1 lx used here)")

#: Named presets: environmental zones E1-E4 (CIE 150 / EN 12193) and the Dutch NSVV
#: sports-lighting guideline's urban values.
OBTRUSIVE_PRESETS: dict[str, ObtrusiveLimits] = {
    "E1": ObtrusiveLimits("E1", 2.0, 1.0, 2500.0, 500.0, source=_CIE150 + _CIE150_POST_E1),
    "E2": ObtrusiveLimits("E2", 5.0, 1.0, 7500.0, 500.0, source=_CIE150),
    "E3": ObtrusiveLimits("E3", 10.0, 2.0, 10000.0, 1000.0, source=_CIE150),
    "E4": ObtrusiveLimits("E4", 25.0, 5.0, 25000.0, 2500.0, source=_CIE150),
    "NSVV-urban": ObtrusiveLimits(
        "NSVV-urban", 10.0, 2.0, None, None,
        source="NSVV Richtlijn sportverlichting: urban area, 10 lx before and 2 lx after "
               "23:00 on the facade"),
}


def obtrusive_limits(zone: str | Mapping | ObtrusiveLimits) -> ObtrusiveLimits:
    """Limits from a preset name (``"E3"``), a mapping of the fields, or limits themselves."""
    if isinstance(zone, ObtrusiveLimits):
        return zone
    if isinstance(zone, str):
        if zone not in OBTRUSIVE_PRESETS:
            raise ParameterError(f"zone: expected one of {sorted(OBTRUSIVE_PRESETS)} or a "
                                 f"table of limits, got {zone!r}")
        return OBTRUSIVE_PRESETS[zone]
    if isinstance(zone, Mapping):
        try:
            return ObtrusiveLimits(**{"name": "user", **dict(zone)})
        except TypeError as exc:
            raise ParameterError(f"zone: bad table of limits ({exc})") from None
    raise ParameterError(f"zone: expected a preset name or a table, got {type(zone).__name__}")


@dataclass(frozen=True)
class ObtrusiveResult:
    """Windows over the limits, hour by hour.

    Attributes
    ----------
    hours : (h,) float
        Times of day [h].
    E_v : (h, n) float
        Vertical illuminance on each window (facing out) at each hour [lx].
    intensity : (h, n) float
        Largest luminous intensity towards each window at each hour [cd].
    E_v_limit, I_limit : (h,) float
        Limits at each hour [lx], [cd] (inf: none).
    over : (h, n) bool
        Window over the E_v or the intensity limit at that hour.
    limits : ObtrusiveLimits
    """

    hours: np.ndarray
    E_v: np.ndarray
    intensity: np.ndarray
    E_v_limit: np.ndarray
    I_limit: np.ndarray
    over: np.ndarray
    limits: ObtrusiveLimits

    def over_windows(self, hour_index: int | None = None) -> np.ndarray:
        """Indices of windows over a limit at one hour (default: at any hour)."""
        row = self.over.any(axis=0) if hour_index is None else self.over[hour_index]
        return np.flatnonzero(row)

    @property
    def count_by_hour(self) -> np.ndarray:
        """(h,) int, windows over a limit at each hour."""
        return self.over.sum(axis=1)

    @property
    def worst_hour(self) -> int:
        """Index of the hour with the most windows over a limit (first on ties)."""
        return int(np.argmax(self.count_by_hour)) if self.hours.size else 0


def check_obtrusive(E_v, intensity, hours, limits) -> ObtrusiveResult:
    """Compare window illuminance and intensity with a zone's limits, hour by hour.

    Parameters
    ----------
    E_v : (h, n) float
        Vertical illuminance on each window, facing out [lx].
    intensity : (h, n) float
        Largest intensity towards each window [cd].
    hours : (h,) float
        Times of day [h].
    limits : ObtrusiveLimits or str or mapping
        See :func:`obtrusive_limits`.

    Returns
    -------
    ObtrusiveResult
        ``over[t, i]`` is ``E_v > E_v_limit(t) or I > I_limit(t)``.
    """
    lim = obtrusive_limits(limits)
    h = np.atleast_1d(np.asarray(hours, dtype=np.float64))
    ev = np.asarray(E_v, dtype=np.float64).reshape(h.size, -1)
    ii = np.asarray(intensity, dtype=np.float64).reshape(h.size, -1)
    if ev.shape != ii.shape:
        raise ParameterError(f"intensity: expected shape {ev.shape} like E_v, got {ii.shape}")
    el, il = lim.E_v_limit(h), lim.I_limit(h)
    over = (ev > el[:, None]) | (ii > il[:, None])
    return ObtrusiveResult(h, ev, ii, el, il, over, lim)
