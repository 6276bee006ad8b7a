"""The triage's overview map: places ranked, coloured by their dominant deficit (issue 14).

Privacy by design: the map shows places (a disc of the place's radius, its rank and id, and
how many reports it holds), never individual reports; places withheld by the k rule are not
in the places list and are not drawn. Plan view, north up, with a scale bar and a north arrow
(:mod:`cpted_sim.plot.furniture`); the scene (buildings, land cover) underneath when given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["DEFICIT_COLOURS", "triage_overview_map"]

#: Colour of each dominant deficit (colour-blind safe, Okabe-Ito).
DEFICIT_COLOURS = {"dark": "#0072B2", "unwatched": "#E69F00", "concealment": "#CC79A7",
                   "entrapment": "#D55E00", "none": "#999999"}


def triage_overview_map(places: Sequence, path, *, scene=None,
                        labels: Mapping[str, str] | None = None, title: str = "",
                        dpi: int = 150) -> Path:
    """Write the overview map of the places to ``path`` (PNG).

    Parameters
    ----------
    places : sequence of Place
        Places with a deficit (ranked ``1..``) and places without one (drawn grey, no rank);
        each with ``id``, ``xy`` [m], ``radius`` [m], ``n_reports``, ``dominant_deficit``.
    path : path-like
    scene : Scene, optional
        Drawn underneath (buildings, land cover) within the places' extent.
    labels : mapping, optional
        Legend text of each deficit key, and ``"reports"`` (the word after the count), in the
        report's language (default: the keys).
    title : str
    dpi : int

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Patch

    from .furniture import add_north_arrow, add_scale_bar

    labels = dict(labels or {})
    xy = np.array([np.asarray(p.xy, dtype=float) for p in places]).reshape(-1, 2)
    rad = np.array([float(getattr(p, "radius", 15.0)) for p in places])
    if len(places):
        lo, hi = (xy - rad[:, None]).min(axis=0), (xy + rad[:, None]).max(axis=0)
    elif scene is not None:
        lo, hi = scene.bounds[0, :2], scene.bounds[1, :2]
    else:
        lo, hi = np.zeros(2), np.ones(2) * 100.0
    pad = max(0.08 * float(np.max(hi - lo)), 10.0)
    lo, hi = lo - pad, hi + pad
    span = hi - lo
    w = 8.0
    h = float(np.clip(w * span[1] / max(span[0], 1e-9), 3.0, 10.0))
    fig, ax = plt.subplots(figsize=(w, h + 0.8))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    if scene is not None:
        from .maps import _draw_scene

        _draw_scene(ax, scene, (lo[0], hi[0], lo[1], hi[1]))
    word = labels.get("reports", "reports")
    rank = 0
    used = []
    for p in places:
        d = str(getattr(p, "dominant_deficit", "none"))
        colour = DEFICIT_COLOURS.get(d, DEFICIT_COLOURS["none"])
        if d not in used:
            used.append(d)
        ax.add_patch(Circle(tuple(np.asarray(p.xy, dtype=float)),
                            float(getattr(p, "radius", 15.0)), facecolor=colour, alpha=0.35,
                            edgecolor=colour, linewidth=1.5, zorder=4, gid="place"))
        head = f"{p.id}"
        if d != "none":
            rank += 1
            head = f"{rank}. {p.id}"
        ax.annotate(f"{head}\n{int(p.n_reports)} {word}", tuple(np.asarray(p.xy, dtype=float)),
                    ha="center", va="center", fontsize=8, zorder=5,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8,
                          "lw": 0})
    add_scale_bar(ax)
    add_north_arrow(ax)
    ax.set_xticks([])
    ax.set_yticks([])
    if used:
        ax.legend(handles=[Patch(facecolor=DEFICIT_COLOURS.get(d, "#999999"), alpha=0.6,
                                 label=labels.get(d, d)) for d in used],
                  loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=min(len(used), 5),
                  frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    out = Path(path)
    fig.savefig(out, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return out
