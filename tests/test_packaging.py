"""pyproject.toml tells the truth: what ``src/`` imports is declared, the pins match what
``make compat`` tests, and Python 3.10 gets ``tomli``."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cpted_sim"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
COMPAT = ROOT / "tools" / "compat.sh"


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(group: str | None = None) -> dict[str, Requirement]:
    items = PROJECT["dependencies"] if group is None else PROJECT["optional-dependencies"][group]
    return {_canon(r.name): r for r in map(Requirement, items)}


def _all_declared() -> set[str]:
    names = set(_requirements())
    for group in PROJECT["optional-dependencies"]:
        names |= set(_requirements(group))
    return names


def _guarded(node, parents) -> bool:
    """Inside a function body or a ``try`` that handles ImportError (an optional import)."""
    for p in parents:
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return True
        if isinstance(p, ast.Try) and any(
                h.type is None or any(n in ast.unparse(h.type)
                                      for n in ("ImportError", "ModuleNotFoundError"))
                for h in p.handlers):
            return True
    return False


def _third_party_imports():
    """Yield (top-level module, file:line, guarded) for every absolute import in src/."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack = [(tree, ())]
        while stack:
            node, parents = stack.pop()
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top != "cpted_sim" and top not in STDLIB:
                    yield top, f"{path.relative_to(ROOT)}:{node.lineno}", _guarded(node, parents)
            for child in ast.iter_child_nodes(node):
                stack.append((child, (*parents, node)))


# The standard library of the newest Python allowed (tomllib is standard from 3.11 on).
STDLIB = set(sys.stdlib_module_names) | {"tomllib"}

# A module whose distribution has another name.
DISTRIBUTION = {"mapbox_earcut": "mapbox-earcut", "PIL": "pillow"}


def test_every_third_party_module_is_declared():
    declared, base = _all_declared(), set(_requirements())
    found = list(_third_party_imports())
    assert {"numpy", "numba", "llvmlite"} <= {m for m, _, _ in found}  # the scan sees imports
    for module, where, guarded in found:
        dist = _canon(DISTRIBUTION.get(module, module))
        assert dist in declared, f"{where}: imports {module}, not declared in pyproject.toml"
        if not guarded:  # imported with the package: must come with a plain install
            assert dist in base, (f"{where}: imports {module} at module level, but it is only "
                                  "in an extra; import it lazily or make it a dependency")


def test_python_3_10_gets_tomli_and_3_11_does_not():
    spec = SpecifierSet(PROJECT["requires-python"])
    lowest = min(Version(s.version) for s in spec if s.operator == ">=")
    assert lowest < Version("3.11")  # so the fallback is needed at all
    tomli = _requirements()["tomli"]
    assert tomli.marker is not None, "tomli without a python_version marker"
    assert tomli.marker.evaluate({"python_version": "3.10"})
    assert not tomli.marker.evaluate({"python_version": "3.11"})


def test_every_tomllib_import_falls_back_to_tomli():
    files = [*SRC.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "tools").rglob("*.py")]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            body = ast.unparse(ast.Module(body=node.body, type_ignores=[]))
            if "import tomllib" in body:
                handlers = " ".join(ast.unparse(h) for h in node.handlers)
                assert "import tomli as tomllib" in handlers, f"{path}:{node.lineno}"
        # and no bare import outside such a try
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^( *)import tomllib\b", text, re.M):
            before = text[:m.start()].rstrip().splitlines()[-1]
            assert before.strip() == "try:", \
                f"{path}:{text[:m.start()].count(chr(10)) + 1}: import tomllib without a tomli fallback"


def _upper(req: Requirement) -> Version:
    uppers = [Version(s.version) for s in req.specifier if s.operator == "<"]
    assert uppers, f"{req}: no upper bound; the LLVM intrinsics are tested on a range only"
    return min(uppers)


def _lower(req: Requirement) -> Version:
    lowers = [Version(s.version) for s in req.specifier if s.operator == ">="]
    assert lowers, f"{req}: no lower bound"
    return max(lowers)


@pytest.mark.parametrize("name", ["numba", "llvmlite"])
def test_numba_and_llvmlite_are_pinned_to_the_tested_range(name):
    req = _requirements()[name]
    low, high = _lower(req), _upper(req)
    assert low < high
    # tools/compat.sh installs exactly the lowest and the highest minor release allowed
    text = COMPAT.read_text(encoding="utf-8")
    pins = {}
    for which in ("LOW", "HIGH"):
        m = re.search(rf'^{which}_PINS="([^"]*)"', text, re.M)
        assert m, f"{COMPAT}: no {which}_PINS"
        spec = [p for p in m.group(1).split() if p.startswith(f"{name}==")]
        assert spec, f"{COMPAT}: {which}_PINS does not pin {name}"
        pins[which] = Version(spec[0].split("==")[1].rstrip(".*"))
    assert pins["LOW"].release[:2] == low.release[:2], (pins, req)
    assert pins["LOW"] in req.specifier and pins["HIGH"] in req.specifier, (pins, req)
    # the highest pinned minor is the last the upper bound lets through
    next_minor = Version(f"{pins['HIGH'].major}.{pins['HIGH'].minor + 1}")
    assert next_minor >= high, f"{req} allows {name} newer than {pins['HIGH']}, untested"


def test_compatibility_page_records_a_compat_run():
    page = (ROOT / "docs" / "compatibility.md").read_text(encoding="utf-8")
    req = _requirements()["numba"]
    # the page names the lowest and the highest numba it ran, and where it is in the docs
    assert f"numba {_lower(req).major}.{_lower(req).minor}" in page
    high = _upper(req)
    assert f"numba {high.major}.{high.minor - 1}" in page
    assert "compatibility" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")


def test_source_parses_as_the_oldest_python_allowed():
    """Syntax newer than ``requires-python`` (``except*``, ...) would break the oldest."""
    spec = SpecifierSet(PROJECT["requires-python"])
    lowest = min(Version(s.version) for s in spec if s.operator == ">=")
    for path in SRC.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path),
                  feature_version=lowest.release[:2])
