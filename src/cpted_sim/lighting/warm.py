"""Tiny lighting runs that compile the lighting kernels into the cache, for the compile-ahead
helper (:mod:`cpted_sim._ahead`): no BVH build, so that the helper compiles nothing the main
process is compiling at the same time."""

from __future__ import annotations

import numpy as np

from ..geometry.bvh import BVHStats, one_leaf_bvh
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..photometry import street_light_optic
from ..photometry.luminaire import Luminaire
from .illuminance import illuminance

__all__ = ["one_triangle_scene", "warm_lighting"]


def one_triangle_scene() -> Scene:
    """A scene of one 4 m ground triangle, its tree made without the build kernels."""
    v = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    f = np.array([[0, 1, 2]], dtype=np.int64)
    origin = np.zeros(3)
    for a in (origin, v, f):
        a.setflags(write=False)  # as Scene.from_arrays leaves them
    return Scene(origin=origin, vertices=v, faces=f, face_group=np.zeros(1, np.int64),
                 groups=("ground",), bvh=one_leaf_bvh(v),
                 bvh_stats=BVHStats(0.0, 0, 1, 1, 1, 0))


def warm_lighting() -> None:
    """``illuminance`` (horizontal, with shadows) on :func:`one_triangle_scene`."""
    light = Luminaire(street_light_optic(flux=1000), position=(1.0, 1.0, 5.0))
    grid = CalculationGrid.regular(0.5, 0.5, 1.5, 1.5, spacing=1.0, height=0.0)
    illuminance(one_triangle_scene(), [light], grid, kind="horizontal", quiet=True)
