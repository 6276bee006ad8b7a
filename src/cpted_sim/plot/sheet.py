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
import struct
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .maps import (_draw_values, add_colorbar, draw_context, finish_figure, map_figure, plan_map,
                   update_colorbar)
from .furniture import add_legend
from .style import MAP_DPI, MapScale

__all__ = ["MapPanel", "MapSpec", "MapSheet", "PendingMaps", "render_maps", "start_maps",
           "default_processes"]

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
    rgba = np.asarray(fig.canvas.buffer_rgba())
    path.write_bytes(png_bytes(rgba, dpi))
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bytes(rgba: np.ndarray, dpi: int) -> bytes:
    """A PNG file (8-bit RGB, no filter, zlib level 2) of an (h, w, 4) uint8 image.

    Maps are mostly flat colours: without PNG's per-row filters, zlib level 2 packs them as
    small as Pillow's adaptive filters do (within 3 %) in 60 % of the time (7 ms against
    12 ms per map of the demo), and no RGB copy of the canvas is made first.
    """
    h, w = rgba.shape[:2]
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type None on every row
    raw[:, 1:].reshape(h, w, 3)[...] = rgba[..., :3]
    ppm = int(round(dpi / 0.0254))
    return b"".join((b"\x89PNG\r\n\x1a\n",
                     _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
                     _png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
                     _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 2)),
                     _png_chunk(b"IEND", b"")))


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
    by another thread at the fork would stay locked in the worker). tqdm's monitor thread is
    let pass: it only ever takes tqdm's own lock, which the workers never use, and tqdm (4.70)
    never stops it once a bar has been shown, so every command-line run has one."""
    import threading

    others = [t for t in threading.enumerate()
              if t is not threading.current_thread() and type(t).__name__ != "TMonitor"]
    return (sys.platform.startswith("linux") and not others
            and threading.current_thread() is threading.main_thread())


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
    # the biggest sheets first, so that the workers finish together
    by_size = sorted(range(len(jobs)), key=lambda k: -len(jobs[k][0]))
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
               processes: int | None = None) -> PendingMaps:
    """Start drawing every map of ``specs``; :meth:`PendingMaps.wait` gives their paths.

    Maps with the same ``sheet`` key are drawn on one :class:`MapSheet`. With ``processes``
    > 1 (default: :func:`default_processes`) and more than one sheet, the sheets are shared
    out to worker processes (forked, so nothing is pickled but the paths; Linux only, and only
    from a process without other Python threads) and this function returns at once, so the
    caller's own work overlaps the drawing; otherwise the maps are drawn here before it
    returns. Forked workers never run Numba kernels (a forked child must not start OpenMP).
    """
    groups: dict = {}
    for i, spec in enumerate(specs):
        groups.setdefault(spec.sheet or ("single", i), []).append(i)
    order = list(groups.values())
    n_proc = default_processes() if processes is None else max(1, int(processes))
    n_proc = min(n_proc, len(order))
    jobs = [([specs[i] for i in idx], dpi) for idx in order]
    log.debug("drawing %d maps on %d sheets with %d process(es)", len(specs), len(order), n_proc)
    if n_proc > 1 and _can_fork():
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
