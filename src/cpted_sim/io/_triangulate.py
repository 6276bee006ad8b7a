"""Triangulation of planar 3D polygons with holes (CityJSON surfaces, OBJ n-gons).

``mapbox_earcut`` (the ``cityjson`` extra) is used when it is installed; otherwise a plain ear
clipping with hole bridging (Eberly, "Triangulation by Ear Clipping", 2002) that handles simple
polygons, with or without holes. Both work on the polygon projected onto the coordinate plane
most nearly parallel to it (Newell's normal), which keeps the triangulation valid for planar
and nearly planar rings.
"""

from __future__ import annotations

import numpy as np

__all__ = ["triangulate_polygon", "triangulate_polygons", "newell_normal", "HAVE_EARCUT"]

try:  # optional: pip install mapbox-earcut (the "cityjson" extra)
    import mapbox_earcut as _earcut
except ImportError:  # pragma: no cover - depends on the environment
    _earcut = None

HAVE_EARCUT = _earcut is not None


def newell_normal(points: np.ndarray) -> np.ndarray:
    """Area-weighted normal of a closed ring ((n, 3), not repeating the first point).

    Its length is twice the ring's area [m²] for a planar ring.
    """
    p = np.asarray(points, dtype=np.float64)
    q = np.roll(p, -1, axis=0)
    return np.array([
        np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2])),
        np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0])),
        np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1])),
    ])


def _project(points: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """2D coordinates in the plane most nearly parallel to the polygon, counter-clockwise
    seen from the side ``normal`` points to."""
    k = int(np.argmax(np.abs(normal)))
    i, j = [(1, 2), (2, 0), (0, 1)][k]
    uv = points[:, [i, j]]
    if normal[k] < 0:
        uv = uv[:, ::-1]
    # Centre for better conditioning of the 2D predicates.
    return uv - uv.mean(axis=0)


def triangulate_polygon(points, ring_ends, *, use_earcut: bool | None = None) -> np.ndarray:
    """Triangles covering a polygon given as rings (the first outer, the others holes).

    Parameters
    ----------
    points : (n, 3) float
        The ring vertices one ring after another [m], no ring repeating its first vertex.
    ring_ends : sequence of int
        Exclusive end index of each ring in ``points`` (the last equals ``n``).
    use_earcut : bool, optional
        Force (True) or avoid (False) ``mapbox_earcut``; default: use it when installed.

    Returns
    -------
    (m, 3) int64
        Indices into ``points``; the triangles wind like the outer ring. Empty when the polygon
        has no area.
    """
    pts = np.asarray(points, dtype=np.float64)
    ends = [int(e) for e in ring_ends]
    n_outer = ends[0]
    if n_outer < 3:
        return np.empty((0, 3), dtype=np.int64)
    if len(ends) == 1 and n_outer == 3:
        return np.array([[0, 1, 2]], dtype=np.int64)
    normal = newell_normal(pts[:n_outer])
    if not np.all(np.isfinite(normal)) or not np.any(normal):
        return np.empty((0, 3), dtype=np.int64)
    uv = _project(pts, normal)
    if use_earcut is None:
        use_earcut = HAVE_EARCUT
    if use_earcut:
        if _earcut is None:
            raise ImportError("mapbox_earcut is not installed (pip install mapbox-earcut)")
        tri = _earcut.triangulate_float64(uv, np.asarray(ends, dtype=np.uint32))
        tri = np.asarray(tri, dtype=np.int64).reshape(-1, 3)
    else:
        tri = _ear_clip(uv, ends)
    if len(tri) == 0:
        return tri
    # Wind like the outer ring (earcut and the fallback may return either orientation).
    a, b, c = uv[tri[:, 0]], uv[tri[:, 1]], uv[tri[:, 2]]
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    flip = cross < 0
    tri[flip] = tri[flip][:, [0, 2, 1]]
    return tri


def triangulate_polygons(vertices, indices, counts) -> tuple[np.ndarray, np.ndarray]:
    """Triangles covering many simple polygons without holes (OBJ and PLY faces).

    Triangles pass through; quadrilaterals are split along the diagonal that lies inside them
    (vectorised: a concave quad is split along its inner diagonal, never fanned from a reflex
    corner); other polygons, and quads with no inner diagonal (bow-ties), go through
    :func:`triangulate_polygon` one by one.

    Parameters
    ----------
    vertices : (v, 3) float
        Finite coordinates [m].
    indices : (k,) int
        The corners of every polygon one after another, each in ``0..v-1``.
    counts : (p,) int
        Number of corners of each polygon (each >= 3; ``sum(counts) == k``).

    Returns
    -------
    faces : (m, 3) int64
        Vertex indices of the triangles.
    polygon : (m,) int64
        The polygon each triangle comes from. Polygons without area give no triangle.
    """
    v = np.asarray(vertices, dtype=np.float64)
    idx = np.asarray(indices, dtype=np.int64)
    cnt = np.asarray(counts, dtype=np.int64)
    if np.all(cnt == 3):  # a triangle mesh: nothing to do
        return idx.reshape(-1, 3).copy(), np.arange(cnt.size, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    out_f, out_p = [], []
    tri = np.nonzero(cnt == 3)[0]
    if tri.size:
        out_f.append(idx[starts[tri, None] + np.arange(3)])
        out_p.append(tri)
    quad = np.nonzero(cnt == 4)[0]
    rest = [np.nonzero(cnt > 4)[0]]
    if quad.size:
        q = idx[starts[quad, None] + np.arange(4)]
        a, b, c, d = (v[q[:, k]] for k in range(4))
        ac = np.einsum("ij,ij->i", np.cross(b - a, c - a), np.cross(c - a, d - a)) > 0
        bd = ~ac & (np.einsum("ij,ij->i", np.cross(c - b, d - b), np.cross(d - b, a - b)) > 0)
        for mask, (t1, t2) in ((ac, ((0, 1, 2), (0, 2, 3))), (bd, ((1, 2, 3), (1, 3, 0)))):
            if mask.any():
                out_f.append(np.concatenate([q[mask][:, t1], q[mask][:, t2]]))
                out_p.append(np.concatenate([quad[mask], quad[mask]]))
        rest.append(quad[~(ac | bd)])
    for k in np.sort(np.concatenate(rest)):
        corners = idx[starts[k]:starts[k] + cnt[k]]
        t = triangulate_polygon(v[corners], [len(corners)])
        if len(t):
            out_f.append(corners[t])
            out_p.append(np.full(len(t), k, dtype=np.int64))
    if not out_f:
        return np.empty((0, 3), dtype=np.int64), np.empty(0, dtype=np.int64)
    faces = np.concatenate(out_f).astype(np.int64)
    poly = np.concatenate(out_p).astype(np.int64)
    order = np.argsort(poly, kind="stable")
    return np.ascontiguousarray(faces[order]), poly[order]


# ---------------------------------------------------------------------- ear clipping fallback
def _signed_area(uv, ring) -> float:
    p = uv[ring]
    q = np.roll(p, -1, axis=0)
    return 0.5 * float(np.sum(p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]))


def _clean_ring(uv, ring) -> list[int]:
    """Drop consecutive repeated points (and a closing repeat of the first)."""
    out: list[int] = []
    for i in ring:
        if out and uv[out[-1], 0] == uv[i, 0] and uv[out[-1], 1] == uv[i, 1]:
            continue
        out.append(i)
    while len(out) > 1 and uv[out[0], 0] == uv[out[-1], 0] and uv[out[0], 1] == uv[out[-1], 1]:
        out.pop()
    return out


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1, p2, q1, q2) -> bool:
    """Whether the segments p1p2 and q1q2 intersect at a point interior to both."""
    d1 = _cross(q1, q2, p1)
    d2 = _cross(q1, q2, p2)
    d3 = _cross(p1, p2, q1)
    d4 = _cross(p1, p2, q2)
    return ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4))


def _bridge(uv, outer: list[int], hole: list[int], others: list[list[int]]) -> list[int]:
    """Splice ``hole`` into ``outer`` through the shortest bridge that crosses no edge."""
    m = max(range(len(hole)), key=lambda k: (uv[hole[k], 0], uv[hole[k], 1]))
    mp = uv[hole[m]]
    order = sorted(range(len(outer)), key=lambda k: float(np.sum((uv[outer[k]] - mp) ** 2)))
    rings = [outer, hole, *others]
    chosen = order[0]
    for k in order:
        pp = uv[outer[k]]
        ok = True
        for ring in rings:
            for e in range(len(ring)):
                a, b = uv[ring[e]], uv[ring[(e + 1) % len(ring)]]
                if _segments_cross(mp, pp, a, b):
                    ok = False
                    break
            if not ok:
                break
        if ok:
            chosen = k
            break
    hole_loop = hole[m:] + hole[:m + 1]
    return outer[:chosen + 1] + hole_loop + outer[chosen:]


def _ear_clip(uv, ends) -> np.ndarray:
    starts = [0] + ends[:-1]
    rings = [_clean_ring(uv, list(range(s, e))) for s, e in zip(starts, ends)]
    outer = rings[0]
    if len(outer) < 3:
        return np.empty((0, 3), dtype=np.int64)
    if _signed_area(uv, outer) < 0:
        outer = outer[::-1]
    holes = []
    for h in rings[1:]:
        if len(h) < 3:
            continue
        holes.append(h[::-1] if _signed_area(uv, h) > 0 else h)
    holes.sort(key=lambda h: -float(np.max(uv[h, 0])))
    poly = outer
    for i, h in enumerate(holes):
        poly = _bridge(uv, poly, h, holes[i + 1:])
    return _clip(uv, poly)


def _clip(uv, poly: list[int]) -> np.ndarray:
    tris: list[tuple[int, int, int]] = []
    v = list(poly)
    guard = 0
    while len(v) > 3 and guard < 10 * len(poly) ** 2:
        guard += 1
        n = len(v)
        best = -1
        for i in range(n):
            ia, ib, ic = v[i - 1], v[i], v[(i + 1) % n]
            a, b, c = uv[ia], uv[ib], uv[ic]
            if _cross(a, b, c) <= 0.0:
                continue  # reflex or flat: not an ear
            inside = False
            for j in v:
                if j in (ia, ib, ic):
                    continue
                p = uv[j]
                if (p[0] == a[0] and p[1] == a[1]) or (p[0] == b[0] and p[1] == b[1]) or \
                        (p[0] == c[0] and p[1] == c[1]):
                    continue  # a bridge duplicate of a corner
                if _cross(a, b, p) >= 0 and _cross(b, c, p) >= 0 and _cross(c, a, p) >= 0:
                    inside = True
                    break
            if not inside:
                best = i
                break
        if best < 0:
            # No proper ear (collinear runs or a self-touching ring): drop the flattest vertex.
            best = min(range(n), key=lambda i: abs(_cross(uv[v[i - 1]], uv[v[i]], uv[v[(i + 1) % n]])))
            if _cross(uv[v[best - 1]], uv[v[best]], uv[v[(best + 1) % n]]) > 0:
                tris.append((v[best - 1], v[best], v[(best + 1) % n]))
            del v[best]
            continue
        tris.append((v[best - 1], v[best], v[(best + 1) % n]))
        del v[best]
    if len(v) == 3 and _cross(uv[v[0]], uv[v[1]], uv[v[2]]) > 0:
        tris.append((v[0], v[1], v[2]))
    return np.array(tris, dtype=np.int64).reshape(-1, 3)
