"""Comparisons: delta fields, the metric table and the verdicts."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.scenario import model as m
from cpted_sim.scenario.compare import Comparison, compare
from cpted_sim.scenario.run import run

GROUND = m.GeometrySpec(builtin="quads", group="ground",
                        params={"quads": [[[0, 0, 0], [30, 0, 0], [30, 30, 0], [0, 30, 0]]]})
LAMP = m.PhotometrySpec(builtin="isotropic", params={"intensity_cd": 300.0})
TABLE_KEYS = {"variant", "area", "metric", "unit", "base", "value", "delta", "delta_pct", "better"}


@pytest.fixture(scope="module")
def scenario():
    return m.Scenario(
        name="yard", scene=m.SceneSpec(GROUND),
        luminaires=(m.LuminaireSpec("L1", LAMP, (8.0, 15.0, 5.0)),),
        areas=(m.AreaSpec("yard", "en13201", lighting_class="P5",
                          polygon=((2, 2), (28, 2), (28, 28), (2, 28)), spacing=2.0,
                          quantities=("E_h", "surveillance")),),
        observers=(m.ObserverSpec("door", kind="door", points=((2.0, 15.0, 1.6),), fov=360.0,
                                  range=18.0),),
        variants=(
            m.Variant("more light", (m.AddLuminaire(m.LuminaireSpec("L2", LAMP, (22.0, 15.0, 5.0))),)),
            m.Variant("more eyes", (m.AddObservers(m.ObserverSpec(
                "door2", kind="door", points=((28.0, 15.0, 1.6),), fov=360.0, range=18.0)),)),
        ))


@pytest.fixture(scope="module")
def comparison(scenario):
    return compare(scenario)


def test_delta_fields_are_variant_minus_base(comparison):
    base = comparison.base.areas["yard"].fields
    for res in comparison.variants:
        d = comparison.deltas[res.variant]["yard"]
        for q in ("E_h", "surveillance_count", "dark", "unobserved", "dark_and_unseen"):
            np.testing.assert_allclose(d[q].values, res.areas["yard"].fields[q].values - base[q].values)
            assert d[q].unit == base[q].unit
    assert (comparison.deltas["more light"]["yard"]["E_h"].values > 0).all()
    assert np.all(comparison.deltas["more light"]["yard"]["surveillance_count"].values == 0)


def test_table_rows_hold_base_value_delta_and_percent(comparison):
    rows = comparison.table
    assert all(set(r) == TABLE_KEYS for r in rows)
    assert [r["variant"] for r in rows][0] == "base"
    assert {r["variant"] for r in rows} == {"base", "more light", "more eyes"}
    for r in rows:
        res = comparison.base if r["variant"] == "base" else next(
            v for v in comparison.variants if v.variant == r["variant"])
        metric = res.areas[r["area"]].metrics[r["metric"]]
        assert r["unit"] == metric.unit and r["better"] == metric.better
        base_v = comparison.base.areas[r["area"]].metrics[r["metric"]].value
        if np.isnan(metric.value):
            assert r["value"] is None
            continue
        assert r["value"] == pytest.approx(metric.value)
        assert r["base"] == pytest.approx(base_v)
        assert r["delta"] == pytest.approx(metric.value - base_v)
        if abs(base_v) >= 1e-3:
            assert r["delta_pct"] == pytest.approx(100 * (metric.value - base_v) / abs(base_v))
        else:
            assert r["delta_pct"] is None
        if r["variant"] == "base":
            assert r["delta"] == 0.0
    e = comparison.metric("more light", "yard", "E_avg")
    assert e["delta"] > 0 and e["unit"] == "lx" and e["better"] == "higher"
    u = comparison.metric("more eyes", "yard", "unobserved_pct")
    assert u["delta"] < 0 and u["unit"] == "%" and u["better"] == "lower"
    with pytest.raises(ParameterError, match="no row"):
        comparison.metric("more light", "yard", "nonsense")


def test_verdicts_name_the_variant_and_the_dark_and_unseen_area(comparison):
    for res in comparison.variants:
        text = comparison.verdicts[res.variant]
        b = comparison.base.areas["yard"].metrics["dark_unseen_area"].value
        v = res.areas["yard"].metrics["dark_unseen_area"].value
        assert text.startswith(f"Variant {res.variant}: ")
        assert f"dark and unseen area {b:.0f} -> {v:.0f} m2" in text
        assert f"({100 * (v - b) / b:+.0f} %)" in text
    base_cls = comparison.base.areas["yard"].metrics["class_achieved"].label
    lit_cls = comparison.variants[0].areas["yard"].metrics["class_achieved"].label
    if base_cls != lit_cls:
        assert f"P-class {base_cls} -> {lit_cls}" in comparison.verdicts["more light"]


def test_compare_accepts_results_scenarios_and_variants(scenario, comparison):
    again = compare(comparison.base, scenario.apply("more light"))
    assert [r.variant for r in again.variants] == ["more light"]
    np.testing.assert_allclose(again.deltas["more light"]["yard"]["E_h"].values,
                               comparison.deltas["more light"]["yard"]["E_h"].values)
    with pytest.raises(ParameterError, match="needs the base Scenario"):
        compare(comparison.base, scenario.variants[0])
    with pytest.raises(ParameterError, match="names must differ"):
        compare(comparison.base, comparison.base)


def test_to_report_delegates_to_the_registered_report_writer(comparison, monkeypatch, tmp_path):
    import cpted_sim.io  # registers the writer on import (the package root imports it)
    compare_mod = sys.modules["cpted_sim.scenario.compare"]
    assert compare_mod._REPORT_WRITER is cpted_sim.io.write_report
    calls = []
    monkeypatch.setattr(compare_mod, "_REPORT_WRITER",
                        lambda cmp, out, **kw: calls.append((cmp, out, kw)) or {"report.html": out})
    assert comparison.to_report(tmp_path) == {"report.html": tmp_path}
    assert calls == [(comparison, tmp_path, {"maps": True})]
    comparison.to_report(tmp_path, maps=False, dpi=80)
    assert calls[-1] == (comparison, tmp_path, {"maps": False, "dpi": 80})
    monkeypatch.setattr(compare_mod, "_REPORT_WRITER", None)
    with pytest.raises(ParameterError, match="no report writer is registered"):
        comparison.to_report(tmp_path)


def test_to_report_without_maps_writes_no_png(comparison, tmp_path):
    """``maps=False`` reaches the real writer: tables and data, no PNG (it raised TypeError)."""
    files = comparison.to_report(tmp_path / "r", maps=False, meshes=False)
    assert "report.html" in files and "metrics.csv" in files
    assert not [k for k in files if k.endswith(".png")]
    assert not list((tmp_path / "r").glob("*.png"))


def test_verdict_survives_metrics_without_a_value(comparison):
    """A route metric that is NaN (no route points) reads "n/a" or drops out, never crashes."""
    from dataclasses import replace

    from cpted_sim.scenario.compare import _fmt, verdict

    def with_nan_route(res):
        areas = {}
        for name, area in res.areas.items():
            metrics = dict(area.metrics)
            metrics["longest_unobserved_m"] = m.Metric("longest_unobserved_m", float("nan"), "m",
                                                       better="lower")
            areas[name] = replace(area, metrics=metrics)
        return replace(res, areas=areas)

    base = with_nan_route(comparison.base)
    text = verdict(with_nan_route(comparison.variants[0]), base)
    assert text.startswith("Variant more light: ")
    assert "longest unobserved" not in text
    assert _fmt(float("nan")) == "n/a"
    assert _fmt(4.1e-5) == "~0" and _fmt(0.0) == "0" and _fmt(0.0123) == "0.012"


@pytest.fixture(scope="module")
def night_comparison():
    """A yard with night-time surveillance; "more light" only adds a luminaire near the door."""
    lamp = m.PhotometrySpec(builtin="isotropic", params={"intensity_cd": 1000.0})
    door = m.ObserverSpec("door", kind="door", points=((2.0, 15.0, 1.6),), fov=360.0, range=18.0)
    return compare(m.Scenario(
        name="night yard", scene=m.SceneSpec(GROUND),
        luminaires=(m.LuminaireSpec("L1", lamp, (8.0, 15.0, 5.0)),),
        areas=(m.AreaSpec("yard", "en13201", lighting_class="P5",
                          polygon=((2, 2), (28, 2), (28, 28), (2, 28)), spacing=2.0,
                          quantities=("E_h", "surveillance", "night_surveillance")),),
        observers=(door,),
        variants=(
            m.Variant("more light", (m.AddLuminaire(m.LuminaireSpec("L2", lamp,
                                                                    (12.0, 6.0, 5.0))),)),
            m.Variant("more eyes", (m.AddObservers(replace(door, name="door2",
                                                           points=((28.0, 15.0, 1.6),))),)),
        )))


def test_a_variant_that_only_adds_light_shows_its_night_time_gain(night_comparison):
    c = night_comparison
    text = c.verdicts["more light"]
    yard = c.base.areas["yard"].metrics
    lit = c.variants[0].areas["yard"].metrics
    # daytime sightlines are unchanged by a luminaire ...
    assert lit["unobserved_pct"].value == yard["unobserved_pct"].value
    # ... but at night more of the yard is lit enough for the door to recognise a face
    b, v = yard["night_dark_unseen_area"].value, lit["night_dark_unseen_area"].value
    assert v < b  # measured 388 -> 296 m2
    assert text.startswith(f"Variant more light: dark and unseen at night {b:.0f} -> {v:.0f} m2")
    nb, nv = yard["night_surveyed_pct"].value, lit["night_surveyed_pct"].value
    assert nv > nb + 5.0  # measured 33.1 -> 47.3 %
    assert "watched at night" in text and "average light" in text
    assert text.index("dark and unseen at night") < text.index("dark and unseen area")
    # observers only: the night-time gain comes from sight, the light stays the same
    eyes = c.verdicts["more eyes"]
    assert eyes.startswith("Variant more eyes: dark and unseen at night ")
    assert "average light" not in eyes


def test_night_dark_unseen_needs_both_dark_face_and_no_watcher(night_comparison):
    from cpted_sim.scenario.metrics import face_lit_threshold, night_dark_unseen

    f = night_comparison.base.areas["yard"].fields
    th = m.Thresholds()
    assert face_lit_threshold(th) == pytest.approx(1.0)  # the recognition curve at 4 m
    mask = night_dark_unseen(f, th)
    esc, w = f["E_sc"].values, f["night_surveillance_weight"].values
    assert mask.any() and (~mask).any()
    assert np.all(mask == ((esc < 1.0) & (w < th.min_surveillance)))
    assert face_lit_threshold(m.Thresholds(night_lit_lx=2.5)) == 2.5
    assert night_dark_unseen({"E_h": f["E_h"]}, th) is None
