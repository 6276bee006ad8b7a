"""Totals built on the interreflection solution: surface luminance and direct + indirect.

Split from ``lighting/interreflection.py`` (which re-exports both names) to keep modules small.
"""

from __future__ import annotations

import numpy as np

from .._validate import renamed, sub_settings
from ..errors import ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..photometry.luminaire import Luminaire
from .interreflection import (_MAX_BOUNCES, RadiositySolution, _count, indirect_illuminance,
                              radiosity)

__all__ = ["surface_luminance", "add_indirect"]


def surface_luminance(scene: Scene, luminaires=None, *, solution: RadiositySolution | None = None,
                      solver: dict | None = None, **solver_kw) -> Field:
    """Luminance of the faces' front sides [cd/m2], Lambertian: ``L = rho (E_d + E_i) / pi``.

    Parameters
    ----------
    scene : Scene
        The scene (faces and materials).
    luminaires : Luminaire or sequence, optional
        Needed unless ``solution`` is given.
    solution : RadiositySolution, optional
        Reuse a solution from :func:`radiosity` or :attr:`IndirectResult.solution`.
    solver : dict, optional
        :func:`radiosity` parameters (``{"bounces": 2, "patch_size": 1.0}``); as loose
        keywords, the old form, they still work for one release with a DeprecationWarning.

    Returns
    -------
    Field
        Quantity ``L_surface`` [cd/m2] on a grid of face centroids with the face normals
        (kind ``"plane"``); the area-weighted mean over each face's patches.
    """
    if solution is None:
        if luminaires is None:
            raise ParameterError("surface_luminance: give luminaires or a solution")
        solution = radiosity(scene, luminaires, **sub_settings(solver, "solver", solver_kw))
    grid = CalculationGrid.from_points(scene.face_centroids, scene.face_normals, kind="plane",
                                       name=f"{scene.name} faces")
    values = solution.face_luminance(scene.n_faces)
    prov = provenance(method="interreflection (patch radiosity)", bounces_done=solution.bounces,
                      **solution.settings)
    return Field(values, grid, "L_surface", "cd/m2", prov)


def add_indirect(direct: Field, scene: Scene, luminaires, kind: str = "horizontal", facing=None,
                 *, bounces: int | str = "converged", interreflection: dict | None = None,
                 quiet: bool | None = None, settings: dict | None = None) -> Field:
    """Total illuminance: a direct field plus its interreflected part.

    ``cs.illuminance(..., bounces=N)`` calls this; call it yourself to add the indirect part
    to a direct field computed earlier. ``interreflection`` holds the settings of
    :func:`indirect_illuminance` as in ``cs.illuminance`` (``settings``, its old name, works
    for one release with a DeprecationWarning).

    Parameters
    ----------
    direct : Field
        Direct illuminance [lx] on some grid (from :func:`cpted_sim.illuminance`).
    scene, luminaires, kind, facing
        As for the direct field.
    bounces : int or "converged"
        Reflections to include (``"converged"``: until the remaining energy is below the
        tolerance).
    settings : dict, optional
        Further :func:`indirect_illuminance` parameters.
    quiet : bool, optional
        Hide the progress bars.

    Returns
    -------
    Field
        Same grid and quantity, values direct + indirect [lx]; the provenance gains
        ``bounces``, ``bounces_done``, ``indirect_mean_lx``, ``indirect_error_mean_lx``,
        ``indirect_error_max_lx`` and the indirect part's own provenance.
    """
    if isinstance(bounces, str):
        if bounces != "converged":
            raise ParameterError(f"bounces: expected a whole number >= 0 or 'converged', "
                                 f"got {bounces!r}")
        n_bounces = None
    else:
        n_bounces = _count(bounces, "bounces", 0, _MAX_BOUNCES)
        if n_bounces == 0:
            return direct
    lums = [luminaires] if isinstance(luminaires, Luminaire) else list(luminaires)
    if not lums:
        return direct
    res = indirect_illuminance(scene, lums, direct.grid, kind, facing, bounces=n_bounces,
                               quiet=quiet, **sub_settings(renamed(settings, "settings",
                                                                   interreflection,
                                                                   "interreflection"),
                                                           "interreflection", {}))
    prov = dict(direct.provenance)
    prov.update(bounces=bounces, bounces_done=res.solution.bounces,
                indirect_mean_lx=float(np.mean(res.values)),
                indirect_error_mean_lx=float(np.mean(res.error)),
                indirect_error_max_lx=float(np.max(res.error)),
                interreflection=res.field.provenance)
    return Field(direct.values + res.values, direct.grid, direct.quantity, direct.unit, prov)
