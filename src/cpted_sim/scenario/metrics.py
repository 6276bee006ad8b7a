"""The metric table of one area, from its fields (layer L5).

Each metric carries its unit and which direction is better, so the comparison can say
"improved" without knowing the metric. Percentages and the mean are weighted by the area
(or route length) each point stands for; plan grids have equal weights.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..field import Field
from . import model as m

__all__ = ["area_metrics", "dark_threshold", "METRICS", "class_rank", "below", "both",
           "longest_run", "face_lit_threshold", "night_dark_unseen"]

#: name -> (unit, better), in table order.
METRICS = {
    "E_avg": ("lx", "higher"),
    "E_min": ("lx", "higher"),
    "U0": ("1", "higher"),
    "class_achieved": ("class", "higher"),
    "E_sc_min": ("lx", "higher"),
    "dark_pct": ("%", "lower"),
    "unobserved_pct": ("%", "lower"),
    "dark_unseen_pct": ("%", "lower"),
    "dark_unseen_area": ("m2", "lower"),
    "surveillance_mean": ("1", "higher"),
    "night_surveyed_pct": ("%", "higher"),
    "night_dark_unseen_pct": ("%", "lower"),
    "night_dark_unseen_area": ("m2", "lower"),
    "concealment_area": ("m2", "lower"),
    "longest_unobserved_m": ("m", "lower"),
}

_P_ORDER = ("P1", "P2", "P3", "P4", "P5", "P6")


def class_rank(name: str | None) -> int:
    """P1 -> 6 ... P6 -> 1; no class met -> 0 (higher is better)."""
    return 0 if name is None else len(_P_ORDER) - _P_ORDER.index(name)


def dark_threshold(area: m.AreaSpec, thresholds: m.Thresholds) -> float:
    """Illuminance [lx] below which a point of ``area`` is dark.

    The area's own ``dark_lx`` when set; else the E_min of its EN 13201-2 class; else
    ``thresholds.dark_lx`` (default 1 lx).
    """
    if area.dark_lx is not None:
        return float(area.dark_lx)
    if area.lighting_class is not None:
        from ..metrics.en13201 import P_CLASSES

        for c in P_CLASSES:
            if c.name == area.lighting_class:
                return float(c.e_min)
    return float(thresholds.dark_lx)


def below(field: Field, threshold: float, quantity: str) -> Field:
    """A 0/1 field: 1 where ``field`` is below ``threshold`` (in the field's unit)."""
    mask = (np.asarray(field.values, dtype=np.float64) < float(threshold)).astype(np.float64)
    return Field(mask, field.grid, quantity, "1",
                 {**field.provenance, "derived_from": field.quantity,
                  "threshold": float(threshold)})


def both(a: Field, b: Field, quantity: str) -> Field:
    """A 0/1 field: 1 where both 0/1 fields are 1 (grids must match)."""
    if not a.grid.same_points(b.grid):
        raise ParameterError(f"{a.quantity} and {b.quantity} lie on different grids")
    mask = ((a.values > 0.5) & (b.values > 0.5)).astype(np.float64)
    return Field(mask, a.grid, quantity, "1", {"derived_from": [a.quantity, b.quantity]})


def face_lit_threshold(thresholds: m.Thresholds) -> float:
    """Semicylindrical illuminance [lx] below which a face is too dark to be recognised even
    close by: ``thresholds.night_lit_lx`` when set, else the default recognition curve at 4 m
    (1 lx, :data:`cpted_sim.visibility.night.DEFAULT_RECOGNITION`)."""
    if thresholds.night_lit_lx is not None:
        return float(thresholds.night_lit_lx)
    from ..visibility.night import DEFAULT_RECOGNITION

    return float(DEFAULT_RECOGNITION(float(DEFAULT_RECOGNITION.distances[0])))


def night_dark_unseen(fields: dict[str, Field], thresholds: m.Thresholds) -> np.ndarray | None:
    """Where a point is dark and unseen AT NIGHT: a face there is not lit enough to be
    recognised (``E_sc`` below :func:`face_lit_threshold`) AND no observer recognises a face
    there (night-time surveillance weight below ``thresholds.min_surveillance``).

    Returns a boolean array, or None when the fields lack ``E_sc`` or the night-time
    surveillance.
    """
    if "E_sc" not in fields or "night_surveillance_weight" not in fields:
        return None
    unlit = np.asarray(fields["E_sc"].values) < face_lit_threshold(thresholds)
    watch = np.asarray(fields["night_surveillance_weight"].values)
    unwatched = watch < thresholds.min_surveillance
    return unlit & unwatched


def longest_run(mask, step: float) -> float:
    """Length [m] of the longest run of consecutive 1 values of a route's 0/1 ``mask``.

    Each point stands for ``step`` metres of route (points evenly spaced along it).
    """
    v = np.asarray(mask.values if isinstance(mask, Field) else mask) > 0.5
    if not v.any():
        return 0.0
    d = np.diff(np.concatenate([[False], v, [False]]).astype(np.int8))
    starts, stops = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    return float(np.max(stops - starts)) * float(step)


def _metric(name: str, value: float, label: str | None = None) -> m.Metric:
    unit, better = METRICS[name]
    return m.Metric(name, float(value), unit, better, label)


def _wpct(mask: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(mask)
    if not ok.any():
        return float("nan")
    return 100.0 * float(np.sum(w[ok] * (mask[ok] > 0.5)) / np.sum(w[ok]))


def area_metrics(area: m.AreaSpec, fields: dict[str, Field], weights: np.ndarray,
                 thresholds: m.Thresholds = m.Thresholds()) -> dict[str, m.Metric]:
    """The metrics of one area from its fields.

    Parameters
    ----------
    area : AreaSpec
    fields : dict str -> Field
        As computed by :func:`cpted_sim.scenario.run.run`.
    weights : (n,) float
        Area [m2] (length [m] on a route) each point stands for.
    thresholds : Thresholds

    Returns
    -------
    dict str -> Metric
        Only the metrics the fields allow, in ``METRICS`` order.

    Notes
    -----
    ``E_avg`` is the weighted mean of E_h (E_v on a facade), ``E_min`` its minimum,
    ``U0 = E_min / E_avg``. ``class_achieved`` is the best EN 13201-2 P class whose Ē and
    E_min are met (value: its rank, P1 = 6 ... P6 = 1, none = 0). ``*_pct`` are shares of the
    area where the 0/1 mask is 1; ``dark_unseen_area`` and ``concealment_area`` sum the
    point areas; ``night_surveyed_pct`` is the share whose night-time weighted surveillance
    reaches ``thresholds.min_surveillance``; ``night_dark_unseen_pct`` and ``_area`` measure
    where a point is dark and unseen at night (:func:`night_dark_unseen`); ``longest_unobserved_m`` is the longest run of
    consecutive unobserved route points times their spacing.
    """
    w = np.asarray(weights, dtype=np.float64)
    out: dict[str, m.Metric] = {}
    e = fields.get("E_h") if area.kind != "facade" else fields.get("E_v")
    if e is not None:
        v = e.values
        avg = float(np.sum(w * v) / np.sum(w))
        vmin = float(np.min(v))
        out["E_avg"] = _metric("E_avg", avg)
        out["E_min"] = _metric("E_min", vmin)
        out["U0"] = _metric("U0", vmin / avg if avg > 0 else float("nan"))
        if area.kind == "en13201":
            from ..metrics.en13201 import lighting_class

            name = lighting_class(e).name
            out["class_achieved"] = _metric("class_achieved", class_rank(name), name or "none")
    if "E_sc" in fields:
        out["E_sc_min"] = _metric("E_sc_min", float(np.min(fields["E_sc"].values)))
    plan = area.kind in ("en13201", "grid")
    for key, name in (("dark", "dark_pct"), ("unobserved", "unobserved_pct"),
                      ("dark_and_unseen", "dark_unseen_pct")):
        if key in fields:
            out[name] = _metric(name, _wpct(fields[key].values, w))
    if "dark_and_unseen" in fields and plan:
        out["dark_unseen_area"] = _metric(
            "dark_unseen_area", float(np.sum(w * (fields["dark_and_unseen"].values > 0.5))))
    if "surveillance_count" in fields:
        out["surveillance_mean"] = _metric(
            "surveillance_mean", float(np.sum(w * fields["surveillance_count"].values) / np.sum(w)))
    if "night_surveillance_weight" in fields:
        seen = (fields["night_surveillance_weight"].values >= thresholds.min_surveillance)
        out["night_surveyed_pct"] = _metric("night_surveyed_pct", _wpct(seen.astype(float), w))
    ndu = night_dark_unseen(fields, thresholds)
    if ndu is not None:
        out["night_dark_unseen_pct"] = _metric("night_dark_unseen_pct",
                                               _wpct(ndu.astype(float), w))
        if plan:
            out["night_dark_unseen_area"] = _metric("night_dark_unseen_area",
                                                    float(np.sum(w * ndu)))
    if "concealment" in fields and plan:
        c = fields["concealment"].values
        out["concealment_area"] = _metric(
            "concealment_area", float(np.sum(w[~np.isnan(c)] * (c[~np.isnan(c)] > 0.5))))
    if area.kind == "route" and "unobserved" in fields:
        out["longest_unobserved_m"] = _metric(
            "longest_unobserved_m", longest_run(fields["unobserved"], float(np.mean(w))))
    return {k: out[k] for k in METRICS if k in out}
