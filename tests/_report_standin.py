"""A small comparison with known values for the plot and report tests.

Real ``Scene``, ``CalculationGrid``, ``Field``, photometry ``Luminaire`` and scenario result
classes, compared by the real :func:`cpted_sim.scenario.compare.compare`; only the fields are
made here, from closed forms, so the tests know what to expect: illuminance from the
inverse-square cosine law of isotropic 800 cd point sources (no occlusion), surveillance counts
from the distance to two windows.
"""

from __future__ import annotations

import numpy as np

from cpted_sim.field import Field
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.scene import Scene
from cpted_sim.photometry import Luminaire, isotropic
from cpted_sim.scenario.compare import compare
from cpted_sim.scenario.model import AreaResult, Metric, ScenarioResult


def _box(x0, y0, x1, y1, h):
    v = np.array([[x0, y0, 0], [x1, y0, 0], [x1, y1, 0], [x0, y1, 0],
                  [x0, y0, h], [x1, y0, h], [x1, y1, h], [x0, y1, h]], dtype=float)
    f = np.array([[4, 5, 6], [4, 6, 7],  # roof
                  [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5],
                  [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]])
    return v, f


def street_scene(length=40.0, width=12.0, height=9.0, epsg=None, origin=(0.0, 0.0)):
    """Ground plane plus two rows of buildings along a street (x along the street)."""
    ox, oy = origin
    verts = [np.array([[-5, -10, 0], [length + 5, -10, 0], [length + 5, width + 10, 0],
                       [-5, width + 10, 0]], dtype=float)]
    faces = [np.array([[0, 1, 2], [0, 2, 3]])]
    groups = ["ground", "ground"]
    n = 4
    for y0, y1 in ((-8.0, 0.0), (width, width + 8.0)):
        for x0 in np.arange(0.0, length, 20.0):
            v, f = _box(x0 + 0.5, y0, min(x0 + 19.5, length), y1, height)
            verts.append(v)
            faces.append(f + n)
            groups += ["building"] * 10
            n += 8
    v = np.vstack(verts)
    v[:, 0] += ox
    v[:, 1] += oy
    return Scene.from_arrays(v, np.vstack(faces), np.array(groups), epsg=epsg, name="street")


def point_source_E_h(points, positions, intensity=800.0):
    """Horizontal illuminance [lx] of isotropic point sources of ``intensity`` cd (no shadows)."""
    d = positions[None, :, :] - points[:, None, :]
    r2 = np.einsum("ijk,ijk->ij", d, d)
    cos = d[:, :, 2] / np.sqrt(r2)
    return np.sum(intensity * np.clip(cos, 0, None) / r2, axis=1)


def _metrics(e_h: np.ndarray, count: np.ndarray, dark_unseen: np.ndarray, cell_area: float):
    e_avg = float(e_h.mean())
    e_min = float(e_h.min())
    cls = "P2" if e_avg >= 10 else "P4" if e_avg >= 5 else "P6" if e_avg >= 2 else "none"
    return {
        "E_avg": Metric("E_avg", e_avg, "lx", better="higher"),
        "E_min": Metric("E_min", e_min, "lx", better="higher"),
        "U0": Metric("U0", e_min / e_avg, "1", better="higher"),
        "class_achieved": Metric("class_achieved", float(["none", "P6", "P4", "P2"].index(cls)),
                                 "class", label=cls, better="higher"),
        "surveilled_pct": Metric("surveilled_pct", 100.0 * float(np.mean(count > 0)), "%",
                                 better="higher"),
        "dark_unseen_area": Metric("dark_unseen_area", float(dark_unseen.sum()) * cell_area,
                                   "m2", better="lower"),
        # undefined here (no E_sc field): NaN, a missing value in the table
        "E_sc_min": Metric("E_sc_min", float("nan"), "lx", better="higher"),
    }


def make_result(variant, lum_x, *, height=6.0, spacing=1.0, epsg=None, origin=(0.0, 0.0),
                length=40.0, width=12.0, windows_x=(6.0, 30.0)):
    ox, oy = origin
    scene = street_scene(length, width, epsg=epsg, origin=origin)
    grid = CalculationGrid.regular(ox, oy, ox + length, oy + width, spacing, name="street")
    optic = isotropic(intensity_cd=800.0)
    lums = tuple(Luminaire(optic, np.array([ox + x, oy + 1.0 + (i % 2) * (width - 2.0), height]),
                           name=f"L{i + 1}", maintenance_factor=1.0)
                 for i, x in enumerate(lum_x))
    pos = np.array([lum.position for lum in lums])
    e_h = point_source_E_h(grid.points, pos)
    win = np.array([[ox + x, oy + width, 4.0] for x in windows_x])
    dist = np.linalg.norm(grid.points[:, None, :2] - win[None, :, :2], axis=2)
    count = np.sum(dist < 14.0, axis=1).astype(float)
    night = np.where(e_h >= 3.0, count, 0.0)
    dark = (e_h < 3.0).astype(float)
    unobserved = (count == 0).astype(float)
    du = dark * unobserved
    prov = {"variant": variant}
    fields = {
        "E_h": Field(e_h, grid, "E_h", "lx", prov),
        "surveillance_count": Field(count, grid, "surveillance_count", "1", prov),
        "night_surveillance_count": Field(night, grid, "night_surveillance_count", "1", prov),
        "dark": Field(dark, grid, "dark", "1", prov),
        "unobserved": Field(unobserved, grid, "unobserved", "1", prov),
        "dark_and_unseen": Field(du, grid, "dark_and_unseen", "1", prov),
    }
    area = AreaResult("street", "en13201", grid, fields,
                      _metrics(e_h, count, du, spacing * spacing), "P4")
    # a façade area: points on the south wall of the north buildings, facing south
    fx = np.arange(1.0, length, 2.0)
    fpts = np.column_stack([ox + fx, np.full(fx.size, oy + width - 0.01), np.full(fx.size, 1.5)])
    fgrid = CalculationGrid.from_points(fpts, np.array([0.0, -1.0, 0.0]), kind="vertical",
                                        name="north facade")
    e_v = point_source_E_h(fpts, pos) * 0.5 + 0.1
    facade = AreaResult("north facade", "facade", fgrid,
                        {"E_v": Field(e_v, fgrid, "E_v", "lx", prov)},
                        {"E_v_mean": Metric("E_v_mean", float(e_v.mean()), "lx", better="higher")})
    return ScenarioResult("Test street", variant, scene, lums,
                          {"street": area, "north facade": facade},
                          {"spacing": spacing, "engine": "numba"}, 0.25)


def make_comparison(*, epsg=None, origin=(0.0, 0.0), spacing=1.0):
    """Base with two luminaires, variant "more lights" with four, variant "dimmer" lower."""
    base = make_result("base", (10.0, 30.0), epsg=epsg, origin=origin, spacing=spacing)
    more = make_result("more lights", (5.0, 15.0, 25.0, 35.0), epsg=epsg, origin=origin,
                       spacing=spacing)
    high = make_result("high poles", (10.0, 30.0), height=9.0, epsg=epsg, origin=origin,
                       spacing=spacing)
    return compare(base, more, high)
