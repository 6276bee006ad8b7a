"""Write the reference part of ``docs/cli.md`` from ``cpted_sim.cli.build_parser()``.

Run ``PYTHONPATH=src python tools/make_cli_doc.py`` after changing the command line; the text
between the ``<!-- cli-reference -->`` markers is replaced, the prose around it is kept.
``tests/test_docs.py`` checks that every subcommand and option is in the page.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PAGE = ROOT / "docs" / "cli.md"
BEGIN, END = "<!-- cli-reference: begin (tools/make_cli_doc.py) -->", "<!-- cli-reference: end -->"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            return {name: (helps.get(name, ""), p) for name, p in action.choices.items()}
    return {}


def _rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for a in parser._actions:
        if a.help == argparse.SUPPRESS or isinstance(a, (argparse._HelpAction,
                                                         argparse._SubParsersAction)):
            continue
        if a.option_strings:
            name = ", ".join(a.option_strings)
            if a.nargs != 0:
                name += f" {a.metavar or a.dest.upper()}"
        else:
            name = a.metavar or a.dest
            if a.nargs in ("+", "*"):
                name += " ..."
        need = "required" if a.required or not a.option_strings else "optional"
        rows.append(f"| `{name}` | {need} | {a.help or ''} |")
    return rows


def reference() -> str:
    """The generated Markdown: usage and an option table for the program and each subcommand."""
    os.environ["COLUMNS"] = "100"
    from cpted_sim.cli import build_parser

    parser = build_parser()
    out = [BEGIN, "", "## Global options", "",
           "Given before the subcommand (`cpted-sim --threads 2 run ...`); every subcommand but "
           "`info` also accepts them after its name.", "",
           "```text", parser.format_usage().strip(), "```", "",
           "| option | | meaning |", "|---|---|---|", *_rows(parser), ""]
    for name, (help_text, sub) in _subparsers(parser).items():
        out += [f"## `cpted-sim {name}`", "", help_text[:1].upper() + help_text[1:] + ".", "",
                "```text", sub.format_usage().strip(), "```", ""]
        rows = _rows(sub)
        if rows:
            out += ["| argument | | meaning |", "|---|---|---|", *rows, ""]
        else:
            out += ["No arguments besides the global options.", ""]
    out.append(END)
    return "\n".join(out)


def main() -> int:
    text = PAGE.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{PAGE}: the markers {BEGIN!r} ... {END!r} are missing")
    PAGE.write_text(pattern.sub(lambda m: reference(), text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
