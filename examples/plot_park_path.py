"""
Park path: hedges that hide and light that does not reach
=========================================================

A winding footpath crosses a park, lit by low poles, with two hedges beside it. Hedges let a
little light and sight through (a material property). People walking on the path are the
observers: which places next to the path can nobody on it see, and which of those are dark?
"""

# %%
# Ground, hedges and path
# -----------------------
# The ground comes from ``synthetic.ground_plane``; the hedges are boxes with a material that
# passes 20 % of light and 10 % of sight. ``CPTED_SIM_EXAMPLE_SMALL=1`` coarsens the grid.
import os

import numpy as np

import cpted_sim as cs
from cpted_sim.photometry import Luminaire, lambertian_downlight
from cpted_sim.plot import dark_unseen_map, field_map
from cpted_sim.scenario import synthetic

SMALL = os.environ.get("CPTED_SIM_EXAMPLE_SMALL") == "1"
spacing = 2.0 if SMALL else 0.5


def box(x0, y0, z0, x1, y1, z1):
    """Vertices and outward-wound triangles of an axis-aligned box [m]."""
    v = np.array([[x, y, z] for z in (z0, z1) for y in (y0, y1) for x in (x0, x1)], float)
    quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    return v, np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])


(v1, f1), (v2, f2) = box(-18, 4.5, 0, -4, 5.3, 1.8), box(4, -5.3, 0, 18, -4.5, 1.8)
hedges = cs.Scene.from_arrays(np.vstack([v1, v2]), np.vstack([f1, f2 + len(v1)]),
                              np.array(["hedge"] * (len(f1) + len(f2))),
                              materials={"hedge": cs.Material(0.1, 0.2, 0.1, ("vegetation",))})
scene = synthetic.ground_plane(size=60.0).merged(hedges)

x = np.linspace(-25.0, 25.0, 51)
path = np.column_stack([x, 3.0 * np.sin(x / 10.0), np.zeros_like(x)])

# %%
# Light from the path's poles
# ---------------------------
bollard = lambertian_downlight(flux=1800.0)
poles = [Luminaire(bollard, [px, 3.0 * np.sin(px / 10.0) + 1.0, 4.0], maintenance_factor=0.8,
                   name=f"P{i + 1}") for i, px in enumerate((-18.0, -6.0, 6.0, 18.0))]
grid = cs.CalculationGrid.regular(-24.0, -12.0, 24.0, 12.0, spacing, name="park")
E_h = cs.illuminance(scene, poles, grid)
field_map(E_h, "park_path_E_h.png", scene=scene, luminaires=poles,
          title="maintained horizontal illuminance")

# %%
# Who on the path sees each place
# -------------------------------
# Walkers every 4 m along the path, eyes at 1.6 m, looking all round up to 30 m.
walkers = cs.ObserverSet.from_paths(path, spacing=4.0, max_distance=30.0)
seen = cs.surveillance(scene, walkers, grid)
field_map(seen, "park_path_surveillance.png", scene=scene, title="walkers who see a point")

# %%
# Dark and unseen
# ---------------
# Dark: below 1 lx. Unseen: less than one clear sightline (a sightline through a hedge counts
# by the fraction of sight it keeps).
dark = E_h.with_values((E_h.values < 1.0).astype(float), quantity="dark", unit="1")
unseen = seen.with_values((seen.values < 1.0).astype(float), quantity="unobserved", unit="1")
dark_unseen_map({"dark": dark, "unobserved": unseen}, "park_path_dark_unseen.png",
                scene=scene, luminaires=poles)
print(f"dark: {dark.values.mean():.0%} of the park, unseen: {unseen.values.mean():.0%}, "
      f"both: {(dark.values * unseen.values).sum() * spacing ** 2:.0f} m2")
