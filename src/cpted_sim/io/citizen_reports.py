"""Citizens' reports (meldingen) in: Signalen exports, CSV and GIS point layers (layer L6).

:func:`read_reports` reads one file into :class:`CitizenReports`, points in the scene's CRS:

- **Signalen public GeoJSON** (``/signals/v1/public/signals/geography``): a FeatureCollection of
  Points in WGS84 with ``properties.category`` (a dict with ``slug``) and ``created_at``; any
  other GeoJSON FeatureCollection of points is read the same way (a ``crs`` member is honoured);
- **Signalen signal JSON** (the private API's ``{"count", "results": [...]}`` or a list of
  signals): ``uuid``, ``text``, ``incident_date_start``, ``location.geometrie`` and
  ``category.sub_slug``;
- **CSV**: ``x, y`` (the scene's projected CRS, EPSG:28992 by default) or ``lon/lng/longitude``
  and ``lat/latitude`` in WGS84. Swapped latitude and longitude columns (Signalen's
  data-warehouse export fills ``lat`` with the longitude) are detected by their range and
  fixed, with a :class:`~cpted_sim.errors.CptedWarning`. A Signalen data-warehouse
  ``..._signals.csv`` (coordinates in a sibling ``..._locations.csv``, joined on
  ``location_id``) is joined automatically;
- **any point layer** that :func:`cpted_sim.io.vector.read_vector` reads (GeoPackage,
  Shapefile, ...).

Times in any ISO 8601 form (``Z``, offsets, a space for ``T``, date only); times without an
offset are local time in ``timezone`` (Europe/Amsterdam by default); all are kept in UTC.
Reports without coordinates and reports outside the scene (``bbox``) are counted, listed by
id and warned about, never dropped silently.

Report texts are personal data: they are kept in memory (``texts``) for the user's own use,
and the triage writers leave them out unless asked (``--include-text``).
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone as _tz
from pathlib import Path

import numpy as np

from .._files import checked_input, read_text_checked
from ..errors import CptedWarning, InputFileError, ReportsFormatError

__all__ = ["CitizenReports", "read_reports", "parse_time", "scene_lonlat"]

_ID_COLS = ("id", "uuid", "signal_uuid", "signal_id", "melding", "meldingnummer", "nummer")
_TIME_COLS = ("incident_date_start", "datum_tijd", "created_at", "datetime", "timestamp",
              "time", "tijd", "datum", "date")
_CAT_COLS = ("category", "categorie", "sub_slug", "sub", "main_slug", "type", "soort")
_TEXT_COLS = ("text", "omschrijving", "description", "tekst", "toelichting", "beschrijving")
_LON_COLS = ("lon", "lng", "long", "longitude", "lengtegraad")
_LAT_COLS = ("lat", "latitude", "breedtegraad")


@dataclass(frozen=True, eq=False)
class CitizenReports:
    """Reports with a location in the scene.

    Attributes
    ----------
    ids : (n,) str array
        Report ids (the file's, else ``R0001``, ... in file order).
    xy : (n, 2) float
        Locations in the scene's CRS [m] (world coordinates).
    times : (n,) datetime64[s]
        Report times in UTC (NaT when the file gives none).
    categories : (n,) str array
        Category (slug) or ``""``.
    texts : (n,) str array
        Report texts (private; ``""`` when none).
    path : str
        The file read.
    format : str
        ``signalen-geojson``, ``geojson``, ``signalen-json``, ``csv``, ``csv-dwh``, ``vector``.
    epsg : int or None
        CRS of ``xy``.
    n_read : int
        Records in the file.
    no_coordinates : tuple of str
        Ids of reports without (usable) coordinates.
    outside : tuple of str
        Ids of reports outside the scene's extent.
    swapped_lat_lon : bool
        The latitude and longitude columns were swapped and have been fixed.
    """

    ids: np.ndarray
    xy: np.ndarray
    times: np.ndarray
    categories: np.ndarray
    texts: np.ndarray
    path: str = ""
    format: str = ""
    epsg: int | None = None
    n_read: int = 0
    no_coordinates: tuple = ()
    outside: tuple = ()
    swapped_lat_lon: bool = False

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_no_coordinates(self) -> int:
        return len(self.no_coordinates)

    @property
    def n_outside(self) -> int:
        return len(self.outside)

    def summary(self) -> dict:
        """Counts for reports: read, located in the scene, without coordinates, outside."""
        return {"read": self.n_read, "in_scene": len(self),
                "no_coordinates": self.n_no_coordinates, "outside_scene": self.n_outside}


# ---------------------------------------------------------------------------- times
def parse_time(text, timezone: str = "Europe/Amsterdam") -> np.datetime64:
    """An ISO 8601 time (any form Python's ``fromisoformat`` reads, plus ``Z`` and a space)
    as UTC ``datetime64[s]``; NaT for an empty value. Times without an offset are local time
    in ``timezone``.

    Raises
    ------
    ValueError
        The text is not an ISO time.
    """
    if text is None:
        return np.datetime64("NaT", "s")
    s = str(text).strip()
    if not s:
        return np.datetime64("NaT", "s")
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    t = datetime.fromisoformat(s)
    if t.tzinfo is None:
        from zoneinfo import ZoneInfo

        t = t.replace(tzinfo=ZoneInfo(timezone))
    t = t.astimezone(_tz.utc).replace(tzinfo=None)
    return np.datetime64(t.isoformat(timespec="seconds"), "s")


# ---------------------------------------------------------------------------- coordinates
def _transformer(src_epsg: int, dst_epsg: int):
    from pyproj import Transformer

    return Transformer.from_crs(f"EPSG:{src_epsg}", f"EPSG:{dst_epsg}", always_xy=True)


def _area_of_use(epsg: int):
    from pyproj import CRS

    a = CRS.from_epsg(epsg).area_of_use
    return None if a is None else (a.west, a.south, a.east, a.north)


def _lonlat_to_scene(lon, lat, epsg, bbox, path, allow_swap: bool):
    """Transform WGS84 lon/lat into ``epsg``; with ``allow_swap``, try both column orders and
    keep the one that puts more points in the scene (or in the CRS's area of use)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    tr = _transformer(4326, epsg)

    def inside(lo, la):
        ok = np.isfinite(lo) & np.isfinite(la) & (np.abs(la) <= 90) & (np.abs(lo) <= 180)
        if bbox is not None:
            x, y = tr.transform(np.where(ok, lo, 0.0), np.where(ok, la, 0.0))
            return int(np.sum(ok & (x >= bbox[0]) & (x <= bbox[2]) & (y >= bbox[1])
                              & (y <= bbox[3])))
        area = _area_of_use(epsg)
        if area is None:
            return int(np.sum(ok))
        return int(np.sum(ok & (lo >= area[0]) & (lo <= area[2]) & (la >= area[1])
                          & (la <= area[3])))

    swapped = False
    if allow_swap and lon.size:
        if inside(lat, lon) > inside(lon, lat):
            lon, lat = lat, lon
            swapped = True
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    x, y = tr.transform(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
    xy = np.column_stack([x, y])
    xy[~ok] = np.nan
    return xy, swapped


def _in_area(lon, lat, epsg: int) -> bool:
    """Whether most positions, read as degrees either way round, fall in the CRS's area."""
    area = _area_of_use(epsg)
    if area is None:
        return False

    def share(lo, la):
        return np.mean((lo >= area[0]) & (lo <= area[2]) & (la >= area[1]) & (la <= area[3]))

    return max(share(lon, lat), share(lat, lon)) > 0.5


def _float(v) -> float:
    if v is None:
        return np.nan
    try:
        return float(str(v).strip().replace(",", ".")) if str(v).strip() else np.nan
    except ValueError:
        return np.nan


# ---------------------------------------------------------------------------- JSON
def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def _xy(c) -> tuple[float, float]:
    """x, y of a GeoJSON position (NaN when absent or malformed)."""
    if isinstance(c, list) and len(c) >= 2:
        return _float(c[0]), _float(c[1])
    return np.nan, np.nan


def _category(c) -> str:
    if isinstance(c, dict):
        for k in ("sub_slug", "slug", "main_slug", "name", "sub", "main"):
            if c.get(k):
                return str(c[k])
        return ""
    return "" if c is None else str(c)


def _geojson_epsg(doc) -> int:
    crs = doc.get("crs") if isinstance(doc, dict) else None
    name = ((crs or {}).get("properties") or {}).get("name", "") if isinstance(crs, dict) else ""
    digits = "".join(ch for ch in str(name).rsplit(":", 1)[-1] if ch.isdigit())
    if "CRS84" in str(name) or not digits:
        return 4326
    return int(digits)


def _records_from_json(doc, path):
    """(format, source epsg, [(id, x, y, time, category, text)])."""
    rows = []
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        src = _geojson_epsg(doc)
        feats = doc.get("features") or []
        if not isinstance(feats, list):
            raise ReportsFormatError(f"{Path(path).name}: 'features' is not a list")
        signalen = any(isinstance((f.get("properties") or {}).get("category"), dict)
                       for f in feats if isinstance(f, dict))
        for k, f in enumerate(feats):
            f = _dict(f)
            p = _dict(f.get("properties"))
            g = _dict(f.get("geometry"))
            c = g.get("coordinates") if g.get("type") == "Point" else None
            x, y = _xy(c)
            rid = f.get("id", p.get("id", p.get("uuid")))
            t = next((p[c] for c in _TIME_COLS if p.get(c)), None)
            cat = next((_category(p[c]) for c in _CAT_COLS if p.get(c)), "")
            text = next((str(p[c]) for c in _TEXT_COLS if p.get(c)), "")
            rows.append((rid, x, y, t, cat, text))
        return ("signalen-geojson" if signalen else "geojson"), src, rows
    results = doc.get("results") if isinstance(doc, dict) else doc
    if isinstance(doc, dict) and results is None and "location" in doc:
        results = [doc]
    if not isinstance(results, list):
        raise ReportsFormatError(f"{Path(path).name}: expected a GeoJSON FeatureCollection or "
                                 "Signalen signals ({'results': [...]} or a list)")
    for k, s in enumerate(results):
        s = _dict(s)
        loc = _dict(s.get("location"))
        g = _dict(loc.get("geometrie") or loc.get("geometry"))
        c = g.get("coordinates")
        x, y = _xy(c)
        rid = s.get("uuid", s.get("id", s.get("signal_id")))
        t = s.get("incident_date_start") or s.get("created_at")
        cat = _category(s.get("category"))
        rows.append((rid, x, y, t, cat, str(s.get("text") or "")))
    return "signalen-json", 4326, rows


# ---------------------------------------------------------------------------- CSV
def _read_csv(path: Path):
    text = read_text_checked(path, what="reports file", error=InputFileError)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        rows = [{(k or "").strip().lower(): v for k, v in r.items()} for r in reader]
    except csv.Error as exc:
        raise ReportsFormatError(f"{path.name} line {reader.line_num}: not CSV ({exc})") from None
    return [c.strip().lower() for c in (reader.fieldnames or [])], rows


def _pick(cols, names):
    return next((c for c in names if c in cols), None)


def _records_from_csv(path: Path):
    cols, rows = _read_csv(path)
    fmt = "csv"
    if "location_id" in cols and _pick(cols, _LAT_COLS + ("x",)) is None:
        sib = path.with_name(path.name.replace("signals", "locations"))
        if sib == path or not sib.exists():
            raise ReportsFormatError(f"{path.name}: reports join their coordinates on "
                                     f"location_id, but {sib.name} is not beside it")
        lcols, lrows = _read_csv(sib)
        by_id = {r.get("id"): r for r in lrows}
        rows = [{**{k: v for k, v in by_id.get(r.get("location_id"), {}).items()
                    if k != "id"}, **r} for r in rows]
        cols = cols + [c for c in lcols if c != "id"]
        fmt = "csv-dwh"
    cid, ct, cc, cx = (_pick(cols, _ID_COLS), _pick(cols, _TIME_COLS), _pick(cols, _CAT_COLS),
                       _pick(cols, _TEXT_COLS))
    if "x" in cols and "y" in cols:
        kind, a, b = "xy", "x", "y"
    else:
        a, b = _pick(cols, _LON_COLS), _pick(cols, _LAT_COLS)
        if a is None or b is None:
            raise ReportsFormatError(f"{path.name}: no coordinate columns; expected x and y "
                                     f"(projected) or lon/lng and lat (WGS84), found {cols}")
        kind = "lonlat"
    out = [(r.get(cid) if cid else None, _float(r.get(a)), _float(r.get(b)),
            r.get(ct) if ct else None, (r.get(cc) or "") if cc else "",
            (r.get(cx) or "") if cx else "") for r in rows]
    return fmt, kind, out


# ---------------------------------------------------------------------------- reader
def read_reports(path, *, epsg: int = 28992, bbox=None, timezone: str = "Europe/Amsterdam",
                 csv_epsg: int | None = None, base_dir=None,
                 allow_outside: bool = True) -> CitizenReports:
    """Read citizens' reports into the scene's CRS.

    Parameters
    ----------
    path : str or path-like
        A ``.geojson`` / ``.json`` (Signalen or GeoJSON), ``.csv``, or a GIS point layer
        (``.gpkg``, ``.shp``, ...).
    epsg : int
        The scene's CRS (default 28992, RD New).
    bbox : (4,) float, optional
        The scene's extent ``(xmin, ymin, xmax, ymax)`` [m], world coordinates: reports
        outside are counted in ``outside`` and left out of the arrays.
    timezone : str
        Time zone of times without an offset (default Europe/Amsterdam).
    csv_epsg : int, optional
        CRS of a CSV's ``x, y`` columns (default: ``epsg``).
    base_dir, allow_outside
        Passed to :func:`cpted_sim._files.checked_input`.

    Returns
    -------
    CitizenReports

    Raises
    ------
    InputFileError, ReportsFormatError
        The file cannot be read, or is none of the formats above (the message names it and
        the record).

    Warns
    -----
    CptedWarning
        Swapped latitude/longitude columns fixed; reports without coordinates; reports outside
        the scene (each with its count).
    """
    p = checked_input(path, what="reports file", error=InputFileError, base_dir=base_dir,
                      allow_outside=allow_outside, max_bytes=512 * 2**20)
    suffix = p.suffix.lower()
    swapped = False
    if suffix in (".json", ".geojson"):
        try:
            doc = json.loads(read_text_checked(p, what="reports file", error=InputFileError,
                                               max_bytes=512 * 2**20))
        except json.JSONDecodeError as exc:
            raise ReportsFormatError(f"{p.name} line {exc.lineno}: not JSON ({exc.msg})") from None
        fmt, src, rows = _records_from_json(doc, p)
        x = np.array([r[1] for r in rows], dtype=np.float64)
        y = np.array([r[2] for r in rows], dtype=np.float64)
        if src == 4326:
            xy, swapped = _lonlat_to_scene(x, y, epsg, bbox, p, allow_swap=False)
        else:
            xy = _project(x, y, src, epsg)
    elif suffix in (".csv", ".txt", ".tsv"):
        fmt, kind, rows = _records_from_csv(p)
        a = np.array([r[1] for r in rows], dtype=np.float64)
        b = np.array([r[2] for r in rows], dtype=np.float64)
        fin = np.isfinite(a) & np.isfinite(b)
        if (kind == "xy" and csv_epsg is None and epsg not in (None, 4326) and fin.any()
                and np.all(np.abs(a[fin]) <= 180) and np.all(np.abs(b[fin]) <= 180)
                and _in_area(a[fin], b[fin], epsg)):
            warnings.warn(f"{p.name}: the x and y columns hold degrees (WGS84 longitude and "
                          f"latitude), not EPSG:{epsg} metres; read them as such",
                          CptedWarning, stacklevel=2)
            kind = "lonlat"
        if kind == "lonlat":
            xy, swapped = _lonlat_to_scene(a, b, epsg, bbox, p, allow_swap=True)
        else:
            xy = _project(a, b, csv_epsg or epsg, epsg)
    else:
        fmt, rows, xy = _records_from_vector(p, epsg)
    n = len(rows)
    ids = np.array([str(r[0]) if r[0] not in (None, "") else f"R{k + 1:04d}"
                    for k, r in enumerate(rows)], dtype=object)
    times = np.empty(n, dtype="datetime64[s]")
    for k, r in enumerate(rows):
        try:
            times[k] = parse_time(r[3], timezone)
        except (ValueError, TypeError):
            raise ReportsFormatError(f"{p.name} record {k + 1} (id {ids[k]}): time "
                                     f"{str(r[3])[:40]!r} is not an ISO 8601 time") from None
    cats = np.array([str(r[4] or "") for r in rows], dtype=object)
    texts = np.array([str(r[5] or "") for r in rows], dtype=object)
    located = np.all(np.isfinite(xy), axis=1) if n else np.zeros(0, bool)
    inside = located.copy()
    if bbox is not None and n:
        inside &= ((xy[:, 0] >= bbox[0]) & (xy[:, 0] <= bbox[2]) & (xy[:, 1] >= bbox[1])
                   & (xy[:, 1] <= bbox[3]))
    no_coords = tuple(ids[~located])
    outside = tuple(ids[located & ~inside])
    name = p.name
    if swapped:
        warnings.warn(f"{name}: the latitude and longitude columns are swapped (as in "
                      f"Signalen's data-warehouse export); read {int(located.sum())} reports "
                      "with them exchanged", CptedWarning, stacklevel=2)
    if no_coords:
        warnings.warn(f"{name}: {len(no_coords)} of {n} reports have no usable coordinates "
                      f"and are left out (first: {no_coords[0]})", CptedWarning, stacklevel=2)
    if outside:
        warnings.warn(f"{name}: {len(outside)} of {n} reports lie outside the scene and are "
                      f"left out (first: {outside[0]})", CptedWarning, stacklevel=2)
    keep = inside
    return CitizenReports(ids[keep], np.ascontiguousarray(xy[keep]), times[keep], cats[keep],
                          texts[keep], str(p), fmt, epsg, n, no_coords, outside, swapped)


def _project(x, y, src: int, dst: int) -> np.ndarray:
    if src == dst or {src, dst} <= {28992, 7415}:
        return np.column_stack([x, y])
    tr = _transformer(src, dst)
    ok = np.isfinite(x) & np.isfinite(y)
    xx, yy = tr.transform(np.where(ok, x, 0.0), np.where(ok, y, 0.0))
    xy = np.column_stack([xx, yy])
    xy[~ok] = np.nan
    return xy


def _records_from_vector(p: Path, epsg: int):
    from .vector import point_coords, read_vector

    layer = read_vector(p, target_epsg=epsg)
    coords, feat = point_coords(layer, split=True)
    attrs = {k.lower(): v for k, v in layer.attributes.items()}
    n = len(layer)
    xy = np.full((n, 2), np.nan)
    xy[feat] = coords[:, :2]

    def col(names):
        c = _pick(list(attrs), names)
        return [None] * n if c is None else [None if v is None else str(v) for v in attrs[c]]

    ids, ts, cats, texts = col(_ID_COLS), col(_TIME_COLS), col(_CAT_COLS), col(_TEXT_COLS)
    rows = [(ids[k], xy[k, 0], xy[k, 1], ts[k], cats[k], texts[k]) for k in range(n)]
    return "vector", rows, xy


def scene_lonlat(scene, epsg: int | None) -> tuple[float, float]:
    """WGS84 (lon, lat) [deg] of the scene's centre, for the sun; the Netherlands' centre
    (5.0, 52.0) when the CRS is unknown or cannot be transformed."""
    if epsg is None:
        return 5.0, 52.0
    try:
        c = scene.bounds.mean(axis=0)
        lon, lat = _transformer(int(epsg), 4326).transform(c[0], c[1])
    except Exception:  # noqa: BLE001 - a local CRS without a transformation: fall back
        return 5.0, 52.0
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return 5.0, 52.0
    return float(lon), float(lat)
