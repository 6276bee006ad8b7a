"""Fast drawing of many maps of one area: a map sheet drawn once, values blitted per map.

The maps of a report show the same area, the same city, luminaires and observers, panel by
panel, for quantity after quantity; only the values and the colour bar change. A
:class:`MapSheet` draws the panels, their context (city, outline, markers, scale bar, north
arrow, titles) and the legend once, keeps the rendered background, and for every map restores
it, draws the values, redraws what lies over them (vegetation, walls, markers, furniture) and
the colour bar, and writes the pixels as PNG. :func:`render_maps` renders a list of
:class:`MapSpec` sheet by sheet, in parallel worker processes when there are several sheets
and more than one core (``fork`` start, Linux only; elsewhere one after the other).

This is what made the demo's report cheap (``docs/performance.md``): creating the axes,
the city's collections, ticks, titles and the legend was most of the time of every map, and
after that the colour bar's axis and the values drawn as Matplotlib artists; a sheet now
puts the values, isolines and colour bar into the pixels itself (:mod:`.raster`,
:mod:`.colourbar`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io.forked import can_fork
from .colourbar import ColourBar, colourbar_of, draw_colourbar
from .furniture import _ORDER
from .maps import _is_raster
from .raster import OverLayer, png_bytes, rgba_of
from .style import MAP_DPI, MapScale
from .tiles import legend_strip, panel_tile, sheet_layout, write_title

__all__ = ["MapPanel", "MapSpec", "FigureTask", "MapSheet", "PendingMaps", "render_maps",
           "start_maps", "default_processes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MapPanel:
    """One panel of a map: its title, field (values and grid) and context."""

    title: str
    field: object
    values: object = None        # (n,) float drawn instead of field.values (categories)
    scene: object = None
    luminaires: tuple = ()
    observers: object = None


@dataclass(frozen=True)
class MapSpec:
    """One map (PNG) to draw: panels on one scale; ``sheet`` names the panels' layout, maps
    with the same ``sheet`` key share one :class:`MapSheet`."""

    path: Path
    panels: tuple
    scale: MapScale
    contours: bool = True
    sheet: tuple = ()


@dataclass(frozen=True)
class FigureTask:
    """A figure of its own (not a map sheet) drawn by the map workers: ``draw(path, dpi)``
    writes ``path``, like the report's curves of the hours of the night."""

    path: Path
    draw: object


def _contour_lines(ax, grid, vals: np.ndarray, scale: MapScale, height: int) -> list:
    """The isolines of a plan raster's values at the scale's contour levels, in pixels
    (as :func:`~cpted_sim.plot.maps.plan_map` draws them: levels strictly inside the range)."""
    if not _is_raster(grid) or not scale.contour_levels:
        return []
    rows, cols = grid.shape
    raster = np.ma.masked_invalid(grid.to_raster(vals))
    if rows < 3 or cols < 3 or not raster.count():
        return []
    lo, hi = raster.min(), raster.max()
    levels = [lv for lv in scale.contour_levels if lo < lv < hi]
    if not levels:
        return []
    import contourpy

    x0, y0, dx, dy = grid.transform
    gen = contourpy.contour_generator(x0 + dx * np.arange(cols), y0 + dy * np.arange(rows),
                                      raster, line_type="Separate")
    lines = []
    for lv in levels:
        for line in gen.lines(lv):
            xy = ax.transData.transform(line)
            lines.append(np.column_stack([xy[:, 0] - 0.5, height - xy[:, 1] - 0.5]))
    return lines


class MapSheet:
    """Panels laid out once; :meth:`draw` puts one map's values and titles on them.

    Each panel's context is a :class:`~cpted_sim.plot.tiles.PanelTile` (drawn by Matplotlib
    once per process for every distinct grid, city, luminaires and observers, so that an
    area's variant, difference and hour maps share them), pasted with the legend strip into
    the sheet's background. A map is then the background, its values put into the pixels
    (:mod:`.raster`), the isolines and dots drawn with Pillow, what lies over the values
    painted on with its transparency, the panel titles and the colour bar
    (:mod:`.colourbar`). What was drawn can be read without pixels: :attr:`colourbar` (the
    last map's bar), :attr:`legend` (the legend's labels) and :attr:`tiles` (their
    ``furniture``: scale bar and north arrow).

    Parameters
    ----------
    panels : sequence of MapPanel
        The panels of the first map (their grids and context are kept).
    dpi : int
        Resolution of the PNG files.
    """

    def __init__(self, panels: Sequence[MapPanel], *, dpi: int = MAP_DPI):
        self.grids = [p.field.grid for p in panels]
        self.dpi = dpi
        has = any(p.scene is not None or p.luminaires or p.observers is not None
                  for p in panels)
        lay = self.layout = sheet_layout(self.grids[0], len(panels), has, dpi)
        self.tiles = [panel_tile(p, lay.size_in, lay.ticks, dpi) for p in panels]
        canvas = np.full((lay.height, lay.width, 3), 255, dtype=np.uint8)
        over = []
        self.places, self.title_at = [], []
        for tile, (left, top) in zip(self.tiles, lay.cells):
            h, w = tile.rgb.shape[:2]
            h, w = min(h, lay.height - top), min(w, lay.width - left)
            canvas[top:top + h, left:left + w] = tile.rgb[:h, :w]
            over.append(tile.over.shifted(tile.rgb.shape[1], left, top, lay.width))
            self.places.append(tile.place.shifted(left, top))
            self.title_at.append((tile.title_at[0] + left, tile.title_at[1] + top))
        self.over = OverLayer.joined(over)
        keys = tuple(k for k in _ORDER if any(k in t.symbols for t in self.tiles))
        self.legend = None
        if keys:
            strip, self.legend = legend_strip(keys, *lay.legend_in, dpi)  # labels
            h, w = strip.shape[:2]
            h, w = min(h, lay.height - lay.legend_top), min(w, lay.width)
            canvas[lay.legend_top:lay.legend_top + h, :w] = strip[:h, :w]
        self.background = canvas
        self.colourbar: ColourBar | None = None

    def fits(self, spec: MapSpec) -> bool:
        """Whether ``spec`` has this sheet's panels (same grids, in order)."""
        return (len(spec.panels) == len(self.grids)
                and all(p.field.grid is g for p, g in zip(spec.panels, self.grids)))

    def draw(self, spec: MapSpec) -> Path:
        """Draw the values and titles of ``spec`` on the sheet and write its PNG."""
        canvas = self.background.copy()
        lines = []
        for tile, p, place, cell in zip(self.tiles, spec.panels, self.places, self.layout.cells):
            vals = p.field.values if p.values is None else np.asarray(p.values, np.float64)
            place.paint(canvas, rgba_of(vals, spec.scale))  # an image's pixels, or dots
            if spec.contours:
                lines += [line + cell for line in
                          _contour_lines(tile.ax, p.field.grid, vals, spec.scale,
                                         tile.rgb.shape[0])]
        if lines:  # isolines: white, 70 % opaque, under the over-layer
            _isolines(canvas, lines, max(1, int(round(0.5 * self.dpi / 72.0))))
        self.over.paint(canvas)
        # titles and colour bar drawn by Pillow on the parts of the canvas they cover (a
        # whole-canvas Pillow image and back cost a millisecond a map)
        for p, at in zip(spec.panels, self.title_at):
            if p.title:
                _on_part(canvas, _title_box(p.title, at, self.dpi),
                         lambda image, dx, dy, p=p, at=at: write_title(
                             image, p.title, (at[0] - dx, at[1] - dy), self.dpi))
        lay = self.layout
        self.colourbar = colourbar_of(spec.scale, lay.colourbar[3] * 72.0 / self.dpi)
        left, top, width, height = lay.colourbar
        margin = int(round(12 * self.dpi / 72.0))  # the end labels reach above and below
        _on_part(canvas, (left - 1, top - margin, lay.width, top + height + margin),
                 lambda image, dx, dy: draw_colourbar(image, (left - dx, top - dy, width, height),
                                                      self.colourbar, self.dpi))
        path = Path(spec.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(canvas, self.dpi))
        return path


def _isolines(canvas: np.ndarray, lines: list, width: int) -> None:
    """White isolines, 70 % opaque, blended into ``canvas`` where they are drawn."""
    from PIL import Image, ImageDraw

    h, w = canvas.shape[:2]
    pts = np.concatenate(lines)
    pad = width + 1
    c0, r0 = np.maximum(np.floor(pts.min(axis=0)).astype(int) - pad, 0)
    c1, r1 = np.minimum(np.ceil(pts.max(axis=0)).astype(int) + pad + 1, (w, h))
    if c1 <= c0 or r1 <= r0:
        return
    mask = Image.new("L", (c1 - c0, r1 - r0), 0)  # only the lines' bounding box
    draw = ImageDraw.Draw(mask)
    for line in lines:
        draw.line([(x - c0, y - r0) for x, y in line], fill=178, width=width)
    a = np.asarray(mask)
    rr, cc = np.nonzero(a)
    alpha = a[rr, cc].astype(np.uint16)[:, None]
    block = canvas[r0:r1, c0:c1]
    under = block[rr, cc]
    # Pillow's blend of a translucent ink: (ink * a + old * (255 - a)) / 255, rounded
    block[rr, cc] = ((255 * alpha + under * (255 - alpha) + 127) // 255).astype(np.uint8)


def _title_box(text: str, at: tuple, dpi: int) -> tuple:
    """(left, top, right, bottom) [px] that a panel title written at ``at`` covers."""
    from .colourbar import font

    l, t, r, b = font(max(int(round(9 * dpi / 72.0)), 6)).getbbox(text, anchor="ms")
    x, y = int(round(at[0])), int(round(at[1]))
    return (x + l - 2, y + t - 2, x + r + 3, y + b + 3)


def _on_part(canvas: np.ndarray, box: tuple, draw_on) -> None:
    """``draw_on(image, left, top)`` on a Pillow image of the part ``box`` = (left, top,
    right, bottom) [px] of ``canvas`` (clipped to it), written back into the canvas."""
    from PIL import Image

    h, w = canvas.shape[:2]
    # an even origin: positions rounded half to even land on the same pixels as on the
    # whole canvas
    l, t = max(int(box[0]) // 2 * 2, 0), max(int(box[1]) // 2 * 2, 0)
    r, b = min(int(box[2]), w), min(int(box[3]), h)
    if r <= l or b <= t:
        return
    part = Image.fromarray(canvas[t:b, l:r])
    draw_on(part, l, t)
    canvas[t:b, l:r] = np.asarray(part)


def _render_group(specs: Sequence[MapSpec], dpi: int) -> list[Path]:
    """Draw a job: the :class:`FigureTask` figures, or maps on their sheets (one per
    ``sheet`` key, a new one for a map whose panels do not fit)."""
    if specs and isinstance(specs[0], FigureTask):
        for task in specs:
            task.draw(task.path, dpi)
        return [Path(task.path) for task in specs]
    sheets: dict = {}
    out = []
    for spec in specs:
        sheet = sheets.get(spec.sheet)
        if sheet is None or not sheet.fits(spec):
            sheet = sheets[spec.sheet] = MapSheet(spec.panels, dpi=dpi)
        out.append(sheet.draw(spec))
    return out


def _cost(job) -> int:
    """A job's rough cost in maps: a task (a chart of its own, drawn by Pillow: hour curves
    40 ms, a polar diagram 10 ms) about three, a sheet's set-up about two."""
    if job and isinstance(job[0], FigureTask):
        return 3 * len(job)
    return len(job) + 2 * len({s.sheet for s in job})


_GROUPS: list = []


def _render_index(i: int) -> list[Path]:
    specs, dpi = _GROUPS[i]
    return _render_group(specs, dpi)


def default_processes() -> int:
    """Worker processes for drawing maps: ``CPTED_MAP_PROCESSES`` when set, else the cores
    this process may use, but no more than the kernel threads (``--threads``,
    :func:`cpted_sim.config.set_threads`); at least 1."""
    env = os.environ.get("CPTED_MAP_PROCESSES", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    from ..config import get_threads

    return max(1, min(cores, get_threads()))


class PendingMaps:
    """Maps being drawn (:func:`start_maps`); :meth:`wait` returns their PNG paths.

    Started in forked worker processes, the maps are drawn while this process goes on with
    other work (the report's data files, polar diagrams, meshes); without workers they are
    drawn by :func:`start_maps` itself and :meth:`wait` only hands the paths back.
    """

    def __init__(self, specs, order, jobs, n_proc: int, pool=None, futures=None, paths=None):
        self._n, self._order, self._jobs, self.processes = len(specs), order, jobs, n_proc
        self._pool, self._futures, self._paths, self._result = pool, futures, paths, None

    def wait(self) -> list[Path]:
        """The PNG paths in the order of the specs, once every map is written. A broken
        pool (a worker killed) falls back to drawing the maps here, with a logged warning."""
        global _GROUPS
        if self._result is not None:
            return self._result
        paths = self._paths
        if self._pool is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                done = {k: f.result() for k, f in self._futures.items()}
                paths = [done[k] for k in range(len(self._jobs))]
            except (BrokenProcessPool, OSError) as exc:
                log.warning("map workers failed (%s); drawing the maps in this process", exc)
                paths = None
            finally:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = self._futures = None
                _GROUPS = []
        if paths is None:
            paths = [_render_group(specs_, dpi_) for specs_, dpi_ in self._jobs]
        results: list = [None] * self._n
        for idx, ps in zip(self._order, paths):
            for i, p in zip(idx, ps):
                results[i] = p
        self._result = results
        return results

    def cancel(self) -> None:
        """Stop the workers: sheets not started are dropped, those being drawn finish (so no
        worker writes after this returns). Nothing happens once :meth:`wait` has returned."""
        global _GROUPS
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = self._futures = None
            _GROUPS = []


def _start_forked(jobs, n_proc: int):
    """A pool of ``n_proc`` forked workers drawing the sheets, and their futures by sheet
    index; (None, None) when the pool cannot start."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    global _GROUPS
    _GROUPS = jobs
    # what every worker draws with, imported once here rather than once in each worker
    import contourpy  # noqa: F401
    from PIL import ImageDraw, ImageFont  # noqa: F401

    from . import pillow_tiles  # noqa: F401

    # the longest jobs first, so that the workers finish together
    by_size = sorted(range(len(jobs)), key=lambda k: -_cost(jobs[k][0]))
    pool = None
    try:
        # with the fork start method every worker is forked at the first submit, so the
        # workers see _GROUPS as it is now; nothing but the sheet indices crosses
        pool = ProcessPoolExecutor(n_proc, mp_context=mp.get_context("fork"))
        futures = {k: pool.submit(_render_index, k) for k in by_size}
    except OSError as exc:
        log.warning("map workers failed to start (%s); drawing the maps in this process", exc)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        _GROUPS = []
        return None, None
    return pool, futures


def start_maps(specs: Sequence[MapSpec], *, dpi: int = MAP_DPI,
               processes: int | None = None, tasks: Sequence = ()) -> PendingMaps:
    """Start drawing every map of ``specs``; :meth:`PendingMaps.wait` gives their paths.

    ``tasks`` are other figures (:class:`FigureTask`), shared out to the same workers; their
    paths follow the specs' paths in :meth:`PendingMaps.wait`.

    Maps with the same ``sheet`` key are drawn on one :class:`MapSheet`, and the sheets whose
    keys start alike (an area's) by one worker, which draws the area's panel tiles once.
    With ``processes`` > 1 (default: :func:`default_processes`) and more than one job, the
    jobs are shared out to worker processes (forked, so nothing is pickled but the paths; Linux only, and only
    from a process without other Python threads) and this function returns at once, so the
    caller's own work overlaps the drawing; otherwise the maps are drawn here before it
    returns. Forked workers never run Numba kernels (a forked child must not start OpenMP).
    """
    groups: dict = {}
    for i, spec in enumerate(specs):
        groups.setdefault(spec.sheet[0] if spec.sheet else ("single", i), []).append(i)
    order = list(groups.values())
    jobs = [([specs[i] for i in idx], dpi) for idx in order]
    if tasks:  # one job: one worker imports Matplotlib's figure machinery for them all
        order.append([len(specs) + k for k in range(len(tasks))])
        jobs.append((tuple(tasks), dpi))
    specs = [*specs, *tasks]
    n_proc = default_processes() if processes is None else max(1, int(processes))
    n_proc = min(n_proc, len(order))
    log.debug("drawing %d maps on %d sheets with %d process(es)", len(specs), len(order), n_proc)
    if n_proc > 1 and can_fork():
        pool, futures = _start_forked(jobs, n_proc)
        if pool is not None:
            return PendingMaps(specs, order, jobs, n_proc, pool=pool, futures=futures)
    paths = [_render_group(specs_, dpi_) for specs_, dpi_ in jobs]
    return PendingMaps(specs, order, jobs, 1, paths=paths)


def render_maps(specs: Sequence[MapSpec], *, dpi: int = MAP_DPI,
                processes: int | None = None) -> list[Path]:
    """Draw every map of ``specs``; the PNG paths in the order of ``specs``
    (:func:`start_maps`, then :meth:`PendingMaps.wait`). A broken pool (a worker killed)
    falls back to drawing here, with a logged warning.
    """
    return start_maps(specs, dpi=dpi, processes=processes).wait()
