"""Typical diffuse reflectances and transmittances of urban surfaces, with their sources.

Interreflection needs the diffuse reflectance of every face (``Material.reflectance``) and the
light transmittance of porous or glazed ones (``Material.light_transmittance``, introduced with
direct lighting). Surveyed values of the material a model stands for always win; this table is
for the common case of a model that only says "road", "wall" or "tree".

==========  ===========  ==========  ===============  ========================================
material    reflectance  range       transmittance    source
==========  ===========  ==========  ===============  ========================================
asphalt     0.10         0.05-0.20   0                [Oke]_ Table 1.1; aged, dry asphalt
concrete    0.25         0.10-0.35   0                [Oke]_ Table 1.1 (weathered paving)
brick       0.25         0.20-0.40   0                [Oke]_ Table 1.1 (brick / stone)
glass       0.08         0.07-0.09   0.90 (see note)  [EN410]_ typical 4 mm clear float glass
grass       0.20         0.16-0.26   0                [Oke]_ Table 1.1 (long to short grass)
foliage     0.15         0.05-0.20   0.20 (assumed)   [Oke]_ Table 1.1 (trees);
                                                      [Jacquemoud]_ for single green leaves
==========  ===========  ==========  ===============  ========================================

Surfaces without a material get ``DEFAULT_REFLECTANCE`` = 0.2, the scene's default material:
the middle of the urban range above and the usual assumption of urban canopy models
([Oke]_ gives 0.10-0.27 for whole cities).

Notes
-----
[Oke]_ lists shortwave (solar) albedo; for grey materials (asphalt, concrete, stone) the visible
(photopic) reflectance is close to it. Vegetation reflects more in the near infrared than in the
visible, so its photopic reflectance lies at the low end of the solar range: the table uses 0.15
for tree crowns and 0.20 for grass. Glass reflects specularly; as a diffuse reflector its 0.08 is
an approximation, and its 0.90 transmittance applies to shadow and gather rays crossing it
(straight through, no refraction). The 0.20 of foliage is the gap fraction of a medium-dense
crown or hedge, an assumption to be replaced by a survey value (issue 03 models hedges as
partly transparent faces).

References
----------
.. [Oke] T. R. Oke, *Boundary Layer Climates*, 2nd ed., Routledge, 1987, Table 1.1 (radiative
   properties of natural and urban materials).
.. [EN410] EN 410:2011, *Glass in building - Determination of luminous and solar
   characteristics of glazing*; typical values of 4 mm clear soda-lime float glass.
.. [Jacquemoud] S. Jacquemoud, S. Ustin, *Leaf Optical Properties*, Cambridge University
   Press, 2019, ch. 1 (green leaves reflect about 0.05-0.15 of visible light).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ParameterError
from ..geometry.scene import DEFAULT_MATERIAL, Material, Scene

__all__ = ["MaterialEntry", "URBAN_MATERIALS", "DEFAULT_REFLECTANCE", "urban_material",
           "with_urban_materials"]

DEFAULT_REFLECTANCE = DEFAULT_MATERIAL.reflectance


@dataclass(frozen=True)
class MaterialEntry:
    """One row of the table of typical urban materials.

    Attributes
    ----------
    reflectance : float
        Typical diffuse reflectance [-].
    low, high : float
        The range found in the source [-].
    light_transmittance : float
        Fraction of light passing straight through one face [-].
    source : str
        Where the numbers come from.
    """

    reflectance: float
    low: float
    high: float
    light_transmittance: float
    source: str

    def material(self, **overrides) -> Material:
        """A :class:`~cpted_sim.geometry.scene.Material` with these values (and overrides)."""
        kw = {"reflectance": self.reflectance, "light_transmittance": self.light_transmittance}
        kw.update(overrides)
        return Material(**kw)


URBAN_MATERIALS: dict[str, MaterialEntry] = {
    "asphalt": MaterialEntry(0.10, 0.05, 0.20, 0.0, "Oke 1987, Table 1.1"),
    "concrete": MaterialEntry(0.25, 0.10, 0.35, 0.0, "Oke 1987, Table 1.1"),
    "brick": MaterialEntry(0.25, 0.20, 0.40, 0.0, "Oke 1987, Table 1.1"),
    "glass": MaterialEntry(0.08, 0.07, 0.09, 0.90, "EN 410:2011, 4 mm clear float glass"),
    "grass": MaterialEntry(0.20, 0.16, 0.26, 0.0, "Oke 1987, Table 1.1"),
    "foliage": MaterialEntry(0.15, 0.05, 0.20, 0.20,
                             "Oke 1987, Table 1.1; Jacquemoud & Ustin 2019; "
                             "transmittance assumed"),
}


def urban_material(name: str, **overrides) -> Material:
    """The :class:`Material` of a typical urban surface from :data:`URBAN_MATERIALS`.

    Parameters
    ----------
    name : str
        ``"asphalt"``, ``"concrete"``, ``"brick"``, ``"glass"``, ``"grass"`` or ``"foliage"``.
    **overrides
        Material fields to set instead (``tags=("hedge",)``, a surveyed ``reflectance``).

    Raises
    ------
    ParameterError
        An unknown name (the message lists the known ones).
    """
    try:
        entry = URBAN_MATERIALS[name]
    except KeyError:
        raise ParameterError(f"material {name!r} is not in the table; known: "
                             f"{sorted(URBAN_MATERIALS)}") from None
    return entry.material(**overrides)


def with_urban_materials(scene: Scene, mapping: Mapping[str, str]) -> Scene:
    """The scene with the table's materials set on its groups: ``{"road": "asphalt", ...}``.

    Raises
    ------
    ParameterError
        A group that is not in the scene or a material that is not in the table.
    """
    mats = {}
    for group, name in mapping.items():
        if group not in scene.groups:
            raise ParameterError(f"group {group!r} is not in the scene; groups: "
                                 f"{list(scene.groups)}")
        mats[group] = urban_material(name)
    return scene.with_materials(mats)
