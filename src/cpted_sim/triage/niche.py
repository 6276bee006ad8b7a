"""A niche closed: the candidate measure for a concealment place without a loose obstacle.

A recess in a facade (a doorway, a niche) hides a person from a walker on the pavement; the
concealment field of the place's grid (computed along the approach path for concealment and
entrapment places, :func:`cpted_sim.triage.neighbourhood.neighbourhood`) marks it. The measure
fills the concealed spots' plan box, up to ``height``, with a closed box (a wall or gate flush
with the facade): its points then lie inside closed geometry, so they are no longer a hiding
place. It is only proposed when the concealed spots near the place are compact (plan box at
most ``max_m2``).
"""

from __future__ import annotations

import numpy as np

from ..scenario import model as m

__all__ = ["niche_fill"]


def niche_fill(pid: str, base, area: str, xy, radius: float, *, scene=None,
               max_m2: float = 50.0, height: float = 3.0, margin: float = 0.25):
    """(changes, plan m2, label) closing the concealed spots around ``xy``, or None.

    Parameters
    ----------
    pid : str
        Place id (names the added group).
    base : ScenarioResult
        The run of the place's neighbourhood; its ``area`` has a ``concealment`` field.
    area : str
        The place's grid area.
    xy : (2,) float
        The place [m].
    radius : float
        Concealed spots within this distance of ``xy`` count [m].
    max_m2 : float
        Largest plan box [m2] that counts as a niche.
    scene : Scene, optional
        The neighbourhood's scene: spots with a roof above them are left out.
    height : float
        Height of the filling above the lowest concealed spot [m].
    margin : float
        The box reaches this far past the outermost spots' centres [m] (less than half the
        grid spacing, so that it stays clear of the recess's walls).
    """
    a = base.areas.get(area)
    if a is None or "concealment" not in a.fields:
        return None
    f = a.fields["concealment"]
    pts = f.grid.points
    hide = (np.asarray(f.values) > 0.5) & (np.hypot(*(pts[:, :2] - np.asarray(xy)).T)
                                           <= radius)
    if not hide.any():
        return None
    # only spots under the open sky on the ground (a grid point that a vote placed outside
    # near two touching buildings still has a roof above it)
    from ..geometry.query import closest_hit

    p = pts[hide]
    if scene is not None:
        up = np.tile([0.0, 0.0, 1.0], (len(p), 1))
        _, face = closest_hit(scene, p + [0.0, 0.0, 0.2], up, max_distance=200.0)
        p = p[face < 0]
    p = p[p[:, 2] <= float(pts[:, 2].min()) + 1.0] if len(p) else p
    if not len(p):
        return None
    # a quarter metre around the spots' centres: inside the recess, clear of its walls
    lo = p[:, :2].min(axis=0) - margin
    hi = p[:, :2].max(axis=0) + margin
    plan = float(np.prod(hi - lo))
    if plan > max_m2:
        return None
    z0 = float(p[:, 2].min()) - 0.05
    group = f"closed_niche_{pid}"
    box = m.GeometrySpec(builtin="box", params={"min": [float(lo[0]), float(lo[1]), z0],
                                                "max": [float(hi[0]), float(hi[1]),
                                                        z0 + float(height)]}, group=group)
    label = (f"close the niche at ({(lo[0] + hi[0]) / 2:.1f}, {(lo[1] + hi[1]) / 2:.1f}): "
             f"{plan:.1f} m2 filled up to {height:g} m")
    return (m.AddGeometry(box), m.SetMaterial(group, reflectance=0.3)), plan, label
