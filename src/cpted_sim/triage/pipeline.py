"""The triage pipeline: reports -> context -> places -> (measures) (issue 14; layer L5).

:func:`triage` takes report locations as arrays (reading files is :mod:`cpted_sim.io`'s job)
and returns a :class:`TriageResult` that the writers of :mod:`cpted_sim.io.triage_report` turn
into ``places.csv``, ``reports.csv``, ``measures.csv`` and the report.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import CptedWarning, ParameterError
from ..scenario import model as m
from .context import ReportContext, report_context
from .places import DEFICIT_PRESENT, group_places

__all__ = ["TriageResult", "triage", "measure_rows"]


@dataclass(frozen=True, eq=False)
class TriageResult:
    """What the triage found.

    Attributes
    ----------
    scenario_name : str
    context : ReportContext
        Per report (private: the public report shows places only).
    places : list of Place
        Places with a physical deficit, highest score first (``P01``, ...).
    places_without_deficit : list of Place
        Places with many reports but no physical deficit (``N01``, ...).
    labels : (n,) int
        Place of each report (see :func:`cpted_sim.triage.places.group_places`).
    measures : dict of str -> list, or None
        Tested measures per place id (:mod:`cpted_sim.triage.measures`), best first; None
        when they were not computed.
    settings : dict
        ``radius``, ``spacing``, ``min_reports``, ``present``, ...
    notes : tuple of str
        What the user should know (withheld reports, missing observers, ...).
    note_keys : tuple of (str, dict)
        The same notes as keys and values, for translated reports
        (:data:`cpted_sim.io.triage_report.LABELS`).
    """

    scenario_name: str
    context: ReportContext
    places: list
    places_without_deficit: list
    labels: np.ndarray
    measures: dict | None = None
    settings: dict = field(default_factory=dict)
    notes: tuple = ()
    note_keys: tuple = ()

    @property
    def n_scattered(self) -> int:
        """Reports in no place (fewer than ``min_reports`` around them): counted, not shown."""
        return int(np.sum(self.labels == -1))

    def place_of(self) -> np.ndarray:
        """Place id of each report (``""`` for scattered ones)."""
        ids = [p.id for p in self.places]
        nd = [p.id for p in self.places_without_deficit]
        return np.array([ids[v] if v >= 0 else (nd[-2 - v] if v <= -2 else "")
                         for v in self.labels], dtype=object)


def _measures(scenario, places, top, scene, quiet):
    try:
        from . import measures as mm    # the measures helper's module (issue 14 build 5)
    except ImportError:
        return None, "candidate measures are not available in this version"
    fn = getattr(mm, "measures_for_places", None)
    if fn is None:
        return None, "candidate measures are not available in this version"
    return fn(scenario, places, top=top, scene=scene), None


def measure_rows(result: TriageResult) -> list[dict]:
    """One row per tested measure: place, rank, kind, label, effects and cost proxies."""
    rows = []
    for pid, lst in (result.measures or {}).items():
        for r in lst:
            ms = getattr(r, "measure", r)
            rows.append({
                "place": pid, "rank": int(getattr(r, "rank", 0)),
                "kind": str(getattr(ms, "kind", "")), "label": str(getattr(ms, "label", "")),
                "dark_unseen_m2_removed": float(getattr(r, "dark_unseen_m2_removed", np.nan)),
                "night_surveyed_m2_gained": float(getattr(r, "night_surveyed_m2_gained",
                                                          np.nan)),
                "concealment_m2_removed": float(getattr(r, "concealment_m2_removed", np.nan)),
                "E_min_gain": float(getattr(r, "E_min_gain", np.nan)),
                "E_sc_min_gain": float(getattr(r, "E_sc_min_gain", np.nan)),
                "effect_m2": float(getattr(r, "effect_m2", np.nan)),
                "lumens_added": float(getattr(ms, "lumens_added", 0.0)),
                "watts_added": float(getattr(ms, "watts_added", 0.0)),
                "hedge_m": float(getattr(ms, "hedge_m", 0.0)),
                "facade_m2": float(getattr(ms, "facade_m2", 0.0)),
                "cost": float(getattr(ms, "cost", np.nan)),
                "effect_per_cost": float(getattr(r, "effect_per_cost", np.nan)),
            })
    return rows


def triage(scenario: m.Scenario, xy, ids=None, times=None, *, radius: float = 15.0,
           spacing: float = 2.0, min_reports: int = 3, present: float = DEFICIT_PRESENT,
           latitude: float = 52.0, longitude: float = 5.0, measures: bool = True,
           top: int = 10, scene=None, quiet: bool = True, notes=(),
           timezone: str = "Europe/Amsterdam") -> TriageResult:
    """Context at each report, places with their causes, and (when available) tested measures.

    Parameters
    ----------
    scenario : Scenario
    xy : (n, 2) float
        Report locations [m] in the scene's CRS (world).
    ids, times
        Report ids and UTC times (datetime64; NaT unknown).
    radius : float
        Context radius and clustering distance [m] (default 15).
    spacing : float
        Neighbourhood grid spacing [m] (default 2).
    min_reports : int
        k of the privacy rule: fewest reports in a place (default 3); reports in smaller
        groups are counted as scattered and never shown.
    present : float
        Strength at which a deficit counts (default 0.5).
    latitude, longitude : float
        For the night test [deg].
    measures : bool
        Test candidate measures for the first ``top`` places with a deficit.
    top : int
        How many places get measures (default 10).
    scene : Scene, optional
        The scenario's scene, when already built.
    quiet : bool
    notes : sequence of str
        Notes from reading the reports (counts of reports without coordinates or outside).
    timezone : str
        Time zone of the scenario's schedules: with ``[hours]`` each report made at night is
        judged at its local hour (:mod:`cpted_sim.triage.at_hour`), else at full light.

    Returns
    -------
    TriageResult
    """
    if isinstance(min_reports, bool) or not isinstance(min_reports, (int, np.integer)) \
            or min_reports < 1:
        raise ParameterError(f"min_reports: expected a whole number >= 1, got {min_reports!r}")
    from ..scenario.run import build_scene

    scene = build_scene(scenario) if scene is None else scene
    ctx = report_context(scenario, xy, ids, times, radius=radius, spacing=spacing,
                         latitude=latitude, longitude=longitude, scene=scene, quiet=quiet,
                         timezone=timezone)
    with_d, without, labels = group_places(ctx, min_reports=int(min_reports), present=present)
    out_notes = list(notes) + list(ctx.notes)
    keys = [(k, {}) for k in ctx.settings.get("note_keys", ())]
    n_hour = sum(1 for h in ctx.settings.get("judged_at", ()) if h)
    if n_hour:                      # issue 18: reports judged at their own hour
        out_notes.append(f"{n_hour} of {len(ctx)} reports were made at night and judged "
                         "against the light and the watchers at their own hour (dimming "
                         "schedules, presence); the others at full light")
        keys.append(("note_hours", {"n": n_hour, "total": len(ctx)}))
    n_scat = int(np.sum(labels == -1))
    if n_scat:
        msg = (f"{n_scat} of {len(ctx)} reports lie in groups of fewer than {min_reports} "
               "reports; they are counted but not shown (privacy)")
        out_notes.append(msg)
        keys.append(("note_scattered", {"n": n_scat, "total": len(ctx), "k": int(min_reports)}))
        warnings.warn(msg, CptedWarning, stacklevel=2)
    found = None
    if measures and with_d:
        found, why = _measures(scenario, with_d, top, scene, quiet)
        if why:
            out_notes.append(why)
            keys.append(("note_no_measures", {}))
    settings = {**ctx.settings, "min_reports": int(min_reports), "present": float(present),
                "top": int(top)}
    return TriageResult(scenario.name, ctx, with_d, without, labels, found, settings,
                        tuple(out_notes), tuple(keys))
