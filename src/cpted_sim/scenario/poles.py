"""Lamp posts along a road and aimed at a road (layer L5; numpy only).

:func:`poles_along_road` places poles along a road axis (a polyline, e.g. the centre line of
a road polygon from :func:`cpted_sim.io.roads.centre_line`): every ``spacing`` metres, on one
side, staggered or opposite, ``half_width + setback`` from the axis, with the lamp head
``overhang`` metres back over the road and ``height`` metres above the pole's foot.
:func:`aim_at_polyline` gives the azimuth that turns a luminaire's C90 side (the road side of
a street light, docs/architecture.md §4) towards the nearest point of a polyline.

Pole feet stand on ``ground_z(xy) -> z``; by default z = 0, with a
:class:`~cpted_sim.errors.CptedWarning` saying so (pass the walkable surface of the scene,
e.g. ``cpted_sim.geometry.drape.surface_below`` bound to the scene, where it is not flat).
Scenario files (``[[pole_rows]]``) leave z to the run instead: their luminaires get
``height_reference = "surface"`` and stand on the scene's walkable surface.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import CptedWarning, ParameterError
from ..photometry.luminaire import DEFAULT_MAINTENANCE_FACTOR

__all__ = ["PoleLayout", "ARRANGEMENTS", "poles_along_road", "aim_at_polyline",
           "azimuth_facing", "polyline_stations"]

ARRANGEMENTS = ("single", "staggered", "opposite")


@dataclass(frozen=True)
class PoleLayout:
    """Poles along a road.

    Attributes
    ----------
    feet : (n, 3) float
        Foot of each pole [m].
    positions : (n, 3) float
        Photometric centre of each lamp head [m] (foot + overhang towards the road, + height).
    azimuth : (n,) float
        Azimuth [deg] that turns each luminaire's C90 side towards the road axis.
    tilt : (n,) float
        Tilt [deg] (positive lifts the road side).
    side : (n,) int
        +1: left of the axis (seen along it), -1: right.
    station : (n,) float
        Distance along the axis [m] of each pole.
    """

    feet: np.ndarray
    positions: np.ndarray
    azimuth: np.ndarray
    tilt: np.ndarray
    side: np.ndarray
    station: np.ndarray

    def __len__(self) -> int:
        return len(self.positions)

    def luminaires(self, distribution, name: str = "pole", *,
                   maintenance_factor: float = DEFAULT_MAINTENANCE_FACTOR, flux_scale: float = 1.0,
                   spin: float = 0.0) -> list:
        """One :class:`~cpted_sim.photometry.Luminaire` per pole, named ``"<name>:<k>"``
        (1-based), placed and aimed as laid out.

        Parameters
        ----------
        distribution : IntensityDistribution
            The photometry of every pole.
        maintenance_factor, flux_scale : float
            [-], as for :class:`~cpted_sim.photometry.Luminaire`.
        spin : float
            [deg].
        """
        from ..photometry.luminaire import Luminaire

        return [Luminaire(distribution, self.positions[k], azimuth=float(self.azimuth[k]),
                          tilt=float(self.tilt[k]), spin=spin,
                          maintenance_factor=maintenance_factor, flux_scale=flux_scale,
                          name=f"{name}:{k + 1}") for k in range(len(self))]


def _polyline(axis, name: str = "axis") -> np.ndarray:
    a = np.asarray(axis, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] not in (2, 3) or len(a) < 2:
        raise ParameterError(f"{name}: expected (n >= 2, 2) vertices [m], got shape {a.shape}")
    a = np.ascontiguousarray(a[:, :2])
    if not np.isfinite(a).all():
        raise ParameterError(f"{name}: non-finite vertices")
    keep = np.r_[True, np.hypot(*np.diff(a, axis=0).T) > 0]
    a = a[keep]
    if len(a) < 2:
        raise ParameterError(f"{name}: has zero length")
    return a


def polyline_stations(axis, stations) -> tuple[np.ndarray, np.ndarray]:
    """Points and unit tangents at distances ``stations`` [m] along a polyline.

    Returns
    -------
    xy : (k, 2) float
    tangent : (k, 2) float
    """
    a = _polyline(axis)
    seg = np.diff(a, axis=0)
    seglen = np.hypot(*seg.T)
    cum = np.r_[0.0, np.cumsum(seglen)]
    s = np.clip(np.asarray(stations, dtype=np.float64), 0.0, cum[-1])
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    t = (s - cum[i]) / seglen[i]
    xy = a[i] + seg[i] * t[:, None]
    tangent = seg[i] / seglen[i][:, None]
    return xy, tangent


def azimuth_facing(direction) -> np.ndarray:
    """Azimuth [deg] that turns a luminaire's local +Y (C90) to the horizontal ``direction``.

    With ``world = Rz(azimuth) ...`` local +Y goes to (-sin az, cos az), so
    ``az = atan2(-dx, dy)``.
    """
    d = np.atleast_2d(np.asarray(direction, dtype=np.float64))
    return np.degrees(np.arctan2(-d[:, 0], d[:, 1])) % 360.0


def _flat_ground(xy: np.ndarray) -> np.ndarray:
    warnings.warn(f"{len(xy)} pole feet placed at z = 0: no ground surface was given "
                  "(pass ground_z, e.g. the scene's surface below)", CptedWarning, stacklevel=3)
    return np.zeros(len(xy))


def poles_along_road(axis, spacing: float, arrangement: str = "single", setback: float = 0.5,
                     overhang: float = 1.0, height: float = 6.0, *, half_width: float = 3.0,
                     side: str = "left", tilt: float = 0.0, start: float | None = None,
                     ground_z: Callable[[np.ndarray], np.ndarray] | None = None) -> PoleLayout:
    """Poles along a road axis.

    Parameters
    ----------
    axis : (n, 2|3) float
        The road's axis (centre line) [m], in driving direction; z is ignored.
    spacing : float
        Distance along the axis between consecutive poles [m] (staggered: between poles on
        alternate sides; opposite: between pairs).
    arrangement : {"single", "staggered", "opposite"}
        One side (``side``), alternating sides starting with ``side``, or pairs facing
        each other.
    setback : float
        Distance of the pole's foot behind the kerb [m] (negative: on the road).
    overhang : float
        Horizontal distance from the foot to the lamp head, towards the road [m].
    height : float
        Mounting height of the photometric centre above the foot [m].
    half_width : float or callable
        Distance from the axis to the kerb [m] (half the carriageway when the axis is the
        centre line), or ``half_width(xy (k, 2), outward normal (k, 2)) -> (k,)`` giving it
        at each pole (:func:`cpted_sim.io.roads.kerb_along` measures it on a road polygon).
    side : {"left", "right"}
        Side of a single row, first side of a staggered one (seen along the axis).
    tilt : float
        Tilt of every luminaire [deg] (positive lifts the road side).
    start : float, optional
        Station of the first pole [m]; default: the row is centred on the axis.
    ground_z : callable, optional
        ``ground_z(xy (k, 2)) -> z (k,)`` [m] of the pole feet; default z = 0 with a
        :class:`~cpted_sim.errors.CptedWarning`.

    Returns
    -------
    PoleLayout
    """
    a = _polyline(axis)
    if arrangement not in ARRANGEMENTS:
        raise ParameterError(f"arrangement: expected one of {', '.join(ARRANGEMENTS)}, "
                             f"got {arrangement!r}")
    if side not in ("left", "right"):
        raise ParameterError(f"side: expected 'left' or 'right', got {side!r}")
    for name, v in (("spacing", spacing), ("height", height),
                    ("half_width", 1.0 if callable(half_width) else half_width)):
        if not (np.isfinite(v) and v > (0 if name != "half_width" else -1e-12)):
            raise ParameterError(f"{name}: expected a number > 0 [m], got {v}")
    length = float(np.hypot(*np.diff(a, axis=0).T).sum())
    n = int(np.floor(length / spacing + 1e-9)) + 1
    if start is None:
        start = 0.5 * (length - (n - 1) * spacing)
    elif not 0 <= start <= length:
        raise ParameterError(f"start: expected 0 .. {length:.2f} m (the axis length), "
                             f"got {start}")
    else:
        n = int(np.floor((length - start) / spacing + 1e-9)) + 1
    st = start + spacing * np.arange(n)
    first = 1 if side == "left" else -1
    if arrangement == "single":
        sides = np.full(n, first)
    elif arrangement == "staggered":
        sides = np.where(np.arange(n) % 2 == 0, first, -first)
    else:
        st = np.repeat(st, 2)
        sides = np.tile([first, -first], n)
    xy, tan = polyline_stations(a, st)
    normal = np.column_stack([-tan[:, 1], tan[:, 0]]) * sides[:, None]   # away from the axis
    if callable(half_width):
        hw = np.asarray(half_width(xy, normal), dtype=np.float64).reshape(-1)
        if hw.shape != (len(xy),) or not np.isfinite(hw).all():
            raise ParameterError(f"half_width: the callable gave {hw.shape} values for "
                                 f"{len(xy)} poles, or non-finite ones")
    else:
        hw = float(half_width)
    feet_xy = xy + normal * (np.reshape(hw, (-1, 1)) + setback)
    head_xy = feet_xy - normal * overhang
    z = (_flat_ground(feet_xy) if ground_z is None
         else np.asarray(ground_z(feet_xy), dtype=np.float64).reshape(-1))
    if z.shape != (len(feet_xy),) or not np.isfinite(z).all():
        raise ParameterError(f"ground_z: expected {len(feet_xy)} finite heights, got "
                             f"{z.shape} (is every pole foot above the scene's ground?)")
    return PoleLayout(
        feet=np.column_stack([feet_xy, z]),
        positions=np.column_stack([head_xy, z + height]),
        azimuth=azimuth_facing(-normal),
        tilt=np.full(len(st), float(tilt)),
        side=sides.astype(np.int64),
        station=st)


def aim_at_polyline(points, polylines) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth [deg] that turns each luminaire's C90 side to the nearest point of the lines.

    Parameters
    ----------
    points : (n, 2|3) float
        Luminaire positions [m].
    polylines : (m, 2|3) float or list of them
        Road axes [m].

    Returns
    -------
    azimuth : (n,) float
        [deg]; for a point on a line, the direction of the line's left normal.
    distance : (n,) float
        Horizontal distance to the nearest line [m].
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] not in (2, 3):
        raise ParameterError(f"points: expected (n, 2|3), got shape {p.shape}")
    p = p[:, :2]
    if isinstance(polylines, np.ndarray):
        lines = [polylines]
    else:
        lines = list(polylines)
        if lines and np.ndim(lines[0]) == 1:   # one polyline given as a list of vertices
            lines = [np.asarray(lines, dtype=np.float64)]
    if not lines:
        raise ParameterError("polylines: no lines given")
    a = np.vstack([_polyline(ln, "polylines")[:-1] for ln in lines])
    b = np.vstack([_polyline(ln, "polylines")[1:] for ln in lines])
    ab = b - a
    L2 = (ab ** 2).sum(1)
    ap = p[:, None, :] - a[None, :, :]
    t = np.clip((ap * ab[None]).sum(2) / L2[None], 0.0, 1.0)
    near = a[None] + t[..., None] * ab[None]
    d = np.hypot(*(near - p[:, None, :]).transpose(2, 0, 1))
    k = np.argmin(d, axis=1)
    rows = np.arange(len(p))
    vec = near[rows, k] - p
    dist = d[rows, k]
    on = dist < 1e-9
    if on.any():   # on the line: face its left normal
        seg = ab[k[on]]
        vec[on] = np.column_stack([-seg[:, 1], seg[:, 0]])
    return azimuth_facing(vec), dist
