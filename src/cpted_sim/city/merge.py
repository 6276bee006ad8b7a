"""Merge finished tiles into city-wide outputs (layer L6).

* ``city_fields.npz``: every quantity on the study area's raster (rows grow with y; NaN off
  the grid), with ``transform`` and ``epsg``;
* ``<quantity>.tif``: one GeoTIFF per quantity (E_h, E_sc, night-time surveillance,
  dark-and-unseen) when rasterio is installed and the EPSG code is known;
* ``streets.gpkg``: street segments with their metrics (layer ``street_segments``), when
  pyogrio and shapely are installed;
* ``worst_streets.csv``: the segments ranked worst first;
* ``overview.png``: the city overview map.
"""

from __future__ import annotations

import csv
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ..field import Field
from .job import TILE_FIELDS, CityJob, tile_path

__all__ = ["merge_city", "merged_rasters", "street_segments", "SEGMENT_LENGTH"]

log = logging.getLogger(__name__)

#: Longest street segment [m].
SEGMENT_LENGTH = 50.0
#: Quantities written as GeoTIFF, with their units.
GEOTIFF_QUANTITIES = {"E_h": "lx", "E_sc": "lx", "night_surveillance_weight": "1",
                      "dark_and_unseen": "1"}
SEGMENT_FIELDS = ("segment", "street", "length_m", "E_h_mean_lx", "E_h_min_lx", "U0",
                  "E_sc_min_lx", "dark_share", "dark_and_unseen_share",
                  "night_surveillance_mean")


def merged_rasters(out, job: CityJob, tiles) -> dict[str, np.ndarray]:
    """Per quantity, the values at every point of the study area's grid, from the tile files."""
    n = job.grid.n_points
    vals: dict[str, np.ndarray] = {}
    for t in tiles:
        with np.load(tile_path(out, t)) as z:
            idx = z["index"]
            for k in TILE_FIELDS:
                if k in z.files:
                    vals.setdefault(k, np.full(n, np.nan))[idx] = z[k]
    return vals


def _sample(job: CityJob, raster: np.ndarray, xy: np.ndarray) -> np.ndarray:
    x0, y0, dx, dy = job.grid.transform
    rows, cols = job.grid.shape
    c = np.clip(np.rint((xy[:, 0] - x0) / dx).astype(np.int64), 0, cols - 1)
    r = np.clip(np.rint((xy[:, 1] - y0) / dy).astype(np.int64), 0, rows - 1)
    return raster[r, c]


def street_segments(job: CityJob, rasters: dict[str, np.ndarray]) -> list[dict]:
    """Street centrelines cut into segments of at most :data:`SEGMENT_LENGTH`, with metrics.

    Each segment is sampled every grid spacing; the metrics are those of the raster cells
    under the samples (cells off the grid are ignored).
    """
    sp = job.grid.transform[2]
    rows = []
    for si, line in enumerate(job.streets):
        xy = np.asarray(line, dtype=np.float64)[:, :2]
        seg_len = np.hypot(*np.diff(xy, axis=0).T)
        total = float(seg_len.sum())
        if total <= 0:
            continue
        cum = np.concatenate([[0.0], np.cumsum(seg_len)])
        n_seg = max(1, int(np.ceil(total / SEGMENT_LENGTH)))
        for k in range(n_seg):
            a, b = total * k / n_seg, total * (k + 1) / n_seg
            s = np.arange(a + sp / 2, b, sp)
            if s.size == 0:
                s = np.array([(a + b) / 2])
            pts = np.column_stack([np.interp(s, cum, xy[:, 0]), np.interp(s, cum, xy[:, 1])])
            ends = np.column_stack([np.interp([a, b], cum, xy[:, 0]),
                                    np.interp([a, b], cum, xy[:, 1])])
            row = {"segment": f"s{si}_{k}", "street": si, "length_m": b - a, "xy": ends}
            for q in ("E_h", "E_sc", "dark", "dark_and_unseen", "night_surveillance_weight"):
                v = _sample(job, rasters[q], pts) if q in rasters else np.array([np.nan])
                v = v[np.isfinite(v)]
                row[q] = v
            eh = row.pop("E_h")
            row["E_h_mean_lx"] = float(eh.mean()) if eh.size else np.nan
            row["E_h_min_lx"] = float(eh.min()) if eh.size else np.nan
            row["U0"] = (row["E_h_min_lx"] / row["E_h_mean_lx"]
                         if eh.size and row["E_h_mean_lx"] > 0 else np.nan)
            esc = row.pop("E_sc")
            row["E_sc_min_lx"] = float(esc.min()) if esc.size else np.nan
            for q, name in (("dark", "dark_share"), ("dark_and_unseen", "dark_and_unseen_share"),
                            ("night_surveillance_weight", "night_surveillance_mean")):
                v = row.pop(q)
                row[name] = float(v.mean()) if v.size else np.nan
            rows.append(row)
    return rows


def _rank(rows: list[dict]) -> list[dict]:
    """Worst first: most dark-and-unseen, then most dark, then least light."""
    def key(r):
        def nz(v, default):
            return default if not np.isfinite(v) else v
        return (-nz(r["dark_and_unseen_share"], 0.0), -nz(r["dark_share"], 0.0),
                nz(r["E_h_mean_lx"], np.inf))
    return sorted(rows, key=key)


def _write_gpkg(rows, path: Path, epsg) -> Path | None:
    try:
        import pyogrio.raw
        import shapely
    except ImportError:
        log.warning("streets.gpkg not written: pyogrio and shapely are needed "
                    "(pip install 'cpted_sim[gis]')")
        return None
    if not rows:
        return None
    geoms = shapely.to_wkb(shapely.linestrings([r["xy"] for r in rows]))
    fields = [np.array([r[k] for r in rows]) for k in SEGMENT_FIELDS]
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        pyogrio.raw.write(str(tmp), geoms, geometry_type="LineString", layer="street_segments",
                          field_data=fields, fields=list(SEGMENT_FIELDS),
                          crs=f"EPSG:{epsg}" if epsg else None, driver="GPKG")
    os.replace(tmp, path)
    return path


def _write_csv(rows, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("rank",) + SEGMENT_FIELDS + ("x0", "y0", "x1", "y1"))
        for i, r in enumerate(_rank(rows), 1):
            w.writerow([i] + [f"{r[k]:.4g}" if isinstance(r[k], float) else r[k]
                              for k in SEGMENT_FIELDS]
                       + [f"{v:.2f}" for v in r["xy"].ravel()])
    os.replace(tmp, path)
    return path


def merge_city(out, job: CityJob, tiles) -> dict[str, Path]:
    """Write the city-wide outputs from the finished tiles; returns their paths by name."""
    out = Path(out)
    vals = merged_rasters(out, job, tiles)
    g = job.grid
    rasters = {k: g.to_raster(v) for k, v in vals.items()}
    paths: dict[str, Path] = {}
    p = out / "city_fields.npz"
    tmp = out / f".city_fields.{os.getpid()}.tmp.npz"
    np.savez_compressed(tmp, transform=np.array(g.transform), epsg=np.array(job.epsg or 0),
                        **rasters)
    os.replace(tmp, p)
    paths["fields"] = p
    from ..io.raster import rasterio_available, write_geotiff

    if job.epsg and rasterio_available():
        for q, unit in GEOTIFF_QUANTITIES.items():
            if q in vals:
                paths[q] = write_geotiff(Field(vals[q], g, q, unit, {}), out / f"{q}.tif",
                                         job.epsg)
    elif not job.epsg:
        log.warning("no GeoTIFF written: the scene has no EPSG code ([scene] epsg)")
    rows = street_segments(job, rasters)
    paths["worst_streets"] = _write_csv(rows, out / "worst_streets.csv")
    gp = _write_gpkg(rows, out / "streets.gpkg", job.epsg)
    if gp is not None:
        paths["streets"] = gp
    from ..plot.city_overview import plot_city_overview

    paths["overview"] = plot_city_overview(rasters, g.transform, job.streets,
                                           _rank(rows)[:10], out / "overview.png")
    return paths
