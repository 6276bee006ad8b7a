"""Photometric files and luminaires (layer L2).

>>> from cpted_sim.photometry import load_photometry, Luminaire
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PhotometryFormatError
from .distribution import IntensityDistribution
from .eulumdat import parse_eulumdat, read_eulumdat
from .ies import parse_ies, read_file, read_ies, split_lines, write_ies
from .luminaire import (DEFAULT_MAINTENANCE_FACTOR, Luminaire, LuminaireArrays, pack_luminaires,
                        rotation_matrix)
from . import builtin
from .builtin import (canary, cosine_distribution, isotropic, lambertian_downlight,
                      street_light_optic)

__all__ = [
    "IntensityDistribution",
    "load_photometry",
    "detect_format",
    "read_ies",
    "read_eulumdat",
    "write_ies",
    "Luminaire",
    "DEFAULT_MAINTENANCE_FACTOR",
    "LuminaireArrays",
    "pack_luminaires",
    "rotation_matrix",
    "builtin",
    "isotropic",
    "lambertian_downlight",
    "cosine_distribution",
    "street_light_optic",
    "canary",
]


def detect_format(text: str) -> str:
    """Return ``"ies"`` or ``"ldt"`` from a file's content (not its name).

    An IES LM-63 file starts with ``IESNA``/``IES:`` or has a ``TILT=`` line near the top;
    a EULUMDAT file has whole numbers for Ityp (line 2), Isym (line 3) and Mc (line 4).
    """
    lines = split_lines(text)
    head = lines[0].strip().upper() if lines else ""
    if head.startswith("IESNA") or head.startswith("IES:"):
        return "ies"
    for line in lines[:400]:
        if line.lstrip().upper().startswith("TILT"):
            return "ies"
    try:
        if len(lines) > 4 and all(float(lines[k].strip().replace(",", ".")).is_integer()
                                  for k in (1, 2, 3)):
            return "ldt"
    except ValueError:
        pass
    return "unknown"


def load_photometry(path) -> IntensityDistribution:
    """Load an IES LM-63 or EULUMDAT file, recognised by its content.

    Parameters
    ----------
    path : str or path-like
        A ``.ies`` or ``.ldt`` file (the extension is not trusted).

    Returns
    -------
    IntensityDistribution
        Absolute intensities [cd] over C 0 .. 360 deg and gamma 0 .. 180 deg in the type C
        frame of docs/architecture.md §4.

    Raises
    ------
    PhotometryFormatError
        The file is unreadable, of neither format, or malformed (the message names the line).
    """
    path = Path(path)
    text = read_file(path)
    kind = detect_format(text)
    if kind == "ies":
        return parse_ies(text, path=path)
    if kind == "ldt":
        return parse_eulumdat(text, path=path)
    raise PhotometryFormatError("expected an IES LM-63 file (IESNA header or TILT= line) or a "
                                "EULUMDAT file (whole numbers on lines 2-4), found neither",
                                path=path, line=1)
