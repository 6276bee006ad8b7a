"""Checks made before computing anything (layer L5): names and memory.

:func:`check_scenario` runs at the start of :func:`cpted_sim.scenario.run.run` and, for every
scenario of a command, in the CLI before the first one is computed, so that a bad name or a
grid too large for the memory limit fails in a fraction of a second with nothing written,
instead of after the whole computation. (The EPSG code and the output folder are checked by
:func:`cpted_sim.io.preflight.preflight`, which may use pyproj and the file system.)
"""

from __future__ import annotations

import math

import numpy as np

from ..config import check_memory, format_bytes, get_max_memory_gb, max_memory
from ..errors import ParameterError
from ..geometry.grid import GRID_BYTES_PER_POINT
from ..names import check_unique_slugs, file_slug
from . import model as m
from .synthetic import GROUND_BYTES_PER_CELL

__all__ = ["check_scenario", "check_names", "estimate_memory", "BYTES_PER_POINT",
           "BYTES_PER_FIELD", "FIELDS_PER_QUANTITY"]

#: Bytes [B] a computed point keeps besides its fields (grid, facing grid, work arrays).
#: Calibrated on the demo street's first area (peak RSS over points): 166 B per point with
#: E_h only (2 fields), 309 B with E_h, E_sc, surveillance and night surveillance (9 fields).
BYTES_PER_POINT = 140
#: Bytes [B] per point of each field kept (values and temporaries).
BYTES_PER_FIELD = 20
#: Fields (kept and temporary) that each quantity adds per point.
FIELDS_PER_QUANTITY = {"E_h": 2, "E_sc": 3, "E_v": 1, "surveillance": 3,
                       "night_surveillance": 4, "concealment": 2, "isovist": 4}


def check_names(scenario: m.Scenario, variants=()) -> None:
    """Names that become file names and ``.npz`` keys: not empty, no ``/`` or control
    characters, and no two of one kind sharing a file name (:mod:`cpted_sim.names`).

    Raises
    ------
    ParameterError
        Naming the item (``areas[1].name 'a/b'``).
    """
    for i, a in enumerate(scenario.areas):
        check_unique_slugs([a.name], f"areas[{i}].name")
    check_unique_slugs([a.name for a in scenario.areas], "area names")
    for i, v in enumerate(scenario.variants):
        check_unique_slugs([v.name], f"variants[{i}].name")
    check_unique_slugs(["base", *(v.name for v in scenario.variants)], "variant names")
    names = [scenario.variant, *(v.variant if isinstance(v, m.Scenario) else v.name
                                 for v in variants)]
    check_unique_slugs(names, "variant names")
    _check_composed(list(dict.fromkeys(names + ["base", *(v.name for v in scenario.variants)])),
                    [a.name for a in scenario.areas])


#: Field names a run may write (``map_<area>_<field>.png``, ``geotiff/<variant>_<area>_<field>``).
FIELD_NAMES = ("E_h", "E_sc", "E_v", "surveillance_count", "surveillance_weight",
               "night_surveillance_count", "night_surveillance_weight", "dark", "unobserved",
               "dark_and_unseen", "concealment", "isovist_area")


def _check_composed(variants: list[str], areas: list[str]) -> None:
    """File names joined from several names (``<area>_<field>``) must not coincide either:
    areas ``street`` and ``street_night`` would both give
    ``map_street_night_surveillance_count.png``."""
    seen: dict[str, tuple] = {}
    for v in variants or [""]:
        for a in areas:
            for q in FIELD_NAMES:
                key = f"{file_slug(v)}_{file_slug(a)}_{q}".casefold()
                item = (v, a, q)
                other = seen.setdefault(key, item)
                if other[:2] != item[:2]:
                    raise ParameterError(
                        f"area names {other[1]!r} and {a!r}"
                        + (f" (variants {other[0]!r}, {v!r})" if v != other[0] else "")
                        + f" would share the file name of fields {other[2]!r} and {q!r}; "
                        "rename one")


def _area_points(area: m.AreaSpec) -> int | None:
    """Points the area's grid will have at most (None for facades: known only from the scene)."""
    if area.kind in ("en13201", "grid") and area.polygon is not None:
        poly = np.asarray(area.polygon, dtype=np.float64)
        ext = poly.max(axis=0) - poly.min(axis=0)
        return max(1, math.floor(ext[0] / area.spacing + 1e-9)) * max(
            1, math.floor(ext[1] / area.spacing + 1e-9))
    if area.kind == "route" and area.path is not None:
        p = np.asarray(area.path, dtype=np.float64)
        length = float(np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1)))
        return max(1, math.ceil(length / area.spacing - 1e-9))
    return None


def estimate_memory(scenario: m.Scenario) -> dict[str, float]:
    """Estimated bytes [B] each area of a run keeps at its peak, by area name.

    ``points x (BYTES_PER_POINT + BYTES_PER_FIELD x fields)``, fields from the area's
    quantities (:data:`FIELDS_PER_QUANTITY`); facades (whose point count depends on the
    scene) are left out. A ``ground_plane`` scene adds its cells under the key ``"scene"``.
    """
    out: dict[str, float] = {}
    g = scenario.scene.geometry
    if g.builtin == "ground_plane":
        cells = dict(g.params).get("cells", 1)
        if isinstance(cells, (int, float)) and not isinstance(cells, bool) and cells >= 1:
            out["scene"] = float(cells) * float(cells) * GROUND_BYTES_PER_CELL
        # anything else: ground_plane() itself says what is wrong
    for area in scenario.areas:
        n = _area_points(area)
        if n is None:
            continue
        fields = sum(FIELDS_PER_QUANTITY.get(q, 2) for q in area.computed_quantities)
        out[area.name] = float(n) * max(BYTES_PER_POINT + BYTES_PER_FIELD * fields,
                                        GRID_BYTES_PER_POINT)
    return out


def check_scenario(scenario: m.Scenario, *, variants=(), runs: int = 1,
                   max_memory_gb: float | None = None) -> dict[str, float]:
    """Check everything about a scenario that can be checked before computing.

    Parameters
    ----------
    scenario : Scenario
        The base (or a variant applied).
    variants : sequence of Scenario or Variant
        The variants that will run with it (their names must differ from each other's and
        the base's after slugging).
    runs : int
        How many such runs are kept in memory together (the CLI keeps the base and every
        variant until the report is written).
    max_memory_gb : float, optional
        The limit (default: ``scenario.settings.max_memory_gb``, else
        :func:`cpted_sim.config.get_max_memory_gb`).

    Returns
    -------
    dict str -> float
        The memory estimate [B] by area (:func:`estimate_memory`).

    Raises
    ------
    ParameterError
        A bad or clashing name.
    MemoryLimitError
        The estimate exceeds the limit; the message names the largest area and the setting.
    """
    if not isinstance(scenario, m.Scenario):
        raise ParameterError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    check_names(scenario, variants)
    est = estimate_memory(scenario)
    if max_memory_gb is None:
        max_memory_gb = getattr(scenario.settings, "max_memory_gb", None)
    with max_memory(max_memory_gb):
        if est:
            total = sum(est.values()) * max(1, int(runs))
            big = max(est, key=est.get)
            what = (f"scenario {scenario.name!r}" + (f" ({runs} runs)" if runs > 1 else "")
                    + f", largest: {big!r} with {format_bytes(est[big])}")
            remedy = ("use a larger spacing or fewer cells" if big == "scene"
                      else f"use a larger spacing in area {big!r}")
            check_memory(total, what, remedy)
        get_max_memory_gb()  # a bad environment value fails here, before computing
    return est
