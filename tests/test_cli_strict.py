"""Warnings of a run on the command line and in the report: printed with counts on stderr,
``--strict`` makes them an error (exit 2, no report), the report has a Warnings section."""

from __future__ import annotations

import textwrap

import pytest

from cpted_sim.cli import main

LOW = textwrap.dedent('''\
    name = "low"
    [scene]
    builtin = "quads"
    group = "ground"
    params = { quads = [[[0, 0, 0.2], [20, 0, 0.2], [20, 20, 0.2], [0, 20, 0.2]]] }

    [[luminaires]]
    name = "L1"
    photometry = { builtin = "isotropic", intensity_cd = 400.0 }
    position = [10.0, 10.0, 5.0]

    [[areas]]
    name = "yard"
    kind = "grid"
    polygon = [[0, 0], [20, 0], [20, 20], [0, 20]]
    spacing = 4.0
    height = 0.0
    height_reference = "absolute"
    quantities = ["E_h"]
    ''')


@pytest.fixture
def low(tmp_path):
    p = tmp_path / "low.toml"
    p.write_text(LOW, encoding="utf-8")
    return p


def test_run_prints_the_warnings_with_counts_and_writes_them_into_the_report(low, tmp_path,
                                                                             capsys):
    out = tmp_path / "out"
    assert main(["run", str(low), "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "cpted-sim: 1 warning:" in err
    assert "warning [base]: area 'yard': 25 of 25 (100 %) points lie below the walkable " \
           "surface (up to 0.20 m)" in err
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Warnings (1)" in md and "25 of 25 (100 %) points lie below" in md
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="warnings"><h2>Warnings (1)</h2>' in html
    import json

    summary = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert summary["warnings"][0]["variant"] == "base"
    assert "25 of 25 (100 %)" in summary["warnings"][0]["message"]
    assert summary["excluded_points"] == {"base": {"yard": 0}}


def test_strict_turns_warnings_into_exit_status_2_without_a_report(low, tmp_path, capsys):
    out = tmp_path / "strict"
    assert main(["run", str(low), "--out", str(out), "--quiet", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "cpted-sim: error: --strict: 1 warnings (first: [base] area 'yard': 25 of 25" in err
    assert not (out / "report.html").exists()
    assert main(["compare", str(low), str(low.with_name("low2.toml")), "--out", str(out),
                 "--strict", "--quiet"]) == 2     # a missing second file: still one clear line


def test_compare_strict_counts_the_warnings_of_every_file(low, tmp_path, capsys):
    other = tmp_path / "other.toml"
    other.write_text(LOW.replace('name = "low"', 'name = "other"'), encoding="utf-8")
    assert main(["compare", str(low), str(other), "--out", str(tmp_path / "c"), "--quiet",
                 "--strict"]) == 2
    assert "--strict: 2 warnings" in capsys.readouterr().err


def test_a_clean_run_prints_no_warning_and_strict_passes(low, tmp_path, capsys):
    clean = tmp_path / "clean.toml"
    clean.write_text(LOW.replace('height = 0.0', 'height = 0.2'), encoding="utf-8")
    assert main(["run", str(clean), "--out", str(tmp_path / "ok"), "--quiet", "--strict"]) == 0
    assert "warning" not in capsys.readouterr().err
    md = (tmp_path / "ok" / "report.md").read_text(encoding="utf-8")
    assert "## Warnings (0)" in md and "No warnings" in md


def test_the_report_counts_points_left_out_inside_buildings(tmp_path):
    from cpted_sim.io.report import write_report
    from cpted_sim.io.scenario_file import loads_scenario
    from cpted_sim import compare, run

    text = LOW.replace('height = 0.0', 'height = 1.0') + textwrap.dedent('''\
        [[variants]]
        name = "B"
        [[variants.changes]]
        op = "add_geometry"
        builtin = "box"
        group = "kiosk"
        params = { min = [7.0, 7.0, 0.2], max = [13.0, 13.0, 3.0] }
        ''')
    sc = loads_scenario(text, load_assets=False)
    with pytest.warns(Warning):
        cmp = compare(run(sc, quiet=True), run(sc.apply("B"), quiet=True))
    assert cmp.variants[0].areas["yard"].excluded == 1       # the point at (10, 10)
    write_report(cmp, tmp_path / "r", maps=False, meshes=False, geotiff=False)
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert md.count("points lie inside buildings; they are left out of the statistics") == 1
    assert "**B**: area 'yard': 1 of 25 (4 %) points lie inside buildings" in md
