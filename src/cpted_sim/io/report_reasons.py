"""Why a metric reads "none", "0" or an extreme value, in a sentence (layer L6).

:func:`reasons` looks at each variant's fields behind the metric table: which points, how
many, where, and (for dark points) which group of the scene shadows them from their nearest
luminaire; :func:`edge_effects` finds concealment that appears only near the two ends of a
route (the walker never goes past the end: an edge effect, not a hiding place).
"""

from __future__ import annotations

import numpy as np

from ..errors import CptedError
from ..metrics.en13201 import P_CLASSES

__all__ = ["reasons", "edge_effects", "reasons_section", "SHADOW_SAMPLE", "EXTREME_U0",
           "UNLIT_LX"]

#: At most this many low points are traced to their nearest luminaire (seeded sample).
SHADOW_SAMPLE = 400
#: A uniformity U0 = E_min / E_avg below this is explained.
EXTREME_U0 = 0.1


def _weights(grid) -> np.ndarray:
    if getattr(grid, "areas", None) is not None:
        return np.asarray(grid.areas, dtype=np.float64)
    if grid.transform is not None:
        return np.full(grid.n_points, grid.transform[2] * grid.transform[3])
    return np.ones(grid.n_points)


#: Average illuminance [lx] below which an area counts as practically unlit.
UNLIT_LX = 0.05


def _n(x: float) -> str:
    if abs(x) < 0.005:
        return "0" if x == 0 else "~0"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _shadow_rays(result, pts: np.ndarray):
    """Rays from (a seeded sample of) ``pts`` to their nearest luminaire: starts, directions
    (to the luminaire), lengths; None without luminaires or points."""
    lums = result.luminaires
    if not lums or pts.shape[0] == 0:
        return None
    rng = np.random.default_rng(0)
    if pts.shape[0] > SHADOW_SAMPLE:
        pts = pts[np.sort(rng.choice(pts.shape[0], SHADOW_SAMPLE, replace=False))]
    lp = np.array([np.asarray(lum.position, dtype=np.float64) for lum in lums])
    start = pts + np.array([0.0, 0.0, 0.05])
    d = np.linalg.norm(start[:, None, :] - lp[None, :, :], axis=2)
    to = lp[np.argmin(d, axis=1)] - start
    return start, to, np.linalg.norm(to, axis=1)


def _shadow_text(result, dist: np.ndarray, hit: np.ndarray, face: np.ndarray) -> str:
    """Which group shadows the traced points from their nearest luminaire, in words."""
    blocked = np.isfinite(hit) & (face >= 0)
    n = dist.size
    if not blocked.any():
        far = _n(float(np.median(dist)))
        return (f"; none of them is shadowed from its nearest luminaire ({far} m away, median)"
                ": it lies too far, too low in their sky or behind their "
                "surface")
    scene = result.scene
    groups = [scene.groups[scene.face_group[f]] if scene.face_group[f] < len(scene.groups)
              else "?" for f in face[blocked]]
    names, counts = np.unique(np.array(groups), return_counts=True)
    order = np.argsort(-counts)
    top = (f"'{names[0]}'" if names.size == 1
           else ", ".join(f"'{names[i]}' ({counts[i]})" for i in order[:3]))
    of = f"{int(blocked.sum())} of {n}" + (" sampled" if n == SHADOW_SAMPLE else "")
    rest = n - int(blocked.sum())
    tail = (f"; the other {rest} see it unobstructed, so it lies too far, too low in their "
            "sky or behind their surface") if rest else ""
    return (f"; {of} lie in the shadow of {top} (the line to their nearest luminaire meets "
            f"it){tail}")


class _Shadows:
    """Shadow notes asked for while the reasons are written, traced together: one batch of
    rays per scene (a kernel call per note cost more than its rays), the notes filled in
    afterwards (:meth:`fill`)."""

    def __init__(self):
        self.asked: list = []  # (token, result, rays)

    def note(self, result, pts: np.ndarray) -> str:
        rays = _shadow_rays(result, pts)
        if rays is None:
            return ""
        token = f"\x00shadow{len(self.asked)}\x00"
        self.asked.append((token, result, rays))
        return token

    def _traced(self) -> dict:
        from ..geometry.query import closest_hit

        notes = {}
        by_scene: dict = {}
        for token, result, rays in self.asked:
            by_scene.setdefault(id(result.scene), []).append((token, result, rays))
        for items in by_scene.values():
            start = np.concatenate([r[0] for _, _, r in items])
            to = np.concatenate([r[1] for _, _, r in items])
            dist = np.concatenate([r[2] for _, _, r in items])
            try:
                hit, face = closest_hit(items[0][1].scene, start, to,
                                        max_distance=np.maximum(dist - 0.3, 0))
            except CptedError:
                notes.update({token: "" for token, _, _ in items})
                continue
            k = 0
            for token, result, rays in items:
                m = rays[2].size
                notes[token] = _shadow_text(result, rays[2], hit[k:k + m], face[k:k + m])
                k += m
        return notes

    def fill(self, found: list[dict]) -> list[dict]:
        """``found`` with every note's token replaced by the note."""
        if not self.asked:
            return found
        notes = self._traced()
        for item in found:
            for token, note in notes.items():
                if token in item["text"]:
                    item["text"] = item["text"].replace(token, note)
        return found


def _where(result, grid, mask: np.ndarray, w: np.ndarray, what: str, unit: str = "m²", *,
           shadows: _Shadows) -> str:
    """``"23 points (4.1 m²) below 0.4 lx around x = .., y = .. (12 x 3 m)"`` + shadows."""
    pts = np.asarray(grid.points, dtype=np.float64)[mask]
    if pts.shape[0] == 0:
        return f"no point {what}"
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    c = pts.mean(axis=0)
    text = (f"{pts.shape[0]} points ({_n(float(w[mask].sum()))} {unit}) {what}, around "
            f"x = {c[0]:.1f}, y = {c[1]:.1f} m (spread over {_n(hi[0] - lo[0])} x "
            f"{_n(hi[1] - lo[1])} m)")
    return text + shadows.note(result, pts)


def _light_reasons(result, aname, area, shadows: _Shadows) -> list[tuple[str, str]]:
    met = area.metrics
    e = area.fields.get("E_v" if area.kind == "facade" else "E_h")
    if e is None or "E_avg" not in met:
        return []
    v = np.asarray(e.values, dtype=np.float64)
    w = _weights(area.grid)
    unit = "m of route" if area.kind == "route" else "m²"
    avg, emin = float(met["E_avg"].value), float(met["E_min"].value)
    out = []
    if not avg > 0:
        return [("E_avg", f"no light reaches {aname}: the variant has "
                          f"{len(result.luminaires)} luminaires and none lights these points")]
    if avg < UNLIT_LX:
        return [("E_avg", f"practically no light reaches {aname} (average {avg:.2g} lx): "
                          + _where(result, area.grid, v < UNLIT_LX, w,
                                   f"below {UNLIT_LX:g} lx", unit, shadows=shadows))]
    cls = met.get("class_achieved")
    names = [c.name for c in P_CLASSES]
    target = next((c for c in P_CLASSES if c.name == getattr(area, "lighting_class", None)), None)
    by_avg = next((c for c in P_CLASSES if avg >= c.e_avg), None)
    label = None if cls is None else (cls.label or "none")
    below_target = (label in names and target is not None
                    and names.index(label) > names.index(target.name))
    explained = False
    if label == "none" and by_avg is None:
        out.append(("class_achieved", f"class none: the average {_n(avg)} lx is below even "
                                      f"P6's {P_CLASSES[-1].e_avg:g} lx"))
    elif label == "none" or (below_target and avg >= target.e_avg):
        need = P_CLASSES[-1] if label == "none" else target
        out.append(("class_achieved", f"class {label} at {_n(avg)} lx average (enough for "
                                      f"{by_avg.name}) because the minimum is {_n(emin)} lx, "
                                      f"below {need.name}'s {need.e_min:g} lx: "
                                      + _where(result, area.grid, v < need.e_min, w,
                                               f"below {need.e_min:g} lx", unit,
                                               shadows=shadows)))
        explained = True
    elif below_target:
        out.append(("class_achieved", f"class {label}, not the target {target.name}: the "
                                      f"average {_n(avg)} lx is below {target.name}'s "
                                      f"{target.e_avg:g} lx"))
    esc = area.fields.get("E_sc")
    if esc is not None and "E_sc_min" in met and met["E_sc_min"].value <= 0:
        sv = np.asarray(esc.values, dtype=np.float64)
        out.append(("E_sc_min", "a face gets no light from any side at "
                    + _where(result, area.grid, sv <= 0, w, "with E_sc 0", unit,
                             shadows=shadows)))
    u0 = emin / avg
    if not explained and (emin <= 0 or u0 < EXTREME_U0):
        t = EXTREME_U0 * avg
        out.append(("E_min", f"minimum {_n(emin)} lx against {_n(avg)} lx average "
                             f"(U0 {u0:.2f}): " + _where(result, area.grid, v < t, w,
                                                         f"below {_n(t)} lx", unit,
                                                         shadows=shadows)))
    return out


def _sight_reasons(result, aname, area) -> list[tuple[str, str]]:
    met, f = area.metrics, area.fields
    n_obs = int((result.settings or {}).get("n_observers", -1))
    out = []

    def is_(name, value):
        return name in met and np.isfinite(met[name].value) and abs(met[name].value - value) < 1e-9

    no_obs = "the variant has no observers" if n_obs == 0 else None
    if is_("dark_unseen_area", 0.0) or (is_("dark_unseen_pct", 0.0)
                                        and "dark_unseen_area" not in met):
        key = "dark_unseen_area" if "dark_unseen_area" in met else "dark_unseen_pct"
        dark = np.asarray(f["dark"].values) > 0.5 if "dark" in f else None
        unobs = np.asarray(f["unobserved"].values) > 0.5 if "unobserved" in f else None
        t = (f["dark"].provenance or {}).get("threshold") if "dark" in f else None
        if dark is not None and not dark.any():
            text = "no point is dark" + (f": every point gets at least {_n(float(t))} lx"
                                         if t is not None else "")
        elif unobs is not None and not unobs.any():
            text = "every point is in sight of at least one observer (by day)"
        else:
            text = (f"the {int(dark.sum()) if dark is not None else '?'} dark points all lie "
                    "in sight of an observer, and the unseen points are all lit")
        out.append((key, text))
    if is_("unobserved_pct", 100.0):
        out.append(("unobserved_pct", no_obs or f"none of the {n_obs} observers sees any point "
                                                "of this area (walls, hedges or their range)"))
    if is_("night_surveyed_pct", 0.0):
        if no_obs:
            text = no_obs
        else:
            esc = f.get("E_sc")
            peak = f"; E_sc reaches at most {_n(float(np.max(esc.values)))} lx" if esc else ""
            day = met.get("unobserved_pct")
            seen = f"observers see {_n(100 - day.value)} % of it by day, but " if day else ""
            text = (f"{seen}no point they see is lit enough to recognise a face at their "
                    f"distance (about 1 lx at 4 m, 3 lx at 10 m){peak}")
        out.append(("night_surveyed_pct", text))
    if is_("night_dark_unseen_area", 0.0) or (is_("night_dark_unseen_pct", 0.0)
                                              and "night_dark_unseen_area" not in met):
        key = "night_dark_unseen_area" if "night_dark_unseen_area" in met else \
            "night_dark_unseen_pct"
        out.append((key, "at every point a face is lit enough to be recognised close by, or "
                         "an observer recognises one"))
    if is_("longest_unobserved_m", 0.0):
        out.append(("longest_unobserved_m", "every point of the route is in sight of an "
                                            "observer"))
    if is_("dark_pct", 100.0):
        out.append(("dark_pct", "every point is below the dark threshold"
                                + (f" of {_n(float(f['dark'].provenance['threshold']))} lx"
                                   if "dark" in f and "threshold" in (f["dark"].provenance or {})
                                   else "")))
    return out


def edge_effects(comparison) -> list[dict]:
    """Concealment near the two ends of the routes, per variant and plan area.

    A spot counts as at an end when it lies within ``concealment_distance + 1`` m of a
    route's first or last point.

    Returns
    -------
    list of dict
        ``variant``, ``area``, ``total_m2`` (the ``concealment_area``), ``at_ends_m2``,
        ``elsewhere_m2``, ``only_at_ends`` (bool), ``routes`` (names) and ``text``.
    """
    out = []
    for r in (comparison.base, *comparison.variants):
        routes = {n: np.asarray(a.grid.points, dtype=np.float64)
                  for n, a in r.areas.items() if a.kind == "route" and a.grid.n_points}
        if not routes:
            continue
        th = (r.settings or {}).get("thresholds") or {}
        radius = float(th.get("concealment_distance", 5.0)) + 1.0
        ends = np.array([p[i, :2] for p in routes.values() for i in (0, -1)])
        for aname, area in r.areas.items():
            c = area.fields.get("concealment")
            if c is None:
                continue
            w = _weights(area.grid)
            spots = np.nan_to_num(np.asarray(c.values, dtype=np.float64)) > 0.5
            if not spots.any():
                continue
            xy = np.asarray(area.grid.points, dtype=np.float64)[:, :2]
            d = np.min(np.linalg.norm(xy[:, None, :] - ends[None, :, :], axis=2), axis=1)
            at = spots & (d <= radius)
            total, at_m2 = float(w[spots].sum()), float(w[at].sum())
            if at_m2 <= 0:
                continue
            only = bool(at.sum() == spots.sum())
            names = ", ".join(routes)
            if only:
                text = (f"all {_n(total)} m² of concealment lies within {radius:g} m of the ends "
                        f"of route {names}: an edge effect (nobody walks past the end of the "
                        "route), not a hiding place")
            else:
                text = (f"{_n(at_m2)} of the {_n(total)} m² of concealment lies within "
                        f"{radius:g} m of the ends of route {names} (an edge effect); the other "
                        f"{_n(total - at_m2)} m² lies along the route")
            out.append({"variant": r.variant, "area": aname, "total_m2": total,
                        "at_ends_m2": at_m2, "elsewhere_m2": total - at_m2,
                        "only_at_ends": only, "routes": list(routes), "text": text})
    return out


def reasons(comparison) -> list[dict]:
    """Every "none", "0" or extreme value of the metric table, explained.

    Returns
    -------
    list of dict
        ``variant``, ``area``, ``metric`` and ``text`` (one sentence), in table order; edge
        effects of concealment (:func:`edge_effects`) under ``concealment_area``.
    """
    out = []
    shadows = _Shadows()
    edges = {(e["variant"], e["area"]): e["text"] for e in edge_effects(comparison)}
    for r in (comparison.base, *comparison.variants):
        for aname, area in r.areas.items():
            for metric, text in (_light_reasons(r, aname, area, shadows)
                                 + _sight_reasons(r, aname, area)):
                out.append({"variant": r.variant, "area": aname, "metric": metric, "text": text})
            if (r.variant, aname) in edges:
                out.append({"variant": r.variant, "area": aname, "metric": "concealment_area",
                            "text": edges[(r.variant, aname)]})
    return shadows.fill(out)


def reasons_section(comparison, found=None):
    """The "Why these numbers" section (``found``: :func:`reasons`, computed when None)."""
    found = reasons(comparison) if found is None else found
    items = [f"{x['variant']} / {x['area']} / {x['metric']}: {x['text']}" for x in found]
    if not items:
        items = ["No metric reads none, 0 or an extreme value that needs explaining."]
    return ("reasons", "Why these numbers",
            [("p", "Metrics that read none, 0 or an extreme value, with the points behind "
                   "them (coordinates in the scene's system, metres)."), ("ul", items)])
