"""The report's explaining sections: descriptions, luminaire schedule, EN 13201-2 checks and
provenance, as neutral blocks rendered to HTML and Markdown (layer L6).

A section is ``(id, title, blocks)``; a block is ``("p", text)``, ``("ul", [text, ...])`` or
``("table", header, rows)`` with text cells. :func:`render_html` and :func:`render_md` escape
every string (:func:`html.escape`, :func:`~cpted_sim.io.report_text.md_escape`), so user
names and descriptions stay text. The reasons for extreme values are in
:mod:`cpted_sim.io.report_reasons`.
"""

from __future__ import annotations

import html
import platform

import numpy as np

from .._version import __version__
from ..metrics.en13201 import P_CLASSES
from .report_text import format_value, md_escape

__all__ = ["Section", "render_html", "render_md", "scenario_section", "luminaire_schedule",
           "schedule_section", "en13201_checks", "en13201_section", "provenance_rows",
           "provenance_section", "OVER_LIGHTING", "FOLD_ROWS"]

Section = tuple  # (id, title, blocks)

#: Tables longer than this are folded (HTML ``<details>``).
FOLD_ROWS = 30

#: EN 13201-2:2015 Table 2, note: the maintained average should not exceed 1.5 x the class's.
OVER_LIGHTING = 1.5


def _results(comparison) -> list:
    return [comparison.base, *comparison.variants]


def _prov(result) -> dict:
    return dict((result.settings or {}).get("provenance") or {})


# ---------------------------------------------------------------- rendering
def render_html(section: Section) -> str:
    """One ``<section>`` with escaped text."""
    e = html.escape
    sid, title, blocks = section
    out = [f'<section id="{e(sid)}"><h2>{e(title)}</h2>']
    for b in blocks:
        if b[0] == "p":
            out.append(f"<p>{e(b[1])}</p>")
        elif b[0] == "ul":
            out.append("<ul>" + "".join(f"<li>{e(t)}</li>" for t in b[1]) + "</ul>")
        elif b[0] == "table":
            head = "".join(f'<th class="t">{e(h)}</th>' for h in b[1])
            body = "".join("<tr>" + "".join(f'<td class="t">{e(c)}</td>' for c in row) + "</tr>"
                           for row in b[2])
            table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            if len(b) > 3:  # folded: ("table", header, rows, summary)
                table = f"<details><summary>{e(b[3])}</summary>{table}</details>"
            out.append(table)
    out.append("</section>")
    return "\n".join(out)


def render_md(section: Section) -> list[str]:
    """The section's Markdown lines (every string escaped)."""
    md = md_escape
    _, title, blocks = section
    out = [f"## {md(title)}", ""]
    for b in blocks:
        if b[0] == "p":
            out += [md(b[1]), ""]
        elif b[0] == "ul":
            out += [f"- {md(t)}" for t in b[1]] + [""]
        elif b[0] == "table":
            if len(b) > 3:
                out += [md(b[3]), ""]
            out.append("| " + " | ".join(md(h) for h in b[1]) + " |")
            out.append("|" + "---|" * len(b[1]))
            out += ["| " + " | ".join(md(c) for c in row) + " |" for row in b[2]]
            out.append("")
    return out


# ---------------------------------------------------------------- descriptions
def scenario_section(comparison) -> Section:
    """The scenario's description and each variant's (as written in the scenario file)."""
    base = comparison.base
    desc = _prov(base).get("description") or ""
    blocks = [("p", desc if desc else "No description given for the scenario.")]
    items = [f"{base.variant}: the scenario as it is"]
    for r in comparison.variants:
        d = _prov(r).get("variant_description") or "no description given"
        items.append(f"{r.variant}: {d}")
    blocks.append(("ul", items))
    return ("scenario", "Scenario and variants", blocks)


# ---------------------------------------------------------------- luminaires
def _mounting_heights(scene, positions) -> np.ndarray:
    """Heights [m] of luminaires above the surface straight below each (numpy, fork-safe:
    :func:`~cpted_sim.io._gpkg_layers.mounting_heights`); z above the scene's lowest point
    where nothing lies below."""
    from ._gpkg_layers import mounting_heights

    p = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    h = mounting_heights(scene, p)
    return np.where(np.isfinite(h), h, p[:, 2] - scene.bounds[0, 2])


def _photometry_name(dist) -> tuple[str, str]:
    src = dist.source or ""
    name = dist.name or (src.replace("\\", "/").rsplit("/", 1)[-1] if src else "unnamed")
    file = src.replace("\\", "/").rsplit("/", 1)[-1] if src else "built-in"
    return name, file


def luminaire_schedule(comparison) -> list[dict]:
    """The luminaires of every variant, alike ones counted together.

    Returns
    -------
    list of dict
        Per variant and kind: ``variant``, ``photometry`` (name), ``file``, ``flux_lm``
        (luminaire flux times ``flux_scale``, before maintenance), ``maintenance_factor``,
        ``height_m`` (above the surface below, 0.1 m), ``azimuth``, ``tilt``, ``spin`` [deg],
        ``count`` and ``names``.
    """
    rows = []
    for r in _results(comparison):
        groups: dict[tuple, list[str]] = {}
        heights = _mounting_heights(r.scene, [lum.position for lum in r.luminaires])
        for k, lum in enumerate(r.luminaires):
            name, file = _photometry_name(lum.distribution)
            flux = float(lum.distribution.flux) * float(lum.flux_scale)
            key = (name, file, round(flux, 0), round(float(lum.maintenance_factor), 3),
                   round(float(heights[k]), 1),
                   round(float(lum.azimuth), 1), round(float(lum.tilt), 1),
                   round(float(lum.spin), 1))
            groups.setdefault(key, []).append(str(lum.name or f"#{k + 1}"))
        for key, names in groups.items():
            rows.append(dict(zip(("photometry", "file", "flux_lm", "maintenance_factor",
                                  "height_m", "azimuth", "tilt", "spin"), key),
                             variant=r.variant, count=len(names), names=names))
    return rows


def schedule_section(comparison) -> Section:
    """The luminaire schedule and every position, as one section."""
    header = ["variant", "count", "photometry", "file", "flux [lm]", "maintenance factor",
              "height [m]", "aim: azimuth / tilt / spin [deg]", "luminaires"]
    rows = []
    for s in luminaire_schedule(comparison):
        names = ", ".join(s["names"][:8]) + (f" and {len(s['names']) - 8} more"
                                             if len(s["names"]) > 8 else "")
        rows.append([s["variant"], str(s["count"]), s["photometry"], s["file"],
                     format_value(s["flux_lm"]), f"{s['maintenance_factor']:.2f}",
                     f"{s['height_m']:.1f}", f"{s['azimuth']:g} / {s['tilt']:g} / {s['spin']:g}",
                     names])
    counts = ", ".join(f"{r.variant}: {len(r.luminaires)}" for r in _results(comparison))
    blocks = [("p", f"Luminaires per variant: {counts}. Flux is the luminaire's own "
                    "(before the maintenance factor); height is above the surface below it."),
              ("table", header, rows)]
    pos = [[r.variant, str(lum.name or ""),
            *(f"{x:.2f}" for x in np.asarray(lum.position, dtype=np.float64))]
           for r in _results(comparison) for lum in r.luminaires]
    if pos:
        table = ("table", ["variant", "name", "x [m]", "y [m]", "z [m]"], pos)
        blocks.append(table if len(pos) <= FOLD_ROWS else
                      (*table, f"{len(pos)} luminaire positions over all variants"))
    return ("luminaires", "Luminaires", blocks)


# ---------------------------------------------------------------- EN 13201-2
def _pclass(name):
    return next((c for c in P_CLASSES if c.name == name), None)


def en13201_checks(comparison) -> list[dict]:
    """Over-lighting and uniformity of each area with a P class, per variant (EN 13201-2).

    Returns
    -------
    list of dict
        ``variant``, ``area``, ``target`` (class), ``e_avg``, ``e_min``, ``u0``,
        ``over_lit`` (average above ``OVER_LIGHTING`` x the class's), ``min_met``
        (minimum at least the class's) and ``text``: the finding in a sentence.
    """
    out = []
    for r in _results(comparison):
        for aname, area in r.areas.items():
            c = _pclass(getattr(area, "lighting_class", None))
            met = area.metrics
            if c is None or "E_avg" not in met or "E_min" not in met:
                continue
            avg, emin = float(met["E_avg"].value), float(met["E_min"].value)
            u0 = emin / avg if avg > 0 else float("nan")
            over = avg > OVER_LIGHTING * c.e_avg
            min_ok = emin >= c.e_min
            ratio = c.e_min / c.e_avg
            words = []
            if over:
                words.append(f"over-lit: the average {avg:.3g} lx is {avg / c.e_avg:.1f} x "
                             f"{c.name}'s {c.e_avg:g} lx, above the {OVER_LIGHTING:g} x "
                             f"({OVER_LIGHTING * c.e_avg:g} lx) that EN 13201-2 allows")
            elif avg < c.e_avg:
                words.append(f"under-lit: the average {avg:.3g} lx is below {c.name}'s "
                             f"{c.e_avg:g} lx")
            else:
                words.append(f"average {avg:.3g} lx within {c.e_avg:g}-"
                             f"{OVER_LIGHTING * c.e_avg:g} lx")
            if min_ok:
                words.append(f"uniformity met: minimum {emin:.3g} lx >= {c.e_min:g} lx "
                             f"(U0 {u0:.2f}, the class implies >= {ratio:.2f})")
            else:
                words.append(f"uniformity not met: minimum {emin:.3g} lx < {c.e_min:g} lx "
                             f"(U0 {u0:.2f}, the class implies >= {ratio:.2f})")
            out.append({"variant": r.variant, "area": aname, "target": c.name, "e_avg": avg,
                        "e_min": emin, "u0": u0, "over_lit": bool(over), "min_met": bool(min_ok),
                        "text": "; ".join(words)})
    return out


def en13201_section(comparison) -> Section | None:
    """A table of :func:`en13201_checks`; None when no area has a P class."""
    checks = en13201_checks(comparison)
    if not checks:
        return None
    rows = [[c["variant"], c["area"], c["target"],
             "OVER-LIT" if c["over_lit"] else ("low" if c["e_avg"] < _pclass(c["target"]).e_avg
                                               else "ok"),
             "ok" if c["min_met"] else "NOT MET", c["text"]] for c in checks]
    n_over = sum(c["over_lit"] for c in checks)
    n_min = sum(not c["min_met"] for c in checks)
    return ("en13201", "EN 13201-2: over-lighting and uniformity",
            [("p", f"Each area against its target P class (EN 13201-2:2015 Table 2, maintained "
                   f"values): the average should reach the class's and not exceed "
                   f"{OVER_LIGHTING:g} x it; the minimum should reach the class's. "
                   f"{n_over} over-lit, {n_min} with the minimum not met."),
             ("table", ["variant", "area", "class", "average", "minimum", "finding"], rows)])


# ---------------------------------------------------------------- provenance
def _versions() -> str:
    import numba

    return (f"cpted_sim {__version__}, numpy {np.__version__}, numba {numba.__version__}, "
            f"Python {platform.python_version()}")


def _bounces(b) -> str:
    if b in (0, None, "0"):
        return "direct light only (no reflections)"
    if b == "converged":
        return "with reflections, bounced until converged"
    return f"with reflections, {b} bounce(s)"


def provenance_rows(comparison) -> list[tuple[str, str]]:
    """(setting, value) pairs: what the numbers were computed with."""
    rows = []
    results = _results(comparison)
    provs = [_prov(r) for r in results]
    src = next((p.get("scenario_file") for p in provs if p.get("scenario_file")), None)
    if src:
        path = str(src.get("path") or "")
        rows.append(("scenario file", path.replace("\\", "/").rsplit("/", 1)[-1] or "(text)"))
        rows.append(("scenario file SHA-256", str(src.get("sha256"))))
    else:
        rows.append(("scenario file", "none: the scenario was built in Python"))
    for r, p in zip(results, provs):
        s = r.settings or {}
        b = p.get("bounces", s.get("bounces"))
        light = p.get("light_values")
        mf = p.get("maintenance_factors") or sorted({float(lum.maintenance_factor)
                                                     for lum in r.luminaires})
        if light is None:
            light = "maintained" if any(f < 1.0 for f in mf) else "initial"
        mf_text = ", ".join(f"{f:g}" for f in mf) or "no luminaires"
        rows.append((f"{r.variant}: light", f"{_bounces(b)}; {light} values "
                                            f"(maintenance factor {mf_text})"))
        thr = s.get("threads")
        rows.append((f"{r.variant}: run", f"threads {thr if thr is not None else 'default'}, "
                                          f"engine {s.get('engine', 'numba')}, "
                                          f"{r.elapsed_s:.2f} s"))
    rows.append(("versions", _versions()))
    return rows


def provenance_section(comparison) -> Section:
    """The provenance table (settings that matter, versions, the scenario file's hash)."""
    return ("provenance", "Provenance",
            [("table", ["setting", "value"], [list(r) for r in provenance_rows(comparison)])])

