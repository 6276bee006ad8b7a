"""Scenarios and variants as data (layer L5; no file I/O).

A :class:`Scenario` describes a place once: the scene (a mesh file or a built-in scene), the
materials by group, the luminaires, the calculation areas, the observers, the thresholds and
the run settings. A :class:`Variant` is a named list of changes (add, move, re-aim, remove a
luminaire; swap its photometry; remove or add geometry; change a material; add or remove
observers). :meth:`Variant.apply` returns a new scenario and leaves the base untouched.

Everything here is plain, comparable data: files are named by absolute path and loaded by
:mod:`cpted_sim.io.scenario_file` (mesh files) or by :func:`cpted_sim.scenario.run.run`
(photometric files through :func:`cpted_sim.photometry.load_photometry`).

The result types shared with the report writer, :class:`Metric`, :class:`AreaResult` and
:class:`ScenarioResult`, live in :mod:`cpted_sim.scenario.results` and are re-exported here.
"""

from __future__ import annotations

import math
import warnings

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import ParameterError
from .changes import (CHANGE_TYPES, AddGeometry, AddLuminaire, AddObservers, AimLuminaire,
                      MoveLuminaire, RemoveGeometry, RemoveLuminaire, RemoveObservers,
                      ReplacePhotometry, SetMaterial)
from ..geometry.scene import Material
from ..photometry.luminaire import DEFAULT_MAINTENANCE_FACTOR
from ..visibility.observers import DEFAULT_RANGE
from .results import AreaResult, Metric, ScenarioResult

__all__ = [
    "PhotometrySpec", "GeometrySpec", "SceneSpec", "LuminaireSpec", "AreaSpec", "ObserverSpec",
    "Thresholds", "RunSettings", "Scenario", "Variant", "CHANGE_TYPES",
    "AddLuminaire", "MoveLuminaire", "AimLuminaire", "RemoveLuminaire", "ReplacePhotometry",
    "AddGeometry", "RemoveGeometry", "SetMaterial", "AddObservers", "RemoveObservers",
    "Metric", "AreaResult", "ScenarioResult",
    "AREA_KINDS", "OBSERVER_KINDS", "QUANTITIES", "BUILTIN_PHOTOMETRY", "BUILTIN_SCENES",
]

AREA_KINDS = ("en13201", "grid", "facade", "route")
OBSERVER_KINDS = ("window", "door", "path", "person")
#: Quantities an area may ask for, and those computed when it asks for none.
QUANTITIES = ("E_h", "E_sc", "E_v", "surveillance", "night_surveillance", "concealment",
              "isovist")
DEFAULT_QUANTITIES = {
    "en13201": ("E_h", "E_sc", "surveillance", "night_surveillance", "concealment"),
    "grid": ("E_h", "surveillance", "night_surveillance", "concealment"),
    "facade": ("E_v",),
    "route": ("E_h", "E_sc", "surveillance", "night_surveillance"),
}
BUILTIN_PHOTOMETRY = ("street_light_optic", "isotropic", "lambertian_downlight",
                      "cosine_distribution", "canary")
BUILTIN_SCENES = ("demo_street", "ground_plane", "street_canyon", "district", "box", "quads",
                  "city_model")  # city_model: CityJSON files, see scenario.city_spec


HEIGHT_REFERENCES = ("surface", "deck", "absolute")


def _check_reference(ref, what: str) -> None:
    if ref is not None and ref not in HEIGHT_REFERENCES:
        raise ParameterError(f"{what}: height_reference must be one of {HEIGHT_REFERENCES}, "
                             f"got {ref!r}")


# ---------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class PhotometrySpec:
    """Where a luminaire's intensity distribution comes from: a file or a built-in.

    Attributes
    ----------
    file : str or None
        Absolute path of an IES LM-63 or EULUMDAT file.
    builtin : str or None
        One of ``BUILTIN_PHOTOMETRY`` (functions of :mod:`cpted_sim.photometry.builtin`).
    params : dict
        Keyword arguments of the built-in (e.g. ``{"flux": 8000.0}`` [lm]).
    """

    file: str | None = None
    builtin: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if (self.file is None) == (self.builtin is None):
            raise ParameterError("photometry: give exactly one of file and builtin")
        if self.builtin is not None and self.builtin not in BUILTIN_PHOTOMETRY:
            raise ParameterError(f"photometry.builtin: expected one of {BUILTIN_PHOTOMETRY}, "
                                 f"got {self.builtin!r}")
        object.__setattr__(self, "params", dict(self.params))


@dataclass(frozen=True)
class GeometrySpec:
    """Triangles from a mesh file, a built-in scene, or an axis-aligned box.

    Attributes
    ----------
    mesh : str or None
        Absolute path of a mesh file (loaded by :func:`cpted_sim.io.mesh.load_scene`).
    builtin : str or None
        One of ``BUILTIN_SCENES``; ``"box"`` takes ``params = {min = [x, y, z], max = [...]}``
        [m], ``"quads"`` takes ``params = {quads = [[p0, p1, p2, p3], ...]}``, planar quads
        counter-clockwise seen from their front (world coordinates [m]).
    params : dict
        Keyword arguments of the built-in; for a mesh file ``group_by`` (``"material"`` or
        ``"object"``) and ``lod`` (CityJSON level of detail).
    group : str or None
        Group name given to every face (default: the groups of the source; ``"box"`` needs it).
    """

    mesh: str | None = None
    builtin: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    group: str | None = None

    def __post_init__(self):
        if (self.mesh is None) == (self.builtin is None):
            raise ParameterError("geometry: give exactly one of mesh and builtin")
        if self.builtin is not None and self.builtin not in BUILTIN_SCENES:
            raise ParameterError(f"geometry.builtin: expected one of {BUILTIN_SCENES}, "
                                 f"got {self.builtin!r}")
        if self.mesh is not None and set(self.params) - {"group_by", "lod"}:
            raise ParameterError(f"geometry: a mesh file takes the params group_by and lod, "
                                 f"got {sorted(self.params)}")
        if self.builtin in ("box", "quads") and self.group is None:
            raise ParameterError(f"geometry: a {self.builtin} needs a group name")
        object.__setattr__(self, "params", dict(self.params))


    @property
    def asset_key(self) -> str | None:
        """Key of the loaded mesh in ``Scenario.assets`` (the path, plus load options)."""
        if self.mesh is None:
            return None
        if not self.params:
            return self.mesh
        return self.mesh + "?" + "&".join(f"{k}={v}" for k, v in sorted(self.params.items()))


@dataclass(frozen=True)
class SceneSpec:
    """The scene: geometry, local origin [m], EPSG code, the ``walkable`` groups (default all)
    and the steepest walkable face ``max_slope_deg`` [deg] (default 30; geometry.drape)."""

    geometry: GeometrySpec
    origin: tuple[float, float, float] | None = None
    epsg: int | None = None
    name: str | None = None
    walkable: tuple[str, ...] | None = None
    max_slope_deg: float | None = None

    def __post_init__(self):
        if self.walkable is not None:
            object.__setattr__(self, "walkable", tuple(self.walkable))
        if self.max_slope_deg is not None and not 0 <= self.max_slope_deg <= 90:
            raise ParameterError(f"scene.max_slope_deg: expected 0..90 deg, "
                                 f"got {self.max_slope_deg}")


@dataclass(frozen=True)
class LuminaireSpec:
    """A luminaire as data (see :class:`cpted_sim.photometry.Luminaire` for the angles).

    Attributes
    ----------
    name : str
        Unique name; variants refer to it.
    photometry : PhotometrySpec
        Its intensity distribution.
    position : (3,) tuple of float
        Photometric centre, world coordinates [m].
    azimuth, tilt, spin : float
        Aiming [deg] (docs/architecture.md §4).
    maintenance_factor : float
        [-], default ``DEFAULT_MAINTENANCE_FACTOR`` (0.8, a maintained LED installation; the
        same default as a Python ``Luminaire``).
    flux_scale : float
        Extra intensity multiplier [-] (dimming), default 1.
    height_reference : str or None
        ``"surface"`` or ``"deck"``: ``position[2]`` is the mounting height above the walkable
        surface under the pole; ``None`` or ``"absolute"`` (default): world z.
    """

    name: str
    photometry: PhotometrySpec
    position: tuple[float, float, float]
    azimuth: float = 0.0
    tilt: float = 0.0
    spin: float = 0.0
    maintenance_factor: float = DEFAULT_MAINTENANCE_FACTOR
    flux_scale: float = 1.0
    height_reference: str | None = None

    def __post_init__(self):
        _check_reference(self.height_reference, f"luminaire {self.name!r}")
        pos = tuple(float(v) for v in self.position)
        if len(pos) != 3:
            raise ParameterError(f"luminaire {self.name!r}: position needs 3 numbers, got {pos}")
        object.__setattr__(self, "position", pos)


@dataclass(frozen=True)
class AreaSpec:
    """A calculation area.

    Attributes
    ----------
    name : str
        Unique name.
    kind : str
        ``"en13201"`` (a lit area with an EN 13201-2 class), ``"grid"`` (a regular plan grid),
        ``"facade"`` (points on the faces of some groups), ``"route"`` (a walking route).
    lighting_class : str or None
        Target class (``"P1"`` .. ``"P6"``, ``"C0"`` .. ``"C5"``); required for en13201.
    polygon : tuple of (x, y) or None
        Outline [m] of en13201 and grid areas (world coordinates).
    path : tuple of (x, y) or None
        Polyline [m] of a route.
    groups : tuple of str
        Scene groups of a facade.
    spacing : float
        Point spacing [m] (grid cell size, step along a route, facade sampling).
    height : float
        Height of the calculation plane [m] above ``height_reference`` (0: on the ground;
        semicylindrical and surveillance targets are ``Thresholds.target_height`` above it).
    height_reference : str or None
        ``"surface"`` (the walkable surface below each point), ``"deck"`` (the highest
        walkable surface, a bridge) or ``"absolute"`` (z = ``height``). Default: ``"surface"``
        for mesh files, ``"absolute"`` for built-in scenes.
    quantities : tuple of str
        Which of ``QUANTITIES`` to compute; empty: the kind's defaults.
    facing : (2,) tuple or None
        Main direction of movement for E_sc (both senses are evaluated); default: the long
        axis of the polygon, or along the route.
    dark_lx : float or None
        Dark threshold of this area [lx]; default: the class's E_min, else
        ``Thresholds.dark_lx``.
    """

    name: str
    kind: str
    lighting_class: str | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    path: tuple[tuple[float, float], ...] | None = None
    groups: tuple[str, ...] = ()
    spacing: float = 1.0
    height: float = 0.0
    quantities: tuple[str, ...] = ()
    facing: tuple[float, float] | None = None
    dark_lx: float | None = None
    height_reference: str | None = None

    def __post_init__(self):
        _check_reference(self.height_reference, f"area {self.name!r}")
        if self.kind not in AREA_KINDS:
            raise ParameterError(f"area {self.name!r}: kind must be one of {AREA_KINDS}, "
                                 f"got {self.kind!r}")
        for q in self.quantities:
            if q not in QUANTITIES:
                raise ParameterError(f"area {self.name!r}: unknown quantity {q!r}; "
                                     f"expected some of {QUANTITIES}")
        for key in ("polygon", "path"):
            v = getattr(self, key)
            if v is not None:
                object.__setattr__(self, key, tuple(tuple(float(c) for c in p) for p in v))
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "quantities", tuple(self.quantities))
        if self.kind in ("en13201", "grid") and self.polygon is None:
            raise ParameterError(f"area {self.name!r}: a {self.kind} area needs a polygon")
        if self.kind == "route" and (self.path is None or len(self.path) < 2):
            raise ParameterError(f"area {self.name!r}: a route needs a path of >= 2 points")
        if self.kind == "facade" and not self.groups:
            raise ParameterError(f"area {self.name!r}: a facade needs groups")
        if self.kind == "en13201" and self.lighting_class is None:
            raise ParameterError(f"area {self.name!r}: an en13201 area needs a class")
        if not self.spacing > 0:
            raise ParameterError(f"area {self.name!r}: spacing must be > 0, got {self.spacing}")

    @property
    def computed_quantities(self) -> tuple[str, ...]:
        """The quantities to compute (the kind's defaults when none are listed)."""
        return self.quantities or DEFAULT_QUANTITIES[self.kind]


@dataclass(frozen=True)
class ObserverSpec:
    """A set of observers (eyes that may watch the public space).

    Exactly one source of eye points: ``tag`` (face centroids of the groups whose material
    carries it, e.g. every window), ``groups``, ``points`` or ``path`` (a polyline sampled
    every ``spacing`` metres, eyes ``height`` above it).

    Attributes
    ----------
    name : str
        Unique name.
    kind : str
        ``"window"``, ``"door"``, ``"path"`` or ``"person"``.
    weight : float
        Weight of each observer in the weighted surveillance count [-].
    fov : float
        Horizontal field of view [deg] about the facing direction (360: all around).
    range : float
        How far an observer can recognise a person [m] (default ``DEFAULT_RANGE``, 50 m, as
        for observers made in Python).
    spacing : float
        Distance between walkers along a path [m] (default 2).
    height : float or None
        Eye height [m] above a path (default 1.6) or added to listed points (default 0:
        the points are the eyes). Openings (tag, groups) put one eye 0.1 m in front of
        each window or door, at its centre.
    height_reference : str or None
        For a path: ``"surface"``, ``"deck"`` or ``"absolute"`` (as for areas; default
        ``"surface"`` for mesh files, ``"absolute"`` for built-in scenes).
    """

    name: str
    kind: str = "window"
    tag: str | None = None
    groups: tuple[str, ...] = ()
    points: tuple[tuple[float, float, float], ...] | None = None
    path: tuple[tuple[float, float], ...] | None = None
    weight: float = 1.0
    fov: float = 180.0
    range: float = DEFAULT_RANGE
    spacing: float = 2.0
    height: float | None = None
    height_reference: str | None = None
    semantic: tuple[str, ...] = ()     # city models: see scenario.city_spec.city_observers
    generate: Mapping[str, Any] | None = None

    def __post_init__(self):
        _check_reference(self.height_reference, f"observers {self.name!r}")
        object.__setattr__(self, "semantic", tuple(self.semantic))
        if (self.semantic or self.generate is not None) and self.kind in OBSERVER_KINDS:
            if any([self.tag is not None, bool(self.groups), self.points is not None,
                    self.path is not None]):
                raise ParameterError(f"observers {self.name!r}: semantic / generate take no "
                                     "tag, groups, points or path")
            if self.generate is not None:
                object.__setattr__(self, "generate", dict(self.generate))
            return
        if self.kind not in OBSERVER_KINDS:
            raise ParameterError(f"observers {self.name!r}: kind must be one of "
                                 f"{OBSERVER_KINDS}, got {self.kind!r}")
        sources = [self.tag is not None, bool(self.groups), self.points is not None,
                   self.path is not None]
        if sum(sources) != 1:
            raise ParameterError(f"observers {self.name!r}: give exactly one of tag, groups, "
                                 "points and path")
        object.__setattr__(self, "groups", tuple(self.groups))
        for key in ("points", "path"):
            v = getattr(self, key)
            if v is not None:
                object.__setattr__(self, key, tuple(tuple(float(c) for c in p) for p in v))


@dataclass(frozen=True)
class Thresholds:
    """What counts as dark, unobserved and concealed.

    Attributes
    ----------
    dark_lx : float
        E_h [lx] below which a point is dark when its area has no class (default 1 lx).
    min_surveillance : float
        Weighted surveillance count below which a point is unobserved [-] (default 1: no
        observer sees it).
    night_lit_lx : float or None
        Semicylindrical illuminance [lx] a face needs to be recognised at night, at any
        distance; default None: the distance-dependent curve of
        :data:`cpted_sim.visibility.DEFAULT_RECOGNITION` (about 1 lx at 4 m, 3 lx at 10 m).
    target_height : float
        Height above the ground of the watched point, a person's face [m] (default 1.5).
    concealment_distance : float
        Radius [m] around route points in which a spot that no route point sees is a
        hiding place (default 5).
    """

    dark_lx: float = 1.0
    min_surveillance: float = 1.0
    night_lit_lx: float | None = None
    target_height: float = 1.5
    concealment_distance: float = 5.0


@dataclass(frozen=True)
class RunSettings:
    """How to run.

    Attributes
    ----------
    threads : int or None
        Kernel threads (default: all the session allows).
    engine : str or None
        Deprecated (one release): the lighting and sightline kernels run on the built-in
        ``"numba"`` BVH only, so the setting chose nothing; ``"numba"`` is accepted with a
        :class:`DeprecationWarning`, anything else is an error. Embree and trimesh serve as
        cross-checks through :mod:`cpted_sim.geometry.query`.
    max_distance : float
        Luminaires farther than this from a point are left out [m] (default 100).
    quiet : bool
        No progress bars.
    bounces : int or "converged"
        Interreflection: 0 (default) direct light only, as EN 13201 computes it; N adds light
        reflected up to N times by the scene's surfaces (their material reflectance);
        ``"converged"`` until the remaining energy is below 0.1 %. One radiosity solution is
        shared by every area of a run.
    max_memory_gb : float or None
        Memory limit of the run [GB = 2**30 B] (default:
        :func:`cpted_sim.config.get_max_memory_gb`, 4 GB unless ``CPTED_SIM_MAX_MEMORY_GB``
        says otherwise).
    """

    threads: int | None = None
    engine: str | None = None
    max_distance: float = 100.0
    quiet: bool = False
    bounces: int | str = 0
    max_memory_gb: float | None = None

    def __post_init__(self):
        if self.engine is not None:
            if self.engine != "numba":
                raise ParameterError(f"run.engine: {self.engine!r} is not supported; the "
                                     "lighting and sightline kernels run on the 'numba' engine")
            warnings.warn("run.engine is deprecated and will be removed in the next release: "
                          "the kernels always run on the 'numba' engine; leave it out",
                          DeprecationWarning, stacklevel=3)
        b = self.bounces
        if not (b == "converged" or (isinstance(b, int) and not isinstance(b, bool) and b >= 0)):
            raise ParameterError(f"run.bounces: expected a whole number >= 0 or 'converged', "
                                 f"got {b!r}")
        gb = self.max_memory_gb
        if gb is not None and not (isinstance(gb, (int, float)) and 0 < gb < math.inf):
            raise ParameterError(f"run.max_memory_gb: expected a number of GB > 0, got {gb!r}")


# ---------------------------------------------------------------------------- scenario
@dataclass(frozen=True)
class Scenario:
    """A place, described once; variants are applied functionally.

    Attributes
    ----------
    name : str
        Scenario name.
    scene : SceneSpec
        Geometry, origin and EPSG code.
    materials : dict str -> Material
        Materials by group name.
    luminaires : tuple of LuminaireSpec
    areas : tuple of AreaSpec
    observers : tuple of ObserverSpec
    thresholds : Thresholds
    settings : RunSettings
    variants : tuple of Variant
        The variants described with the scenario (not applied).
    removed_groups : tuple of str
        Groups removed from the scene (by variants).
    added_geometry : tuple of GeometrySpec
        Geometry merged into the scene (by variants).
    variant : str
        ``"base"``, or the name of the applied variant.
    description : str
    assets : dict
        Loaded mesh scenes by absolute path (filled by the file loader; not compared).
    variant_description : str
        The applied variant's description (set by :meth:`Variant.apply`; not compared).
    hours : HoursSpec or None
        Schedules, presence, obtrusive light, energy (:mod:`cpted_sim.scenario.schedule`).
    """

    name: str
    scene: SceneSpec
    materials: Mapping[str, Material] = field(default_factory=dict)
    luminaires: tuple[LuminaireSpec, ...] = ()
    areas: tuple[AreaSpec, ...] = ()
    observers: tuple[ObserverSpec, ...] = ()
    thresholds: Thresholds = Thresholds()
    settings: RunSettings = RunSettings()
    variants: tuple[Variant, ...] = ()
    removed_groups: tuple[str, ...] = ()
    added_geometry: tuple[GeometrySpec, ...] = ()
    variant: str = "base"
    description: str = ""
    assets: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    variant_description: str = field(default="", compare=False)
    hours: Any = None

    def __post_init__(self):
        for attr in ("luminaires", "areas", "observers", "variants", "removed_groups",
                     "added_geometry"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        object.__setattr__(self, "materials", dict(self.materials))
        for attr, what in (("luminaires", "luminaire"), ("areas", "area"),
                           ("observers", "observer set"), ("variants", "variant")):
            names = [x.name for x in getattr(self, attr)]
            dup = {n for n in names if names.count(n) > 1}
            if dup:
                raise ParameterError(f"scenario {self.name!r}: {what} names must be unique; "
                                     f"repeated: {sorted(dup)}")

    def get_variant(self, name: str) -> Variant:
        """The variant called ``name`` (ParameterError listing the known ones)."""
        for v in self.variants:
            if v.name == name:
                return v
        raise ParameterError(f"variant {name!r} is not in scenario {self.name!r}; "
                             f"variants: {[v.name for v in self.variants]}")

    def apply(self, variant: Variant | str) -> Scenario:
        """The scenario with ``variant`` (or the variant of that name) applied."""
        if isinstance(variant, str):
            variant = self.get_variant(variant)
        return variant.apply(self)

    def variant_groups(self) -> set[str]:
        """Group names that this scenario's variants add with ``add_geometry``."""
        return set().union(*(_added_groups(v.changes) for v in self.variants))

    def all_variants(self) -> list[Scenario]:
        """Every variant of the file applied to this base, in file order."""
        return [v.apply(self) for v in self.variants]

    def luminaire(self, name: str) -> LuminaireSpec:
        """The luminaire called ``name``."""
        for lum in self.luminaires:
            if lum.name == name:
                return lum
        raise ParameterError(f"luminaire {name!r} is not in scenario {self.name!r}; "
                             f"luminaires: {[x.name for x in self.luminaires]}")


@dataclass(frozen=True)
class Variant:
    """A named set of changes to a base scenario.

    Attributes
    ----------
    name : str
        Name used in tables and reports ("B: extra light").
    changes : tuple
        Change objects (``CHANGE_TYPES``), applied in order.
    description : str
        One line for the report.
    """

    name: str
    changes: tuple = ()
    description: str = ""

    def __post_init__(self):
        object.__setattr__(self, "changes", tuple(self.changes))
        for k, ch in enumerate(self.changes):
            if type(ch) not in CHANGE_TYPES.values():
                raise ParameterError(f"variant {self.name!r} change {k}: expected one of "
                                     f"{sorted(CHANGE_TYPES)}, got {type(ch).__name__}")
        if self.name == "base":
            raise ParameterError("variant name 'base' is reserved for the unchanged scenario")

    def apply(self, base: Scenario) -> Scenario:
        """A new scenario with the changes applied in order; ``base`` is not modified.

        Raises
        ------
        ParameterError
            A change names a luminaire or observer set that does not exist (the message
            names the variant and the change).
        """
        sc = base
        for k, ch in enumerate(self.changes):
            try:
                sc = ch.apply(sc)
            except ParameterError as exc:
                raise ParameterError(f"variant {self.name!r} change {k} ({ch.op}): {exc}") from None
        # materials of groups that only the base's other variants add are not this one's
        others = base.variant_groups() - _added_groups(self.changes)
        mats = {k: v for k, v in sc.materials.items() if k not in others}
        return replace(sc, variant=self.name, variants=(), materials=mats,
                       variant_description=self.description)


def _added_groups(changes) -> set[str]:
    return {ch.geometry.group for ch in changes
            if getattr(ch, "op", None) == "add_geometry" and ch.geometry.group is not None}


def spec_fields(obj) -> dict[str, Any]:
    """The dataclass fields of ``obj`` as a dict (helper for writers)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}
