"""The colour bar of a map sheet, drawn with Pillow from its :class:`ColourBar` description.

Matplotlib's colour bar is an axes of its own: laying out its ticks and labels took three
quarters of the time of every map of a report (``docs/performance.md``, "Report drawing").
A sheet's colour bar is always the same kind of thing: a column of colours, ticks on the
right with their labels, the quantity's plain name and unit along the side. :class:`ColourBar`
says what it shows (a test reads it instead of pixels), :func:`draw_colourbar` puts it into
the pixels of a sheet, in the fonts and sizes of the rest of the map (DejaVu Sans, as
Matplotlib draws it; 7 pt ticks, 8 pt label).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.colors import BoundaryNorm

__all__ = ["ColourBar", "colourbar_of", "draw_colourbar", "font", "auto_ticks", "paste_text"]

#: Share of the bar's length each extension triangle takes (Matplotlib's ``extendfrac``).
EXTEND_FRACTION = 0.05


@dataclass(frozen=True)
class ColourBar:
    """What a colour bar shows.

    Attributes
    ----------
    label : str
        The quantity's plain name and unit (``"Horizontal illuminance [lx]"``).
    ticks : tuple of float
        Tick values, bottom to top.
    tick_labels : tuple of str
        Their labels (numbers, or category names).
    positions : tuple of float
        Where each tick sits along the bar, 0 (bottom) to 1 (top).
    colours : (k, 4) uint8
        The bar's colours, bottom to top (k classes, or 256 steps of a continuous scale).
    extend : str
        ``"neither"``, ``"max"``, ``"min"`` or ``"both"``: triangles for values beyond the scale.
    """

    label: str
    ticks: tuple
    tick_labels: tuple
    positions: tuple
    colours: np.ndarray
    extend: str


def auto_ticks(lo: float, hi: float, length_pt: float, per_label: float = 2.0) -> np.ndarray:
    """Matplotlib's ``AutoLocator`` ticks in [lo, hi] on an axis ``length_pt`` long [pt]
    that fits one 7 pt label per ``per_label`` label heights (Matplotlib's tick space: 3
    along x, 2 along y and along a colour bar); at most 9 bins."""
    from matplotlib.ticker import MaxNLocator

    nbins = int(np.clip(np.floor(length_pt / (7.0 * per_label)), 1, 9))
    t = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    eps = 1e-9 * (hi - lo)
    return t[(t >= lo - eps) & (t <= hi + eps)]


def _labels(ticks: np.ndarray) -> tuple:
    """Tick labels with one number of decimals for all (as Matplotlib's formatter does)."""
    dec = 0
    for t in ticks:
        while dec < 4 and abs(round(float(t), dec) - float(t)) > 1e-9 * max(1.0, abs(t)):
            dec += 1
    out = []
    for t in ticks:
        s = f"{float(t):.{dec}f}"
        out.append("−" + s[1:] if s.startswith("-") and float(s) != 0.0 else s.lstrip("-"))
    return tuple(out)


def colourbar_of(scale, length_pt: float = 300.0) -> ColourBar:
    """The colour bar of a :class:`~cpted_sim.plot.style.MapScale`, ``length_pt`` long [pt]
    (how many ticks a continuous scale gets)."""
    norm, cmap = scale.norm, scale.cmap
    extend = scale.extend or "neither"
    if isinstance(norm, BoundaryNorm):
        b = np.asarray(norm.boundaries, dtype=np.float64)
        mids = 0.5 * (b[:-1] + b[1:])
        colours = cmap(norm(mids), bytes=True)
        ticks = np.asarray(scale.ticks if scale.ticks is not None else b, dtype=np.float64)
        # classes are spaced evenly along the bar whatever their width (Matplotlib's
        # "uniform" spacing): a tick sits where its value falls between two boundaries
        positions = np.interp(ticks, b, np.linspace(0.0, 1.0, b.size))
    else:
        vmin, vmax = float(norm.vmin), float(norm.vmax)
        colours = cmap(np.linspace(0.0, 1.0, 256), bytes=True)
        ticks = (np.asarray(scale.ticks, dtype=np.float64) if scale.ticks is not None
                 else auto_ticks(vmin, vmax, length_pt))
        positions = (ticks - vmin) / (vmax - vmin)
    labels = (tuple(scale.tick_labels) if scale.tick_labels is not None else _labels(ticks))
    return ColourBar(scale.label, tuple(float(t) for t in ticks), labels,
                     tuple(float(p) for p in positions), np.asarray(colours, np.uint8), extend)


@lru_cache(maxsize=16)
def font(size_px: int, bold: bool = False):
    """DejaVu Sans (Matplotlib's own font, the file it ships) at ``size_px`` pixels, for
    Pillow; without importing Matplotlib's font manager (a twentieth of a second in every map
    worker), falling back to it where the file is not where Matplotlib keeps it."""
    from pathlib import Path

    import matplotlib
    from PIL import ImageFont

    path = Path(matplotlib.get_data_path(), "fonts", "ttf",
                "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if not path.is_file():  # pragma: no cover - a Matplotlib build without its fonts
        from matplotlib import font_manager

        path = font_manager.findfont(font_manager.FontProperties(
            family="DejaVu Sans", weight="bold" if bold else "normal"))
    return ImageFont.truetype(str(path), size_px)


#: Rendered texts kept (tick labels, titles, colour-bar labels), at most this many.
_TEXT: dict = {}
_TEXT_LIMIT = 4096


def paste_text(image, xy: tuple, text: str, fnt, anchor: str, fill=(0, 0, 0)) -> tuple:
    """Write ``text`` on ``image`` as ``ImageDraw.text(xy, text, font=fnt, anchor=anchor)``
    would, from a cache of rendered texts (a map sheet writes the same tick labels and
    titles on map after map); the text's box (left, top, right, bottom) [px]."""
    from PIL import Image, ImageDraw

    x, y = xy
    fx, fy = x - np.floor(x), y - np.floor(y)  # Pillow renders at the sub-pixel offset
    key = (text, id(fnt), anchor, round(fx, 4), round(fy, 4))
    hit = _TEXT.get(key)
    if hit is None:
        l, t, r, b = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((fx, fy), text, font=fnt,
                                                                     anchor=anchor)
        pad = 2 + fnt.size // 4  # anti-aliasing may reach past the box the font reports
        ox, oy = int(np.floor(l)) - pad, int(np.floor(t)) - pad
        tile = Image.new("L", (int(np.ceil(r)) - ox + pad, int(np.ceil(b)) - oy + pad), 0)
        ImageDraw.Draw(tile).text((fx - ox, fy - oy), text, font=fnt, anchor=anchor, fill=255)
        if len(_TEXT) >= _TEXT_LIMIT:  # a long session drawing report after report
            _TEXT.clear()
        hit = _TEXT[key] = (tile, ox, oy, (l, t, r, b), fnt)  # fnt: its id stays unique
    tile, ox, oy, (l, t, r, b), _ = hit
    bx, by = int(np.floor(x)), int(np.floor(y))
    image.paste(fill, (bx + ox, by + oy), tile)
    return (l + bx, t + by, r + bx, b + by)


def _extension(draw, x0, x1, y_base, y_tip, colour, edge):
    draw.polygon([(x0, y_base), (x1, y_base), ((x0 + x1) / 2.0, y_tip)],
                 fill=tuple(int(c) for c in colour[:3]), outline=edge)


def draw_colourbar(image, rect, bar: ColourBar, dpi: float) -> None:
    """Draw ``bar`` on ``image`` (a Pillow RGB image) in ``rect`` = (left, top, width,
    height) [px], with its ticks and labels to the right."""
    from PIL import Image, ImageDraw

    left, top, width, height = (int(round(v)) for v in rect)
    ext_lo = bar.extend in ("min", "both")
    ext_hi = bar.extend in ("max", "both")
    tri = int(round(EXTEND_FRACTION * height))
    y0 = top + (tri if ext_hi else 0)           # top of the bar proper
    y1 = top + height - (tri if ext_lo else 0)  # bottom
    h = max(y1 - y0, 1)
    k = bar.colours.shape[0]
    # one row of pixels per row of the bar: class k spans rows from the bottom up
    rows = np.minimum(((y1 - np.arange(y0, y1) - 0.5) / h * k).astype(np.int64), k - 1)
    column = bar.colours[rows][:, None, :3]
    image.paste(Image.fromarray(np.ascontiguousarray(np.broadcast_to(
        column, (h, width, 3)))), (left, y0))
    draw = ImageDraw.Draw(image)
    edge = (0, 0, 0)
    if ext_hi:
        _extension(draw, left, left + width - 1, y0, top, bar.colours[-1], edge)
    if ext_lo:
        _extension(draw, left, left + width - 1, y1 - 1, top + height, bar.colours[0], edge)
    draw.rectangle([left, y0, left + width - 1, y1 - 1], outline=edge)
    px = dpi / 72.0
    tick_len = int(round(3.5 * px))
    tick_font = font(max(int(round(7 * px)), 6))
    widest = 0
    for pos, text in zip(bar.positions, bar.tick_labels):
        y = int(round(y1 - pos * h))
        draw.line([(left + width - 1, y), (left + width - 1 + tick_len, y)], fill=edge)
        x = left + width + tick_len + int(round(2 * px))
        box = paste_text(image, (x, y), text, tick_font, "lm", edge)
        widest = max(widest, box[2] - left - width)
    if bar.label:
        _side_label(image, bar.label, left + width + widest + int(round(4 * px)),
                    top + height / 2.0, font(max(int(round(8 * px)), 6)))


def _side_label(image, text: str, x: float, y_mid: float, font) -> None:
    """``text`` turned a quarter to the left, its top at ``x``, centred on ``y_mid`` (the
    turned text is made once per text and font)."""
    from PIL import Image, ImageDraw

    key = ("side", text, id(font))
    hit = _TEXT.get(key)
    if hit is None:
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        l, t, r, b = (int(np.floor(v)) for v in probe.multiline_textbbox(
            (0, 0), text, font=font, align="center"))
        tile = Image.new("L", (r - l + 3, b - t + 3), 0)
        ImageDraw.Draw(tile).multiline_text((1 - l, 1 - t), text, font=font, fill=255,
                                            align="center")
        if len(_TEXT) >= _TEXT_LIMIT:
            _TEXT.clear()
        hit = _TEXT[key] = (tile.rotate(90, expand=True), font)  # font: its id stays unique
    tile = hit[0]
    image.paste((0, 0, 0), (int(round(x)), int(round(y_mid - tile.size[1] / 2.0))), tile)
