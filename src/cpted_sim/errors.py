"""Exceptions raised by cpted_sim.

Every error names the argument, file or line that is wrong, what was expected, what arrived,
and where possible the remedy. All derive from :class:`CptedError`, so a caller can catch the
library's errors without catching programming mistakes.
"""

from __future__ import annotations

__all__ = [
    "CptedError",
    "ParameterError",
    "MeshError",
    "PhotometryFormatError",
    "GridError",
    "FieldMismatchError",
    "EngineUnavailableError",
    "ScenarioFileError",
    "InputFileError",
    "CptedWarning",
    "VectorLayerError",
    "StrictWarningsError",
]


class CptedError(Exception):
    """Base class of every error cpted_sim raises on purpose."""


class ParameterError(CptedError, ValueError):
    """A function argument has the wrong shape, type or range."""


class MeshError(CptedError, ValueError):
    """A mesh or scene is malformed (NaN vertices, bad face indices, empty scene, ...)."""


class PhotometryFormatError(CptedError, ValueError):
    """A photometric file (IES LM-63, EULUMDAT) is malformed.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    path : str or None
        The file, when known.
    line : int or None
        The 1-based line number, when known.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path.replace("\\", "/").rsplit("/", 1)[-1]
            if line is not None:
                where += f" line {line}"
            where += ": "
        super().__init__(where + message)


class GridError(CptedError, ValueError):
    """A calculation grid is empty or malformed."""


class FieldMismatchError(CptedError, ValueError):
    """Two fields cannot be combined: their grids or units differ."""


class EngineUnavailableError(CptedError, ImportError):
    """A ray engine was asked for whose optional dependency is not installed."""


class ScenarioFileError(CptedError, ValueError):
    """A scenario file has a wrong key, type or value.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or None
        The scenario file.
    key : str or None
        The dotted key path, e.g. ``luminaires[2].position``.
    line : int or None
        The 1-based line in the file where the key stands, when known.
    """

    def __init__(self, message: str, path: str | None = None, key: str | None = None,
                 line: int | None = None):
        self.path = None if path is None else str(path)
        self.key = key
        self.line = line
        self.reason = message
        parts = []
        if self.path is not None:
            loc = self.path.replace("\\", "/").rsplit("/", 1)[-1]
            if line is not None:
                loc += f" line {line}"
            parts.append(loc)
        if key is not None:
            parts.append(f"[{key}]")
        prefix = " ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class InputFileError(CptedError, ValueError):
    """A file the library was asked to read is missing, not a regular file, too large, or lies
    outside the folder it must come from."""


class CptedWarning(UserWarning):
    """Something was read or computed that the user should know about: points under geometry,
    names that matched nothing, a layer without a CRS. The message gives the counts.

    Warnings of this class are collected by a scenario run, printed by the CLI and shown in the
    report; ``cpted-sim run --strict`` turns them into errors.
    """


# ---------------------------------------------------------------- outputs, memory (issue 11)
class ResultsFormatError(CptedError, ValueError):
    """A results file (``metrics.csv``, ``fields.npz``, ``manifest.json``) is malformed; the
    message names the file and the row, column or key."""


class OutputFolderError(CptedError, OSError):
    """An output folder cannot be written, is not one of ours (not empty and no
    ``manifest.json``), or does not match its manifest."""


class MemoryLimitError(CptedError, MemoryError):
    """A computation would need more memory than ``max_memory_gb`` allows; the message gives
    the estimate and the setting to change."""


__all__ += ["ResultsFormatError", "OutputFolderError", "MemoryLimitError"]


class VectorLayerError(CptedError, ValueError):
    """A GIS vector layer (GeoPackage, GeoJSON, Shapefile) cannot be read or used: a missing
    layer or field, a filter that matches nothing, a geometry of the wrong type, a CRS that
    cannot be reconciled with the scene's, or the ``gis`` extra not installed.

    Parameters
    ----------
    message : str
        What is wrong and the remedy.
    path, layer, field : str or None
        The file, the layer in it and the attribute field, when known.
    """

    def __init__(self, message: str, path: str | None = None, layer: str | None = None,
                 field: str | None = None):
        self.path = None if path is None else str(path)
        self.layer = layer
        self.field = field
        self.reason = message
        parts = []
        if self.path is not None:
            parts.append(self.path.replace("\\", "/").rsplit("/", 1)[-1])
        if layer is not None:
            parts.append(f"layer {layer!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        prefix = " ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StrictWarningsError(CptedError, RuntimeError):
    """``--strict`` (or ``strict=True``) was asked for and a run raised CptedWarnings; the
    message gives their count and the first of them."""


# ---------------------------------------------------------------- citizens' reports (issue 14)
class ReportsFormatError(CptedError, ValueError):
    """A citizens' reports file (Signalen GeoJSON/JSON, CSV, point layer) cannot be read: no
    coordinate columns, a time that is not ISO 8601, ...; the message names the file and the
    record."""


__all__ += ["ReportsFormatError"]


class AlignmentError(CptedError, ValueError):
    """BVH node rows handed to a kernel that do not start on the 32-byte boundary its vector
    loads assume (``kernels.intersect.child_entries``), or that are not C-contiguous int32
    rows of 64 words; the message names the array and its address modulo 32."""


__all__ += ["AlignmentError"]


# ---------------------------------------------------------------- one name per idea (issue 15)
class ScenarioDeprecationWarning(CptedWarning, DeprecationWarning):
    """A scenario file uses a key that is deprecated (``run.engine``, an observer's ``range``):
    still read for one release. A CptedWarning, so that the CLI prints it and the report shows
    it like any other (Python hides plain DeprecationWarnings raised inside a library)."""


__all__ += ["ScenarioDeprecationWarning"]


class ForkedCallError(CptedError, RuntimeError):
    """A call run in a forked child (``io.forked.ForkedCall``: the report's GeoPackage) ended
    without a result: the child was killed, or its result could not be sent back."""


__all__ += ["ForkedCallError"]
