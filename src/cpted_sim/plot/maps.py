"""Plan-view maps of fields: false colour, isolux lines, buildings and luminaires.

Every function draws on the Agg canvas (:mod:`cpted_sim.plot.style`); nothing opens a window.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from .furniture import add_legend, add_north_arrow, add_scale_bar, note_symbol
from .landcover import (GROUND_WORDS, VEGETATION_WORDS, building_outlines, face_classes,
                        ground_fills, vegetation_outlines)
from .style import (DARK_UNSEEN_CATEGORIES, LAND_COVER_STYLE, MAP_DPI, MARKER_STYLE, MapScale,
                    category_scale, new_figure, plain_label, save_figure, shared_scale)

__all__ = [
    "building_outlines",
    "vegetation_outlines",
    "view_kind",
    "panel_layout",
    "plan_map",
    "add_colorbar",
    "field_map",
    "dark_unseen_values",
    "dark_unseen_map",
    "draw_context",
    "map_figure",
    "finish_figure",
    "VEGETATION_WORDS",
    "GROUND_WORDS",
]

#: Scene layers already cut for a map window: (id(scene), extent) -> (weakref, layers).
_LAYERS: dict = {}


def _scene_layers(scene, extent):
    """Land-cover fills, roofs, walls and vegetation of ``scene`` in ``extent`` (cached: every
    panel of a report shows the same scene in the same window)."""
    key = (id(scene), tuple(round(float(e), 6) for e in extent))
    hit = _LAYERS.get(key)
    if hit is not None and hit[0]() is scene:
        return hit[1]
    size = max(extent[1] - extent[0], extent[3] - extent[2])
    ckey = (id(scene), "classes")
    chit = _LAYERS.get(ckey)
    classes = chit[1] if chit is not None and chit[0]() is scene else face_classes(scene)
    roofs, walls = building_outlines(scene, extent=extent, min_wall=2e-3 * size, classes=classes)
    veg = vegetation_outlines(scene, extent=extent, classes=classes)
    fills = ground_fills(scene, extent=extent, classes=classes, min_area=(1e-3 * size) ** 2)
    layers = (fills, roofs, walls, veg)
    if len(_LAYERS) > 64:
        _LAYERS.clear()
    try:
        ref = weakref.ref(scene)
    except TypeError:
        return layers
    _LAYERS[key] = (ref, layers)
    _LAYERS[ckey] = (ref, classes)
    return layers


def _grid_extent(grid) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) of a plan grid's cells, or of its points [m]."""
    if grid.shape is not None and grid.transform is not None:
        x0, y0, dx, dy = grid.transform
        rows, cols = grid.shape
        return (x0 - dx / 2, x0 + (cols - 0.5) * dx, y0 - dy / 2, y0 + (rows - 0.5) * dy)
    p = grid.points
    return (float(p[:, 0].min()), float(p[:, 0].max()), float(p[:, 1].min()),
            float(p[:, 1].max()))


def _padded(extent, frac: float = 0.08, least: float = 2.0):
    xmin, xmax, ymin, ymax = extent
    pad = max(least, frac * max(xmax - xmin, ymax - ymin))
    return (xmin - pad, xmax + pad, ymin - pad, ymax + pad)


def _is_raster(grid) -> bool:
    return grid.shape is not None and grid.raster_index is not None and grid.transform is not None


def _elevation_axis(grid):
    """Unit plan direction along which an elevation view unrolls the grid, or None.

    Façades are shown in elevation (distance along the principal plan direction against
    height): vertical grids, and grids whose points lie nearly on a plan line but spread over
    more than 0.5 m in height. Routes (a plan line at one height) stay in plan.
    """
    pts = grid.points
    if pts.shape[0] < 2:
        return None
    c = pts[:, :2] - pts[:, :2].mean(axis=0)
    w, vec = np.linalg.eigh(c.T @ c)
    thin = w[0] <= 0.01 * max(w[1], 1e-12)
    tall = float(np.ptp(pts[:, 2])) > 0.5
    if (grid.kind == "vertical" or thin) and tall:
        return vec[:, 1]
    return None


def elevation_index(s, z):
    """A regular (s, z) raster over façade points at their typical spacing: the point each
    cell shows (the nearest, within 1.5 cells; -1 for none) and the raster's extent
    (smin, smax, zmin, zmax) [m]; None when the points are too sparse."""
    from scipy.spatial import cKDTree

    sz = np.column_stack([s, z])
    tree = cKDTree(sz)
    dd, _ = tree.query(sz, k=2)
    cell = float(np.median(dd[:, 1]))
    if not cell > 0.0:
        return None
    lo, hi = sz.min(axis=0), sz.max(axis=0)
    cell = max(cell, float(np.sqrt(np.prod(hi - lo + cell) / 4e6)))  # at most ~4 M cells
    ns, nz = (np.floor((hi - lo) / cell).astype(int) + 1)
    gs, gz = np.meshgrid(lo[0] + cell * np.arange(ns), lo[1] + cell * np.arange(nz))
    dist, idx = tree.query(np.column_stack([gs.ravel(), gz.ravel()]),
                           distance_upper_bound=1.5 * cell)
    index = np.where(np.isfinite(dist), idx, -1).astype(np.int64).reshape(nz, ns)
    ext = (lo[0] - cell / 2, lo[0] + (ns - 0.5) * cell, lo[1] - cell / 2, lo[1] + (nz - 0.5) * cell)
    return index, ext


def _elevation_image(ax, s, z, values, scale: MapScale):
    """Façade values as an image (:func:`elevation_index`); None when too sparse."""
    got = elevation_index(s, z)
    if got is None:
        return None
    index, ext = got
    vals = np.append(np.asarray(values, dtype=np.float64), np.nan)
    img = vals[index]  # index -1 picks the NaN appended
    return ax.imshow(np.ma.masked_invalid(img), origin="lower", extent=ext,
                     cmap=scale.cmap, norm=scale.norm, interpolation="nearest", zorder=1)


def panel_layout(grid, n: int = 1) -> tuple[tuple[float, float], int]:
    """Panel size [in] and number of columns that suit the grid's plan aspect ratio.

    Long streets get one wide panel per row; façades a wide, low panel; squarish areas up to
    three panels a row.
    """
    if view_kind(grid) == "elevation":
        return (8.0, 2.6), 1
    xmin, xmax, ymin, ymax = _padded(_grid_extent(grid))
    aspect = (ymax - ymin) / max(xmax - xmin, 1e-9)
    if aspect < 0.45:
        width = 8.0
        return (width, float(np.clip(width * aspect + 0.45, 1.6, 5.0))), 1
    width = 4.6
    return (width, float(np.clip(width * aspect + 0.35, 2.3, 6.5))), min(n, 3)


def view_kind(grid) -> str:
    """How a grid is drawn: ``"raster"`` (plan image), ``"elevation"`` or ``"points"``."""
    if _is_raster(grid):
        return "raster"
    return "elevation" if _elevation_axis(grid) is not None else "points"


def _draw_values(ax, grid, values, scale: MapScale, contours: bool):
    """Draw values of a grid: an image for plan rasters, coloured dots otherwise."""
    if _is_raster(grid):
        raster = np.ma.masked_invalid(grid.to_raster(values))
        ext = _grid_extent(grid)
        img = ax.imshow(raster, origin="lower", extent=ext, cmap=scale.cmap, norm=scale.norm,
                        interpolation="nearest", zorder=1)
        rows, cols = grid.shape
        levels = [lv for lv in scale.contour_levels
                  if raster.count() and raster.min() < lv < raster.max()]
        if contours and levels and rows >= 3 and cols >= 3:
            x0, y0, dx, dy = grid.transform
            xs = x0 + dx * np.arange(cols)
            ys = y0 + dy * np.arange(rows)
            ax.contour(xs, ys, raster, levels=levels, colors="white", linewidths=0.5,
                       alpha=0.7, zorder=2)
        return img
    pts = grid.points
    size = 22 if pts.shape[0] < 500 else 8 if pts.shape[0] < 5000 else 3
    axis = _elevation_axis(grid)
    if axis is not None:
        s = (pts[:, :2] - pts[:, :2].mean(axis=0)) @ axis
        img = _elevation_image(ax, s, pts[:, 2], values, scale)
        if img is not None:
            return img
        return ax.scatter(s, pts[:, 2], c=values, cmap=scale.cmap, norm=scale.norm, s=size,
                          marker="s", edgecolors="none", zorder=1)
    # a thin dark rim: pale values (lit and seen) stay visible on pale pavements
    return ax.scatter(pts[:, 0], pts[:, 1], c=values, cmap=scale.cmap, norm=scale.norm, s=size,
                      edgecolors=(0.0, 0.0, 0.0, 0.45), linewidths=0.3 if size > 5 else 0.0,
                      zorder=1)


def _outline_segments(grid) -> np.ndarray:
    """(k, 2, 2) float: the cell edges [m] between a plan raster's cells with a point and those
    without (the calculation area's outline, holes included)."""
    rows, cols = grid.shape
    inside = np.zeros((rows + 2, cols + 2), dtype=bool)
    inside[1:-1, 1:-1] = np.isfinite(grid.to_raster(np.zeros(grid.n_points)))
    x0, y0, dx, dy = grid.transform
    # cell (r, c) of the padded raster spans x0 + (c - 1.5 .. c - 0.5) dx, likewise in y
    r, c = np.nonzero(inside[1:, :] != inside[:-1, :])   # edge between rows r and r + 1
    y = y0 + (r - 0.5) * dy
    xa, xb = x0 + (c - 1.5) * dx, x0 + (c - 0.5) * dx
    horiz = np.stack([np.column_stack([xa, y]), np.column_stack([xb, y])], axis=1)
    r, c = np.nonzero(inside[:, 1:] != inside[:, :-1])   # edge between columns c and c + 1
    x = x0 + (c - 0.5) * dx
    ya, yb = y0 + (r - 1.5) * dy, y0 + (r - 0.5) * dy
    vert = np.stack([np.column_stack([x, ya]), np.column_stack([x, yb])], axis=1)
    return np.concatenate([horiz, vert]).reshape(-1, 2, 2)


def _draw_outline(ax, grid):
    """The outline of a plan raster's calculation area (its cells with a point), dashed."""
    if not _is_raster(grid):
        return
    from matplotlib.collections import LineCollection

    seg = _outline_segments(grid)
    if not seg.shape[0]:
        return
    style, width, colour, _, _ = MARKER_STYLE["outline"]
    ax.add_collection(LineCollection(seg, colors=colour, linewidths=width, linestyles=style,
                                     zorder=4, gid="area_outline"), autolim=False)
    note_symbol(ax, "outline")


def _draw_scene(ax, scene, extent):
    from matplotlib.collections import LineCollection, PolyCollection

    fills, roofs, walls, veg = _scene_layers(scene, extent)
    for z, (name, tri) in enumerate(fills.items()):
        colour = LAND_COVER_STYLE[name][0]
        # one collection per class, no edges and no antialiasing: seamless and cheap
        ax.add_collection(PolyCollection(tri, facecolors=colour, edgecolors="none",
                                         antialiaseds=False, zorder=0.2 + 0.05 * z),
                          autolim=False)
        note_symbol(ax, name)
    building = LAND_COVER_STYLE["building"][0]
    if roofs.shape[0]:
        # opaque and under the values: data on a grid under a deck stays visible
        ax.add_collection(PolyCollection(roofs, facecolors=building, edgecolors="none",
                                         antialiaseds=False, zorder=0.5), autolim=False)
    if veg.shape[0]:  # translucent over the values: what lies under a crown stays readable
        ax.add_collection(PolyCollection(veg, facecolors=LAND_COVER_STYLE["vegetation"][0],
                                         edgecolors="none", antialiaseds=False, zorder=2.5),
                          autolim=False)
        note_symbol(ax, "vegetation")
    if walls.shape[0]:
        ax.add_collection(LineCollection(walls, colors=(0.2, 0.19, 0.18, 0.9), linewidths=0.6,
                                         zorder=3), autolim=False)
    if roofs.shape[0] or walls.shape[0]:
        note_symbol(ax, "building")


def _positions(items) -> np.ndarray:
    if items is None:
        return np.empty((0, 3))
    pos = getattr(items, "positions", None)  # an ObserverSet
    if pos is None:
        pos = [np.asarray(getattr(it, "position", it), dtype=np.float64)[:3] for it in items]
    pos = np.asarray(pos, dtype=np.float64).reshape(-1, 3)
    return pos


def _inside(pos, extent) -> np.ndarray:
    xmin, xmax, ymin, ymax = extent
    return (pos[:, 0] >= xmin) & (pos[:, 0] <= xmax) & (pos[:, 1] >= ymin) & (pos[:, 1] <= ymax)


def _draw_markers(ax, key: str, x, y):
    marker, size, face, edge, label = MARKER_STYLE[key]
    ax.scatter(x, y, marker=marker, s=size, c=face, edgecolors=edge, linewidths=0.6,
               zorder=5 if key == "luminaire" else 4.5, label=key)
    note_symbol(ax, key)


def _draw_luminaires(ax, luminaires, extent, names: bool):
    pos = _positions(luminaires)
    if pos.size == 0:
        return
    inside = _inside(pos, extent)
    if not inside.any():
        return
    _draw_markers(ax, "luminaire", pos[inside, 0], pos[inside, 1])
    if names:
        for lum, p, ok in zip(luminaires, pos, inside):
            if ok and getattr(lum, "name", None):
                ax.annotate(str(lum.name), (p[0], p[1]), xytext=(3, 3),
                            textcoords="offset points", fontsize=6, zorder=6)


def plan_map(ax, field, *, values=None, scene=None, luminaires: Sequence = (),
             scale: MapScale | None = None, contours: bool = True, title: str | None = None,
             luminaire_names: bool = False, observers=None, outline: bool = True,
             furniture: bool = True):
    """Draw one field in plan view on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    field : Field
        The values and their grid; plan grids draw as an image, other grids (façades, routes,
        observers) as coloured dots at their plan positions.
    values : (n,) float, optional
        Values to draw instead of ``field.values`` (same grid), e.g. categories.
    scene : Scene, optional
        The city under the values, in the colours of
        :data:`~cpted_sim.plot.style.LAND_COVER_STYLE` (roads, pavements, grass, water under
        the values, buildings as roof fills and wall lines, vegetation translucent over them;
        see :mod:`cpted_sim.plot.landcover` for how faces get their class).
    luminaires : sequence of Luminaire
        Drawn as yellow stars at their plan positions [m].
    scale : MapScale, optional
        Colour scale; default :func:`~cpted_sim.plot.style.shared_scale` of this field alone.
    contours : bool
        Isolines at the scale's contour levels (isolux lines for illuminance).
    title : str, optional
        Panel title.
    luminaire_names : bool
        Write each luminaire's name beside its marker.
    observers : ObserverSet or (n, 3) float, optional
        Observers (windows, doors, walkers) drawn as small blue triangles [m].
    outline : bool
        Draw the outline of a plan raster's calculation area (dashed).
    furniture : bool
        Draw a scale bar and (in plan) a north arrow (+y is north).

    Returns
    -------
    matplotlib.cm.ScalarMappable
        The image or dots, for a colour bar.
    """
    scale = scale or shared_scale([field])
    vals = field.values if values is None else np.asarray(values, dtype=np.float64)
    grid = field.grid
    if vals.shape != (grid.n_points,):
        raise ParameterError(f"values: expected {grid.n_points} values, got {vals.shape}")
    mappable = _draw_values(ax, grid, vals, scale, contours)
    draw_context(ax, grid, scene=scene, luminaires=luminaires, observers=observers,
                 luminaire_names=luminaire_names, outline=outline, furniture=furniture,
                 title=title)
    return mappable


def draw_context(ax, grid, *, scene=None, luminaires: Sequence = (), observers=None,
                 luminaire_names: bool = False, outline: bool = True, furniture: bool = True,
                 title: str | None = None) -> None:
    """Everything of a map panel but the values: the city, outline, observers, luminaires,
    limits, scale bar, north arrow and title (see :func:`plan_map` for the arguments)."""
    axis = None if _is_raster(grid) else _elevation_axis(grid)
    if axis is None:
        extent = _padded(_grid_extent(grid))
        if scene is not None:
            _draw_scene(ax, scene, extent)
        if outline:
            _draw_outline(ax, grid)
        obs = _positions(observers)
        if obs.shape[0]:
            inside = _inside(obs, extent)
            if inside.any():
                _draw_markers(ax, "observer", obs[inside, 0], obs[inside, 1])
        if luminaires:
            _draw_luminaires(ax, luminaires, extent, luminaire_names)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_aspect("equal")
        # a plan map reads by its scale bar and north arrow, not by coordinate ticks
        ax.set_xticks([])
        ax.set_yticks([])
        ax.xaxis.set_visible(False)  # nothing to draw: skip laying out their empty ticks
        ax.yaxis.set_visible(False)
        if furniture:
            add_scale_bar(ax)
            add_north_arrow(ax)
    else:
        _elevation_frame(ax, grid, axis, luminaires, luminaire_names)
        ax.set_aspect("equal")
        ax.ticklabel_format(useOffset=False, style="plain")
        ax.tick_params(labelsize=7)  # metre axes (along, height): no scale bar, no north
    if title:
        # y given: no search for ticks above the axes (a tenth of a sheet's set-up)
        ax.set_title(title, fontsize=9, pad=3, y=1.0)


def _elevation_frame(ax, grid, axis, luminaires, names: bool):
    """Limits, labels and luminaires of an elevation view along plan direction ``axis``."""
    pts = grid.points
    centre = pts[:, :2].mean(axis=0)
    s = (pts[:, :2] - centre) @ axis
    smin, smax = float(s.min()), float(s.max())
    top = float(pts[:, 2].max())
    if luminaires:
        pos = _positions(luminaires)
        ls = (pos[:, :2] - centre) @ axis
        inside = (ls >= smin - 1.0) & (ls <= smax + 1.0)
        if inside.any():
            _draw_markers(ax, "luminaire", ls[inside], pos[inside, 2])
            top = max(top, float(pos[inside, 2].max()))
            if names:
                for lum, x, z in zip(np.asarray(luminaires, dtype=object)[inside], ls[inside],
                                     pos[inside, 2]):
                    ax.annotate(str(getattr(lum, "name", "") or ""), (x, z), xytext=(3, 3),
                                textcoords="offset points", fontsize=6, zorder=6)
    pad = max(1.0, 0.03 * (smax - smin))
    ax.set_xlim(smin - pad, smax + pad)
    ax.set_ylim(min(0.0, float(pts[:, 2].min())) - 0.5, top + 1.0)
    ax.axhline(0.0, color=(0.3, 0.3, 0.3), linewidth=0.6, zorder=0)
    ax.set_xlabel(f"along the façade, towards ({axis[0]:+.2f}, {axis[1]:+.2f}) [m]", fontsize=7)
    ax.set_ylabel("height [m]", fontsize=7)


def add_colorbar(fig, mappable, axes, scale: MapScale):
    """A colour bar for ``scale`` beside ``axes`` (one bar shared by every panel).

    Its label is the plain-language name and unit of the quantity (``scale.label``). On a
    figure of :func:`~cpted_sim.plot.style.new_figure` the bar takes the column kept for it.
    """
    layout = getattr(fig, "_cpted_layout", None)
    ticks = list(scale.ticks) if scale.ticks is not None else None
    if layout is not None and layout.colorbar is not None:
        cax = fig.add_axes(layout.colorbar)
        cb = fig.colorbar(mappable, cax=cax, extend=scale.extend, ticks=ticks)
    else:
        cb = fig.colorbar(mappable, ax=axes, shrink=0.85, extend=scale.extend, ticks=ticks)
    _label_colorbar(cb, scale, ticks)
    cb.ax.xaxis.set_visible(False)  # no ticks across the bar: not laid out on every map
    cb.ax.set_gid("colorbar")
    return cb


def _label_colorbar(cb, scale: MapScale, ticks) -> None:
    if scale.tick_labels is not None:
        cb.set_ticks(ticks, labels=list(scale.tick_labels))
    cb.ax.tick_params(labelsize=7)
    cb.set_label(scale.label, fontsize=8)


def map_figure(grid, n: int = 1, *, symbols: bool = True, suptitle: bool = False):
    """A figure for ``n`` map panels of ``grid`` (:func:`~cpted_sim.plot.style.new_figure`
    with the panel size, tick room and legend rows that suit the view)."""
    size, ncols = panel_layout(grid, n)
    elevation = view_kind(grid) == "elevation"
    rows = (2 if symbols else 1) if not elevation else (1 if symbols else 0)
    return new_figure(n, panel_size=size, ncols=ncols, ticks=elevation, legend_rows=rows,
                      suptitle=suptitle)


def finish_figure(fig, axes, mappable, scale: MapScale, path=None, *, title=None,
                  dpi: int = MAP_DPI):
    """Colour bar, legend and title of a map figure; saved as PNG when ``path`` is given."""
    add_colorbar(fig, mappable, axes, scale)
    add_legend(fig, axes)
    if title:
        fig.suptitle(title, fontsize=10, y=0.995, va="top")
    if path is None:
        return fig
    return save_figure(fig, Path(path), dpi=dpi)


def field_map(field, path=None, *, scene=None, luminaires: Sequence = (),
              scale: MapScale | None = None, contours: bool = True, title: str | None = None,
              dpi: int = MAP_DPI, observers=None):
    """A one-panel plan map of ``field`` with a colour bar, scale bar, north arrow and legend,
    saved as PNG when ``path`` is given.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The PNG written (the figure is released), or the figure when ``path`` is None.
    """
    scale = scale or shared_scale([field])
    has = scene is not None or bool(luminaires) or observers is not None
    fig, (ax,) = map_figure(field.grid, 1, symbols=has)
    m = plan_map(ax, field, scene=scene, luminaires=luminaires, scale=scale, contours=contours,
                 title=title or plain_label(field.quantity), observers=observers)
    return finish_figure(fig, [ax], m, scale, path, dpi=dpi)


def dark_unseen_values(fields: dict) -> tuple[np.ndarray, MapScale] | None:
    """Category codes for the "dark and unseen" map from a dict of fields by quantity.

    With ``"dark"`` and ``"unobserved"`` the code is ``dark + 2 * unobserved`` (lit and seen,
    dark, unseen, dark and unseen: :data:`~cpted_sim.plot.style.DARK_UNSEEN_CATEGORIES`); with
    only ``"dark_and_unseen"`` it is that flag (two classes). None when neither is present.
    """
    if "dark" in fields and "unobserved" in fields:
        dark = np.asarray(fields["dark"].values, dtype=np.float64)
        unseen = np.asarray(fields["unobserved"].values, dtype=np.float64)
        code = (dark > 0.5).astype(np.float64) + 2.0 * (unseen > 0.5)
        code[~(np.isfinite(dark) & np.isfinite(unseen))] = np.nan
        return code, category_scale(DARK_UNSEEN_CATEGORIES, label="Light and sight at night")
    if "dark_and_unseen" in fields:
        flag = np.asarray(fields["dark_and_unseen"].values, dtype=np.float64)
        code = np.where(np.isfinite(flag), (flag > 0.5).astype(np.float64), np.nan)
        cats = (("lit or seen", DARK_UNSEEN_CATEGORIES[0][1]), DARK_UNSEEN_CATEGORIES[3])
        return code, category_scale(cats, label="Light and sight at night")
    return None


def dark_unseen_map(fields: dict, path=None, *, scene=None, luminaires: Sequence = (),
                    title: str = "dark and unseen", dpi: int = MAP_DPI, observers=None):
    """A one-panel "dark and unseen" category map (see :func:`dark_unseen_values`).

    Raises
    ------
    ParameterError
        ``fields`` holds neither ``dark`` and ``unobserved`` nor ``dark_and_unseen``.
    """
    got = dark_unseen_values(fields)
    if got is None:
        raise ParameterError("fields: need 'dark' and 'unobserved', or 'dark_and_unseen'; "
                             f"got {sorted(fields)}")
    code, scale = got
    ref = fields["dark_and_unseen"] if "dark_and_unseen" in fields else fields["dark"]
    has = scene is not None or bool(luminaires) or observers is not None
    fig, (ax,) = map_figure(ref.grid, 1, symbols=has)
    m = plan_map(ax, ref, values=code, scene=scene, luminaires=luminaires, scale=scale,
                 contours=False, title=title, observers=observers)
    return finish_figure(fig, [ax], m, scale, path, dpi=dpi)
