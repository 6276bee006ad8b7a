"""A yard with a hedge, a door, a lamp and a walk, for the report's explaining sections.

The hedge (group ``vegetation``) shadows the ground behind it from the lamp, so the yard
reaches no P class although its average would meet P5; the variant "more light" only adds a
second lamp (same optic) behind the hedge. Concealment of the yard is computed from the walk.
"""

from __future__ import annotations

from cpted_sim.scenario import model as m

GROUND = m.GeometrySpec(builtin="quads", group="ground",
                        params={"quads": [[[0, 0, 0], [30, 0, 0], [30, 30, 0], [0, 30, 0]]]})
HEDGE = m.GeometrySpec(builtin="box", group="vegetation",
                       params={"min": [12, 8, 0], "max": [13, 22, 2.5]})
LAMP = m.PhotometrySpec(builtin="isotropic", params={"intensity_cd": 1000.0})
DESCRIPTION = "A yard <b>with</b> a hedge & a door"
VARIANT_DESCRIPTION = "a second lamp behind the hedge"


def hedge_yard() -> m.Scenario:
    door = m.ObserverSpec("door", kind="door", points=((2.0, 15.0, 1.6),), fov=360.0,
                          range=18.0)
    return m.Scenario(
        name="hedge yard", description=DESCRIPTION, scene=m.SceneSpec(GROUND),
        added_geometry=(HEDGE,),
        luminaires=(m.LuminaireSpec("L1", LAMP, (8.0, 15.0, 5.0), maintenance_factor=0.8),),
        areas=(m.AreaSpec("yard", "en13201", lighting_class="P5",
                          polygon=((2, 2), (28, 2), (28, 28), (2, 28)), spacing=1.0,
                          quantities=("E_h", "surveillance", "night_surveillance",
                                      "concealment")),
               m.AreaSpec("walk", "route", path=((4, 4), (26, 4)), spacing=1.0,
                          quantities=("E_h", "surveillance"))),
        observers=(door,),
        variants=(m.Variant("more light", (m.AddLuminaire(m.LuminaireSpec(
            "L2", LAMP, (20.0, 15.0, 5.0), maintenance_factor=0.8)),),
            description=VARIANT_DESCRIPTION),))
