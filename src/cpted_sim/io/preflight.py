"""Everything a command can check before computing (layer L6: may use pyproj and the disk).

:func:`preflight` runs :func:`cpted_sim.scenario.preflight.check_scenario` on every scenario
of a command (names, memory), checks each scene's EPSG code against PROJ and checks the output
folder (:func:`cpted_sim.io.output_folder.check_output_folder`), so that a bad name, an
unknown EPSG code or a foreign ``--out`` folder fail in a fraction of a second with nothing
written, instead of after the whole computation.
"""

from __future__ import annotations

import logging

from ..errors import ParameterError
from ..scenario.preflight import check_scenario
from .output_folder import check_output_folder

__all__ = ["preflight", "check_epsg"]

log = logging.getLogger(__name__)


def check_epsg(code, what: str = "scene.epsg") -> str | None:
    """Check that PROJ knows EPSG ``code``.

    Returns
    -------
    str or None
        A note when the check was skipped because pyproj is not installed (the ``gis`` extra),
        else None.

    Raises
    ------
    ParameterError
        PROJ does not know the code.
    """
    if code is None:
        return None
    try:
        from pyproj import CRS
        from pyproj.exceptions import CRSError
    except ImportError:
        return (f"{what} = {code}: not checked against PROJ (pyproj is not installed; "
                "pip install 'cpted_sim[gis]')")
    try:
        CRS.from_epsg(int(code))
    except (CRSError, ValueError, OverflowError, TypeError):
        raise ParameterError(f"{what} = {code}: PROJ knows no such EPSG code (for example "
                             "28992 is Amersfoort / RD New, 4326 is WGS 84)") from None
    return None


def preflight(scenarios, out=None, *, max_memory_gb: float | None = None) -> list[str]:
    """Check a command's scenarios and output folder before any computing.

    Parameters
    ----------
    scenarios : sequence of Scenario
        The base first, then the variants (applied) that run with it.
    out : path-like, optional
        The output folder.
    max_memory_gb : float, optional
        Memory limit (default: the base scenario's ``[run] max_memory_gb``, else the session's).

    Returns
    -------
    list of str
        Notes about checks that could not be made (pyproj missing).

    Raises
    ------
    ParameterError, MemoryLimitError, OutputFolderError
        The first problem found, in one line naming the item.
    """
    scenarios = list(scenarios)
    notes: list[str] = []
    if not scenarios:
        if out is not None:
            check_output_folder(out)
        return notes
    base, variants = scenarios[0], scenarios[1:]
    if max_memory_gb is None:
        max_memory_gb = base.settings.max_memory_gb
    check_scenario(base, variants=variants, runs=len(scenarios), max_memory_gb=max_memory_gb)
    seen = set()
    for sc in scenarios:
        if sc is not base:
            check_scenario(sc, max_memory_gb=max_memory_gb)
        code = sc.scene.epsg
        if code is not None and code not in seen:
            seen.add(code)
            note = check_epsg(code, f"scenario {sc.name!r} scene.epsg")
            if note:
                log.info(note)
                notes.append(note)
    if out is not None:  # last: it looks at the disk but creates nothing
        check_output_folder(out)
    return notes
