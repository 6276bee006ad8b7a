"""Photometric files the tests write themselves (IES LM-63 and EULUMDAT text builders)."""

from __future__ import annotations

import numpy as np


def wrap(values, per_line: int, fmt: str = "{:g}") -> list[str]:
    vals = [fmt.format(float(x)) for x in np.ravel(values)]
    if per_line <= 0:
        return [" ".join(vals)]
    return [" ".join(vals[k:k + per_line]) for k in range(0, len(vals), per_line)]


def ies_text(h, v, cd, *, ptype=1, lumens=-1, n_lamps=1, mult=1.0, ballast=1.0, bl_factor=1.0,
             units=2, dims=(0.5, 0.3, 0.0), header="IESNA:LM-63-2002", keywords=None,
             tilt="NONE", tilt_block=None, per_line=10, eol="\r\n", fmt="{:g}") -> str:
    """Text of an IES file; ``cd`` is (n_h, n_v) as the file lists it (per horizontal angle)."""
    h, v, cd = np.atleast_1d(h), np.atleast_1d(v), np.asarray(cd, dtype=float)
    lines = [] if header is None else [header]
    for key, val in (keywords or {"TEST": "cpted_sim test", "MANUFAC": "ACME"}).items():
        lines.append(f"[{key}] {val}")
    lines.append(f"TILT={tilt}")
    if tilt_block is not None:
        lines += tilt_block
    lines.append(f"{n_lamps:g} {lumens:g} {mult:g} {v.size} {h.size} {ptype} {units} "
                 f"{dims[0]:g} {dims[1]:g} {dims[2]:g}")
    lines.append(f"{ballast:g} {bl_factor:g} 50")
    lines += wrap(v, per_line)
    lines += wrap(h, per_line)
    for row in cd.reshape(h.size, v.size):
        lines += wrap(row, per_line, fmt)
    return eol.join(lines) + eol


def ldt_text(isym, c_angles, g_angles, stored, *, flux=1000.0, lor=80.0, conv=1.0,
             name="Test luminaire", decimal_comma=False, n_sets=1, dc=None, dg=None) -> str:
    """Text of a EULUMDAT file; ``stored`` is (planes stored for isym, n_g) in cd/klm."""
    c, g = np.asarray(c_angles, float), np.asarray(g_angles, float)
    stored = np.asarray(stored, float)

    def num(x):
        s = f"{float(x):g}"
        return s.replace(".", ",") if decimal_comma else s

    if dc is None:
        dc = c[1] - c[0] if c.size > 1 and np.allclose(np.diff(c), c[1] - c[0]) else 0
    if dg is None:
        dg = g[1] - g[0] if np.allclose(np.diff(g), g[1] - g[0]) else 0
    lines = ["ACME Lighting", "3", str(isym), str(c.size), num(dc), str(g.size), num(dg),
             "REP-1", name, "LUM-1", "test.ldt", "2026-01-01", "600", "200", "100", "500",
             "150", "0", "0", "0", "0", "100", num(lor), num(conv), "0", str(n_sets)]
    for s in range(n_sets):
        lines += ["1", f"LED module {s + 1}", num(flux * (s + 1)), "3000K", "1B", num(30 + s)]
    lines += [num(0.1 * k) for k in range(1, 11)]
    lines += [num(x) for x in c] + [num(x) for x in g]
    lines += [num(x) for x in stored.ravel()]
    return "\r\n".join(lines) + "\r\n"


def smooth_c_table(c, g, kind):
    """An analytic table with the symmetry ``kind`` (values in cd), shape (len(c), len(g))."""
    cr, gr = np.meshgrid(np.radians(c), np.radians(g), indexing="ij")
    base = 100.0 + 80.0 * np.cos(gr) ** 2
    if kind == "axial":
        f = base
    elif kind == "c0-c180":     # f(C) = f(360 - C)
        f = base * (1.0 + 0.5 * np.cos(cr) * np.sin(gr))
    elif kind == "both":        # f(C) = f(180 - C) = f(360 - C)
        f = base * (1.0 + 0.4 * np.cos(2 * cr) * np.sin(gr))
    elif kind == "c90-c270":    # f(C) = f(180 - C)
        f = base * (1.0 + 0.5 * np.sin(cr) * np.sin(gr))
    else:                       # no symmetry
        f = base * (1.0 + 0.3 * np.cos(cr - 0.7) * np.sin(gr) + 0.1 * np.sin(3 * cr))
    return np.round(f, 3)
