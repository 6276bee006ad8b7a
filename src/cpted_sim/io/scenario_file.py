"""Scenario files in TOML: read (with ``tomllib``) and validate (layer L6); writing is in
``scenario_writer``.

Every wrong key, type or value raises :class:`~cpted_sim.errors.ScenarioFileError` naming the
file, the key path (``luminaires[2].position``) and its line. Unknown keys are errors. Paths in
the file are relative to the file; the loaded :class:`~cpted_sim.scenario.model.Scenario`
holds absolute paths, and the writer makes them relative to where it writes. The key
reference is ``docs/scenario_files.md``.
"""

from __future__ import annotations

import math
import os
import warnings
import re
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .._files import MAX_MESH_BYTES, MAX_TEXT_BYTES, read_text_checked
from ..errors import CptedError, ScenarioDeprecationWarning, ScenarioFileError
from ..geometry.scene import Material
from ..photometry.ies import MAX_PHOTOMETRY_BYTES
from ..scenario import model as m
from ..scenario.provenance import with_source
from . import _scenario_city
from ._scenario_hours import apply_hours_keys, set_schedule_change, split_hours_keys
from ._scenario_terrain import apply_terrain_keys, split_terrain_keys
from ._scenario_paths import scenario_file_path
from ._toml import LineIndex
from .scenario_gis import expand_gis
from .scenario_writer import dumps_scenario, save_scenario

__all__ = ["load_scenario", "loads_scenario", "save_scenario", "dumps_scenario"]

TOP_KEYS = ("name", "description", "scene", "materials", "luminaires", "areas", "observers",
            "thresholds", "run", "variants")
SCENE_KEYS = ("mesh", "builtin", "params", "group", "origin", "epsg", "name")
MATERIAL_KEYS = ("reflectance", "light_transmittance", "sight_transmittance", "tags")
LUMINAIRE_KEYS = ("name", "photometry", "position", "azimuth", "tilt", "spin",
                  "maintenance_factor", "flux_scale")
AREA_KEYS = ("name", "kind", "class", "polygon", "path", "groups", "spacing", "height",
             "quantities", "facing", "dark_lx")
OBSERVER_KEYS = ("name", "kind", "tag", "groups", "points", "path", "weight", "fov",
                 "max_distance", "range", "spacing", "height")
THRESHOLD_KEYS = ("dark_lx", "min_surveillance", "night_lit_lx", "target_height",
                  "concealment_distance")
RUN_KEYS = ("threads", "engine", "max_distance", "quiet", "bounces", "max_memory_gb")
VARIANT_KEYS = ("name", "description", "changes")
GEOMETRY_KEYS = ("mesh", "builtin", "params", "group")
CHANGE_KEYS = {
    "add_luminaire": LUMINAIRE_KEYS,
    "move_luminaire": ("name", "position", "offset"),
    "aim_luminaire": ("name", "azimuth", "tilt", "spin"),
    "remove_luminaire": ("name",),
    "replace_photometry": ("name", "photometry"),
    "add_geometry": GEOMETRY_KEYS,
    "remove_geometry": ("groups",),
    "set_material": ("group",) + MATERIAL_KEYS,
    "add_observers": OBSERVER_KEYS,
    "remove_observers": ("name",),
    "set_schedule": ("schedule", "luminaires"),   # issue 18, io/_scenario_hours.py
}
LIGHTING_CLASS = re.compile(r"^P[1-6]$")
#: Largest scenario file read [bytes] (8 MiB; a scenario is a few kB).
MAX_SCENARIO_BYTES = 8 * 2**20


class _Reader:
    """Typed access to the parsed TOML, raising errors that name key and line."""

    def __init__(self, path: str | None, text: str, base_dir: Path,
                 allow_outside: bool = False):
        self.path = path
        self.text = text
        self._index: LineIndex | None = None
        self.base_dir = base_dir
        self.allow_outside = allow_outside

    @property
    def index(self) -> LineIndex:
        """The key -> line index, built when the first error needs it (a valid file never
        pays for the scan)."""
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index

    def error(self, key: str, message: str) -> ScenarioFileError:
        return ScenarioFileError(message, path=self.path, key=key, line=self.index.line_of(key))

    def table(self, value, key: str, allowed, required=()) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {_tname(value)}")
        for k in value:
            if k not in allowed:
                raise self.error(_join(key, k), f"unknown key {_short(k)}; allowed here: "
                                 f"{', '.join(allowed)}")
        for k in required:
            if k not in value:
                raise self.error(key, f"missing key {k!r}")
        return value

    def str(self, value, key: str, choices=None) -> str:
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {_tname(value)}")
        if choices is not None and value not in choices:
            raise self.error(key, f"expected one of {', '.join(choices)}, got {_short(value)}")
        return value

    def num(self, value, key: str, lo=None, hi=None, lo_open=False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"expected a number, got {_tname(value)}")
        try:
            x = float(value)
        except OverflowError:
            raise self.error(key, f"expected a number, got a whole number of {len(str(value))} "
                             "digits") from None
        if not math.isfinite(x):
            raise self.error(key, f"expected a finite number, got {x}")
        if lo is not None and (x < lo or (lo_open and x == lo)):
            raise self.error(key, f"expected a number {'>' if lo_open else '>='} {lo}, got {x}")
        if hi is not None and x > hi:
            raise self.error(key, f"expected a number <= {hi}, got {x}")
        return x

    def int(self, value, key: str, lo=None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {_tname(value)}")
        if lo is not None and value < lo:
            raise self.error(key, f"expected a whole number >= {lo}, got {value}")
        return int(value)

    def bool(self, value, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_tname(value)}")
        return value

    def vec(self, value, key: str, n: int) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != n:
            raise self.error(key, f"expected a list of {n} numbers, got {_short(value)}")
        return tuple(self.num(v, f"{key}[{i}]") for i, v in enumerate(value))

    def points(self, value, key: str, dim: int, min_n: int = 1) -> tuple:
        if not isinstance(value, list) or len(value) < min_n:
            raise self.error(key, f"expected a list of at least {min_n} points "
                             f"[[x, y{', z' if dim == 3 else ''}], ...], got {_short(value)}")
        return tuple(self.vec(p, f"{key}[{i}]", dim) for i, p in enumerate(value))

    def strs(self, value, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of strings, got {_tname(value)}")
        return tuple(self.str(v, f"{key}[{i}]") for i, v in enumerate(value))

    def file(self, value, key: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
        """A file key's resolved path, by the rule of :mod:`._scenario_paths`."""
        return scenario_file_path(self.str(value, key), self.base_dir, max_bytes=max_bytes,
                                  allow_outside=self.allow_outside,
                                  error=lambda msg: self.error(key, msg))

    def params(self, value, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table of parameters, got {_tname(value)}")
        return dict(value)


def _tname(v) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean",
            int: "a whole number", float: "a number"}.get(type(v), type(v).__name__)


def _short(v) -> str:
    s = repr(v)
    return s if len(s) < 60 else s[:57] + "..."


def _join(key: str, k) -> str:
    return f"{key}.{k}" if key else str(k)


# ---------------------------------------------------------------------------- reading
def _geometry(r: _Reader, d: dict, key: str) -> m.GeometrySpec:
    if ("mesh" in d) == ("builtin" in d):
        raise r.error(key, "give exactly one of 'mesh' (a file) and 'builtin' (a built-in scene)")
    if d.get("builtin") == "city_model":  # written as [scene] cityjson = [...], lod, crop
        raise r.error(_join(key, "builtin"), "a city model is given as cityjson = [\"...\"]")
    spec = dict(
        mesh=(r.file(d["mesh"], _join(key, "mesh"), MAX_MESH_BYTES) if "mesh" in d
              else None),
        builtin=(r.str(d["builtin"], _join(key, "builtin"), m.BUILTIN_SCENES)
                 if "builtin" in d else None),
        params=r.params(d.get("params", {}), _join(key, "params")),
        group=r.str(d["group"], _join(key, "group")) if "group" in d else None,
    )
    if spec["mesh"] is not None and spec["params"]:
        p = r.table(spec["params"], _join(key, "params"), ("group_by", "lod"))
        if "group_by" in p:
            r.str(p["group_by"], _join(key, "params.group_by"), ("material", "object"))
        lod = p.get("lod", "")
        if isinstance(lod, bool) or not isinstance(lod, (str, int, float)):
            raise r.error(_join(key, "params.lod"), f"expected a level of detail such as "
                          f"\"2.2\" or 2, got {_tname(p['lod'])}")
    if spec["builtin"] == "box":
        if spec["group"] is None:
            raise r.error(key, "a box needs a 'group' name")
        p = r.table(spec["params"], _join(key, "params"), ("min", "max"), ("min", "max"))
        lo = r.vec(p["min"], _join(key, "params.min"), 3)
        hi = r.vec(p["max"], _join(key, "params.max"), 3)
        if not all(b > a for a, b in zip(lo, hi)):
            raise r.error(_join(key, "params.max"), f"every max must exceed min: {lo} .. {hi}")
        spec["params"] = {"min": list(lo), "max": list(hi)}
    if spec["builtin"] == "quads":
        if spec["group"] is None:
            raise r.error(key, "quads need a 'group' name")
        p = r.table(spec["params"], _join(key, "params"), ("quads",), ("quads",))
        qk = _join(key, "params.quads")
        if not isinstance(p["quads"], list) or not p["quads"]:
            raise r.error(qk, "expected a list of quads [[p0, p1, p2, p3], ...], got "
                          f"{_short(p['quads'])}")
        quads = []
        for i, q in enumerate(p["quads"]):
            pts = r.points(q, f"{qk}[{i}]", 3, 4)
            if len(pts) != 4:
                raise r.error(f"{qk}[{i}]", f"a quad has 4 corners, got {len(pts)}")
            quads.append([list(c) for c in pts])
        spec["params"] = {"quads": quads}
    return m.GeometrySpec(**spec)


def _photometry(r: _Reader, v, key: str) -> m.PhotometrySpec:
    if isinstance(v, str):
        return m.PhotometrySpec(file=r.file(v, key, MAX_PHOTOMETRY_BYTES))
    d = r.params(v, key)
    if "builtin" not in d:
        raise r.error(key, "expected a file name or a table { builtin = \"...\", ... }")
    name = r.str(d.pop("builtin"), _join(key, "builtin"), m.BUILTIN_PHOTOMETRY)
    for k, val in d.items():
        r.num(val, _join(key, k), lo=0.0)
    return m.PhotometrySpec(builtin=name, params=d)


def _material(r: _Reader, d, key: str, partial: bool = False) -> dict:
    r.table(d, key, MATERIAL_KEYS + (("group",) if partial else ()))
    out: dict[str, Any] = {}
    for k in MATERIAL_KEYS[:3]:
        if k in d:
            out[k] = r.num(d[k], _join(key, k), lo=0.0, hi=1.0)
    if "tags" in d:
        out["tags"] = r.strs(d["tags"], _join(key, "tags"))
    return out


def _luminaire(r: _Reader, d, key: str) -> m.LuminaireSpec:
    r.table(d, key, LUMINAIRE_KEYS, ("name", "photometry", "position"))
    kw: dict[str, Any] = dict(
        name=r.str(d["name"], _join(key, "name")),
        photometry=_photometry(r, d["photometry"], _join(key, "photometry")),
        position=r.vec(d["position"], _join(key, "position"), 3),
    )
    for k in ("azimuth", "tilt", "spin"):
        if k in d:
            kw[k] = r.num(d[k], _join(key, k))
    if "maintenance_factor" in d:
        kw["maintenance_factor"] = r.num(d["maintenance_factor"], _join(key, "maintenance_factor"),
                                         lo=0.0, hi=1.0, lo_open=True)
    if "flux_scale" in d:
        kw["flux_scale"] = r.num(d["flux_scale"], _join(key, "flux_scale"), lo=0.0)
    return m.LuminaireSpec(**kw)


def _area(r: _Reader, d, key: str) -> m.AreaSpec:
    r.table(d, key, AREA_KEYS, ("name", "kind"))
    kind = r.str(d["kind"], _join(key, "kind"), m.AREA_KINDS)
    kw: dict[str, Any] = dict(name=r.str(d["name"], _join(key, "name")), kind=kind)
    if "class" in d:
        c = r.str(d["class"], _join(key, "class"))
        if not LIGHTING_CLASS.match(c):
            raise r.error(_join(key, "class"),
                          f"expected an EN 13201-2 P class P1..P6, got {_short(c)}")
        kw["lighting_class"] = c
    need = {"en13201": ("polygon", "class"), "grid": ("polygon",), "route": ("path",),
            "facade": ("groups",)}[kind]
    for k in need:
        if k not in d:
            raise r.error(key, f"a {kind} area needs the key {k!r}")
    if "polygon" in d:
        kw["polygon"] = r.points(d["polygon"], _join(key, "polygon"), 2, 3)
    if "path" in d:
        kw["path"] = r.points(d["path"], _join(key, "path"), 2, 2)
    if "groups" in d:
        kw["groups"] = r.strs(d["groups"], _join(key, "groups"))
    if "spacing" in d:
        kw["spacing"] = r.num(d["spacing"], _join(key, "spacing"), lo=0.0, lo_open=True)
    if "height" in d:
        kw["height"] = r.num(d["height"], _join(key, "height"))
    if "quantities" in d:
        qs = r.strs(d["quantities"], _join(key, "quantities"))
        for i, q in enumerate(qs):
            r.str(q, _join(key, f"quantities[{i}]"), m.QUANTITIES)
        kw["quantities"] = qs
    if "facing" in d:
        f = r.vec(d["facing"], _join(key, "facing"), 2)
        if f == (0.0, 0.0):
            raise r.error(_join(key, "facing"), "expected a non-zero direction [dx, dy]")
        kw["facing"] = f
    if "dark_lx" in d:
        kw["dark_lx"] = r.num(d["dark_lx"], _join(key, "dark_lx"), lo=0.0)
    return m.AreaSpec(**kw)


def _observers(r: _Reader, d, key: str) -> m.ObserverSpec:
    if isinstance(d, dict) and ("semantic" in d or "generate" in d):  # city-model windows
        return _scenario_city.observer_spec(r, d, key)
    r.table(d, key, OBSERVER_KEYS, ("name",))
    kw: dict[str, Any] = dict(name=r.str(d["name"], _join(key, "name")))
    if "kind" in d:
        kw["kind"] = r.str(d["kind"], _join(key, "kind"), m.OBSERVER_KINDS)
    sources = [k for k in ("tag", "groups", "points", "path") if k in d]
    if len(sources) != 1:
        raise r.error(key, "give exactly one of 'tag', 'groups', 'points' and 'path'"
                      + (f" (found {', '.join(sources)})" if sources else ""))
    if "tag" in d:
        kw["tag"] = r.str(d["tag"], _join(key, "tag"))
    if "groups" in d:
        kw["groups"] = r.strs(d["groups"], _join(key, "groups"))
    if "points" in d:
        kw["points"] = r.points(d["points"], _join(key, "points"), 3)
    if "path" in d:
        kw["path"] = r.points(d["path"], _join(key, "path"), 2, 2)
    kw.update(_scenario_city.observer_view(r, d, key))
    if "spacing" in d:
        kw["spacing"] = r.num(d["spacing"], _join(key, "spacing"), lo=0.0, lo_open=True)
    if "height" in d:
        kw["height"] = r.num(d["height"], _join(key, "height"), lo=0.0)
    return m.ObserverSpec(**kw)


def _change(r: _Reader, d, key: str):
    if not isinstance(d, dict):
        raise r.error(key, f"expected a table, got {_tname(d)}")
    if "op" not in d:
        raise r.error(key, f"missing key 'op' (one of {', '.join(CHANGE_KEYS)})")
    op = r.str(d["op"], _join(key, "op"), tuple(CHANGE_KEYS))
    body = {k: v for k, v in d.items() if k != "op"}
    r.table(body, key, CHANGE_KEYS[op])
    if op == "add_luminaire":
        return m.AddLuminaire(_luminaire(r, body, key))
    if op == "add_geometry":
        return m.AddGeometry(_geometry(r, body, key))
    if op == "add_observers":
        return m.AddObservers(_observers(r, body, key))
    if op == "remove_geometry":
        if "groups" not in body:
            raise r.error(key, "missing key 'groups'")
        return m.RemoveGeometry(r.strs(body["groups"], _join(key, "groups")))
    if op == "set_schedule":
        return set_schedule_change(r, body, key)
    if op == "set_material":
        if "group" not in body:
            raise r.error(key, "missing key 'group'")
        group = r.str(body["group"], _join(key, "group"))
        return m.SetMaterial(group, **_material(r, body, key, True))
    if "name" not in body:
        raise r.error(key, "missing key 'name' (the luminaire or observer set)")
    name = r.str(body["name"], _join(key, "name"))
    if op == "move_luminaire":
        if ("position" in body) == ("offset" in body):
            raise r.error(key, "give exactly one of 'position' and 'offset'")
        k = "position" if "position" in body else "offset"
        return m.MoveLuminaire(name, **{k: r.vec(body[k], _join(key, k), 3)})
    if op == "aim_luminaire":
        kw = {k: r.num(body[k], _join(key, k)) for k in ("azimuth", "tilt", "spin") if k in body}
        if not kw:
            raise r.error(key, "aim_luminaire needs at least one of azimuth, tilt, spin")
        return m.AimLuminaire(name, **kw)
    if op == "replace_photometry":
        if "photometry" not in body:
            raise r.error(key, "missing key 'photometry'")
        phot = _photometry(r, body["photometry"], _join(key, "photometry"))
        return m.ReplacePhotometry(name, phot)
    if op == "remove_luminaire":
        return m.RemoveLuminaire(name)
    return m.RemoveObservers(name)


def _array(r: _Reader, data: dict, key: str) -> list:
    v = data.get(key, [])
    if not isinstance(v, list):
        raise r.error(key, f"expected an array of tables [[{key}]], got {_tname(v)}")
    return v


def _scenario(r: _Reader, data: dict) -> m.Scenario:
    data = expand_gis(r, data)  # GIS sources, [[lamp_registers]], [[pole_rows]]
    data, terrain = split_terrain_keys(r, data)
    data, hours = split_hours_keys(r, data)  # issue 18: schedules, presence, obtrusive, power
    r.table(data, "", TOP_KEYS, ("scene",))
    sd = r.table(data["scene"], "scene", SCENE_KEYS + _scenario_city.SCENE_KEYS)
    geometry = (_scenario_city.scene_geometry(r, sd)
                or _geometry(r, {k: v for k, v in sd.items() if k in GEOMETRY_KEYS}, "scene"))
    scene = m.SceneSpec(
        geometry=geometry,
        origin=r.vec(sd["origin"], "scene.origin", 3) if "origin" in sd else None,
        epsg=r.int(sd["epsg"], "scene.epsg", lo=1) if "epsg" in sd else None,
        name=r.str(sd["name"], "scene.name") if "name" in sd else None,
    )
    mats = {}
    mat_table = data.get("materials", {})
    for g, md in r.table(mat_table, "materials", tuple(mat_table)).items():
        mats[g] = Material(**_material(r, md, f"materials.{g}"))
    th = r.table(data.get("thresholds", {}), "thresholds", THRESHOLD_KEYS)
    thresholds = m.Thresholds(**{
        k: r.num(v, f"thresholds.{k}", lo=0.0) for k, v in th.items()})
    rd = r.table(data.get("run", {}), "run", RUN_KEYS)
    run_kw: dict[str, Any] = {}
    if "threads" in rd:
        run_kw["threads"] = r.int(rd["threads"], "run.threads", lo=1)
    if "engine" in rd:   # deprecated: the kernels run on "numba" only (issue 15)
        r.str(rd["engine"], "run.engine", ("numba",))
        line = r.index.line_of("run.engine")
        warnings.warn(f"{r.path}{f' line {line}' if line else ''}: run.engine is deprecated and "
                      "will be removed in the next release (the kernels always run on "
                      "'numba'); leave it out", ScenarioDeprecationWarning, stacklevel=3)
    if "max_distance" in rd:
        run_kw["max_distance"] = r.num(rd["max_distance"], "run.max_distance", lo=0.0, lo_open=True)
    if "quiet" in rd:
        run_kw["quiet"] = r.bool(rd["quiet"], "run.quiet")
    if "max_memory_gb" in rd:  # issue 11: memory limit, checked before computing
        run_kw["max_memory_gb"] = r.num(rd["max_memory_gb"], "run.max_memory_gb", lo=0.0,
                                        lo_open=True)
    if "bounces" in rd:
        b = rd["bounces"]
        run_kw["bounces"] = (r.str(b, "run.bounces", ("converged",)) if isinstance(b, str)
                             else r.int(b, "run.bounces", lo=0))
    variants = []
    for i, vd in enumerate(_array(r, data, "variants")):
        key = f"variants[{i}]"
        r.table(vd, key, VARIANT_KEYS, ("name",))
        changes = [_change(r, cd, f"{key}.changes[{j}]")
                   for j, cd in enumerate(_array(r, vd, "changes"))]
        vname = r.str(vd["name"], f"{key}.name")
        if vname == "base":
            raise r.error(f"{key}.name", "the name 'base' is reserved for the unchanged scenario")
        variants.append(m.Variant(vname, tuple(changes),
                                  r.str(vd.get("description", ""), f"{key}.description")))
    luminaires = [_luminaire(r, d, f"luminaires[{i}]")
                  for i, d in enumerate(_array(r, data, "luminaires"))]
    areas = [_area(r, d, f"areas[{i}]") for i, d in enumerate(_array(r, data, "areas"))]
    observers = [_observers(r, d, f"observers[{i}]")
                 for i, d in enumerate(_array(r, data, "observers"))]
    for what, items in (("luminaires", luminaires), ("areas", areas), ("observers", observers),
                        ("variants", variants)):
        seen: dict[str, int] = {}
        for i, it in enumerate(items):
            if it.name in seen:
                raise r.error(f"{what}[{i}].name", f"the name {_short(it.name)} is used twice "
                              f"(also by {what}[{seen[it.name]}])")
            seen[it.name] = i
    return apply_hours_keys(r, hours, apply_terrain_keys(terrain, m.Scenario(
        name=r.str(data.get("name", "scenario"), "name"),
        description=r.str(data.get("description", ""), "description"),
        scene=scene, materials=mats, luminaires=tuple(luminaires), areas=tuple(areas),
        observers=tuple(observers), thresholds=thresholds, settings=m.RunSettings(**run_kw),
        variants=tuple(variants))))


def loads_scenario(text: str, path=None, base_dir=None, *, load_assets: bool = True,
                   allow_outside_files: bool = False) -> m.Scenario:
    """A scenario from TOML text.

    Parameters
    ----------
    text : str
        The TOML source.
    path : str or path-like, optional
        The file it came from (for messages; relative paths are resolved beside it).
    base_dir : str or path-like, optional
        Directory for relative paths when ``path`` is not given (default: the working
        directory).
    load_assets : bool
        Load the mesh files now (default); their errors then name the key and line.
    allow_outside_files : bool
        Accept mesh and photometric files outside ``base_dir`` (the scenario file's folder).
        Off by default, so a scenario file from elsewhere cannot make the library read
        ``../../home/...`` or ``/proc/...``.

    Raises
    ------
    ScenarioFileError
        Invalid or too deeply nested TOML, an unknown key, a wrong type or value, a missing
        file, a file that is not a regular file, too large, or outside the folder.
    """
    spath = None if path is None else str(path)
    if base_dir is None:
        base_dir = Path(path).resolve().parent if path is not None else Path.cwd()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        mline = re.search(r"line (\d+)", str(exc))
        raise ScenarioFileError(f"invalid TOML: {str(exc).split(' (at line')[0]}", path=spath,
                                line=int(mline.group(1)) if mline else None) from None
    except RecursionError:
        raise ScenarioFileError("invalid TOML: arrays or tables nested too deeply",
                                path=spath) from None
    except ValueError as exc:  # Python refuses whole numbers of more than 4300 digits
        reason = ("a whole number has more digits than can be read" if "digits" in str(exc)
                  else str(exc)[:120])
        raise ScenarioFileError(f"invalid TOML: {reason}", path=spath) from None
    r = _Reader(spath, text, Path(base_dir), allow_outside_files)
    try:
        sc = _scenario(r, data)
    except ScenarioFileError:
        raise
    except CptedError as exc:  # a model check the reader did not anticipate
        raise ScenarioFileError(str(exc), path=spath) from None
    except RecursionError:
        raise ScenarioFileError("values nested too deeply", path=spath) from None
    if load_assets:
        sc = _load_assets(sc, r)
    return with_source(sc, spath, text)


def load_scenario(path, *, allow_outside_files: bool = False) -> m.Scenario:
    """Read and validate a scenario file (TOML); see ``docs/scenario_files.md``.

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file. Mesh and photometric files named in it are relative to it.
    allow_outside_files : bool
        Accept mesh and photometric files outside the scenario file's folder (default: refused;
        CLI ``--allow-outside-files``).

    Returns
    -------
    Scenario
        The base scenario; its ``variants`` hold the variants of the file.

    Raises
    ------
    ScenarioFileError
        The file is missing or unreadable, or a key, type or value is wrong (the message names
        the key path and line).
    """
    def refuse(message: str) -> ScenarioFileError:
        if "not utf-8 text" in message:
            return ScenarioFileError("the scenario file is not UTF-8 text", path=str(path))
        return ScenarioFileError(f"cannot read the scenario file: {message}", path=str(path))

    text = read_text_checked(path, what="scenario file", error=refuse,
                             max_bytes=MAX_SCENARIO_BYTES)
    return loads_scenario(text, path=Path(path), allow_outside_files=allow_outside_files)


def _load_assets(sc: m.Scenario, r: _Reader) -> m.Scenario:
    """Load every mesh and photometric file the scenario and its variants name."""
    wanted: list[tuple[str, object, str]] = []   # (kind, spec or path, key)
    if sc.scene.geometry.mesh:
        wanted.append(("mesh", sc.scene.geometry, "scene.mesh"))
    for i, lum in enumerate(sc.luminaires):
        if lum.photometry.file:
            wanted.append(("photometry", lum.photometry.file, f"luminaires[{i}].photometry"))
    for i, v in enumerate(sc.variants):
        for j, ch in enumerate(v.changes):
            key = f"variants[{i}].changes[{j}]"
            if isinstance(ch, m.AddGeometry) and ch.geometry.mesh:
                wanted.append(("mesh", ch.geometry, key + ".mesh"))
            phot = getattr(ch, "photometry", None)
            if isinstance(ch, m.AddLuminaire):
                phot = ch.luminaire.photometry
            if phot is not None and phot.file:
                wanted.append(("photometry", phot.file, key + ".photometry"))
    assets = dict(sc.assets)
    for kind, what, key in wanted:
        fpath = what.mesh if kind == "mesh" else what
        akey = what.asset_key if kind == "mesh" else what
        if akey in assets:
            continue
        try:
            if kind == "mesh":
                from .mesh import load_scene

                assets[akey] = load_scene(fpath, **what.params)
            else:
                from ..photometry import load_photometry

                assets[akey] = load_photometry(fpath)
        except CptedError as exc:
            raise r.error(key, f"cannot load {os.path.basename(fpath)}: {exc}") from None
    assets.update(_scenario_city.load_city_assets(sc, r, assets))
    return m.Scenario(**{**m.spec_fields(sc), "assets": assets})
