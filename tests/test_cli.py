"""The cpted-sim command line: run, compare, demo, errors as one line with exit status 2."""

from __future__ import annotations

import sys
import textwrap
import types

import numba
import pytest

from cpted_sim.cli import build_parser, main
from cpted_sim.errors import ScenarioFileError

SMALL = textwrap.dedent('''\
    name = "yard"
    [scene]
    builtin = "quads"
    group = "ground"
    params = { quads = [[[0, 0, 0], [20, 0, 0], [20, 20, 0], [0, 20, 0]]] }

    [[luminaires]]
    name = "L1"
    photometry = { builtin = "isotropic", intensity_cd = 400.0 }
    position = [5.0, 10.0, 5.0]

    [[areas]]
    name = "yard"
    kind = "en13201"
    class = "P5"
    polygon = [[1, 1], [19, 1], [19, 19], [1, 19]]
    spacing = 2.0
    quantities = ["E_h", "surveillance"]

    [[observers]]
    name = "door"
    kind = "door"
    points = [[1.0, 10.0, 1.6]]
    fov = 360.0
    max_distance = 12.0

    [[variants]]
    name = "B"
    [[variants.changes]]
    op = "add_luminaire"
    name = "L2"
    photometry = { builtin = "isotropic", intensity_cd = 400.0 }
    position = [15.0, 10.0, 5.0]
    ''')


@pytest.fixture
def fake_report(monkeypatch):
    """Stand in for the report writer (tested in tests/io/test_report.py) to see what the CLI
    hands it."""
    calls = []

    def write_report(cmp, out, **options):
        calls.append({"comparison": cmp, "out": out, "threads": numba.get_num_threads(),
                      "options": options})
        return {"report.html": out}

    mod = types.ModuleType("cpted_sim.io.report")
    mod.write_report = write_report
    monkeypatch.setitem(sys.modules, "cpted_sim.io.report", mod)
    return calls


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "yard.toml"
    p.write_text(SMALL, encoding="utf-8")
    return p


def test_run_runs_base_and_variants_and_prints_verdicts(small, tmp_path, fake_report, capsys):
    small.write_text(SMALL + "\n[run]\nthreads = 2\n", encoding="utf-8")
    old = numba.get_num_threads()
    try:
        rc = main(["run", str(small), "--out", str(tmp_path / "out"), "--quiet", "--threads", "1"])
    finally:
        numba.set_num_threads(old)
    assert rc == 0
    out = capsys.readouterr().out
    assert "Variant B: " in out and "dark and unseen area" in out and "wrote 1 files" in out
    (call,) = fake_report
    assert call["out"] == str(tmp_path / "out") and call["threads"] == 1
    cmp = call["comparison"]
    assert cmp.base.variant == "base" and [v.variant for v in cmp.variants] == ["B"]
    assert cmp.base.settings["threads"] == 1          # --threads wins over [run] threads


def test_run_base_only_and_chosen_variants(small, tmp_path, fake_report, capsys):
    out = str(tmp_path / "out")
    assert main(["--quiet", "run", str(small), "--out", out, "--base-only"]) == 0
    assert fake_report[-1]["comparison"].variants == ()
    assert main(["--quiet", "run", str(small), "--out", out, "--variant", "B"]) == 0
    assert [v.variant for v in fake_report[-1]["comparison"].variants] == ["B"]
    assert main(["--quiet", "run", str(small), "--out", out, "--variant", "Z"]) == 2
    assert "variant 'Z' is not in scenario" in capsys.readouterr().err


def test_compare_takes_files_and_labels_them_by_name(small, tmp_path, fake_report):
    other = tmp_path / "brighter.toml"
    other.write_text(SMALL.replace("intensity_cd = 400.0 }\nposition = [5.0",
                                   "intensity_cd = 800.0 }\nposition = [5.0"), encoding="utf-8")
    assert main(["--quiet", "compare", str(small), str(other), "--out",
                 str(tmp_path / "out")]) == 0
    cmp = fake_report[-1]["comparison"]
    assert [v.variant for v in cmp.variants] == ["brighter"]
    assert cmp.metric("brighter", "yard", "E_avg")["delta_pct"] == pytest.approx(100.0)


def test_no_maps_reaches_the_report_writer(small, tmp_path, fake_report):
    assert main(["--quiet", "run", str(small), "--out", str(tmp_path / "out"), "--base-only"]) == 0
    assert fake_report[-1]["options"]["maps"] is True
    assert main(["--quiet", "run", str(small), "--out", str(tmp_path / "out"), "--base-only",
                 "--no-maps"]) == 0
    assert fake_report[-1]["options"]["maps"] is False
    other = tmp_path / "other.toml"
    other.write_text(SMALL.replace("400.0", "800.0"), encoding="utf-8")
    assert main(["--quiet", "compare", str(small), str(other), "--out", str(tmp_path / "out"),
                 "--no-maps"]) == 0
    assert fake_report[-1]["options"]["maps"] is False
    p = build_parser()
    assert p.parse_args(["demo", "--out", "d", "--no-maps"]).no_maps is True
    assert p.parse_args(["demo", "--out", "d"]).no_maps is False


def test_a_user_error_is_one_line_and_exit_status_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace('kind = "en13201"', 'kind = "plaza"'), encoding="utf-8")
    assert main(["run", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("cpted-sim: error: bad.toml line 14 [areas[0].kind]:")
    assert main(["compare", str(bad), "--out", str(tmp_path)]) == 2
    assert "at least two scenario files" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.toml"), "--out", str(tmp_path)]) == 2


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scene]\nbuiltin = 3\n", encoding="utf-8")
    with pytest.raises(ScenarioFileError, match="scene.builtin"):
        main(["--debug", "run", str(bad), "--out", str(tmp_path)])
    with pytest.raises(ScenarioFileError):
        main(["run", str(bad), "--out", str(tmp_path), "--debug"])


def test_parser_knows_the_subcommands():
    p = build_parser()
    assert p.parse_args(["demo", "--out", "d"]).out == "d"
    args = p.parse_args(["run", "s.toml", "--out", "d", "--threads", "2", "--quiet"])
    assert args.threads == 2 and args.quiet and args.scenario == "s.toml"
    with pytest.raises(SystemExit):
        p.parse_args(["demo"])          # --out is required


def test_info_runs(capsys):
    assert main(["info"]) == 0
    assert "engines:" in capsys.readouterr().out


@pytest.mark.slow
def test_demo_writes_the_full_report_and_the_readme_shows_its_numbers(tmp_path, capsys):
    import csv
    import json
    import re
    from pathlib import Path

    out = tmp_path / "demo_out"
    assert main(["--quiet", "demo", "--out", str(out)]) == 0
    for name in ("report.html", "report.md", "metrics.csv", "metrics.json", "fields.npz"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "map_side_path_dark_and_unseen.png").stat().st_size > 0
    # the demo's synthetic reports triaged beside the report (issue 14 build 7)
    assert (out / "triage" / "places.csv").stat().st_size > 0
    assert (out / "triage" / "triage.html").stat().st_size > 0
    printed = capsys.readouterr().out
    verdicts = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["verdicts"]
    assert all(v in printed for v in verdicts.values()) and len(verdicts) == 2
    with open(out / "metrics.csv", newline="", encoding="utf-8") as fh:
        rows = {(r["variant"], r["area"], r["metric"]): r for r in csv.DictReader(fh)}
    # the README's demo table is this run's output (docs/make_demo_figures.py writes it)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = re.search(r"^\| side_path \| dark_unseen_area \| (.*) \|$", readme, re.M).group(1)
    shown = [float(c.split()[0]) for c in line.split(" | ")]
    variants = ["base", *[k for k in verdicts]]
    actual = [float(rows[(v, "side_path", "dark_unseen_area")]["value"]) for v in variants]
    assert shown == pytest.approx(actual, rel=0.01, abs=0.05)
    for text in verdicts.values():
        assert text in readme


# ----------------------------------------------------------------------------- preflight
def _no_compute(monkeypatch):
    """Make any computation fail loudly: preflight errors must come before it."""
    import cpted_sim.scenario as scenario_pkg

    def boom(*a, **k):
        raise AssertionError("computed before the preflight check")

    monkeypatch.setattr(scenario_pkg, "run", boom)


@pytest.mark.parametrize("edit,match", [
    (('name = "yard"\nkind', 'name = "a/b"\nkind'), r"areas\[0\]\.name 'a/b'"),
    (('name = "yard"\nkind', 'name = ""\nkind'), r"must not be empty"),
    (('name = "B"', 'name = "x/y"'), r"variants\[0\]\.name 'x/y'"),
    (('[[luminaires]]', '[run]\nmax_memory_gb = 0.000001\n\n[[luminaires]]'),
     r"needs about .* more than max_memory_gb = 1e-06 GB; use a larger spacing in area 'yard'"),
])
def test_bad_input_fails_before_computing_with_no_output(small, tmp_path, capsys, monkeypatch,
                                                         edit, match):
    import re
    import time

    text = SMALL.replace(edit[0], edit[1], 1)
    assert text != SMALL, edit
    small.write_text(text, encoding="utf-8")
    _no_compute(monkeypatch)
    out = tmp_path / "new" / "out"  # not even its parent may be created
    t0 = time.perf_counter()
    assert main(["--quiet", "run", str(small), "--out", str(out)]) == 2
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(match, err[0]), err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["yard.toml"]
    print(f"failed in {elapsed:.3f} s")  # measured: about 0.01 s (no timing assertion)


def test_bad_out_folder_and_memory_flag_fail_before_computing(small, tmp_path, capsys,
                                                              monkeypatch):
    _no_compute(monkeypatch)
    # tmp_path holds yard.toml and no manifest: not ours
    assert main(["--quiet", "run", str(small), "--out", str(tmp_path)]) == 2
    assert "not empty and has no manifest.json" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["--quiet", "run", str(small), "--out", str(tmp_path / "file")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["--quiet", "--max-memory-gb", "1e-6", "run", str(small), "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "more than max_memory_gb = 1e-06 GB" in err and "--max-memory-gb" in err
    assert not (tmp_path / "out").exists()


def test_unknown_epsg_fails_before_computing(small, tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyproj", reason="the EPSG check needs pyproj (gis extra)")
    _no_compute(monkeypatch)
    small.write_text(SMALL.replace('group = "ground"', 'group = "ground"\nepsg = 999999', 1),
                     encoding="utf-8")
    assert main(["--quiet", "run", str(small), "--out", str(tmp_path / "out")]) == 2
    assert "scene.epsg = 999999: PROJ knows no such EPSG code" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
