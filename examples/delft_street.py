"""
A real street in Delft, in Python
=================================

The Python half of the tutorial ``docs/tutorial_delft.md``: the same study as the scenario
file ``examples/delft_street/delft_street.toml``, built from the library's functions. One
street of the old centre of Delft, from the 3dfier city model (CityJSON, RD New) and the BGT
road polygons: the scene cropped to the street, the carriageway and the sidewalk draped on the
pavement, windows generated on the facades that face the street, LED street lights every 25 m
along the road's centre line, then the horizontal illuminance, the surveillance by day and at
night, and one variant (poles every 40 m).

The data is the project's shared test data (``../shared/data`` beside the repository); where
it is absent the script says so and stops.
"""

# %%
# The data
# --------
# ``ROOT`` is the repository; the shared data lies beside it. The two BGT polygons are the
# carriageway (``rijbaan lokale weg``) and the sidewalk (``voetpad``) of one street, picked by
# their ``lokaalid``.
import sys
from pathlib import Path

import numpy as np

import cpted_sim as cs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DELFT = DATA / "city" / "delft_3dfier"
IES = DATA / "photometry" / "ies" / "italo_1_5p5_s05_3140_3m.ies"
if not (DELFT / "delft.json").is_file():
    print(f"skipped: the shared Delft data is not at {DELFT}")
    sys.exit(0)

ROAD_ID = "G0503.032e68eebe0649cce0532ee22091b28c"      # the carriageway
WALK_ID = "G0503.032e68eee28149cce0532ee22091b28c"      # the sidewalk along it
SPACING = 2.0                                           # grid spacing [m] (0.5 for a report)
WALKABLE = ["Road", "LandUse"]                          # groups a person walks on

# %%
# The street polygons and the scene
# ---------------------------------
# ``read_vector`` reads the BGT layer into EPSG:28992 (RD New, the model's CRS);
# ``load_city_model`` keeps every CityObject with a triangle within 25 m of the carriageway.
from cpted_sim.io.vector import polygon_parts, read_vector

bgt = DELFT / "bgt_wegdeel.geojson"
road_part = polygon_parts(read_vector(bgt, filter={"lokaalid": ROAD_ID}, target_epsg=28992))[0]
walk_part = polygon_parts(read_vector(bgt, filter={"lokaalid": WALK_ID}, target_epsg=28992))[0]
road, walk = road_part.coords[:, :2], walk_part.coords[:, :2]

scene = cs.load_city_model(DELFT / "delft.json", crop={"polygon": road}, margin=25.0)
print(f"scene: {scene.n_faces} triangles, groups {list(scene.groups)}, EPSG:{scene.epsg}")

# %%
# Grids draped on the pavement
# ----------------------------
# The road lies 0.02 to 0.25 m and the sidewalk up to 1.14 m above NAP: a grid at z = 0 would
# lie under the pavement. ``drape_grid`` puts every point on the walkable surface below it
# (0 m above it: horizontal illuminance is computed on the ground).


def draped_grid(ring, name):
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    grid = cs.CalculationGrid.regular(lo[0], lo[1], hi[0], hi[1], SPACING, polygon=ring,
                                      name=name)
    return cs.drape_grid(grid, scene, 0.0, walkable=WALKABLE)


grids = {"carriageway": draped_grid(road, "carriageway"), "sidewalk": draped_grid(walk, "sidewalk")}
for name, g in grids.items():
    print(f"{name}: {g.n_points} points, z {g.points[:, 2].min():.2f} .. "
          f"{g.points[:, 2].max():.2f} m")

# %%
# Windows on the facades facing the street
# ----------------------------------------
# 3dfier models have no windows. ``generate_windows`` lays them on the building walls, one
# per 4 m bay and 3 m storey, on the walls that face the carriageway within 25 m; eyes that
# would lie inside a neighbouring building (party walls) are dropped with a warning.
rule = cs.WindowRule(storey_height=3.0, spacing=4.0, ground_floor=True)
windows = cs.generate_windows(scene, rule, facing=road, max_distance=25.0, fov=180.0,
                              range=40.0)
print(f"{windows.n} windows face the street")

# %%
# Street lights along the road
# ----------------------------
# The road's centre line comes from its polygon (``centre_line``), the kerb from the polygon
# at each pole (``kerb_along``). Poles stand 0.5 m behind the kerb with the head 0.5 m over
# the road, 5 m above the pavement under it (the mounting height of road lighting).
from cpted_sim.io.roads import centre_line, kerb_along
from cpted_sim.scenario.poles import poles_along_road

axis = centre_line(road, road_part.holes)
optic = cs.load_photometry(IES)


def street_lights(spacing, height=5.0):
    lay = poles_along_road(axis, spacing, "single", setback=0.5, overhang=0.5, height=height,
                           half_width=kerb_along(road, road_part.holes),
                           ground_z=lambda xy: np.zeros(len(xy)))
    heads = lay.positions.copy()
    heads[:, 2] = cs.surface_below(scene, heads[:, :2], walkable=WALKABLE) + height
    return [cs.Luminaire(optic, p, azimuth=a, tilt=t, maintenance_factor=0.8,
                         name=f"pole:{i + 1}")
            for i, (p, a, t) in enumerate(zip(heads, lay.azimuth, lay.tilt))]


lights = street_lights(25.0)
print(f"{len(lights)} poles, {optic.flux:.0f} lm each")

# %%
# Light, surveillance, night surveillance
# ---------------------------------------
# Horizontal illuminance on the draped grids; how many windows see a face 1.5 m above each
# point; and at night only those windows from which that face is lit well enough to be
# recognised (semicylindrical illuminance facing each window).
from cpted_sim.plot import field_map

results = {}
for name, g in grids.items():
    E_h = cs.illuminance(scene, lights, g, kind="horizontal")
    seen = cs.surveillance(scene, windows, g)
    night = cs.night_surveillance(
        scene, windows, g,
        lambda f, g=g: cs.illuminance(scene, lights, g.at_height(1.5),
                                      kind="semicylindrical", facing=f))
    results[name] = E_h
    field_map(E_h, f"delft_{name}_E_h.png", scene=scene, luminaires=lights,
              title=f"{name}: maintained horizontal illuminance")
    print(f"{name}: E_avg {E_h.values.mean():.2f} lx, E_min {E_h.values.min():.2f} lx, "
          f"seen by {np.mean(seen.values):.1f} windows on average, "
          f"{100 * np.mean(night.values >= 1):.0f} % watched at night")

# %%
# A variant: poles every 40 m
# ---------------------------
# Fewer poles save energy; how much light is lost, and does any of the street fall dark?
wide = street_lights(40.0)
for name, g in grids.items():
    E_b = cs.illuminance(scene, wide, g, kind="horizontal")
    E_a = results[name]
    print(f"{name}: {len(lights)} -> {len(wide)} poles, E_avg {E_a.values.mean():.2f} -> "
          f"{E_b.values.mean():.2f} lx, dark (< 1 lx) {100 * np.mean(E_a.values < 1):.0f} -> "
          f"{100 * np.mean(E_b.values < 1):.0f} %")
