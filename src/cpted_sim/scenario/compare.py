"""Compare variants with a base: delta fields, one metric table, a verdict per variant (L5)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._modules import callable_module
from ..errors import FieldMismatchError, ParameterError
from ..field import Field
from . import model as m
from .metrics import METRICS

#: The function that writes a comparison's report, registered by the I/O layer
#: (:func:`register_report_writer`, called by :mod:`cpted_sim.io` on import).
_REPORT_WRITER = None


def register_report_writer(writer) -> None:
    """Make ``writer(comparison, out_dir, **options)`` the one :meth:`Comparison.to_report`
    calls. The I/O layer calls this (downward); this module never imports the I/O layer."""
    global _REPORT_WRITER
    _REPORT_WRITER = writer

__all__ = ["Comparison", "compare"]

log = logging.getLogger(__name__)

#: Base values smaller than this (in the metric's unit: lx, %, m2, m, 1) give no percentage
#: change: 4e-5 lx -> 6 lx is not "+15 000 000 %".
PCT_FLOOR = 1e-3


@dataclass(frozen=True, eq=False)
class Comparison:
    """Variants compared with a base scenario.

    Attributes
    ----------
    base : ScenarioResult
    variants : tuple of ScenarioResult
    deltas : dict
        ``deltas[variant][area][quantity]``: the field of the variant minus the base's (same
        grid and unit; quantities whose grids differ are left out).
    table : list of dict
        One row per variant (the base first), area and metric, with keys ``variant, area,
        metric, unit, base, value, delta, delta_pct, better``; ``delta_pct`` is ``None`` where
        the base value is below ``PCT_FLOOR`` in size or undefined, values are ``None`` where
        undefined (NaN).
    verdicts : dict str -> str
        One sentence per variant, led by the night-time quantities, e.g. ``"Variant B: dark
        and unseen at night 410 -> 120 m2 (-71 %); watched at night 61.8 -> 68.6 %; average
        light 7.3 -> 9.2 lx (+26 %); dark and unseen area 0 -> 0 m2; P-class P4 -> P3"``
        (:func:`verdict`).
    """

    base: m.ScenarioResult
    variants: tuple
    deltas: dict
    table: list
    verdicts: dict

    def to_report(self, out_dir, *, maps: bool = True, **options) -> dict[str, Path]:
        """Write the report (HTML, Markdown, CSV, JSON, NPZ, PNG maps) into ``out_dir``.

        The same as ``cpted_sim.write_report(self, out_dir, maps=maps, **options)``.

        Parameters
        ----------
        out_dir : path-like
            The report's folder.
        maps : bool
            Draw the maps (False: tables and data files only, a fast report).
        **options
            Passed to :func:`cpted_sim.io.report.write_report` (``dpi``, ``meshes``, ...).

        Returns
        -------
        dict str -> Path
            The written files by kind.
        """
        # The report writer lives in io/ (layer L6) and this module in scenario/ (L5): the
        # one-way layer rule (docs/architecture.md §2) lets io call down but not this module
        # call up, so cpted_sim.io registers its writer here when it is imported (the package
        # root imports it, so it is always there once ``cpted_sim`` is).
        if _REPORT_WRITER is None:
            raise ParameterError("no report writer is registered: import cpted_sim (or "
                                 "cpted_sim.io) before calling to_report")
        return _REPORT_WRITER(self, out_dir, maps=maps, **options)

    def metric(self, variant: str, area: str, metric: str) -> dict:
        """The table row of ``variant``, ``area``, ``metric`` (ParameterError when absent)."""
        for row in self.table:
            if row["variant"] == variant and row["area"] == area and row["metric"] == metric:
                return row
        raise ParameterError(f"no row for variant {variant!r}, area {area!r}, metric {metric!r}")


def _num(x: float):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _rows(res: m.ScenarioResult, base: m.ScenarioResult) -> list[dict]:
    rows = []
    for aname, area in res.areas.items():
        b_area = base.areas.get(aname)
        for name, met in area.metrics.items():
            bm = b_area.metrics.get(name) if b_area is not None else None
            bv = _num(bm.value) if bm is not None else None
            v = _num(met.value)
            delta = None if (v is None or bv is None) else v - bv
            pct = None if (delta is None or abs(bv) < PCT_FLOOR) else 100.0 * delta / abs(bv)
            rows.append({"variant": res.variant, "area": aname, "metric": name, "unit": met.unit,
                         "base": bv, "value": v, "delta": delta, "delta_pct": pct,
                         "better": met.better})
    return rows


def _deltas(res: m.ScenarioResult, base: m.ScenarioResult) -> dict[str, dict[str, Field]]:
    out: dict[str, dict[str, Field]] = {}
    for aname, area in res.areas.items():
        b_area = base.areas.get(aname)
        if b_area is None:
            continue
        out[aname] = {}
        for q, f in area.fields.items():
            bf = b_area.fields.get(q)
            if bf is None:
                continue
            try:
                out[aname][q] = f - bf
            except FieldMismatchError as exc:
                log.info("no delta of %s in %s: %s", q, aname, exc)
    return out


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    ax = abs(x)
    if 0 < ax < 0.005:
        return "~0"
    if ax >= 100 or x == round(x):
        return f"{x:.0f}"
    return f"{x:.1f}" if ax >= 10 else f"{x:.2g}" if ax < 1 else f"{x:.1f}"


def _sum_metric(res: m.ScenarioResult, name: str):
    vals = [a.metrics[name].value for a in res.areas.values() if name in a.metrics]
    return float(sum(vals)) if vals else None


def _change(b: float, v: float, unit: str, pct: bool = True) -> str:
    text = f"{_fmt(b)} -> {_fmt(v)} {unit}".rstrip()
    if pct and b >= PCT_FLOOR:
        text += f" ({100.0 * (v - b) / b:+.0f} %)"
    return text


def _changed(b: float, v: float, rel: float, absolute: float) -> bool:
    return (np.isfinite([b, v]).all() and abs(v - b) > max(absolute, rel * max(abs(b), abs(v))))


def _area_changes(res: m.ScenarioResult, base: m.ScenarioResult, name: str, words: str,
                  unit: str, *, rel: float, absolute: float, pct: bool) -> list[str]:
    """``words [of area] b -> v unit`` for each area whose metric ``name`` changed."""
    pairs = []
    for aname, area in res.areas.items():
        met = area.metrics.get(name)
        b_area = base.areas.get(aname)
        bmet = b_area.metrics.get(name) if b_area is not None else None
        if met is not None and bmet is not None and _changed(bmet.value, met.value, rel,
                                                             absolute):
            pairs.append((aname, bmet.value, met.value))
    multi = len(pairs) > 1 or len(res.areas) > 1
    return [f"{words}{f' on {a}' if multi else ''} {_change(b, v, unit, pct)}"
            for a, b, v in pairs]


def verdict(res: m.ScenarioResult, base: m.ScenarioResult) -> str:
    """One sentence, led by the night: dark and unseen at night (a face not lit enough to be
    recognised and nobody who recognises one), night-time surveillance and average light where
    they changed, then the daytime dark-and-unseen area, class changes and the route's longest
    unseen stretch.

    A variant that only adds light leaves daytime sightlines as they were; its gain shows in
    the night-time quantities, which lead the sentence.
    """
    parts = []
    b, v = _sum_metric(base, "night_dark_unseen_area"), _sum_metric(res, "night_dark_unseen_area")
    if b is not None and v is not None:
        parts.append(f"dark and unseen at night {_change(b, v, 'm2')}")
    parts += _area_changes(res, base, "night_surveyed_pct", "watched at night", "%",
                           rel=0.0, absolute=0.05, pct=False)
    parts += _area_changes(res, base, "E_avg", "average light", "lx", rel=0.005,
                           absolute=1e-3, pct=True)
    b, v = _sum_metric(base, "dark_unseen_area"), _sum_metric(res, "dark_unseen_area")
    if b is not None and v is not None:
        parts.append(f"dark and unseen area {_change(b, v, 'm2')}")
    multi = sum(1 for a in res.areas.values() if "class_achieved" in a.metrics) > 1
    for aname, area in res.areas.items():
        met = area.metrics.get("class_achieved")
        bmet = base.areas[aname].metrics.get("class_achieved") if aname in base.areas else None
        if met is None or bmet is None or met.label == bmet.label:
            continue
        where = f"{aname} " if multi else ""
        parts.append(f"{where}P-class {bmet.label} -> {met.label}")
    for aname, area in res.areas.items():
        met = area.metrics.get("longest_unobserved_m")
        b_area = base.areas.get(aname)
        bmet = b_area.metrics.get("longest_unobserved_m") if b_area is not None else None
        if met is None or bmet is None or not np.isfinite([met.value, bmet.value]).all():
            continue
        if met.value != bmet.value:
            parts.append(f"longest unobserved stretch of {aname} {_fmt(bmet.value)} -> "
                         f"{_fmt(met.value)} m")
    if not parts:
        parts.append("no change in dark and unseen area or lighting class")
    return f"Variant {res.variant}: " + "; ".join(parts)


def compare(base, *variants, threads: int | None = None, quiet: bool | None = None) -> Comparison:
    """Compare variants with a base.

    Parameters
    ----------
    base : ScenarioResult or Scenario
        The reference (a Scenario is run first).
    *variants : ScenarioResult, Scenario or Variant
        The alternatives; a :class:`Variant` is applied to ``base`` (which must then be a
        Scenario) and run. With no variants and a Scenario base, every variant of the
        scenario is compared.
    threads, quiet
        Passed to :func:`cpted_sim.scenario.run.run` for what has to be run.

    Returns
    -------
    Comparison

    Raises
    ------
    ParameterError
        A Variant with a base that is not a Scenario, or repeated variant names.
    """
    from .run import run

    base_sc = base if isinstance(base, m.Scenario) else None
    if base_sc is not None and not variants:
        variants = base_sc.variants
    if isinstance(base, m.Scenario):
        base = run(base, threads=threads, quiet=quiet)
    if not isinstance(base, m.ScenarioResult):
        raise ParameterError(f"base: expected a ScenarioResult or Scenario, got "
                             f"{type(base).__name__}")
    results = []
    for k, v in enumerate(variants):
        if isinstance(v, m.Variant):
            if base_sc is None:
                raise ParameterError(f"variants[{k}]: a Variant needs the base Scenario, not its "
                                     "result; pass the Scenario or run the variant first")
            v = base_sc.apply(v)
        if isinstance(v, m.Scenario):
            v = run(v, threads=threads, quiet=quiet)
        if not isinstance(v, m.ScenarioResult):
            raise ParameterError(f"variants[{k}]: expected a ScenarioResult, Scenario or Variant, "
                                 f"got {type(v).__name__}")
        results.append(v)
    names = [base.variant] + [r.variant for r in results]
    if len(set(names)) != len(names):
        raise ParameterError(f"variant names must differ to be compared: {names}")
    table = _rows(base, base)
    deltas, verdicts = {}, {}
    for r in results:
        table += _rows(r, base)
        deltas[r.variant] = _deltas(r, base)
        verdicts[r.variant] = verdict(r, base)
    order = {name: i for i, name in enumerate(METRICS)}
    area_order = {a: i for i, a in enumerate(base.areas)}
    table.sort(key=lambda row: (names.index(row["variant"]),
                                area_order.get(row["area"], len(area_order)),
                                order.get(row["metric"], len(order))))
    return Comparison(base, tuple(results), deltas, table, verdicts)


callable_module(__name__)   # deprecated: the module called as its function (one release)
