"""Plan-view maps of fields: false colour, isolux lines, buildings and luminaires.

Every function draws on the Agg canvas (:mod:`cpted_sim.plot.style`); nothing opens a window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection

from ..errors import ParameterError
from .style import (DARK_UNSEEN_CATEGORIES, MapScale, category_scale, new_figure, save_figure,
                    shared_scale)

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
]

#: Words of group names (case-insensitive, plural "s" ignored) drawn as vegetation (also groups whose material
#: carries the tag ``"vegetation"`` or ``"hedge"``).
VEGETATION_WORDS = ("tree", "hedge", "shrub", "bush", "vegetation", "canopy", "crown")

#: Words of group names (case-insensitive, plural "s" ignored) taken as open ground.
GROUND_WORDS = ("ground", "terrain", "road", "street", "pavement", "sidewalk", "path", "grass",
                "lawn", "water", "plaza", "square", "floor", "surface")


def _has_word(name: str, words) -> bool:
    """Whether a word of ``name`` (split at anything but letters) is one of ``words``."""
    toks = [t for t in re.split(r"[^a-z]+", name.lower()) if t]
    return any(t in words or t.rstrip("s") in words for t in toks)


def _vegetation_groups(scene) -> np.ndarray:
    """(n_groups,) bool: groups drawn as vegetation (by name or material tag)."""
    out = []
    for g in scene.groups:
        mat = scene.materials.get(g)
        tags = set(getattr(mat, "tags", ()) or ())
        out.append(_has_word(g, VEGETATION_WORDS) or bool(tags & {"vegetation", "hedge", "tree"}))
    return np.array(out, dtype=bool)


def _in_extent(tri, extent) -> np.ndarray:
    if extent is None:
        return np.ones(tri.shape[0], dtype=bool)
    xmin, xmax, ymin, ymax = extent
    lo = tri[:, :, :2].min(axis=1)
    hi = tri[:, :, :2].max(axis=1)
    return (hi[:, 0] >= xmin) & (lo[:, 0] <= xmax) & (hi[:, 1] >= ymin) & (lo[:, 1] <= ymax)


def vegetation_outlines(scene, *, extent=None) -> np.ndarray:
    """Plan triangles [m] (world) of the vegetation faces (trees, hedges), (k, 3, 2)."""
    veg = _vegetation_groups(scene)[scene.face_group]
    tri = scene.vertices[scene.faces] + scene.origin
    keep = veg & _in_extent(tri, extent)
    return np.ascontiguousarray(tri[keep][:, :, :2])


def building_outlines(scene, *, extent=None, ground_tolerance: float = 0.5,
                      ground_groups: Sequence[str] | None = None, min_wall: float = 1e-6):
    """Plan projection of the scene's non-ground faces: roof fills and wall lines.

    A face counts as open ground when a word of its group name is one of :data:`GROUND_WORDS`
    (or is listed in ``ground_groups``), or when it faces up (|n_z| > 0.7) and lies within
    ``ground_tolerance`` of the scene's lowest point. Vegetation (see
    :func:`vegetation_outlines`) is left out too. Of the rest, faces that are not steep
    (|n_z| >= 0.2: roofs, decks, canopies) are returned as plan triangles, steep faces (walls)
    as their longest plan edge.

    Parameters
    ----------
    scene : Scene
        The scene.
    extent : (xmin, xmax, ymin, ymax), optional
        Keep only faces whose plan bounding box overlaps this window [m] (world).
    ground_tolerance : float
        Height above the scene's lowest point [m] below which up-facing faces are ground.
    ground_groups : sequence of str, optional
        Group names that are ground, in addition to the name rule.
    min_wall : float
        Wall segments shorter than this in plan, and roof triangles smaller than its square,
        are dropped [m] (window reveals on a city map); segments that coincide (the two
        triangles of a wall quad) are kept once.

    Returns
    -------
    roofs : (k, 3, 2) float
        Plan triangles [m] (world).
    walls : (w, 2, 2) float
        Plan segments [m] (world).
    """
    tri = scene.vertices[scene.faces] + scene.origin  # (n, 3, 3) world
    nz = np.abs(scene.face_normals[:, 2])
    names = [g.lower() for g in scene.groups]
    extra = {g.lower() for g in (ground_groups or ())}
    ground_group = np.array([_has_word(g, GROUND_WORDS) or g in extra for g in names],
                            dtype=bool)
    z_floor = float(scene.bounds[0, 2])
    low = tri[:, :, 2].max(axis=1) <= z_floor + ground_tolerance
    ground = ground_group[scene.face_group] | ((nz > 0.7) & low)
    keep = ~ground & ~_vegetation_groups(scene)[scene.face_group] & _in_extent(tri, extent)
    roofs = tri[keep & (nz >= 0.2)][:, :, :2]
    a, b, c = roofs[:, 0], roofs[:, 1], roofs[:, 2]
    plan_area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                             - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
    roofs = roofs[plan_area > min_wall * min_wall]
    wall_tri = tri[keep & (nz < 0.2)][:, :, :2]
    if wall_tri.shape[0]:
        edges = np.stack([wall_tri[:, [0, 1]], wall_tri[:, [1, 2]], wall_tri[:, [2, 0]]], axis=1)
        length = np.linalg.norm(edges[:, :, 1] - edges[:, :, 0], axis=2)
        walls = edges[np.arange(edges.shape[0]), np.argmax(length, axis=1)]
        walls = walls[np.max(length, axis=1) > min_wall]
        # the two triangles of a wall quad project to the same segment: keep it once
        key = np.round(walls.reshape(-1, 4) / 1e-3).astype(np.int64)
        swap = (key[:, 0] > key[:, 2]) | ((key[:, 0] == key[:, 2]) & (key[:, 1] > key[:, 3]))
        key[swap] = key[swap][:, [2, 3, 0, 1]]
        _, first = np.unique(key, axis=0, return_index=True)
        walls = walls[np.sort(first)]
    else:
        walls = np.empty((0, 2, 2))
    return np.ascontiguousarray(roofs), np.ascontiguousarray(walls)


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


def _elevation_image(ax, s, z, values, scale: MapScale):
    """Façade values as an image: each cell of a regular (s, z) raster at the points' typical
    spacing takes the value of the nearest point (within 1.5 cells); None when too sparse."""
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
    cs_ = lo[0] + cell * np.arange(ns)
    cz = lo[1] + cell * np.arange(nz)
    gs, gz = np.meshgrid(cs_, cz)
    dist, idx = tree.query(np.column_stack([gs.ravel(), gz.ravel()]),
                           distance_upper_bound=1.5 * cell)
    img = np.full(gs.size, np.nan)
    ok = np.isfinite(dist)
    img[ok] = np.asarray(values, dtype=np.float64)[idx[ok]]
    ext = (lo[0] - cell / 2, lo[0] + (ns - 0.5) * cell, lo[1] - cell / 2, lo[1] + (nz - 0.5) * cell)
    return ax.imshow(np.ma.masked_invalid(img.reshape(nz, ns)), origin="lower", extent=ext,
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
        return (width, float(np.clip(width * aspect + 0.9, 1.8, 5.0))), 1
    width = 4.6
    return (width, float(np.clip(width * aspect + 0.6, 2.5, 6.5))), min(n, 3)


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
            cs = ax.contour(xs, ys, raster, levels=levels, colors="white", linewidths=0.6,
                            alpha=0.85, zorder=2)
            ax.clabel(cs, fmt="%g", fontsize=6, inline=True)
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
    return ax.scatter(pts[:, 0], pts[:, 1], c=values, cmap=scale.cmap, norm=scale.norm, s=size,
                      edgecolors="none", zorder=1)


def _draw_scene(ax, scene, extent):
    size = max(extent[1] - extent[0], extent[3] - extent[2])
    roofs, walls = building_outlines(scene, extent=extent, min_wall=2e-3 * size)
    if roofs.shape[0]:
        # opaque and under the values: data on a grid under a deck stays visible
        ax.add_collection(PolyCollection(roofs, facecolors="#c9cacd", edgecolors="#c9cacd",
                                         linewidths=0.3, zorder=0.5))
    veg = vegetation_outlines(scene, extent=extent)
    if veg.shape[0]:  # translucent over the values: what lies under a crown stays readable
        ax.add_collection(PolyCollection(veg, facecolors=(0.23, 0.49, 0.27, 0.22),
                                         edgecolors="none", zorder=2.5))
    if walls.shape[0]:
        ax.add_collection(LineCollection(walls, colors=(0.15, 0.15, 0.17, 0.9), linewidths=0.7,
                                         zorder=3))


def _draw_luminaires(ax, luminaires, extent, names: bool):
    pos = np.array([np.asarray(lum.position, dtype=np.float64)[:3] for lum in luminaires])
    if pos.size == 0:
        return
    xmin, xmax, ymin, ymax = extent
    inside = (pos[:, 0] >= xmin) & (pos[:, 0] <= xmax) & (pos[:, 1] >= ymin) & (pos[:, 1] <= ymax)
    ax.scatter(pos[inside, 0], pos[inside, 1], marker="*", s=90, c="#ffd400", edgecolors="black",
               linewidths=0.6, zorder=5, label="luminaire")
    if names:
        for lum, p, ok in zip(luminaires, pos, inside):
            if ok and getattr(lum, "name", None):
                ax.annotate(str(lum.name), (p[0], p[1]), xytext=(3, 3),
                            textcoords="offset points", fontsize=6, zorder=6)


def plan_map(ax, field, *, values=None, scene=None, luminaires: Sequence = (),
             scale: MapScale | None = None, contours: bool = True, title: str | None = None,
             luminaire_names: bool = False):
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
        Buildings drawn over the map: roofs as translucent grey, walls as dark lines.
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
    axis = None if _is_raster(grid) else _elevation_axis(grid)
    if axis is None:
        extent = _padded(_grid_extent(grid))
        if scene is not None:
            _draw_scene(ax, scene, extent)
        if luminaires:
            _draw_luminaires(ax, luminaires, extent, luminaire_names)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
    else:
        _elevation_frame(ax, grid, axis, luminaires, luminaire_names)
    ax.set_aspect("equal")
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return mappable


def _elevation_frame(ax, grid, axis, luminaires, names: bool):
    """Limits, labels and luminaires of an elevation view along plan direction ``axis``."""
    pts = grid.points
    centre = pts[:, :2].mean(axis=0)
    s = (pts[:, :2] - centre) @ axis
    smin, smax = float(s.min()), float(s.max())
    top = float(pts[:, 2].max())
    if luminaires:
        pos = np.array([np.asarray(lum.position, dtype=np.float64)[:3] for lum in luminaires])
        ls = (pos[:, :2] - centre) @ axis
        inside = (ls >= smin - 1.0) & (ls <= smax + 1.0)
        if inside.any():
            ax.scatter(ls[inside], pos[inside, 2], marker="*", s=90, c="#ffd400",
                       edgecolors="black", linewidths=0.6, zorder=5)
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
    ax.set_xlabel(f"along ({axis[0]:+.2f}, {axis[1]:+.2f}) [m]")
    ax.set_ylabel("z [m]")


def add_colorbar(fig, mappable, axes, scale: MapScale):
    """A colour bar for ``scale`` beside ``axes`` (one bar shared by every panel)."""
    cb = fig.colorbar(mappable, ax=axes, shrink=0.85, extend=scale.extend,
                      ticks=list(scale.ticks) if scale.ticks is not None else None)
    if scale.tick_labels is not None:
        cb.ax.set_yticklabels(list(scale.tick_labels), fontsize=7)
    else:
        cb.ax.tick_params(labelsize=7)
    cb.set_label(scale.label, fontsize=8)
    return cb


def field_map(field, path=None, *, scene=None, luminaires: Sequence = (),
              scale: MapScale | None = None, contours: bool = True, title: str | None = None,
              dpi: int = 110):
    """A one-panel plan map of ``field`` with a colour bar, saved as PNG when ``path`` is given.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The PNG written (the figure is released), or the figure when ``path`` is None.
    """
    scale = scale or shared_scale([field])
    fig, (ax,) = new_figure(1, panel_size=panel_layout(field.grid)[0])
    m = plan_map(ax, field, scene=scene, luminaires=luminaires, scale=scale, contours=contours,
                 title=title or field.quantity)
    add_colorbar(fig, m, [ax], scale)
    if path is None:
        return fig
    return save_figure(fig, Path(path), dpi=dpi)


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
        return code, category_scale(DARK_UNSEEN_CATEGORIES)
    if "dark_and_unseen" in fields:
        flag = np.asarray(fields["dark_and_unseen"].values, dtype=np.float64)
        code = np.where(np.isfinite(flag), (flag > 0.5).astype(np.float64), np.nan)
        cats = (("lit or seen", DARK_UNSEEN_CATEGORIES[0][1]), DARK_UNSEEN_CATEGORIES[3])
        return code, category_scale(cats)
    return None


def dark_unseen_map(fields: dict, path=None, *, scene=None, luminaires: Sequence = (),
                    title: str = "dark and unseen", dpi: int = 110):
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
    fig, (ax,) = new_figure(1, panel_size=panel_layout(ref.grid)[0])
    m = plan_map(ax, ref, values=code, scene=scene, luminaires=luminaires, scale=scale,
                 contours=False, title=title)
    add_colorbar(fig, m, [ax], scale)
    if path is None:
        return fig
    return save_figure(fig, Path(path), dpi=dpi)
