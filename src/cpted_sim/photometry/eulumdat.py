"""EULUMDAT (.ldt) photometric files: reader with symmetry expansion.

EULUMDAT stores intensities in cd/klm of the first lamp set's total lamp flux, for the C
half-planes its symmetry indicator (Isym) requires:

====  ==========================  ==================  =====================
Isym  symmetry                    stored planes       mirror
====  ==========================  ==================  =====================
0     none                        all Mc              -
1     about the vertical axis     1                   every C
2     to plane C0-C180            C0 .. C180          C -> 360 - C
3     to plane C90-C270           C90 .. C270         C -> 180 - C
4     to C0-C180 and C90-C270     C0 .. C90           both
====  ==========================  ==================  =====================

The frame is already type C (gamma = 0 down, C counter-clockwise seen from above), the frame
of docs/architecture.md §4.

References
----------
A. Stockmar, "EULUMDAT/2 - extended version of a well established luminaire data format",
CIBSE National Lighting Conference 1998.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import PhotometryFormatError
from .distribution import IntensityDistribution, expand_c_symmetry, extend_gamma
from .ies import Tokens, check_peak, make_distribution, read_file, shown, split_lines

__all__ = ["read_eulumdat", "parse_eulumdat"]

_SYM_KIND = {0: "full", 1: "axial", 2: "c0-c180", 3: "c90-c270", 4: "both"}


def read_eulumdat(path) -> IntensityDistribution:
    """Read a EULUMDAT file.

    Parameters
    ----------
    path : str or path-like
        The ``.ldt`` file (Latin-1 or UTF-8, decimal points or decimal commas).

    Returns
    -------
    IntensityDistribution
        Absolute candela [cd]: the cd/klm values times the first lamp set's flux / 1000 times
        the file's conversion factor; planes expanded to C 0 .. 360 by the symmetry indicator.

    Raises
    ------
    PhotometryFormatError
        The file is malformed; the message names the line and what was expected.
    """
    path = Path(path)
    text = read_file(path)
    return parse_eulumdat(text, path=path)


class _Header:
    def __init__(self, lines: list[str], path):
        self.lines, self.path = lines, path

    def text(self, n: int, what: str) -> str:
        if n > len(self.lines):
            raise PhotometryFormatError(f"expected {what} on line {n}, found the end of the file",
                                        path=self.path, line=len(self.lines))
        return self.lines[n - 1].strip()

    def number(self, n: int, what: str, lo: float | None = None) -> float:
        tok = self.text(n, what)
        try:
            x = float(tok.replace(",", ".")) if tok else float("nan")
        except ValueError:
            x = float("nan")
        if not np.isfinite(x):
            raise PhotometryFormatError(f"expected a number for {what}, found {shown(tok)}",
                                        path=self.path, line=n)
        if lo is not None and x < lo:
            raise PhotometryFormatError(f"expected {what} >= {lo:g}, found {x:g}",
                                        path=self.path, line=n)
        return x

    def integer(self, n: int, what: str, lo: int, hi: int | None = None) -> int:
        x = self.number(n, what)
        if x != int(x) or x < lo or (hi is not None and x > hi):
            rng = f"{lo} .. {hi}" if hi is not None else f">= {lo}"
            raise PhotometryFormatError(f"expected {what} as a whole number in {rng}, "
                                        f"found {x:g}", path=self.path, line=n)
        return int(x)


def parse_eulumdat(text: str, path=None) -> IntensityDistribution:
    """Parse the text of a EULUMDAT file (see :func:`read_eulumdat`)."""
    lines = split_lines(text)
    hd = _Header(lines, path)
    company = hd.text(1, "the company identification")
    ityp = hd.integer(2, "the type indicator Ityp", 0, 3)
    isym = hd.integer(3, "the symmetry indicator Isym", 0, 4)
    mc = hd.integer(4, "the number of C planes Mc", 1)
    dc = hd.number(5, "the distance between C planes Dc", 0)
    ng = hd.integer(6, "the number of gamma angles Ng", 1)
    dg = hd.number(7, "the distance between gamma angles Dg", 0)
    name = hd.text(9, "the luminaire name") or hd.text(11, "the file name")
    dims_mm = [hd.number(k, what, 0) for k, what in (
        (13, "the luminaire length"), (14, "the luminaire width"), (15, "the luminaire height"),
        (16, "the luminous area length"), (17, "the luminous area width"))]
    dff = hd.number(22, "the downward flux fraction DFF [%]", 0)
    lor = hd.number(23, "the light output ratio LORL [%]", 0)
    conv = hd.number(24, "the conversion factor for luminous intensities")
    if conv <= 0:
        raise PhotometryFormatError(f"expected a positive conversion factor, found {conv:g}",
                                    path=path, line=24)
    tilt = hd.number(25, "the measurement tilt [deg]")
    n_sets = hd.integer(26, "the number of lamp sets", 1)
    if 26 + 6 * n_sets + 10 > len(lines):
        raise PhotometryFormatError(f"expected {n_sets} lamp sets of 6 lines and 10 direct "
                                    f"ratios after line 26, found the end of the file",
                                    path=path, line=len(lines))
    sets = []
    for s in range(n_sets):
        base = 27 + 6 * s
        sets.append({
            "n_lamps": hd.number(base, f"the number of lamps of set {s + 1}"),
            "lamp_type": hd.text(base + 1, "the lamp type"),
            "flux": hd.number(base + 2, f"the total lamp flux of set {s + 1} [lm]", 0),
            "colour": hd.text(base + 3, "the colour appearance"),
            "cri": hd.text(base + 4, "the colour rendering group"),
            "watts": hd.number(base + 5, f"the wattage of set {s + 1} [W]"),
        })
    lamp_flux = sets[0]["flux"]
    if lamp_flux <= 0:
        raise PhotometryFormatError("expected a positive total lamp flux in lamp set 1, "
                                    f"found {lamp_flux:g}", path=path, line=29)
    data_line = 27 + 6 * n_sets + 10
    if isym == 1:
        n_stored = 1
    elif isym in (2, 3) and mc % 2 == 0:
        n_stored = mc // 2 + 1
    elif isym == 4 and mc % 4 == 0:
        n_stored = mc // 4 + 1
    elif isym == 0:
        n_stored = mc
    else:
        raise PhotometryFormatError(f"the symmetry indicator Isym {isym} needs a number of C "
                                    f"planes divisible by {2 if isym in (2, 3) else 4}, found "
                                    f"Mc = {mc}", path=path, line=4)

    toks = Tokens(lines[data_line - 1:], data_line, path, comma_decimal=True)
    c_line = toks.line()
    c = toks.angles(mc, "C angles")
    g_line = toks.line()
    g = toks.angles(ng, "gamma angles")
    if c[0] < 0 or c[-1] >= 360.0 + 1e-9:
        raise PhotometryFormatError(f"C angles must lie in 0 .. <360 deg, found {c[0]:g} .. "
                                    f"{c[-1]:g}", path=path, line=c_line)
    if g[0] < 0 or g[-1] > 180.0:
        raise PhotometryFormatError(f"gamma angles must lie in 0 .. 180 deg, found {g[0]:g} .. "
                                    f"{g[-1]:g}", path=path, line=g_line)
    start = _first_stored(c, isym, n_stored, path, c_line)
    total = n_stored * ng
    cd_line = toks.line()
    if toks.remaining < total:
        raise PhotometryFormatError(f"expected {total} intensities ({n_stored} C planes x {ng} "
                                    f"gamma angles for Isym {isym}), found {toks.remaining}",
                                    path=path, line=cd_line)
    first = toks.i
    values = toks.numbers(total, "intensities [cd/klm]").reshape(n_stored, ng)
    if toks.remaining:
        raise PhotometryFormatError(f"expected {total} intensities ({n_stored} C planes x {ng} "
                                    f"gamma angles for Isym {isym}), found "
                                    f"{total + toks.remaining}", path=path, line=toks.line())
    if (values < 0).any():
        k = int(np.argmax(values.ravel() < 0))
        raise PhotometryFormatError(
            f"negative intensity {values.ravel()[k]:g} cd/klm at C = "
            f"{c[start + k // ng]:g}, gamma = {g[k % ng]:g}", path=path, line=toks.where[first + k])
    check_peak(float(values.max()) * (lamp_flux / 1000.0) * conv, path, cd_line)
    cd = values * (lamp_flux / 1000.0) * conv
    c_stored = c[start:start + n_stored] if isym != 1 else c[:1]
    c_full, table = expand_c_symmetry(c_stored, cd, _SYM_KIND[isym])
    g_full, table = extend_gamma(g, table)
    meta = {
        "format": "EULUMDAT", "company": company, "ityp": ityp, "isym": isym, "mc": mc,
        "dc": dc, "ng": ng, "dg": dg, "dimensions_mm": dims_mm, "dff_percent": dff,
        "lor_percent": lor, "conversion_factor": conv, "tilt_deg": tilt, "lamp_sets": sets,
        "declared_flux": lamp_flux * lor / 100.0, "c_angles_file": c, "gamma_angles_file": g,
    }
    return make_distribution(c_full, g_full, table, path, lamp_flux=lamp_flux,
                             name=name or (Path(str(path)).stem if path else "EULUMDAT"),
                             metadata=meta)


def _first_stored(c: np.ndarray, isym: int, n_stored: int, path, line: int) -> int:
    """Index of the first stored C plane; checks the stored range the symmetry needs."""
    if isym == 1:
        return 0
    if abs(c[0]) > 1e-6:
        raise PhotometryFormatError(f"C angles must start at 0 deg, found {c[0]:g}",
                                    path=path, line=line)
    start, first, last = {0: (0, 0.0, None), 2: (0, 0.0, 180.0), 4: (0, 0.0, 90.0),
                          3: (None, 90.0, 270.0)}[isym]
    if start is None:
        hits = np.nonzero(np.abs(c - 90.0) < 1e-6)[0]
        if hits.size == 0:
            raise PhotometryFormatError("symmetry Isym 3 stores C 90 .. 270, but the C angles "
                                        "do not contain 90 deg", path=path, line=line)
        start = int(hits[0])
    end = start + n_stored - 1
    if last is not None and (end >= c.size or abs(c[end] - last) > 1e-6):
        found = f"{c[end]:g}" if end < c.size else "past the last C angle"
        raise PhotometryFormatError(f"symmetry Isym {isym} stores C {first:g} .. {last:g}, "
                                    f"but its last stored plane is at {found}", path=path,
                                    line=line)
    return start
