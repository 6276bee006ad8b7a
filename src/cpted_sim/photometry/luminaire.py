"""A luminaire placed in the scene, and its packing into flat arrays for the kernels.

Orientation (docs/architecture.md §4): the luminaire-to-world rotation is

    M = Rz(azimuth) . Rx(tilt) . Rz(spin)

``spin`` turns the luminaire about its own axis first, ``tilt`` turns it about its C0-C180 axis
(local X) lifting the C90 side (``Rx(+tilt)`` maps the gamma = 0 axis (0, 0, -1) to
(0, sin t, -cos t)), ``azimuth`` turns it about the world vertical (C0 from world +X,
counter-clockwise seen from above).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from .._validate import as_float, as_points, as_vector
from ..errors import ParameterError
from ..kernels.photometry import intensity_towards_points
from .distribution import IntensityDistribution

__all__ = ["Luminaire", "LuminaireArrays", "pack_luminaires", "rotation_matrix",
           "DEFAULT_MAINTENANCE_FACTOR"]

#: The maintenance factor [-] of every luminaire that does not give one: in Python
#: (:class:`Luminaire`), in scenario files (``LuminaireSpec``), for pole registers
#: (``scenario.poles``) and so on the CLI. EN 13201 designs on maintained values; 0.8 is a
#: maintained LED installation (docs/architecture.md §10). 1.0 gives initial values.
DEFAULT_MAINTENANCE_FACTOR = 0.8


def rotation_matrix(azimuth: float, tilt: float, spin: float) -> np.ndarray:
    """Luminaire-to-world rotation ``Rz(azimuth) Rx(tilt) Rz(spin)``, angles in [deg].

    Returns
    -------
    (3, 3) float
    """
    def rz(a):
        c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])

    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    rx = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return rz(azimuth) @ rx @ rz(spin)


@dataclass(frozen=True, eq=False)
class Luminaire:
    """A luminaire: a distribution placed and aimed in the world.

    Parameters
    ----------
    distribution : IntensityDistribution
        Its photometry.
    position : (3,) float
        Photometric centre in world coordinates [m].
    azimuth : float
        Turn about the world vertical [deg]; C0 points to world +X at 0, counter-clockwise.
    tilt : float
        Turn about the luminaire's C0-C180 axis [deg], lifting the C90 side.
    spin : float
        Turn about the luminaire's own vertical axis [deg], applied first.
    maintenance_factor : float
        Maintenance factor [-], in (0, 1] usually; multiplies the intensities. Default
        :data:`DEFAULT_MAINTENANCE_FACTOR` (0.8: maintained values, as EN 13201 designs);
        1.0 gives initial values.
    flux_scale : float
        Extra multiplier of the intensities [-] (dimming, flux rescaling), >= 0.
    name : str, optional
        Label; defaults to the distribution's name.
    power : float, optional
        System power at full output [W] (issue #18, energy indicators); default: the file's
        (IES input watts, EULUMDAT wattage of lamp set 1), see :attr:`system_power`.
    """

    distribution: IntensityDistribution
    position: np.ndarray
    azimuth: float = 0.0
    tilt: float = 0.0
    spin: float = 0.0
    maintenance_factor: float = DEFAULT_MAINTENANCE_FACTOR
    flux_scale: float = 1.0
    name: str | None = None
    power: float | None = None

    def __post_init__(self):
        if not isinstance(self.distribution, IntensityDistribution):
            raise ParameterError("distribution: expected an IntensityDistribution (see "
                                 f"cpted_sim.load_photometry), got {type(self.distribution).__name__}")
        pos = as_vector(self.position, "position", 3)
        pos.flags.writeable = False
        object.__setattr__(self, "position", pos)
        for key in ("azimuth", "tilt", "spin"):
            object.__setattr__(self, key, as_float(getattr(self, key), key))
        object.__setattr__(self, "maintenance_factor",
                           as_float(self.maintenance_factor, "maintenance_factor", lo=0.0))
        object.__setattr__(self, "flux_scale", as_float(self.flux_scale, "flux_scale", lo=0.0))
        if self.name is None:
            object.__setattr__(self, "name", self.distribution.name)
        if self.power is not None:
            object.__setattr__(self, "power", as_float(self.power, "power", lo=0.0))

    @property
    def system_power(self) -> float | None:
        """Power at full output [W]: ``power``, else the file's (IES input watts, EULUMDAT
        wattage of lamp set 1) when positive, else ``None``."""
        if self.power is not None:
            return self.power
        meta = self.distribution.metadata or {}
        watts = meta.get("input_watts")
        if watts is None and meta.get("lamp_sets"):
            watts = meta["lamp_sets"][0].get("watts")
        return float(watts) if isinstance(watts, (int, float)) and watts > 0 else None

    @property
    def local_to_world(self) -> np.ndarray:
        """Rotation M = Rz(azimuth) Rx(tilt) Rz(spin), (3, 3), luminaire frame to world."""
        return rotation_matrix(self.azimuth, self.tilt, self.spin)

    @property
    def scale(self) -> float:
        """flux_scale x maintenance_factor [-], the multiplier of the table."""
        return self.flux_scale * self.maintenance_factor

    @property
    def flux(self) -> float:
        """Emitted flux [lm] including flux_scale and maintenance factor."""
        return self.distribution.flux * self.scale

    def world_to_angles(self, directions) -> tuple[np.ndarray, np.ndarray]:
        """(C, gamma) [deg] in the luminaire frame of world unit directions (n, 3)."""
        d = as_points(directions, "directions") @ self.local_to_world  # rows: M^T d
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        gamma = np.degrees(np.arccos(np.clip(-d[:, 2], -1.0, 1.0)))
        c = np.mod(np.degrees(np.arctan2(d[:, 1], d[:, 0])), 360.0)
        return c, gamma

    def intensity_towards(self, points_world) -> np.ndarray:
        """Intensity [cd] towards world points (scaled by flux_scale x maintenance_factor).

        Parameters
        ----------
        points_world : (n, 3) float
            Lit points in world coordinates [m].

        Returns
        -------
        (n,) float
            Intensity [cd] along the ray from the luminaire to each point (the Numba kernel).
        """
        pts = as_points(points_world, "points_world", allow_empty=True)
        packed = pack_luminaires([self], origin=self.position)
        out = np.empty(pts.shape[0])
        intensity_towards_points(packed, 0, pts - self.position, out)
        return out


class LuminaireArrays(NamedTuple):
    """Flat arrays of n luminaires for the kernels (one argument of a Numba function).

    Angles in radians. Each luminaire's table is ``candela[table_start : table_start +
    n_c * n_g]``, row-major (C, gamma); identical distributions share a table.
    ``c_inv_step`` / ``g_inv_step`` hold 1 / step [1/rad] for uniform grids (O(1) lookup) and
    0 for non-uniform ones, which start from a uniform bin table in ``lut`` instead (4 bins per
    node: the cell holding each bin's left edge) and step forward.
    """

    position: np.ndarray      # (n, 3) float64 [m], world minus origin
    rotation: np.ndarray      # (n, 3, 3) float64, world to local (M^T)
    scale: np.ndarray         # (n,) float64, flux_scale * maintenance_factor
    table_start: np.ndarray   # (n,) int64
    n_c: np.ndarray           # (n,) int64
    n_g: np.ndarray           # (n,) int64
    c_start: np.ndarray       # (n,) int64
    g_start: np.ndarray       # (n,) int64
    c_rad: np.ndarray         # (total_c,) float64
    g_rad: np.ndarray         # (total_g,) float64
    candela: np.ndarray       # (total,) float64 [cd]
    c_inv_step: np.ndarray    # (n,) float64 [1/rad], 0 when non-uniform
    g_inv_step: np.ndarray    # (n,) float64 [1/rad], 0 when non-uniform
    lut: np.ndarray           # (total_lut,) int64, cell index at each bin's left edge
    c_lut_start: np.ndarray   # (n,) int64, start of the C bin table in lut
    c_lut_n: np.ndarray       # (n,) int64, number of C bins (0 for uniform grids)
    c_lut_inv: np.ndarray     # (n,) float64 [1/rad], bins per radian
    g_lut_start: np.ndarray   # (n,) int64
    g_lut_n: np.ndarray       # (n,) int64
    g_lut_inv: np.ndarray     # (n,) float64 [1/rad]


def _inv_step(rad: np.ndarray) -> float:
    d = np.diff(rad)
    if np.all(np.abs(d - d[0]) <= 1e-9 * d[0]):
        return (rad.size - 1) / (rad[-1] - rad[0])
    return 0.0


def _bins(rad: np.ndarray) -> tuple[np.ndarray, float]:
    """Uniform bin table of a non-uniform grid: cell index at each bin's left edge."""
    n_bins = 4 * rad.size
    inv = n_bins / (rad[-1] - rad[0])
    edges = rad[0] + np.arange(n_bins) / inv
    cells = np.clip(np.searchsorted(rad, edges, side="right") - 1, 0, rad.size - 2)
    return cells.astype(np.int64), inv


def pack_luminaires(luminaires: Sequence[Luminaire], origin=(0.0, 0.0, 0.0)) -> LuminaireArrays:
    """Pack luminaires into :class:`LuminaireArrays` for the kernels.

    Parameters
    ----------
    luminaires : sequence of Luminaire
    origin : (3,) float
        Local origin of the scene [m]; positions are stored relative to it.
    """
    lums = list(luminaires)
    for k, lum in enumerate(lums):
        if not isinstance(lum, Luminaire):
            raise ParameterError(f"luminaires[{k}]: expected a Luminaire, "
                                 f"got {type(lum).__name__}")
    org = as_vector(origin, "origin", 3)
    n = len(lums)
    pos = np.zeros((n, 3))
    rot = np.zeros((n, 3, 3))
    scale = np.zeros(n)
    ints = {key: np.zeros(n, dtype=np.int64)
            for key in ("table_start", "n_c", "n_g", "c_start", "g_start")}
    c_inv, g_inv = np.zeros(n), np.zeros(n)
    lut_i = {key: np.zeros(n, dtype=np.int64)
             for key in ("c_lut_start", "c_lut_n", "g_lut_start", "g_lut_n")}
    c_lut_inv, g_lut_inv = np.zeros(n), np.zeros(n)
    c_parts, g_parts, cd_parts, lut_parts = [], [], [], []
    lut_off = [0]

    def add_lut(rad, inv_step):
        if inv_step > 0:
            return lut_off[0], 0, 0.0
        cells, inv = _bins(rad)
        lut_parts.append(cells)
        start = lut_off[0]
        lut_off[0] += cells.size
        return start, cells.size, inv

    seen: dict[int, tuple] = {}
    offs = [0, 0, 0]  # c, g, candela
    for k, lum in enumerate(lums):
        pos[k] = lum.position - org
        rot[k] = lum.local_to_world.T
        scale[k] = lum.scale
        dist = lum.distribution
        key = id(dist)
        if key not in seen:
            c_rad, g_rad = np.radians(dist.c_angles), np.radians(dist.gamma_angles)
            ci, gi = _inv_step(c_rad), _inv_step(g_rad)
            seen[key] = (offs[2], dist.c_angles.size, dist.gamma_angles.size, offs[0], offs[1],
                         ci, gi, *add_lut(c_rad, ci), *add_lut(g_rad, gi))
            c_parts.append(c_rad)
            g_parts.append(g_rad)
            cd_parts.append(dist.candela.ravel())
            offs[0] += c_rad.size
            offs[1] += g_rad.size
            offs[2] += dist.candela.size
        (ints["table_start"][k], ints["n_c"][k], ints["n_g"][k], ints["c_start"][k],
         ints["g_start"][k], c_inv[k], g_inv[k], lut_i["c_lut_start"][k], lut_i["c_lut_n"][k],
         c_lut_inv[k], lut_i["g_lut_start"][k], lut_i["g_lut_n"][k], g_lut_inv[k]) = seen[key]

    def cat(parts, dtype=np.float64):
        return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros(0, dtype))

    return LuminaireArrays(np.ascontiguousarray(pos), np.ascontiguousarray(rot), scale,
                           ints["table_start"], ints["n_c"], ints["n_g"], ints["c_start"],
                           ints["g_start"], cat(c_parts), cat(g_parts), cat(cd_parts),
                           c_inv, g_inv, cat(lut_parts, np.int64), lut_i["c_lut_start"],
                           lut_i["c_lut_n"], c_lut_inv, lut_i["g_lut_start"], lut_i["g_lut_n"],
                           g_lut_inv)
