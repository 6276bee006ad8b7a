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
the city's collections, ticks, titles and the legend was most of the time of every map.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .maps import (_draw_values, add_colorbar, draw_context, finish_figure, map_figure, plan_map,
                   update_colorbar)
from .furniture import add_legend
from .style import MAP_DPI, MapScale

__all__ = ["MapPanel", "MapSpec", "MapSheet", "render_maps", "default_processes"]

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


def _draw_plain(spec: MapSpec, dpi: int) -> Path:
    """Draw one map the ordinary way (a figure of its own)."""
    grid = spec.panels[0].field.grid
    has = any(p.scene is not None or p.luminaires or p.observers is not None
              for p in spec.panels)
    fig, axes = map_figure(grid, len(spec.panels), symbols=has)
    m = None
    for ax, p in zip(axes, spec.panels):
        m = plan_map(ax, p.field, values=p.values, scene=p.scene, luminaires=p.luminaires,
                     scale=spec.scale, contours=spec.contours, title=p.title,
                     observers=p.observers)
    finish_figure(fig, axes, m, spec.scale)
    return _write_png(fig, spec.path, dpi, full=True)


def _write_png(fig, path: Path, dpi: int, *, full: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if full:
        fig.savefig(path, dpi=dpi, facecolor="white")
        return path
    from PIL import Image

    w, h = fig.canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (w, h), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    # zlib level 2: as small as the default level 6 within 20 %, and a third faster
    img.convert("RGB").save(path, format="png", dpi=(dpi, dpi), compress_level=2)
    return path


class MapSheet:
    """Panels with their context drawn once; :meth:`draw` puts one map's values on them.

    Parameters
    ----------
    panels : sequence of MapPanel
        The panels of the first map (their grids, titles and context are kept).
    dpi : int
        Resolution of the PNG files.
    """

    def __init__(self, panels: Sequence[MapPanel], *, dpi: int = MAP_DPI):
        self.grids = [p.field.grid for p in panels]
        self.dpi = dpi
        has = any(p.scene is not None or p.luminaires or p.observers is not None
                  for p in panels)
        fig, axes = map_figure(self.grids[0], len(panels), symbols=has)
        fig.set_dpi(dpi)
        self.fig, self.axes = fig, axes
        self.over: list = []
        for ax, p in zip(axes, panels):
            draw_context(ax, p.field.grid, scene=p.scene, luminaires=p.luminaires,
                         observers=p.observers, title=p.title)
            # what lies over the values is redrawn on every map; the scale bar and north arrow
            # sit in the margin around the grid (plan_map pads it by 8 %), never under values
            over = [a for a in (*ax.collections, *ax.patches, *ax.texts)
                    if a.get_zorder() > 1.5 and a.get_gid() not in ("scale_bar", "north_arrow")]
            for a in over:
                a.set_animated(True)
            self.over.append(sorted(over, key=lambda a: a.get_zorder()))
        add_legend(fig, axes)
        self.colorbar = None
        fig.canvas.draw()
        self.background = fig.canvas.copy_from_bbox(fig.bbox)

    def fits(self, spec: MapSpec) -> bool:
        """Whether ``spec`` has this sheet's panels (same grids, in order)."""
        return (len(spec.panels) == len(self.grids)
                and all(p.field.grid is g for p, g in zip(spec.panels, self.grids)))

    def draw(self, spec: MapSpec) -> Path:
        """Draw the values of ``spec`` on the sheet and write its PNG."""
        fig = self.fig
        fig.canvas.restore_region(self.background)
        added, mappable = [], None
        for ax, p, over in zip(self.axes, spec.panels, self.over):
            before = {id(a) for a in (*ax.images, *ax.collections)}
            vals = p.field.values if p.values is None else np.asarray(p.values, np.float64)
            mappable = _draw_values(ax, p.field.grid, vals, spec.scale, spec.contours)
            new = [a for a in (*ax.images, *ax.collections) if id(a) not in before]
            for a in sorted(new, key=lambda a: a.get_zorder()):
                a.set_animated(True)
                fig.draw_artist(a)
            for a in over:
                fig.draw_artist(a)
            added += new
        # one colour bar per sheet, updated map by map (creating its axes and ticks anew was
        # half the time of a map)
        cb = self.colorbar
        if cb is None or not update_colorbar(cb, mappable, spec.scale):
            if cb is not None:
                cb.ax.remove()
            cb = self.colorbar = add_colorbar(fig, mappable, self.axes, spec.scale)
            cb.ax.set_animated(True)
        fig.draw_artist(cb.ax)
        path = _write_png(fig, spec.path, self.dpi)
        for a in added:
            a.remove()
        return path


def _render_group(specs: Sequence[MapSpec], dpi: int) -> list[Path]:
    sheet = None
    out = []
    for spec in specs:
        if sheet is None:
            sheet = MapSheet(spec.panels, dpi=dpi)
        if sheet.fits(spec):
            out.append(sheet.draw(spec))
        else:
            out.append(_draw_plain(spec, dpi))
    return out


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


def _can_fork() -> bool:
    """Fork only on Linux and only from a process without other Python threads (a lock held
    by another thread at the fork would stay locked in the worker). tqdm's monitor thread,
    which any progress bar starts, is let through: it only sleeps and checks tqdm's own bars,
    which the workers never use."""
    import threading

    others = [t for t in threading.enumerate()
              if t is not threading.main_thread() and t.name != "tqdm_monitor"]
    return sys.platform.startswith("linux") and not others


def _render_forked(jobs, n_proc: int):
    """The sheets drawn by ``n_proc`` forked workers; None when the pool broke (then the
    caller draws them here)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _GROUPS
    _GROUPS = jobs
    # the biggest sheets first, so that the workers finish together
    by_size = sorted(range(len(jobs)), key=lambda k: -len(jobs[k][0]))
    try:
        with ProcessPoolExecutor(n_proc, mp_context=mp.get_context("fork")) as pool:
            done = dict(zip(by_size, pool.map(_render_index, by_size)))
    except (BrokenProcessPool, OSError) as exc:
        log.warning("map workers failed (%s); drawing the maps in this process", exc)
        return None
    finally:
        _GROUPS = []
    return [done[k] for k in range(len(jobs))]


def render_maps(specs: Sequence[MapSpec], *, dpi: int = MAP_DPI,
                processes: int | None = None) -> list[Path]:
    """Draw every map of ``specs``; the PNG paths in the order of ``specs``.

    Maps with the same ``sheet`` key are drawn on one :class:`MapSheet`. With ``processes``
    > 1 (default: :func:`default_processes`) and more than one sheet, the sheets are shared
    out to worker processes (forked, so nothing is pickled but the paths; Linux only, and only
    from a process without other Python threads). A broken pool (a worker killed) falls back
    to drawing here, with a logged warning.
    """
    groups: dict = {}
    for i, spec in enumerate(specs):
        groups.setdefault(spec.sheet or ("single", i), []).append(i)
    order = list(groups.values())
    n_proc = default_processes() if processes is None else max(1, int(processes))
    n_proc = min(n_proc, len(order))
    results: list = [None] * len(specs)
    jobs = [([specs[i] for i in idx], dpi) for idx in order]
    paths = None
    if n_proc > 1 and _can_fork():
        paths = _render_forked(jobs, n_proc)
    if paths is None:
        paths = [_render_group(specs_, dpi_) for specs_, dpi_ in jobs]
    for idx, ps in zip(order, paths):
        for i, p in zip(idx, ps):
            results[i] = p
    log.debug("drew %d maps on %d sheets with %d process(es)", len(specs), len(order), n_proc)
    return results
