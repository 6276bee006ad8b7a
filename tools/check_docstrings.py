"""List gaps in the numpydoc docstrings of the public API (``cpted_sim.__all__``).

For every public function and class (and the public methods of the classes) it reports:
no docstring, no ``Parameters`` section while the signature takes arguments, arguments of the
signature that the section does not describe, and arguments whose name says they carry a
physical quantity (a distance, position, angle, flux, illuminance, ...) but whose type or
description gives no unit in brackets (``[m]``, ``[lx]``, ``[deg]``, ``[1]``, ...).

    PYTHONPATH=src python tools/check_docstrings.py [--methods]

Exit status 0 always: it is a report for people, not a test.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from numpydoc.docscrape import ClassDoc, FunctionDoc  # noqa: E402

import cpted_sim as cs  # noqa: E402

#: argument names that carry a physical quantity (so their docs need a unit)
PHYSICAL = re.compile(
    r"(distance|height|spacing|radius|radii|length|width|size|position|origin|point|target|"
    r"observer|eye|direction|normal|facing|angle|azimuth|tilt|spin|fov|flux|intensity|candela|"
    r"lux|lx|threshold|illuminance|^e_|_e$|e_sc|reflectance|transmittance|offset|tolerance|"
    r"area|bounds|xmin|ymin|xmax|ymax|^x|^y|^z|^s$|^w$|path|route|peak|i0|dark|min_|max_)",
    re.I)
UNIT = re.compile(r"\[[^\]]*\]")
SKIP = {"self", "cls", "args", "kwargs"}


def _params(obj) -> list[str]:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.name not in SKIP and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _unitless(p) -> bool:
    """A file name, an object of a cpted_sim class or a unit vector needs no unit."""
    text = p.type + " " + " ".join(p.desc)
    return bool(re.search(r"\b(str|path-like|PathLike|Path|file)\b", p.type)
                or re.match(r"\s*[A-Z][A-Za-z]+\b(?! ?\()", p.type)
                or re.search(r"unit (length )?vector|normali[sz]ed|unit-length|direction", text)
                or re.match(r"\s*(As in|See) :", " ".join(p.desc)))  # described elsewhere


def check(qualname: str, obj, doc) -> list[str]:
    """Gaps of one callable whose parsed numpydoc docstring is ``doc``."""
    if not inspect.getdoc(obj):
        return [f"{qualname}: no docstring"]
    names = _params(obj)
    section = doc["Parameters"] + doc["Other Parameters"]
    if names and not section:
        attrs = {a.name for a in doc["Attributes"]} if "Attributes" in doc else set()
        if attrs and set(names) <= attrs:
            return []  # a record class whose fields are its Attributes
        where = f"; Attributes describe {len(attrs & set(names))} of them" if attrs else ""
        return [f"{qualname}: no Parameters section ({', '.join(names)}){where}"]
    out = []
    documented = {}
    for p in section:
        for n in re.split(r"\s*,\s*", p.name):
            documented[n.strip().lstrip("*")] = p
    undocumented = [n for n in names if n not in documented]
    if undocumented:
        out.append(f"{qualname}: parameters not described: {', '.join(undocumented)}")
    no_unit = [n for n, p in documented.items()
               if n in names and PHYSICAL.search(n) and not _unitless(p)
               and not UNIT.search(p.type + " " + " ".join(p.desc))]
    if no_unit:
        out.append(f"{qualname}: no unit in brackets for: {', '.join(no_unit)}")
    empty = [n for n, p in documented.items() if n in names and not " ".join(p.desc).strip()
             and not PHYSICAL.search(n) and n not in ("scene", "grid", "self")]
    if empty:
        out.append(f"{qualname}: empty description for: {', '.join(empty)}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", action="store_true", help="also check public methods")
    args = ap.parse_args(argv)
    gaps = []
    warnings.simplefilter("ignore")
    for name in cs.__all__:
        obj = getattr(cs, name)
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            doc = ClassDoc(obj, config={"show_class_members": False})
            gaps += check(f"cs.{name}", obj, doc)
            if args.methods:
                for mname, member in inspect.getmembers(obj):
                    if mname.startswith("_") or not callable(member):
                        continue
                    if getattr(member, "__module__", "") and not str(
                            getattr(member, "__module__", "")).startswith("cpted_sim"):
                        continue
                    gaps += check(f"cs.{name}.{mname}", member, FunctionDoc(member))
        elif callable(obj):
            gaps += check(f"cs.{name}", obj, FunctionDoc(obj))
    for g in gaps:
        print(g)
    print(f"{len(gaps)} gaps", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
