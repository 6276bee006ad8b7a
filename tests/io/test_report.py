"""The report: every file, self-contained HTML, Markdown with PNG links, table = comparison."""

from __future__ import annotations

import base64
import html as html_mod
import json
import math
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report_standin import compare, make_comparison, make_result  # noqa: E402

from cpted_sim.io.report import (format_value, judge_row, metric_rows, no_change,  # noqa: E402
                                 write_report)
from cpted_sim.names import file_slug  # noqa: E402
from cpted_sim.io.results import TABLE_COLUMNS, read_fields_npz, read_metrics_csv  # noqa: E402


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    c = make_comparison(spacing=1.0)
    files = c.to_report(out)
    return c, out, files


def test_report_writes_every_file(report):
    c, out, files = report
    for name in ("report.html", "report.md", "metrics.csv", "metrics.json", "fields.npz",
                 "map_street_E_h.png", "map_street_surveillance_count.png",
                 "map_street_night_surveillance_count.png", "map_street_dark_and_unseen.png",
                 "diff_street_E_h.png", f"map_{file_slug('north facade')}_E_v.png",
                 "scene_base.ply", f"scene_{file_slug('more lights')}.ply",
                 f"scene_{file_slug('high poles')}.ply", "manifest.json"):
        assert name in files, name
        assert files[name] == out / name and files[name].stat().st_size > 0
    for name, p in files.items():
        assert p.is_file() and p.resolve().is_relative_to(out.resolve()), name
    assert not any(k.startswith("geotiff/") for k in files)  # no EPSG code


def test_unchanged_quantities_are_said_not_drawn(report):
    _, out, files = report
    # the stand-in's windows and hence daytime surveillance are the same in every variant
    assert not (out / "diff_street_surveillance_count.png").exists()
    assert "diff_street_night_surveillance_count.png" in files
    text = files["report.html"].read_text(encoding="utf-8")
    assert "street: surveillance_count is the same in every variant" in text
    assert "street: surveillance_count is the same in every variant" in files["report.md"].read_text()


def test_html_is_self_contained(report):
    _, out, files = report
    text = files["report.html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", text, re.I)
    assert "<link" not in text.lower() and "<script" not in text.lower()
    assert "@import" not in text and "url(" not in text
    srcs = re.findall(r'<img src="([^"]+)"', text)
    pngs = sorted(p for p in out.glob("*.png"))
    assert len(srcs) == len(pngs) >= 9
    inlined = set()
    for s in srcs:
        assert s.startswith("data:image/png;base64,")
        raw = base64.b64decode(s.split(",", 1)[1], validate=True)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        inlined.add(raw)
    assert inlined == {p.read_bytes() for p in pngs}  # exactly the maps written beside it


def test_html_opens_with_the_verdicts_then_the_table(report):
    c, _, files = report
    text = files["report.html"].read_text(encoding="utf-8")
    i_verdict = text.index('id="verdicts"')
    i_table = text.index('id="metric-table"')
    i_maps = text.index('id="maps"')
    assert i_verdict < i_table < i_maps
    for v, words in c.verdicts.items():
        assert text.index(html_mod.escape(words[-30:])) < i_table
    body = text[i_table:text.index("</table>", i_table)]
    pairs = {(r["area"], r["metric"]) for r in c.table}
    assert body.count("<tr>") == len(pairs) + 1  # one row per area and metric
    assert 'class="better"' in body and 'class="worse"' in body
    assert ">P2<" in body and ">better class<" in body  # classes by name and in words
    assert ">+6.7 (+92 %)<" in body  # more lights: E_avg 7.31 -> 14.0 lx


def test_in_page_links_resolve(report):
    _, _, files = report
    text = files["report.html"].read_text(encoding="utf-8")
    targets = re.findall(r'href="#([^"]+)"', text)
    assert "area-street" in targets and f"area-{file_slug('north facade')}" in targets
    for t in targets:
        assert f'id="{t}"' in text, t


def test_markdown_links_the_pngs(report):
    c, out, files = report
    md = files["report.md"].read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links and all((out / link).is_file() and link.endswith(".png") for link in links)
    assert set(links) == {p.name for p in out.glob("*.png")}
    assert md.index("## Verdict") < md.index("## Metrics") < md.index("## Maps")
    metrics = md[md.index("## Metrics"):md.index("\n## ", md.index("## Metrics"))]
    table_lines = [ln for ln in metrics.splitlines() if ln.startswith("| ")]
    assert len(table_lines) == len({(r["area"], r["metric"]) for r in c.table}) + 1
    assert table_lines[0].count("|") == 2 * len(c.variants) + 4


def test_metric_files_equal_the_comparison_table(report):
    c, _, files = report
    rows = read_metrics_csv(files["metrics.csv"])
    doc = json.loads(files["metrics.json"].read_text())
    assert len(rows) == len(doc["table"]) == len(c.table)
    for want, got_csv, got_json in zip(c.table, rows, doc["table"]):
        for k in TABLE_COLUMNS:
            assert got_json[k] == want[k], k
            if isinstance(want[k], float) and math.isfinite(want[k]):
                # the CSV keeps 10 significant digits (CSV_DIGITS); measured <= 2.8e-10 rel.
                assert got_csv[k] == pytest.approx(want[k], rel=5e-10, abs=0.0), k
            else:
                assert got_csv[k] == want[k], k
    assert doc["verdicts"] == c.verdicts
    assert doc["base"] == "base" and doc["variants"] == ["more lights", "high poles"]
    m = doc["metrics"]["more lights"]["street"]["class_achieved"]
    assert m["label"] == "P2" and m["unit"] == "class"


def test_fields_npz_of_the_report(report):
    c, _, files = report
    data = read_fields_npz(files["fields.npz"])
    np.testing.assert_array_equal(data["base/street/E_h"], c.base.areas["street"].fields["E_h"].values)
    np.testing.assert_array_equal(data["grid/street/points"], c.base.areas["street"].grid.points)


def test_no_pyplot_figures_left_open(report):
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []


def test_report_of_a_base_alone(tmp_path):
    base = make_result("base", (10.0, 30.0), spacing=4.0)
    files = write_report(compare(base), tmp_path, meshes=False)
    text = files["report.html"].read_text()
    assert "No variant to compare" in text
    assert "E_avg" in text  # the base's own metrics fill the table
    assert not any(k.startswith("diff_") for k in files)


def test_geotiffs_when_the_scene_has_an_epsg_code(tmp_path):
    pytest.importorskip("rasterio", reason="GeoTIFF needs the optional gis extra")
    c = make_comparison(epsg=28992, origin=(155000.0, 463000.0), spacing=4.0)
    files = write_report(c, tmp_path, maps=False, meshes=False)
    assert not any(k.endswith(".png") for k in files)
    tifs = sorted(k for k in files if k.startswith("geotiff/"))
    # 3 variants x 6 fields on the plan grid; none for the façade (no raster)
    assert len(tifs) == 18 and "geotiff/base_street_E_h.tif" in tifs


def test_formatting_helpers():
    assert format_value(float("nan"), "lx") == "–"
    assert format_value(12345.6, "m2") == "12,346 m²"
    assert format_value(7.3128, "lx") == "7.31 lx"
    assert format_value(3.0, "class", "P4") == "P4"
    assert judge_row({"delta": 1.0, "better": "higher"}) == "better"
    assert judge_row({"delta": 1.0, "better": "lower"}) == "worse"
    assert judge_row({"delta": -1.0, "better": "none"}) == ""
    assert judge_row({"delta": float("nan"), "better": "higher"}) == ""
    # numerical noise is no change: 8.7e-5 lx on 10.7 lx, 3.6e-5 lx on 0 lx
    noise = {"unit": "lx", "base": 10.7, "value": 10.70009, "delta": 8.7e-5, "better": "higher"}
    assert no_change(noise) and judge_row(noise) == ""
    assert no_change({"unit": "lx", "base": 0.0, "value": 3.6e-5, "delta": 3.6e-5})
    assert not no_change({"unit": "lx", "base": 0.0, "value": 0.01, "delta": 0.01})
    assert no_change({"unit": "1", "base": None, "value": 2.0, "delta": None})


def test_metric_rows_pivot_the_table():
    c = make_comparison(spacing=4.0)
    variants, rows = metric_rows(c)
    assert variants == ["more lights", "high poles"]
    want = {(r["area"], r["metric"]): r for r in c.table if r["variant"] == "high poles"}
    assert len(rows) == len(want)
    for r in rows:
        val, change, judgement = r["cells"]["high poles"]
        w = want[(r["area"], r["metric"])]
        assert judgement == judge_row(w)
        if w["unit"] not in ("class",):
            assert val == format_value(w["value"], w["unit"])


def test_one_polar_diagram_per_distinct_distribution(tmp_path):
    c = compare(make_result("base", (10.0,), spacing=4.0),
                make_result("B", (10.0, 30.0), spacing=4.0))
    files = write_report(c, tmp_path, meshes=False)
    polars = [k for k in files if k.startswith("polar_")]
    name = c.base.luminaires[0].distribution.name
    assert len(polars) == 1  # base and B share their distribution
    html = files["report.html"].read_text()
    assert f"Intensity distribution {name}" in html
    assert f"]({polars[0]})" in files["report.md"].read_text()


def test_report_draws_photometry_polar_diagrams(report):
    from matplotlib.image import imread

    _, out, files = report
    polars = [k for k in files if k.startswith("polar_")]
    assert polars == [f"polar_1_{file_slug('isotropic point source')}.png"]
    img = imread(files[polars[0]])[..., :3]
    assert (img.std(axis=2) > 0.1).sum() > 200  # coloured curves drawn, not a blank chart


def test_a_polar_diagram_that_cannot_be_made_is_logged_and_left_out(tmp_path, monkeypatch,
                                                                    caplog):
    import cpted_sim.plot.polar as polar_module

    def broken(dist):
        raise ValueError("no intensities")

    monkeypatch.setattr(polar_module, "polar_chart", broken)
    with caplog.at_level("WARNING", logger="cpted_sim.io.report"):
        files = write_report(compare(make_result("base", (10.0,), spacing=4.0)), tmp_path,
                             meshes=False)
    assert not any(k.startswith("polar_") for k in files)
    assert "Intensity distribution" not in files["report.html"].read_text()
    assert "no polar diagram for isotropic point source: no intensities" in caplog.text


def test_verdicts_do_not_repeat_the_variant_name(tmp_path):
    c = make_comparison(spacing=4.0)
    c = replace(c, verdicts={"more lights": "Variant more lights: dark and unseen area 3 -> 0 m2",
                             "high poles": "no change in the dark and unseen area"})
    files = write_report(c, tmp_path, maps=False, meshes=False)
    html = files["report.html"].read_text()
    assert "<li><b>Variant more lights</b>: dark and unseen area 3 -&gt; 0 m2</li>" in html
    assert "<li><b>high poles</b>: no change in the dark and unseen area</li>" in html
    md = files["report.md"].read_text()
    assert "- **Variant more lights**: dark and unseen area 3 -> 0 m2" in md


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    """The built-in demo scenario, run and compared for real, written at a low resolution."""
    import cpted_sim as cs
    from cpted_sim.scenario.demo import demo_scenario_path

    c = cs.compare(cs.load_scenario(demo_scenario_path()), quiet=True)
    out = tmp_path_factory.mktemp("demo_report")
    return c, out, write_report(c, out, dpi=40)


def test_demo_report_tables_equal_the_real_comparison(demo_report):
    c, _, files = demo_report
    rows = read_metrics_csv(files["metrics.csv"])
    doc = json.loads(files["metrics.json"].read_text())
    assert len(rows) == len(doc["table"]) == len(c.table) > 50
    for want, got_csv, got_json in zip(c.table, rows, doc["table"]):
        for k in TABLE_COLUMNS:
            assert got_json[k] == want[k], (k, want)
            if isinstance(want[k], float) and math.isfinite(want[k]):
                # the CSV keeps 10 significant digits (CSV_DIGITS); measured <= 2.8e-10 rel.
                assert got_csv[k] == pytest.approx(want[k], rel=5e-10, abs=0.0), (k, want)
            else:
                assert got_csv[k] == want[k], (k, want)
    html = files["report.html"].read_text(encoding="utf-8")
    for v, words in c.verdicts.items():
        assert html_mod.escape(words[-25:]) in html


def test_demo_report_fields_round_trip(demo_report):
    c, _, files = demo_report
    data = read_fields_npz(files["fields.npz"])
    n = 0
    for r in (c.base, *c.variants):
        for a, area in r.areas.items():
            for q, f in area.fields.items():
                np.testing.assert_array_equal(data[f"{r.variant}/{a}/{q}"], f.values)
                n += 1
            np.testing.assert_array_equal(data[f"grid/{a}/points"], area.grid.points)
    for v, areas in c.deltas.items():
        for a, qs in areas.items():
            for q, f in qs.items():
                np.testing.assert_array_equal(data[f"delta/{v}/{a}/{q}"], f.values)
    assert n > 50


def test_demo_report_maps_every_area(demo_report):
    c, out, files = demo_report
    for a in c.base.areas:
        assert any(k.startswith(f"map_{a}_") for k in files), a
    assert "map_street_E_h.png" in files and "map_street_dark_and_unseen.png" in files
    assert any(k.startswith("polar_") for k in files)  # the demo's IES optic
    assert {f"scene_{r.variant}" for r in (c.base,)} <= {Path(k).stem for k in files}


def test_report_escapes_names_in_markdown_and_html(tmp_path):
    from cpted_sim.io.output_folder import verify_output
    from cpted_sim.io.report import md_escape

    c = make_comparison(spacing=2.0)
    evil = "Evil <script>alert(1)</script> | *bold* [x](http://e)\n# not a heading"
    c = replace(c, base=replace(c.base, scenario_name=evil),
                verdicts={"more lights": "<img src=x onerror=alert(1)> better",
                          "high poles": "same"})
    files = write_report(c, tmp_path / "out", maps=False, meshes=False)
    verify_output(tmp_path / "out")
    md = files["report.md"].read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;" in md or "&lt;script>" in md
    title = md.splitlines()[0]
    assert title.startswith("# Evil ") and title.endswith("lighting and sightlines by variant")
    assert "\\# not a heading" not in title and "# not a heading" in title  # one line
    assert not any(line.startswith("# not a heading") for line in md.splitlines())
    assert "\\|" in title and "\\*bold\\*" in title and "\\[x\\]" in title
    html_text = files["report.html"].read_text(encoding="utf-8")
    assert "<script" not in html_text.lower() and "<img src=x" not in html_text
    assert "&lt;script&gt;" in html_text
    assert md_escape("E_h a_b _x_ 3 -> 0") == "E_h a_b \\_x\\_ 3 -> 0"


def test_demo_report_has_the_hours_of_the_night(demo_report):
    """Issue 18: the demo report gains the hourly curve and the worst-hour maps."""
    c, out, files = demo_report
    names = {str(f) for f in files}
    assert {"hours.png", "hours_worst_street.png", "hours_at_street.png"} <= names
    md = (out / "report.md").read_text(encoding="utf-8")
    section = md.split("## Hours of the night", 1)[1].split("## Maps", 1)[0]
    worst = c.base.hours.areas["street"].worst_hour
    assert f"| base | street | {worst} |" in section
    assert "D_P" in section and "CIE 150" in section
    assert '<section id="hours">' in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_hours_csv_and_obtrusive_windows_match_the_result(tmp_path):
    """The windows listed over the limit are exactly the result's, with their values."""
    import csv
    import dataclasses

    import cpted_sim as cs
    from cpted_sim.io.hours_report import write_hours_csv
    from cpted_sim.metrics.obtrusive import obtrusive_limits
    from cpted_sim.scenario.demo import demo_scenario_path

    sc = cs.load_scenario(demo_scenario_path())
    strict = obtrusive_limits({"E_v_pre": 0.0, "E_v_post": 0.0, "I_pre": 50.0, "I_post": 5.0})
    from cpted_sim.scenario.model import LuminaireSpec, PhotometrySpec

    porch = LuminaireSpec("porch", PhotometrySpec(builtin="isotropic",
                                                  params={"intensity_cd": 300.0}),
                          (22.0, 10.0, 3.0))        # a bare lamp before the houses
    sc = dataclasses.replace(sc, luminaires=sc.luminaires + (porch,),
                             hours=dataclasses.replace(sc.hours, obtrusive=strict))
    c = cs.compare(sc, quiet=True)
    paths = write_hours_csv(c, tmp_path)
    assert [p.name for p in paths] == ["hours.csv", "obtrusive_windows.csv"]
    with open(paths[0], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 10 * sum(len(r.hours.areas) for r in (c.base, *c.variants))
    assert {"class_achieved", "E_avg"} <= set(rows[0])
    ob = c.base.hours.obtrusive
    with open(paths[1], encoding="utf-8") as fh:
        over = list(csv.DictReader(fh))
    base = [r for r in over if r["variant"] == "base"]
    assert len(base) == int(ob.over.sum()) > 0
    assert sorted({int(r["window"]) for r in base}) == ob.over_windows().tolist()
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="maps are forked on Linux only")
def test_an_error_while_the_maps_are_drawn_stops_their_workers(tmp_path, monkeypatch):
    import multiprocessing as mp

    import cpted_sim.io.report as rep
    import cpted_sim.plot.compare as plot_compare

    started, calls = [], []
    real = plot_compare.start_comparison_maps

    class Recorded(rep.ForkedCall):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            calls.append(self)

    def start(*a, **k):
        images, pending = real(*a, **dict(k, processes=2))
        started.append(pending)
        return images, pending

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(plot_compare, "start_comparison_maps", start)
    monkeypatch.setattr(rep, "ForkedCall", Recorded)  # the GeoPackage's child
    monkeypatch.setattr(rep, "write_fields_npz", fail)  # fails while the workers draw
    with pytest.raises(OSError, match="disk full"):
        rep.write_report(make_comparison(), tmp_path / "out")
    assert started and started[0].processes == 2  # the maps were being drawn by workers
    assert mp.active_children() == []  # stopped, not left writing into a dropped folder
    assert len(calls) == 1 and calls[0]._pid is None  # the GeoPackage's child reaped too
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
