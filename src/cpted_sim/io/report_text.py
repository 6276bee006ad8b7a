"""Text for people in the report: numbers with units, one-line and Markdown-escaped strings."""

from __future__ import annotations

import math
import re

__all__ = ["format_value", "one_line", "md_escape"]


def format_value(v, unit: str = "", label: str | None = None) -> str:
    """A metric value for people: 3 significant digits, thousands grouped, ``–`` for NaN."""
    if label:
        return str(label)
    if v is None:
        return "–"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "–"
    if abs(x) >= 1000:
        s = f"{x:,.0f}"
    elif x == int(x) and abs(x) < 1000:
        s = f"{int(x)}"
    else:
        s = f"{x:.3g}"
    unit = {"m2": "m²", "m3": "m³"}.get(unit, unit)
    return f"{s} {unit}" if unit not in ("", "1", "class") else s


#: Markdown punctuation that means something inside a line (``#``, ``-``, ``1.`` only at the
#: start of one, where our text never stands; ``<`` and ``&`` become HTML entities).
#: ``_`` between two letters or digits (``E_h``) is literal in CommonMark and stays as is.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def one_line(text) -> str:
    """``text`` on one line: newlines, tabs and other control characters become one space."""
    return _CONTROL.sub(" ", str(text)).strip()


def md_escape(text) -> str:
    """``text`` as literal Markdown on one line: ``<`` (``<script>``) and ``&`` as entities,
    Markdown's punctuation backslash-escaped, newlines and control characters as spaces."""
    t = one_line(text).replace("&", "&amp;").replace("<", "&lt;")  # no tag can start
    return _MD_SPECIAL.sub(r"\\\1", t)
