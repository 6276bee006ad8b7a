"""Built-in intensity distributions for users without photometric files, and for tests.

All return an :class:`~cpted_sim.photometry.distribution.IntensityDistribution` in the type C
frame of docs/architecture.md §4 (gamma = 0 down, C = 0 towards local +X, C = 90 towards local +Y).
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import as_float
from ..errors import ParameterError
from .distribution import IntensityDistribution

__all__ = ["isotropic", "lambertian_downlight", "cosine_distribution", "street_light_optic",
           "canary"]


def _one_of(a, b, names: str):
    if (a is None) == (b is None):
        raise ParameterError(f"{names}: give exactly one of them")


def _table(func, c_step: float, g_step: float):
    c = np.linspace(0.0, 360.0, int(round(360.0 / c_step)) + 1)
    g = np.linspace(0.0, 180.0, int(round(180.0 / g_step)) + 1)
    cc, gg = np.meshgrid(c, g, indexing="ij")
    return c, g, np.maximum(func(cc, gg), 0.0)


def isotropic(intensity_cd: float | None = None, flux: float | None = None) -> IntensityDistribution:
    """A point source of the same intensity in every direction.

    Parameters
    ----------
    intensity_cd : float, optional
        Intensity [cd]. Give this or ``flux``.
    flux : float, optional
        Total flux [lm]; the intensity is ``flux / (4 pi)``.
    """
    _one_of(intensity_cd, flux, "intensity_cd, flux")
    i0 = (as_float(intensity_cd, "intensity_cd", lo=0.0) if flux is None
          else as_float(flux, "flux", lo=0.0) / (4.0 * math.pi))
    c, g = np.array([0.0, 360.0]), np.array([0.0, 180.0])
    return IntensityDistribution(c, g, np.full((2, 2), i0), source="builtin:isotropic",
                                 name="isotropic point source")


def lambertian_downlight(peak_cd: float | None = None,
                         flux: float | None = None) -> IntensityDistribution:
    """A Lambertian downlight: ``I = I0 cos(gamma)`` below the horizontal, 0 above.

    Parameters
    ----------
    peak_cd : float, optional
        Intensity straight down ``I0`` [cd]. Give this or ``flux``.
    flux : float, optional
        Total flux [lm]; ``I0 = flux / pi``.

    Notes
    -----
    Tabulated every 0.25 deg of gamma, so the bilinear interpolant departs from the cosine by
    less than 2.4e-6 I0 and its flux from ``pi I0`` by less than 1e-5.
    """
    _one_of(peak_cd, flux, "peak_cd, flux")
    i0 = (as_float(peak_cd, "peak_cd", lo=0.0) if flux is None
          else as_float(flux, "flux", lo=0.0) / math.pi)
    c, g = np.array([0.0, 360.0]), np.linspace(0.0, 180.0, 721)
    row = np.where(g <= 90.0, i0 * np.cos(np.radians(g)), 0.0)
    row[g == 90.0] = 0.0
    return IntensityDistribution(c, g, np.vstack([row, row]), source="builtin:lambertian",
                                 name="Lambertian downlight")


def cosine_distribution(i0_cd: float) -> IntensityDistribution:
    """``I(gamma) = i0 cos(gamma)`` for gamma < 90 deg, 0 above (the distribution of CIE 171:2006 test case 5.2).

    Parameters
    ----------
    i0_cd : float
        Intensity straight down [cd].
    """
    d = lambertian_downlight(peak_cd=i0_cd)
    return IntensityDistribution(d.c_angles, d.gamma_angles, d.candela,
                                 source="builtin:cosine", name="cosine distribution")


def street_light_optic(flux: float = 10000.0, *, throw: float = 3.0, street_side: float = 1.2,
                       house_side: float = 0.3, cutoff_deg: float = 78.0,
                       edge: float = 0.5) -> IntensityDistribution:
    """A plausible parametric asymmetric road optic (no upward light).

    The optic aims to light a rectangle of the ground evenly: along the road (C0 and C180,
    local +-X) out to ``throw`` mounting heights, towards the street side (C90, local +Y) out
    to ``street_side`` mounting heights, and behind the pole (C270) only ``house_side``
    mounting heights. Above ``cutoff_deg`` the intensity falls smoothly to 0 at 90 deg.

    Parameters
    ----------
    flux : float
        Luminaire flux [lm].
    throw, street_side, house_side : float
        Extent of the lit rectangle in mounting heights [-] (> 0).
    cutoff_deg : float
        Gamma [deg] where the cut-off starts (the intensity is 0 from 90 deg up).
    edge : float
        Width of the soft edge of the rectangle in mounting heights [-].

    Notes
    -----
    For a point at ground offset ``(x, y) = h tan(gamma) (cos C, sin C)`` the intensity is
    ``I ~ w(x) w(y) / cos^2.5(gamma)``, where ``w`` are smooth windows: even illuminance needs
    ``1 / cos^3``, the softer power keeps the peak to nadir ratio near that of real optics.
    """
    flux = as_float(flux, "flux", lo=0.0, lo_open=True)
    for name, val in (("throw", throw), ("street_side", street_side),
                      ("house_side", house_side), ("edge", edge)):
        as_float(val, name, lo=0.0, lo_open=True)
    cutoff = as_float(cutoff_deg, "cutoff_deg", lo=30.0, hi=89.0)

    def window(u, lo, hi):
        return (_smooth((u - lo) / edge + 0.5) * _smooth((hi - u) / edge + 0.5))

    def func(cc, gg):
        gr = np.radians(np.minimum(gg, 89.9))
        t = np.tan(gr)
        x, y = t * np.cos(np.radians(cc)), t * np.sin(np.radians(cc))
        shape = window(x, -throw, throw) * window(y, -house_side, street_side)
        shape = shape / np.cos(gr) ** 2.5
        shape *= _smooth((90.0 - gg) / (90.0 - cutoff))
        return np.where(gg < 90.0, shape, 0.0)

    c, g, table = _table(func, 5.0, 1.0)
    d = IntensityDistribution(c, g, table, source="builtin:street_light_optic",
                              name="parametric street light optic")
    return d.scaled_to_flux(flux)


def canary(peak_cd: float = 1000.0) -> IntensityDistribution:
    """An asymmetric test distribution, brightest towards C = 0 (local +X), none upward.

    ``I(C, gamma) = peak ((1 + cos C) / 2)^2 sin(2 gamma)`` for gamma <= 90 deg: zero straight
    down and towards C = 180, brightest at C = 0, gamma = 45 deg. A luminaire mounted at height
    h with no rotation lights the ground around ``(+h, 0)``; any orientation error shows.

    Parameters
    ----------
    peak_cd : float
        Intensity at C = 0, gamma = 45 deg [cd].
    """
    peak = as_float(peak_cd, "peak_cd", lo=0.0, lo_open=True)

    def func(cc, gg):
        lobe = ((1.0 + np.cos(np.radians(cc))) / 2.0) ** 2
        return np.where(gg <= 90.0, peak * lobe * np.sin(np.radians(2.0 * gg)), 0.0)

    c, g, table = _table(func, 5.0, 1.0)
    return IntensityDistribution(c, g, table, source="builtin:canary", name="canary")


def _smooth(t):
    """0 for t <= 0, 1 for t >= 1, a C1 smoothstep between."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
