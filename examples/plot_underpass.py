"""
Underpass: does a light inside the tunnel help?
===============================================

A footpath runs through a 10 m long, 5 m wide, 3 m high underpass below a road embankment.
The base design lights only the approaches; the variant adds a ceiling light in the tunnel.
We compare the illuminance of both on one colour scale, map the difference, and check who
approaching the tunnel could recognise a face inside it at night.
"""

# %%
# The scene, from plain arrays
# ----------------------------
# Boxes for the embankment on both sides of the tunnel and for the road deck above it, on a
# ground plane. ``CPTED_SIM_EXAMPLE_SMALL=1`` coarsens the grid (the tests use it).
import os

import numpy as np

import cpted_sim as cs
from cpted_sim.photometry import Luminaire, lambertian_downlight
from cpted_sim.plot import difference_maps, variant_maps

SMALL = os.environ.get("CPTED_SIM_EXAMPLE_SMALL") == "1"
spacing = 1.0 if SMALL else 0.25


def box(x0, y0, z0, x1, y1, z1):
    """Vertices and outward-wound triangles of an axis-aligned box [m]."""
    v = np.array([[x, y, z] for z in (z0, z1) for y in (y0, y1) for x in (x0, x1)], float)
    quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    return v, np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])


parts = {"ground": box(-25, -15, -0.2, 25, 15, 0.0),
         "embankment": [box(-5, 2.5, 0, 5, 15, 4), box(-5, -15, 0, 5, -2.5, 4)],
         "deck": box(-5, -2.5, 3, 5, 2.5, 4)}
verts, faces, groups = [], [], []
for name, bs in parts.items():
    for v, f in (bs if isinstance(bs, list) else [bs]):
        faces.append(f + sum(len(x) for x in verts))
        verts.append(v)
        groups += [name] * len(f)
scene = cs.Scene.from_arrays(np.vstack(verts), np.vstack(faces), np.array(groups),
                             name="underpass")

# %%
# Two lighting designs
# --------------------
approach = lambertian_downlight(flux=3000.0)
base = [Luminaire(approach, [x, 3.0, 4.5], maintenance_factor=0.8, name=n)
        for x, n in ((-12.0, "west"), (12.0, "east"))]
tunnel = base + [Luminaire(lambertian_downlight(flux=1500.0), [0.0, 0.0, 2.95],
                           maintenance_factor=0.8, name="tunnel")]

grid = cs.CalculationGrid.regular(-20.0, -2.5, 20.0, 2.5, spacing, name="footpath")
E_base = cs.illuminance(scene, base, grid)
E_tunnel = cs.illuminance(scene, tunnel, grid)
variant_maps({"approach lights only": E_base, "with tunnel light": E_tunnel},
             "underpass_E_h.png", scenes=scene,
             luminaires={"approach lights only": base, "with tunnel light": tunnel})
difference_maps({"with tunnel light": E_tunnel - E_base}, "underpass_delta_E_h.png",
                scenes=scene, luminaires=tunnel)
inside = np.abs(grid.points[:, 0]) < 5.0
print(f"E_h in the tunnel: {E_base.values[inside].mean():.2f} -> "
      f"{E_tunnel.values[inside].mean():.2f} lx")

# %%
# Can people approaching recognise a face in the tunnel?
# ------------------------------------------------------
# Walkers 15 m from each end, eyes at 1.6 m. At night an observer counts only where the
# semicylindrical illuminance facing them is enough for recognition at that distance.
walkers = cs.ObserverSet.from_points([[-15.0, 0.0, 1.6], [15.0, 0.0, 1.6]])
face = grid.at_height(1.5)
night = {}
for label, lums in (("approach lights only", base), ("with tunnel light", tunnel)):
    E_sc = [cs.illuminance(scene, lums, face, kind="semicylindrical", facing=f)
            for f in ([1, 0, 0], [-1, 0, 0])]
    night[label] = cs.night_surveillance(scene, walkers, grid, E_sc, facing_azimuths=[0, 180])
variant_maps(night, "underpass_night_surveillance.png", scenes=scene)
print("tunnel points recognisable from an approach: "
      + ", ".join(f"{k} {np.mean(v.values[inside] > 0):.0%}" for k, v in night.items()))
