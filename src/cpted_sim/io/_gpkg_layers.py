"""The layers of ``results.gpkg``, built from a comparison (helpers of
:mod:`cpted_sim.io.geopackage`; layer L6). Each builder returns ``(geometries, geometry type,
{column: array})`` or None when the layer would be empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import EngineUnavailableError

#: What to install for the GeoPackage.
GPKG_HINT = "pip install 'cpted_sim[gis]'  (installs pyogrio and shapely)"
#: Mask quantities (1 where the condition holds) drawn as dissolved polygons in ``dark_unseen``;
#: quantities whose name contains one of these (``night_dark_and_unseen``) count too.
MASK_QUANTITIES = ("dark_and_unseen",)
_HULL_BUFFER = 0.5  # [m] around the points of an area without an outline


def _libs():
    try:
        import pyogrio.raw
        import shapely
    except ImportError:
        raise EngineUnavailableError(f"GeoPackage output needs pyogrio and shapely: "
                                     f"{GPKG_HINT}") from None
    return pyogrio.raw, shapely


# ---------------------------------------------------------------- helpers
def _results(comparison) -> list:
    return [comparison.base, *comparison.variants]


def comparison_epsg(comparison) -> int | None:
    """The EPSG code of the base scene (or of its settings), None when it has none."""
    e = getattr(comparison.base.scene, "epsg", None)
    if e is None:
        e = (comparison.base.settings or {}).get("epsg")
    return None if e is None else int(e)


def _plan_raster(grid) -> bool:
    return grid.shape is not None and grid.transform is not None and grid.raster_index is not None


def _cell_boxes(grid, sel=None):
    """Shapely boxes of the raster cells of ``grid`` (all, or those of the bool mask ``sel``).

    Cell edges come from integer cell indices through one formula, so that neighbours share
    their edges exactly and a coverage union dissolves them.
    """
    _, shapely = _libs()
    x0, y0, dx, dy = (float(v) for v in grid.transform)
    idx = np.asarray(grid.raster_index, dtype=np.int64)
    if sel is not None:
        idx = idx[sel]
    cols = grid.shape[1]
    r, c = np.divmod(idx, cols)
    return shapely.box(x0 + (c - 0.5) * dx, y0 + (r - 0.5) * dy,
                       x0 + (c + 0.5) * dx, y0 + (r + 0.5) * dy)


def _dissolve(boxes):
    _, shapely = _libs()
    if len(boxes) == 0:
        return None
    try:
        out = shapely.coverage_union_all(boxes)
    except Exception:  # noqa: BLE001 - GEOS refuses an invalid coverage: the general union
        out = shapely.union_all(boxes)
    return None if out.is_empty else shapely.simplify(out, 0.0)  # drop the cells' corners


def _area_geometry(area):
    """The area's polygon: its outline, else its dissolved cells, else a hull of its points."""
    _, shapely = _libs()
    ring = getattr(area, "outline", None)
    if ring is not None and len(ring) >= 3:
        poly = shapely.Polygon(np.asarray(ring, dtype=np.float64)[:, :2])
        if not poly.is_valid:   # a self-crossing ring: its polygonal parts
            parts = shapely.get_parts(shapely.make_valid(poly))
            parts = [g for g in parts if g.geom_type in ("Polygon", "MultiPolygon")]
            poly = shapely.union_all(parts) if parts else None
        return poly
    grid = area.grid
    if _plan_raster(grid):
        return _dissolve(_cell_boxes(grid))
    pts = shapely.multipoints(np.asarray(grid.points, dtype=np.float64)[:, :2])
    return shapely.convex_hull(pts).buffer(_HULL_BUFFER)


def _route_line(area):
    _, shapely = _libs()
    path = getattr(area, "outline", None)
    if path is None or len(path) < 2:
        path = np.asarray(area.grid.points, dtype=np.float64)[:, :2]
    return shapely.LineString(np.asarray(path, dtype=np.float64)[:, :2]) if len(path) >= 2 \
        else None


def _float_column(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _values(f) -> np.ndarray:
    return np.asarray(f.values, dtype=np.float64).reshape(-1)


def _quantities(comparison, kinds=None) -> list[str]:
    qs: dict[str, None] = {}
    for r in _results(comparison):
        for area in r.areas.values():
            if kinds is None or area.kind in kinds:
                qs.update(dict.fromkeys(area.fields))
    return list(qs)


def _deltas(comparison, variant: str, area: str) -> dict:
    return ((comparison.deltas or {}).get(variant) or {}).get(area) or {}


def _field_columns(comparison, blocks, quantities) -> tuple[list[str], list[np.ndarray]]:
    """Columns of every quantity and its delta over ``blocks`` [(result, area_name, area)]."""
    n = sum(a.grid.n_points for _, _, a in blocks)
    names, cols = [], []
    for q in quantities:
        col, dcol = _float_column(n), _float_column(n)
        i = 0
        for r, a_name, area in blocks:
            k = area.grid.n_points
            if q in area.fields:
                col[i:i + k] = _values(area.fields[q])
            d = _deltas(comparison, r.variant, a_name).get(q)
            if d is not None and np.size(d.values) == k:
                dcol[i:i + k] = _values(d)
            i += k
        names.append(q)
        cols.append(col)
        if comparison.variants:
            names.append(f"d_{q}")
            cols.append(dcol)
    return names, cols


def _text(values) -> np.ndarray:
    return np.array([None if v is None else str(v) for v in values], dtype=object)


# ---------------------------------------------------------------- layers
def _points_layer(comparison):
    _, shapely = _libs()
    blocks = [(r, a_name, a) for r in _results(comparison) for a_name, a in r.areas.items()
              if a.grid.n_points]
    if not blocks:
        return None
    xyz = np.vstack([np.asarray(a.grid.points, dtype=np.float64) for _, _, a in blocks])
    names, cols = _field_columns(comparison, blocks, _quantities(comparison))
    k = [a.grid.n_points for _, _, a in blocks]
    fields = {"variant": _text(np.repeat([r.variant for r, _, _ in blocks], k)),
              "area": _text(np.repeat([n for _, n, _ in blocks], k)),
              "area_kind": _text(np.repeat([a.kind for _, _, a in blocks], k)),
              "point": np.concatenate([np.arange(n, dtype=np.int64) for n in k])}
    fields.update(zip(names, cols))
    return shapely.points(xyz), "Point Z", fields


def _metric_columns(comparison, rows) -> dict:
    """Metric columns of ``rows`` [(result, area_name, area)]: value (class name for classes)
    and ``d_<metric>`` from the comparison table."""
    names: dict[str, bool] = {}   # metric -> is a class
    for r, _, a in rows:
        for m in a.metrics.values():
            names[m.name] = names.get(m.name, False) or m.unit == "class"
    delta = {(t.get("variant"), t.get("area"), t.get("metric")): t.get("delta")
             for t in comparison.table or ()}
    out: dict[str, np.ndarray] = {}
    for name, is_class in names.items():
        ms = [a.metrics.get(name) for _, _, a in rows]
        if is_class:
            out[name] = _text([None if m is None else (m.label or format(m.value, "g"))
                               for m in ms])
        else:
            out[name] = np.array([np.nan if m is None else float(m.value) for m in ms])
            if comparison.variants:
                d = [delta.get((r.variant, a_name, name)) for r, a_name, _ in rows]
                out[f"d_{name}"] = np.array([np.nan if v is None else float(v) for v in d])
    return out


def _area_rows_layer(comparison, route: bool):
    _, shapely = _libs()
    rows, geoms = [], []
    for r in _results(comparison):
        for a_name, area in r.areas.items():
            if (area.kind == "route") != route:
                continue
            g = _route_line(area) if route else _area_geometry(area)
            if g is None:
                continue
            rows.append((r, a_name, area))
            geoms.append(g)
    if not rows:
        return None
    fields = {"variant": _text([r.variant for r, _, _ in rows]),
              "area": _text([n for _, n, _ in rows]),
              "kind": _text([a.kind for _, _, a in rows]),
              "lighting_class": _text([a.lighting_class for _, _, a in rows]),
              "n_points": np.array([a.grid.n_points for _, _, a in rows], dtype=np.int64),
              "excluded": np.array([int(getattr(a, "excluded", 0) or 0) for _, _, a in rows],
                                   dtype=np.int64)}
    fields.update(_metric_columns(comparison, rows))
    return (np.array(geoms, dtype=object), "LineString" if route else "MultiPolygon", fields)


def _stretches_layer(comparison):
    _, shapely = _libs()
    blocks = [(r, a_name, a) for r in _results(comparison) for a_name, a in r.areas.items()
              if a.kind == "route" and a.grid.n_points >= 2]
    if not blocks:
        return None
    lines, chain = [], []
    for _, _, a in blocks:
        p = np.asarray(a.grid.points, dtype=np.float64)[:, :2]
        mid = 0.5 * (p[1:] + p[:-1])
        start = np.vstack([p[:1], mid])
        end = np.vstack([mid, p[-1:]])
        lines.append(np.stack([start, p, end], axis=1))          # (n, 3, 2)
        step = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))]
        chain.append(step)
    coords = np.concatenate(lines)
    geoms = shapely.linestrings(coords.reshape(-1, 2),
                                indices=np.repeat(np.arange(len(coords)), 3))
    names, cols = _field_columns(comparison, blocks, _quantities(comparison, ("route",)))
    k = [a.grid.n_points for _, _, a in blocks]
    fields = {"variant": _text(np.repeat([r.variant for r, _, _ in blocks], k)),
              "area": _text(np.repeat([n for _, n, _ in blocks], k)),
              "point": np.concatenate([np.arange(n, dtype=np.int64) for n in k]),
              "chainage_m": np.concatenate(chain)}
    fields.update(zip(names, cols))
    return geoms, "LineString", fields


def mounting_heights(scene, positions, *, chunk: int = 16) -> np.ndarray:
    """Height [m] of each position above the highest face straight below it (NaN: none).

    Vectorised numpy over the faces (bounding-box test, then barycentric coordinates in plan),
    not a ray kernel: a report writer may run in a forked process, where Numba's OpenMP
    threads must not start again.

    Parameters
    ----------
    scene : Scene
    positions : (n, 3) float
        World coordinates [m], e.g. luminaire positions.
    chunk : int
        Positions tested against all faces at once (memory: ``chunk`` x faces booleans).

    Returns
    -------
    (n,) float
    """
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    out = np.full(pos.shape[0], np.nan)
    if pos.shape[0] == 0 or scene.n_faces == 0:
        return out
    tri = scene.vertices[scene.faces] + scene.origin          # (f, 3, 3) world
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    flat = np.abs(det) > 1e-12                                # walls have no plan area
    a, b, c, det = a[flat], b[flat], c[flat], det[flat]
    lo, hi = tri[flat, :, :2].min(axis=1), tri[flat, :, :2].max(axis=1)
    eps = 1e-9
    for s in range(0, pos.shape[0], chunk):
        p = pos[s:s + chunk]
        near = ((p[:, None, 0] >= lo[None, :, 0] - eps) & (p[:, None, 0] <= hi[None, :, 0] + eps)
                & (p[:, None, 1] >= lo[None, :, 1] - eps) & (p[:, None, 1] <= hi[None, :, 1] + eps))
        i, f = np.nonzero(near)
        px, py = p[i, 0], p[i, 1]
        u = ((px - a[f, 0]) * (c[f, 1] - a[f, 1]) - (c[f, 0] - a[f, 0]) * (py - a[f, 1])) / det[f]
        v = ((b[f, 0] - a[f, 0]) * (py - a[f, 1]) - (px - a[f, 0]) * (b[f, 1] - a[f, 1])) / det[f]
        inside = (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps)
        z = a[f, 2] + u * (b[f, 2] - a[f, 2]) + v * (c[f, 2] - a[f, 2])
        below = inside & (z <= p[i, 2])
        top = np.full(p.shape[0], -np.inf)
        np.maximum.at(top, i[below], z[below])
        ok = np.isfinite(top)
        out[s:s + chunk][ok] = p[ok, 2] - top[ok]
    return out


def _luminaires_layer(comparison):
    _, shapely = _libs()
    rows = [(r, lum) for r in _results(comparison) for lum in r.luminaires]
    if not rows:
        return None
    pos = np.array([np.asarray(lum.position, dtype=np.float64) for _, lum in rows])
    height = np.concatenate([mounting_heights(r.scene, [np.asarray(lu.position, dtype=float)
                                                        for lu in r.luminaires])
                             for r in _results(comparison) if r.luminaires])
    dist = [lum.distribution for _, lum in rows]
    src = [getattr(d, "source", None) for d in dist]
    fields = {
        "variant": _text([r.variant for r, _ in rows]),
        "name": _text([getattr(lum, "name", None) for _, lum in rows]),
        "photometry": _text([getattr(d, "name", None) or None for d in dist]),
        "photometry_file": _text([None if s is None else Path(str(s)).name for s in src]),
        "flux_lm": np.array([float(d.flux) * float(lum.flux_scale)
                             for d, (_, lum) in zip(dist, rows)]),
        "maintenance_factor": np.array([float(lum.maintenance_factor) for _, lum in rows]),
        "flux_maintained_lm": np.array([float(lum.flux) for _, lum in rows]),
        "azimuth_deg": np.array([float(lum.azimuth) for _, lum in rows]),
        "tilt_deg": np.array([float(lum.tilt) for _, lum in rows]),
        "spin_deg": np.array([float(lum.spin) for _, lum in rows]),
        "mounting_height_m": height,
    }
    return shapely.points(pos), "Point Z", fields


def _observers_layer(comparison):
    _, shapely = _libs()
    sets = [(r.variant, r.observers) for r in _results(comparison)
            if getattr(r, "observers", None) is not None and r.observers.n]
    if not sets:
        return None
    pos = np.vstack([np.asarray(o.positions, dtype=np.float64) for _, o in sets])
    d = np.vstack([np.asarray(o.directions, dtype=np.float64) for _, o in sets])
    az = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 360.0
    az[np.hypot(d[:, 0], d[:, 1]) < 1e-9] = np.nan
    fields = {
        "variant": _text(np.repeat([v for v, _ in sets], [o.n for _, o in sets])),
        "kind": _text(np.concatenate([np.asarray(o.kind, dtype=object) for _, o in sets])),
        "weight": np.concatenate([np.asarray(o.weight, dtype=np.float64) for _, o in sets]),
        "fov_deg": np.concatenate([np.asarray(o.fov, dtype=np.float64) for _, o in sets]),
        "range_m": np.concatenate([np.asarray(o.max_distance, dtype=np.float64)
                                   for _, o in sets]),
        "azimuth_deg": az,
    }
    return shapely.points(pos), "Point Z", fields


def _is_mask(q: str) -> bool:
    return any(m in q for m in MASK_QUANTITIES)


def _dark_unseen_layer(comparison):
    _, shapely = _libs()
    rows, geoms = [], []
    for r in _results(comparison):
        for a_name, area in r.areas.items():
            if not _plan_raster(area.grid):
                continue
            for q, f in area.fields.items():
                if not _is_mask(q):
                    continue
                g = _dissolve(_cell_boxes(area.grid, _values(f) > 0.5))
                if g is not None:
                    rows.append((r.variant, a_name, q, float(g.area)))
                    geoms.append(g)
    if not rows:
        return None
    fields = {"variant": _text([v for v, _, _, _ in rows]),
              "area": _text([a for _, a, _, _ in rows]),
              "quantity": _text([q for _, _, q, _ in rows]),
              "area_m2": np.array([s for _, _, _, s in rows])}
    return np.array(geoms, dtype=object), "MultiPolygon", fields


_BUILDERS = {"points": _points_layer, "areas": lambda c: _area_rows_layer(c, False),
             "routes": lambda c: _area_rows_layer(c, True), "route_stretches": _stretches_layer,
             "luminaires": _luminaires_layer, "observers": _observers_layer,
             "dark_unseen": _dark_unseen_layer}
