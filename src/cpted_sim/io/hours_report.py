"""The report's "Hours of the night" section (issue #18, item 3; layer L6).

For scenarios with hours (``[hours]``, ``[[schedules]]`` ...): the hourly curve of every
night-time area (share unwatched at night with the schedule and at full light, mean E_h),
the worst hour of each area and its map, what dimming costs, the windows over the
obtrusive-light limits, and the EN 13201-5 energy indicators. :func:`hours_images` draws,
:func:`hours_html` and :func:`hours_markdown` write the section; each is empty for
scenarios without hours.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from ..lighting.hours import format_hour

__all__ = ["hours_chart", "hours_maps", "hours_html", "hours_markdown", "hours_rows",
           "write_hours_csv"]


def _results(comparison):
    return [r for r in (comparison.base, *comparison.variants)
            if getattr(r, "hours", None) is not None]


def hours_chart(results):
    """The :class:`~cpted_sim.plot.charts.LineChart` of ``hours.png``: per area, the share
    unwatched at night by hour for every variant (solid, with dots: with the dimming
    schedule; dashed: at full light) and the base's mean E_h on the right (dotted)."""
    from ..plot.charts import TAB10, ChartPanel, LineChart, Series, value_range

    base = results[0]
    panels, legend = [], {}
    for name, a0 in base.hours.areas.items():
        series = []
        for k, r in enumerate(results):
            a = r.hours.areas.get(name)
            if a is None:
                continue
            colour = TAB10[k % len(TAB10)]
            for s in (Series(f"{r.variant}: unwatched at night", 100 * np.asarray(a.unwatched),
                             colour, "solid", marker=True),
                      Series(f"{r.variant}: same, lights at full output",
                             100 * np.asarray(a.unwatched_full_light), colour, "dashed")):
                series.append(s)
                legend.setdefault(s.label, s)
        mean = np.asarray(a0.mean_E_h, dtype=np.float64)
        dotted = Series(f"{base.variant}: mean E_h [lx] (right axis)", mean, "#666666",
                        "dotted", right=True)
        series.append(dotted)
        legend.setdefault("mean E_h", dotted)
        panels.append(ChartPanel(f"{name}: unwatched at night, by hour",
                                 tuple(format_hour(h) for h in a0.hours), "share of area [%]",
                                 (-2.0, 102.0), tuple(series),
                                 f"mean E_h [lx] ({base.variant}, dotted)", value_range(mean)))
    return LineChart(tuple(panels), tuple(legend.values()))


def hours_maps(comparison, out: Path) -> list[tuple[str, object]]:
    """The pictures of the section, to draw: ``(caption, what)`` with ``what`` a
    :class:`~cpted_sim.plot.sheet.MapSpec` (the worst-hour and chosen-hour map of every area
    of the base, the obtrusive-light map) or a :class:`~cpted_sim.plot.sheet.FigureTask`
    (``hours.png``, the curves), for :func:`~cpted_sim.plot.sheet.start_maps`; each has its
    ``path``. Empty without hours."""
    results = _results(comparison)
    if not results:
        return []
    from functools import partial

    from ..plot.charts import draw_line_chart
    from ..plot.sheet import FigureTask, MapPanel, MapSpec
    from ..plot.style import shared_scale

    base = results[0]
    out_maps: list[tuple[str, object]] = []
    if base.hours.areas:
        out_maps.append(("Hours of the night: share of each area unwatched at night (solid: "
                         "with the dimming schedule; dashed: at full light) and mean E_h "
                         "(dotted)", FigureTask(out / "hours.png",
                                                 partial(draw_line_chart, hours_chart(results)))))

    observers = getattr(base, "observers", None)

    def one(caption, f, path, title, sheet, contours=True):
        # the base's context, as on the base's panels of the comparison maps (the map
        # workers draw an area's context once for both)
        panel = MapPanel(title, f, scene=base.scene, luminaires=tuple(base.luminaires),
                         observers=observers)
        out_maps.append((caption, MapSpec(path, (panel,), shared_scale([f]), contours, sheet)))

    for name, a in base.hours.areas.items():
        q = "E_h" if _no_night(a) else "night_surveillance_weight"
        what = "horizontal illuminance" if q == "E_h" else "night-time surveillance weight"
        one(f"{name}: {what} at its worst hour, {a.worst_hour} ({base.variant})",
            a.fields_worst[q], out / f"hours_worst_{_slug(name)}.png",
            f"{name} at {a.worst_hour}", (name, "hours"))
        if a.fields_at:
            f = a.fields_at[q]
            hour = f.provenance.get("hour", "")
            one(f"{name}: {what} at the chosen hour, {hour} ({base.variant})", f,
                out / f"hours_at_{_slug(name)}.png", f"{name} at {hour}", (name, "hours"))
    ob = base.hours.obtrusive
    if ob is not None and base.hours.window_points is not None and ob.E_v.size:
        caption, f, title = _obtrusive_field(base)
        one(caption, f, out / "hours_obtrusive.png", title, (None, "obtrusive"), contours=False)
    return out_maps


def _obtrusive_field(base):
    """Caption, field and title of the obtrusive-light map: windows coloured by their
    largest E_v over the night; the caption counts those over a limit."""
    from ..field import Field, provenance
    from ..geometry.grid import CalculationGrid

    ob, pts = base.hours.obtrusive, base.hours.window_points
    grid = CalculationGrid.from_points(pts, name="windows")
    f = Field(ob.E_v.max(axis=0), grid, "E_v", "lx", provenance(note="largest over the night"))
    over = ob.over_windows()
    return (f"Obtrusive light: largest vertical illuminance on each window over the night "
            f"({base.variant}); {over.size} of {pts.shape[0]} windows over the "
            f"{ob.limits.name} limit at some hour (listed in obtrusive_windows.csv)", f,
            f"windows: largest E_v; over the {ob.limits.name} limit: {over.size}")


def write_hours_csv(comparison, out: Path) -> list[Path]:
    """``hours.csv`` (every area's curves by variant and hour) and, when obtrusive light is
    checked, ``obtrusive_windows.csv`` (the windows over a limit: where, when, how much)."""
    import csv

    results = _results(comparison)
    if not results:
        return []
    paths = [out / "hours.csv"]
    keys = sorted({k for r in results for a in r.hours.areas.values() for k in a.metric_curves})
    with open(paths[0], "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["variant", "area", "hour", "mean_E_h_lx", "mean_night_weight",
                    "unwatched_share", "unwatched_share_full_light", *keys])
        for r in results:
            for name, a in r.hours.areas.items():
                for i, h in enumerate(a.hours):
                    w.writerow([r.variant, name, format_hour(h), f"{a.mean_E_h[i]:.6g}",
                                f"{a.mean_night_weight[i]:.6g}", f"{a.unwatched[i]:.6g}",
                                f"{a.unwatched_full_light[i]:.6g}",
                                *(f"{a.metric_curves[k][i]:.6g}" if k in a.metric_curves
                                  else "" for k in keys)])
    if any(r.hours.obtrusive is not None for r in results):
        paths.append(out / "obtrusive_windows.csv")
        with open(paths[1], "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["variant", "window", "x", "y", "z", "hour", "E_v_lx", "E_v_limit_lx",
                        "intensity_cd", "intensity_limit_cd"])
            for r in results:
                ob, pts = r.hours.obtrusive, r.hours.window_points
                if ob is None:
                    continue
                for t, i in zip(*np.nonzero(ob.over)):
                    w.writerow([r.variant, int(i), *(f"{c:.3f}" for c in pts[i]),
                                format_hour(ob.hours[t]), f"{ob.E_v[t, i]:.6g}",
                                f"{ob.E_v_limit[t]:g}", f"{ob.intensity[t, i]:.6g}",
                                f"{ob.I_limit[t]:g}"])
    return paths


def _no_night(a) -> bool:
    return bool(np.all(np.isnan(a.unwatched)))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(text)).strip("_") or "area"


def hours_rows(comparison) -> list[dict]:
    """One row per variant and area: worst hour, unwatched share then, dimming cost,
    windows over the obtrusive limit, D_P, D_E."""
    rows = []
    for r in _results(comparison):
        h = r.hours
        over = "–" if h.obtrusive is None else str(h.obtrusive.over_windows().size)
        for name, a in h.areas.items():
            cost = np.nan_to_num(a.unwatched - a.unwatched_full_light)
            most = int(np.argmax(cost))
            e = h.energy_by_area.get(name)
            rows.append({
                "variant": r.variant, "area": name, "worst_hour": a.worst_hour,
                "unwatched_worst": ("– (no night-time surveillance)" if _no_night(a)
                                    else f"{100 * a.unwatched[a.worst]:.0f} %"),
                "dimming_cost": (f"{100 * cost[most]:.0f} % at {format_hour(a.hours[most])}"
                                 if cost[most] > 0 else "none"),
                "light_worst": _light(a.metrics_worst),
                "windows_over": over,
                "D_P": "–" if e is None else f"{e.D_P:.4f}",
                "D_E": "–" if e is None else f"{e.D_E:.1f}",
            })
    return rows


_HEAD = ("variant", "area", "worst hour", "unwatched then", "light then",
         "dimming costs (most)", "windows over obtrusive limit", "D_P [W/(lx m2)]",
         "D_E [Wh/(m2 a)]")
_KEYS = ("variant", "area", "worst_hour", "unwatched_worst", "light_worst", "dimming_cost",
         "windows_over", "D_P", "D_E")


def _light(metrics) -> str:
    """``E_avg`` and the class achieved, from a metric table."""
    parts = []
    if "E_avg" in metrics:
        parts.append(f"E_avg {metrics['E_avg'].value:.2f} lx")
    if "class_achieved" in metrics:
        parts.append(f"class {metrics['class_achieved'].label}")
    return ", ".join(parts) or "–"


def _notes(comparison) -> list[str]:
    out = []
    for r in _results(comparison):
        h = r.hours
        if h.obtrusive is not None:
            lim = h.obtrusive.limits
            per = h.obtrusive.count_by_hour
            ob = h.obtrusive
            worst = (f"most over the limit at {format_hour(ob.hours[ob.worst_hour])}: "
                     f"{int(per.max())} windows" if per.size and per.max() > 0
                     else "no window over the limit at any hour")
            ev_max = float(ob.E_v.max()) if ob.E_v.size else 0.0
            i_max = float(ob.intensity.max()) if ob.intensity.size else 0.0
            out.append(f"{r.variant}: obtrusive light at {h.window_points.shape[0]} windows "
                       f"against {lim.name} (E_v {lim.E_v_pre:g} lx before, {lim.E_v_post:g} lx "
                       f"after {format_hour(lim.curfew)}; {lim.source}): {worst}; largest E_v "
                       f"{ev_max:.2f} lx, largest intensity towards a window {i_max:.0f} cd")
        if h.energy is not None:
            out.append(f"{r.variant}: installation D_P {h.energy.D_P:.4f} W/(lx m2), D_E "
                       f"{h.energy.D_E:.1f} Wh/(m2 a), {h.energy.power:g} W ({h.energy_note})")
        else:
            out.append(f"{r.variant}: {h.energy_note}")
    return out


def hours_html(comparison, images) -> str:
    """The HTML section (empty string without hours)."""
    if not _results(comparison):
        return ""
    from .report import _img_tag

    e = html.escape
    out = ['<section id="hours"><h2>Hours of the night</h2>',
           '<p class="meta">Night-time surveillance by the hour: the light of that hour (dimming '
           "schedules) and the watchers present then (residents awake: CREST active occupancy, "
           "UK 2000 time-use survey). Worst hour: the largest share unwatched.</p>",
           "<table><thead><tr>" + "".join(f'<th class="t">{e(h)}</th>' for h in _HEAD)
           + "</tr></thead><tbody>"]
    for row in hours_rows(comparison):
        out.append("<tr>" + "".join(f'<td class="t">{e(str(row[k]))}</td>' for k in _KEYS)
                   + "</tr>")
    out.append("</tbody></table><ul>")
    out += [f"<li>{e(n)}</li>" for n in _notes(comparison)]
    out.append("</ul>")
    for caption, path in images:
        out.append(f"<figure>{_img_tag(path, caption)}<figcaption>{e(caption)}</figcaption>"
                   "</figure>")
    out.append("</section>")
    return "\n".join(out)


def hours_markdown(comparison, images) -> list[str]:
    """The Markdown section's lines (none without hours)."""
    if not _results(comparison):
        return []
    from .report import md_escape as md

    out = ["## Hours of the night", "",
           "| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    for row in hours_rows(comparison):
        out.append("| " + " | ".join(md(str(row[k])) for k in _KEYS) + " |")
    out += [""] + [f"- {md(n)}" for n in _notes(comparison)] + [""]
    for caption, path in images:
        out += [f"![{md(caption)}]({path.name})", "", f"*{md(caption)}*", ""]
    return out
