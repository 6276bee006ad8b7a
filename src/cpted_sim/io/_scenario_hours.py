"""Scenario-file keys of the hours of the night (issue #18, layer L6).

``[[schedules]]``, ``[hours]``, ``[obtrusive]``, the luminaire keys ``schedule`` and
``power`` and the observer key ``presence``. :func:`split_hours_keys` takes them out of the
parsed TOML before the main reader sees it (its tables stay strict) and checks them;
:func:`apply_hours_keys` puts a :class:`~cpted_sim.scenario.schedule.HoursSpec` on the
scenario. Documented in ``docs/scenario_files.md`` ("The hours of the night").
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import CptedError
from ..lighting.hours import Schedule, Sensor, parse_hour
from ..metrics.obtrusive import OBTRUSIVE_PRESETS, ObtrusiveLimits
from ..scenario.schedule import FULL_OUTPUT, PRESENCE_PRESETS, HoursSpec
from ._scenario_walk import walk_changes, walk_items

__all__ = ["split_hours_keys", "apply_hours_keys", "add_hours_keys", "set_schedule_change"]


def set_schedule_change(r, body: dict, key: str):
    """The ``set_schedule`` change of a variant (checked against the schedules later)."""
    from ..scenario.changes import SetSchedule

    if "schedule" not in body:
        raise r.error(key, "missing key 'schedule' (a [[schedules]] name, or 'always')")
    lums = r.strs(body["luminaires"], f"{key}.luminaires") if "luminaires" in body else ()
    return SetSchedule(r.str(body["schedule"], f"{key}.schedule"), lums)

TOP_KEYS = ("schedules", "hours", "obtrusive")
SCHEDULE_KEYS = ("name", "periods", "default", "luminaires", "all")
HOURS_KEYS = ("start", "end", "step", "at", "nights_per_year")
OBTRUSIVE_KEYS = ("zone", "E_v_pre", "E_v_post", "I_pre", "I_post", "curfew", "curfew_end")
SENSOR_KEYS = ("base", "raised", "probability")


def _hour(r, value, key: str) -> float:
    try:
        return parse_hour(value, key)
    except CptedError as exc:
        raise r.error(key, str(exc).split(": ", 1)[-1]) from None


def _level(r, value, key: str):
    if isinstance(value, dict):
        d = r.table(value, key, SENSOR_KEYS, SENSOR_KEYS)
        return Sensor(r.num(d["base"], f"{key}.base", lo=0.0),
                      r.num(d["raised"], f"{key}.raised", lo=0.0),
                      r.num(d["probability"], f"{key}.probability", lo=0.0, hi=1.0))
    return r.num(value, key, lo=0.0)


def _schedule(r, d, key: str) -> tuple[Schedule, tuple, bool]:
    r.table(d, key, SCHEDULE_KEYS, ("name", "periods"))
    name = r.str(d["name"], f"{key}.name")
    periods = d["periods"]
    if not isinstance(periods, list):
        raise r.error(f"{key}.periods", "expected a list of [start, end, level] periods")
    out = []
    for i, p in enumerate(periods):
        pk = f"{key}.periods[{i}]"
        if not isinstance(p, list) or len(p) != 3:
            raise r.error(pk, 'expected [start, end, level], e.g. ["23:00", "06:00", 0.5]')
        out.append((_hour(r, p[0], pk), _hour(r, p[1], pk), _level(r, p[2], pk)))
    default = r.num(d["default"], f"{key}.default", lo=0.0) if "default" in d else 1.0
    try:
        sched = Schedule(tuple(out), default, name=name)
    except CptedError as exc:
        raise r.error(f"{key}.periods", str(exc)) from None
    lums = r.strs(d["luminaires"], f"{key}.luminaires") if "luminaires" in d else ()
    every = r.bool(d["all"], f"{key}.all") if "all" in d else False
    return sched, lums, every


def _presence(r, value, key: str) -> tuple:
    if isinstance(value, str):
        return tuple(PRESENCE_PRESETS[r.str(value, key, tuple(PRESENCE_PRESETS))])
    if not isinstance(value, list) or len(value) != 24:
        raise r.error(key, "expected 'residents', 'always' or 24 hourly weights (index 0 = "
                      "00:00-01:00)")
    return tuple(r.num(v, f"{key}[{i}]", lo=0.0) for i, v in enumerate(value))


def _obtrusive(r, d) -> ObtrusiveLimits:
    d = r.table(d, "obtrusive", OBTRUSIVE_KEYS)
    kw = {}
    for k in ("E_v_pre", "E_v_post", "I_pre", "I_post"):
        if k in d:
            kw[k] = r.num(d[k], f"obtrusive.{k}", lo=0.0)
    for k in ("curfew", "curfew_end"):
        if k in d:
            kw[k] = _hour(r, d[k], f"obtrusive.{k}")
    if "zone" in d:
        base = OBTRUSIVE_PRESETS[r.str(d["zone"], "obtrusive.zone", tuple(OBTRUSIVE_PRESETS))]
        return replace(base, **kw) if kw else base
    if "E_v_pre" not in kw or "E_v_post" not in kw:
        raise r.error("obtrusive", "give 'zone' (a preset: "
                      f"{', '.join(OBTRUSIVE_PRESETS)}) or your own 'E_v_pre' and 'E_v_post' [lx]")
    return ObtrusiveLimits("user", **kw)


def _pop_items(r, data: dict, what: str, keys, out: dict) -> dict:
    def visit(i, d):
        for k in keys:
            if k in d:
                out.setdefault(k, []).append((i, d.get("name"), d.pop(k)))
    return walk_items(data, what, visit)


def split_hours_keys(r, data: dict) -> tuple[dict, dict | None]:
    """``(data without the hours keys, the checked keys or None when there are none)``."""
    found: dict = {}
    data = _pop_items(r, data, "luminaires", ("schedule", "power"), found.setdefault("lum", {}))
    data = _pop_items(r, data, "observers", ("presence",), found.setdefault("obs", {}))

    def visit_change(i, j, c):
        for k in ("schedule", "power"):
            if k in c:
                found["lum"].setdefault(k, []).append(
                    (f"variants[{i}].changes[{j}]", c.get("name"), c.pop(k)))
    data = walk_changes(data, ("add_luminaire",), visit_change)
    top = {k: data[k] for k in TOP_KEYS if k in data}
    data = {k: v for k, v in data.items() if k not in TOP_KEYS}
    if not top and not found["lum"] and not found["obs"]:
        return data, None
    return data, _check(r, top, found)


def _item_key(where, what: str, k: str) -> str:
    return f"{where}.{k}" if isinstance(where, str) else f"{what}[{where}].{k}"


def _check(r, top: dict, found: dict) -> dict:
    spec: dict = {"schedules": {}, "luminaire_schedules": {}, "power": {}, "presence": {}}
    groups: list = []
    sched_list = top.get("schedules", [])
    if not isinstance(sched_list, list):
        raise r.error("schedules", "expected an array of tables [[schedules]]")
    for i, d in enumerate(sched_list):
        key = f"schedules[{i}]"
        sched, lums, every = _schedule(r, d, key)
        if sched.name == FULL_OUTPUT:
            raise r.error(f"{key}.name", f"the name {FULL_OUTPUT!r} is reserved for full "
                          "output all night")
        if sched.name in spec["schedules"]:
            raise r.error(f"{key}.name", f"the schedule name {sched.name!r} is used twice")
        spec["schedules"][sched.name] = sched
        if every:
            if spec.get("default_schedule"):
                raise r.error(f"{key}.all", "only one schedule can be for all luminaires "
                              f"(also {spec['default_schedule']!r})")
            spec["default_schedule"] = sched.name
        groups += [(f"{key}.luminaires", name, sched.name) for name in lums]
    # an item whose name is not a string: its value is checked here, the main reader then
    # reports the name
    for where, name, value in found["lum"].get("schedule", []):
        key = _item_key(where, "luminaires", "schedule")
        sched = r.str(value, key, tuple(spec["schedules"]) + (FULL_OUTPUT,))
        if isinstance(name, str):
            groups.append((key, name, sched))
    for where, name, value in found["lum"].get("power", []):
        power = r.num(value, _item_key(where, "luminaires", "power"), lo=0.0)
        if isinstance(name, str):
            spec["power"][name] = power
    for where, name, value in found["obs"].get("presence", []):
        table = _presence(r, value, _item_key(where, "observers", "presence"))
        if isinstance(name, str):
            spec["presence"][name] = table
    for key, name, sched in groups:
        if sched not in spec["schedules"] and sched != FULL_OUTPUT:
            raise r.error(key, f"no [[schedules]] is named {sched!r}")
        if spec["luminaire_schedules"].get(name, sched) != sched:
            raise r.error(key, f"luminaire {name!r} is given two schedules "
                          f"({spec['luminaire_schedules'][name]!r} and {sched!r})")
        spec["luminaire_schedules"][name] = sched
    if "hours" in top:
        h = r.table(top["hours"], "hours", HOURS_KEYS)
        for k in ("start", "end", "at"):
            if k in h:
                spec[k] = _hour(r, h[k], f"hours.{k}")
        if "step" in h:
            spec["step"] = r.num(h["step"], "hours.step", lo=0.0, lo_open=True, hi=24.0)
        if "nights_per_year" in h:
            spec["nights_per_year"] = r.num(h["nights_per_year"], "hours.nights_per_year",
                                            lo=0.0, hi=366.0)
    if "obtrusive" in top:
        spec["obtrusive"] = _obtrusive(r, top["obtrusive"])
    spec["_groups"] = groups
    return spec


def _check_changes(r, sc) -> None:
    schedules = set(sc.hours.schedules) if sc.hours is not None else set()
    for i, v in enumerate(sc.variants):
        for j, c in enumerate(v.changes):
            if getattr(c, "op", None) == "set_schedule" and c.schedule != FULL_OUTPUT \
                    and c.schedule not in schedules:
                raise r.error(f"variants[{i}].changes[{j}].schedule",
                              f"no [[schedules]] is named {c.schedule!r} (or use "
                              f"{FULL_OUTPUT!r})")


def apply_hours_keys(r, keys: dict | None, sc):
    """The scenario with a :class:`HoursSpec` from :func:`split_hours_keys`' keys."""
    if keys is None:
        _check_changes(r, sc)
        return sc
    names = {x.name for x in sc.luminaires} | {
        c.luminaire.name for v in sc.variants for c in v.changes
        if getattr(c, "op", None) == "add_luminaire"}
    for key, name, _ in keys["_groups"]:
        if name not in names:
            raise r.error(key, f"no luminaire is named {name!r}")
    for name in keys["power"]:
        if name not in names:
            raise r.error("luminaires", f"power for unknown luminaire {name!r}")
    observers = {o.name for o in sc.observers}
    for name in keys["presence"]:
        if name not in observers:
            raise r.error("observers", f"presence for unknown observers {name!r}")
    spec = HoursSpec(**{k: v for k, v in keys.items() if not k.startswith("_")})
    sc = replace(sc, hours=spec)
    _check_changes(r, sc)
    return sc


def _level_out(level):
    if isinstance(level, Sensor):
        return {"base": level.base, "raised": level.raised, "probability": level.probability}
    return level


def add_hours_keys(data: dict, sc) -> tuple[dict, tuple[str, ...]]:
    """``data`` (the writer's dict) with the hours keys of ``sc``, and the extra sections."""
    spec = sc.hours
    if spec is None:
        return data, ()
    from ..lighting.hours import format_hour

    def lum(d):
        name = d["name"]
        if name in spec.luminaire_schedules:
            d["schedule"] = spec.luminaire_schedules[name]
        if name in spec.power:
            d["power"] = spec.power[name]
        return d

    data = dict(data)
    data["luminaires"] = [lum(dict(d)) for d in data.get("luminaires") or []] or None
    data["observers"] = [
        {**d, "presence": list(spec.presence[d["name"]])} if d["name"] in spec.presence else d
        for d in data.get("observers") or []] or None
    for v in data.get("variants") or []:
        if v.get("changes"):
            v["changes"] = [lum(dict(c)) if c.get("op") == "add_luminaire" else c
                            for c in v["changes"]]
    data["schedules"] = [
        {"name": name, "all": True if name == spec.default_schedule else None,
         "default": s.default if s.default != 1.0 else None,
         "periods": [[format_hour(a), format_hour(b), _level_out(lv)] for a, b, lv in s.periods]}
        for name, s in spec.schedules.items()] or None
    data["hours"] = {"start": format_hour(spec.start), "end": format_hour(spec.end),
                     "step": spec.step, "at": None if spec.at is None else format_hour(spec.at),
                     "nights_per_year": spec.nights_per_year}
    extra = ("hours",)
    lim = spec.obtrusive
    if lim is not None:
        if OBTRUSIVE_PRESETS.get(lim.name) == lim:
            data["obtrusive"] = {"zone": lim.name}
        else:
            data["obtrusive"] = {"zone": lim.name if lim.name in OBTRUSIVE_PRESETS else None,
                                 "E_v_pre": lim.E_v_pre, "E_v_post": lim.E_v_post,
                                 "I_pre": lim.I_pre, "I_post": lim.I_post,
                                 "curfew": format_hour(lim.curfew),
                                 "curfew_end": format_hour(lim.curfew_end)}
        extra += ("obtrusive",)
    return data, extra
