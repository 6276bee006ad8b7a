"""The city overview map: horizontal illuminance and the dark-and-unseen cells of a whole town,
the streets, and the ten worst street segments numbered (layer L6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm

from .style import new_figure, save_figure

__all__ = ["plot_city_overview"]


def plot_city_overview(rasters: dict, transform, streets, worst, path) -> Path:
    """Draw the overview map to ``path`` (PNG).

    Parameters
    ----------
    rasters : dict str -> (rows, cols) float
        Merged rasters (rows grow with y); ``E_h`` [lx] and ``dark_and_unseen`` are drawn.
    transform : (x0, y0, dx, dy)
        Centre of cell (0, 0) and cell size [m].
    streets : list of (k, 2+) float
        Street centrelines [m].
    worst : list of dict
        The worst segments (``xy`` (2, 2) ends), numbered in order.
    path : path-like
    """
    fig, (ax,) = new_figure(1, panel_size=(7.0, 6.0))
    x0, y0, dx, dy = transform
    eh = rasters.get("E_h")
    if eh is not None:
        rows, cols = eh.shape
        ext = (x0 - dx / 2, x0 + (cols - 0.5) * dx, y0 - dy / 2, y0 + (rows - 0.5) * dy)
        pos = eh[np.isfinite(eh) & (eh > 0)]
        norm = LogNorm(vmin=max(0.1, float(pos.min())) if pos.size else 0.1,
                       vmax=max(1.0, float(pos.max())) if pos.size else 1.0)
        im = ax.imshow(np.clip(eh, norm.vmin, None), origin="lower", extent=ext, cmap="magma",
                       norm=norm, interpolation="nearest")
        fig.colorbar(im, ax=ax, label="E_h [lx]", shrink=0.8)
        du = rasters.get("dark_and_unseen")
        if du is not None:
            mask = np.where(du > 0.5, 1.0, np.nan)
            ax.imshow(mask, origin="lower", extent=ext, cmap="cool", alpha=0.6, vmin=0, vmax=1,
                      interpolation="nearest")
    if streets:
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection([np.asarray(s)[:, :2] for s in streets],
                                         colors="0.8", linewidths=0.4))
    for i, seg in enumerate(worst, 1):
        xy = np.asarray(seg["xy"])
        ax.plot(xy[:, 0], xy[:, 1], color="cyan", lw=2.0)
        ax.annotate(str(i), xy.mean(axis=0), color="cyan", fontsize=7, ha="center")
    ax.set_aspect("equal")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_title("Night-safety overview: E_h, dark-and-unseen (cyan), worst streets numbered",
                 fontsize=8)
    return save_figure(fig, path)
