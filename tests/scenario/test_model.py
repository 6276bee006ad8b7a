"""Scenarios and variants as data: changes apply functionally and leave the base untouched."""

from __future__ import annotations

import copy

import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.geometry.scene import Material
from cpted_sim.scenario import model as m


def _base() -> m.Scenario:
    phot = m.PhotometrySpec(builtin="isotropic", params={"intensity_cd": 1000.0})
    return m.Scenario(
        name="t",
        scene=m.SceneSpec(m.GeometrySpec(builtin="quads", group="ground",
                                         params={"quads": [[[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0]]]})),
        materials={"hedge": Material(0.1, 0.05, 0.05, ("hedge",))},
        luminaires=(m.LuminaireSpec("L1", phot, (5.0, 5.0, 6.0)),
                    m.LuminaireSpec("L2", phot, (1.0, 1.0, 6.0), azimuth=30.0)),
        areas=(m.AreaSpec("a", "grid", polygon=((0, 0), (10, 0), (10, 10), (0, 10))),),
        observers=(m.ObserverSpec("o", kind="person", points=((1.0, 1.0, 1.6),), fov=360.0),),
    )


ALL_CHANGES = [
    m.AddLuminaire(m.LuminaireSpec("L3", m.PhotometrySpec(builtin="canary"), (2.0, 2.0, 4.0))),
    m.MoveLuminaire("L1", offset=(1.0, 0.0, 0.0)),
    m.MoveLuminaire("L2", position=(3.0, 3.0, 5.0)),
    m.AimLuminaire("L2", tilt=10.0),
    m.ReplacePhotometry("*", m.PhotometrySpec(builtin="street_light_optic", params={"flux": 5000.0})),
    m.RemoveLuminaire("L1"),
    m.AddGeometry(m.GeometrySpec(builtin="box", group="wall", params={"min": [4, 4, 0], "max": [5, 6, 3]})),
    m.RemoveGeometry(("hedge",)),
    m.SetMaterial("hedge", sight_transmittance=0.5),
    m.SetMaterial("window", tags=("window",)),
    m.AddObservers(m.ObserverSpec("w", tag="window")),
    m.RemoveObservers("o"),
]


def test_every_change_applies_and_leaves_the_base_untouched():
    base = _base()
    snapshot = copy.deepcopy(base)
    v = m.Variant("B", tuple(ALL_CHANGES), "all changes")
    new = v.apply(base)
    assert base == snapshot
    assert base.variant == "base" and new.variant == "B"
    assert [x.name for x in new.luminaires] == ["L2", "L3"]
    l2 = new.luminaire("L2")
    assert l2.position == (3.0, 3.0, 5.0) and l2.tilt == 10.0 and l2.azimuth == 30.0
    assert all(x.photometry.builtin == "street_light_optic" for x in new.luminaires)
    assert new.added_geometry[0].group == "wall"
    assert new.removed_groups == ("hedge",)
    assert new.materials["hedge"] == Material(0.1, 0.05, 0.5, ("hedge",))
    assert new.materials["window"].tags == ("window",)
    assert [o.name for o in new.observers] == ["w"]
    # the base's own objects are unchanged
    assert base.luminaire("L1").position == (5.0, 5.0, 6.0)
    assert "window" not in base.materials and base.removed_groups == ()


def test_move_by_offset_adds_to_the_position():
    new = m.Variant("B", (m.MoveLuminaire("L1", offset=(1.0, -2.0, 0.5)),)).apply(_base())
    assert new.luminaire("L1").position == (6.0, 3.0, 6.5)


def test_changes_apply_in_order():
    v = m.Variant("B", (m.MoveLuminaire("L1", position=(0, 0, 1)),
                        m.MoveLuminaire("L1", offset=(1, 1, 1))))
    assert v.apply(_base()).luminaire("L1").position == (1.0, 1.0, 2.0)


@pytest.mark.parametrize("change,needle", [
    (m.MoveLuminaire("nope", offset=(1, 0, 0)), "luminaire 'nope'"),
    (m.RemoveLuminaire("nope"), "luminaire 'nope'"),
    (m.AimLuminaire("nope", tilt=1.0), "luminaire 'nope'"),
    (m.AddLuminaire(m.LuminaireSpec("L1", m.PhotometrySpec(builtin="canary"), (0, 0, 1))), "exists"),
    (m.RemoveObservers("nope"), "observer set 'nope'"),
    (m.AddObservers(m.ObserverSpec("o", kind="person", points=((0.0, 0.0, 1.6),))),
     "observer set 'o' exists already"),
])
def test_a_bad_change_names_the_variant_and_the_change(change, needle):
    v = m.Variant("V", (m.SetMaterial("x", reflectance=0.3), change))
    with pytest.raises(ParameterError, match=r"variant 'V' change 1 \(") as exc:
        v.apply(_base())
    assert needle in str(exc.value)


def test_scenario_apply_by_name_and_unknown_variant():
    v = m.Variant("B", (m.RemoveLuminaire("L2"),))
    sc = m.Scenario(**{**m.spec_fields(_base()), "variants": (v,)})
    assert [x.name for x in sc.apply("B").luminaires] == ["L1"]
    assert sc.apply("B").variants == ()
    assert [s.variant for s in sc.all_variants()] == ["B"]
    with pytest.raises(ParameterError, match="variant 'C' is not in scenario"):
        sc.apply("C")


def test_names_must_be_unique_and_base_is_reserved():
    b = _base()
    with pytest.raises(ParameterError, match="luminaire names must be unique"):
        m.Scenario(**{**m.spec_fields(b), "luminaires": b.luminaires + b.luminaires[:1]})
    with pytest.raises(ParameterError, match="reserved"):
        m.Variant("base")


@pytest.mark.parametrize("kwargs,needle", [
    (dict(name="x", kind="grid"), "needs a polygon"),
    (dict(name="x", kind="route", path=((0, 0),)), "route needs a path"),
    (dict(name="x", kind="facade"), "needs groups"),
    (dict(name="x", kind="en13201", polygon=((0, 0), (1, 0), (1, 1))), "needs a class"),
    (dict(name="x", kind="street"), "kind must be one of"),
    (dict(name="x", kind="grid", polygon=((0, 0), (1, 0), (1, 1)), quantities=("lux",)), "unknown quantity"),
])
def test_area_spec_checks(kwargs, needle):
    with pytest.raises(ParameterError, match=needle):
        m.AreaSpec(**kwargs)


def test_specs_check_their_sources():
    with pytest.raises(ParameterError, match="exactly one of file and builtin"):
        m.PhotometrySpec()
    with pytest.raises(ParameterError, match="exactly one of mesh and builtin"):
        m.GeometrySpec(mesh="a.obj", builtin="box")
    with pytest.raises(ParameterError, match="needs a group"):
        m.GeometrySpec(builtin="box", params={"min": [0, 0, 0], "max": [1, 1, 1]})
    with pytest.raises(ParameterError, match="exactly one of tag, groups, points and path"):
        m.ObserverSpec("o", tag="window", path=((0, 0), (1, 0)))
    with pytest.raises(ParameterError, match="exactly one of position and offset"):
        m.MoveLuminaire("L1")


def test_default_quantities_by_kind():
    a = m.AreaSpec("r", "route", path=((0, 0), (5, 0)))
    assert "surveillance" in a.computed_quantities and "concealment" not in a.computed_quantities
    f = m.AreaSpec("f", "facade", groups=("wall",), quantities=("E_v",))
    assert f.computed_quantities == ("E_v",)
