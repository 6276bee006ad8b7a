"""Line charts drawn with Pillow from a description, and the drawing primitives they share
with the polar diagram (:mod:`.polar`).

A report's charts (the hours of the night: the share of each area unwatched at night, hour
by hour, per variant) are always the same kind of thing: panels of lines over labelled
categories, a percentage axis on the left, one more quantity on the right, a legend. Drawing
them with Matplotlib's figure machinery cost a map worker half a second (a fifth of it the
import alone), more than all maps of an area. :class:`LineChart` says what a chart shows (a
test reads it instead of pixels) and :func:`draw_line_chart` draws it, in the fonts, line
widths and dash patterns Matplotlib would use (DejaVu Sans; 1.5 pt lines; ``"--"`` and
``":"`` scaled by the line width). Everything is drawn at twice the size and reduced, so
edges and text are smoothed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .colourbar import _labels, _side_label, auto_ticks, font
from .raster import png_bytes

__all__ = ["Series", "ChartPanel", "LineChart", "draw_line_chart", "TAB10", "Canvas", "rgb",
           "value_range"]

#: Matplotlib's default colour cycle (``"C0"`` ... ``"C9"``).
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
         "#7f7f7f", "#bcbd22", "#17becf")

#: Drawn this many times larger, then reduced (smooth lines and text).
SUPERSAMPLE = 2

#: Dash patterns in line widths (Matplotlib's ``lines.dashed_pattern``, ``dotted_pattern``).
DASHES = {"solid": None, "dashed": (3.7, 1.6), "dotted": (1.0, 1.65)}

_BLACK = (0, 0, 0)


@dataclass(frozen=True)
class Series:
    """One line: its legend label, values (one per category; NaN leaves a gap), colour
    (``"#rrggbb"``), dash (``"solid"``, ``"dashed"`` or ``"dotted"``), whether each value
    gets a dot, and whether it is read on the right-hand axis."""

    label: str
    y: np.ndarray
    colour: str
    dash: str = "solid"
    marker: bool = False
    right: bool = False


@dataclass(frozen=True)
class ChartPanel:
    """One panel: title, category labels along x, the left axis' label and range, its lines,
    and the right axis' label and range (``right_range`` None: no right axis)."""

    title: str
    x_labels: tuple
    y_label: str
    y_range: tuple
    series: tuple
    right_label: str = ""
    right_range: tuple | None = None


@dataclass(frozen=True)
class LineChart:
    """Panels in rows of up to three, each ``panel_size`` [in], and the legend below them
    (``legend``: the :class:`Series` whose label, colour, dash and dot it shows, filled row
    by row in ``legend_columns``)."""

    panels: tuple
    legend: tuple
    panel_size: tuple = (5.8, 3.2)
    legend_columns: int = 2


def rgb(colour: str) -> tuple:
    """``"#rrggbb"`` as an (r, g, b) tuple of 0-255."""
    c = colour.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


def value_range(values: np.ndarray, margin: float = 0.05) -> tuple:
    """(lo, hi) of the finite ``values`` widened by ``margin`` of their span on each side
    (Matplotlib's automatic axis margins); a flat or empty series gets a span of its own."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return (0.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo
    if span <= 1e-12 * max(1.0, abs(hi)):
        half = 0.05 * abs(hi) if hi else 0.5
        return (lo - half, hi + half)
    return (lo - margin * span, hi + margin * span)


class Canvas:
    """A white Pillow image ``size`` [in] at ``dpi``, drawn :data:`SUPERSAMPLE` times larger;
    lengths in points (``pt``), coordinates in the large image's pixels. :meth:`save` reduces
    it and writes a PNG."""

    def __init__(self, size: tuple, dpi: int):
        from PIL import Image, ImageDraw

        self.dpi = dpi
        self.px = dpi / 72.0 * SUPERSAMPLE  # large-image pixels per point
        self.width = int(round(size[0] * dpi)) * SUPERSAMPLE
        self.height = int(round(size[1] * dpi)) * SUPERSAMPLE
        self.image = Image.new("RGB", (self.width, self.height), (255, 255, 255))
        self.draw = ImageDraw.Draw(self.image)

    def font(self, size_pt: float):
        return font(max(int(round(size_pt * self.px)), 6))

    def width_of(self, lw_pt: float) -> int:
        return max(1, int(round(lw_pt * self.px)))

    def line(self, xy: np.ndarray, colour: tuple, lw_pt: float, dash: str = "solid") -> None:
        """A polyline through the (n, 2) pixels ``xy`` (NaN rows break it), dashed along its
        length as Matplotlib dashes it."""
        xy = np.asarray(xy, dtype=np.float64)
        ok = np.isfinite(xy).all(axis=1)
        breaks = np.flatnonzero(np.diff(ok.astype(np.int8)) != 0) + 1
        for part in np.split(np.arange(len(xy)), breaks):
            if part.size > 1 and ok[part[0]]:
                self._piece(xy[part], colour, lw_pt, DASHES[dash])

    def _piece(self, xy: np.ndarray, colour: tuple, lw_pt: float, pattern) -> None:
        width = self.width_of(lw_pt)
        if pattern is None:
            self.draw.line([tuple(p) for p in xy], fill=colour, width=width, joint="curve")
            return
        on, off = (k * lw_pt * self.px for k in pattern)
        s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        if s[-1] <= 0:
            return
        # the line sampled every pixel, kept where the pattern is "on"
        t = np.union1d(np.arange(0.0, s[-1], 1.0), s)
        pts = np.column_stack([np.interp(t, s, xy[:, 0]), np.interp(t, s, xy[:, 1])])
        lit = np.mod(t, on + off) < on
        edges = np.flatnonzero(np.diff(lit.astype(np.int8)) != 0) + 1
        for run in np.split(np.arange(t.size), edges):
            if lit[run[0]] and run.size > 1:
                self.draw.line([tuple(p) for p in pts[run]], fill=colour, width=width)

    def dots(self, xy: np.ndarray, colour: tuple, size_pt: float) -> None:
        """Filled circles ``size_pt`` across at the finite rows of ``xy``."""
        r = 0.5 * size_pt * self.px
        for x, y in xy[np.isfinite(xy).all(axis=1)]:
            self.draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)

    def text(self, xy, text: str, size_pt: float, anchor: str = "la") -> tuple:
        """``text`` at ``xy`` (Pillow's ``anchor``); its bounding box."""
        fnt = self.font(size_pt)
        self.draw.text(xy, text, font=fnt, anchor=anchor, fill=_BLACK)
        return self.draw.textbbox(xy, text, font=fnt, anchor=anchor)

    def side_text(self, text: str, x: float, y_mid: float, size_pt: float) -> None:
        """``text`` turned a quarter to the left, its top at ``x``, centred on ``y_mid``."""
        _side_label(self.image, text, x, y_mid, self.font(size_pt))

    def turned_text(self, text: str, x: float, y: float, size_pt: float, angle: float) -> None:
        """``text`` turned ``angle`` degrees to the left, its upper right corner at (x, y)
        (tick labels under an axis that read upwards)."""
        from PIL import Image, ImageDraw

        fnt = self.font(size_pt)
        l, t, r, b = (int(np.floor(v)) for v in self.draw.textbbox((0, 0), text, font=fnt))
        tile = Image.new("L", (r - l + 3, b - t + 3), 0)
        ImageDraw.Draw(tile).text((1 - l, 1 - t), text, font=fnt, fill=255)
        tile = tile.rotate(angle, expand=True, resample=Image.BICUBIC)
        ink = Image.new("RGB", tile.size, _BLACK)
        self.image.paste(ink, (int(round(x - tile.size[0])), int(round(y))), tile)

    def _legend_columns(self, entries: tuple, columns: int) -> tuple:
        """(left offsets of the columns and the legend's width [px], rows) of a legend."""
        em = 7 * self.px
        handle, pad, gap = 2.0 * em, 0.8 * em, 1.6 * em
        fnt = self.font(7)
        cols = max(1, min(columns, len(entries)))
        widths = [0.0] * cols
        for i, e in enumerate(entries):
            widths[i % cols] = max(widths[i % cols], self.draw.textlength(e.label, font=fnt))
        lefts = np.concatenate([[0.0], np.cumsum([handle + pad + w + gap for w in widths])])
        return lefts, -(-len(entries) // cols)

    def legend_width(self, entries: tuple, columns: int) -> float:
        """The width [px] :meth:`legend` takes."""
        lefts, _ = self._legend_columns(entries, columns)
        return float(lefts[-1] - 1.6 * 7 * self.px)

    def legend(self, entries: tuple, x: float, y: float, columns: int,
               title: str = "") -> None:
        """A legend of :class:`Series`-like entries (label, colour, dash, marker) from its top
        left (x, y), filled row by row in ``columns``, under an optional ``title``."""
        em = 7 * self.px
        handle, pad, row_h = 2.0 * em, 0.8 * em, 1.5 * em
        if title:
            self.text((x + handle / 2.0, y + row_h / 2.0), title, 7, "mm")
            y += row_h
        lefts, _ = self._legend_columns(entries, columns)
        cols = len(lefts) - 1
        for i, e in enumerate(entries):
            row, col = divmod(i, cols)
            x0, ym = x + lefts[col], y + (row + 0.5) * row_h
            c = rgb(e.colour)
            self.line(np.array([[x0, ym], [x0 + handle, ym]]), c, 1.5, e.dash)
            if getattr(e, "marker", False):
                self.dots(np.array([[x0 + handle / 2.0, ym]]), c, 3.0)
            self.draw.text((x0 + handle + pad, ym), e.label, font=self.font(7), anchor="lm",
                           fill=_BLACK)

    def save(self, path) -> Path:
        """Reduce to the final size and write a PNG; the path."""
        small = self.image.reduce(SUPERSAMPLE)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(np.asarray(small), self.dpi))
        return path


# a panel's margins [in]: tick labels and axis label left, right axis, title, turned labels
_LEFT, _RIGHT, _RIGHT_BARE, _TOP, _BOTTOM = 0.75, 0.8, 0.15, 0.35, 0.55


def _ticks(canvas: Canvas, lo, hi, length_px, to_px, side: str, x_edge: float) -> float:
    """Ticks and labels of a vertical axis on ``side`` at ``x_edge``; the widest label [px]."""
    ticks = auto_ticks(lo, hi, length_px / canvas.px, 2.0)
    fnt = canvas.font(7)
    tick, pad = 3.5 * canvas.px, 2.0 * canvas.px
    sign = -1.0 if side == "left" else 1.0
    widest = 0.0
    for v, text in zip(ticks, _labels(ticks)):
        y = to_px(v)
        canvas.draw.line([(x_edge, y), (x_edge + sign * tick, y)], fill=_BLACK,
                         width=canvas.width_of(0.8))
        at = (x_edge + sign * (tick + pad), y)
        canvas.text(at, text, 7, "rm" if side == "left" else "lm")
        widest = max(widest, canvas.draw.textlength(text, font=fnt))
    return widest


def _panel(canvas: Canvas, p: ChartPanel, left: float, top: float, size: tuple) -> None:
    """Draw panel ``p`` in the cell whose top left is (left, top) [px], ``size`` [in]."""
    k = canvas.dpi * SUPERSAMPLE
    x0 = left + _LEFT * k
    x1 = left + (size[0] - (_RIGHT if p.right_range is not None else _RIGHT_BARE)) * k
    y0, y1 = top + _TOP * k, top + (size[1] - _BOTTOM) * k
    n = len(p.x_labels)
    xlo, xhi = (-0.5, 0.5) if n < 2 else (-0.05 * (n - 1), 1.05 * (n - 1))
    xs = x0 + (np.arange(n) - xlo) / (xhi - xlo) * (x1 - x0)

    def y_of(rng):
        lo, hi = rng
        return lambda v: y1 - (np.asarray(v, dtype=np.float64) - lo) / (hi - lo) * (y1 - y0)

    left_y = y_of(p.y_range)
    right_y = y_of(p.right_range) if p.right_range is not None else None
    for s in p.series:  # the right axis' lines first, under the others (as twinx draws them)
        if s.right and right_y is not None:
            canvas.line(np.column_stack([xs, right_y(s.y)]), rgb(s.colour), 1.5, s.dash)
    for s in p.series:
        if not s.right:
            xy = np.column_stack([xs, left_y(s.y)])
            canvas.line(xy, rgb(s.colour), 1.5, s.dash)
            if s.marker:
                canvas.dots(xy, rgb(s.colour), 3.0)
    canvas.draw.rectangle([x0, y0, x1, y1], outline=_BLACK, width=canvas.width_of(0.8))
    tick = 3.5 * canvas.px
    for x, text in zip(xs, p.x_labels):
        canvas.draw.line([(x, y1), (x, y1 + tick)], fill=_BLACK, width=canvas.width_of(0.8))
        canvas.turned_text(text, x + 2 * canvas.px, y1 + tick + 1.5 * canvas.px, 7, 60)
    widest = _ticks(canvas, *p.y_range, y1 - y0, left_y, "left", x0)
    label_h = canvas.draw.textbbox((0, 0), p.y_label, font=canvas.font(8))
    label_h = label_h[3] - label_h[1]
    canvas.side_text(p.y_label, x0 - tick - 2 * canvas.px - widest - 4 * canvas.px - label_h,
                     (y0 + y1) / 2.0, 8)
    if right_y is not None:
        widest = _ticks(canvas, *p.right_range, y1 - y0, right_y, "right", x1)
        canvas.side_text(p.right_label, x1 + tick + 2 * canvas.px + widest + 4 * canvas.px,
                         (y0 + y1) / 2.0, 7)
    canvas.text(((x0 + x1) / 2.0, y0 - 6 * canvas.px), p.title, 9, "ms")


def draw_line_chart(chart: LineChart, path, dpi: int) -> Path:
    """Draw ``chart`` into a PNG at ``path`` (``dpi``); the path."""
    pw, ph = chart.panel_size
    n = len(chart.panels)
    ncols = max(1, min(n, 3))
    nrows = -(-n // ncols)
    per_row = min(len(chart.legend), chart.legend_columns) or 1
    legend_in = 0.15 + (-(-len(chart.legend) // per_row)) * 1.5 * 7 / 72.0
    canvas = Canvas((0.06 + ncols * pw, nrows * ph + legend_in), dpi)
    k = dpi * SUPERSAMPLE
    for i, p in enumerate(chart.panels):
        r, c = divmod(i, ncols)
        _panel(canvas, p, (0.06 + c * pw) * k, r * ph * k, chart.panel_size)
    if chart.legend:
        w = canvas.legend_width(chart.legend, per_row)  # centred under the panels
        canvas.legend(chart.legend, (canvas.width - w) / 2.0, nrows * ph * k + 0.05 * k, per_row)
    return canvas.save(path)
