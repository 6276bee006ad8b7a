"""Fields on plan grids as GeoTIFF, for GIS users (optional ``gis`` extra: rasterio)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import EngineUnavailableError, GridError, ParameterError

__all__ = ["rasterio_available", "write_geotiff", "GIS_HINT", "epsg_crs"]

log = logging.getLogger(__name__)

GIS_HINT = "pip install 'cpted_sim[gis]'  (installs rasterio)"


def epsg_crs(epsg) -> str:
    """``"EPSG:n"`` for a positive integer EPSG code ``epsg``.

    Raises
    ------
    ParameterError
        ``epsg`` is not a positive integer.
    """
    if isinstance(epsg, bool) or not isinstance(epsg, (int, np.integer)) or epsg <= 0:
        raise ParameterError(f"epsg: expected a positive integer EPSG code, got {epsg!r}")
    return f"EPSG:{int(epsg)}"


def rasterio_available() -> bool:
    """Whether rasterio can be imported."""
    try:
        import rasterio  # noqa: F401
    except ImportError:
        return False
    return True


def write_geotiff(field, path, epsg: int, *, dtype: str = "float32") -> Path:
    """Write a field on a regular plan grid as a single-band GeoTIFF.

    Cells without a grid point (outside a clipping polygon) are NaN, also the nodata value.
    The raster's north-up orientation flips the grid's rows (which grow with y).

    Parameters
    ----------
    field : Field
        Values on a plan grid (``grid.shape`` and ``grid.transform`` set).
    path : path-like
        The ``.tif`` to write.
    epsg : int
        EPSG code of the grid's world coordinates (e.g. 28992 for Dutch RD New).
    dtype : str
        Band type, ``"float32"`` (default) or ``"float64"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    EngineUnavailableError
        rasterio is not installed (the message gives the install command).
    GridError
        The field's grid is not a regular plan grid.
    ParameterError
        ``epsg`` is not a positive integer.
    """
    try:
        import rasterio
        from rasterio.transform import Affine
    except ImportError:
        raise EngineUnavailableError(f"GeoTIFF output needs rasterio: {GIS_HINT}") from None
    crs = epsg_crs(epsg)
    grid = field.grid
    if grid.shape is None or grid.transform is None:
        raise GridError(f"grid {grid.name!r} is not a regular plan grid; GeoTIFF needs one")
    raster = field.as_raster()[::-1].astype(dtype)
    x0, y0, dx, dy = grid.transform
    rows, cols = grid.shape
    transform = Affine(dx, 0.0, x0 - dx / 2, 0.0, -dy, y0 + (rows - 0.5) * dy)  # north-up
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", height=rows, width=cols, count=1, dtype=dtype,
                       crs=crs, transform=transform, nodata=float("nan"),
                       compress="deflate") as dst:
        dst.write(raster, 1)
        dst.update_tags(quantity=field.quantity, unit=field.unit)
        dst.set_band_description(1, f"{field.quantity} [{field.unit}]")
    log.debug("wrote %s", path)
    return path
