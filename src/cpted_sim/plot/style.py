"""Colour scales shared by every map: lux classes, counts, categories, differences.

Matplotlib is used through :class:`matplotlib.figure.Figure` and the Agg canvas only: no
pyplot, no global figure registry, no interactive backend, so a figure lives exactly as long
as the call that draws it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm, Colormap, ListedColormap, Normalize

from ..errors import ParameterError

__all__ = [
    "LUX_BREAKS",
    "MapScale",
    "shared_scale",
    "difference_scale",
    "category_scale",
    "new_figure",
    "save_figure",
    "sheet_geometry",
    "SheetGeometry",
    "panel_box",
    "BOOLEAN_QUANTITIES",
    "DARK_UNSEEN_CATEGORIES",
    "LAND_COVER_STYLE",
    "MARKER_STYLE",
    "QUANTITY_NAMES",
    "plain_label",
    "difference_label",
    "MAP_DPI",
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

#: Resolution of the report's PNG maps [dots per inch]: enough for a printed A4 page.
MAP_DPI = 100

#: One cartographic style for every map: the fill colour and legend label of each land-cover
#: class (:mod:`cpted_sim.plot.landcover`). Quiet, light tones, so that the values (inferno,
#: viridis) stay the loudest thing on the map; buildings are the darkest fill, roads a neutral
#: grey, pavements a warm sand, grass a pale green, water a pale blue, tree crowns and hedges a
#: translucent green drawn over the values.
LAND_COVER_STYLE = {
    "road": ("#cdcdcd", "road"),
    "pavement": ("#ece3cf", "pavement or path"),
    "grass": ("#dcebd0", "grass or garden"),
    "water": ("#a9cbe6", "water"),
    "building": ("#9d968e", "building"),
    "vegetation": ((0.23, 0.49, 0.27, 0.30), "tree or hedge"),
}

#: Marker style and legend label of the point symbols: (marker, size, face, edge, label).
MARKER_STYLE = {
    "luminaire": ("*", 90, "#ffd400", "black", "street light"),
    "observer": ("^", 14, "#1f4e9c", "white", "observer (window, door or walker)"),
    "outline": ("--", 1.1, "#2b2b2b", None, "calculation area"),
}

#: Plain-language names of the mapped quantities, for colour bars and captions.
QUANTITY_NAMES = {
    "E_h": "Horizontal illuminance",
    "E_v": "Vertical illuminance",
    "E_sc": "Semi-cylindrical illuminance",
    "E_hs": "Hemispherical illuminance",
    "E_cyl": "Cylindrical illuminance",
    "E_plane": "Illuminance on the surface",
    "E_h_indirect": "Horizontal illuminance from reflections",
    "surveillance_count": "Number of observers who see the point",
    "night_surveillance_count": "Number of observers who see the point\nand could recognise a face at night",
    "surveillance_weight": "Weighted number of observers who see the point",
    "nearest_observer_distance": "Distance to the nearest observer who sees the point",
    "concealment": "Hiding place beside a route (1 = yes)",
    "reveal_distance": "Distance at which a walker first sees the point",
    "recognition_distance": "Distance at which a face can be recognised",
    "dark": "Too dark (1 = yes)",
    "unobserved": "Seen by nobody (1 = yes)",
    "dark_and_unseen": "Dark and unseen",
}

_UNIT_WORDS = {"1": "", "": "", "class": ""}


def plain_label(quantity: str, unit: str = "") -> str:
    """The colour-bar label of ``quantity``: its plain name and unit, ``"Horizontal illuminance [lx]"``.

    Quantities without a plain name keep their code name; dimensionless units are left out.
    """
    name = QUANTITY_NAMES.get(quantity, quantity.replace("_", " "))
    u = _UNIT_WORDS.get(unit, unit)
    return f"{name} [{u}]" if u else name


def difference_label(quantity: str, unit: str = "") -> str:
    """The colour-bar label of a difference map: ``"Change in horizontal illuminance [lx]"``."""
    q = quantity.removeprefix("delta_")
    name = QUANTITY_NAMES.get(q, q.replace("_", " "))
    name = name[0].lower() + name[1:] if name[:2] != name[:2].upper() else name
    u = _UNIT_WORDS.get(unit, unit)
    return f"Change in {name}" + (f" [{u}]" if u else "") + "\n(variant − base; 0 = no change)"


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


@lru_cache(maxsize=64)
def _cmap(name: str, n: int | None = None) -> Colormap:
    """A named colour map (``n`` colours) with NaN transparent; one object per (name, n),
    never changed once made (Matplotlib's registry copies a colour map on every lookup, a
    millisecond each, and a report asks for hundreds)."""
    cm = colormaps[name] if n is None else colormaps[name].resampled(n)
    return cm.with_extremes(bad=(0.0, 0.0, 0.0, 0.0))


def _finite_values(fields: Sequence) -> np.ndarray:
    parts = [np.asarray(f.values, dtype=np.float64).ravel() for f in fields]
    v = np.concatenate(parts) if parts else np.empty(0)
    return v[np.isfinite(v)]


def _label(quantity: str, unit: str) -> str:
    return plain_label(quantity, unit)


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


def difference_scale(fields: Sequence, *, label: str | None = None,
                     least: float = 0.01) -> MapScale:
    """A diverging scale centred on 0 for variant-minus-base fields (``RdBu_r``).

    The limits are symmetric, ± the largest absolute difference over all ``fields`` but at
    least ``least`` (in the fields' unit), so every difference panel of a report reads on the
    same scale, white always means "no change", and rounding noise (1e-5 lx) stays white
    instead of filling the scale.
    """
    fields = list(fields)
    if not fields:
        raise ParameterError("fields: expected at least one difference Field")
    v = _finite_values(fields)
    lim = float(np.abs(v).max()) if v.size else 0.0
    lim = max(lim, float(least)) if least > 0.0 else lim
    if lim == 0.0:
        lim = 1.0
    f0 = fields[0]
    lab = label or difference_label(f0.quantity, f0.unit)
    return MapScale(_cmap("RdBu_r"), Normalize(-lim, lim), lab, "difference")


def category_scale(categories: Sequence[tuple[str, str]], *, label: str = "") -> MapScale:
    """A categorical scale: value ``i`` gets the colour of ``categories[i] = (name, colour)``."""
    names = tuple(c[0] for c in categories)
    cmap = ListedColormap([c[1] for c in categories]).with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    edges = np.arange(-0.5, len(categories), 1.0)
    ticks = tuple(float(i) for i in range(len(categories)))
    return MapScale(cmap, BoundaryNorm(edges, cmap.N), label, "category", ticks,
                    tick_labels=names)


#: Margins of a map panel [in]: title above; tick labels (elevation views only) left and below.
_TITLE_H = 0.28
_TICKS_W, _TICKS_H = 0.55, 0.42
_PAD = 0.06
#: Room right of the panels for the colour bar and its labels [in].
_CBAR_W = 1.45
#: Height of one row of the legend below the panels [in].
_LEGEND_ROW_H = 0.24


@dataclass
class MapLayout:
    """Where the colour bar and the legend of a map figure go (figure fractions)."""

    colorbar: tuple | None
    legend_y: float
    legend_rows: int


def new_figure(n_panels: int = 1, *, panel_size: tuple[float, float] = (4.6, 4.0),
               ncols: int | None = None, ticks: bool = True, colorbar: bool = True,
               legend_rows: int = 0, suptitle: bool = False) -> tuple[Figure, list]:
    """A figure on the Agg canvas with ``n_panels`` axes in a row (wrapping after ``ncols``).

    The panels are placed by a fixed layout (no constrained layout: measuring every tick label
    of every panel was most of the time a report spent on its maps): a band for the title
    above each panel, room for tick labels when ``ticks``, a column on the right for the colour
    bar (:func:`cpted_sim.plot.maps.add_colorbar`) and ``legend_rows`` rows for the legend below
    (:func:`cpted_sim.plot.furniture.add_legend`).

    Parameters
    ----------
    n_panels : int
        Number of map panels.
    panel_size : (float, float)
        Size of one panel with its title and tick labels [in].
    ncols : int, optional
        Panels per row (default up to 3).
    ticks : bool
        Leave room for tick labels (elevation views); plan maps carry a scale bar instead.
    colorbar : bool
        Leave room for a colour bar on the right.
    legend_rows : int
        Rows of legend entries below the panels.
    suptitle : bool
        Leave room for a figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : list of Axes
    """
    # Matplotlib's figure machinery is imported when a figure is made (a fifth of a second):
    # a report's map sheets draw without it
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    g = sheet_geometry(n_panels, panel_size, ncols, ticks, legend_rows, colorbar=colorbar,
                       suptitle=suptitle)
    pw, ph = panel_size
    W, H = g.width, g.height
    fig = Figure(figsize=(W, H))
    FigureCanvasAgg(fig)
    x, y, w, h = panel_box(panel_size, ticks)
    axes = []
    for i in range(n_panels):
        r, c = divmod(i, g.ncols)
        x0 = 0.06 + c * pw + x * pw
        y0 = g.bottom + (g.nrows - 1 - r) * ph + y * ph
        axes.append(fig.add_axes((x0 / W, y0 / H, w * pw / W, h * ph / H)))
    cbar = None
    if colorbar:
        cx, cy, cw, ch = g.colourbar
        cbar = (cx / W, cy / H, cw / W, ch / H)
    fig._cpted_layout = MapLayout(cbar, 0.02 / H, legend_rows)
    return fig, axes


@dataclass(frozen=True)
class SheetGeometry:
    """The sizes [in] of a map figure of :func:`new_figure`: panels per row and rows, the
    room kept on the right (colour bar), below (legend) and on top (figure title), the whole
    figure, and the colour bar (left, bottom, width, height)."""

    ncols: int
    nrows: int
    right: float
    bottom: float
    top: float
    width: float
    height: float
    colourbar: tuple


def sheet_geometry(n_panels: int, panel_size: tuple[float, float], ncols: int | None,
                   ticks: bool, legend_rows: int, *, colorbar: bool = True,
                   suptitle: bool = False) -> SheetGeometry:
    """The geometry :func:`new_figure` lays its panels out by (see its parameters)."""
    ncols = max(1, min(n_panels, ncols or 3))
    nrows = int(np.ceil(n_panels / ncols))
    pw, ph = panel_size
    top = 0.32 if suptitle else 0.0
    bottom = legend_rows * _LEGEND_ROW_H + (0.1 if legend_rows else 0.04)
    right = _CBAR_W if colorbar else 0.1
    height = ph * nrows + top + bottom
    y0 = bottom + _TICKS_H * ticks + 0.1
    y1 = height - top - _TITLE_H - 0.05
    bar = (0.06 + pw * ncols + 0.15, y0, 0.17, max(y1 - y0, 0.5))
    return SheetGeometry(ncols, nrows, right, bottom, top, pw * ncols + right + 0.06, height,
                         bar)


def panel_box(panel_size: tuple[float, float], ticks: bool) -> tuple:
    """Where a panel's axes sit in its cell (figure fractions of a cell ``panel_size`` [in]):
    a band for the title above, room for tick labels left and below when ``ticks``."""
    pw, ph = panel_size
    left_in = _TICKS_W if ticks else _PAD
    below_in = _TICKS_H if ticks else _PAD
    return (left_in / pw, below_in / ph, (pw - left_in - _PAD) / pw,
            (ph - below_in - _TITLE_H) / ph)


def save_figure(fig: Figure, path, *, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG to ``path``; drop the figure afterwards (nothing else holds it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, facecolor="white")
    # no fig.clear(): clearing rebuilt every axis (a tenth of the drawing time); the figure
    # holds no global state (no pyplot) and goes with its last reference
    log.debug("wrote %s", path)
    return path
