"""Road axes from road polygons, and kerb distances (layer L6; needs shapely, the ``gis``
extra).

Municipal data often has road *areas* (the Dutch BGT ``wegdeel`` polygons) and no centre
lines. :func:`centre_line` derives the main axis of a road polygon from the medial axis of its
densified boundary: the Voronoi edges of the boundary vertices that lie inside the polygon form
a skeleton graph, whose longest path (found with two Dijkstra sweeps) is the main axis; the
side branches towards the corners are pruned with it. :func:`kerb_distance` measures how far
points lie from the polygon's edge (the kerb), e.g. the half width of the carriageway along
its axis.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .vector import require_gis

__all__ = ["centre_line", "kerb_distance", "half_width", "kerb_along"]


def _polygon(polygon, holes=()):
    shapely = require_gis("road centre lines")[0]
    if isinstance(polygon, shapely.Geometry):
        g = polygon
    else:
        ring = np.asarray(polygon, dtype=np.float64)
        if ring.ndim != 2 or ring.shape[1] < 2 or len(ring) < 3:
            raise ParameterError(f"polygon: expected (n >= 3, 2) vertices [m], got shape "
                                 f"{ring.shape}")
        g = shapely.Polygon(ring[:, :2], [np.asarray(h, dtype=np.float64)[:, :2]
                                          for h in holes])
    if g.geom_type == "MultiPolygon" and len(g.geoms) == 1:
        g = g.geoms[0]
    if g.geom_type != "Polygon" or g.is_empty:
        raise ParameterError(f"polygon: expected one polygon, got a {g.geom_type}")
    if not g.is_valid:
        g = shapely.make_valid(g)
        if g.geom_type != "Polygon":
            parts = sorted(shapely.get_parts(g), key=lambda p: -p.area)
            g = parts[0]
    return shapely.force_2d(g)


def centre_line(polygon, holes=(), *, step: float | None = None,
                simplify: float | None = None) -> np.ndarray:
    """The main axis of a road polygon, from its medial axis.

    Parameters
    ----------
    polygon : (n, 2) float or shapely Polygon
        The road outline [m] (exterior ring; a shapely polygon may carry holes).
    holes : sequence of (k, 2) float
        Interior rings [m], when ``polygon`` is an array.
    step : float, optional
        Boundary densification step [m]; default: a quarter of the road's typical width,
        between 0.25 and 2 m.
    simplify : float, optional
        Tolerance [m] of the Douglas-Peucker simplification of the result; default a
        quarter of the road's typical width (``2 area / perimeter``).

    Returns
    -------
    (k, 2) float
        The axis vertices [m] from one end to the other (inside the polygon).

    Notes
    -----
    The Voronoi diagram of densely sampled boundary points approximates the medial axis
    (Blum's skeleton); its edges inside the polygon form a graph whose longest shortest path
    is the road's main axis. Its ends run into the corners of the road's ends; they are cut
    where the distance to the kerb drops below 0.8 times its median, so the axis stops about
    half a road width short of each end.
    """
    shapely = require_gis("road centre lines")[0]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, dijkstra

    g = _polygon(polygon, holes)
    width = 2.0 * g.area / max(g.exterior.length, 1e-9)   # ~ width of a long strip
    if step is None:
        step = float(np.clip(width / 4.0, 0.25, 2.0))
    if not step > 0:
        raise ParameterError(f"step: expected a number > 0 [m], got {step}")
    dense = shapely.segmentize(g, step)
    pts = shapely.MultiPoint(shapely.get_coordinates(dense))
    edges = shapely.voronoi_polygons(pts, only_edges=True, extend_to=g)
    lines = shapely.get_parts(edges)
    inside = shapely.contains_properly(g, lines)
    lines = lines[inside]
    if len(lines) == 0:
        raise ParameterError("polygon: too small or too thin for a centre line at step "
                             f"{step} m")
    ncoord = shapely.get_num_coordinates(lines)
    coords = shapely.get_coordinates(lines)
    ends = np.cumsum(ncoord)
    segs = np.stack([coords[ends - ncoord], coords[ends - 1]], axis=1)   # (m, 2, 2)
    key = np.round(segs.reshape(-1, 2) / 1e-6).astype(np.int64)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    verts = segs.reshape(-1, 2)[np.unique(inv, return_index=True)[1]]
    a, b = inv[0::2], inv[1::2]
    w = np.hypot(*(verts[a] - verts[b]).T)
    n = len(uniq)
    graph = coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    ncomp, label = connected_components(graph, directed=False)
    if ncomp > 1:   # keep the largest piece of the skeleton
        big = np.argmax(np.bincount(label))
        sel = np.flatnonzero(label == big)
        graph = graph[sel][:, sel]
        verts = verts[sel]
    d0 = dijkstra(graph, directed=False, indices=0)
    u = int(np.argmax(np.where(np.isfinite(d0), d0, -1)))
    du, pred = dijkstra(graph, directed=False, indices=u, return_predecessors=True)
    v = int(np.argmax(np.where(np.isfinite(du), du, -1)))
    path = [v]
    while path[-1] != u:
        path.append(int(pred[path[-1]]))
    axis = verts[path[::-1]]
    # prune the corner branches at both ends: from each end, drop the vertices whose kerb
    # distance is under 0.8 x the median (a branch into a corner narrows to 0)
    kd = shapely.distance(g.boundary, shapely.points(axis))
    ok = np.flatnonzero(kd >= 0.8 * np.median(kd))
    if len(ok) >= 2:
        axis = axis[ok[0]:ok[-1] + 1]
    tol = width / 4.0 if simplify is None else float(simplify)
    line = shapely.LineString(axis)
    inside = g.buffer(1e-6)
    while tol > 1e-3:    # simplify, but never so much that the axis leaves the road
        simple = shapely.simplify(line, tol)
        if inside.covers(simple):
            axis = np.asarray(simple.coords)[:, :2]
            break
        tol /= 2.0
    return np.ascontiguousarray(axis, dtype=np.float64)


def kerb_distance(polygon, points, holes=()) -> np.ndarray:
    """Horizontal distance [m] of each point to the polygon's boundary (the kerb).

    Parameters
    ----------
    polygon : (n, 2) float or shapely Polygon
    points : (k, 2|3) float
        Points [m]; z is ignored.
    holes : sequence of (k, 2) float

    Returns
    -------
    (k,) float
        Distance to the nearest edge [m] (positive inside and outside alike).
    """
    shapely = require_gis("kerb distances")[0]
    g = _polygon(polygon, holes)
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] not in (2, 3):
        raise ParameterError(f"points: expected (k, 2|3), got shape {p.shape}")
    return shapely.distance(g.boundary, shapely.points(p[:, :2]))


def half_width(polygon, axis, holes=()) -> float:
    """Typical distance [m] from a road's axis to its kerb: the median kerb distance of the
    axis, sampled every metre, leaving out the last 10 % at each end."""
    a = np.asarray(axis, dtype=np.float64)[:, :2]
    seglen = np.hypot(*np.diff(a, axis=0).T)
    cum = np.r_[0.0, np.cumsum(seglen)]
    length = cum[-1]
    if not length > 0:
        raise ParameterError("axis: has zero length")
    s = np.linspace(0.1 * length, 0.9 * length, max(3, int(0.8 * length) + 1))
    xy = np.column_stack([np.interp(s, cum, a[:, 0]), np.interp(s, cum, a[:, 1])])
    return float(np.median(kerb_distance(polygon, xy, holes)))


def kerb_along(polygon, holes=(), *, reach: float = 50.0):
    """A ``half_width`` callable for :func:`cpted_sim.scenario.poles.poles_along_road`: the
    distance from each axis point along its outward normal to the first crossing of the road
    polygon's boundary (the kerb on that side).

    Parameters
    ----------
    polygon : (n, 2) float or shapely Polygon
    holes : sequence of (k, 2) float
    reach : float
        Longest distance searched [m]; where no kerb lies within it, the distance to the
        nearest edge is used.

    Returns
    -------
    callable
        ``f(xy (k, 2), normal (k, 2)) -> (k,)`` [m].
    """
    shapely = require_gis("kerb distances")[0]
    g = _polygon(polygon, holes)
    boundary = g.boundary

    def f(xy, normal):
        xy = np.asarray(xy, dtype=np.float64)
        nrm = np.asarray(normal, dtype=np.float64)
        rays = shapely.linestrings(np.stack([xy, xy + reach * nrm], axis=1))
        hits = shapely.intersection(rays, boundary)
        out = np.empty(len(xy))
        for i, h in enumerate(hits):
            c = shapely.get_coordinates(h)
            dist = np.hypot(*(c - xy[i]).T)
            dist = dist[dist > 1e-6]     # an end edge the ray runs along starts at the axis
            if len(dist):
                out[i] = dist.min()
            else:
                out[i] = shapely.distance(boundary, shapely.Point(xy[i]))
        return out

    return f
