"""Colour scales shared by every map: lux classes, counts, categories, differences.

Matplotlib is used through :class:`matplotlib.figure.Figure` and the Agg canvas only: no
pyplot, no global figure registry, no interactive backend, so a figure lives exactly as long
as the call that draws it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, Colormap, ListedColormap, Normalize
from matplotlib.figure import Figure

from ..errors import ParameterError

__all__ = [
    "LUX_BREAKS",
    "MapScale",
    "shared_scale",
    "difference_scale",
    "category_scale",
    "new_figure",
    "save_figure",
    "BOOLEAN_QUANTITIES",
    "DARK_UNSEEN_CATEGORIES",
]

log = logging.getLogger(__name__)

#: Illuminance class breaks [lx]: the maintained averages and minima of the EN 13201-2 P, C and
#: HS classes (P6 2 lx ... C0 50 lx) with a few steps below and above, so that one glance says
#: which class an area reaches.
LUX_BREAKS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0, 100.0,
              150.0, 200.0, 300.0, 500.0, 750.0, 1000.0)

#: Quantities whose values are 0/1 flags.
BOOLEAN_QUANTITIES = ("dark", "unobserved", "dark_and_unseen", "unseen")

#: The four classes of the "dark and unseen" map: code = dark + 2 * unobserved.
DARK_UNSEEN_CATEGORIES = (
    ("lit and seen", "#ecebd9"),
    ("dark, seen", "#5b5f97"),
    ("lit, unseen", "#e0a43a"),
    ("dark and unseen", "#c1121f"),
)

COUNT_QUANTITIES = ("surveillance_count", "night_surveillance_count")


@dataclass(frozen=True)
class MapScale:
    """How values become colours on every panel of a comparison.

    Attributes
    ----------
    cmap : Colormap
        The colour map (NaN drawn transparent).
    norm : Normalize
        Value-to-colour normalisation (a BoundaryNorm for classes).
    label : str
        Colour-bar label with the unit, e.g. ``"E_h [lx]"``.
    kind : str
        ``"lux"``, ``"count"``, ``"linear"``, ``"category"`` or ``"difference"``.
    ticks : tuple of float or None
        Colour-bar ticks.
    extend : str
        Colour-bar extension (``"neither"``, ``"max"``, ``"both"``).
    contour_levels : tuple of float
        Isolines to draw (isolux lines for illuminance); empty for none.
    tick_labels : tuple of str or None
        Labels of categorical ticks.
    """

    cmap: Colormap
    norm: Normalize
    label: str
    kind: str
    ticks: tuple | None = None
    extend: str = "neither"
    contour_levels: tuple = ()
    tick_labels: tuple | None = field(default=None)


def _cmap(name: str, n: int | None = None) -> Colormap:
    cm = colormaps[name] if n is None else colormaps[name].resampled(n)
    return cm.with_extremes(bad=(0.0, 0.0, 0.0, 0.0))


def _finite_values(fields: Sequence) -> np.ndarray:
    parts = [np.asarray(f.values, dtype=np.float64).ravel() for f in fields]
    v = np.concatenate(parts) if parts else np.empty(0)
    return v[np.isfinite(v)]


def _label(quantity: str, unit: str) -> str:
    return f"{quantity} [{unit}]" if unit not in ("", "1") else quantity


def shared_scale(fields: Sequence, *, quantity: str | None = None) -> MapScale:
    """One colour scale for several fields of the same quantity (all variants of an area).

    Illuminance (unit ``lx``) gets the lux-class breaks of :data:`LUX_BREAKS` up to the first
    break at or above the largest value, on the perceptually uniform ``inferno`` map (dark
    stays dark), with isolux lines at the class breaks. Surveillance counts get one colour per
    integer (``viridis``) when they are whole numbers up to 12, else a linear scale from 0; 0/1 flags two colours; anything else a linear ``viridis`` scale from
    the smallest to the largest value.

    Parameters
    ----------
    fields : sequence of Field
        The fields that share the scale (at least one), same quantity and unit.
    quantity : str, optional
        Overrides the quantity read from the first field.

    Returns
    -------
    MapScale

    Raises
    ------
    ParameterError
        No fields, or fields of different units.
    """
    fields = list(fields)
    if not fields:
        raise ParameterError("fields: expected at least one Field to build a colour scale")
    units = {f.unit for f in fields}
    if len(units) > 1:
        raise ParameterError(f"fields: one scale needs one unit, got {sorted(units)}")
    unit = fields[0].unit
    q = quantity or fields[0].quantity
    label = _label(q, unit)
    v = _finite_values(fields)
    vmax = float(v.max()) if v.size else 1.0
    vmin = float(v.min()) if v.size else 0.0
    if unit == "lx":
        breaks = [b for b in LUX_BREAKS if b < vmax]
        top = next((b for b in LUX_BREAKS if b >= vmax), None)
        extend = "neither"
        if top is None:
            extend = "max"
        else:
            breaks.append(top)
        if len(breaks) < 3:
            breaks = list(LUX_BREAKS[:3])
        breaks = tuple(float(b) for b in breaks)
        cmap = _cmap("inferno", len(breaks) - 1 + (extend == "max"))
        norm = BoundaryNorm(breaks, cmap.N, extend=extend)
        return MapScale(cmap, norm, label, "lux", breaks, extend, breaks[1:])
    if q in BOOLEAN_QUANTITIES:
        return category_scale((("no", "#ecebd9"), (q.replace("_", " "), "#c1121f")), label=q)
    if q in COUNT_QUANTITIES or q.endswith("_count"):
        top = max(1, int(np.ceil(vmax)))
        whole = bool(np.all(v == np.round(v)))  # fractional counts: sightlines through hedges
        if top <= 12 and whole:
            edges = np.arange(-0.5, top + 1.0, 1.0)
            cmap = _cmap("viridis", top + 1)
            ticks = tuple(float(t) for t in range(top + 1))
            return MapScale(cmap, BoundaryNorm(edges, cmap.N), label, "count", ticks)
        return MapScale(_cmap("viridis"), Normalize(0.0, float(top)), label, "count")
    if vmax <= vmin:
        vmax = vmin + 1.0
    return MapScale(_cmap("viridis"), Normalize(vmin, vmax), label, "linear")


def difference_scale(fields: Sequence, *, label: str | None = None) -> MapScale:
    """A diverging scale centred on 0 for variant-minus-base fields (``RdBu_r``).

    The limits are symmetric, ± the largest absolute difference over all ``fields``, so every
    difference panel of a report reads on the same scale and white always means "no change".
    """
    fields = list(fields)
    if not fields:
        raise ParameterError("fields: expected at least one difference Field")
    v = _finite_values(fields)
    lim = float(np.abs(v).max()) if v.size else 0.0
    if lim == 0.0:
        lim = 1.0
    f0 = fields[0]
    lab = label or _label(f0.quantity, f0.unit)
    return MapScale(_cmap("RdBu_r"), Normalize(-lim, lim), lab, "difference")


def category_scale(categories: Sequence[tuple[str, str]], *, label: str = "") -> MapScale:
    """A categorical scale: value ``i`` gets the colour of ``categories[i] = (name, colour)``."""
    names = tuple(c[0] for c in categories)
    cmap = ListedColormap([c[1] for c in categories]).with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    edges = np.arange(-0.5, len(categories), 1.0)
    ticks = tuple(float(i) for i in range(len(categories)))
    return MapScale(cmap, BoundaryNorm(edges, cmap.N), label, "category", ticks,
                    tick_labels=names)


def new_figure(n_panels: int = 1, *, panel_size: tuple[float, float] = (4.6, 4.0),
               ncols: int | None = None) -> tuple[Figure, list]:
    """A figure on the Agg canvas with ``n_panels`` axes in a row (wrapping after ``ncols``)."""
    ncols = max(1, min(n_panels, ncols or 3))
    nrows = int(np.ceil(n_panels / ncols))
    fig = Figure(figsize=(panel_size[0] * ncols + 0.8, panel_size[1] * nrows),
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(n_panels)]
    return fig, axes


def save_figure(fig: Figure, path, *, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG to ``path`` and release it (the figure is cleared afterwards)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, facecolor="white")
    fig.clear()
    log.debug("wrote %s", path)
    return path
