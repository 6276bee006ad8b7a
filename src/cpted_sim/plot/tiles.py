"""Map panels drawn once per process and laid out into map sheets by the pixel.

A report draws the same panel context many times: an area's base, its variants, the
difference panels (each on its variant's city) and the maps of the hours of the night (on
the base's) all show one of a few contexts, only with other values and titles. A
:class:`PanelTile` is one such context drawn by Matplotlib in a figure of the panel's own
size (the cell the panel takes in :func:`~cpted_sim.plot.style.new_figure`): what lies under
the values as pixels, what lies over them as pixels with their transparency, and where the
values go. Tiles are kept per process (:func:`panel_tile`), so a sheet's set-up is a
matter of pasting tiles and a legend strip (:func:`legend_strip`), and the titles are
written per map (:func:`write_title`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from .colourbar import font
from .maps import _elevation_axis, _is_raster, elevation_index, panel_layout, view_kind
from .raster import OverLayer, PanelPixels, raster_index
from .style import sheet_geometry

__all__ = ["PanelTile", "panel_tile", "legend_strip", "write_title", "Dots", "SheetLayout",
           "sheet_layout", "placement"]


class Dots:
    """The dots of a point grid (a route, façade points too sparse for an image) in one
    panel, as Matplotlib's ``scatter`` of :func:`~cpted_sim.plot.maps.plan_map` places
    them: every pixel each dot covers is worked out once (a disc, or a square, of the dot's
    size around its pixel centre, clipped to the panel), so that a map paints its dots in one
    indexing step. ``rim``: a one-pixel ring darkened by 45 % (the dots' thin dark edge)."""

    def __init__(self, ax, height: int, x, y, size_pt2: float, dpi: float, *, rim: bool,
                 square: bool):
        xy = ax.transData.transform(np.column_stack([x, y]))
        box = ax.bbox
        r = max(0.5, 0.5 * np.sqrt(size_pt2) * dpi / 72.0)
        k = int(np.ceil(r))
        dy, dx = np.mgrid[-k:k + 1, -k:k + 1]
        d = np.maximum(np.abs(dx), np.abs(dy)) if square else np.hypot(dx, dy)
        disc, ring = d <= r, (d <= r) & (d > r - 1.0)
        cols = np.floor(xy[:, 0]).astype(np.int64)
        rows = np.floor(height - xy[:, 1]).astype(np.int64)
        r0, r1 = int(np.ceil(height - box.y1)), int(np.floor(height - box.y0))
        c0, c1 = int(np.ceil(box.x0)), int(np.floor(box.x1))

        def stamp(mask):
            pr = rows[:, None] + dy[mask][None, :]
            pc = cols[:, None] + dx[mask][None, :]
            point = np.broadcast_to(np.arange(xy.shape[0])[:, None], pr.shape)
            ok = (pr >= r0) & (pr < r1) & (pc >= c0) & (pc < c1)
            return pr[ok], pc[ok], point[ok]

        self.rows, self.cols, self.point = stamp(disc)
        self.ring = stamp(ring) if rim else None

    def shifted(self, left: int, top: int) -> Dots:
        """The same dots placed at (``left``, ``top``) of a bigger canvas."""
        out = object.__new__(Dots)
        out.rows, out.cols, out.point = self.rows + top, self.cols + left, self.point
        out.ring = (None if self.ring is None
                    else (self.ring[0] + top, self.ring[1] + left, self.ring[2]))
        return out

    def paint(self, canvas: np.ndarray, colours: np.ndarray) -> None:
        """Paint the dots in the colours of :func:`~cpted_sim.plot.raster.rgba_of` (points
        without a value, alpha 0, are left out)."""
        ok = colours[self.point, 3] > 0
        canvas[self.rows[ok], self.cols[ok]] = colours[self.point[ok], :3]
        if self.ring is not None:
            rr, rc, rp = self.ring
            ok = colours[rp, 3] > 0
            under = canvas[rr[ok], rc[ok]].astype(np.float32)
            canvas[rr[ok], rc[ok]] = (under * 0.55 + 0.5).astype(np.uint8)


def placement(ax, grid, height: int, dpi: float):
    """How a panel's values reach its pixels: :class:`~cpted_sim.plot.raster.PanelPixels`
    (plan rasters, façade images) or :class:`Dots` (other point grids)."""
    if _is_raster(grid):
        return PanelPixels(ax, height, *raster_index(grid))
    pts = grid.points
    size = 22 if pts.shape[0] < 500 else 8 if pts.shape[0] < 5000 else 3
    axis = _elevation_axis(grid)
    if axis is not None:
        s = (pts[:, :2] - pts[:, :2].mean(axis=0)) @ axis
        got = elevation_index(s, pts[:, 2])
        if got is not None:
            return PanelPixels(ax, height, *got)
        return Dots(ax, height, s, pts[:, 2], size, dpi, rim=False, square=True)
    return Dots(ax, height, pts[:, 0], pts[:, 1], size, dpi, rim=size > 5, square=False)


@dataclass
class PanelTile:
    """One panel's context, drawn (see the module docstring).

    Attributes
    ----------
    rgb : (h, w, 3) uint8
        The panel's cell without values and without what lies over them.
    over : OverLayer
        Vegetation, walls, the area's outline, luminaires and observers, with their alpha.
    place : PanelPixels or Dots
        Where the values go.
    ax : matplotlib.axes.Axes
        The panel (its transform maps metres to the tile's pixels; its artists, such as the
        scale bar and north arrow, can be inspected).
    symbols : list of str
        The legend symbols the panel shows.
    title_at : (float, float)
        Where the title's baseline centre goes [px in the tile].
    furniture : dict
        What the panel's furniture shows: ``scale_bar`` (its label), ``scale_bar_length``
        [m], ``scale_bar_px`` (drawn length [px]) and ``north_arrow`` (``"N"``), for plan
        panels; empty for façades (metre axes instead).
    """

    rgb: np.ndarray
    over: OverLayer
    place: object
    ax: object
    symbols: list
    title_at: tuple
    furniture: dict


#: Tiles drawn in this process: key -> (weak references to what the key names, tile).
_TILES: dict = {}


def _key(panel, size, ticks, dpi):
    lums = tuple(id(x) for x in panel.luminaires)
    return (id(panel.field.grid), id(panel.scene), lums, id(panel.observers), size, ticks, dpi)


def panel_tile(panel, size, ticks: bool, dpi: int) -> PanelTile:
    """The tile of ``panel``'s context in a cell of ``size`` [in] (drawn once per process
    for the same grid, scene, luminaires and observers): plan panels by Pillow
    (:mod:`~cpted_sim.plot.pillow_tiles`): in plan, or façades in elevation (``ticks``)."""
    from .pillow_tiles import facade_tile, plan_tile

    key = _key(panel, size, ticks, dpi)
    hit = _TILES.get(key)
    if hit is not None and all(r() is not None for r in hit[0]):
        return hit[1]
    axis = _elevation_axis(panel.field.grid) if ticks else None
    tile = (facade_tile(panel, size, dpi, axis) if axis is not None
            else plan_tile(panel, size, dpi))
    refs = []
    for obj in (panel.field.grid, panel.scene, panel.observers):
        if obj is None:
            continue
        try:
            refs.append(weakref.ref(obj))
        except TypeError:  # an observer array: ids may be reused, so no caching
            return tile
    if len(_TILES) > 64:
        _TILES.clear()
    _TILES[key] = (refs, tile)
    return tile


_LEGENDS: dict = {}


def _legend_handle(draw, key: str, x: float, y_mid: float, w: float, px_per_pt: float) -> None:
    """The legend symbol of ``key`` in a box ``w`` wide from ``x``, centred on ``y_mid``
    (Matplotlib's handles: a patch, a dashed line, a marker)."""
    from .pillow_tiles import _dashed, _markers, _rgba
    from .style import LAND_COVER_STYLE, MARKER_STYLE

    if key in LAND_COVER_STYLE:
        h = 0.7 * 7 * px_per_pt / 2.0
        edge = (0x4a, 0x4a, 0x4a, 255) if key == "building" else None
        draw.rectangle([x, y_mid - h, x + w, y_mid + h], fill=_rgba(LAND_COVER_STYLE[key][0]),
                       outline=edge, width=max(1, int(round(0.6 * px_per_pt))))
    elif key == "outline":
        _, lw, colour, _, _ = MARKER_STYLE[key]
        unit = lw * px_per_pt
        _dashed(draw, np.array([[[x, y_mid], [x + w, y_mid]]]), _rgba(colour),
                max(1, int(round(unit))), 3.7 * unit, 1.6 * unit)
    else:
        _markers(draw, key, np.array([[x + w / 2.0, y_mid]]), px_per_pt)


def legend_strip(keys: tuple, width_in: float, height_in: float, dpi: int) -> tuple:
    """(pixels, labels) of the legend of ``keys`` below the panels of a sheet ``width_in``
    wide, in a strip ``height_in`` high, laid out as
    :func:`~cpted_sim.plot.furniture.add_legend` lays it out (five columns filled column by
    column, 7 pt labels, centred at the bottom); drawn once per process per keys and size."""
    key = (keys, width_in, height_in, dpi)
    hit = _LEGENDS.get(key)
    if hit is not None:
        return hit
    from PIL import Image, ImageDraw

    from .furniture import LEGEND_COLUMNS, label_of

    width, height = int(round(width_in * dpi)), int(round(height_in * dpi))
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img, "RGBA")
    px_per_pt = dpi / 72.0
    em = 7 * px_per_pt
    fnt = font(max(int(round(em)), 6))
    labels = [label_of(k) for k in keys]
    ncols = min(len(keys), LEGEND_COLUMNS)
    nrows = int(np.ceil(len(keys) / ncols))
    # column-major, as Matplotlib fills a legend's columns
    cols = [list(range(c * nrows, min((c + 1) * nrows, len(keys)))) for c in range(ncols)]
    cols = [c for c in cols if c]
    handle, pad, gap = 1.6 * em, 0.8 * em, 1.2 * em
    widths = [handle + pad + max(draw.textlength(labels[i], font=fnt) for i in c) for c in cols]
    total = sum(widths) + gap * (len(cols) - 1)
    row_h = em * 1.5  # a label's height and Matplotlib's label spacing (0.5 em)
    bottom = height - 0.2 * em - 0.4 * em  # borderaxespad and the legend's own border
    x = (width - total) / 2.0
    for c, w in zip(cols, widths):
        for r, i in enumerate(c):
            y_mid = bottom - (nrows - r - 0.5) * row_h
            _legend_handle(draw, keys[i], x, y_mid, handle, px_per_pt)
            draw.text((x + handle + pad, y_mid), labels[i], font=fnt, anchor="lm",
                      fill=(0, 0, 0, 255))
        x += w + gap
    out = (np.asarray(img).copy(), labels)
    _LEGENDS[key] = out
    return out


def write_title(image, text: str, at: tuple, dpi: int) -> None:
    """A panel title (9 pt, as ``ax.set_title(..., fontsize=9)``) on ``image``, its baseline
    centred on ``at`` [px]."""
    from .colourbar import paste_text

    paste_text(image, at, text, font(max(int(round(9 * dpi / 72.0)), 6)), "ms")


@dataclass(frozen=True)
class SheetLayout:
    """Where the parts of a map sheet go [px]: panel cells (left, top), the cell size, the
    colour bar (left, top, width, height), the legend strip's top and its size [in]."""

    width: int
    height: int
    cells: tuple
    cell: tuple
    size_in: tuple
    ticks: bool
    colourbar: tuple
    legend_top: int
    legend_in: tuple


def sheet_layout(grid, n: int, legend: bool, dpi: int) -> SheetLayout:
    """The layout of a sheet of ``n`` panels of ``grid`` (the geometry of
    :func:`~cpted_sim.plot.maps.map_figure`, in whole pixels)."""
    size, ncols = panel_layout(grid, n)
    ticks = view_kind(grid) == "elevation"
    rows = ((2 if legend else 1) if not ticks else (1 if legend else 0))
    g = sheet_geometry(n, size, ncols, ticks, rows)
    px = lambda v: int(round(v * dpi))  # noqa: E731 - inches to whole pixels
    cw, ch = px(size[0]), px(size[1])
    cells = tuple((px(0.06) + c * cw, r * ch) for r, c in (divmod(i, g.ncols) for i in range(n)))
    width = px(0.06) + g.ncols * cw + px(g.right)
    legend_h = px(g.bottom)
    height = g.nrows * ch + legend_h
    bx, by, bw, bh = g.colourbar
    bar = (px(0.06) + g.ncols * cw + px(0.15), height - px(by + bh), px(bw), px(bh))
    return SheetLayout(width, height, cells, (cw, ch), size, ticks, bar, height - legend_h,
                       (width / dpi, legend_h / dpi))
