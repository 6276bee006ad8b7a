"""Changes a variant makes to a scenario, as data (layer L5).

Each change is a frozen dataclass with an ``op`` name (the ``op`` key of a scenario file) and
``apply(scenario) -> scenario``, which returns a new scenario through
:func:`dataclasses.replace` and never modifies its argument.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import ParameterError
from ..geometry.scene import Material

if TYPE_CHECKING:  # the specs live in model.py, which imports this module
    from .model import GeometrySpec, LuminaireSpec, ObserverSpec, PhotometrySpec

__all__ = ["AddLuminaire", "MoveLuminaire", "AimLuminaire", "RemoveLuminaire",
           "ReplacePhotometry", "AddGeometry", "RemoveGeometry", "SetMaterial", "AddObservers",
           "RemoveObservers", "SetSchedule", "CHANGE_TYPES"]


def _replace_lum(sc, name: str, **kw):
    sc.luminaire(name)
    lums = tuple(replace(x, **kw) if x.name == name else x for x in sc.luminaires)
    return replace(sc, luminaires=lums)


def _add_named(sc, field: str, item, what: str):
    """``sc`` with ``item`` appended to its tuple ``field``; the item's name must be new."""
    items = getattr(sc, field)
    if any(x.name == item.name for x in items):
        raise ParameterError(f"{what} {item.name!r} exists already")
    return replace(sc, **{field: items + (item,)})


@dataclass(frozen=True)
class AddLuminaire:
    """Add a luminaire (its name must be new)."""

    luminaire: LuminaireSpec
    op = "add_luminaire"

    def apply(self, sc):
        return _add_named(sc, "luminaires", self.luminaire, "luminaire")


@dataclass(frozen=True)
class MoveLuminaire:
    """Move a luminaire to ``position`` or by ``offset`` [m]."""

    name: str
    position: tuple[float, float, float] | None = None
    offset: tuple[float, float, float] | None = None
    op = "move_luminaire"

    def __post_init__(self):
        if (self.position is None) == (self.offset is None):
            raise ParameterError(f"move_luminaire {self.name!r}: give exactly one of position "
                                 "and offset")

    def apply(self, sc):
        old = sc.luminaire(self.name).position
        pos = self.position if self.position is not None else tuple(
            a + b for a, b in zip(old, self.offset))
        return _replace_lum(sc, self.name, position=tuple(float(v) for v in pos))


@dataclass(frozen=True)
class AimLuminaire:
    """Re-aim a luminaire: new azimuth, tilt and/or spin [deg] (unset ones are kept)."""

    name: str
    azimuth: float | None = None
    tilt: float | None = None
    spin: float | None = None
    op = "aim_luminaire"

    def apply(self, sc):
        kw = {k: float(getattr(self, k)) for k in ("azimuth", "tilt", "spin")
              if getattr(self, k) is not None}
        return _replace_lum(sc, self.name, **kw)


@dataclass(frozen=True)
class RemoveLuminaire:
    """Remove a luminaire."""

    name: str
    op = "remove_luminaire"

    def apply(self, sc):
        sc.luminaire(self.name)
        return replace(sc, luminaires=tuple(x for x in sc.luminaires if x.name != self.name))


@dataclass(frozen=True)
class ReplacePhotometry:
    """Give luminaire ``name`` (``"*"``: every luminaire) another photometry."""

    name: str
    photometry: PhotometrySpec
    op = "replace_photometry"

    def apply(self, sc):
        if self.name == "*":
            return replace(sc, luminaires=tuple(replace(x, photometry=self.photometry)
                                                for x in sc.luminaires))
        return _replace_lum(sc, self.name, photometry=self.photometry)


@dataclass(frozen=True)
class AddGeometry:
    """Merge geometry into the scene (a mesh file, a built-in, or a box)."""

    geometry: GeometrySpec
    op = "add_geometry"

    def apply(self, sc):
        return replace(sc, added_geometry=sc.added_geometry + (self.geometry,))


@dataclass(frozen=True)
class RemoveGeometry:
    """Remove every face of these groups (checked against the scene when it is built)."""

    groups: tuple[str, ...]
    op = "remove_geometry"

    def __post_init__(self):
        object.__setattr__(self, "groups", tuple(self.groups))

    def apply(self, sc):
        new = tuple(g for g in self.groups if g not in sc.removed_groups)
        return replace(sc, removed_groups=sc.removed_groups + new)


@dataclass(frozen=True)
class SetMaterial:
    """Set some properties of a group's material; properties left ``None`` are kept."""

    group: str
    reflectance: float | None = None
    light_transmittance: float | None = None
    sight_transmittance: float | None = None
    tags: tuple[str, ...] | None = None
    op = "set_material"

    def apply(self, sc):
        old = sc.materials.get(self.group, Material())
        kw = {k: getattr(self, k) for k in ("reflectance", "light_transmittance",
                                            "sight_transmittance", "tags")
              if getattr(self, k) is not None}
        mats = dict(sc.materials)
        mats[self.group] = replace(old, **kw)
        return replace(sc, materials=mats)


@dataclass(frozen=True)
class AddObservers:
    """Add a set of observers."""

    observers: ObserverSpec
    op = "add_observers"

    def apply(self, sc):
        return _add_named(sc, "observers", self.observers, "observer set")


@dataclass(frozen=True)
class RemoveObservers:
    """Remove a set of observers by name."""

    name: str
    op = "remove_observers"

    def apply(self, sc):
        if not any(o.name == self.name for o in sc.observers):
            raise ParameterError(f"observer set {self.name!r} is not in the scenario; "
                                 f"observers: {[o.name for o in sc.observers]}")
        return replace(sc, observers=tuple(o for o in sc.observers if o.name != self.name))


@dataclass(frozen=True)
class SetSchedule:
    """Give luminaires (default: every one) a dimming schedule of the scenario's
    ``[[schedules]]``, or ``"always"`` (full output all night); issue 18."""

    schedule: str
    luminaires: tuple[str, ...] = ()
    op = "set_schedule"

    def apply(self, sc):
        from .schedule import set_schedule

        return set_schedule(sc, self.schedule, self.luminaires)


CHANGE_TYPES = {c.op: c for c in (AddLuminaire, MoveLuminaire, AimLuminaire, RemoveLuminaire,
                                  ReplacePhotometry, AddGeometry, RemoveGeometry, SetMaterial,
                                  AddObservers, RemoveObservers, SetSchedule)}
