"""
Night hours: dimming after 23:00 and who is still awake
=======================================================

The demo street's three lights dim to 50 % from 23:00 to 06:00, as Utrecht does. Each
light is traced once; the light at any hour is the traced field times its level. Night-time
surveillance at an hour uses the light of that hour and the residents still awake behind
the windows (the CREST active-occupancy table), so 21:30 and 02:00 differ twice over.
"""

# %%
# Light per hour, traced once
# ---------------------------
# ``CPTED_SIM_EXAMPLE_SMALL=1`` coarsens the grid (the tests use it).
import os

import matplotlib.pyplot as plt
import numpy as np

import cpted_sim as cs
from cpted_sim.lighting.hours import format_hour, night_hours
from cpted_sim.plot import variant_maps
from cpted_sim.scenario.demo import demo_scenario_path
from cpted_sim.scenario.run import build_luminaires, build_observers, build_scene
from cpted_sim.visibility import night_surveillance_fields, presence_weights

SMALL = os.environ.get("CPTED_SIM_EXAMPLE_SMALL") == "1"
spacing = 1.0 if SMALL else 0.5

scenario = cs.load_scenario(demo_scenario_path())
scene = build_scene(scenario)
lights = build_luminaires(scenario, scene)
late = cs.Schedule([("23:00", "06:00", 0.5)], name="half after 23:00")
grid = cs.CalculationGrid.regular(10.0, -2.5, 70.0, 9.5, spacing, name="street")
E_h = cs.hourly_illuminance(scene, lights, grid, schedules=late)
hours = night_hours()
curve = E_h.curve(hours).mean(axis=1)
print("mean E_h by hour [lx]:", ", ".join(f"{format_hour(h)} {e:.1f}"
                                            for h, e in zip(hours, curve)))

# %%
# Who is watching at 21:30 and at 02:00
# -------------------------------------
# The E_sc facing four ways at 1.5 m, per hour; each window's weight times its presence.
observers = build_observers(scenario, scene)
face = grid.at_height(1.5)
azimuths = [0.0, 90.0, 180.0, 270.0]
E_sc = [cs.hourly_illuminance(scene, lights, face, kind="semicylindrical",
                              facing=(np.cos(np.radians(a)), np.sin(np.radians(a)), 0.0),
                              schedules=late) for a in azimuths]
night = {}
for hour in (21.5, 2.0):
    res = night_surveillance_fields(scene, observers, grid, [f.at(hour) for f in E_sc],
                                    facing_azimuths=azimuths,
                                    presence=presence_weights(observers, hour))
    night[f"at {format_hour(hour)}"] = res.weight
    print(f"{format_hour(hour)}: mean night-time surveillance weight "
          f"{res.weight.values.mean():.2f}")
variant_maps(night, "night_hours_surveillance.png", scenes=scene, luminaires=lights)

# %%
# The curve over the night
# ------------------------
fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.fill_between(np.arange(hours.size), curve, color="tab:orange", alpha=0.6)
ax.plot(np.arange(hours.size), curve, "-o", color="tab:red")
ax.set_xticks(np.arange(hours.size), [format_hour(h) for h in hours], rotation=60)
ax.set_ylabel("mean E_h [lx]")
ax.set_title("Demo street, dimmed to 50 % from 23:00")
fig.tight_layout()
fig.savefig("night_hours_E_h.png", dpi=110)
