"""The canonical luminous intensity table: C 0-360 deg by gamma 0-180 deg in candela.

Every reader (IES LM-63, EULUMDAT) and every built-in distribution produces one
:class:`IntensityDistribution` in the type C frame of docs/architecture.md §4: in the luminaire's own frame
gamma = 0 points straight down (-Z), the C = 0 half-plane contains +X and C = 90 contains +Y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import ParameterError

__all__ = ["IntensityDistribution", "extend_gamma", "expand_c_symmetry"]

_ANGLE_TOL = 1e-6  # [deg] angles closer than this are the same angle


@dataclass(frozen=True, eq=False)
class IntensityDistribution:
    """Luminous intensity of a luminaire over the whole sphere, in the type C frame.

    Parameters
    ----------
    c_angles : (n_c,) float
        C angles [deg], strictly increasing, from 0 to 360 inclusive.
    gamma_angles : (n_gamma,) float
        Gamma angles [deg], strictly increasing, from 0 (down, -Z) to 180 (up) inclusive.
    candela : (n_c, n_gamma) float
        Luminous intensity [cd], absolute: multipliers and, for relative photometry, the lamp
        flux are already applied. Row ``i`` is the half-plane ``c_angles[i]``; the rows at C = 0
        and C = 360 are the same half-plane.
    lamp_flux : float or None
        Declared lamp flux [lm] (all lamps), or None for absolute photometry.
    source : str or None
        The file the table was read from, or the name of the built-in that made it.
    name : str
        A human-readable name (luminaire catalogue name when the file has one).
    metadata : mapping
        Format details (file version, photometric type, keywords, light output ratio...).

    Notes
    -----
    Between the nodes the intensity is bilinear in C and gamma (the standard practice of
    lighting design programs). The flux integrates exactly that interpolant over the sphere:

    .. math:: \\Phi = \\int_0^{2\\pi}\\int_0^{\\pi} I(C, \\gamma)\\,\\sin\\gamma\\,d\\gamma\\,dC
    """

    c_angles: np.ndarray
    gamma_angles: np.ndarray
    candela: np.ndarray
    lamp_flux: float | None = None
    source: str | None = None
    name: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        c = _angles(self.c_angles, "c_angles")
        g = _angles(self.gamma_angles, "gamma_angles")
        if abs(c[0]) > _ANGLE_TOL or abs(c[-1] - 360.0) > _ANGLE_TOL or c.size < 2:
            raise ParameterError(
                f"c_angles: expected 0 .. 360 deg inclusive, got {c[0]:g} .. {c[-1]:g} deg")
        if abs(g[0]) > _ANGLE_TOL or abs(g[-1] - 180.0) > _ANGLE_TOL or g.size < 2:
            raise ParameterError(
                f"gamma_angles: expected 0 .. 180 deg inclusive, got {g[0]:g} .. {g[-1]:g} deg")
        c[0], c[-1], g[0], g[-1] = 0.0, 360.0, 0.0, 180.0
        try:
            cd = np.array(self.candela, dtype=np.float64, order="C")
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"candela: expected numbers ({exc})") from None
        if cd.shape != (c.size, g.size):
            raise ParameterError(
                f"candela: expected shape ({c.size}, {g.size}) (n_c, n_gamma), got {cd.shape}")
        if not np.isfinite(cd).all():
            raise ParameterError("candela: contains NaN or infinite values")
        if (cd < 0).any():
            i, j = np.argwhere(cd < 0)[0]
            raise ParameterError(f"candela: negative value {cd[i, j]:g} cd at "
                                 f"C = {c[i]:g} deg, gamma = {g[j]:g} deg")
        if self.lamp_flux is not None:
            lf = float(self.lamp_flux)
            if not (math.isfinite(lf) and lf > 0):
                raise ParameterError(f"lamp_flux: expected a positive number of lm, got {lf}")
            object.__setattr__(self, "lamp_flux", lf)
        for arr in (c, g, cd):
            arr.flags.writeable = False
        object.__setattr__(self, "c_angles", c)
        object.__setattr__(self, "gamma_angles", g)
        object.__setattr__(self, "candela", cd)
        object.__setattr__(self, "source", None if self.source is None else str(self.source))
        object.__setattr__(self, "metadata", dict(self.metadata))

    # ------------------------------------------------------------------ lookup
    def intensity(self, c_deg, gamma_deg) -> np.ndarray:
        """Luminous intensity [cd] towards (C, gamma), bilinear; arguments broadcast.

        Parameters
        ----------
        c_deg : float or array
            C angle [deg]; any value, taken modulo 360.
        gamma_deg : float or array
            Gamma angle [deg]; clipped to 0 .. 180.

        Returns
        -------
        ndarray
            Intensity [cd], of the broadcast shape of the arguments.
        """
        c_q, g_q = np.broadcast_arrays(np.asarray(c_deg, dtype=np.float64),
                                       np.asarray(gamma_deg, dtype=np.float64))
        c_q = np.mod(c_q, 360.0)
        g_q = np.clip(g_q, 0.0, 180.0)
        c, g, cd = self.c_angles, self.gamma_angles, self.candela
        i = np.clip(np.searchsorted(c, c_q, side="right") - 1, 0, c.size - 2)
        j = np.clip(np.searchsorted(g, g_q, side="right") - 1, 0, g.size - 2)
        tc = (c_q - c[i]) / (c[i + 1] - c[i])
        tg = (g_q - g[j]) / (g[j + 1] - g[j])
        lo = cd[i, j] * (1.0 - tg) + cd[i, j + 1] * tg
        hi = cd[i + 1, j] * (1.0 - tg) + cd[i + 1, j + 1] * tg
        return lo * (1.0 - tc) + hi * tc

    # ------------------------------------------------------------------ integrals
    def _zone_flux(self, g_lo: float, g_hi: float) -> float:
        g, cd = self.gamma_angles, self.candela
        if g_lo > 0.0 or g_hi < 180.0:  # split the table exactly at the zone limits
            cuts = [x for x in (g_lo, g_hi) if 0.0 < x < 180.0]
            g_new = np.union1d(g, cuts)
            cd = np.stack([np.interp(g_new, g, row) for row in cd])
            g = g_new
            keep = (g >= g_lo - 1e-12) & (g <= g_hi + 1e-12)
            g, cd = g[keep], cd[:, keep]
        w_g = _gamma_weights(np.radians(g))
        w_c = _trapezoid_weights(np.radians(self.c_angles))
        return float(w_c @ cd @ w_g)

    @cached_property
    def flux(self) -> float:
        """Total luminous flux [lm], the table integrated over the whole sphere."""
        return self._zone_flux(0.0, 180.0)

    @cached_property
    def downward_flux(self) -> float:
        """Luminous flux [lm] into the lower hemisphere (gamma 0 .. 90 deg)."""
        return self._zone_flux(0.0, 90.0)

    @property
    def downward_fraction(self) -> float:
        """Share [-] of the flux going down (gamma < 90 deg); 0 for a dark table."""
        total = self.flux
        return self.downward_flux / total if total > 0 else 0.0

    @property
    def upward_fraction(self) -> float:
        """Share [-] of the flux going up (gamma > 90 deg); 0 for a dark table."""
        total = self.flux
        return (total - self.downward_flux) / total if total > 0 else 0.0

    @cached_property
    def peak(self) -> float:
        """Highest intensity [cd] in the table."""
        return float(self.candela.max())

    @property
    def peak_direction(self) -> tuple[float, float]:
        """(C, gamma) [deg] of the highest intensity (the first node holding it)."""
        i, j = np.unravel_index(int(np.argmax(self.candela)), self.candela.shape)
        return float(self.c_angles[i]), float(self.gamma_angles[j])

    @property
    def efficiency(self) -> float | None:
        """Luminaire flux over declared lamp flux [-] (the light output ratio); None if absolute."""
        return None if self.lamp_flux is None else self.flux / self.lamp_flux

    # ------------------------------------------------------------------ transforms
    def scaled_to_flux(self, flux: float) -> "IntensityDistribution":
        """A copy whose integrated flux is ``flux`` [lm] (the shape is kept).

        Parameters
        ----------
        flux : float
            Target luminaire flux [lm], > 0.
        """
        flux = float(flux)
        if not (math.isfinite(flux) and flux > 0):
            raise ParameterError(f"flux: expected a positive number of lm, got {flux}")
        if self.flux <= 0:
            raise ParameterError("flux: cannot rescale a distribution that emits no light")
        k = flux / self.flux
        lamp = None if self.lamp_flux is None else self.lamp_flux * k
        return IntensityDistribution(self.c_angles, self.gamma_angles, self.candela * k,
                                     lamp_flux=lamp, source=self.source, name=self.name,
                                     metadata={**self.metadata, "scaled_from_flux": self.flux})

    def to_ies(self, path) -> Path:
        """Write the table as an IES LM-63-2002 file (type C, full 0-360 / 0-180 ranges).

        Numbers are written with the 6 significant digits LM-63 files carry
        (:data:`cpted_sim.photometry.ies.IES_SIGNIFICANT_DIGITS`), so reading the file back
        gives this table to a relative 5e-6.

        Parameters
        ----------
        path : str or path-like
            Output file.

        Returns
        -------
        Path
            The written file.
        """
        from .ies import write_ies  # local: ies imports this module

        return write_ies(self, path)

    def __repr__(self) -> str:
        return (f"IntensityDistribution(name={self.name!r}, {self.c_angles.size} C x "
                f"{self.gamma_angles.size} gamma, flux={self.flux:.1f} lm, "
                f"peak={self.peak:.1f} cd, source={self.source!r})")


# ---------------------------------------------------------------------- helpers
def _angles(value, name: str) -> np.ndarray:
    try:
        a = np.array(value, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected numbers ({exc})") from None
    if a.size == 0 or not np.isfinite(a).all():
        raise ParameterError(f"{name}: expected finite angles in degrees")
    if a.size > 1 and (np.diff(a) <= 0).any():
        k = int(np.argmax(np.diff(a) <= 0))
        raise ParameterError(f"{name}: expected strictly increasing angles, "
                             f"{a[k + 1]:g} follows {a[k]:g} at index {k + 1}")
    return a


def _trapezoid_weights(x: np.ndarray) -> np.ndarray:
    """Weights w with sum(w * f) = integral of the piecewise-linear f over x."""
    w = np.zeros_like(x)
    h = np.diff(x)
    w[:-1] += h / 2
    w[1:] += h / 2
    return w


def _gamma_weights(g: np.ndarray) -> np.ndarray:
    """Weights w with sum(w * f) = integral of piecewise-linear f(g) * sin(g) dg (exact)."""
    a, b = g[:-1], g[1:]
    h = b - a
    ds = (np.sin(b) - np.sin(a)) / h
    w = np.zeros_like(g)
    w[:-1] += np.cos(a) - ds
    w[1:] += ds - np.cos(b)
    return w


def extend_gamma(gamma: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extend a gamma range to 0 .. 180 deg with zero intensity where there is no data.

    Missing ranges are filled with nodes at the table's own edge step (so a uniform grid stays
    uniform), holding 0 cd; the intensity therefore falls to 0 within one step of the data.

    Parameters
    ----------
    gamma : (n_g,) float
        Increasing gamma angles [deg] inside 0 .. 180.
    table : (n_c, n_g) float
        Intensity [cd].
    """
    gamma = np.asarray(gamma, dtype=np.float64)
    lo_step = gamma[1] - gamma[0] if gamma.size > 1 else 90.0
    hi_step = gamma[-1] - gamma[-2] if gamma.size > 1 else 90.0
    below = []
    x = gamma[0] - lo_step
    while gamma[0] > _ANGLE_TOL and x > _ANGLE_TOL:
        below.append(x)
        x -= lo_step
    if gamma[0] > _ANGLE_TOL:
        below.append(0.0)
    above = []
    x = gamma[-1] + hi_step
    while gamma[-1] < 180.0 - _ANGLE_TOL and x < 180.0 - _ANGLE_TOL:
        above.append(x)
        x += hi_step
    if gamma[-1] < 180.0 - _ANGLE_TOL:
        above.append(180.0)
    below = np.array(below[::-1])
    above = np.array(above)
    n_c = table.shape[0]
    g = np.concatenate([below, gamma, above])
    t = np.concatenate([np.zeros((n_c, below.size)), table, np.zeros((n_c, above.size))], axis=1)
    return g, t


def expand_c_symmetry(c: np.ndarray, table: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Expand stored C half-planes to the full 0 .. 360 deg range.

    Parameters
    ----------
    c : (m,) float
        Stored C angles [deg], increasing.
    table : (m, n_g) float
        Intensities of the stored half-planes [cd].
    kind : {"full", "axial", "c0-c180", "c90-c270", "both"}
        ``axial``: one plane for all C. ``c0-c180``: planes 0 .. 180, mirrored C -> 360 - C.
        ``c90-c270``: planes 90 .. 270, mirrored C -> 180 - C. ``both``: planes 0 .. 90,
        mirrored about both. ``full``: planes 0 .. <360; the 360 row repeats row 0 when absent.

    Returns
    -------
    c_full : (n_c,) float
        0 .. 360 inclusive [deg].
    table_full : (n_c, n_g) float
    """
    c = np.asarray(c, dtype=np.float64)
    table = np.asarray(table, dtype=np.float64)
    if kind == "axial":
        return np.array([0.0, 360.0]), np.vstack([table[0], table[0]])
    if kind == "both":
        c, table = _mirror(c, table, 180.0)  # 0..90 -> 0..180
        kind = "c0-c180"
    if kind == "c0-c180":
        c, table = _mirror(c, table, 360.0)  # 0..180 -> 0..360
    elif kind == "c90-c270":
        c2, t2 = _mirror(c, table, 180.0)    # 90..270 -> -90..270
        wrapped = c2 < -_ANGLE_TOL
        c2 = np.where(wrapped, c2 + 360.0, c2)
        dup = wrapped & np.array([np.any(np.abs(c - x) < _ANGLE_TOL) for x in c2])
        c2, t2 = c2[~dup], t2[~dup]
        order = np.argsort(c2, kind="stable")
        c, table = c2[order], t2[order]
    elif kind != "full":
        raise ParameterError(f"kind: unknown symmetry {kind!r}")
    if c[0] > _ANGLE_TOL:  # e.g. 90..270 without a 180 plane: interpolate C = 0 across 360
        c_prev = c[-1] - 360.0
        t = (0.0 - c_prev) / (c[0] - c_prev)
        row0 = table[-1] * (1.0 - t) + table[0] * t
        c = np.concatenate([[0.0], c])
        table = np.vstack([row0, table])
    if abs(c[-1] - 360.0) > _ANGLE_TOL:
        c = np.append(c, 360.0)
        table = np.vstack([table, table[0]])
    return c, table


def _mirror(c: np.ndarray, table: np.ndarray, total: float) -> tuple[np.ndarray, np.ndarray]:
    """Add the mirror images C -> total - C of the stored planes, sorted, no duplicates."""
    mc = total - c[::-1]
    mt = table[::-1]
    keep = np.array([not np.any(np.abs(c - x) < _ANGLE_TOL) for x in mc], dtype=bool)
    c_all = np.concatenate([c, mc[keep]])
    t_all = np.vstack([table, mt[keep]])
    order = np.argsort(c_all, kind="stable")
    return c_all[order], t_all[order]
