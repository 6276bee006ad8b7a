"""Make the figures of docs/photometry.md.

Run from the repository root (needs ../shared/data for the street-light diagram)::

    PYTHONPATH=src python docs/make_photometry_figures.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cpted_sim.photometry import Luminaire, canary, load_photometry  # noqa: E402
from cpted_sim.plot.polar import plot_polar  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def ground_illuminance(lum, x, y):
    pts = np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)])
    d = pts - lum.position
    dist = np.linalg.norm(d, axis=1)
    e = lum.intensity_towards(pts) * np.clip(-d[:, 2] / dist, 0, None) / dist**2
    return e.reshape(x.shape)


def orientation_figure(out: Path):
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6))
    # (a) top view of the luminaire frame
    ax = axes[0]
    for c in range(0, 360, 30):
        r = np.radians(c)
        ax.plot([0, np.cos(r)], [0, np.sin(r)], color="0.8", lw=0.8)
        ax.text(1.13 * np.cos(r), 1.13 * np.sin(r), f"C{c}", ha="center", va="center",
                fontsize=7)
    ax.annotate("", (1, 0), (0, 0), arrowprops=dict(arrowstyle="->", lw=2, color="C3"))
    ax.annotate("", (0, 1), (0, 0), arrowprops=dict(arrowstyle="->", lw=2, color="C2"))
    ax.annotate("", (0.55, 0.55), (0.78, 0.05),
                arrowprops=dict(arrowstyle="->", connectionstyle="arc3,rad=0.35"))
    ax.text(0.45, -0.12, "+X", color="C3")
    ax.text(-0.2, 0.5, "+Y", color="C2")
    ax.set_title("seen from above: C0 = +X, C90 = +Y,\nC counter-clockwise", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.axis("off")
    # (b) side view: gamma from straight down, tilt lifts the C90 side
    ax = axes[1]
    ax.plot([-0.25, 0.25], [0, 0], lw=6, color="0.3")
    for g in (0, 30, 60, 90):
        r = np.radians(g)
        ax.plot([0, np.sin(r)], [0, -np.cos(r)], color="0.6", lw=0.8)
        ax.text(1.12 * np.sin(r), -1.12 * np.cos(r), f"γ{g}", fontsize=7, ha="center")
    t = np.radians(20)
    ax.annotate("", (np.sin(t), -np.cos(t)), (0, 0),
                arrowprops=dict(arrowstyle="->", lw=2, color="C1"))
    ax.text(-1.25, -0.75, "tilt 20°: the γ0 axis\nmoves to +Y", color="C1", fontsize=7)
    ax.text(0.9, 0.1, "+Y (C90) →", fontsize=8, color="C2")
    ax.set_title("section through C270 - C90:\nγ = 0 straight down (−Z)", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 0.4)
    ax.axis("off")
    # (c) the canary at (0, 0, 6) with azimuth 90 lights the +Y side
    ax = axes[2]
    x, y = np.meshgrid(np.linspace(-15, 15, 121), np.linspace(-15, 15, 121))
    e = ground_illuminance(Luminaire(canary(), (0, 0, 6), azimuth=90, maintenance_factor=1.0), x, y)
    im = ax.contourf(x, y, e, levels=12, cmap="magma")
    ax.plot(0, 0, "w+", ms=10)
    ax.set_title("canary (brightest to C0) at (0, 0, 6),\nazimuth 90°: lights +Y", fontsize=9)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_aspect("equal")
    fig.colorbar(im, ax=ax, label="E [lx]", shrink=0.8)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def polar_figure(shared: Path, out: Path):
    path = shared / "photometry" / "ies" / "italo_1_5p5_s05_3140_3m.ies"
    d = load_photometry(path)
    fig, axes = plt.subplots(1, 2, subplot_kw={"projection": "polar"}, figsize=(8.4, 4.2))
    plot_polar(d, axes[0], title=f"{path.name}\n{d.flux:.0f} lm, peak {d.peak:.0f} cd")
    road = shared / "photometry" / "ldt" / "road_luminaire.ldt"
    if road.exists():
        r = load_photometry(road)
        plot_polar(r, axes[1], per_klm=True, title=f"{road.name} (Isym 3)\n{r.flux:.0f} lm")
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main(argv):
    shared = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data"
    orientation_figure(HERE / "photometry_orientation.png")
    if (shared / "photometry").is_dir():
        polar_figure(shared, HERE / "photometry_polar_street_light.png")


if __name__ == "__main__":
    main(sys.argv)
