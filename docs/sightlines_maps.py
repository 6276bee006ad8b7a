"""Maps of docs/sightlines.md on the synthetic district (about 100 000 triangles).

Run from the repository root: ``PYTHONPATH=src python docs/sightlines_maps.py``; it writes
``docs/sightlines_maps.png`` and prints the figures quoted on the page.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cpted_sim as cs  # noqa: E402
from cpted_sim.metrics.cpted import night_loss_share, unobserved_share  # noqa: E402
from cpted_sim.photometry.builtin import street_light_optic  # noqa: E402
from cpted_sim.scenario.synthetic import district  # noqa: E402
from cpted_sim.visibility import surveillance_fields  # noqa: E402


def main():
    t0 = time.perf_counter()
    d = district(100_000, seed=3)
    scene = d.scene
    (x0, y0, _), (x1, y1, _) = scene.bounds
    grid = cs.CalculationGrid.regular(x0, y0, x1, y1, 1.0)
    street = d.on_street(grid.points)
    windows = cs.ObserverSet.from_faces(scene, scene.tagged_groups("window"), max_distance=60.0)
    walkers = cs.ObserverSet.from_paths(list(d.street_polylines), spacing=10.0, max_distance=40.0)
    day = surveillance_fields(scene, windows, grid)
    # Night: the district's street lights; E_sc at 1.5 m facing eight compass directions.
    lums = [cs.Luminaire(street_light_optic(6000.0), p, maintenance_factor=0.8)
            for p in d.street_lights]
    g15 = grid.at_height(1.5)
    az = 45.0 * np.arange(8)
    e_sc = [cs.illuminance(scene, lums, g15, kind="semicylindrical",
                           facing=(np.cos(np.radians(a)), np.sin(np.radians(a)), 0.0), quiet=True)
            for a in az]
    night = cs.night_surveillance(scene, windows, grid, e_sc, facing_azimuths=az)
    # Isovists and the visibility graph on the streets.
    coarse = cs.CalculationGrid.regular(x0, y0, x1, y1, 2.0)
    on = d.on_street(coarse.points)
    iso = cs.isovist(scene, coarse.points[on], n_rays=720)
    vga_grid = cs.CalculationGrid.regular(x0, y0, x1, y1, 3.0)
    von = d.on_street(vga_grid.points)
    vga = cs.visibility_graph(scene, cs.CalculationGrid.from_points(vga_grid.points[von]))
    # A walk along the first street: concealment spots within 10 m.
    path = np.asarray(d.street_polylines[0])[:, :2]
    near = cs.CalculationGrid.regular(x0, y0, x1, y1, 0.5)
    hide = cs.concealment(scene, path, near)
    prospect = cs.route_prospect(scene, path)
    by_walkers = cs.surveillance(scene, walkers, grid)

    s_street = cs.Field(day.count.values[street], cs.CalculationGrid.from_points(
        grid.points[street]), "surveillance_count", "1")
    n_street = s_street.with_values(night.values[street], quantity="night_surveillance_count")
    print(f"{scene.n_faces} triangles, {windows.n} windows, {walkers.n} walkers, "
          f"{len(lums)} street lights; {time.perf_counter() - t0:.0f} s in all")
    print(f"streets unobserved by windows by day: {100 * unobserved_share(s_street):.1f} %; "
          f"at night: {100 * unobserved_share(n_street):.1f} %; observed by day but not at "
          f"night: {100 * night_loss_share(s_street, n_street):.1f} %")
    print(f"street isovists: mean area {iso.area.mean():.0f} m2, mean occlusivity "
          f"{iso.occlusivity.mean():.0f} m; VGA {vga.n} points, mean connectivity "
          f"{vga.connectivity.values.mean():.0f}, integration {np.nanmin(vga.integration.values):.2f}"
          f" to {np.nanmax(vga.integration.values):.2f}")
    print(f"route {prospect.chainage[-1]:.0f} m: mean prospect ahead {prospect.ahead.mean():.0f} m;"
          f" {hide.n_spots} concealment spots of {int(np.sum(~np.isnan(hide.concealed.values)))}"
          f" points within 10 m; walkers see {100 * np.mean(by_walkers.values[street] > 0):.0f} %"
          " of the streets")

    fig, axes = plt.subplots(2, 3, figsize=(15, 9.6), constrained_layout=True)
    ext = (x0, x1, y0, y1)

    def raster(ax, g, values, mask, title, label, **kw):
        v = np.where(mask, values, np.nan)
        im = ax.imshow(g.to_raster(v), origin="lower", extent=ext, **kw)
        fig.colorbar(im, ax=ax, label=label, shrink=0.8)
        ax.set_title(title, fontsize=9)

    def scatter(ax, pts, values, title, label, **kw):
        sc = ax.scatter(pts[:, 0], pts[:, 1], c=values, s=4, marker="s", **kw)
        fig.colorbar(sc, ax=ax, label=label, shrink=0.8)
        ax.set_title(title, fontsize=9)

    top = max(2.0, float(np.nanmax(day.count.values[street])))
    norm = matplotlib.colors.SymLogNorm(linthresh=1.0, vmin=0.0, vmax=top)
    raster(axes[0, 0], grid, day.count.values, street, "Windows seeing a face at 1.5 m, by day",
           "surveillance_count", cmap="viridis", norm=norm)
    raster(axes[0, 1], grid, night.values, street, "... and recognising it at night",
           "night_surveillance_count", cmap="viridis", norm=norm)
    scatter(axes[0, 2], iso.eyes, iso.area, "Isovist area (720 rays, 100 m)",
            "isovist_area [m2]", cmap="magma")
    scatter(axes[1, 0], vga.grid.points, vga.integration.values,
            "Visual integration [HH], 3 m grid", "vga_integration_hh",
            cmap="plasma")
    rv = hide.reveal_distance.values
    inside = ~np.isnan(rv)
    scatter(axes[1, 1], near.points[inside], np.minimum(rv[inside], 30.0),
            "Reveal distance along the red route",
            "reveal_distance [m] (capped at 30)", cmap="RdYlGn", vmin=0, vmax=30)
    axes[1, 1].plot(path[:, 0], path[:, 1], "r-", lw=1.5)
    raster(axes[1, 2], grid, by_walkers.values, street,
           "Walkers (every 10 m) seeing the point",
           "surveillance_count", cmap="cividis")
    foot = scene.vertices[scene.faces[scene.group_faces("roof")]] + scene.origin
    for ax in axes.ravel():
        ax.tripcolor(foot[:, :, 0].ravel(), foot[:, :, 1].ravel(),
                     np.arange(foot.shape[0] * 3).reshape(-1, 3), np.zeros(foot.shape[0]),
                     cmap="Greys", vmin=-1, vmax=3, alpha=0.5, shading="flat")
        ax.set_aspect("equal")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
    out = Path(__file__).resolve().parent / "sightlines_maps.png"
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
