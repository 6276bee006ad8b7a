"""A small TOML writer and a key-path -> line index for error messages (stdlib only).

``tomllib`` reads TOML but forgets where each key stood; :class:`LineIndex` scans the text
once more and remembers the line of every table header and key, with array-of-tables indices
(``luminaires[2].position``), so a scenario error can name its line.
"""

from __future__ import annotations

import json
import math
import re

__all__ = ["LineIndex", "dumps", "FLOAT_SIGNIFICANT_DIGITS"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
# a key inside an inline table; the look-behind makes a match start only where a word starts,
# so a long run of word characters without "=" is scanned once, not once per character
_INLINE_KEY = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]+)\s*=")
#: Significant digits of every float the writer prints: a micrometre at a million metres
#: (projected coordinates), and the same text on every machine even where the last bits of a
#: computed value differ (Python's shortest repr would print those bits).
FLOAT_SIGNIFICANT_DIGITS = 12


def _strip_strings_and_comment(line: str) -> str:
    """The line with string contents blanked and any comment removed."""
    out = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "#":
            break
        if ch in "\"'":
            q = ch
            j = i + 1
            while j < n and line[j] != q:
                j += 2 if (q == '"' and line[j] == "\\") else 1
            out.append(q + "_" * max(0, min(j, n) - i - 1) + q)
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _split_key(key: str) -> list[str]:
    parts = []
    for raw in re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^.]+', key.strip()):
        raw = raw.strip()
        if raw[:1] in "\"'":
            raw = raw[1:-1]
        if raw:
            parts.append(raw)
    return parts


class LineIndex:
    """Line (1-based) of each key path of a TOML text, as far as a light scan can tell.

    Paths look like ``scene.builtin``, ``luminaires[2].position``,
    ``variants[1].changes[0].op``. Keys of inline tables are indexed on their line.
    """

    def __init__(self, text: str):
        self.lines: dict[str, int] = {}
        aot_count: dict[str, int] = {}
        current = ""                  # resolved path of the current table
        depth = 0                     # bracket depth of a multi-line array or inline table
        in_string = ""                # the delimiter of an open multi-line string
        # TOML ends lines at LF (CRLF) only; str.splitlines would also split at \x0c, \u2028
        for lineno, raw in enumerate(text.split("\n"), start=1):
            if in_string:             # inside a multi-line string: nothing to index
                if raw.count(in_string) % 2 == 1:
                    in_string = ""
                continue
            for q in ('"""', "'''"):
                if raw.split("#", 1)[0].count(q) % 2 == 1:
                    in_string = q
            clean = _strip_strings_and_comment(raw)
            if depth > 0:
                depth += clean.count("[") + clean.count("{") - clean.count("]") - clean.count("}")
                depth = max(depth, 0)
                continue
            s = clean.strip()
            if not s:
                continue
            is_aot = s.startswith("[[")
            if s.startswith("["):
                head = raw.strip()
                if ("]]" if is_aot else "]") not in head:
                    continue          # not a header after all (a scan, not a parser)
                head = head[2:head.rindex("]]")] if is_aot else head[1:head.rindex("]")]
                parts = _split_key(head)
                if not parts:
                    continue
                parent = self._resolve(parts[:-1], aot_count)
                array = f"{parent}.{parts[-1]}" if parent else parts[-1]
                if is_aot:
                    k = aot_count.get(array, 0)
                    aot_count[array] = k + 1
                    self.lines.setdefault(array, lineno)
                    current = f"{array}[{k}]"
                else:
                    current = array
                self.lines.setdefault(current, lineno)
                continue
            eq = clean.find("=")
            if eq <= 0:
                continue
            key_parts = _split_key(raw[:eq])
            full = ".".join(([current] if current else []) + key_parts)
            self.lines.setdefault(full, lineno)
            rest = clean[eq + 1:]
            for m in _INLINE_KEY.finditer(rest):
                self.lines.setdefault(f"{full}.{m.group(1)}", lineno)
            d = rest.count("[") + rest.count("{") - rest.count("]") - rest.count("}")
            if d > 0:
                depth = d

    @staticmethod
    def _resolve(parts: list[str], aot_count: dict[str, int]) -> str:
        """Resolve the parents of a header: an array of tables means its last element."""
        path = ""
        for p in parts:
            path = f"{path}.{p}" if path else p
            if path in aot_count:
                path = f"{path}[{aot_count[path] - 1}]"
        return path

    def line_of(self, path: str | None) -> int | None:
        """The line of ``path`` or of its nearest indexed ancestor (None when unknown)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                return self.lines.get(path)
            path = path[:cut]
        return None


# ---------------------------------------------------------------------------- writer
def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = f"{v:.{FLOAT_SIGNIFICANT_DIGITS}g}"
        if text == "-0":
            text = "0"
        return text if any(ch in text for ch in ".e") else text + ".0"   # stays a TOML float
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        items = [f"{_key(k)} = {_scalar(x)}" for k, x in v.items() if x is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if _BARE.match(k) else _string(k)


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes, plus DEL, which TOML forbids raw and JSON keeps."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _is_aot(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def _table_body(d: dict, path: str, out: list[str]) -> None:
    """Scalars (and inline tables) of ``d``, then its arrays of tables as ``[[path.key]]``."""
    for k, v in d.items():
        if v is None or _is_aot(v):
            continue
        out.append(f"{_key(k)} = {_scalar(v)}")
    for k, v in d.items():
        if v is not None and _is_aot(v):
            for item in v:
                out.append("")
                out.append(f"[[{path}.{_key(k)}]]")
                _table_body(item, f"{path}.{_key(k)}", out)


def dumps(data: dict, sections: tuple[str, ...] = ()) -> str:
    """TOML text of ``data``.

    Top-level scalars first; then each dict in ``sections`` as a ``[table]`` (its dict values
    inline), then each list of dicts as ``[[array]]`` tables. Other dicts are inline tables.
    ``None`` values are left out.
    """
    out: list[str] = []
    for k, v in data.items():
        if v is None or _is_aot(v) or k in sections:
            continue
        out.append(f"{_key(k)} = {_scalar(v)}")
    for k in sections:
        v = data.get(k)
        if v is None:
            continue
        out.append("")
        out.append(f"[{_key(k)}]")
        for kk, vv in v.items():
            if vv is not None:
                out.append(f"{_key(kk)} = {_scalar(vv)}")
    for k, v in data.items():
        if v is not None and _is_aot(v) and k not in sections:
            for item in v:
                out.append("")
                out.append(f"[[{_key(k)}]]")
                _table_body(item, _key(k), out)
    return "\n".join(out).lstrip("\n") + "\n"
