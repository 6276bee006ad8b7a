"""Worked example of docs/lighting.md: a residential street at night, and its false-colour map.

Run from the repository root: ``PYTHONPATH=src python docs/lighting_example.py``; it writes
``docs/lighting_example.png`` and prints the figures quoted on the page.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cpted_sim as cs  # noqa: E402
from cpted_sim.metrics import area_fraction_below, facial_recognition  # noqa: E402
from cpted_sim.photometry.builtin import street_light_optic  # noqa: E402


def box(x0, y0, x1, y1, h):
    v = np.array([[x, y, z] for z in (0, h) for y in (y0, y1) for x in (x0, x1)], float)
    f = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                  [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
    return v, f


def street():
    """A 60 m street, 10 m between facades, houses both sides, a hedge along the north pavement."""
    ground = np.array([[-10, -20, 0], [70, -20, 0], [70, 20, 0], [-10, 20, 0]], float)
    parts = [("ground", ground, np.array([[0, 1, 2], [0, 2, 3]]))]
    for x0 in (0, 22, 44):
        parts.append(("building", *box(x0, -15, x0 + 16, -5, 9.0)))
        parts.append(("building", *box(x0 + 3, 5, x0 + 19, 15, 6.0)))
    parts.append(("hedge", *box(8, 3.2, 30, 3.8, 1.8)))
    verts, faces, groups, n = [], [], [], 0
    for g, v, f in parts:
        verts.append(v)
        faces.append(f + n)
        groups += [g] * len(f)
        n += len(v)
    mats = {"hedge": cs.Material(reflectance=0.1, light_transmittance=0.3)}
    return cs.Scene.from_arrays(np.vstack(verts), np.vstack(faces), np.array(groups),
                                materials=mats, name="example street")


def main():
    scene = street()
    optic = street_light_optic(4000.0)
    # poles on the south pavement every 25 m; C90 (the road side) turned north, tilted 5 deg
    lums = [cs.Luminaire(optic, [x, -4.0, 6.0], azimuth=0.0, tilt=5.0, maintenance_factor=0.8)
            for x in (2.0, 27.0, 52.0)]
    grid = cs.CalculationGrid.regular(-5, -5, 65, 5, 0.25, height=0.0)
    e_h = cs.illuminance(scene, lums, grid, kind="horizontal", quiet=True)
    # the EN 13201-3 field between the first two poles, across the whole street
    field = cs.en13201_grid(25.0, 10.0, origin=(2.0, -5.0, 0.0))
    cls = cs.lighting_class(cs.illuminance(scene, lums, field, quiet=True))
    # semicylindrical illuminance at 1.5 m facing west (someone walking towards you from the
    # east is seen by a person looking east: their face looks west)
    e_sc = cs.illuminance(scene, lums, grid.at_height(1.5), kind="semicylindrical",
                          facing=(-1.0, 0.0, 0.0), quiet=True)
    rec = facial_recognition(e_sc)
    s = cs.summary(e_h)
    print(f"E_h over the street: min {s.min:.2f} lx, avg {s.avg:.2f} lx, max {s.max:.2f} lx, "
          f"U0 {s.u0:.2f}; below 1 lx: {100 * area_fraction_below(e_h, 1.0):.1f} % of the area")
    print(f"EN 13201 field (25 x 10 m, {field.n_points} points): E_avg {cls.e_avg:.2f} lx, "
          f"E_min {cls.e_min:.2f} lx -> class {cls.name}")
    print(f"faces recognisable at 4 m on {100 * np.mean(rec.values >= 4):.0f} % and at 10 m on "
          f"{100 * np.mean(rec.values >= 10):.0f} % of the street")

    fig, axes = plt.subplots(2, 1, figsize=(10, 4.3), constrained_layout=True)
    ext = (-5, 65, -5, 5)
    im = axes[0].imshow(e_h.as_raster(), origin="lower", extent=ext, cmap="inferno",
                        norm=matplotlib.colors.LogNorm(vmin=0.3, vmax=50))
    fig.colorbar(im, ax=axes[0], label="E_h [lx]")
    axes[0].contour(np.linspace(-4.875, 64.875, grid.shape[1]),
                    np.linspace(-4.875, 4.875, grid.shape[0]), e_h.as_raster(),
                    levels=[1.0, 3.0, 10.0], colors="w", linewidths=0.6)
    axes[0].set_title("Horizontal illuminance on the street (maintained, with shadows); "
                      "contours 1, 3, 10 lx", fontsize=9)
    im = axes[1].imshow(rec.as_raster(), origin="lower", extent=ext, cmap="viridis",
                        vmin=0, vmax=10)
    fig.colorbar(im, ax=axes[1], label="recognition distance [m]", ticks=[0, 4, 10])
    axes[1].set_title("Facial recognition (E_sc at 1.5 m facing west: 1 lx for 4 m, "
                      "3 lx for 10 m)", fontsize=9)
    for ax in axes:
        for lum in lums:
            ax.plot(lum.position[0], lum.position[1], "c^", ms=7)
        ax.plot([8, 30], [3.5, 3.5], "g-", lw=3, alpha=0.8)
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.set_aspect("equal")
    out = Path(__file__).resolve().parent / "lighting_example.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
