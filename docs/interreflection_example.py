"""Figure of docs/lighting.md, section Interreflection: direct vs total light in a narrow street.

Run from the repository root: ``PYTHONPATH=src python docs/interreflection_example.py``; it
writes ``docs/interreflection_street.png`` and prints the figures quoted on the page.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cpted_sim as cs  # noqa: E402
from cpted_sim.lighting import indirect_illuminance, radiosity, surface_luminance  # noqa: E402
from cpted_sim.photometry.builtin import isotropic  # noqa: E402

LENGTH, WIDTH, HEIGHT = 60.0, 6.0, 15.0


def narrow_street() -> cs.Scene:
    """A 6 m street between 15 m light rendered facades (0.4) over paving (0.2), open ends."""
    x0, x1, y0, y1 = 0.0, LENGTH, -WIDTH / 2, WIDTH / 2
    quads = [("paving", [(x0, y0, 0), (x1, y0, 0), (x1, y1, 0), (x0, y1, 0)]),
             ("facade", [(x0, y0, 0), (x0, y0, HEIGHT), (x1, y0, HEIGHT), (x1, y0, 0)]),
             ("facade", [(x0, y1, 0), (x1, y1, 0), (x1, y1, HEIGHT), (x0, y1, HEIGHT)])]
    verts = np.array([p for _, q in quads for p in q], float)
    faces = np.array([[4 * k, 4 * k + 1, 4 * k + 2] for k in range(3)]
                     + [[4 * k, 4 * k + 2, 4 * k + 3] for k in range(3)])
    groups = np.array([g for g, _ in quads] * 2)
    scene = cs.Scene.from_arrays(verts, faces, groups, name="narrow street")
    return scene.with_materials({"paving": cs.Material(0.2), "facade": cs.Material(0.4)})


def main():
    scene = narrow_street()
    optic = isotropic(flux=3000.0)
    # old-town globe lanterns on wall brackets: 4.5 m high, 1 m out from the south facade
    lums = [cs.Luminaire(optic, (x, -WIDTH / 2 + 1.0, 4.5), maintenance_factor=0.8)
            for x in (10.0, 30.0, 50.0)]
    grid = cs.CalculationGrid.regular(5.0, -WIDTH / 2, 55.0, WIDTH / 2, 0.25, height=0.0)
    t0 = time.perf_counter()
    direct = cs.illuminance(scene, lums, grid, quiet=True)
    t1 = time.perf_counter()
    sol = radiosity(scene, lums, quiet=True)
    ind = indirect_illuminance(scene, lums, grid, solution=sol, quiet=True)
    t2 = time.perf_counter()
    total = direct.values + ind.values
    lum = surface_luminance(scene, solution=sol)
    share = ind.values.sum() / total.sum()
    print(f"{grid.n_points} points; direct {t1 - t0:.2f} s, interreflection {t2 - t1:.2f} s "
          f"({sol.settings['n_patches']} patches, {sol.bounces} bounces)")
    print(f"E_h avg: direct {direct.values.mean():.2f} lx, total {total.mean():.2f} lx; "
          f"indirect share {share:.1%}; E_min direct {direct.values.min():.2f} lx, total "
          f"{total.min():.2f} lx")
    print(f"indirect error estimate: mean {ind.error.mean():.3f} lx, max {ind.error.max():.3f} lx")
    face_l = {g: float(np.average(lum.values[scene.group_faces(g)],
                                  weights=scene.face_areas[scene.group_faces(g)]))
              for g in ("paving", "facade")}
    print("mean luminance [cd/m2]: " + ", ".join(f"{g} {v:.3f}" for g, v in face_l.items()))

    d_r, t_r = grid.to_raster(direct.values), grid.to_raster(total)
    x0, y0, dx, dy = grid.transform
    ext = (x0 - dx / 2, x0 + dx * (d_r.shape[1] - 0.5), y0 - dy / 2, y0 + dy * (d_r.shape[0] - 0.5))
    vmax = float(np.nanmax(t_r))
    fig, axes = plt.subplots(3, 1, figsize=(9, 7.2), constrained_layout=True)
    for ax, r, title in ((axes[0], d_r, "direct only (EN 13201 definition)"),
                         (axes[1], t_r, f"direct + interreflection ({sol.bounces} bounces)")):
        im = ax.imshow(r, origin="lower", extent=ext, vmin=0, vmax=vmax, cmap="inferno",
                       aspect="auto")
        ax.plot([p.position[0] for p in lums], [p.position[1] for p in lums], "c^", ms=6)
        ax.set_title(f"E_h [lx], {title}")
        ax.set_ylabel("y [m]")
    fig.colorbar(im, ax=axes[:2], label="E_h [lx]")
    mid = np.argmin(np.abs(grid.points[:, 0] - 20.0) + 0 * grid.points[:, 1])
    col = np.isclose(grid.points[:, 0], grid.points[mid, 0])
    y = grid.points[col, 1]
    ax = axes[2]
    ax.plot(y, direct.values[col], label="direct", color="tab:blue")
    ax.plot(y, total[col], label="total", color="tab:red")
    ax.fill_between(y, total[col] - 2 * ind.error[col], total[col] + 2 * ind.error[col],
                    color="tab:red", alpha=0.25, label="total +- 2 x error estimate")
    ax.set_xlabel(f"y [m] across the street at x = {grid.points[mid, 0]:.1f} m "
                  "(between two lanterns)")
    ax.set_ylabel("E_h [lx]")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower center", ncol=3)
    out = Path(__file__).with_name("interreflection_street.png")
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
