"""Scenario text shared by the tests: a scenario that uses every key of the reader."""

from __future__ import annotations

import textwrap

__all__ = ["FULL", "FULL_WITH_FILES"]

FULL = textwrap.dedent('''\
    name = "Full \\"quoted\\" scenario é"
    description = "every key"

    [scene]
    builtin = "quads"
    group = "ground"
    params = { quads = [[[0, 0, 0], [40, 0, 0], [40, 20, 0], [0, 20, 0]]] }
    origin = [0.0, 0.0, 0.0]
    epsg = 28992
    name = "ground"

    [materials]
    ground = { reflectance = 0.2 }
    "hedge top" = { reflectance = 0.1, light_transmittance = 0.1, sight_transmittance = 0.2, tags = ["hedge"] }

    [[luminaires]]
    name = "L1"
    photometry = "lamp.ies"
    position = [10.0, 5.0, 6.0]
    azimuth = 15.0
    tilt = 5.0
    spin = 2.0
    maintenance_factor = 0.9
    flux_scale = 1.1

    [[luminaires]]
    name = "L2"
    photometry = { builtin = "street_light_optic", flux = 5000.0 }
    position = [30.0, 5.0, 6.0]

    [[areas]]
    name = "street"
    kind = "en13201"
    class = "P3"
    polygon = [[0, 0], [40, 0], [40, 10], [0, 10]]
    spacing = 1.0
    quantities = ["E_h", "E_sc"]
    facing = [1.0, 0.0]

    [[areas]]
    name = "plaza"
    kind = "grid"
    polygon = [[0, 10], [40, 10], [40, 20]]
    spacing = 2.0
    height = 0.5
    dark_lx = 2.0

    [[areas]]
    name = "walk"
    kind = "route"
    path = [[0, 5], [40, 5]]

    [[areas]]
    name = "fronts"
    kind = "facade"
    groups = ["ground"]

    [[observers]]
    name = "windows"
    tag = "window"
    max_distance = 30.0

    [[observers]]
    name = "guards"
    kind = "person"
    points = [[1, 1, 1.6], [2, 2, 1.6]]
    fov = 360.0
    weight = 2.0

    [[observers]]
    name = "walkers"
    kind = "path"
    path = [[0, 5], [40, 5]]
    spacing = 4.0
    height = 1.6

    [thresholds]
    dark_lx = 0.5
    min_surveillance = 2.0
    night_lit_lx = 1.5
    target_height = 1.4
    concealment_distance = 6.0

    [run]
    threads = 2
    max_distance = 80.0
    quiet = true
    bounces = 2

    [[variants]]
    name = "B"
    description = "every change"

    [[variants.changes]]
    op = "add_luminaire"
    name = "L3"
    photometry = "lamp.ies"
    position = [20.0, 5.0, 6.0]

    [[variants.changes]]
    op = "move_luminaire"
    name = "L1"
    offset = [1.0, 0.0, 0.0]

    [[variants.changes]]
    op = "aim_luminaire"
    name = "L2"
    tilt = 10.0

    [[variants.changes]]
    op = "replace_photometry"
    name = "*"
    photometry = { builtin = "isotropic", intensity_cd = 500.0 }

    [[variants.changes]]
    op = "remove_luminaire"
    name = "L2"

    [[variants.changes]]
    op = "add_geometry"
    builtin = "box"
    group = "kiosk"
    params = { min = [5, 12, 0], max = [7, 14, 3] }

    [[variants.changes]]
    op = "remove_geometry"
    groups = ["hedge top"]

    [[variants.changes]]
    op = "set_material"
    group = "hedge top"
    sight_transmittance = 0.6

    [[variants.changes]]
    op = "add_observers"
    name = "more"
    kind = "door"
    points = [[5, 5, 1.6]]
    fov = 360.0

    [[variants.changes]]
    op = "remove_observers"
    name = "guards"

    [[variants]]
    name = "C"
    ''')

#: :data:`FULL` with the keys that name files too: the scene is ``street.obj`` (grouped by
#: object), a variant adds that mesh and gives ``L1`` the photometry of ``lamp.ies`` again.
FULL_WITH_FILES = FULL.replace(
    '''builtin = "quads"
group = "ground"
params = { quads = [[[0, 0, 0], [40, 0, 0], [40, 20, 0], [0, 20, 0]]] }
''', '''mesh = "street.obj"
params = { group_by = "object" }
''', 1).replace('''[[variants]]
name = "C"
''', '''[[variants.changes]]
op = "replace_photometry"
name = "L1"
photometry = "lamp.ies"

[[variants.changes]]
op = "add_geometry"
mesh = "street.obj"
group = "extra"

[[variants]]
name = "C"
''', 1)
