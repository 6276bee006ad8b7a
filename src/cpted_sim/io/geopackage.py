"""Every run's results as one GeoPackage, ``results.gpkg``, for QGIS or ArcGIS (layer L6).

The file holds vector layers in the scenario's CRS (``scene.epsg``; none when the scenario has
no EPSG code: then the coordinates are the scenario's own metres). Coordinates are world
coordinates [m], the same as the scenario file's (the scene's vertices are stored relative to
``scene.origin``, every grid, luminaire and observer is in world coordinates already).

=================== ============ =========================================================
layer               geometry     one feature per ... and its columns
=================== ============ =========================================================
``points``          Point Z      calculation point of every variant and area: ``variant``,
                                 ``area``, ``area_kind``, ``point`` (index in the area's
                                 grid), one column per quantity (``E_h``, ``E_sc``,
                                 ``night_surveillance_count``, ``dark_and_unseen``, ...;
                                 NULL where an area lacks it) and ``d_<quantity>``, the
                                 variant minus the base (NULL for the base and where the
                                 grids differ)
``areas``           MultiPolygon variant and plan or façade area: ``variant``, ``area``,
                                 ``kind``, ``lighting_class`` (target), ``n_points``,
                                 ``excluded``, one column per metric (classes as their
                                 name, ``"P4"``) and ``d_<metric>`` (change from the base)
``routes``          LineString   variant and route: as ``areas``
``route_stretches`` LineString   route point: the stretch it stands for (half-way to each
                                 neighbour), ``variant``, ``area``, ``point``,
                                 ``chainage_m`` and every quantity, as ``points``
``luminaires``      Point Z      luminaire of every variant: ``variant``, ``name``,
                                 ``photometry``, ``photometry_file``, ``flux_lm`` (initial,
                                 with flux_scale), ``maintenance_factor``,
                                 ``flux_maintained_lm``, ``azimuth_deg``, ``tilt_deg``,
                                 ``spin_deg``, ``mounting_height_m`` (above the highest
                                 face straight below, NULL when none)
``observers``       Point Z      observer (eye) of every variant: ``variant``, ``kind``,
                                 ``weight``, ``fov_deg``, ``range_m``, ``azimuth_deg`` of
                                 the view direction (NULL when it has none)
``dark_unseen``     MultiPolygon variant, plan area and mask quantity (``dark_and_unseen``):
                                 the grid cells where it holds, dissolved; ``area_m2``
=================== ============ =========================================================

Layers without features are left out; a base alone has no ``d_`` columns. Areas whose result
has no ``outline`` (results made by hand) get the dissolved cells of a plan grid, else the
convex hull of their points grown by 0.5 m. NaN values are NULL in the file (SQLite has no NaN) and read back as NaN. A
``layer_styles`` table holds a QGIS style (QML) for the main layers
(:mod:`cpted_sim.io.gpkg_styles`), which QGIS applies when it opens a layer.

Needs the ``gis`` extra (pyogrio and shapely): :func:`gpkg_available`, :data:`GPKG_HINT`.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path

from ..errors import CptedWarning, ResultsFormatError
from ._gpkg_layers import (_BUILDERS, GPKG_HINT, MASK_QUANTITIES, _libs, _results,
                           comparison_epsg, mounting_heights)
from .raster import epsg_crs

__all__ = ["GPKG_NAME", "GPKG_HINT", "GPKG_LAYERS", "MASK_QUANTITIES", "gpkg_available",
           "write_geopackage", "read_geopackage", "mounting_heights", "comparison_epsg",
           "write_results_gpkg"]

log = logging.getLogger(__name__)

#: The file name beside the report.
GPKG_NAME = "results.gpkg"
#: The layers, in the order they are written.
GPKG_LAYERS = ("points", "areas", "routes", "route_stretches", "luminaires", "observers",
               "dark_unseen")


def gpkg_available() -> bool:
    """Whether pyogrio and shapely can be imported (the ``gis`` extra)."""
    try:
        import pyogrio  # noqa: F401
        import shapely  # noqa: F401
    except ImportError:
        return False
    return True


#: One line per layer, stored as its description in ``gpkg_contents`` (QGIS shows it).
LAYER_DESCRIPTIONS = {
    "points": "cpted_sim calculation points of every variant and area; d_<quantity>: variant "
              "minus base",
    "areas": "cpted_sim areas with their metrics per variant; d_<metric>: change from the base",
    "routes": "cpted_sim routes with their metrics per variant",
    "route_stretches": "cpted_sim route points as the stretches they stand for, with every "
                       "quantity",
    "luminaires": "cpted_sim luminaires of every variant: photometry, flux [lm], maintenance "
                  "factor, aim [deg], mounting height [m]",
    "observers": "cpted_sim observers (eyes) of every variant",
    "dark_unseen": "cpted_sim grid cells where it is dark and no one watches, dissolved",
}
_UNIT_TEXT = {"m2": "m²", "m3": "m³", "1": "", "class": ""}


def _with_unit(name: str, unit: str) -> str:
    u = _UNIT_TEXT.get(unit, unit)
    return f"{name} [{u}]" if u else name


def _aliases(comparison) -> dict[str, dict[str, str]]:
    """Column aliases with units for the QGIS styles: ``E_h [lx]``, ``change of E_h [lx]``."""
    fields, metrics = {}, {}
    for r in _results(comparison):
        for area in r.areas.values():
            for q, f in area.fields.items():
                fields.setdefault(q, str(f.unit))
            for m in area.metrics.values():
                metrics.setdefault(m.name, str(m.unit))
    on_points = {}
    for q, u in fields.items():
        on_points[q] = _with_unit(q, u)
        on_points[f"d_{q}"] = _with_unit(f"change of {q}", u)
    on_areas = {}
    for m, u in metrics.items():
        on_areas[m] = _with_unit(m, u)
        on_areas[f"d_{m}"] = _with_unit(f"change of {m}", u)
    return {"points": on_points, "route_stretches": on_points, "areas": on_areas,
            "routes": on_areas}


# ---------------------------------------------------------------- writing and reading
@contextlib.contextmanager
def _no_sqlite_sync():
    """GDAL's SQLite without a disk sync per transaction (about half the time of writing the
    demo's file); restored afterwards. Safe here: the report's output folder syncs every file
    before it swaps the folder into place (:mod:`cpted_sim.io.output_folder`)."""
    import pyogrio

    key = "OGR_SQLITE_SYNCHRONOUS"
    old = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({key: old})


def write_geopackage(comparison, path, *, epsg: int | None = None, styles: bool = True) -> Path:
    """Write the comparison's points, areas, routes, luminaires, observers and dark-and-unseen
    regions as a GeoPackage (layers in the module docstring).

    Parameters
    ----------
    comparison : Comparison
        ``base``, ``variants``, ``deltas`` and ``table`` (a base alone works too).
    path : path-like
        The ``.gpkg`` to write (replaced when it exists).
    epsg : int, optional
        CRS of the coordinates; default the base scene's ``epsg`` (none: no CRS is written).
    styles : bool
        Write the ``layer_styles`` table with a QGIS style for the main layers.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    EngineUnavailableError
        pyogrio or shapely is missing (the message gives the install command).
    ParameterError
        ``epsg`` is not a positive integer.
    """
    raw, shapely = _libs()
    epsg = comparison_epsg(comparison) if epsg is None else epsg
    crs = None if epsg is None else epsg_crs(epsg)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    written: dict[str, tuple[str, list[str]]] = {}
    with _no_sqlite_sync():
        for name in GPKG_LAYERS:
            layer = _BUILDERS[name](comparison)
            if layer is None:
                continue
            geoms, gtype, fields = layer
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
                raw.write(str(path), shapely.to_wkb(geoms), geometry_type=gtype, layer=name,
                          field_data=list(fields.values()), fields=list(fields), crs=crs,
                          driver="GPKG", promote_to_multi=gtype.startswith("Multi"))
            written[name] = (gtype, list(fields))
            log.debug("%s: layer %s, %d features", path.name, name, len(geoms))
    if written:
        from .gpkg_styles import describe_layers, write_layer_styles

        describe_layers(path, {k: LAYER_DESCRIPTIONS[k] for k in written})
        if styles:
            write_layer_styles(path, written, aliases=_aliases(comparison))
    return path


def write_results_gpkg(comparison, out_dir) -> dict[str, Path]:
    """Write :data:`GPKG_NAME` into ``out_dir`` (the report's hook); ``{name: path}``, or ``{}``
    with a :class:`~cpted_sim.errors.CptedWarning` when the ``gis`` extra is missing."""
    if not gpkg_available():
        warnings.warn(f"{GPKG_NAME} not written: GeoPackage output needs pyogrio and shapely "
                      f"({GPKG_HINT}); every other file of the report is written",
                      CptedWarning, stacklevel=3)
        return {}
    return {GPKG_NAME: write_geopackage(comparison, Path(out_dir) / GPKG_NAME)}


def read_geopackage(path) -> dict[str, dict]:
    """Read every feature layer of a GeoPackage (the tests' and users' round trip).

    Returns
    -------
    dict
        By layer name: ``{"crs": "EPSG:28992" or None, "geometry": (n,) shapely geometries,
        "fields": {column: (n,) array}}``.

    Raises
    ------
    EngineUnavailableError
        pyogrio or shapely is missing.
    ResultsFormatError
        Not a file GDAL reads as a GeoPackage.
    """
    raw, shapely = _libs()
    import pyogrio

    name = Path(str(path)).name
    try:
        layers = pyogrio.list_layers(str(path))
        out = {}
        for layer, gtype in layers:
            if gtype is None:
                continue  # attribute tables (layer_styles)
            meta, _, geom, data = raw.read(str(path), layer=str(layer))
            out[str(layer)] = {"crs": meta.get("crs"), "geometry": shapely.from_wkb(geom),
                               "fields": dict(zip(meta["fields"], data))}
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ResultsFormatError(f"{name}: not a readable GeoPackage ({str(exc)[:120]})") \
            from None
    return out

