"""Polar intensity diagram of a distribution, as photometric datasheets draw it.

The C0-C180 plane and the C90-C270 plane are drawn as two curves on one polar chart, gamma = 0
(straight down) at the bottom: the C0 half (or C90 half) on the right, its opposite half
(C180 or C270) mirrored on the left. :func:`plot_polar` draws it on a Matplotlib axes (for a
user's own figures); the report draws the same chart with Pillow from its description,
:func:`polar_chart` and :func:`draw_polar_chart` (no figure machinery in the map workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["plot_polar", "PolarCurve", "PolarChart", "polar_chart", "draw_polar_chart"]

#: Colour of the rings and spokes (Matplotlib's polar grid, ``#b0b0b0``).
_GRID_GREY = (176, 176, 176)
#: The two planes: (right half, mirrored left half), dash, legend label, colour.
_PLANES = (((0.0, 180.0), "solid", "C0 - C180", "#1f77b4"),
           ((90.0, 270.0), "dashed", "C90 - C270", "#ff7f0e"))


def _plane(distribution, c_right: float, c_left: float, k: float):
    """(theta [deg], r): the ``c_right`` half on the right, ``c_left`` mirrored on the left."""
    gamma = np.linspace(0.0, 180.0, 721)
    right = distribution.intensity(c_right, gamma) * k
    left = distribution.intensity(c_left, gamma) * k
    return (np.concatenate([-gamma[::-1], gamma]),
            np.concatenate([np.asarray(left)[::-1], np.asarray(right)]))


def _per(distribution, per_klm: bool) -> tuple:
    k = 1000.0 / distribution.flux if per_klm and distribution.flux > 0 else 1.0
    return k, ("cd/klm" if per_klm else "cd")


def plot_polar(distribution, ax=None, *, per_klm: bool = False, title: str | None = None):
    """Draw the C0-C180 and C90-C270 planes of ``distribution`` in polar form.

    Parameters
    ----------
    distribution : IntensityDistribution
        The table to draw.
    ax : matplotlib polar Axes, optional
        Where to draw; a new figure is made when None.
    per_klm : bool
        Draw cd/klm (per 1000 lm of luminaire flux) instead of cd.
    title : str, optional
        Defaults to the distribution's name.

    Returns
    -------
    matplotlib.axes.Axes
        The polar axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(subplot_kw={"projection": "polar"}, figsize=(4.6, 4.6))
    k, unit = _per(distribution, per_klm)
    for (c_right, c_left), dash, label, _ in _PLANES:
        theta, r = _plane(distribution, c_right, c_left, k)
        ax.plot(np.radians(theta), r, "-" if dash == "solid" else "--", lw=1.6, label=label)
    ax.set_theta_zero_location("S")  # gamma = 0 (down) at the bottom
    ax.set_thetamin(-180)
    ax.set_thetamax(180)
    ax.set_thetagrids(np.arange(-180, 180, 30),
                      [f"{abs(a)}°" for a in np.arange(-180, 180, 30)])
    ax.set_rlabel_position(100)
    ax.tick_params(labelsize=7)
    ax.set_title(title if title is not None else distribution.name, fontsize=9)
    ax.legend(loc="lower left", bbox_to_anchor=(-0.12, -0.12), fontsize=7, title=unit,
              title_fontsize=7, frameon=False)
    return ax


@dataclass(frozen=True)
class PolarCurve:
    """One plane of a :class:`PolarChart`: ``theta`` [deg] from straight down, positive to
    the right; ``r`` the intensity there; its legend label, colour and dash."""

    label: str
    theta: np.ndarray
    r: np.ndarray
    colour: str
    dash: str


@dataclass(frozen=True)
class PolarChart:
    """What a polar intensity diagram shows: title, unit (``"cd"`` or ``"cd/klm"``), the
    curves, the rings' values (``r_ticks``) and the outer ring's (``r_max``)."""

    title: str
    unit: str
    curves: tuple
    r_ticks: tuple
    r_max: float


def polar_chart(distribution, *, per_klm: bool = False, title: str | None = None) -> PolarChart:
    """The diagram :func:`plot_polar` draws, as a description for :func:`draw_polar_chart`."""
    from matplotlib.ticker import MaxNLocator

    k, unit = _per(distribution, per_klm)
    curves = tuple(PolarCurve(label, *_plane(distribution, cr, cl, k), colour, dash)
                   for (cr, cl), dash, label, colour in _PLANES)
    peak = max(float(np.nanmax(c.r)) for c in curves)
    ticks = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, peak if peak > 0
                                                                        else 1.0)
    ticks = ticks[ticks > 0]
    r_max = float(ticks[-1])
    return PolarChart(title if title is not None else distribution.name, unit, curves,
                      tuple(float(t) for t in ticks), r_max)


def draw_polar_chart(chart: PolarChart, path, dpi: int) -> Path:
    """Draw ``chart`` (4.4 in square, as the report's diagrams) into a PNG at ``path``."""
    from .charts import Canvas, rgb
    from .colourbar import _labels

    canvas = Canvas((4.4, 4.4), dpi)
    d, px = canvas.draw, canvas.px
    cx, cy = canvas.width / 2.0, canvas.height * 0.49
    radius = 0.35 * canvas.width
    grid = canvas.width_of(0.8)
    ang = np.radians(np.arange(-180, 180, 30))
    for a in ang:  # spokes every 30 degrees, rings at the ticks
        d.line([(cx, cy), (cx + radius * np.sin(a), cy + radius * np.cos(a))], fill=_GRID_GREY,
               width=grid)
    for t in chart.r_ticks[:-1]:
        q = radius * t / chart.r_max
        d.ellipse([cx - q, cy - q, cx + q, cy + q], outline=_GRID_GREY, width=grid)
    for c in chart.curves:
        th = np.radians(c.theta)
        q = radius * np.minimum(np.asarray(c.r, dtype=np.float64) / chart.r_max, 1.0)
        canvas.line(np.column_stack([cx + q * np.sin(th), cy + q * np.cos(th)]), rgb(c.colour),
                    1.6, c.dash)
    d.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=(0, 0, 0),
              width=canvas.width_of(1.0))
    for a in np.arange(-180, 180, 30):  # gamma at the rim, 0 at the bottom
        q = radius + 12 * px
        canvas.text((cx + q * np.sin(np.radians(a)), cy + q * np.cos(np.radians(a))),
                    f"{abs(a)}°", 7, "mm")
    r_dir = np.radians(100.0)  # the rings' values along a spoke just above the right
    for t, text in zip(chart.r_ticks, _labels(np.asarray(chart.r_ticks))):
        q = radius * t / chart.r_max
        canvas.text((cx + q * np.sin(r_dir) + 2 * px, cy + q * np.cos(r_dir)), text, 7, "lb")
    canvas.text((cx, cy - radius - 26 * px), chart.title, 9, "ms")
    canvas.legend(chart.curves, 0.02 * canvas.width, canvas.height - 4.6 * 7 * px, 1,
                  title=chart.unit)
    return canvas.save(path)
