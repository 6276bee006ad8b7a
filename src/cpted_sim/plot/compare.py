"""Side-by-side maps of design variants on one shared scale, and their difference maps."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..names import file_slug
from .maps import dark_unseen_values, finish_figure, map_figure, plan_map
from .style import (BOOLEAN_QUANTITIES, MAP_DPI, QUANTITY_NAMES, MapScale, difference_label,
                    difference_scale, save_figure, shared_scale)

__all__ = ["MapImage", "variant_maps", "difference_maps", "dark_unseen_panels",
           "comparison_maps", "start_comparison_maps", "slug", "MAP_QUANTITIES"]

log = logging.getLogger(__name__)

#: Quantities mapped for each area, in this order (others stay in fields.npz).
MAP_QUANTITIES = ("E_h", "E_sc", "E_v", "E_hs", "E_cyl", "surveillance_count",
                  "night_surveillance_count", "concealment")


@dataclass(frozen=True)
class MapImage:
    """A PNG written for a report, with what it shows."""

    path: Path | None
    area: str
    quantity: str
    kind: str  # "variants", "difference", "dark_unseen"
    caption: str


def slug(text: str) -> str:
    """A file-name-safe, unique version of ``text`` (:func:`cpted_sim.names.file_slug`)."""
    return file_slug(text)


def _as_seq(x, labels):
    if isinstance(x, Mapping):
        return [x.get(k) for k in labels]
    return [x] * len(labels)


def variant_maps(fields: Mapping[str, object], path, *, scenes=None, luminaires=None,
                 scale: MapScale | None = None, title: str | None = None, dpi: int = MAP_DPI,
                 observers=None) -> Path:
    """One panel per variant of the same quantity, on one shared colour scale.

    Parameters
    ----------
    fields : mapping label -> Field
        The fields to compare (same quantity and unit), e.g. ``{"base": f0, "B": f1}``.
    path : path-like
        PNG to write.
    scenes : Scene or mapping label -> Scene, optional
        Buildings to draw (per variant when variants change the scene).
    luminaires : sequence or mapping label -> sequence of Luminaire, optional
        Luminaire markers (per variant).
    observers : ObserverSet or mapping label -> ObserverSet, optional
        Observer markers (per variant).
    scale : MapScale, optional
        Default: :func:`~cpted_sim.plot.style.shared_scale` over all ``fields``.
    title : str, optional
        Figure title.

    Returns
    -------
    pathlib.Path
    """
    labels = list(fields)
    if not labels:
        raise ParameterError("fields: expected at least one variant's Field")
    flds = [fields[k] for k in labels]
    scale = scale or shared_scale(flds)
    fig, axes = _figure(flds[0].grid, len(flds), scenes, luminaires, observers, title)
    m = None
    for ax, lab, f, sc, lu, ob in zip(axes, labels, flds, _as_seq(scenes, labels),
                                      _as_seq(luminaires or (), labels),
                                      _as_seq(observers, labels)):
        m = plan_map(ax, f, scene=sc, luminaires=lu or (), scale=scale, title=str(lab),
                     observers=ob)
    return _finish(fig, axes, m, scale, path, title, dpi)


def _figure(grid, n, scenes, luminaires, observers, title):
    has = scenes is not None or bool(luminaires) or observers is not None
    return map_figure(grid, n, symbols=has, suptitle=bool(title))


def _finish(fig, axes, mappable, scale, path, title, dpi):
    """Colour bar, legend and title; saved through this module's ``save_figure``."""
    finish_figure(fig, axes, mappable, scale, None, title=title)
    return save_figure(fig, path, dpi=dpi)


def difference_maps(deltas: Mapping[str, object], path, *, scenes=None, luminaires=None,
                    title: str | None = None, dpi: int = MAP_DPI, observers=None) -> Path:
    """Variant-minus-base fields, one panel each, on a diverging scale centred on 0.

    The colour bar reads ``"Change in horizontal illuminance [lx]"``; white is no change.
    """
    labels = list(deltas)
    if not labels:
        raise ParameterError("deltas: expected at least one difference Field")
    flds = [deltas[k] for k in labels]
    scale = difference_scale(flds, label=difference_label(flds[0].quantity, flds[0].unit))
    fig, axes = _figure(flds[0].grid, len(flds), scenes, luminaires, observers, title)
    m = None
    for ax, name, f, sc, lu, ob in zip(axes, labels, flds, _as_seq(scenes, labels),
                                       _as_seq(luminaires or (), labels),
                                       _as_seq(observers, labels)):
        m = plan_map(ax, f, scene=sc, luminaires=lu or (), scale=scale, contours=False,
                     title=f"{name} − base", observers=ob)
    return _finish(fig, axes, m, scale, path, title, dpi)


def dark_unseen_panels(fields_by_label: Mapping[str, Mapping], path, *, scenes=None,
                       luminaires=None, title: str | None = None, dpi: int = MAP_DPI,
                       observers=None) -> Path | None:
    """"Dark and unseen" category maps, one panel per variant; None when no variant has flags."""
    labels = [k for k in fields_by_label if dark_unseen_values(fields_by_label[k]) is not None]
    if not labels:
        return None
    fig, axes = _figure(_ref_field(fields_by_label[labels[0]]).grid, len(labels), scenes,
                        luminaires, observers, title)
    m = scale = None
    for ax, lab, sc, lu, ob in zip(axes, labels, _as_seq(scenes, labels),
                                   _as_seq(luminaires or (), labels), _as_seq(observers, labels)):
        flds = fields_by_label[lab]
        code, scale = dark_unseen_values(flds)
        m = plan_map(ax, _ref_field(flds), values=code, scene=sc, luminaires=lu or (),
                     scale=scale, contours=False, title=str(lab), observers=ob)
    return _finish(fig, axes, m, scale, path, title, dpi)


def _ref_field(fields: Mapping):
    return fields["dark_and_unseen"] if "dark_and_unseen" in fields else fields["dark"]


def _named(q: str, unit: str = "") -> str:
    """``"Horizontal illuminance (E_h) [lx]"``: the plain name, the code name, the unit."""
    name = QUANTITY_NAMES.get(q)
    text = f"{name} ({q})".replace("\n", " ") if name else q.replace("_", " ")
    return text + (f" [{unit}]" if unit not in ("", "1") else "")


def _plain(q: str) -> str:
    return QUANTITY_NAMES[q].replace("\n", " ").lower()


def _quantities(fields: Mapping, wanted: Sequence[str]) -> list[str]:
    return [q for q in wanted if q in fields and q not in BOOLEAN_QUANTITIES]


def comparison_maps(comparison, out_dir, *, dpi: int = MAP_DPI,
                    quantities: Sequence[str] = MAP_QUANTITIES,
                    processes: int | None = None) -> list[MapImage]:
    """The maps of a comparison, written as PNG into ``out_dir``.

    For each area: one figure per quantity with a panel per variant on one shared scale
    (``map_<area>_<quantity>.png``), the "dark and unseen" categories
    (``map_<area>_dark_and_unseen.png``), and the variant-minus-base difference maps
    (``diff_<area>_<quantity>.png``, diverging scale centred on 0). A quantity that no
    variant changes gets no difference map but a ``MapImage`` of kind ``"unchanged"`` with
    ``path=None``, so a report can say so.

    The maps of an area share one :class:`~cpted_sim.plot.sheet.MapSheet` (context drawn
    once), and the sheets are drawn in parallel processes (:func:`~cpted_sim.plot.sheet.render_maps`).

    Parameters
    ----------
    comparison : Comparison
        ``base``, ``variants`` (ScenarioResult) and ``deltas``.
    out_dir : path-like
        Folder for the PNG files (created).
    dpi : int
        Resolution of the PNG files.
    quantities : sequence of str
        Quantities to map, in order (default :data:`MAP_QUANTITIES`); others are skipped.
    processes : int, optional
        Worker processes (default: the usable cores; 1 draws in this process).

    Returns
    -------
    list of MapImage
    """
    images, pending = start_comparison_maps(comparison, out_dir, dpi=dpi, quantities=quantities,
                                            processes=processes)
    pending.wait()
    return images


def start_comparison_maps(comparison, out_dir, *, dpi: int = MAP_DPI,
                          quantities: Sequence[str] = MAP_QUANTITIES,
                          processes: int | None = None, extra: Sequence = ()):
    """:func:`comparison_maps`, started: ``(images, pending)``; the PNG files are written once
    ``pending.wait()`` returns (:class:`~cpted_sim.plot.sheet.PendingMaps`), and in the
    meantime the caller may do other work while worker processes draw. ``extra`` pictures
    (:class:`~cpted_sim.plot.sheet.MapSpec` or :class:`~cpted_sim.plot.sheet.FigureTask`,
    such as the report's hours of the night) are drawn by the same workers.
    """
    from .sheet import FigureTask, MapPanel, MapSpec, start_maps

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = [comparison.base, *comparison.variants]
    labels = [r.variant for r in results]
    ctx = {r.variant: dict(scene=r.scene, luminaires=tuple(r.luminaires),
                           observers=getattr(r, "observers", None)) for r in results}
    images: list[MapImage] = []
    specs: list = []

    def add(image, panels, scale, contours, sheet):
        specs.append(MapSpec(image.path, tuple(panels), scale, contours, sheet))
        images.append(image)

    for area_name, base_area in comparison.base.areas.items():
        per_label = {r.variant: r.areas[area_name].fields for r in results
                     if area_name in r.areas}
        for q in _quantities(base_area.fields, quantities):
            flds = {lab: per_label[lab][q] for lab in labels
                    if lab in per_label and q in per_label[lab]}
            try:
                scale = shared_scale(list(flds.values()))
            except ParameterError as exc:
                log.warning("no map of %s in %s: %s", q, area_name, exc)
                continue
            unit = base_area.fields[q].unit
            panels = [MapPanel(str(lab), f, **ctx[lab]) for lab, f in flds.items()]
            add(MapImage(out / f"map_{slug(area_name)}_{slug(q)}.png", area_name, q, "variants",
                         f"{area_name}: {_named(q, unit)}, every variant on one scale"),
                panels, scale, True, (area_name, "variants", tuple(flds)))
        du = [lab for lab in per_label if dark_unseen_values(per_label[lab]) is not None]
        if du:
            panels, scale = [], None
            for lab in du:
                code, scale = dark_unseen_values(per_label[lab])
                panels.append(MapPanel(str(lab), _ref_field(per_label[lab]), code, **ctx[lab]))
            add(MapImage(out / f"map_{slug(area_name)}_dark_and_unseen.png", area_name,
                         "dark_and_unseen", "dark_unseen",
                         f"{area_name}: where it is dark, unseen, or both"),
                panels, scale, False, (area_name, "variants", tuple(du)))
        deltas = {v: comparison.deltas.get(v, {}).get(area_name, {}) for v in labels[1:]}
        qs = []
        for d in deltas.values():
            qs += [q for q in _quantities(d, quantities) if q not in qs]
        for q in qs:
            flds = {v: d[q] for v, d in deltas.items() if q in d}
            if all(not np.any(np.nan_to_num(np.asarray(f.values, dtype=np.float64)))
                   for f in flds.values()):
                images.append(MapImage(None, area_name, q, "unchanged",
                                       f"{area_name}: {q} is the same in every variant"
                                       + (f" ({_plain(q)})" if q in QUANTITY_NAMES else "")))
                continue
            first = next(iter(flds.values()))
            scale = difference_scale(list(flds.values()),
                                     label=difference_label(first.quantity, first.unit))
            panels = [MapPanel(f"{v} − base", f, **ctx[v]) for v, f in flds.items()]
            add(MapImage(out / f"diff_{slug(area_name)}_{slug(q)}.png", area_name, q,
                         "difference",
                         f"{area_name}: change in {_named(q, first.unit)} against {labels[0]} "
                         "(red more, blue less, white no change)"),
                panels, scale, False, (area_name, "difference", tuple(flds)))
    specs += [w for w in extra if not isinstance(w, FigureTask)]
    tasks = [w for w in extra if isinstance(w, FigureTask)]
    return images, start_maps(specs, dpi=dpi, processes=processes, tasks=tasks)


def luminaire_distributions(results: Sequence) -> dict:
    """Distinct intensity distributions of the luminaires of several results, by name."""
    out: dict = {}
    for r in results:
        for lum in r.luminaires:
            dist = lum.distribution
            name = str(getattr(dist, "name", None) or getattr(lum, "name", None) or "luminaire")
            if name not in out:
                out[name] = dist
    return out
