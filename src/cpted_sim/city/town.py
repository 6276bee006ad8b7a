"""A synthetic town written as CityJSON tiles on disk, so benchmarks need no download (layer L6).

The town is ``k x k`` districts of :func:`cpted_sim.scenario.synthetic.district` side by side
(each with its own seed); its folder holds ``cityjson/`` (a CityJSON tile set of
:mod:`cpted_sim.city.tileset`, read back by the code that reads a 3D BAG tile set),
``town.npz`` (street lights, windows, street centrelines, plan bounds) and ``town.toml`` (a
scenario giving the photometry, observers' range, thresholds and grid spacing), so that
``cpted-sim city town.toml --town DIR --out OUT`` runs it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ParameterError
from .tileset import write_cityjson_tiles

__all__ = ["write_town", "TOWN_TOML", "TOWN_TYPES"]

#: The CityObject type and semantic surface of every group of a synthetic district: read back,
#: a group is named as the CityJSON reader names it (``"Building/WallSurface"``).
TOWN_TYPES = {"ground": ("LandUse", None), "street": ("Road", "TrafficArea"),
              "sidewalk": ("Road", "AuxiliaryTrafficArea"),
              "facade": ("Building", "WallSurface"), "window": ("Building", "Window"),
              "roof": ("Building", "RoofSurface"), "tree": ("SolitaryVegetationObject", None),
              "pole": ("CityFurniture", None)}


TOWN_TOML = """\
# A synthetic town for cpted-sim city (written by cpted_sim.city.town.write_town).
# Run: cpted-sim city town.toml --town . --out OUT
name = "Synthetic town"

[scene]
builtin = "ground_plane"   # a stand-in: with --town the geometry comes from cityjson/
params = {{ size = 10.0 }}

[[luminaires]]              # the photometry every town light gets
name = "street light"
photometry = {{ builtin = "street_light_optic", flux = 6000.0 }}
position = [0.0, 0.0, 6.0]
maintenance_factor = 0.8

[[areas]]                   # spacing, height and quantities of the town grid
name = "town"
kind = "grid"
polygon = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
spacing = {spacing}
quantities = ["E_h", "E_sc", "surveillance", "night_surveillance"]

[[observers]]               # range and field of view of the windows
name = "windows"
kind = "window"
tag = "window"
max_distance = {sight}
fov = 180.0

[run]
max_distance = {light}      # light range [m]: with the sightline, the tile halo
"""


def write_town(folder, *, target_triangles: int = 200_000, districts: int = 2, seed: int = 0,
               spacing: float = 2.0, light_range: float = 40.0, sight_range: float = 40.0,
               cell: float = 125.0, epsg: int | None = None,
               max_windows: int | None = None) -> dict:
    """Write a synthetic town of ``districts x districts`` districts to ``folder``.

    Parameters
    ----------
    folder : path-like
    target_triangles : int
        Triangles of the whole town (shared among the districts; each >= 2000).
    districts : int
        Districts per side.
    seed : int
        Seed of the first district (the others use ``seed + i``).
    spacing : float
        Grid spacing [m] written into ``town.toml``.
    light_range, sight_range : float
        Light range and window range [m] written into ``town.toml``.
    cell : float
        Plan cell of the CityJSON files [m] (a city object per group and 25 m cell).
    epsg : int, optional
        EPSG code to label the town's coordinates with (for the GeoTIFF and GeoPackage).
    max_windows : int, optional
        Keep every k-th window as an observer so that at most this many remain (default:
        every window of every facade bay).

    Returns
    -------
    dict
        ``triangles``, ``lights``, ``windows``, ``street_m`` (street centreline length [m]),
        ``bounds`` (xmin, ymin, xmax, ymax [m]).
    """
    from ..scenario.synthetic import DISTRICT_MATERIALS, district

    k = int(districts)
    if k < 1:
        raise ParameterError(f"districts: expected at least 1, got {districts}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    per = max(2000, int(target_triangles) // (k * k))
    lights, wp, wn, streets, pieces = [], [], [], [], []
    n_tri = 0
    off_y = 0.0
    for j in range(k):
        off_x = 0.0
        row_h = 0.0
        for i in range(k):
            d = district(per, seed=seed + j * k + i)
            s = d.scene
            lo, hi = s.bounds[0], s.bounds[1]
            shift = np.array([off_x - lo[0], off_y - lo[1], 0.0])
            pieces.append((s.vertices + s.origin + shift, s.faces,
                           np.asarray(s.groups)[s.face_group]))
            n_tri += s.n_faces
            lights.append(d.street_lights + shift)
            wp.append(d.windows_points + shift)
            wn.append(d.windows_normals)
            streets.extend(np.asarray(p, dtype=np.float64) + shift for p in d.street_polylines)
            off_x += hi[0] - lo[0]
            row_h = max(row_h, hi[1] - lo[1])
        off_y += row_h
    write_cityjson_tiles(folder / "cityjson", pieces, origin=(0.0, 0.0, 0.0), types=TOWN_TYPES,
                         epsg=epsg, materials=DISTRICT_MATERIALS, cell=cell)
    del pieces
    wp, wn = np.vstack(wp), np.vstack(wn)
    if max_windows is not None and len(wp) > max_windows:
        step = int(np.ceil(len(wp) / int(max_windows)))
        wp, wn = wp[::step], wn[::step]
    breaks = np.cumsum([len(p) for p in streets])[:-1]
    bounds = np.array([0.0, 0.0, off_x, off_y])
    street_m = float(sum(np.hypot(*np.diff(p[:, :2], axis=0).T).sum() for p in streets))
    np.savez(folder / "town.npz", lights=np.vstack(lights), windows_points=wp,
             windows_normals=wn, streets=np.vstack(streets), street_breaks=breaks,
             bounds=bounds)
    (folder / "town.toml").write_text(TOWN_TOML.format(spacing=float(spacing),
                                                       light=float(light_range),
                                                       sight=float(sight_range)),
                                      encoding="utf-8")
    return {"triangles": n_tri, "lights": int(sum(len(x) for x in lights)),
            "windows": len(wp), "street_m": street_m,
            "bounds": tuple(bounds)}
