"""The one-way layer rule of docs/architecture.md ("Layers"), read from the imports with ``ast``.

No exception: imports by ``importlib.import_module("cpted_sim....")`` or ``__import__`` count
as imports, so the rule cannot be bent by looking a module up at call time.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "cpted_sim"

LAYERS = {
    "errors": 0, "names": 0, "_version": 0, "_modules": 0, "config": 0, "_jit": 0, "_validate": 0, "_files": 0, "units": 0,
    "kernels": 1,
    "geometry": 2, "photometry": 2, "field": 2,
    "lighting": 3, "visibility": 3,
    "metrics": 4,
    "scenario": 5, "triage": 5,
    "io": 6, "plot": 6, "city": 6,
    "cli": 7, "__main__": 7, "__init__": 7,
}

THIRD_PARTY_ALLOWED = {
    0: {"numpy", "numba"},
    1: {"numpy", "numba", "llvmlite"},  # llvmlite: Numba's code generator, for intrinsics
    2: {"numpy", "numba", "scipy", "trimesh", "embreex"},
    3: {"numpy", "numba", "scipy", "tqdm"},
    4: {"numpy", "scipy"},
    5: {"numpy", "scipy", "tqdm"},
}

STDLIB_OK = set(sys.stdlib_module_names)


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).with_suffix("")
        yield path, rel.parts


def _layer_of(parts: tuple[str, ...]) -> int:
    return LAYERS[parts[0]]


def _imports(path: Path, parts: tuple[str, ...]):
    """Yield (top-level package or cpted_sim subpath parts, lineno, is_lazy)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg_parts = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    for node in ast.walk(tree):
        lazy = False
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split("."), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield (node.module or "").split("."), node.lineno
            else:
                base = list(pkg_parts[: len(pkg_parts) - (node.level - 1)])
                mod = (node.module or "").split(".") if node.module else []
                target = ["cpted_sim", *base, *mod]
                if not node.module:
                    for alias in node.names:
                        yield [*target, alias.name], node.lineno
                else:
                    yield target, node.lineno
        elif isinstance(node, ast.Call) and _dynamic_import_name(node) is not None:
            yield _dynamic_import_name(node).split("."), node.lineno
        del lazy


def _dynamic_import_name(node: ast.Call) -> str | None:
    """The module named by ``importlib.import_module("...")`` / ``__import__("...")``."""
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    if name not in {"import_module", "__import__"} or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return "<computed>"  # a computed name: the rule cannot be checked, so it is refused


@pytest.mark.parametrize("path,parts", list(_modules()), ids=lambda v: "/".join(v) if isinstance(v, tuple) else "")
def test_layer_rule(path, parts):
    own = _layer_of(parts)
    for target, lineno in _imports(path, parts):
        top = target[0]
        if top == "<computed>":   # below the leaves, a computed name could hide an upward import
            assert own >= 6, f"{'/'.join(parts)}.py:{lineno}: import of a computed name"
            continue
        where = f"{'/'.join(parts)}.py:{lineno} imports {'.'.join(target)}"
        if top == "cpted_sim":
            if len(target) == 1 or target[1] not in LAYERS:
                assert own == 7, f"{where}: only the CLI may import the package root"
                continue
            sub = target[1]
            assert sub in LAYERS, f"{where}: unknown module"
            other = LAYERS[sub]
            assert other <= own, f"{where}: upward import (L{own} -> L{other})"
            assert sub != "cli" or own == 7, f"{where}: nothing imports the CLI"
            if own == 3 and other == 3:
                assert sub == parts[0], f"{where}: lighting and visibility never import each other"
            if own == 1:
                assert sub in {"kernels", "_jit", "errors"}, (
                    f"{where}: kernels use only numpy, numba, _jit (and errors, Python side)")
        elif top in STDLIB_OK:
            continue
        elif own in THIRD_PARTY_ALLOWED:
            assert top in THIRD_PARTY_ALLOWED[own], f"{where}: not allowed in layer L{own}"
        # L6 and L7 may use any third-party package (matplotlib lives there).


def test_matplotlib_only_in_plot_and_cli():
    for path, parts in _modules():
        if parts[0] in {"plot", "cli", "io"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert "matplotlib" not in text, f"{'/'.join(parts)}: matplotlib outside plot/"


def test_trimesh_is_imported_lazily_in_layer_2():
    """trimesh may appear in L2 only inside functions (engine adapters), never at module top."""
    for path, parts in _modules():
        if _layer_of(parts) != 2:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for n in names:
                    assert not n.startswith(("trimesh", "embreex")), (
                        f"{'/'.join(parts)}.py:{node.lineno}: {n} must be imported lazily"
                    )


def test_test_file_basenames_are_unique():
    """pytest's default import mode needs unique test module names across folders."""
    tests = Path(__file__).resolve().parent
    seen: dict[str, Path] = {}
    for path in tests.rglob("test_*.py"):
        assert path.name not in seen, f"{path} and {seen[path.name]} share a basename"
        seen[path.name] = path


def test_dynamic_imports_are_checked_too():
    """The rule sees ``importlib.import_module``: the old ``Comparison.to_report`` would fail."""
    tree = ast.parse('import importlib\nimportlib.import_module("cpted_sim.io.report")\n')
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert _dynamic_import_name(call) == "cpted_sim.io.report"
    tree = ast.parse('__import__(name)\n')
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert _dynamic_import_name(call) == "<computed>"
