"""Walks over a parsed scenario's item tables and variant changes for the key hooks (layer L6).

The hooks that take their keys out of the parsed TOML before the main reader sees it
(``_scenario_terrain``, ``_scenario_hours``) copy the lists they edit, so the caller's data is
left as it was; these two walkers do the copying and hand each table to a visitor.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["walk_items", "walk_changes"]


def walk_items(data: dict, what: str, visit: Callable[[int, dict], None]) -> dict:
    """``data`` with its list ``what`` copied (each table a shallow copy), ``visit(i, table)``
    called on every table of it, in order; ``data`` itself when ``what`` is not a list."""
    items = data.get(what)
    if not isinstance(items, list):
        return data
    items = [dict(d) if isinstance(d, dict) else d for d in items]
    for i, d in enumerate(items):
        if isinstance(d, dict):
            visit(i, d)
    return {**data, what: items}


def walk_changes(data: dict, ops: tuple[str, ...],
                 visit: Callable[[int, int, dict], None]) -> dict:
    """``data`` with ``variants`` and their ``changes`` copied, ``visit(i, j, change)`` called
    on every change table j of variant i whose ``op`` is one of ``ops``."""
    variants = data.get("variants")
    if not isinstance(variants, list):
        return data
    variants = [dict(v) if isinstance(v, dict) else v for v in variants]
    for i, v in enumerate(variants):
        if isinstance(v, dict) and isinstance(v.get("changes"), list):
            v["changes"] = [dict(c) if isinstance(c, dict) else c for c in v["changes"]]
            for j, c in enumerate(v["changes"]):
                if isinstance(c, dict) and c.get("op") in ops:
                    visit(i, j, c)
    return {**data, "variants": variants}
