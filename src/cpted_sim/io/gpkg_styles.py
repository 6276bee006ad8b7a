"""QGIS styles for ``results.gpkg``: QML documents in the GeoPackage's ``layer_styles`` table.

QGIS looks for a table ``layer_styles`` in a GeoPackage and applies the row of a layer whose
``useAsDefault`` is true when it opens that layer (the table QGIS itself writes with "Save
as default" into the data source). One style per layer, one cartographic language:

- ``points`` and ``route_stretches``: graduated colours on ``E_h`` [lx] at the EN 13201 class
  breaks (:data:`LUX_BREAKS`), dark to light (``inferno``), as on the report's maps;
- ``areas`` and ``routes``: outlines only, dark grey and blue;
- ``luminaires``: yellow stars with a dark edge; ``observers``: small blue dots;
- ``dark_unseen``: translucent red with a dark red edge.

Layers without a style (e.g. ``points`` of a scenario without ``E_h``) get a plain symbol.
Symbol properties are written both as ``<Option>`` maps (QGIS >= 3.26) and as ``<prop>``
elements (older QGIS 3), which QGIS reads alike.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

__all__ = ["LUX_BREAKS", "STYLE_NAME", "layer_qml", "write_layer_styles", "read_layer_styles",
           "describe_layers"]

#: Class breaks [lx] of the graduated illuminance styles (EN 13201-2 averages and minima).
LUX_BREAKS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0)
#: ``styleName`` of the rows written.
STYLE_NAME = "cpted_sim"
# inferno sampled at 12 steps (matplotlib), for the 12 classes (the last one open-ended)
_INFERNO = ((7, 5, 27), (36, 12, 79), (74, 12, 107), (108, 24, 110), (143, 36, 105),
            (177, 50, 90), (207, 68, 70), (232, 96, 45), (247, 130, 18), (252, 170, 15),
            (246, 213, 67), (245, 249, 146))
_GEOMETRY_TYPE = {"marker": 0, "line": 1, "fill": 2}


def _quoteattr(text: str) -> str:
    """``text`` as a double-quoted XML attribute value (``xml.sax.saxutils.quoteattr``'s
    escapes, without importing ``xml.sax``: a thirtieth of a second of every report)."""
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
                 ("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#9;")):
        text = text.replace(a, b)
    return f'"{text}"'


def _rgba(rgb, alpha: int = 255) -> str:
    return ",".join(str(int(c)) for c in (*rgb, alpha))


def _layer(cls: str, props: dict) -> str:
    opts = "".join(f'<Option type="QString" name={_quoteattr(k)} value={_quoteattr(str(v))}/>'
                   for k, v in props.items())
    old = "".join(f"<prop k={_quoteattr(k)} v={_quoteattr(str(v))}/>" for k, v in props.items())
    return (f'<layer class="{cls}" enabled="1" pass="0" locked="0">'
            f'<Option type="Map">{opts}</Option>{old}</layer>')


def _plain(kind: str, colour, alpha: int = 255) -> str:
    """The symbol layer of a plain dot, line or fill in ``colour``."""
    if kind == "marker":
        return _layer("SimpleMarker", {"name": "circle", "color": _rgba(colour, alpha),
                                       "outline_style": "no", "size": "1.6",
                                       "size_unit": "MM"})
    if kind == "line":
        return _layer("SimpleLine", {"line_color": _rgba(colour, alpha), "line_width": "1.2",
                                     "line_width_unit": "MM", "line_style": "solid",
                                     "capstyle": "flat"})
    return _layer("SimpleFill", {"color": _rgba(colour, alpha), "style": "solid",
                                 "outline_style": "no"})


def _symbol(kind: str, name: str, layer_xml: str) -> str:
    return (f'<symbol type="{kind}" name={_quoteattr(name)} alpha="1" clip_to_extent="1" '
            f'force_rhr="0">{layer_xml}</symbol>')


def _qml(renderer: str, kind: str) -> str:
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.28.0" styleCategories="Symbology">'
            f"{renderer}<layerGeometryType>{_GEOMETRY_TYPE[kind]}</layerGeometryType></qgis>\n")


def _single(kind: str, layer_xml: str) -> str:
    sym = _symbol(kind, "0", layer_xml)
    return _qml('<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" '
                f'enableorderby="0"><symbols>{sym}</symbols><rotation/><sizescale/>'
                "</renderer-v2>", kind)


def _graduated_lux(kind: str, attr: str = "E_h") -> str:
    ranges, symbols = [], []
    tops = (*LUX_BREAKS[1:], 1e9)
    for i, (lo, hi) in enumerate(zip(LUX_BREAKS, tops)):
        label = f"≥ {lo:g} lx" if hi >= 1e9 else f"{lo:g} – {hi:g} lx"
        ranges.append(f'<range lower="{lo:.6f}" upper="{hi:.6f}" symbol="{i}" '
                      f"label={_quoteattr(label)} render=\"true\"/>")
        symbols.append(_symbol(kind, str(i), _plain(kind, _INFERNO[i])))
    return _qml(f'<renderer-v2 type="graduatedSymbol" attr={_quoteattr(attr)} '
                'graduatedMethod="GraduatedColor" forceraster="0" symbollevels="0" '
                f'enableorderby="0"><ranges>{"".join(ranges)}</ranges>'
                f'<symbols>{"".join(symbols)}</symbols><mode name="manual"/>'
                '<classificationMethod id="Fixed"/><rotation/><sizescale/></renderer-v2>',
                kind)


def _with_aliases(qml: str, columns, aliases) -> str:
    """``qml`` with an ``<aliases>`` block (QGIS shows a column's alias as its title; the index
    counts the GeoPackage's ``fid`` as field 0, QGIS matches by name)."""
    cols = list(columns)
    items = "".join(f'<alias field={_quoteattr(c)} index="{cols.index(c) + 1}" '
                    f"name={_quoteattr(a)}/>" for c, a in (aliases or {}).items() if c in cols)
    if not items:
        return qml
    qml = qml.replace('styleCategories="Symbology"', 'styleCategories="Symbology|Fields"', 1)
    return qml.replace("</qgis>", f"<aliases>{items}</aliases></qgis>", 1)


def layer_qml(layer: str, geometry_type: str, columns, aliases=None) -> str:
    """The QML style of one layer of ``results.gpkg``.

    Parameters
    ----------
    layer : str
        Layer name (``"points"``, ``"areas"``, ...).
    geometry_type : str
        ``"Point Z"``, ``"LineString"``, ``"MultiPolygon"``, ...
    columns : sequence of str
        The layer's attribute columns (a graduated style needs its column).
    aliases : dict str -> str, optional
        Titles of columns (``{"E_h": "E_h [lx]"}``), written as QGIS field aliases.

    Returns
    -------
    str
        A QGIS style document (``<qgis>`` root).
    """
    return _with_aliases(_symbology(layer, geometry_type, columns), columns, aliases)


def _symbology(layer: str, geometry_type: str, columns) -> str:
    g = geometry_type.lower()
    kind = "marker" if "point" in g else "line" if "line" in g else "fill"
    cols = set(columns)
    if layer in ("points", "route_stretches") and "E_h" in cols:
        return _graduated_lux(kind)
    if layer == "luminaires":
        return _single(kind, _layer("SimpleMarker", {
            "name": "star", "color": _rgba((255, 204, 0)), "outline_color": _rgba((40, 40, 40)),
            "outline_width": "0.3", "outline_style": "solid", "size": "5", "size_unit": "MM"}))
    if layer == "observers":
        return _single(kind, _layer("SimpleMarker", {
            "name": "circle", "color": _rgba((31, 120, 180)),
            "outline_color": _rgba((255, 255, 255)),
            "outline_width": "0.2", "outline_style": "solid", "size": "2", "size_unit": "MM"}))
    if layer == "dark_unseen":
        return _single(kind, _layer("SimpleFill", {
            "color": _rgba((215, 48, 39), 110), "style": "solid",
            "outline_color": _rgba((140, 20, 20)), "outline_width": "0.4",
            "outline_width_unit": "MM", "outline_style": "solid"}))
    if layer == "areas" and kind == "fill":
        return _single(kind, _layer("SimpleFill", {
            "color": _rgba((255, 255, 255), 0), "style": "no",
            "outline_color": _rgba((60, 60, 60)), "outline_width": "0.6",
            "outline_width_unit": "MM", "outline_style": "solid"}))
    if layer == "routes" and kind == "line":
        return _single(kind, _layer("SimpleLine", {
            "line_color": _rgba((31, 120, 180)), "line_width": "0.8", "line_width_unit": "MM",
            "line_style": "dash", "capstyle": "round"}))
    colour = {"marker": (90, 90, 90), "line": (31, 120, 180), "fill": (150, 150, 150)}[kind]
    return _single(kind, _plain(kind, colour))


_CREATE = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
  f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""


def describe_layers(path, descriptions: dict) -> Path:
    """Set the ``description`` of layers in a GeoPackage's ``gpkg_contents``."""
    path = Path(path)
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany("UPDATE gpkg_contents SET description = ? WHERE table_name = ?",
                       [(d, t) for t, d in descriptions.items()])
    return path


def write_layer_styles(path, layers: dict, *, aliases: dict | None = None) -> Path:
    """Add a ``layer_styles`` table with one default QML style per layer to a GeoPackage.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` (written by GDAL: its feature tables have the geometry column ``geom``).
    layers : dict
        ``{layer: (geometry_type, columns)}``.
    aliases : dict, optional
        ``{layer: {column: title}}`` (:func:`layer_qml`).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(_CREATE)
        db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                   "description) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                   "'QGIS styles of the layers (cpted_sim)')")
        for layer, (gtype, columns) in layers.items():
            geom_col = db.execute("SELECT column_name FROM gpkg_geometry_columns "
                                  "WHERE table_name = ?", (layer,)).fetchone()
            db.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?",
                       (layer, STYLE_NAME))
            db.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                       "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                       "useAsDefault, description, owner, ui) VALUES ('', '', ?, ?, ?, ?, '', "
                       "1, ?, 'cpted_sim', '')",
                       (layer, geom_col[0] if geom_col else "geom", STYLE_NAME,
                        layer_qml(layer, gtype, columns, (aliases or {}).get(layer)),
                        f"cpted_sim style of {layer}"))
    return path


def read_layer_styles(path) -> dict[str, str]:
    """The default QML style of each layer in a GeoPackage's ``layer_styles`` ({} when none)."""
    with closing(sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)) as db:
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                      "name = 'layer_styles'").fetchone() is None:
            return {}
        rows = db.execute("SELECT f_table_name, styleQML FROM layer_styles "
                          "WHERE useAsDefault ORDER BY id").fetchall()
    return {str(t): str(q) for t, q in rows}
