"""Triage outputs: ``places.csv``, ``reports.csv``, ``measures.csv``, ``triage.md`` and
``triage.html`` in Dutch or English (issue 14; layer L6).

The report follows the Veiligheidseffectrapportage (VER): an *analyse* module (location,
reports, deficits found) and an *alternatieven* module (measures with their effects).

Privacy by default: report texts are never written unless ``include_text``; the public files
(``places.csv``, ``triage.md``, ``triage.html``) show places of at least ``min_reports``
reports, never individual reports or their coordinates; ``reports.csv`` holds each report's
id, its place and its context, without coordinates (join on the id in your own file) and
without text.
"""

from __future__ import annotations

import csv
import html
import io
import math
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..triage.context import CONTEXT_QUANTITIES
from ..triage.pipeline import TriageResult, measure_rows
from .output_folder import OutputFolder

__all__ = ["write_triage", "LABELS", "LANGUAGES", "render_markdown", "render_html"]

LANGUAGES = ("nl", "en")

#: Every label of the report, in both languages (a test checks the Dutch report holds no
#: English one).
#: The overview map's file name in the triage's output folder.
MAP_FILE = "triage_map.png"

LABELS = {
    "title": {"en": "Triage of citizens' reports", "nl": "Triage van meldingen"},
    "subtitle": {"en": "Safety impact assessment (VER): analysis and alternatives",
                 "nl": "Veiligheidseffectrapportage (VER): analyse en alternatieven"},
    "analysis": {"en": "1. Analysis", "nl": "1. Analyse"},
    "location": {"en": "1.1 Location", "nl": "1.1 Locatie"},
    "reports": {"en": "1.2 Reports", "nl": "1.2 Meldingen"},
    "deficits": {"en": "1.3 Physical deficits found", "nl": "1.3 Gevonden fysieke tekortkomingen"},
    "no_deficit": {"en": "1.4 Places without a physical deficit",
                   "nl": "1.4 Plekken zonder fysieke tekortkoming"},
    "no_deficit_text": {"en": "Many reports, but the simulation finds the place lit, watched and "
                                "open: design alone will not help here; other measures "
                                "(management, social) are needed.",
                        "nl": "Veel meldingen, maar de simulatie vindt de plek verlicht, met "
                              "toezicht en open: alleen een ander ontwerp helpt hier niet; "
                              "andere maatregelen (beheer, sociaal) zijn nodig."},
    "alternatives": {"en": "2. Alternatives", "nl": "2. Alternatieven"},
    "alt_text": {"en": "Candidate measures per place, each simulated as a variant of the scene "
                       "around the place, ranked by effect per cost.",
                 "nl": "Mogelijke maatregelen per plek, elk doorgerekend als variant van de "
                       "omgeving van de plek, gerangschikt naar effect per kosten."},
    "no_measures": {"en": "Measures were not computed.",
                    "nl": "Maatregelen zijn niet doorgerekend."},
    "method": {"en": "3. Method and privacy", "nl": "3. Werkwijze en privacy"},
    "notes": {"en": "Notes", "nl": "Opmerkingen"},
    "scenario": {"en": "Scenario", "nl": "Scenario"},
    "crs": {"en": "Coordinate system", "nl": "Coördinatenstelsel"},
    "read": {"en": "Reports read", "nl": "Meldingen gelezen"},
    "in_scene": {"en": "Reports in the scene", "nl": "Meldingen binnen het gebied"},
    "no_coordinates": {"en": "Reports without coordinates", "nl": "Meldingen zonder coördinaten"},
    "outside_scene": {"en": "Reports outside the scene", "nl": "Meldingen buiten het gebied"},
    "at_night": {"en": "Reported after dark", "nl": "Gemeld in het donker"},
    "scattered": {"en": "Reports in groups too small to show", "nl":
                  "Meldingen in te kleine groepen om te tonen"},
    "n_places": {"en": "Places with a physical deficit", "nl": "Plekken met fysieke tekortkoming"},
    "rank": {"en": "Rank", "nl": "Rang"},
    "place": {"en": "Place", "nl": "Plek"},
    "n_reports": {"en": "Reports", "nl": "Meldingen"},
    "score": {"en": "Score", "nl": "Score"},
    "dominant": {"en": "Main cause", "nl": "Hoofdoorzaak"},
    "causes": {"en": "Causes", "nl": "Oorzaken"},
    "E_h_mean": {"en": "E_h mean [lx]", "nl": "E_h gemiddeld [lx]"},
    "E_sc_min": {"en": "E_sc min [lx]", "nl": "E_sc min [lx]"},
    "night_surveillance": {"en": "Watchers at night", "nl": "Toezicht 's nachts"},
    "concealed_m2": {"en": "Hidden area [m2]", "nl": "Verborgen oppervlak [m2]"},
    "best": {"en": "Best measure", "nl": "Beste maatregel"},
    "measure": {"en": "Measure", "nl": "Maatregel"},
    "effect": {"en": "Effect [m2]", "nl": "Effect [m2]"},
    "cost": {"en": "Cost [EUR]", "nl": "Kosten [EUR]"},
    "per_cost": {"en": "Effect per kEUR", "nl": "Effect per k€"},
    "E_min_gain": {"en": "E_min gain [lx]", "nl": "Winst E_min [lx]"},
    "dark": {"en": "dark", "nl": "donker"},
    "unwatched": {"en": "unwatched", "nl": "geen toezicht"},
    "concealment": {"en": "hiding places", "nl": "verscholen hoeken"},
    "entrapment": {"en": "no way out", "nl": "geen uitwijkmogelijkheid"},
    "none": {"en": "no physical deficit", "nl": "geen fysieke tekortkoming"},
    "add_pole": {"en": "add a light pole", "nl": "lichtmast bijplaatsen"},
    "raise_light": {"en": "raise a light", "nl": "lichtpunt verhogen"},
    "aim_light": {"en": "re-aim a light", "nl": "lichtpunt anders richten"},
    "trim_vegetation": {"en": "trim vegetation", "nl": "groen snoeien"},
    "open_facade": {"en": "open a blank facade", "nl": "blinde gevel openen"},
    "remove_obstacle": {"en": "remove an obstacle", "nl": "obstakel weghalen"},
    "close_niche": {"en": "close the niche", "nl": "nis dichtmaken"},
    "none_found": {"en": "none", "nl": "geen"},
    "map_caption": {"en": "Overview: the places ranked, coloured by their main physical deficit, "
                          "with the number of reports in each (individual reports are not "
                          "shown). Grey: places without a physical deficit.",
                    "nl": "Overzicht: de plekken op volgorde, gekleurd naar hun belangrijkste "
                          "fysieke tekortkoming, met het aantal meldingen per plek (losse "
                          "meldingen staan niet op de kaart). Grijs: plekken zonder fysieke "
                          "tekortkoming."},
    "map_reports": {"en": "reports", "nl": "meldingen"},
    "note_hours": {"en": "{n} of {total} reports were made at night and judged against the "
                         "light and the watchers at their own hour (dimming schedules, "
                         "presence); the others at full light",
                   "nl": "{n} van {total} meldingen zijn 's nachts gedaan en beoordeeld naar "
                         "het licht en de waarnemers op hun eigen tijdstip (dimschema's, "
                         "aanwezigheid); de andere bij volledig licht"},
    "note_scattered": {"en": "{n} of {total} reports lie in groups of fewer than {k} reports; "
                             "they are counted but not shown (privacy).",
                       "nl": "{n} van {total} meldingen liggen in groepen van minder dan {k} "
                             "meldingen; ze zijn geteld maar worden niet getoond (privacy)."},
    "note_no_measures": {"en": "Candidate measures are not available in this version.",
                         "nl": "Mogelijke maatregelen zijn in deze versie niet beschikbaar."},
    "note_no_luminaires": {"en": "The scenario has no luminaires: every place is dark.",
                           "nl": "Het scenario heeft geen lichtpunten: elke plek is donker."},
    "note_no_observers": {"en": "The scenario has no observers: surveillance is zero everywhere.",
                          "nl": "Het scenario heeft geen waarnemers: er is nergens toezicht."},
    "note_moved": {"en": "Some reports lay inside buildings (address points?); they were moved to "
                         "the nearest walkable point outside.",
                   "nl": "Enkele meldingen lagen in een gebouw (adrespunten?); ze zijn verplaatst "
                         "naar het dichtstbijzijnde beloopbare punt buiten."},
    "note_swapped": {"en": "The latitude and longitude columns of the reports file were swapped; "
                           "they have been exchanged.",
                     "nl": "De kolommen breedte- en lengtegraad van het meldingenbestand waren "
                           "verwisseld; ze zijn omgewisseld."},
    "texts": {"en": "Appendix: report texts (included on request)",
              "nl": "Bijlage: teksten van meldingen (op verzoek opgenomen)"},
    "method_text": {
        "en": "Each report's surroundings within {radius:g} m on the walkable surface were "
              "simulated: horizontal and semicylindrical illuminance, day and night "
              "surveillance, hiding places, walled-in stretches, isovist area and distance to "
              "the nearest light. Reports within {radius:g} m of each other were grouped into "
              "places by density (at least {k} reports). Score = reports x (1 + dark + "
              "unwatched + hiding places + no way out), each cause a share from 0 to 1; a cause "
              "counts from {present:g}. Dark: E_h below {dark:g} lx; unwatched: fewer than "
              "{surv:g} watcher(s).",
        "nl": "Van elke melding is de omgeving binnen {radius:g} m op het beloopbare "
              "oppervlak doorgerekend: horizontale en semicilindrische verlichtingssterkte, "
              "toezicht overdag en 's nachts, verscholen hoeken, ingesloten stukken, "
              "zichtveld en afstand tot het dichtstbijzijnde lichtpunt. Meldingen binnen "
              "{radius:g} m van elkaar zijn op dichtheid gegroepeerd tot plekken (minstens {k} "
              "meldingen). Score = meldingen x (1 + donker + geen toezicht + verscholen hoeken "
              "+ geen uitwijkmogelijkheid), elke oorzaak een aandeel van 0 tot 1; een oorzaak "
              "telt vanaf {present:g}. Donker: E_h onder {dark:g} lx; geen toezicht: minder dan "
              "{surv:g} waarnemer(s)."},
    "privacy_text": {
        "en": "Privacy: this report shows places of at least {k} reports, never single reports, "
              "their locations or their texts.",
        "nl": "Privacy: dit rapport toont plekken van minstens {k} meldingen, nooit losse "
              "meldingen, hun locaties of hun teksten."},
}


def _t(key: str, lang: str) -> str:
    return LABELS[key][lang]


def _fmt(v, nd=1) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    v = float(v)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "inf"
    return f"{v:.{nd}f}"


def _csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_fmt(r.get(c), 3) if isinstance(r.get(c), float) else r.get(c, "")
                    for c in columns])
    return buf.getvalue()


def _place_stats(result: TriageResult, place) -> dict:
    idx = np.isin(result.context.ids, np.array(place.report_ids, dtype=object))
    v = result.context.values
    return {q: float(np.nanmean(v[q][idx])) if idx.any() else float("nan")
            for q in ("E_h_mean", "E_sc_min", "night_surveillance", "concealed_m2")}


def _best(result: TriageResult, pid: str):
    lst = (result.measures or {}).get(pid) or []
    return lst[0] if lst else None


def _measure_name(r, lang: str) -> str:
    kind = str(getattr(getattr(r, "measure", r), "kind", ""))
    return _t(kind, lang) if kind in LABELS else kind


# ---------------------------------------------------------------------------- CSV files
PLACE_COLUMNS = ["rank", "place", "x", "y", "n_reports", "score", "dominant_deficit", "dark",
                 "unwatched", "concealment", "entrapment", "best_measure", "best_effect_m2"]


def places_csv(result: TriageResult) -> str:
    rows = []
    for k, p in enumerate(result.places + result.places_without_deficit):
        best = _best(result, p.id)
        rows.append({"rank": k + 1 if p.dominant_deficit != "none" else "", "place": p.id,
                     "x": f"{p.xy[0]:.0f}", "y": f"{p.xy[1]:.0f}", "n_reports": p.n_reports,
                     "score": float(p.score), "dominant_deficit": p.dominant_deficit,
                     **{d: float(p.deficits.get(d, 0.0)) for d in
                        ("dark", "unwatched", "concealment", "entrapment")},
                     "best_measure": "" if best is None
                     else str(getattr(getattr(best, "measure", best), "kind", "")),
                     "best_effect_m2": float("nan") if best is None
                     else float(getattr(best, "effect_m2", float("nan")))})
    return _csv(rows, PLACE_COLUMNS)


def reports_csv(result: TriageResult, texts=None) -> str:
    ctx = result.context
    place = result.place_of()
    cols = ["id", "place", *CONTEXT_QUANTITIES] + (["text"] if texts is not None else [])
    rows = []
    for i, r in enumerate(ctx.rows()):
        row = {"place": place[i], **r}
        if texts is not None:
            row["text"] = str(texts[i])
        rows.append(row)
    return _csv(rows, cols)


# ---------------------------------------------------------------------------- report
def _sections(result: TriageResult, lang: str, summary: dict, epsg, texts,
              with_map: bool = False):
    """The report as a list of (kind, payload): ("h1"|"h2"|"p", text) or ("table", (head,
    rows))."""
    t = lambda k: _t(k, lang)   # noqa: E731
    s = result.settings
    out = [("h1", t("title")), ("p", t("subtitle")), ("h2", t("analysis")), ("h3", t("location")),
           ("table", (["", ""], [[t("scenario"), result.scenario_name],
                                 [t("crs"), f"EPSG:{epsg}" if epsg else "-"]]))]
    ctx = result.context
    night = ctx.values["at_night"]
    known = np.isfinite(night)
    rows = [[t("read"), str(summary.get("read", len(ctx)))],
            [t("in_scene"), str(summary.get("in_scene", len(ctx)))],
            [t("no_coordinates"), str(summary.get("no_coordinates", 0))],
            [t("outside_scene"), str(summary.get("outside_scene", 0))],
            [t("at_night"), f"{int(np.sum(night[known] == 1))} / {int(known.sum())}"],
            [t("scattered"), str(result.n_scattered)],
            [t("n_places"), str(len(result.places))]]
    out += [("h3", t("reports")), ("table", (["", ""], rows)), ("h3", t("deficits"))]
    head = [t("rank"), t("place"), "x", "y", t("n_reports"), t("score"), t("dominant"),
            t("causes"), t("E_h_mean"), t("E_sc_min"), t("night_surveillance"),
            t("concealed_m2"), t("best")]
    body = []
    for k, p in enumerate(result.places):
        st = _place_stats(result, p)
        best = _best(result, p.id)
        body.append([str(k + 1), p.id, f"{p.xy[0]:.0f}", f"{p.xy[1]:.0f}", str(p.n_reports),
                     _fmt(p.score), t(p.dominant_deficit),
                     ", ".join(t(c) for c in p.causes) or t("none_found"),
                     _fmt(st["E_h_mean"]), _fmt(st["E_sc_min"], 2),
                     _fmt(st["night_surveillance"]), _fmt(st["concealed_m2"], 0),
                     t("none_found") if best is None else _measure_name(best, lang)])
    out.append(("table", (head, body)))
    if with_map:
        out.append(("img", (MAP_FILE, t("map_caption"))))
    out += [("h3", t("no_deficit")), ("p", t("no_deficit_text"))]
    head2 = [t("place"), "x", "y", t("n_reports"), t("E_h_mean"), t("E_sc_min"),
             t("night_surveillance")]
    body2 = []
    for p in result.places_without_deficit:
        st = _place_stats(result, p)
        body2.append([p.id, f"{p.xy[0]:.0f}", f"{p.xy[1]:.0f}", str(p.n_reports),
                      _fmt(st["E_h_mean"]), _fmt(st["E_sc_min"], 2),
                      _fmt(st["night_surveillance"])])
    out.append(("table", (head2, body2)))
    out += [("h2", t("alternatives")), ("p", t("alt_text"))]
    if result.measures is None:
        out.append(("p", t("no_measures")))
    else:
        head3 = [t("place"), t("rank"), t("measure"), t("effect"), t("E_min_gain"), t("cost"),
                 t("per_cost")]
        body3 = []
        for row, r in zip(measure_rows(result),
                          [r for lst in result.measures.values() for r in lst]):
            body3.append([row["place"], str(row["rank"]), _measure_name(r, lang),
                          _fmt(row["effect_m2"]), _fmt(row["E_min_gain"], 2),
                          _fmt(row["cost"], 0), _fmt(row["effect_per_cost"], 2)])
        out.append(("table", (head3, body3)))
    out += [("h2", t("method")),
            ("p", t("method_text").format(radius=s.get("radius", 15.0), k=s.get("min_reports", 3),
                                          present=s.get("present", 0.5),
                                          dark=s.get("dark_lx", 1.0),
                                          surv=s.get("min_surveillance", 1.0))),
            ("p", t("privacy_text").format(k=s.get("min_reports", 3)))]
    notes = [t(k).format(**v) for k, v in result.note_keys]
    if summary.get("swapped"):
        notes.append(t("note_swapped"))
    if notes:
        out += [("h3", t("notes")), ("list", notes)]
    if texts is not None:
        place = result.place_of()
        rows = [[place[i] or "-", str(texts[i])] for i in range(len(texts)) if str(texts[i])]
        out += [("h2", t("texts")), ("table", ([t("place"), ""], rows))]
    return out


def render_markdown(sections) -> str:
    lines = []
    for kind, body in sections:
        if kind == "h1":
            lines += [f"# {body}", ""]
        elif kind == "h2":
            lines += [f"## {body}", ""]
        elif kind == "h3":
            lines += [f"### {body}", ""]
        elif kind == "p":
            lines += [body, ""]
        elif kind == "list":
            lines += [f"- {x}" for x in body] + [""]
        elif kind == "img":
            lines += [f"![{body[1]}]({body[0]})", "", f"*{body[1]}*", ""]
        else:
            head, rows = body
            cell = lambda x: str(x).replace("|", "\\|").replace("\n", " ")  # noqa: E731
            lines.append("| " + " | ".join(cell(h) for h in head) + " |")
            lines.append("|" + "---|" * len(head))
            lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
            lines.append("")
    return "\n".join(lines)


_CSS = ("body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222}"
        ".wide{overflow-x:auto}table{border-collapse:collapse;margin:0.5em 0 1.5em;"
        "font-size:0.9em}td,th{border:1px solid #bbb;padding:0.2em 0.5em;text-align:left;"
        "vertical-align:top}th{background:#eee}")


def render_html(sections, lang: str) -> str:
    e = html.escape
    title = next(b for k, b in sections if k == "h1")
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
             f"<title>{e(title)}</title><style>{_CSS}</style></head>\n<body>"]
    for kind, body in sections:
        if kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{e(body)}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{e(body)}</p>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in body) + "</ul>")
        elif kind == "img":
            parts.append(f'<figure><img src="{e(body[0])}" alt="{e(body[1])}" '
                         f'style="max-width:100%"><figcaption>{e(body[1])}</figcaption>'
                         "</figure>")
        else:
            head, rows = body
            h = "".join(f"<th>{e(str(c))}</th>" for c in head)
            thead = f"<thead><tr>{h}</tr></thead>" if any(str(c) for c in head) else ""
            r = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
                        for row in rows)
            parts.append(f'<div class="wide"><table>{thead}<tbody>{r}</tbody></table></div>')
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _gpkg_places(result: TriageResult, path: Path, epsg: int | None) -> bool:
    """``triage.gpkg`` with a ``places`` point layer (the places.csv columns); False when the
    ``gis`` extra (pyogrio, shapely) is not installed."""
    try:
        import shapely
        from pyogrio.raw import write
    except ImportError:
        return False
    import warnings

    rows = list(csv.DictReader(io.StringIO(places_csv(result))))
    if not rows:
        return False
    geoms = np.array([shapely.Point(float(r["x"]), float(r["y"])) for r in rows], dtype=object)
    cols = {c: np.array([r[c] for r in rows], dtype=object) for c in PLACE_COLUMNS
            if c not in ("x", "y")}
    for c in ("n_reports",):
        cols[c] = cols[c].astype(np.int64)
    for c in ("score", "dark", "unwatched", "concealment", "entrapment", "best_effect_m2"):
        cols[c] = np.array([float(v) if v else np.nan for v in cols[c]])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        write(str(path), shapely.to_wkb(geoms), geometry_type="Point", layer="places",
              driver="GPKG", field_data=list(cols.values()), fields=list(cols),
              crs=f"EPSG:{epsg}" if epsg else None)
    return True


def write_triage(result: TriageResult, out, *, lang: str = "nl", include_text: bool = False,
                 texts=None, summary: dict | None = None, epsg: int | None = None,
                 gpkg: bool = True, maps: bool = True, scene=None) -> list[Path]:
    """Write the triage into the output folder ``out`` (atomically, with a manifest).

    Parameters
    ----------
    result : TriageResult
    out : path-like
        Output folder (:class:`cpted_sim.io.output_folder.OutputFolder`).
    lang : {"nl", "en"}
        Language of ``triage.md`` and ``triage.html``.
    include_text : bool
        Write the report texts (``reports.csv`` column ``text`` and an appendix of the
        report); default False: texts never leave the machine.
    texts : (n,) str, optional
        The texts, in the order of ``result.context.ids``.
    summary : dict, optional
        :meth:`cpted_sim.io.citizen_reports.CitizenReports.summary`.
    epsg : int, optional
        The scene's CRS, for the report and ``triage.gpkg``.
    maps : bool
        Also write the overview map ``triage_map.png`` (:mod:`cpted_sim.plot.triage_map`:
        places, never individual reports) and show it in the report.
    scene : Scene, optional
        Drawn under the places on the map.
    gpkg : bool
        Also write ``triage.gpkg`` (layer ``places``, the columns of ``places.csv``) when the
        ``gis`` extra is installed.

    Returns
    -------
    list of Path
        The files written.
    """
    if lang not in LANGUAGES:
        raise ParameterError(f"lang: expected one of {LANGUAGES}, got {lang!r}")
    use_texts = texts if include_text and texts is not None else None
    summary = summary or {"read": len(result.context), "in_scene": len(result.context),
                          "no_coordinates": 0, "outside_scene": 0}
    files = {"places.csv": places_csv(result), "reports.csv": reports_csv(result, use_texts)}
    if result.measures is not None:
        cols = list(measure_rows(result)[0]) if measure_rows(result) else ["place", "rank"]
        files["measures.csv"] = _csv(measure_rows(result), cols)
    shown = list(result.places) + list(result.places_without_deficit)
    with_map = bool(maps and shown)
    sections = _sections(result, lang, summary, epsg, use_texts, with_map)
    files["triage.md"] = render_markdown(sections)
    files["triage.html"] = render_html(sections, lang)
    names = list(files)
    with OutputFolder(out) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        if gpkg and _gpkg_places(result, tmp / "triage.gpkg", epsg):
            names.append("triage.gpkg")
        if with_map:
            from ..plot.triage_map import triage_overview_map

            keys = ("dark", "unwatched", "concealment", "entrapment", "none")
            triage_overview_map(shown, tmp / MAP_FILE, scene=scene, title=_t("title", lang),
                                labels={**{k: _t(k, lang) for k in keys},
                                        "reports": _t("map_reports", lang)})
            names.append(MAP_FILE)
    target = Path(out)
    return [target / n for n in names]
