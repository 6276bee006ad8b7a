"""A small but real comparison for the plot and report tests.

Real ``Scene``, ``CalculationGrid`` and ``Field`` objects; illuminance from the inverse-square
cosine law of isotropic 800 cd point sources (no occlusion; real photometry ``Luminaire``s), surveillance counts from distance to windows. The
result containers have exactly the attributes of the scenario data contract
(``ScenarioResult``, ``AreaResult``, ``Metric``, ``Comparison``), so these tests do not depend
on how the scenario package builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cpted_sim.field import Field
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.scene import Scene
from cpted_sim.photometry import Luminaire, isotropic


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    unit: str
    label: str | None = None
    better: str = "none"


@dataclass(frozen=True)
class AreaResult:
    name: str
    kind: str
    grid: CalculationGrid
    fields: dict
    metrics: dict
    lighting_class: str | None = None


@dataclass(frozen=True)
class ScenarioResult:
    scenario_name: str
    variant: str
    scene: Scene
    luminaires: tuple
    areas: dict
    settings: dict = field(default_factory=dict)
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class Comparison:
    base: ScenarioResult
    variants: tuple
    deltas: dict
    table: list
    verdicts: dict

    def to_report(self, out_dir):
        from cpted_sim.io.report import write_report

        return write_report(self, out_dir)


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
    e_mean = float(e_h.mean())
    e_min = float(e_h.min())
    cls = "P2" if e_mean >= 10 else "P4" if e_mean >= 5 else "P6" if e_mean >= 2 else "none"
    return {
        "E_mean": Metric("E_mean", e_mean, "lx", better="higher"),
        "E_min": Metric("E_min", e_min, "lx", better="higher"),
        "U0": Metric("U0", e_min / e_mean, "1", better="higher"),
        "P_class": Metric("P_class", float(["none", "P6", "P4", "P2"].index(cls)), "class",
                          label=cls, better="higher"),
        "surveilled_pct": Metric("surveilled_pct", 100.0 * float(np.mean(count > 0)), "%",
                                 better="higher"),
        "dark_and_unseen_area": Metric("dark_and_unseen_area",
                                       float(dark_unseen.sum()) * cell_area, "m2", better="lower"),
        "max_dark_run": Metric("max_dark_run", float(np.nan), "m", better="lower"),
    }


def make_result(variant, lum_x, *, height=6.0, spacing=1.0, epsg=None, origin=(0.0, 0.0),
                length=40.0, width=12.0, windows_x=(6.0, 30.0)):
    ox, oy = origin
    scene = street_scene(length, width, epsg=epsg, origin=origin)
    grid = CalculationGrid.regular(ox, oy, ox + length, oy + width, spacing, name="street")
    optic = isotropic(intensity_cd=800.0)
    lums = tuple(Luminaire(optic, np.array([ox + x, oy + 1.0 + (i % 2) * (width - 2.0), height]),
                           name=f"L{i + 1}")
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


def compare(base, *variants):
    deltas, table, verdicts = {}, [], {}
    for v in variants:
        deltas[v.variant] = {
            a: {q: v.areas[a].fields[q] - f for q, f in base.areas[a].fields.items()}
            for a in base.areas
        }
        better = worse = 0
        for a, area in base.areas.items():
            for name, m in area.metrics.items():
                mv = v.areas[a].metrics[name]
                d = mv.value - m.value
                pct = 100.0 * d / m.value if m.value not in (0.0,) and np.isfinite(m.value) else float("nan")
                table.append({"variant": v.variant, "area": a, "metric": name, "unit": m.unit,
                              "base": m.value, "value": mv.value, "delta": d, "delta_pct": pct,
                              "better": m.better})
                if np.isfinite(d) and d != 0 and m.better in ("higher", "lower"):
                    good = (d > 0) == (m.better == "higher")
                    better += good
                    worse += not good
        verdicts[v.variant] = (f"{v.variant} improves {better} metrics and worsens {worse} "
                               f"against {base.variant}.")
    return Comparison(base, tuple(variants), deltas, table, verdicts)


def make_comparison(*, epsg=None, origin=(0.0, 0.0), spacing=1.0):
    """Base with two luminaires, variant "more lights" with four, variant "dimmer" lower."""
    base = make_result("base", (10.0, 30.0), epsg=epsg, origin=origin, spacing=spacing)
    more = make_result("more lights", (5.0, 15.0, 25.0, 35.0), epsg=epsg, origin=origin,
                       spacing=spacing)
    high = make_result("high poles", (10.0, 30.0), height=9.0, epsg=epsg, origin=origin,
                       spacing=spacing)
    return compare(base, more, high)
