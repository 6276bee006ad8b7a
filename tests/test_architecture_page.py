"""docs/architecture.md names only modules that exist and public functions that are exported."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import cpted_sim as cs

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
PKG = ROOT / "src" / "cpted_sim"

_CODE = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"^[a-z_][a-z0-9_]*(/[a-z_][a-z0-9_]*)*(\.py|/)$")
_PUBLIC = re.compile(r"\bcs\.([A-Za-z_]\w*)")
# `kernels/direct.py` (`direct_illuminance`, `geometric_factor`): names defined in that module
_MODULE_NAMES = re.compile(r"`([a-z_/]+\.py)`,? \(((?:`\w+`(?:, |\)))+)")


def _text() -> str:
    return PAGE.read_text(encoding="utf-8")


def _path_of(token: str) -> Path:
    top = token.split("/", 1)[0]
    return ROOT / token if top in {"tests", "docs", "benchmarks", "examples", "src"} else PKG / token


def test_every_module_the_page_names_exists():
    names = [t for t in _CODE.findall(_text()) if _PATH.match(t)]
    assert len(names) > 60, names  # the page names the modules it describes (98 when written)
    missing = [t for t in names if not _path_of(t).exists()]
    assert not missing, f"docs/architecture.md names missing modules: {missing}"


def test_every_public_function_the_page_names_is_exported():
    named = set(_PUBLIC.findall(_text()))
    assert {"illuminance", "run", "compare", "write_report", "isovist"} <= named
    missing = sorted(n for n in named if n not in cs.__all__)
    assert not missing, f"docs/architecture.md names cs.{missing} (not in cpted_sim.__all__)"


def test_every_function_named_beside_a_module_is_defined_there():
    pairs = _MODULE_NAMES.findall(_text())
    assert len(pairs) > 5, pairs  # 10 when written
    missing = []
    for path, names in pairs:
        mod = importlib.import_module("cpted_sim." + path[:-3].replace("/", "."))
        missing += [f"{path}: {n}" for n in re.findall(r"`(\w+)`", names) if not hasattr(mod, n)]
    assert not missing, f"docs/architecture.md names undefined functions: {missing}"


def test_no_docstring_cites_the_design_outside_the_repository():
    """The design of record is docs/architecture.md; the shared design page is not in a clone."""
    old = "DESIGN" + ".md"   # spelt in two parts so that this file does not cite it
    stale = [str(p.relative_to(ROOT)) for base in ("src", "tests", "docs")
             for p in (ROOT / base).rglob("*") if p.suffix in {".py", ".md"}
             and old in p.read_text(encoding="utf-8")]
    stale += ["README.md"] if old in (ROOT / "README.md").read_text(encoding="utf-8") else []
    assert not stale, f"cite docs/architecture.md instead of {old} in: {stale}"
