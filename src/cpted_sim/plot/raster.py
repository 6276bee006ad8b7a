"""Map values put straight into a sheet's pixels: cells, façade images and dots, with numpy.

A :class:`~cpted_sim.plot.sheet.MapSheet` draws the context of its panels once with
Matplotlib; every map after that only changes the values and the colour bar. Drawing those
through Matplotlib's artists (an image resampled, contours traced, a colour bar's axis laid
out) cost more than everything else of a report, so here the values go into the pixels
directly: :class:`PanelPixels` works out once, per panel, which point every pixel of the
panel shows (nearest cell, as ``imshow(interpolation="nearest")`` draws it), and
:meth:`PanelPixels.paint` then colours a map in one indexing step. Isolines are traced by
contourpy (Matplotlib's own contour engine) and drawn with Pillow, like the dots of point
grids.

Pixel rows count down from the top of the canvas; Matplotlib's display coordinates count up
from the bottom (``row = height - y``).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["PanelPixels", "rgba_of", "composite", "OverLayer", "png_bytes"]


def rgba_of(values: np.ndarray, scale) -> np.ndarray:
    """(n + 1, 4) uint8 colours of ``values`` on ``scale``; the last row is transparent
    (pixels showing no point), as are NaN values."""
    v = np.asarray(values, dtype=np.float64)
    out = np.zeros((v.size + 1, 4), dtype=np.uint8)
    out[:-1] = scale.cmap(scale.norm(np.ma.masked_invalid(v)), bytes=True)
    out[:-1][~np.isfinite(v)] = 0
    return out


def composite(canvas: np.ndarray, rgba: np.ndarray, rows: slice, cols: slice, *,
              opaque: bool = False) -> None:
    """Paint ``rgba`` (h, w, 4) uint8, straight alpha, over ``canvas[rows, cols]`` (RGB);
    ``opaque``: every alpha is 0 or 255 (a colour map's colours and "no point")."""
    dst = canvas[rows, cols]
    a = rgba[..., 3]
    if opaque:
        np.copyto(dst, rgba[..., :3], where=a.astype(bool)[..., None])
        return
    full = a == 255
    dst[full] = rgba[..., :3][full]
    part = (a > 0) & ~full
    if part.any():
        w = a[part].astype(np.float32)[:, None] / 255.0
        dst[part] = (rgba[..., :3][part] * w + dst[part] * (1.0 - w) + 0.5).astype(np.uint8)


class OverLayer:
    """What lies over the values (vegetation, walls, outline, markers), kept as the pixels it
    covers: painted over every map in one step."""

    def __init__(self, rgba: np.ndarray):
        a = rgba[..., 3]
        self.index = np.flatnonzero(a)
        self.rgb = rgba[..., :3].reshape(-1, 3)[self.index].astype(np.float32)
        self.alpha = (a.ravel()[self.index].astype(np.float32) / 255.0)[:, None]

    @staticmethod
    def from_pixels(index: np.ndarray, rgb: np.ndarray, alpha: np.ndarray) -> OverLayer:
        """A layer of the pixels at flat ``index`` with colours ``rgb`` (k, 3) uint8 and
        straight ``alpha`` (k,) uint8."""
        out = object.__new__(OverLayer)
        out.index = np.asarray(index, dtype=np.int64)
        out.rgb = np.asarray(rgb, dtype=np.float32)
        out.alpha = (np.asarray(alpha, dtype=np.float32) / 255.0)[:, None]
        return out

    def shifted(self, width: int, left: int, top: int, to_width: int) -> OverLayer:
        """The same layer, drawn on a ``width`` px wide tile, placed at (``left``, ``top``)
        on a canvas ``to_width`` px wide."""
        out = object.__new__(OverLayer)
        r, c = np.divmod(self.index, width)
        out.index = (r + top) * to_width + (c + left)
        out.rgb, out.alpha = self.rgb, self.alpha
        return out

    @staticmethod
    def joined(layers) -> OverLayer:
        """One layer of several that do not overlap (the panels of a sheet)."""
        out = object.__new__(OverLayer)
        layers = list(layers)
        out.index = np.concatenate([x.index for x in layers]) if layers else np.empty(0, int)
        out.rgb = (np.concatenate([x.rgb for x in layers]) if layers
                   else np.empty((0, 3), np.float32))
        out.alpha = (np.concatenate([x.alpha for x in layers]) if layers
                     else np.empty((0, 1), np.float32))
        return out

    def paint(self, canvas: np.ndarray) -> None:
        flat = canvas.reshape(-1, 3)
        under = flat[self.index].astype(np.float32)
        flat[self.index] = (self.rgb * self.alpha + under * (1.0 - self.alpha) + 0.5
                            ).astype(np.uint8)


def _pixel_box(ax, extent, height: int):
    """Rows and columns (slices) of the canvas that show ``extent`` inside ``ax``, and the
    data coordinates of their pixel centres."""
    x0, x1, y0, y1 = extent
    box = ax.bbox
    (dx0, dy0), (dx1, dy1) = ax.transData.transform([[x0, y0], [x1, y1]])
    left = int(np.ceil(max(min(dx0, dx1), box.x0) - 0.5))
    right = int(np.floor(min(max(dx0, dx1), box.x1) - 0.5)) + 1
    bottom = max(min(dy0, dy1), box.y0)
    top = min(max(dy0, dy1), box.y1)
    r0 = int(np.ceil(height - top - 0.5))
    r1 = int(np.floor(height - bottom - 0.5)) + 1
    if right <= left or r1 <= r0:
        return None
    inv = ax.transData.inverted()
    px = np.arange(left, right) + 0.5
    py = height - (np.arange(r0, r1) + 0.5)
    xs = inv.transform(np.column_stack([px, np.full(px.size, py[0])]))[:, 0]
    ys = inv.transform(np.column_stack([np.full(py.size, px[0]), py]))[:, 1]
    return slice(r0, r1), slice(left, right), xs, ys


class PanelPixels:
    """Which point of a grid each pixel of one panel shows.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel, limits set (its transform maps metres to pixels).
    height : int
        Canvas height [px].
    index : (rows, cols) int
        Point shown by each cell of a regular image of the values, -1 for none.
    extent : (xmin, xmax, ymin, ymax)
        Data extent of that image [m] (cell edges).
    """

    def __init__(self, ax, height: int, index: np.ndarray, extent):
        self.box = None
        self.n_points = int(index.max()) + 1 if index.size else 0
        got = _pixel_box(ax, extent, height)
        if got is None:
            return
        rows, cols, xs, ys = got
        nr, nc = index.shape
        x0, x1, y0, y1 = extent
        ci = np.floor((xs - x0) / ((x1 - x0) / nc)).astype(np.int64)
        ri = np.floor((ys - y0) / ((y1 - y0) / nr)).astype(np.int64)
        ok_c, ok_r = (ci >= 0) & (ci < nc), (ri >= 0) & (ri < nr)
        shown = index[np.clip(ri, 0, nr - 1)][:, np.clip(ci, 0, nc - 1)]
        shown[~ok_r, :] = -1
        shown[:, ~ok_c] = -1
        self.box = (rows, cols)
        self.shown = shown
        # the pixels that show a point, and which: painted without touching the others
        self._rc = np.nonzero(shown >= 0)
        self._points = shown[self._rc]
        # (canvas shape, flat pixel indices, which of the points they are), on first paint
        self._flat = (None, None, None)

    def shifted(self, left: int, top: int) -> PanelPixels:
        """The same panel placed at (``left``, ``top``) of a bigger canvas."""
        out = object.__new__(PanelPixels)
        out.__dict__.update(self.__dict__)
        if self.box is not None:
            rows, cols = self.box
            out.box = (slice(rows.start + top, rows.stop + top),
                       slice(cols.start + left, cols.stop + left))
            out._flat = (None, None, None)
        return out

    def paint(self, canvas: np.ndarray, colours: np.ndarray) -> None:
        """Paint the colours (:func:`rgba_of` of this grid's values) into ``canvas``."""
        if self.box is None:
            return
        alpha = colours[:, 3]
        if not np.all((alpha == 0) | (alpha == 255)):  # translucent colours: blend
            composite(canvas, colours[self.shown], *self.box)
            return
        if self._flat[0] != canvas.shape[:2]:
            (height, width), (rows, cols) = canvas.shape[:2], self.box
            r, c = self._rc[0] + rows.start, self._rc[1] + cols.start
            inside = (r < height) & (c < width)  # a tile may reach past the sheet's edge
            self._flat = (canvas.shape[:2], (r * width + c)[inside], self._points[inside])
        _, at, points = self._flat
        # pixels as 3-byte items: one copy per pixel instead of three (half the time)
        flat = canvas.reshape(-1, 3).view("V3").ravel()
        rgb = np.ascontiguousarray(colours[:, :3]).view("V3").ravel()
        if alpha[:-1].all():  # every point has a colour (the last row is "no point")
            flat[at] = rgb[points]
        else:  # a point without a value (NaN) leaves the pixel as it was
            keep = alpha[points] != 0
            flat[at[keep]] = rgb[points[keep]]


def raster_index(grid) -> tuple[np.ndarray, tuple]:
    """(rows, cols) point index of a plan raster grid (-1 where no point) and its extent."""
    rows, cols = grid.shape
    index = np.full(rows * cols, -1, dtype=np.int64)
    index[np.asarray(grid.raster_index)] = np.arange(grid.n_points)
    x0, y0, dx, dy = grid.transform
    extent = (x0 - dx / 2, x0 + (cols - 0.5) * dx, y0 - dy / 2, y0 + (rows - 0.5) * dy)
    return index.reshape(rows, cols), extent


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bytes(rgba: np.ndarray, dpi: int) -> bytes:
    """A PNG file (8-bit RGB, no filter, zlib level 2) of an (h, w, 3 or 4) uint8 image.

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
                     _png_chunk(b"IDAT", zlib.compress(raw, 2)),
                     _png_chunk(b"IEND", b"")))
