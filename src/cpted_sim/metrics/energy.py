"""Energy performance indicators of road lighting per EN 13201-5 (issue #18, item 5).

``D_P`` (power density indicator, W / (lx m2)) and ``D_E`` (annual energy consumption
indicator, Wh / (m2 year)), from each luminaire's power and its dimming levels per operating
period. Pure numpy on arrays and fields (layer L4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_vector
from ..errors import ParameterError

__all__ = ["EnergyIndicators", "power_density", "annual_energy", "energy_indicators",
           "NIGHTS_PER_YEAR"]

#: Nights per year used to turn a nightly schedule into annual operating hours.
NIGHTS_PER_YEAR = 365


@dataclass(frozen=True)
class EnergyIndicators:
    """EN 13201-5 indicators of one lit area (or a set of sub-areas).

    Attributes
    ----------
    D_P : float
        Power density indicator [W/(lx m2)].
    D_E : float
        Annual energy consumption indicator [Wh/(m2 year)].
    power : float
        Installed power at full output [W].
    energy : float
        Annual energy [Wh/year].
    area : float
        Lit area [m2].
    hours : float
        Operating hours per year [h].
    """

    D_P: float
    D_E: float
    power: float
    energy: float
    area: float
    hours: float


def power_density(power, mean_illuminance, areas) -> float:
    """Power density indicator ``D_P`` [W/(lx m2)].

    Parameters
    ----------
    power : float or (k,) float
        System power of the luminaires lighting the area [W] (summed).
    mean_illuminance : float or (m,) float
        Maintained mean horizontal illuminance of each sub-area [lx].
    areas : float or (m,) float
        Size of each sub-area [m2].

    Returns
    -------
    float
        ``D_P = P / sum_i(E_i A_i)``; ``inf`` when nothing is lit.

    References
    ----------
    EN 13201-5:2015, Road lighting - Part 5: Energy performance indicators, clause 4.
    """
    p = float(np.sum(as_vector(np.atleast_1d(power), "power")))
    e = as_vector(np.atleast_1d(mean_illuminance), "mean_illuminance")
    a = as_vector(np.atleast_1d(areas), "areas", e.shape[0])
    if p < 0 or np.any(e < 0) or np.any(a < 0):
        raise ParameterError("power_density: power, illuminance and areas must be >= 0")
    lit = float(np.sum(e * a))
    return p / lit if lit > 0 else float("inf")


def annual_energy(power, levels, period_hours) -> float:
    """Annual energy [Wh/year] of luminaires dimmed per operating period.

    Parameters
    ----------
    power : (k,) float
        Full-output power of each luminaire [W].
    levels : (k, j) float
        Output fraction of each luminaire in each period [-]; power is taken proportional to
        it (a dimmed LED driver draws about its output share; give measured power per level
        by scaling ``levels`` accordingly).
    period_hours : (j,) float
        Operating hours per year of each period [h].

    Returns
    -------
    float
        ``W = sum_j sum_k P_k s_kj t_j`` [Wh].
    """
    p = as_vector(np.atleast_1d(power), "power")
    t = as_vector(np.atleast_1d(period_hours), "period_hours")
    s = np.asarray(levels, dtype=np.float64)
    if s.shape != (p.shape[0], t.shape[0]):
        raise ParameterError(f"levels: expected shape ({p.shape[0]}, {t.shape[0]}) "
                             f"(luminaires, periods), got {s.shape}")
    if np.any(p < 0) or np.any(t < 0) or np.any(~np.isfinite(s)) or np.any(s < 0):
        raise ParameterError("annual_energy: power, levels and hours must be finite and >= 0")
    return float(p @ s @ t)


def energy_indicators(power, levels, period_hours, mean_illuminance, areas) -> EnergyIndicators:
    """``D_P`` and ``D_E`` of an area per EN 13201-5.

    Parameters
    ----------
    power : (k,) float
        Full-output power of each luminaire [W].
    levels : (k, j) float
        Output fraction of each luminaire in each operating period [-].
    period_hours : (j,) float
        Operating hours per year of each period [h].
    mean_illuminance : float or (m,) float
        Maintained mean illuminance of each sub-area at full output [lx].
    areas : float or (m,) float
        Size of each sub-area [m2].

    Returns
    -------
    EnergyIndicators

    Notes
    -----
    ``D_P = P / sum_i(E_i A_i)`` with ``P`` the full-output power; ``D_E = W / A`` with
    ``W = sum_j P_j t_j`` the annual energy and ``A`` the lit area.

    References
    ----------
    EN 13201-5:2015, Road lighting - Part 5: Energy performance indicators, clauses 4 and 5.
    """
    p = as_vector(np.atleast_1d(power), "power")
    a_total = float(np.sum(np.atleast_1d(np.asarray(areas, dtype=np.float64))))
    if a_total <= 0:
        raise ParameterError("areas: the lit area must be > 0 m2")
    energy = annual_energy(p, levels, period_hours)
    return EnergyIndicators(D_P=power_density(p, mean_illuminance, areas),
                            D_E=energy / a_total, power=float(p.sum()), energy=energy,
                            area=a_total, hours=float(np.sum(period_hours)))
