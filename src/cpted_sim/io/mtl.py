"""Wavefront ``.mtl`` material libraries: the diffuse colour ``Kd`` as a reflectance.

An OBJ file names its material libraries with ``mtllib``; each ``newmtl`` block may give a
diffuse colour ``Kd r g b`` (0..1). The library reads it as the group's diffuse reflectance,
weighted by the eye's sensitivity (the luminance weights of Rec. 709 / sRGB):
``rho = 0.2126 R + 0.7152 G + 0.0722 B``. A scenario file's ``[materials]`` table overrides
any group.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from .._files import MAX_MESH_BYTES, checked_input, read_text_checked
from ..errors import CptedWarning, MeshError
from ..geometry.scene import Material

__all__ = ["LUMINANCE_WEIGHTS", "read_mtl", "mtl_reflectances", "obj_materials",
           "kd_reflectance"]

log = logging.getLogger(__name__)

#: Rec. 709 luminance weights of R, G, B.
LUMINANCE_WEIGHTS = (0.2126, 0.7152, 0.0722)


def kd_reflectance(kd) -> float:
    """Luminance-weighted reflectance of an RGB diffuse colour.

    Parameters
    ----------
    kd : (3,) float
        ``Kd`` red, green, blue, each in [0, 1].

    Returns
    -------
    float
        ``0.2126 R + 0.7152 G + 0.0722 B`` [-], clipped to [0, 1].
    """
    rgb = np.asarray(kd, dtype=np.float64).reshape(3)
    return float(np.clip(np.dot(LUMINANCE_WEIGHTS, rgb), 0.0, 1.0))


def read_mtl(path) -> dict[str, tuple[float, float, float]]:
    """The ``Kd`` colour of every material of an ``.mtl`` file that gives one.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        Material name -> ``(R, G, B)``; materials without ``Kd`` are left out.

    Raises
    ------
    MeshError
        An unreadable file, ``Kd`` before any ``newmtl``, or a ``Kd`` line without three
        numbers in [0, 1] (the message names the file and line). ``Kd spectral`` and
        ``Kd xyz`` are not read: that material is skipped with a warning.
    """
    p = checked_input(path, what="material library", error=MeshError)
    text = read_text_checked(p, what="material library", error=MeshError,
                             encoding="utf-8")
    out: dict[str, tuple[float, float, float]] = {}
    current = None
    skipped = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tag, *rest = line.split()
        if tag == "newmtl":
            current = " ".join(rest) if rest else None
            if current is None:
                raise MeshError(f"{p.name} line {lineno}: 'newmtl' without a name")
        elif tag == "Kd":
            if current is None:
                raise MeshError(f"{p.name} line {lineno}: 'Kd' before any 'newmtl'")
            if rest and rest[0] in ("spectral", "xyz"):
                skipped.append(current)
                continue
            try:
                vals = [float(x) for x in rest]
            except ValueError:
                raise MeshError(f"{p.name} line {lineno}: expected 'Kd r g b' with numbers, got "
                                f"{raw.strip()[:60]!r}") from None
            if len(vals) == 1:  # "Kd r" means grey r r r
                vals = vals * 3
            if len(vals) != 3 or not all(np.isfinite(vals)):
                raise MeshError(f"{p.name} line {lineno}: expected 'Kd r g b' (three numbers), "
                                f"got {raw.strip()[:60]!r}")
            if min(vals) < 0.0 or max(vals) > 1.0:
                raise MeshError(f"{p.name} line {lineno}: Kd of material {current!r} must lie "
                                f"in [0, 1], got {vals}")
            out[current] = (vals[0], vals[1], vals[2])
    if skipped:
        warnings.warn(f"{p.name}: {len(skipped)} materials give Kd as spectral or xyz, which is "
                      f"not read; they keep the default reflectance: {skipped[:5]}",
                      CptedWarning, stacklevel=2)
    return out


def mtl_reflectances(path) -> dict[str, float]:
    """Material name -> luminance-weighted ``Kd`` reflectance [-] of an ``.mtl`` file."""
    return {name: kd_reflectance(kd) for name, kd in read_mtl(path).items()}


def _mtllib_names(p: Path) -> list[str]:
    """The ``mtllib`` names of an OBJ file (streamed: OBJ files can be large)."""
    names = []
    try:
        with open(p, "rb") as fh:
            for raw in fh:
                if raw.startswith(b"mtllib"):
                    rest = raw[6:].decode("utf-8", "replace").strip()
                    if rest:
                        names.append(rest)
    except OSError as exc:
        raise MeshError(f"{p.name}: cannot be read ({exc.strerror})") from None
    return names


def obj_materials(obj_path, groups=None) -> dict[str, Material]:
    """Materials from the ``.mtl`` libraries an OBJ file names (``mtllib``), by material name.

    Parameters
    ----------
    obj_path : str or path-like
        The ``.obj`` file; ``mtllib`` paths are relative to its folder.
    groups : sequence of str, optional
        Keep only these names (the scene's groups), so that the result can go straight into
        :meth:`cpted_sim.Scene.with_materials`.

    Returns
    -------
    dict
        Name -> ``Material(reflectance=...)``. Empty when the file names no library.

    Raises
    ------
    MeshError
        A library the OBJ names that is missing or malformed.

    Warns
    -----
    CptedWarning
        Materials the OBJ uses (``groups``) that no library defines a ``Kd`` for (with count).
    """
    p = checked_input(obj_path, what="OBJ file", error=MeshError, max_bytes=MAX_MESH_BYTES)
    refl: dict[str, float] = {}
    for name in _mtllib_names(p):
        lib = checked_input(name, what=f"{p.name}: mtllib", error=MeshError,
                            max_bytes=2**26, base_dir=p.parent, allow_outside=True)
        refl.update(mtl_reflectances(lib))
    if not refl:
        return {}
    if groups is not None:
        missing = [g for g in groups if g not in refl and g != "default"]
        if missing:
            warnings.warn(f"{p.name}: {len(missing)} materials have no Kd in the .mtl "
                          f"libraries and keep the default reflectance: {missing[:5]}",
                          CptedWarning, stacklevel=2)
        refl = {k: v for k, v in refl.items() if k in set(groups)}
    return {k: Material(reflectance=v) for k, v in refl.items()}
