"""
Street canyon: where it is dark and nobody sees
===============================================

A street between two rows of four-storey buildings, lit by a row of street lights on one
side. We compute the horizontal illuminance on the street, how many windows see each point,
the night-time surveillance (a window counts only where a face would be lit well enough to
be recognised), and map the places that are both dark and unseen.
"""

# %%
# The scene and its street lights
# --------------------------------
# ``street_canyon`` builds the buildings with recessed windows (group ``"window"``), the
# sidewalks, the carriageway and light poles. ``CPTED_SIM_EXAMPLE_SMALL=1`` shrinks the
# street and coarsens the grid (the test suite runs every example that way).
import os

import cpted_sim as cs
from cpted_sim.photometry import Luminaire, street_light_optic
from cpted_sim.plot import dark_unseen_map, field_map
from cpted_sim.scenario import synthetic

SMALL = os.environ.get("CPTED_SIM_EXAMPLE_SMALL") == "1"
length, spacing = (30.0, 1.0) if SMALL else (100.0, 0.5)

canyon = synthetic.street_canyon(length=length, height=12.8)
scene = canyon.scene
optic = street_light_optic(flux=6000.0)  # street side (C90) towards +y, across the road
lights = [Luminaire(optic, p, maintenance_factor=0.8, name=f"SL{i + 1}")
          for i, p in enumerate(canyon.street_lights)]

# %%
# Illuminance on the street
# -------------------------
# Maintained horizontal illuminance on a regular grid over the street, with shadows.
grid = cs.CalculationGrid.regular(0.0, 0.0, length, 12.0, spacing, name="street")
E_h = cs.illuminance(scene, lights, grid, kind="horizontal")
field_map(E_h, "street_canyon_E_h.png", scene=scene, luminaires=lights,
          title="maintained horizontal illuminance")
print(f"E_h: mean {E_h.values.mean():.1f} lx, min {E_h.values.min():.2f} lx")

# %%
# Who sees the street, by day and at night
# ----------------------------------------
# One observer per window, looking out over a half space. At night a window counts only where
# the semicylindrical illuminance towards it is enough to recognise a face at that distance.
windows = cs.ObserverSet.from_faces(scene, scene.tagged_groups("window"), max_distance=40.0)
seen = cs.surveillance(scene, windows, grid)
E_sc = [cs.illuminance(scene, lights, grid.at_height(1.5), kind="semicylindrical",
                       facing=f) for f in ([1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0])]
night = cs.night_surveillance(scene, windows, grid, E_sc)
field_map(seen, "street_canyon_surveillance.png", scene=scene, title="windows that see a point")
field_map(night, "street_canyon_night_surveillance.png", scene=scene, luminaires=lights,
          title="windows that could recognise a face at night")

# %%
# Dark and unseen
# ---------------
# Dark: below 1 lx; unseen: less than one clear sightline from a window at night.
dark = E_h.with_values((E_h.values < 1.0).astype(float), quantity="dark", unit="1")
unseen = night.with_values((night.values < 1.0).astype(float), quantity="unobserved", unit="1")
dark_unseen_map({"dark": dark, "unobserved": unseen}, "street_canyon_dark_unseen.png",
                scene=scene, luminaires=lights)
print(f"dark and unseen: {(dark.values * unseen.values).sum() * spacing ** 2:.0f} m2")
