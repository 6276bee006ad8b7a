"""Polar intensity diagram of a distribution, as photometric datasheets draw it.

The C0-C180 plane and the C90-C270 plane are drawn as two curves on one polar chart, gamma = 0
(straight down) at the bottom: the C0 half (or C90 half) on the right, its opposite half
(C180 or C270) mirrored on the left.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_polar"]


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
    gamma = np.linspace(0.0, 180.0, 721)
    k = 1000.0 / distribution.flux if per_klm and distribution.flux > 0 else 1.0
    unit = "cd/klm" if per_klm else "cd"
    for (c_right, c_left), style, label in (((0.0, 180.0), "-", "C0 - C180"),
                                            ((90.0, 270.0), "--", "C90 - C270")):
        right = distribution.intensity(c_right, gamma) * k
        left = distribution.intensity(c_left, gamma) * k
        theta = np.concatenate([-np.radians(gamma[::-1]), np.radians(gamma)])
        r = np.concatenate([left[::-1], right])
        ax.plot(theta, r, style, lw=1.6, label=label)
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
