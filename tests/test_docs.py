"""The documentation site hangs together (without building it: Sphinx runs in ``make docs``).

Every page in ``docs/`` is reachable from the front page's table of contents, every relative
link and image in the pages and the README points to a file that exists, every public name is
in the API reference and every subcommand and option of ``cpted-sim`` is on the CLI page.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

import cpted_sim as cs
from cpted_sim.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))

_FENCE = re.compile(r"^(`{3,}|~{3,})(.*?)$(.*?)^\1\s*$", re.S | re.M)
_INLINE_CODE = re.compile(r"(`+).+?\1", re.S)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_SRC = re.compile(r"""<(?:img|a)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


def _prose(text: str) -> str:
    """The text without fenced code blocks and inline code (links there are examples)."""
    text = _FENCE.sub(lambda m: m.group(3) if m.group(2).strip() == "{toctree}" else "", text)
    return _INLINE_CODE.sub("", text)


def _toctree_entries(page: Path) -> list[str]:
    """Documents named in the page's ``{toctree}`` blocks (options and blank lines skipped)."""
    out = []
    for m in _FENCE.finditer(page.read_text(encoding="utf-8")):
        if m.group(2).strip() != "{toctree}":
            continue
        for line in m.group(3).splitlines():
            line = line.strip()
            if not line or line.startswith(":"):
                continue
            target = re.search(r"<([^>]+)>\s*$", line)  # "Title <doc>"
            out.append(target.group(1) if target else line)
    return out


def _doc_source(doc: str, base: Path) -> Path | None:
    """The source file of a Sphinx document name; the gallery maps back to ``examples/``."""
    target = (base / doc).resolve()
    if target.is_relative_to(DOCS.resolve() / "auto_examples"):
        name = target.name
        src = ROOT / "examples" / ("README.rst" if name == "index" else f"{name}.py")
        return src if src.is_file() else None
    for p in (target, target.with_suffix(".md"), target.with_suffix(".rst")):
        if p.suffix in (".md", ".rst") and p.is_file():
            return p
    return None


def test_index_toctree_reaches_every_page():
    index = DOCS / "index.md"
    assert index.is_file()
    reached, todo, dangling = {index.resolve()}, [index], []
    while todo:
        page = todo.pop()
        for doc in _toctree_entries(page):
            src = _doc_source(doc, page.parent)
            if src is None:
                dangling.append(f"{page.name}: {doc}")
            elif src.suffix == ".md" and src.resolve() not in reached:
                reached.add(src.resolve())
                todo.append(src)
    assert not dangling, f"toctree entries without a source file: {dangling}"
    unreached = [p.name for p in PAGES if p.resolve() not in reached]
    assert not unreached, f"pages not in the index toctree (add them to docs/index.md): {unreached}"


def _links(page: Path) -> list[str]:
    prose = _prose(page.read_text(encoding="utf-8"))
    return _LINK.findall(prose) + _HTML_SRC.findall(prose)


@pytest.mark.parametrize("page", [*PAGES, ROOT / "README.md"], ids=lambda p: p.name)
def test_relative_links_and_images_exist(page):
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # http:, https:, mailto:, same-page anchors
        path = target.split("#", 1)[0].split("?", 1)[0]
        if (page.parent / path).exists() or _doc_source(path, page.parent) is not None:
            continue
        broken.append(target)
    assert not broken, f"{page.name}: links to missing files: {broken}"


def test_link_checker_sees_links_outside_code():
    """The link pattern finds links and images in prose, and ignores code."""
    page = "see [a](a.md) and ![b](img/b.png \"t\"), `[c](c.md)`\n```python\nx[d](e)\n```\n"
    prose = _prose(page)
    assert _LINK.findall(prose) == ["a.md", "img/b.png"]


def test_every_public_name_is_in_the_api_reference():
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [n for n in cs.__all__ if not re.search(rf"\bcpted_sim\.{re.escape(n)}\b", api)]
    assert not missing, f"docs/api.md does not mention: {missing}"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("cpted-sim has no subcommands")


def test_every_cli_subcommand_and_option_is_documented():
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    missing = [o for a in parser._actions for o in a.option_strings
               if o not in ("-h", "--help") and o not in page]
    for name, sub in _subcommands(parser).items():
        if f"## `cpted-sim {name}`" not in page:
            missing.append(f"section cpted-sim {name}")
        section = page.split(f"## `cpted-sim {name}`", 1)[-1].split("\n## ", 1)[0]
        missing += [f"{name} {o}" for a in sub._actions if a.help != argparse.SUPPRESS
                    for o in a.option_strings if o not in ("-h", "--help") and o not in section]
        missing += [f"{name} {a.metavar or a.dest}" for a in sub._actions
                    if not a.option_strings and (a.metavar or a.dest) not in section]
    assert not missing, (f"docs/cli.md lacks {missing}; regenerate its reference with "
                         "`PYTHONPATH=src python tools/make_cli_doc.py`")


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("plot_*.py")),
                         ids=lambda p: p.name)
def test_gallery_examples_have_a_title(example):
    """sphinx-gallery needs a docstring whose first line is a title underlined with ``=``."""
    doc = ast.get_docstring(ast.parse(example.read_text(encoding="utf-8")), clean=False)
    assert doc, f"{example.name} has no module docstring"
    lines = doc.strip().splitlines()
    assert len(lines) >= 2 and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), (
        f"{example.name}: the docstring must open with a title underlined by '='")


def _literal_quantities() -> dict[str, str]:
    """Quantity names written as literals in ``src/``: ``Field(values, grid, "name", ...)``,
    ``quantity="name"`` keywords and the scenario masks ``below(f, t, "name")``."""
    found = {}
    for path in sorted((ROOT / "src" / "cpted_sim").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            args = []
            if name in ("Field", "below", "both") and len(node.args) >= 3:
                args.append(node.args[2])
            args += [k.value for k in node.keywords if k.arg == "quantity"]
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    found[a.value] = f"{rel}:{a.lineno}"
    return found


def test_every_field_quantity_is_in_the_nomenclature():
    from cpted_sim.lighting.illuminance import QUANTITIES
    from cpted_sim.visibility.isovist import ISOVIST_UNITS

    page = (DOCS / "nomenclature.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([^`]+)`", page))
    names = _literal_quantities()
    assert {"E_sc", "surveillance_count", "dark_and_unseen"} <= set(names)  # the scan works
    names.update({q: "lighting.illuminance.QUANTITIES" for q in QUANTITIES.values()})
    names.update({f"isovist_{k}": "visibility.isovist.ISOVIST_UNITS" for k in ISOVIST_UNITS})
    missing = sorted(f"{q} ({where})" for q, where in names.items() if q not in listed)
    assert not missing, f"docs/nomenclature.md does not list: {missing}"


def test_autodoc_runs_inside_eval_rst():
    """MyST would show the reST that autodoc generates as raw text: use ``{eval-rst}`` blocks."""
    bad = [p.name for p in PAGES
           if re.search(r"^(`{3,}|:{3,})\{auto(class|function|exception|data|module|method)\}",
                        p.read_text(encoding="utf-8"), re.M)]
    assert not bad, f"autodoc directives outside an eval-rst block in {bad}"


def test_front_page_quickstart_runs():
    """The Python quickstart on the front page runs as written and finds the wall's shadow."""
    import numpy as np

    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "index.md").read_text(encoding="utf-8"),
                        re.S)
    assert blocks, "docs/index.md has no python quickstart"
    namespace: dict = {}
    exec(compile(blocks[0], "docs/index.md", "exec"), namespace)  # noqa: S102 - our own page
    e_h = namespace["E_h"]
    assert e_h.quantity == "E_h" and e_h.unit == "lx"
    pts = e_h.grid.points
    behind = (pts[:, 0] > 2.2) & (pts[:, 0] < 3.0) & (np.abs(pts[:, 1]) < 1.0)  # wall at x = 2
    assert e_h.values[behind].max() == 0.0 and e_h.values.max() > 10.0
