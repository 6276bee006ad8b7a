"""The demo's reports layer (issue 14 build 7): the shipped file, and the demo's triage."""

from __future__ import annotations

import csv
import importlib.util
from argparse import Namespace
from pathlib import Path

import numpy as np

from cpted_sim.io.citizen_reports import read_reports
from cpted_sim.scenario.demo import DEMO_REPORTS_FILE, demo_scenario_path

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("make_demo_reports",
                                                  ROOT / "tools" / "make_demo_reports.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shipped_reports_equal_what_the_tool_writes():
    shipped = (demo_scenario_path().parent / DEMO_REPORTS_FILE).read_text(encoding="utf-8")
    assert shipped == _tool().text()


def test_demo_reports_read_as_signalen_geojson_in_the_street():
    r = read_reports(demo_scenario_path().parent / DEMO_REPORTS_FILE, epsg=28992)
    tool = _tool()
    assert len(r) == sum(g[1] for g in tool.GROUPS) == 28
    assert np.all((r.xy[:, 0] >= 0) & (r.xy[:, 0] <= 80))
    assert np.all((r.xy[:, 1] >= -7) & (r.xy[:, 1] <= 12))
    assert not np.any(np.isnat(r.times))
    assert all(t == "" for t in r.texts)              # the public feed carries no text


def test_demo_triage_writes_its_outputs(tmp_path):
    from cpted_sim.cli import _demo_triage
    from cpted_sim.io.scenario_file import load_scenario

    sc = load_scenario(demo_scenario_path())
    out = tmp_path / "triage"
    assert _demo_triage(Namespace(quiet=True), sc, out) == 0
    for name in ("places.csv", "reports.csv", "measures.csv", "triage.html", "triage.md"):
        assert (out / name).is_file(), name
    rows = list(csv.DictReader(open(out / "places.csv", encoding="utf-8")))
    # measured: 3 places with a deficit, the side path (14 reports) first, a pole best
    assert len(rows) >= 2
    first = rows[0]
    assert 30 <= float(first["x"]) <= 46 and -7 <= float(first["y"]) <= 2
    assert int(first["n_reports"]) >= 9
    assert first["best_measure"]
