"""IES LM-63 photometric files (1986, 1991, 1995, 2002, 2019): reader and LM-63-2002 writer.

The reader turns a file into an :class:`~cpted_sim.photometry.distribution.IntensityDistribution`
in the type C frame of docs/architecture.md §4. Numbers may wrap across lines in any way (the data after
the ``TILT=`` line is read as one stream of tokens that remember their line); every malformed
input raises :class:`~cpted_sim.errors.PhotometryFormatError` naming the file, the line and
what was expected.

References
----------
ANSI/IES LM-63-02 (R2008) and LM-63-19, IES standard file format for the electronic transfer
of photometric data. IES LM-75-19, goniometer types and photometric coordinate systems.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np

from .._files import read_bytes_checked
from ..errors import ParameterError, PhotometryFormatError
from ..units import FOOT
from .distribution import IntensityDistribution, expand_c_symmetry, extend_gamma

__all__ = ["read_ies", "parse_ies", "write_ies", "read_text", "make_distribution",
           "MAX_PHOTOMETRY_BYTES", "MAX_TILT_BYTES", "IES_SIGNIFICANT_DIGITS", "MAX_CANDELA"]

log = logging.getLogger(__name__)

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_KEYWORD = re.compile(r"^\s*\[([^\]]*)\]\s?(.*)$")
_TILT = re.compile(r"^\s*TILT\s*=\s*(.*?)\s*$", re.IGNORECASE)
_TYPE_NAMES = {1: "C", 2: "B", 3: "A"}
_FOUND = re.compile(r",? found |: | \(then ")
# resolution of the type C table a type A or B file is resampled onto [deg]
_AB_C_STEP = 2.0
_AB_GAMMA_STEP = 0.5
#: Largest IES or EULUMDAT file read [bytes] (8 MiB; real files are a few kB to 1 MB).
MAX_PHOTOMETRY_BYTES = 8 * 2**20
#: Largest ``TILT=<file>`` file read [bytes] (1 MiB; a tilt block is a few lines).
MAX_TILT_BYTES = 2**20
#: Significant digits :func:`write_ies` writes: what LM-63 files carry (6), so a written file
#: is the same on every machine even where the last bits of a computed table differ.
IES_SIGNIFICANT_DIGITS = 6
#: Largest intensity accepted after the file's multipliers [cd]: a thousand times the
#: brightest searchlights (about 1e9 cd), far below where the flux integral would overflow.
MAX_CANDELA = 1e12


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), falling back to Latin-1 (every byte string decodes)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_text(path, *, what: str = "photometric file", max_bytes: int = MAX_PHOTOMETRY_BYTES,
              base_dir=None, error=PhotometryFormatError) -> str:
    """Read a photometric text file: a regular file of at most ``max_bytes`` (inside
    ``base_dir`` when given), as UTF-8 with or without BOM, falling back to Latin-1.

    Raises
    ------
    PhotometryFormatError
        Missing, not a regular file (a device, FIFO or socket), too large, or outside
        ``base_dir`` (links followed).
    """
    data = read_bytes_checked(path, what=what, error=error, max_bytes=max_bytes,
                              base_dir=base_dir)
    return _decode(data)


def read_file(path: Path) -> str:
    """:func:`read_text`; every refusal raised as :class:`PhotometryFormatError` naming the
    file (its ``path`` attribute set)."""
    def refuse(message: str) -> PhotometryFormatError:
        return PhotometryFormatError(_cut(message), path=path)

    return read_text(path, what="cannot read the file", error=refuse)


def shown(token: str, limit: int = 40) -> str:
    """``repr(token)``, cut to about ``limit`` characters: an error stays one short line."""
    text = repr(token)
    return text if len(text) <= limit else text[:limit - 4] + "...'"


def _cut(message: str, limit: int = 600) -> str:
    """A message naming a very long path, cut in the middle to about ``limit`` characters
    (its start names the file, its end says what is wrong)."""
    half = limit // 2
    return message if len(message) <= limit else message[:half] + " ... " + message[-half:]


def split_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF only (``str.splitlines`` would also split on Latin-1 NEL)."""
    return _LINE_SPLIT.split(text)


class Tokens:
    """A stream of whitespace-separated tokens that remember their 1-based line number."""

    def __init__(self, lines: list[str], first_line: int, path, *, comma_decimal=False,
                 quote=True):
        toks, where = [], []
        for k, line in enumerate(lines):
            parts = line.split()
            toks.extend(parts)
            where.extend([first_line + k] * len(parts))
        self.toks, self.where = toks, where
        self.i = 0
        self.path = path
        self.comma = comma_decimal
        self.quote = quote
        self.last_line = first_line + max(len(lines) - 1, 0)

    def error(self, message: str, line: int | None = None) -> PhotometryFormatError:
        """The error at ``line``; with ``quote=False`` (a file another file pointed at) the
        message keeps what was expected and drops every value found in the file."""
        if not self.quote:
            message = _FOUND.split(message, maxsplit=1)[0] + " (values of this file are not quoted)"
        return PhotometryFormatError(message, path=self.path, line=line)

    @property
    def remaining(self) -> int:
        return len(self.toks) - self.i

    def line(self, offset: int = 0) -> int:
        k = self.i + offset
        if k < len(self.where):
            return self.where[k]
        return self.where[-1] if self.where else self.last_line

    def _float(self, tok: str, what: str, line: int) -> float:
        try:
            x = float(tok.replace(",", ".") if self.comma else tok)
        except ValueError:
            raise self.error(f"expected a number for {what}, found {shown(tok)}", line) from None
        if not math.isfinite(x):
            raise self.error(f"expected a finite number for {what}, found {shown(tok)}", line)
        return x

    def number(self, what: str) -> float:
        if self.i >= len(self.toks):
            raise self.error(f"expected {what}, found the end of the file", self.line())
        tok, line = self.toks[self.i], self.where[self.i]
        self.i += 1
        return self._float(tok, what, line)

    def integer(self, what: str, lo: int | None = None, hi: int | None = None) -> int:
        line = self.line()
        x = self.number(what)
        if x != int(x):
            raise self.error(f"expected a whole number for {what}, found {x:g}", line)
        n = int(x)
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            rng = f"{lo} .. {hi}" if hi is not None else f">= {lo}"
            raise self.error(f"expected {what} in {rng}, found {n}", line)
        return n

    def numbers(self, n: int, what: str) -> np.ndarray:
        line = self.line()
        if self.remaining < n:
            raise self.error(f"expected {n} {what}, found {self.remaining}", line)
        chunk = self.toks[self.i:self.i + n]
        try:
            if self.comma:
                chunk = [t.replace(",", ".") for t in chunk]
            arr = np.array(chunk, dtype=np.float64)
        except ValueError:
            arr = np.array([self._float(t, what, self.where[self.i + k])
                            for k, t in enumerate(chunk)])
        bad = ~np.isfinite(arr)
        if bad.any():
            k = int(np.argmax(bad))
            raise self.error(f"expected a finite number for {what}, found {shown(chunk[k])}",
                             self.where[self.i + k])
        self.i += n
        return arr

    def angles(self, n: int, what: str) -> np.ndarray:
        """``n`` strictly increasing angles; a restart reads as a short list."""
        start, line = self.i, self.line()
        a = self.numbers(n, what)
        d = np.diff(a)
        if (d <= 0).any():
            k = int(np.argmax(d <= 0)) + 1
            bad_line = self.where[start + k]
            if a[k] <= a[0]:
                raise self.error(f"expected {n} {what}, found {k} (then {a[k]:g} on line "
                                 f"{bad_line}, which does not increase)", line)
            raise self.error(f"{what} must increase: {a[k]:g} follows {a[k - 1]:g}", bad_line)
        return a


# ---------------------------------------------------------------------- reading
def read_ies(path) -> IntensityDistribution:
    """Read an IES LM-63 file.

    Parameters
    ----------
    path : str or path-like
        The ``.ies`` file. A ``TILT=<file>`` reference is resolved next to it.

    Returns
    -------
    IntensityDistribution
        Absolute candela [cd] in the type C frame (type A and B files resampled onto it).

    Raises
    ------
    PhotometryFormatError
        The file is malformed; the message names the line and what was expected.
    """
    path = Path(path)
    text = read_file(path)
    return parse_ies(text, path=path)


def parse_ies(text: str, path=None) -> IntensityDistribution:
    """Parse the text of an IES LM-63 file (see :func:`read_ies`)."""
    lines = split_lines(text)
    first = lines[0].strip() if lines else ""
    up = first.upper()
    if up.startswith("IESNA") or up.startswith("IES:"):
        version = first
        head_start = 1
    else:
        version = "LM-63-1986"
        head_start = 0
    keywords: dict[str, str] = {}
    labels: list[str] = []
    last_key = None
    tilt_idx = None
    for k in range(head_start, len(lines)):
        m = _TILT.match(lines[k])
        if m:
            tilt_idx, tilt = k, m.group(1)
            break
        km = _KEYWORD.match(lines[k])
        if km:
            key, val = km.group(1).strip().upper(), km.group(2).rstrip()
            if key == "MORE" and last_key is not None:
                keywords[last_key] += "\n" + val
            else:
                keywords[key] = keywords[key] + "\n" + val if key in keywords else val
                last_key = key
        elif lines[k].strip():
            labels.append(lines[k].strip())
    if tilt_idx is None:
        raise PhotometryFormatError("expected a TILT= line before the photometric data, "
                                    "found none (is this an IES LM-63 file?)", path=path,
                                    line=len(lines))
    toks = Tokens(lines[tilt_idx + 1:], tilt_idx + 2, path)
    tilt_data = _read_tilt(tilt, toks, path, tilt_idx + 1)

    n_lamps = toks.number("the number of lamps")
    lumens = toks.number("lumens per lamp")
    line = toks.line(-1)
    if n_lamps <= 0:
        raise toks.error(f"expected a positive number of lamps, found {n_lamps:g}", line)
    if not (lumens == -1 or lumens > 0):
        raise toks.error(f"expected lumens per lamp > 0, or -1 for absolute photometry, "
                         f"found {lumens:g}", line)
    line = toks.line()
    mult = toks.number("the candela multiplier")
    if mult <= 0:
        raise toks.error(f"expected a positive candela multiplier, found {mult:g}", line)
    n_v = toks.integer("the number of vertical angles", 1)
    n_h = toks.integer("the number of horizontal angles", 1)
    line = toks.line()
    ptype = toks.number("the photometric type")
    if ptype not in (1, 2, 3):
        raise toks.error(f"unknown photometric type {ptype:g}: expected 1 (type C), "
                         f"2 (type B) or 3 (type A)", line)
    ptype = int(ptype)
    line = toks.line()
    units = toks.number("the units type")
    if units not in (1, 2):
        raise toks.error(f"expected units type 1 (feet) or 2 (metres), found {units:g}", line)
    dims = toks.numbers(3, "luminous opening dimensions (width, length, height)")
    opening = dims * (FOOT if units == 1 else 1.0)
    line = toks.line()
    ballast = toks.number("the ballast factor")
    if ballast <= 0:
        raise toks.error(f"expected a positive ballast factor, found {ballast:g}", line)
    line = toks.line()
    bl_factor = toks.number("the ballast-lamp photometric factor (future use)")
    if bl_factor <= 0:
        raise toks.error("expected a positive ballast-lamp photometric factor, "
                         f"found {bl_factor:g}", line)
    watts = toks.number("the input watts")

    v = toks.angles(n_v, "vertical angles")
    h = toks.angles(n_h, "horizontal angles")
    cd_line = toks.line()
    total = n_h * n_v
    if toks.remaining < total:
        raise toks.error(f"expected {total} candela values ({n_h} horizontal x {n_v} vertical "
                         f"angles), found {toks.remaining}", cd_line)
    start = toks.i
    raw = toks.numbers(total, "candela values").reshape(n_h, n_v)
    if toks.remaining:
        raise toks.error(f"expected {total} candela values ({n_h} horizontal x {n_v} vertical "
                         f"angles), found {total + toks.remaining}", toks.line())
    if (raw < 0).any():
        k = int(np.argmax(raw.ravel() < 0))
        raise toks.error(f"negative candela value {raw.ravel()[k]:g} at horizontal angle "
                         f"{h[k // n_v]:g}, vertical angle {v[k % n_v]:g}", toks.where[start + k])
    # pre-2002 files carry a real ballast-lamp photometric factor; 2002+ call it "future use"
    factor = mult * ballast * (bl_factor if _year(version) < 2002 else 1.0)
    check_peak(float(raw.max()) * factor, path, cd_line)
    cd = raw * factor

    if ptype == 1:
        c, g, table = _type_c(h, v, cd, toks, cd_line)
    else:
        c, g, table = _type_ab(h, v, cd, ptype, toks, cd_line)
    name = next((keywords[k] for k in ("LUMINAIRE", "LUMCAT", "MODEL", "TEST")
                 if keywords.get(k, "").strip()), None)
    if name is None:
        name = Path(str(path)).stem if path is not None else "IES distribution"
    meta = {
        "format": "IES", "version": version, "keywords": keywords, "labels": labels,
        "photometric_type": _TYPE_NAMES[ptype], "n_lamps": n_lamps, "lumens_per_lamp": lumens,
        "candela_multiplier": mult, "ballast_factor": ballast,
        "ballast_lamp_factor": bl_factor, "input_watts": watts,
        "luminous_opening_m": tuple(float(x) for x in opening), "tilt": tilt_data,
        "horizontal_angles": h, "vertical_angles": v,
    }
    lamp_flux = None if lumens == -1 else n_lamps * lumens
    return make_distribution(c, g, table, path, lamp_flux=lamp_flux,
                             name=name.split("\n")[0].strip(), metadata=meta)


def check_peak(peak: float, path, line: int | None) -> None:
    """Refuse a table whose largest intensity [cd], multipliers applied, exceeds
    :data:`MAX_CANDELA` (or is not finite): a wrong multiplier or unit, never a luminaire."""
    if not peak <= MAX_CANDELA:
        raise PhotometryFormatError(f"the largest intensity is {peak:.3g} cd once the file's "
                                    f"multipliers are applied, more than the {MAX_CANDELA:g} cd "
                                    "accepted (check the multiplier and the lamp flux)",
                                    path=path, line=line)


def make_distribution(c, g, table, path, **kwargs) -> IntensityDistribution:
    """Build the distribution; a table the checks reject is the file's fault, so say so."""
    try:
        return IntensityDistribution(c, g, table, source=None if path is None else str(path),
                                     **kwargs)
    except ParameterError as exc:
        raise PhotometryFormatError(f"the data do not form a valid table: {exc}",
                                    path=path) from None


def _year(version: str) -> int:
    m = re.search(r"(19|20)\d\d", version)
    if m:
        return int(m.group(0))
    return 1991 if "91" in version else 1986


def _read_tilt(spec: str, toks: Tokens, path, line: int):
    """Read TILT=INCLUDE data from the stream, or TILT=<file> from the IES file's own folder.

    A tilt file must be a regular file of at most :data:`MAX_TILT_BYTES` inside the folder of
    the IES file (links followed): an absolute path, ``..``, a link out of the folder, a
    device or a FIFO is refused, and no error quotes what the tilt file holds.
    """
    if spec.upper() == "NONE":
        return None
    if spec.upper() == "INCLUDE":
        return _tilt_block(toks)
    spec_shown = spec if len(spec) <= 80 else spec[:77] + "..."
    if not spec:
        raise PhotometryFormatError("TILT= names nothing: expected NONE, INCLUDE or the name of "
                                    "a tilt file next to the photometric file", path=path,
                                    line=line)
    if path is None:
        raise PhotometryFormatError(f"line {line}: TILT={spec_shown} refers to a tilt file, but "
                                    "the text was given without its file, so there is no folder "
                                    "to look in (read the file itself, pass path=, or use "
                                    "TILT=INCLUDE)", line=line)

    def refuse(message: str) -> PhotometryFormatError:
        return PhotometryFormatError(f"{_cut(message)} (the tilt file must be a regular file of at "
                                     f"most {MAX_TILT_BYTES} bytes in the photometric file's "
                                     "folder; or change the line to TILT=NONE)",
                                     path=path, line=line)

    folder = Path(path).parent
    text = read_text(spec, what=f"TILT={spec_shown}", max_bytes=MAX_TILT_BYTES, base_dir=folder,
                     error=refuse)
    tilt_path = (folder / spec) if not Path(spec).is_absolute() else Path(spec)
    return _tilt_block(Tokens(split_lines(text), 1, tilt_path, quote=False))


def _tilt_block(toks: Tokens):
    geometry = toks.integer("the lamp-to-luminaire geometry", 1, 3)
    n = toks.integer("the number of tilt angles", 0)
    angles = toks.angles(n, "tilt angles") if n else np.zeros(0)
    line = toks.line()
    factors = toks.numbers(n, "tilt multiplying factors") if n else np.zeros(0)
    if (factors < 0).any():
        raise toks.error("tilt multiplying factors must not be negative", line)
    return {"geometry": geometry, "angles": angles, "factors": factors}


def _type_c(h, v, cd, toks: Tokens, line: int):
    n_h = h.size
    h0, h1 = h[0], h[-1]
    if n_h == 1:
        kind = "axial"
    elif h0 == 0 and h1 == 90:
        kind = "both"
    elif h0 == 0 and h1 == 180:
        kind = "c0-c180"
    elif h0 == 90 and h1 == 270:
        kind = "c90-c270"
    elif h0 == 0 and 180 < h1 <= 360:
        kind = "full"
        if h1 != 360:
            log.info("%s: horizontal angles end at %g deg; C = 360 taken equal to C = 0",
                     toks.path, h1)
    else:
        raise toks.error(f"horizontal angles run {h0:g} .. {h1:g} deg; a type C file "
                         "allows 0, 0-90, 0-180, 90-270 or 0-360", line)
    if v[0] not in (0.0, 90.0) or v[-1] > 180.0:
        raise toks.error(f"vertical angles run {v[0]:g} .. {v[-1]:g} deg; a type C file "
                         "allows 0-90, 90-180 or 0-180", line)
    c, table = expand_c_symmetry(h, cd, kind)
    g, table = extend_gamma(v, table)
    return c, g, table


def _type_ab(h, v, cd, ptype: int, toks: Tokens, line: int):
    """Resample a type A or B table onto a type C grid (directions outside the data: 0 cd).

    Frame (the photometric axis H = V = 0 is the luminaire's gamma = 0 axis, -Z; the V > 0
    side is local +Y, the C90 side; H > 0 is local +X):

    type B (polar axis = local X, the tilt axis):  d = (sin H, cos H sin V, -cos H cos V)
    type A (polar axis = local Y):                 d = (cos V sin H, sin V, -cos V cos H)
    """
    for arr, what in ((h, "horizontal"), (v, "vertical")):
        if arr[0] < -180.0 or arr[-1] > 180.0:
            raise toks.error(f"{what} angles of a type {_TYPE_NAMES[ptype]} file must lie in "
                             f"-180 .. 180 deg, found {arr[0]:g} .. {arr[-1]:g}", line)
    if h.size > 1 and h[0] == 0:  # laterally symmetric: mirror H -> -H
        h = np.concatenate([-h[:0:-1], h])
        cd = np.vstack([cd[:0:-1], cd])
    if v.size > 1 and v[0] == 0:  # symmetric about the horizontal plane: mirror V -> -V
        v = np.concatenate([-v[:0:-1], v])
        cd = np.hstack([cd[:, :0:-1], cd])
    c = np.arange(0.0, 360.0 + 1e-9, _AB_C_STEP)
    g = np.arange(0.0, 180.0 + 1e-9, _AB_GAMMA_STEP)
    cr, gr = np.meshgrid(np.radians(c), np.radians(g), indexing="ij")
    dx, dy, dz = np.sin(gr) * np.cos(cr), np.sin(gr) * np.sin(cr), -np.cos(gr)
    if ptype == 2:
        hq = np.degrees(np.arcsin(np.clip(dx, -1.0, 1.0)))
        vq = np.degrees(np.arctan2(dy, -dz))
    else:
        vq = np.degrees(np.arcsin(np.clip(dy, -1.0, 1.0)))
        hq = np.degrees(np.arctan2(dx, -dz))
    table = _bilinear(h, v, cd, hq, vq)
    table[-1] = table[0]  # C = 360 is C = 0, exactly
    return c, g, table


def _bilinear(x, y, f, xq, yq):
    """Bilinear interpolation of f[x, y]; 0 outside the data range (one node: constant)."""
    out = np.zeros(np.shape(xq))
    inside = (xq >= x[0] - 1e-9) & (xq <= x[-1] + 1e-9) & (yq >= y[0] - 1e-9) & (yq <= y[-1] + 1e-9)
    xq, yq = xq[inside], yq[inside]
    if x.size == 1:
        i, tx = np.zeros(xq.shape, dtype=int), np.zeros(xq.shape)
        x, f = np.array([x[0], x[0] + 1.0]), np.vstack([f, f])
    else:
        i = np.clip(np.searchsorted(x, xq, side="right") - 1, 0, x.size - 2)
        tx = np.clip((xq - x[i]) / (x[i + 1] - x[i]), 0.0, 1.0)
    if y.size == 1:
        j, ty = np.zeros(yq.shape, dtype=int), np.zeros(yq.shape)
        f = np.hstack([f, f])
    else:
        j = np.clip(np.searchsorted(y, yq, side="right") - 1, 0, y.size - 2)
        ty = np.clip((yq - y[j]) / (y[j + 1] - y[j]), 0.0, 1.0)
    lo = f[i, j] * (1 - ty) + f[i, j + 1] * ty
    hi = f[i + 1, j] * (1 - ty) + f[i + 1, j + 1] * ty
    out[inside] = lo * (1 - tx) + hi * tx
    return out


# ---------------------------------------------------------------------- writing
def _num(x) -> str:
    """``x`` with :data:`IES_SIGNIFICANT_DIGITS` significant digits (``-0`` written as ``0``)."""
    text = f"{float(x):.{IES_SIGNIFICANT_DIGITS}g}"
    return "0" if text == "-0" else text


def _fmt(values, per_line: int = 10) -> list[str]:
    vals = [_num(x) for x in np.ravel(values)]
    return [" ".join(vals[k:k + per_line]) for k in range(0, len(vals), per_line)]


def write_ies(dist: IntensityDistribution, path) -> Path:
    """Write ``dist`` as an IES LM-63-2002 file, type C, C 0-360 and gamma 0-180.

    Parameters
    ----------
    dist : IntensityDistribution
        The table to write; candela are written as they are (multiplier 1, ballast factor 1).
    path : str or path-like
        Output file.

    Returns
    -------
    Path
        The written file.

    Notes
    -----
    Every number is written with :data:`IES_SIGNIFICANT_DIGITS` (6) significant digits, the
    precision LM-63 files carry: reading the file back gives the table to a relative 5e-6,
    and the bytes written are the same on every machine even where the last bits of a
    computed table differ. Writing a table read from such a file gives the same file again.
    """
    path = Path(path)
    name = (dist.name or "distribution").replace("\n", " ").replace("\r", " ")
    source = (dist.source or "").replace("\n", " ").replace("\r", " ")
    lines = ["IESNA:LM-63-2002", "[TEST] written by cpted_sim",
             f"[LUMINAIRE] {name}", f"[_SOURCE] {source}", "TILT=NONE"]
    lumens = _num(dist.lamp_flux) if dist.lamp_flux is not None else "-1"
    watts = dist.metadata.get("input_watts", 0.0)
    lines.append(f"1 {lumens} 1 {dist.gamma_angles.size} {dist.c_angles.size} 1 2 0 0 0")
    lines.append(f"1 1 {_num(watts)}")
    lines += _fmt(dist.gamma_angles)
    lines += _fmt(dist.c_angles)
    for row in dist.candela:
        lines += _fmt(row)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path
