"""The report's explaining sections: descriptions, luminaire schedule, EN 13201-2 checks and
provenance, in the data, the HTML and the Markdown."""

from __future__ import annotations

import hashlib
import html as html_mod
import json
import math
import re
import sys
import textwrap
import warnings
from pathlib import Path

import numba
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _hedge_yard import DESCRIPTION, VARIANT_DESCRIPTION, hedge_yard  # noqa: E402

from cpted_sim.io.report import write_report  # noqa: E402
from cpted_sim.io.report_sections import (OVER_LIGHTING, en13201_checks,  # noqa: E402
                                          luminaire_schedule, provenance_rows, render_html,
                                          render_md)
from cpted_sim.io.scenario_file import loads_scenario  # noqa: E402
from cpted_sim.scenario.compare import compare  # noqa: E402
from cpted_sim.scenario.provenance import SOURCE_KEY  # noqa: E402


@pytest.fixture(scope="module")
def yard():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 14 yard points inside the hedge, tested elsewhere
        return compare(hedge_yard())


@pytest.fixture(scope="module")
def written(yard, tmp_path_factory):
    out = tmp_path_factory.mktemp("sections")
    files = write_report(yard, out, maps=False, meshes=False)
    return (files["report.html"].read_text(encoding="utf-8"),
            files["report.md"].read_text(encoding="utf-8"),
            json.loads(files["metrics.json"].read_text(encoding="utf-8")))


def test_descriptions_of_the_scenario_and_the_variants_are_shown_escaped(written):
    page, md, _ = written
    section = page[page.index('id="scenario"'):page.index('id="verdicts"')]
    assert html_mod.escape(DESCRIPTION) in section and "<b>with</b>" not in page
    assert f"more light: {VARIANT_DESCRIPTION}" in section
    assert "A yard &lt;b>with&lt;/b> a hedge &amp; a door" in md  # md_escape: no tag starts
    assert md.index("## Scenario and variants") < md.index("## Verdict")


def test_luminaire_schedule_counts_alike_luminaires_per_variant(yard, written):
    rows = luminaire_schedule(yard)
    assert [(r["variant"], r["count"]) for r in rows] == [("base", 1), ("more light", 2)]
    for r in rows:
        # an isotropic 1000 cd source sends 4 pi 1000 lm (the table integrated: 12 566 lm)
        assert r["flux_lm"] == pytest.approx(4 * math.pi * 1000.0, rel=1e-3)
        assert r["maintenance_factor"] == 0.8
        assert r["height_m"] == pytest.approx(5.0, abs=0.05)  # above the ground below it
        assert (r["azimuth"], r["tilt"], r["spin"]) == (0.0, 0.0, 0.0)
        assert r["file"] == "builtin:isotropic"
    assert rows[1]["names"] == ["L1", "L2"]
    page, md, doc = written
    lum = page[page.index('id="luminaires"'):]
    assert "<td class=\"t\">12,566</td>" in lum and "<td class=\"t\">0.80</td>" in lum
    assert "| more light | 2 | isotropic point source | builtin:isotropic | 12,566 | 0.80 | 5.0 |" \
        in md
    assert doc["luminaire_schedule"][1]["count"] == 2


def test_over_lighting_and_uniformity_are_flagged_against_en13201_2(yard, written):
    checks = {c["variant"]: c for c in en13201_checks(yard)}
    base, lit = checks["base"], checks["more light"]
    # P5: average 3 lx, minimum 0.6 lx; measured averages 3.85 and 8.24 lx, minimum 0 (hedge)
    assert not base["over_lit"] and base["e_avg"] <= OVER_LIGHTING * 3.0
    assert lit["over_lit"] and lit["e_avg"] > OVER_LIGHTING * 3.0
    assert "over-lit" in lit["text"] and "4.5 lx" in lit["text"]
    assert not base["min_met"] and "uniformity not met" in base["text"]
    page, md, doc = written
    assert 'id="en13201"' in page and "OVER-LIT" in page and "NOT MET" in page
    assert "## EN 13201-2: over-lighting and uniformity" in md
    assert [c["over_lit"] for c in doc["en13201"]] == [False, True]


def test_provenance_names_the_file_hash_light_values_threads_and_versions(tmp_path):
    text = textwrap.dedent('''\
        name = "tiny"
        description = "one lamp, one door"
        [scene]
        builtin = "quads"
        group = "ground"
        params = { quads = [[[0, 0, 0], [20, 0, 0], [20, 20, 0], [0, 20, 0]]] }
        [[luminaires]]
        name = "L1"
        photometry = { builtin = "isotropic", intensity_cd = 400.0 }
        position = [5.0, 10.0, 5.0]
        maintenance_factor = 0.7
        [[areas]]
        name = "yard"
        kind = "grid"
        polygon = [[1, 1], [19, 1], [19, 19], [1, 19]]
        spacing = 3.0
        quantities = ["E_h"]
        [[variants]]
        name = "B"
        description = "tilted"
        [[variants.changes]]
        op = "aim_luminaire"
        name = "L1"
        tilt = 10.0
        ''')
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    sc = loads_scenario(text, path=path)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert sc.assets[SOURCE_KEY] == {"path": str(path), "sha256": sha}
    assert sc.apply("B").assets[SOURCE_KEY]["sha256"] == sha
    c = compare(sc, threads=1)
    assert c.variants[0].settings["provenance"]["variant_description"] == "tilted"
    rows = dict(provenance_rows(c))
    assert rows["scenario file SHA-256"] == sha
    assert rows["scenario file"] == "tiny.toml"  # the name only: no folders in the report
    assert rows["base: light"] == ("direct light only (no reflections); maintained values "
                                   "(maintenance factor 0.7)")
    assert rows["B: run"].startswith("threads 1, engine numba")
    assert f"numba {numba.__version__}" in rows["versions"]
    assert f"numpy {np.__version__}" in rows["versions"]
    files = write_report(c, tmp_path / "out", maps=False, meshes=False)
    page = files["report.html"].read_text(encoding="utf-8")
    assert sha in page[page.index('id="provenance"'):]
    assert "tilted" in page and "one lamp, one door" in page
    assert json.loads(files["metrics.json"].read_text())["provenance"]["scenario file SHA-256"] \
        == sha


def test_new_sections_are_linked_and_ordered(written):
    page, md, _ = written
    for sid in ("scenario", "reasons", "en13201", "luminaires", "provenance"):
        assert f'id="{sid}"' in page, sid
    for t in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{t}"' in page, t
    order = [page.index(f'id="{s}"') for s in ("scenario", "verdicts", "metric-table",
                                                 "reasons", "en13201", "maps", "luminaires",
                                                 "provenance")]
    assert order == sorted(order)
    assert md.index("## Metrics") < md.index("## Why these numbers") < md.index("## Maps") \
        < md.index("## Luminaires") < md.index("## Provenance")


def test_long_tables_fold_in_html_and_stay_whole_in_markdown():
    rows = [[str(i)] for i in range(40)]
    h = render_html(("x", "T", [("table", ["n"], rows, "40 rows")]))
    assert h.count("<details><summary>40 rows</summary><table>") == 1 and h.count("<tr>") == 41
    md = render_md(("x", "T", [("table", ["n"], rows, "40 rows")]))
    assert md[2] == "40 rows" and sum(ln.startswith("| ") for ln in md) == 41


def test_renderers_escape_every_string():
    sec = ("x", "T <i>", [("p", "a <script>"), ("ul", ["*b*", "c & d"]),
                          ("table", ["h|1"], [["<td>"]])])
    h = render_html(sec)
    assert "<script>" not in h and "&lt;script&gt;" in h and "&lt;td&gt;" in h
    md = "\n".join(render_md(sec))
    assert "&lt;script>" in md and r"\*b\*" in md and r"h\|1" in md and "c &amp; d" in md


def test_points_inside_buildings_are_warned_once_per_variant(written):
    page, md, doc = written
    msgs = [w["message"] for w in doc["warnings"] if w["variant"] == "base"]
    # the run's own warning: "area 'yard': 14 of 676 (2 %) points lie inside buildings ..."
    assert len([t for t in msgs if "inside buildings" in t]) == 1, msgs
    assert "## Warnings (2)" in md


def test_provenance_of_a_python_scenario_with_initial_values_and_bounces():
    from _report_standin import make_comparison

    from cpted_sim.io.report_sections import _bounces

    rows = dict(provenance_rows(make_comparison(spacing=2.0)))
    assert rows["scenario file"] == "none: the scenario was built in Python"
    assert "scenario file SHA-256" not in rows
    # the stand-in's luminaires have no maintenance factor (1): initial values
    assert rows["base: light"] == ("direct light only (no reflections); initial values "
                                   "(maintenance factor 1)")
    assert _bounces(2) == "with reflections, 2 bounce(s)"
    assert _bounces("converged") == "with reflections, bounced until converged"
