"""Maps, diagrams and reports (layer L6); matplotlib lives only here.

Everything draws on the Agg canvas (no pyplot state, no window): plan maps of fields with
the city in land-cover colours, luminaires and observers, a scale bar, north arrow and legend
(:func:`field_map`, :func:`plan_map`), the "dark and unseen" map,
side-by-side variant maps on one shared scale and difference maps (:func:`variant_maps`,
:func:`difference_maps`, :func:`comparison_maps`), and the polar intensity diagram
(:func:`plot_polar`).

>>> from cpted_sim.plot import field_map
"""

from __future__ import annotations

from .compare import (MapImage, comparison_maps, dark_unseen_panels, difference_maps,
                      start_comparison_maps, variant_maps)
from .furniture import add_north_arrow, add_scale_bar
from .landcover import LAND_COVER_CLASSES, face_classes
from .maps import (add_colorbar, building_outlines, dark_unseen_map, dark_unseen_values,
                   field_map, plan_map, vegetation_outlines, view_kind)
from .polar import plot_polar
from .sheet import MapSheet, MapSpec, PendingMaps, render_maps, start_maps
from .style import (LAND_COVER_STYLE, LUX_BREAKS, MapScale, category_scale, difference_scale,
                    new_figure, plain_label, save_figure, shared_scale)

__all__ = [
    "field_map",
    "plan_map",
    "add_colorbar",
    "dark_unseen_map",
    "dark_unseen_values",
    "building_outlines",
    "vegetation_outlines",
    "view_kind",
    "variant_maps",
    "difference_maps",
    "dark_unseen_panels",
    "comparison_maps",
    "start_comparison_maps",
    "MapImage",
    "plot_polar",
    "add_scale_bar",
    "add_north_arrow",
    "face_classes",
    "LAND_COVER_CLASSES",
    "LAND_COVER_STYLE",
    "plain_label",
    "MapSheet",
    "MapSpec",
    "render_maps",
    "start_maps",
    "PendingMaps",
    "LUX_BREAKS",
    "MapScale",
    "shared_scale",
    "difference_scale",
    "category_scale",
    "new_figure",
    "save_figure",
]
