"""Map panels' contexts drawn with Pillow, in the style Matplotlib draws them for one figure.

Setting up a Matplotlib axes and drawing it (ticks made and hidden, markers as path
collections, text laid out) was most of the time of a map sheet after the values moved into
the pixels. A plan panel's context is always the same few things, so this module draws them
itself, with the colours, sizes and symbols of :mod:`cpted_sim.plot.style` and
:mod:`cpted_sim.plot.furniture`: land-cover fills and roofs under the values; tree crowns,
walls, the calculation area's outline, observers and luminaires over them (drawn at twice the
resolution and reduced, so their edges are smoothed as Matplotlib's are); the frame, scale bar
and north arrow. :func:`plan_tile` returns a :class:`~cpted_sim.plot.tiles.PanelTile` whose
``furniture`` records what was drawn (the scale bar's length and label, the north arrow), for
tests and readers that must not look at pixels. :func:`facade_tile` draws a façade in
elevation: metre axes along the façade and up, ticks where Matplotlib's ``AutoLocator`` puts
them, the ground line and the luminaires.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.transforms import Affine2D, Bbox

from .colourbar import font
from .furniture import _fmt, nice_length
from .maps import (_grid_extent, _inside, _is_raster, _outline_segments, _padded, _positions,
                   _scene_layers)
from .raster import OverLayer
from .style import LAND_COVER_STYLE, MARKER_STYLE, panel_box

__all__ = ["plan_tile", "facade_tile", "panel_frame"]

#: Over-layer supersampling: drawn this many times larger, then reduced (smooth edges).
SUPERSAMPLE = 2


def _rgba(colour, alpha: float | None = None) -> tuple:
    r, g, b, a = to_rgba(colour, alpha)
    return (int(round(255 * r)), int(round(255 * g)), int(round(255 * b)), int(round(255 * a)))


def panel_frame(size, dpi: int, limits, ticks: bool = False):
    """The panel of a cell ``size`` [in]: an object with Matplotlib's ``bbox`` and
    ``transData`` (display pixels from the bottom left) for data ``limits`` = (xmin, xmax,
    ymin, ymax), equal aspect, centred in the box :func:`~cpted_sim.plot.style.panel_box`
    keeps for it (with room for tick labels when ``ticks``)."""
    pw, ph = size
    width, height = int(round(pw * dpi)), int(round(ph * dpi))
    x, y, w, h = panel_box(size, ticks)
    bx0, by0, bw, bh = x * width, y * height, w * width, h * height
    xmin, xmax, ymin, ymax = limits
    k = min(bw / (xmax - xmin), bh / (ymax - ymin))
    aw, ah = k * (xmax - xmin), k * (ymax - ymin)
    x0, y0 = bx0 + (bw - aw) / 2.0, by0 + (bh - ah) / 2.0
    trans = Affine2D().translate(-xmin, -ymin).scale(k).translate(x0, y0)
    return SimpleNamespace(bbox=Bbox.from_bounds(x0, y0, aw, ah), transData=trans,
                           limits=(xmin, xmax, ymin, ymax), scale=k, size=(width, height))


def _to_px(frame, xy: np.ndarray, height: int, factor: float = 1.0) -> np.ndarray:
    """Data coordinates to image pixels (top-left origin), times ``factor``."""
    d = frame.transData.transform(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
    return np.column_stack([d[:, 0], height - d[:, 1]]) * factor


def _polygons(draw, tris_px: np.ndarray, fill) -> None:
    for t in tris_px:
        draw.polygon([(t[0, 0], t[0, 1]), (t[1, 0], t[1, 1]), (t[2, 0], t[2, 1])], fill=fill)


def _dashed(draw, seg_px: np.ndarray, fill, width: int, on: float, off: float) -> None:
    """Dashed line segments. The dashes are laid out along the absolute coordinate of each
    segment's main axis, so that a line made of many short segments (a calculation area's
    outline is made of cell edges) is dashed as one line."""
    period = on + off
    for (ax_, ay), (bx, by) in seg_px:
        horizontal = abs(bx - ax_) >= abs(by - ay)
        u0, u1 = (ax_, bx) if horizontal else (ay, by)
        if u1 < u0:
            ax_, ay, bx, by, u0, u1 = bx, by, ax_, ay, u1, u0
        span = u1 - u0
        if span <= 0:
            continue
        k = np.floor(u0 / period)
        while k * period < u1:
            s0, s1 = max(u0, k * period), min(u1, k * period + on)
            if s1 > s0:
                t0, t1 = (s0 - u0) / span, (s1 - u0) / span
                draw.line([(ax_ + (bx - ax_) * t0, ay + (by - ay) * t0),
                           (ax_ + (bx - ax_) * t1, ay + (by - ay) * t1)], fill=fill, width=width)
            k += 1


def _star(cx, cy, r):
    ang = np.pi / 2 + np.arange(10) * np.pi / 5
    rad = np.where(np.arange(10) % 2 == 0, r, r * 0.381966)
    return list(zip(cx + rad * np.cos(ang), cy - rad * np.sin(ang)))


def _triangle(cx, cy, r):
    return [(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)]


def _markers(draw, key: str, pts_px: np.ndarray, px_per_pt: float) -> None:
    marker, size, face, edge, _ = MARKER_STYLE[key]
    r = 0.5 * np.sqrt(size) * px_per_pt
    shape = _star if marker == "*" else _triangle
    width = max(1, int(round(0.6 * px_per_pt)))
    for cx, cy in pts_px:
        draw.polygon(shape(cx, cy, r), fill=_rgba(face), outline=_rgba(edge), width=width)


def _text_box(draw, xy, text: str, fnt, anchor: str, pad_px: float) -> None:
    """Text on a white box (75 % opaque), as the scale bar's and north arrow's labels."""
    l, t, r, b = draw.textbbox(xy, text, font=fnt, anchor=anchor)
    draw.rectangle([l - pad_px, t - pad_px, r + pad_px, b + pad_px], fill=(255, 255, 255, 191))
    draw.text(xy, text, font=fnt, anchor=anchor, fill=(0, 0, 0, 255))


def _furniture(draw, frame, height: int, px_per_pt: float) -> dict:
    """Scale bar (lower left) and north arrow (upper right), as :mod:`.furniture` places
    them; what was drawn."""
    xmin, xmax, ymin, ymax = frame.limits
    w, h = xmax - xmin, ymax - ymin
    length = nice_length(w, 0.2)
    bx, by = xmin + 0.03 * w, ymin + 0.05 * h
    bh = 0.012 * max(w, h) if h > 0.25 * w else 0.05 * h
    (x0, y1), (xm, _), (x1, y0) = _to_px(frame, [[bx, by], [bx + length / 2, by],
                                                 [bx + length, by + bh]], height)
    lw = max(1, int(round(0.6 * px_per_pt)))
    draw.rectangle([x0, y0, xm, y1], fill=(0, 0, 0, 255), outline=(0, 0, 0, 255), width=lw)
    draw.rectangle([xm, y0, x1, y1], fill=(255, 255, 255, 255), outline=(0, 0, 0, 255),
                   width=lw)
    label = _fmt(length)
    _text_box(draw, ((x0 + x1) / 2.0, y0 - 0.8 * px_per_pt), label,
              font(max(int(round(7 * px_per_pt)), 6)), "mb", 0.8 * px_per_pt)
    box = frame.bbox
    ax_x = box.x0 + 0.965 * box.width
    tip, tail = height - (box.y0 + 0.93 * box.height), height - (box.y0 + 0.72 * box.height)
    head = 9 * 0.5 * px_per_pt
    draw.line([(ax_x, tail), (ax_x, tip + head)], fill=(0, 0, 0, 255),
              width=max(1, int(round(1.2 * px_per_pt))))
    draw.polygon([(ax_x, tip), (ax_x - head * 0.5, tip + head), (ax_x + head * 0.5, tip + head)],
                 fill=(0, 0, 0, 255))
    bold = font(max(int(round(8 * px_per_pt)), 6), bold=True)
    _text_box(draw, (ax_x, height - (box.y0 + 0.935 * box.height)), "N", bold, "mb",
              0.5 * px_per_pt)
    return {"scale_bar": label, "scale_bar_length": float(length),
            "scale_bar_px": float(x1 - x0), "north_arrow": "N"}


def _over_layer(draw_over, width: int, height: int, box: tuple) -> OverLayer:
    """What ``draw_over(draw, factor)`` draws, as an :class:`~cpted_sim.plot.raster.OverLayer`
    of the tile, blended as Matplotlib blends (translucent shapes that overlap darken) and
    clipped to ``box`` = (r0, r1, c0, c1) [px], the axes: drawn twice, on black and on
    white, at :data:`SUPERSAMPLE` times the size and reduced; the alpha is what the two
    differ by."""
    from PIL import Image, ImageDraw

    s = SUPERSAMPLE
    r0, r1, c0, c1 = box
    out = []
    for bg in (0, 255):
        img = Image.new("RGB", (width * s, height * s), (bg, bg, bg))
        draw_over(ImageDraw.Draw(img, "RGBA"), s)
        out.append(np.asarray(img.reduce(s, box=(c0 * s, r0 * s, c1 * s, r1 * s))))
    black, white = out
    # white >= black in every channel (the same shapes over a lighter ground)
    d = np.subtract(white, black)
    alpha = 255 - np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2]).astype(np.int16)
    rr, cc = np.nonzero(alpha > 0)
    a = alpha[rr, cc].astype(np.float32)
    rgb = np.clip(black[rr, cc] * (255.0 / a[:, None]) + 0.5, 0, 255).astype(np.uint8)
    return OverLayer.from_pixels((rr + r0) * width + (cc + c0), rgb, a.astype(np.uint8))


def plan_tile(panel, size, dpi: int):
    """The :class:`~cpted_sim.plot.tiles.PanelTile` of a plan panel (see the module
    docstring); the tile is ``size`` [in] at ``dpi``."""
    from PIL import Image, ImageDraw

    from .tiles import PanelTile, placement

    grid = panel.field.grid
    frame = panel_frame(size, dpi, _padded(_grid_extent(grid)))
    width, height = frame.size
    px_per_pt = dpi / 72.0
    base = Image.new("RGB", (width, height), (255, 255, 255))
    under = ImageDraw.Draw(base)
    symbols: list[str] = []
    extent = frame.limits
    veg = walls = np.empty((0, 2, 2))
    if panel.scene is not None:
        fills, roofs, walls, veg = _scene_layers(panel.scene, extent)
        for name, tri in fills.items():
            _polygons(under, _to_px(frame, tri.reshape(-1, 2), height).reshape(-1, 3, 2),
                      _rgba(LAND_COVER_STYLE[name][0]))
            symbols.append(name)
        if roofs.shape[0]:
            _polygons(under, _to_px(frame, roofs.reshape(-1, 2), height).reshape(-1, 3, 2),
                      _rgba(LAND_COVER_STYLE["building"][0]))
        if veg.shape[0]:
            symbols.append("vegetation")
        if roofs.shape[0] or walls.shape[0]:
            symbols.append("building")
    seg = _outline_segments(grid) if _is_raster(grid) else np.empty((0, 2, 2))
    if seg.shape[0]:
        symbols.append("outline")
    marks = []
    for key, items in (("observer", panel.observers), ("luminaire", panel.luminaires)):
        pos = _positions(items)
        keep = _inside(pos, extent) if pos.shape[0] else np.zeros(0, bool)
        if keep.any():
            marks.append((key, pos[keep, :2]))
            symbols.append(key)

    def draw_over(draw, s):
        if veg.shape[0]:
            _polygons(draw, _to_px(frame, veg.reshape(-1, 2), height, s).reshape(-1, 3, 2),
                      _rgba(LAND_COVER_STYLE["vegetation"][0]))
        if walls.shape[0]:
            wall = _rgba((0.2, 0.19, 0.18, 0.9))
            lw = max(1, int(round(0.6 * px_per_pt * s)))
            for a, b in _to_px(frame, walls.reshape(-1, 2), height, s).reshape(-1, 2, 2):
                draw.line([tuple(a), tuple(b)], fill=wall, width=lw)
        if seg.shape[0]:
            _, lw, colour, _, _ = MARKER_STYLE["outline"]
            unit = lw * px_per_pt * s
            _dashed(draw, _to_px(frame, seg.reshape(-1, 2), height, s).reshape(-1, 2, 2),
                    _rgba(colour), max(1, int(round(unit))), 3.7 * unit, 1.6 * unit)
        for key, xy in marks:
            _markers(draw, key, _to_px(frame, xy, height, s), px_per_pt * s)

    # Matplotlib clips what a panel draws to its axes: so here
    box = frame.bbox
    r0, r1 = max(int(np.floor(height - box.y1)), 0), min(int(np.ceil(height - box.y0)), height)
    c0, c1 = max(int(np.floor(box.x0)), 0), min(int(np.ceil(box.x1)), width)
    layer = _over_layer(draw_over, width, height, (r0, r1, c0, c1))
    rgb = np.full((height, width, 3), 255, dtype=np.uint8)
    rgb[r0:r1, c0:c1] = np.asarray(base)[r0:r1, c0:c1]
    base = Image.fromarray(rgb)
    ImageDraw.Draw(base).rectangle([box.x0 - 0.5, height - box.y1 - 0.5, box.x1 - 0.5,
                                    height - box.y0 - 0.5], outline=(0, 0, 0),
                                   width=max(1, int(round(0.8 * px_per_pt))))
    top = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    furniture = _furniture(ImageDraw.Draw(top), frame, height, px_per_pt)
    base.paste(top, (0, 0), top)
    pad = 3.0 * px_per_pt
    return PanelTile(np.asarray(base).copy(), layer, placement(frame, grid, height, dpi),
                     frame, symbols, ((box.x0 + box.x1) / 2.0, height - box.y1 - pad), furniture)


def _frame_axes(draw, image, frame, height: int, px_per_pt: float, axis) -> dict:
    """Metre ticks and labels along the bottom and left of a façade panel, and the axis
    labels (as :func:`~cpted_sim.plot.maps._elevation_frame` sets them)."""
    from .colourbar import _labels, _side_label, auto_ticks

    xmin, xmax, ymin, ymax = frame.limits
    box = frame.bbox
    fnt = font(max(int(round(7 * px_per_pt)), 6))
    tick = 3.5 * px_per_pt
    pad = 3.5 * px_per_pt
    black = (0, 0, 0, 255)
    lw = max(1, int(round(0.8 * px_per_pt)))
    bottom, left = height - box.y0, box.x0
    xt = auto_ticks(xmin, xmax, box.width / px_per_pt, 3.0)
    low = bottom
    for v, text in zip(xt, _labels(xt)):
        x = frame.transData.transform([[v, ymin]])[0, 0]
        draw.line([(x, bottom), (x, bottom + tick)], fill=black, width=lw)
        draw.text((x, bottom + tick + pad), text, font=fnt, anchor="mt", fill=black)
        low = max(low, draw.textbbox((x, bottom + tick + pad), text, font=fnt, anchor="mt")[3])
    yt = auto_ticks(ymin, ymax, box.height / px_per_pt, 2.0)
    widest = 0.0
    for v, text in zip(yt, _labels(yt)):
        y = height - frame.transData.transform([[xmin, v]])[0, 1]
        draw.line([(left - tick, y), (left, y)], fill=black, width=lw)
        draw.text((left - tick - pad, y), text, font=fnt, anchor="rm", fill=black)
        widest = max(widest, draw.textlength(text, font=fnt))
    xlabel = f"along the façade, towards ({axis[0]:+.2f}, {axis[1]:+.2f}) [m]"
    draw.text(((box.x0 + box.x1) / 2.0, low + 4 * px_per_pt), xlabel, font=fnt, anchor="mt",
              fill=black)
    probe = draw.textbbox((0, 0), "height [m]", font=fnt)
    x = left - tick - pad - widest - 4 * px_per_pt - (probe[3] - probe[1]) - 2
    _side_label(image, "height [m]", x, height - (box.y0 + box.y1) / 2.0, fnt)
    return {"x_label": xlabel, "y_label": "height [m]", "x_ticks": tuple(float(v) for v in xt),
            "y_ticks": tuple(float(v) for v in yt)}


def facade_tile(panel, size, dpi: int, axis):
    """The :class:`~cpted_sim.plot.tiles.PanelTile` of a façade panel in elevation along the
    plan direction ``axis`` (see the module docstring)."""
    from PIL import Image, ImageDraw

    from .tiles import PanelTile, placement

    grid = panel.field.grid
    pts = grid.points
    centre = pts[:, :2].mean(axis=0)
    s_ = (pts[:, :2] - centre) @ axis
    smin, smax = float(s_.min()), float(s_.max())
    top = float(pts[:, 2].max())
    lums = _positions(panel.luminaires)
    marks = np.empty((0, 2))
    if lums.shape[0]:
        ls = (lums[:, :2] - centre) @ axis
        inside = (ls >= smin - 1.0) & (ls <= smax + 1.0)
        if inside.any():
            marks = np.column_stack([ls[inside], lums[inside, 2]])
            top = max(top, float(lums[inside, 2].max()))
    pad = max(1.0, 0.03 * (smax - smin))
    frame = panel_frame(size, dpi, (smin - pad, smax + pad,
                                    min(0.0, float(pts[:, 2].min())) - 0.5, top + 1.0), True)
    width, height = frame.size
    px_per_pt = dpi / 72.0
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image, "RGBA")
    box = frame.bbox
    y0 = height - frame.transData.transform([[0.0, 0.0]])[0, 1]
    draw.line([(box.x0, y0), (box.x1, y0)], fill=(77, 77, 77, 255),
              width=max(1, int(round(0.6 * px_per_pt))))
    draw.rectangle([box.x0 - 0.5, height - box.y1 - 0.5, box.x1 - 0.5, height - box.y0 - 0.5],
                   outline=(0, 0, 0), width=max(1, int(round(0.8 * px_per_pt))))
    furniture = _frame_axes(draw, image, frame, height, px_per_pt, axis)

    def draw_over(d, f):
        if marks.shape[0]:
            _markers(d, "luminaire", _to_px(frame, marks, height, f), px_per_pt * f)

    r0, r1 = max(int(np.floor(height - box.y1)), 0), min(int(np.ceil(height - box.y0)), height)
    c0, c1 = max(int(np.floor(box.x0)), 0), min(int(np.ceil(box.x1)), width)
    layer = _over_layer(draw_over, width, height, (r0, r1, c0, c1))
    title_pad = 3.0 * px_per_pt
    return PanelTile(np.asarray(image).copy(), layer, placement(frame, grid, height, dpi), frame,
                     ["luminaire"] if marks.shape[0] else [],
                     ((box.x0 + box.x1) / 2.0, height - box.y1 - title_pad), furniture)
