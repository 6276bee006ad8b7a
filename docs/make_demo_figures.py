"""Regenerate the README's demo picture and table from the demo scenario.

Run from the repository root::

    python docs/make_demo_figures.py

It runs the demo (base and both variants), writes the report into a temporary folder, copies
the headline map (dark and unseen on the side path) to ``docs/demo_dark_and_unseen.png`` and
prints the Markdown table that the README shows.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import cpted_sim as cs  # noqa: E402
from cpted_sim.scenario.demo import demo_scenario_path  # noqa: E402

ROWS = [("side_path", "dark_unseen_area"), ("side_path", "E_avg"), ("side_path", "dark_pct"),
        ("side_path", "unobserved_pct"), ("side_path", "night_surveyed_pct"),
        ("side_path", "night_dark_unseen_area"),
        ("path_route", "longest_unobserved_m"), ("street", "class_achieved")]


def _cell(cmp, variant, area, metric):
    res = cmp.base if variant == "base" else next(v for v in cmp.variants if v.variant == variant)
    met = res.areas[area].metrics[metric]
    if met.unit == "class":
        return met.label
    unit = {"m2": " m²", "%": " %", "lx": " lx", "m": " m", "1": ""}[met.unit]
    return f"{met.value:.3g}{unit}"


def main() -> None:
    cmp = cs.compare(cs.load_scenario(demo_scenario_path()), quiet=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmp.to_report(tmp)
        shutil.copy(Path(tmp) / "map_side_path_dark_and_unseen.png",
                    ROOT / "docs" / "demo_dark_and_unseen.png")
    names = ["base"] + [v.variant for v in cmp.variants]
    print("| area | metric | " + " | ".join(names) + " |")
    print("|---|---|" + "--:|" * len(names))
    for area, metric in ROWS:
        cells = [_cell(cmp, n, area, metric) for n in names]
        print(f"| {area} | {metric} | " + " | ".join(cells) + " |")
    for text in cmp.verdicts.values():
        print(f"\n{text}")


if __name__ == "__main__":
    main()
