"""Map furniture: scale bar, north arrow and the legend of every symbol drawn.

Each piece is a handful of plain artists tagged with a ``gid`` (``"scale_bar"``,
``"north_arrow"``), so that a test (or a user) can find them in a figure without looking at
pixels. The legend lists the symbols that the panels of a figure actually drew: every drawing
function records its symbol with :func:`note_symbol`, and :func:`add_legend` puts them below
the panels, once per figure.

North is the scene's +y axis: grid north of a projected CRS (RD New, UTM, ...), or the +y of a
local model.
"""

from __future__ import annotations

import weakref

import numpy as np

from .style import LAND_COVER_STYLE, MARKER_STYLE

__all__ = ["nice_length", "add_scale_bar", "add_north_arrow", "note_symbol", "symbols",
           "add_legend", "legend_rows", "label_of"]

_SYMBOLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

#: Legend order: land cover first, then the point and line symbols.
_ORDER = ("road", "pavement", "grass", "water", "building", "vegetation", "outline",
          "luminaire", "observer")

#: Legend entries per row.
LEGEND_COLUMNS = 5


def nice_length(span: float, fraction: float = 0.2) -> float:
    """A round length (1, 2 or 5 × 10^k) [m] near ``fraction`` of ``span`` [m]."""
    target = max(float(span) * fraction, 1e-9)
    k = np.floor(np.log10(target))
    for m in (5.0, 2.0, 1.0):
        if m * 10 ** k <= target:
            return float(m * 10 ** k)
    return float(10 ** k)


def _fmt(length: float) -> str:
    if length >= 1000:
        return f"{length / 1000:g} km"
    return f"{length:g} m"


def add_scale_bar(ax, *, fraction: float = 0.2):
    """A two-tone scale bar in the lower left of ``ax``, labelled in m (or km).

    The axes limits must be set (data units are metres). Returns the artists (gid
    ``"scale_bar"``).
    """
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    length = nice_length(w, fraction)
    bx, by = x0 + 0.03 * w, y0 + 0.05 * h
    bh = 0.012 * max(w, h) if h > 0.25 * w else 0.05 * h
    # add_artist, not add_patch: the limits are set, and add_patch's update of the data
    # limits was a tenth of the set-up of a map sheet
    arts = [ax.add_artist(Rectangle((bx, by), length / 2, bh, facecolor="black",
                                    edgecolor="black", linewidth=0.6, zorder=8)),
            ax.add_artist(Rectangle((bx + length / 2, by), length / 2, bh, facecolor="white",
                                    edgecolor="black", linewidth=0.6, zorder=8))]
    arts.append(ax.text(bx + length / 2, by + bh, _fmt(length), ha="center", va="bottom",
                        fontsize=7, zorder=8,
                        bbox=dict(facecolor="white", alpha=0.75, edgecolor="none", pad=0.8)))
    for a in arts:
        a.set_gid("scale_bar")
    return arts


def add_north_arrow(ax):
    """An arrow pointing to +y with an "N" in the upper right of ``ax`` (gid ``"north_arrow"``)."""
    arrow = ax.annotate("", xy=(0.965, 0.93), xytext=(0.965, 0.72), xycoords="axes fraction",
                        arrowprops=dict(arrowstyle="-|>", color="black", linewidth=1.2,
                                        mutation_scale=9), zorder=8)
    letter = ax.text(0.965, 0.935, "N", transform=ax.transAxes, ha="center", va="bottom",
                     fontsize=8, fontweight="bold", zorder=8,
                     bbox=dict(facecolor="white", alpha=0.75, edgecolor="none", pad=0.5))
    arrow.set_gid("north_arrow")
    letter.set_gid("north_arrow")
    return [arrow, letter]


def note_symbol(ax, key: str) -> None:
    """Record that ``ax`` shows the symbol ``key`` (a land-cover class, ``"luminaire"``,
    ``"observer"`` or ``"outline"``), for the legend."""
    _SYMBOLS.setdefault(ax, [])
    if key not in _SYMBOLS[ax]:
        _SYMBOLS[ax].append(key)


def symbols(axes) -> list[str]:
    """The symbols drawn on any of ``axes``, in legend order."""
    seen = {k for ax in axes for k in _SYMBOLS.get(ax, ())}
    return [k for k in _ORDER if k in seen]


def label_of(key: str) -> str:
    """The legend label of a symbol (a land-cover class, ``"luminaire"``, ...)."""
    return LAND_COVER_STYLE[key][1] if key in LAND_COVER_STYLE else MARKER_STYLE[key][4]


def _handle(key: str):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if key in LAND_COVER_STYLE:
        colour, label = LAND_COVER_STYLE[key]
        return Patch(facecolor=colour, edgecolor="#4a4a4a" if key == "building" else "none",
                     linewidth=0.6, label=label)
    marker, size, face, edge, label = MARKER_STYLE[key]
    if key == "outline":
        return Line2D([], [], linestyle=marker, linewidth=size, color=face, label=label)
    return Line2D([], [], linestyle="none", marker=marker, markersize=np.sqrt(size),
                  markerfacecolor=face, markeredgecolor=edge, markeredgewidth=0.6, label=label)


def legend_rows(n_entries: int) -> int:
    """Rows the legend needs for ``n_entries`` symbols."""
    return int(np.ceil(n_entries / LEGEND_COLUMNS)) if n_entries else 0


def add_legend(fig, axes):
    """One legend below the panels for every symbol drawn on ``axes`` (None when none)."""
    keys = symbols(axes)
    if not keys:
        return None
    handles = [_handle(k) for k in keys]
    leg = fig.legend(handles=handles, loc="lower center", ncols=min(len(handles), LEGEND_COLUMNS),
                     bbox_to_anchor=(0.5, 0.0), frameon=False, fontsize=7, handlelength=1.6,
                     columnspacing=1.2, borderaxespad=0.2)
    leg.set_gid("legend")
    return leg
