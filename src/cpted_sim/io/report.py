"""The comparison report: one self-contained HTML page, the same as Markdown, and data files.

``write_report(comparison, out_dir)`` writes into ``out_dir``:

- ``report.html``: the scenario's and variants' descriptions, verdicts (led by the night),
  warnings, metric table, why extreme values read as they do and EN 13201-2 over-lighting and
  uniformity (:mod:`~cpted_sim.io.report_reasons`, :mod:`~cpted_sim.io.report_sections`),
  maps (PNG inlined as base64), the luminaire schedule and provenance; it loads nothing from
  the network and has no external CSS or JavaScript;
- ``report.md``: the same text with the maps as relative PNG links;
- ``metrics.csv`` and ``metrics.json``: the comparison's metric table (and, in JSON, every
  variant's metrics, the verdicts and settings);
- ``fields.npz``: every field (``<variant>/<area>/<quantity>``), delta and grid;
- ``results.gpkg``: points, areas, routes, luminaires, observers and dark-and-unseen regions
  as GeoPackage layers in the scenario's CRS, with QGIS styles (:mod:`cpted_sim.io.geopackage`;
  the ``gis`` extra, else a CptedWarning);
- ``map_*.png`` and ``diff_*.png``: the maps;
- ``scene_<variant>.ply``: the scene with faces coloured by illuminance, for Blender or Rhino;
- ``geotiff/*.tif`` when the scene has an EPSG code and rasterio is installed (else a logged
  note);
- ``manifest.json``: every file with its size and SHA-256.

The folder is written atomically (:mod:`cpted_sim.io.output_folder`): into a temporary folder
beside ``out_dir``, then swapped into place, so that a run killed at any moment leaves the
old complete report or the new one. Names become file names through
:func:`cpted_sim.names.file_slug`; Markdown and HTML escape every name and verdict.
"""

from __future__ import annotations

import base64
import html
import logging
import math
import os
import time
from functools import partial
from pathlib import Path


from .._version import __version__
from ..errors import EngineUnavailableError, GridError
from ..names import file_slug as slug
from .colored_mesh import face_colors, face_values_from_field, write_ply
from .forked import ForkedCall
from .geopackage import write_results_gpkg
from .hours_report import hours_html, hours_maps, hours_markdown, write_hours_csv
from .output_folder import MANIFEST, OutputFolder
from .raster import GIS_HINT, rasterio_available, write_geotiff
from .report_reasons import edge_effects, reasons, reasons_section
from .report_sections import (en13201_checks, en13201_section, luminaire_schedule,
                              provenance_rows, provenance_section, render_html, render_md,
                              scenario_section, schedule_section)
from .report_text import format_value, md_escape, one_line
from .results import write_fields_npz, write_metrics_csv, write_metrics_json

__all__ = ["write_report", "metric_rows", "judge_row", "no_change", "format_value", "md_escape",
           "one_line"]

log = logging.getLogger(__name__)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1150px;padding:1.2em 1.6em;color:#1d1d1f;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.8em}h3{margin-bottom:.3em}.meta{color:#666;font-size:.9em}
ul.verdicts{padding-left:1.2em}ul.verdicts li{margin:.35em 0}
table{border-collapse:collapse;font-size:.86em;margin:.6em 0}
th,td{border:1px solid #d5d5d8;padding:.25em .55em;text-align:right}
th{background:#f2f2f5}td.t,th.t{text-align:left}
td.better{background:#dcf3dc;color:#14541a}td.worse{background:#f9dede;color:#7d1313}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.88em}code{font-size:.92em}nav a{color:#2a5db0}
"""

PREFERRED_MESH_QUANTITIES = ("E_h", "E_sc", "E_v", "night_surveillance_count",
                             "surveillance_count")


# ---------------------------------------------------------------- formatting helpers
#: Absolute changes at or below these count as no change (by unit); relative: 1e-4.
NO_CHANGE = {"lx": 1e-3, "%": 1e-3, "m": 1e-3, "m2": 1e-3}


def _num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def no_change(row: dict) -> bool:
    """Whether a row's delta is within numerical noise (see :data:`NO_CHANGE`) or missing."""
    d = _num(row.get("delta"))
    if d is None:
        return True
    scale = max(abs(_num(row.get("base")) or 0.0), abs(_num(row.get("value")) or 0.0))
    return abs(d) <= max(1e-4 * scale, NO_CHANGE.get(row.get("unit", ""), 1e-9))


def judge_row(row: dict) -> str:
    """``"better"``, ``"worse"`` or ``""`` for a table row, from its delta and ``better``.

    Changes within numerical noise (:func:`no_change`) are neither.
    """
    if no_change(row):
        return ""
    d = _num(row.get("delta"))
    if row.get("better") == "higher":
        return "better" if d > 0 else "worse"
    if row.get("better") == "lower":
        return "better" if d < 0 else "worse"
    return ""


def _delta_text(row: dict) -> str:
    """``+6.7 (+92 %)``, ``0`` within noise, ``–`` when undefined; words for classes."""
    j = judge_row(row)
    if row.get("unit") == "class":
        return f"{j} class" if j else ("same" if _num(row.get("delta")) is not None else "–")
    d, p = _num(row.get("delta")), _num(row.get("delta_pct"))
    if d is None:
        return "–"
    if no_change(row):
        return "0"
    text = ("+" if d > 0 else "") + format_value(d, "")
    return text + (f" ({p:+.0f} %)" if p is not None else "")


def _metric_label(results: dict, variant, area, metric) -> str | None:
    r = results.get(variant)
    a = r.areas.get(area) if r is not None else None
    m = a.metrics.get(metric) if a is not None else None
    return getattr(m, "label", None) if m is not None else None


def metric_rows(comparison) -> tuple[list[str], list[dict]]:
    """The metric table as people read it: one row per area and metric, a column per variant.

    Returns
    -------
    variants : list of str
        Variant names (columns), without the base.
    rows : list of dict
        ``area``, ``metric``, ``unit``, ``base`` (text) and ``cells``: variant ->
        ``(value text, change text, judgement)``, judgement ``"better"``, ``"worse"`` or ``""``.
    """
    results = {r.variant: r for r in (comparison.base, *comparison.variants)}
    base_name = comparison.base.variant
    variants = [r.variant for r in comparison.variants]
    rows: dict[tuple, dict] = {}

    def text(value, unit, variant, area, metric):
        label = _metric_label(results, variant, area, metric) if unit == "class" else None
        return format_value(value, unit, label)

    for area, a in comparison.base.areas.items():
        for name, m in a.metrics.items():
            rows[(area, name)] = {"area": area, "metric": name, "unit": m.unit,
                                  "base": text(m.value, m.unit, base_name, area, name),
                                  "cells": {}}
    for row in comparison.table or ():
        v, area, metric = row.get("variant"), row.get("area"), row.get("metric")
        if v == base_name or v not in results:
            continue
        unit = row.get("unit", "")
        r = rows.setdefault((area, metric), {"area": area, "metric": metric, "unit": unit,
                                             "base": text(row.get("base"), unit, base_name,
                                                          area, metric), "cells": {}})
        r["cells"][v] = (text(row.get("value"), unit, v, area, metric), _delta_text(row),
                         judge_row(row))
    return variants, list(rows.values())


# ---------------------------------------------------------------- optional pieces
def _polar_tasks(comparison, out: Path) -> list[tuple[str, object]]:
    """One polar intensity diagram per distinct distribution of the luminaires, as
    :class:`~cpted_sim.plot.sheet.FigureTask` for the map workers; a distribution whose
    diagram cannot be made is logged and left out (the report then lists no diagram for it)."""
    from ..plot import polar
    from ..plot.compare import luminaire_distributions
    from ..plot.sheet import FigureTask

    tasks = []
    dists = luminaire_distributions([comparison.base, *comparison.variants])
    for i, (name, dist) in enumerate(dists.items()):
        try:
            chart = polar.polar_chart(dist)
        except Exception as exc:  # noqa: BLE001 - a missing picture must not stop the report
            log.warning("no polar diagram for %s: %s", name, exc)
            continue
        tasks.append((name, FigureTask(out / f"polar_{i + 1}_{slug(name)}.png",
                                       partial(polar.draw_polar_chart, chart))))
    return tasks


def _mesh_field(result):
    for q in PREFERRED_MESH_QUANTITIES:
        for area in result.areas.values():
            if q in area.fields:
                return q, area.fields[q]
    return None, None


def _write_meshes(comparison, out: Path) -> dict[str, Path]:
    results = [comparison.base, *comparison.variants]
    from ..plot.style import shared_scale

    q, _ = _mesh_field(comparison.base)
    norm = cmap = None
    if q is not None:
        flds = [f for f in (_mesh_field(r)[1] for r in results) if f is not None and f.quantity == q]
        scale = shared_scale(flds)
        norm, cmap = scale.norm, scale.cmap
    files = {}
    for r in results:
        rq, f = _mesh_field(r)
        if f is not None and rq == q:
            vals = face_values_from_field(r.scene, f)
            cols = face_colors(r.scene, vals, cmap=cmap, norm=norm)
            note = f"faces coloured by {q} [{f.unit}] at the nearest grid point; others by group"
        else:
            cols, note = face_colors(r.scene), "faces coloured by group"
        name = f"scene_{slug(r.variant)}.ply"
        files[name] = write_ply(r.scene, out / name, cols, comment=note)
    return files


def _epsg(comparison):
    e = getattr(comparison.base.scene, "epsg", None)
    if e is None:
        e = (comparison.base.settings or {}).get("epsg")
    return e


def _write_geotiffs(comparison, out: Path) -> dict[str, Path]:
    epsg = _epsg(comparison)
    if epsg is None:
        return {}
    if not rasterio_available():
        log.info("GeoTIFF skipped: the scenario has EPSG:%s but rasterio is missing (%s)",
                 epsg, GIS_HINT)
        return {}
    files = {}
    for r in (comparison.base, *comparison.variants):
        for area_name, area in r.areas.items():
            for q, f in area.fields.items():
                name = f"geotiff/{slug(r.variant)}_{slug(area_name)}_{slug(q)}.tif"
                try:
                    files[name] = write_geotiff(f, out / name, int(epsg))
                except GridError:
                    break  # not a plan grid (façade, route): no raster for this area
                except EngineUnavailableError as exc:
                    log.info("GeoTIFF skipped: %s", exc)
                    return files
    return files


# ---------------------------------------------------------------- documents
def _summary(comparison) -> dict:
    results = [comparison.base, *comparison.variants]
    return {
        "scenario": comparison.base.scenario_name,
        "base": comparison.base.variant,
        "variants": [r.variant for r in comparison.variants],
        "verdicts": dict(comparison.verdicts or {}),
        "table": [dict(r) for r in comparison.table],
        "metrics": {r.variant: {a: {m.name: {"value": m.value, "unit": m.unit, "label": m.label,
                                              "better": m.better}
                                    for m in area.metrics.values()}
                                for a, area in r.areas.items()} for r in results},
        "lighting_class": {a: area.lighting_class for a, area in comparison.base.areas.items()},
        "settings": {r.variant: r.settings for r in results},
        "elapsed_s": {r.variant: r.elapsed_s for r in results},
        "warnings": [{"variant": v, "message": t} for v, t in _warnings(comparison)],
        "excluded_points": {r.variant: {a: getattr(area, "excluded", 0)
                                        for a, area in r.areas.items()} for r in results},
        "version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


_NO_VERDICT = "No variant to compare with the base."
_NO_WARNINGS = "No warnings: nothing lay under or inside geometry, nothing matched nothing."


def _warnings(comparison) -> list[tuple[str, str]]:
    """(variant, message) of every run's CptedWarning and of the points left out."""
    items = []
    for r in (comparison.base, *comparison.variants):
        said = [str(w) for w in getattr(r, "warnings", ())]
        items += [(r.variant, w) for w in said]
        for name, area in r.areas.items():
            k = getattr(area, "excluded", 0)
            if k and not any(f"area {name!r}" in w and "inside buildings" in w for w in said):
                items.append((r.variant, f"area {name!r}: {k} points inside buildings are left "
                                         "out of the statistics"))
    return list(dict.fromkeys(items))


def _verdict_parts(variant: str, text: str) -> tuple[str, str]:
    """(name, sentence) of a verdict, without repeating a name the sentence starts with."""
    for prefix in (f"Variant {variant}", variant):
        if text.startswith(prefix):
            rest = text[len(prefix):].lstrip(" :,-–")
            return prefix, rest or text
    return variant, text


def _verdicts(comparison) -> list[tuple[str, str]]:
    """(name, sentence) of each variant's verdict, in order; empty when there is no variant."""
    return [_verdict_parts(str(v), str(text)) for v, text in (comparison.verdicts or {}).items()]


def _nav(images) -> str:
    """A contents line: the sections and each area's maps (in-page links only)."""
    e = html.escape
    areas = list(dict.fromkeys(im.area for im in images))
    links = ['<a href="#scenario">scenario</a>', '<a href="#verdicts">verdict</a>',
             '<a href="#metrics">metrics</a>', '<a href="#reasons">why</a>']
    links += [f'<a href="#area-{e(slug(a))}">{e(a)}</a>' for a in areas]
    links += ['<a href="#luminaires">luminaires</a>', '<a href="#files">files</a>',
              '<a href="#provenance">provenance</a>']
    return '<nav class="meta">' + " · ".join(links) + "</nav>"


def _img_tag(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _html(comparison, images, polars, files, summary, extra, hours=()) -> str:
    e = html.escape
    base = comparison.base
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(one_line(base.scenario_name))}: CPTED variant comparison</title>",
           f"<style>{_CSS}</style></head><body>",
           f"<h1>{e(one_line(base.scenario_name))}: lighting and sightlines by variant</h1>",
           f'<p class="meta">Base <b>{e(base.variant)}</b>; variants: '
           f"{e(', '.join(r.variant for r in comparison.variants) or 'none')}. "
           f"cpted_sim {e(__version__)}, {e(summary['created'])}.</p>",
           _nav(images), render_html(extra["scenario"]),
           '<section id="verdicts"><h2>Verdict</h2><ul class="verdicts">']
    verdicts = _verdicts(comparison)
    out += [f"<li><b>{e(name)}</b>: {e(rest)}</li>" for name, rest in verdicts]
    if not verdicts:
        out.append(f"<li>{_NO_VERDICT}</li>")
    warns = _warnings(comparison)
    out += ["</ul></section>", f'<section id="warnings"><h2>Warnings ({len(warns)})</h2><ul>']
    out += [f"<li><b>{e(v)}</b>: {e(t)}</li>" for v, t in warns] or [f"<li>{_NO_WARNINGS}</li>"]
    variants, rows = metric_rows(comparison)
    out += ["</ul></section>", '<section id="metrics"><h2>Metrics</h2>',
            '<table id="metric-table"><thead><tr><th class="t">area</th><th class="t">metric</th>'
            f"<th>{e(base.variant)}</th>"
            + "".join(f"<th>{e(v)}</th><th>change</th>" for v in variants)
            + "</tr></thead><tbody>"]
    for r in rows:
        cells = []
        for v in variants:
            val, change, judgement = r["cells"].get(v, ("–", "–", ""))
            cls = f' class="{judgement}"' if judgement else ""
            cells.append(f"<td>{e(val)}</td><td{cls}>{e(change)}</td>")
        name = str(r["metric"]) + (" *" if (r["area"], r["metric"]) in extra["explained"] else "")
        out.append(f'<tr><td class="t">{e(str(r["area"]))}</td><td class="t">{e(name)}'
                   f"</td><td>{e(r['base'])}</td>{''.join(cells)}</tr>")
    out.append("</tbody></table><p class=\"meta\">Green: the change goes the way the metric "
               "should go; red: the other way. *: explained under <a href=\"#reasons\">why "
               "these numbers</a>.</p></section>")
    out += [render_html(sec) for sec in extra["after_table"]]
    out.append(hours_html(comparison, hours))  # issue 18: the hours of the night
    out.append('<section id="maps"><h2>Maps</h2><p class="meta">Illuminance uses the EN 13201 '
               "class breaks with isolux lines; every panel of a figure shares one scale. "
               "Difference maps: red more, blue less than the base, white no change. "
               "Grey: buildings and other structures; stars: luminaires.</p>")
    area = None
    for im in images:
        if im.area != area:
            area = im.area
            out.append(f'<h3 id="area-{e(slug(area))}">{e(area)}</h3>')
        if im.path is None:
            out.append(f'<p class="meta">{e(im.caption)}.</p>')
            continue
        out.append(f"<figure>{_img_tag(im.path, im.caption)}<figcaption>{e(im.caption)}"
                   "</figcaption></figure>")
    out.append("</section>")
    out.append(render_html(extra["luminaires"])[:-len("</section>")])
    for name, path in polars:
        out.append(f"<figure>{_img_tag(path, name)}<figcaption>Intensity distribution "
                   f"{e(name)} [cd]</figcaption></figure>")
    out.append("</section>")
    out.append('<section id="files"><h2>Files</h2><ul>')
    for name in sorted(files):
        out.append(f'<li><a href="{e(name)}"><code>{e(name)}</code></a></li>')
    out.append("</ul></section>")
    out.append(render_html(extra["provenance"]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _markdown(comparison, images, polars, files, summary, extra, hours=()) -> str:
    base = comparison.base
    md = md_escape

    out = [f"# {md(base.scenario_name)}: lighting and sightlines by variant", "",
           f"Base **{md(base.variant)}**; variants: "
           f"{', '.join(md(r.variant) for r in comparison.variants) or 'none'}. "
           f"cpted_sim {md(__version__)}, {md(summary['created'])}.", ""]
    out += render_md(extra["scenario"]) + ["## Verdict", ""]
    verdicts = _verdicts(comparison)
    out += [f"- **{md(name)}**: {md(rest)}" for name, rest in verdicts]
    if not verdicts:
        out.append(f"- {md(_NO_VERDICT)}")
    warns = _warnings(comparison)
    out += ["", f"## Warnings ({len(warns)})", ""]
    out += [f"- **{md(v)}**: {md(t)}" for v, t in warns] or [f"- {md(_NO_WARNINGS)}"]
    variants, rows = metric_rows(comparison)
    out += ["", "## Metrics", "",
            f"| area | metric | {md(base.variant)} |"
            + "".join(f" {md(v)} | change |" for v in variants),
            "|---|---|--:|" + "--:|--:|" * len(variants)]
    marks = {"better": " ▲", "worse": " ▼", "": ""}
    for r in rows:
        mark = " \\*" if (r["area"], r["metric"]) in extra["explained"] else ""
        line = f"| {md(r['area'])} | {md(r['metric'])}{mark} | {md(r['base'])} |"
        for v in variants:
            val, change, judgement = r["cells"].get(v, ("–", "–", ""))
            line += f" {md(val)} | {md(change)}{marks[judgement]} |"
        out.append(line)
    out += ["", "▲ the change goes the way the metric should go; ▼ the other way; "
            "\\* explained under *Why these numbers*.", ""]
    for sec in extra["after_table"]:
        out += render_md(sec)
    out += hours_markdown(comparison, hours) + ["## Maps", ""]
    area = None
    for im in images:
        if im.area != area:
            area = im.area
            out += [f"### {md(area)}", ""]
        if im.path is None:
            out += [f"*{md(im.caption)}.*", ""]
            continue
        alt = str(im.caption).replace("[", "(").replace("]", ")")
        out += [f"![{md(alt)}]({im.path.name})", "", f"*{md(im.caption)}*", ""]
    out += render_md(extra["luminaires"])
    for name, path in polars:
        out += [f"![{md(name)}]({path.name})", ""]
    out += ["## Files", ""] + [f"- [`{n}`]({n})" for n in sorted(files)] + [""]
    out += render_md(extra["provenance"])
    return "\n".join(out)


def _explaining(comparison) -> tuple[dict, dict]:
    """The explaining sections (for :func:`_html`, :func:`_markdown`) and their data (JSON)."""
    found = reasons(comparison)
    checks = en13201_checks(comparison)
    extra = {"scenario": scenario_section(comparison), "luminaires": schedule_section(comparison),
             "provenance": provenance_section(comparison),
             "after_table": [reasons_section(comparison, found)],
             "explained": {(x["area"], x["metric"]) for x in found}}
    en = en13201_section(comparison)
    if en is not None:
        extra["after_table"].append(en)
    data = {"reasons": found, "en13201": checks, "edge_effects": edge_effects(comparison),
            "luminaire_schedule": luminaire_schedule(comparison),
            "provenance": dict(provenance_rows(comparison))}
    return extra, data


def _write_all(comparison, out: Path, *, dpi: int, maps: bool, meshes: bool,
               geotiff: bool) -> list[str]:
    """Write every file of the report into ``out``; their paths relative to ``out``."""
    files: dict[str, Path] = {}
    # results.gpkg (gis extra) in a forked child while this process loads the drawing
    # modules; then the maps: forked workers draw them while this process writes everything
    # else (docs/performance.md, "Report drawing"); nothing here waits on either until the
    # pages
    gpkg = ForkedCall(write_results_gpkg, comparison, out)
    pending = None
    try:
        images = []
        hours = hours_maps(comparison, out) if maps else []
        polars = _polar_tasks(comparison, out) if maps else []
        if maps:
            from ..plot.compare import start_comparison_maps

            images, pending = start_comparison_maps(comparison, out, dpi=dpi,
                                                    extra=[w for _, w in hours + polars])
        hours = [(caption, w.path) for caption, w in hours]
        extra, data = _explaining(comparison)
        summary = {**_summary(comparison), **data}
        files["metrics.csv"] = write_metrics_csv(comparison.table, out / "metrics.csv")
        files["metrics.json"] = write_metrics_json(summary, out / "metrics.json")
        files["fields.npz"] = write_fields_npz(comparison, out / "fields.npz")
        later = _write_meshes(comparison, out) if meshes else {}
        if geotiff:
            later.update(_write_geotiffs(comparison, out))
        files.update(gpkg.result())
        if pending is not None:
            pending.wait()
    finally:
        gpkg.cancel()  # an error above: no child writes on into a folder thrown away
        if pending is not None:
            pending.cancel()
    files.update({im.path.name: im.path for im in images if im.path is not None})
    polars = [(name, w.path) for name, w in polars if w.path.is_file()]
    files.update({p.name: p for _, p in polars})
    files.update({p.name: p for _, p in hours})
    files.update({p.name: p for p in write_hours_csv(comparison, out)})
    files.update(later)
    listed = dict(files)
    listed["report.md"] = out / "report.md"
    listed[MANIFEST] = out / MANIFEST
    (out / "report.html").write_text(_html(comparison, images, polars, listed, summary, extra,
                                             hours),
                                     encoding="utf-8")
    files["report.html"] = out / "report.html"
    listed["report.html"] = files["report.html"]
    listed.pop("report.md")
    (out / "report.md").write_text(_markdown(comparison, images, polars, listed, summary,
                                               extra, hours),
                                   encoding="utf-8")
    files["report.md"] = out / "report.md"
    return list(files)


def write_report(comparison, out_dir, *, dpi: int = 110, maps: bool = True,
                 meshes: bool = True, geotiff: bool = True, swap: str = "auto"
                 ) -> dict[str, Path]:
    """Write the report of a comparison into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    comparison : Comparison
        ``base``, ``variants``, ``deltas``, ``table`` and ``verdicts``.
    out_dir : path-like
        Folder (created when missing). The report is written into a temporary folder beside
        it and swapped into place with a ``manifest.json``
        (:class:`cpted_sim.io.output_folder.OutputFolder`): files of an earlier report that
        this one does not write are gone; a folder that is not empty and has no manifest is
        refused (:class:`~cpted_sim.errors.OutputFolderError`).
    dpi : int
        Resolution of the PNG maps.
    maps : bool
        Draw the maps (False: tables and data files only, a fast report).
    meshes : bool
        Write ``scene_<variant>.ply``.
    geotiff : bool
        Write GeoTIFFs when the scene has an EPSG code and rasterio is installed.
    swap : {"auto", "exchange", "rename"}
        How the new folder replaces the old one (:mod:`cpted_sim.io.output_folder`).

    Returns
    -------
    dict of str -> pathlib.Path
        Every file written, keyed by its path relative to ``out_dir``
        (``"report.html"``, ``"metrics.csv"``, ``"map_street_E_h.png"``, ...).
    """
    t0 = time.perf_counter()
    with OutputFolder(out_dir, method=swap) as tmp:
        written = _write_all(comparison, tmp, dpi=dpi, maps=maps, meshes=meshes,
                             geotiff=geotiff)
    out = Path(os.path.abspath(os.fspath(out_dir)))
    files = {rel: out / rel for rel in [*written, MANIFEST]}
    log.info("report of %s written to %s in %.1f s (%d files)", comparison.base.scenario_name,
             out, time.perf_counter() - t0, len(files))
    return files
